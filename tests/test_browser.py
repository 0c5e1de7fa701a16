"""The dashboard in a real browser: `streamlit run dashboard/app.py` on a loopback port, driven by
Debian's chromium through playwright. Every page renders without an exception box, a filter change
round-trips through the URL, and a screenshot of every page lands in artifacts/screenshots/.

AppTest (tests/test_pages.py) runs no JavaScript and checks no layout; this covers the rest.
Needs /usr/bin/chromium (Debian package `chromium`); skips with the reason when it is missing.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "screenshots"
# page -> URL path (the default page, Overview, is served at the root)
PAGES = {"overview": "", "outcomes": "outcomes", "cohorts": "cohorts", "retention": "retention", "roi": "roi",
         "coach": "coach", "quality": "quality"}
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
               "--no-first-run"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_db(dashboard_db, tmp_path_factory) -> Path:
    """A private copy of the sample warehouse: the last test loads a file into it while the
    dashboard is open."""
    import shutil

    db = tmp_path_factory.mktemp("browser-wh") / "live.duckdb"
    shutil.copy(dashboard_db, db)
    return db


@pytest.fixture(scope="module")
def server(live_db, coachlens_env):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
    port = _free_port()
    env = coachlens_env(live_db)
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log = open(ROOT / "artifacts" / "streamlit-test.log", "w") if (ROOT / "artifacts").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start (exit code {proc.poll()})")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
    pg = context.new_page()
    yield pg
    context.close()


def _settle(pg, timeout: float = 45.0) -> None:
    """Wait until the script run is over: the app rendered, no "running" status, charts drawn."""
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    pg.wait_for_selector('h1', timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        running = pg.locator('[data-testid="stStatusWidget"]').count() > 0 or \
            pg.locator('[data-testid="stSpinner"]').count() > 0 or \
            pg.locator('[data-stale="true"]').count() > 0
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 1.0:
            break
        time.sleep(0.2)
    # Plotly draws after the script run; give every visible chart time to appear.
    charts = pg.locator(".js-plotly-plot")
    for i in range(charts.count()):
        if charts.nth(i).is_visible():
            charts.nth(i).locator(".main-svg").first.wait_for(timeout=15000)


def _assert_no_exception(pg, where: str) -> None:
    boxes = pg.locator('[data-testid="stException"]')
    if boxes.count():
        pytest.fail(f"{where}: exception box on the page: {boxes.first.inner_text()[:800]}")
    if pg.get_by_text("Page not found").count():
        pytest.fail(f"{where}: Streamlit says 'Page not found' (URL {pg.url})")


def _coach_with_clients(db: Path) -> str | None:
    """A coach with at least k clients in both waves on the sample (so the screenshot has a chart)."""
    from dashboard import queries
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from pipelines.config import load_settings

    cur = Reader(db).cursor()
    for coach in queries.filter_options(cur).coaches:
        try:
            res = queries.coach_impact(cur, Filters(), load_settings(), coach, measure="engagement")
        except queries.AnonymityRefused:
            continue
        if (~res.table["suppressed"].astype(bool)).any():
            return coach
    return None


def test_every_page_renders_and_is_screenshotted(server, page, live_db):
    SHOTS.mkdir(parents=True, exist_ok=True)
    coach = _coach_with_clients(live_db)
    for name, path in PAGES.items():
        if name == "coach" and coach:
            path = f"coach?coach_id={coach}"
        page.goto(f"{server}/{path}")
        _settle(page)
        _assert_no_exception(page, name)
        assert page.locator("h1").first.inner_text().strip(), f"{name}: no title"
        _shoot(page, SHOTS / f"{name}.png")
    # The table behind a chart is one click away.
    page.goto(f"{server}/outcomes")
    _settle(page)
    page.get_by_role("tab", name="Table and downloads").first.click()
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=15000)
    assert page.get_by_text("Download CSV").first.is_visible()
    assert page.get_by_text("Download XLSX").first.is_visible()
    _assert_no_exception(page, "outcomes table tab")
    _shoot(page, SHOTS / "outcomes-table.png")
    # The files are built on the click (not on every run of the page): both arrive, with the same rows.
    files = {}
    for label in ("Download CSV", "Download XLSX"):
        with page.expect_download(timeout=60000) as info:
            page.get_by_role("button", name=label).first.click()
        files[label] = Path(info.value.path())
    import pandas as pd

    csv = pd.read_csv(files["Download CSV"])
    xlsx = pd.read_excel(files["Download XLSX"], sheet_name=0)
    assert {"career_phase", "department", "estimate", "suppressed"} <= set(csv.columns)
    assert ((csv["career_phase"] == "All") & (csv["department"] == "All")).any() and len(csv) > 4
    assert len(xlsx) == len(csv) and list(xlsx.columns)[:3] == list(csv.columns)[:3]
    _assert_no_exception(page, "outcomes after the downloads")


def _pick(pg, label: str, option: str) -> None:
    """Choose `option` in the sidebar select box labelled `label` (a react-aria combobox)."""
    box = pg.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=label, exact=True)
    box.click()
    if box.get_attribute("aria-expanded") != "true":
        box.press("ArrowDown")
    pg.get_by_role("option", name=option, exact=True).first.click()


def _shoot(pg, path: Path) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its main block, so grow the viewport
    to the content's height first (full_page alone would cut it at the window)."""
    height = pg.evaluate("""() => {
        const m = document.querySelector('[data-testid="stMainBlockContainer"]');
        const s = document.querySelector('[data-testid="stSidebarContent"]');
        return Math.max(m ? m.scrollHeight + 120 : 900, s ? s.scrollHeight : 900, 900);
    }""")
    size = pg.viewport_size
    pg.set_viewport_size({"width": size["width"], "height": min(int(height), 6000)})
    time.sleep(0.8)  # plotly re-lays out on resize
    pg.screenshot(path=str(path), full_page=True)
    pg.set_viewport_size(size)


def test_changing_a_filter_updates_the_url_and_the_page(server, page):
    page.goto(f"{server}/outcomes")
    _settle(page)
    before = page.locator(".js-plotly-plot").first.inner_text()
    _pick(page, "Career phase", "Mid career")
    _settle(page)
    _assert_no_exception(page, "outcomes after a filter change")
    assert "career_phase=mid" in page.url, page.url
    after = page.locator(".js-plotly-plot").first.inner_text()
    assert after != before, "the chart did not change with the filter"
    _shoot(page, SHOTS / "outcomes-filtered.png")
    # Switching pages keeps the filters, in the sidebar and in the address.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Cohorts and programs").click()
    page.wait_for_url("**/cohorts**", timeout=15000)
    _settle(page)
    _assert_no_exception(page, "cohorts after a page switch")
    assert page.locator('[data-testid="stSidebar"]').get_by_role(
        "combobox", name="Career phase", exact=True).input_value() == "Mid career"
    deadline = time.monotonic() + 10
    while "career_phase=mid" not in page.url and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "career_phase=mid" in page.url, page.url
    page.go_back()
    _settle(page)
    # The link carries the view: opening it fresh shows the same selection.
    shared = page.url
    page.goto("about:blank")
    page.goto(shared)
    _settle(page)
    _assert_no_exception(page, "outcomes from a shared link")
    assert page.locator('[data-testid="stSidebar"]').get_by_role(
        "combobox", name="Career phase", exact=True).input_value() == "Mid career"


def test_a_crafted_link_is_validated_not_executed(server, page):
    page.goto(f"{server}/?team=%3Dcmd%7C%27%2Fc%20calc%27%21A1&program=__import__('os')&waves=nope")
    _settle(page)
    _assert_no_exception(page, "overview from a crafted link")
    assert "__import__" not in page.url


def test_the_sponsor_report_is_built_when_its_button_is_clicked(server, page):
    """The overview's report button carries no report until it is clicked (the page renders without
    building it); the click builds it and downloads the whole self-contained HTML."""
    page.goto(f"{server}/?career_phase=mid")
    _settle(page)
    button = page.get_by_role("button", name="Download sponsor report (HTML)")
    button.wait_for(timeout=15000)
    with page.expect_download(timeout=120000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.startswith("coachlens-roi-report-") and download.suggested_filename.endswith(".html")
    body = Path(download.path()).read_text(encoding="utf-8")
    assert body.startswith("<!DOCTYPE html>"), body[:200]
    assert "Does our coaching spend pay back?" in body and "Career phase: Mid career" in body  # the selection
    _assert_no_exception(page, "overview after the report download")


def _loads(pg) -> list[list[str]]:
    """The rows of the Loads table on the Data quality page (the last table there)."""
    grid = pg.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    grid.locator('[role="gridcell"]').first.wait_for(state="attached", timeout=15000)
    rows = grid.locator('[role="row"]')
    out = []
    for i in range(1, rows.count()):  # row 0 is the header
        cells = rows.nth(i).locator('[role="gridcell"]')
        out.append([cells.nth(j).text_content() for j in range(cells.count())])
    return out


def test_an_ingest_while_the_dashboard_is_open(server, page, live_db, dashboard_source, coachlens_env, tmp_path):
    """`coachlens ingest` runs while the dashboard process serves the warehouse: the ingest is not
    blocked, the page shows no error, and the next interaction shows the new load."""
    page.goto(f"{server}/quality")
    _settle(page)
    before = _loads(page)
    assert before, "no loads table"
    # A changed programs file (same programs, rows in another order): a new load that replaces by key.
    lines = (dashboard_source / "programs.csv").read_text().splitlines()
    (tmp_path / "programs_reload.csv").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    t0 = time.monotonic()
    done = subprocess.run([str(Path(sys.executable).with_name("coachlens")), "ingest", str(tmp_path / "programs_reload.csv"),
                           "--db", str(live_db)], cwd=ROOT, env=coachlens_env(live_db), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - t0 < 60
    _assert_no_exception(page, "quality page during an ingest")
    # The next interaction: pick a program in the sidebar.
    box = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Program", exact=True)
    box.click()
    if box.get_attribute("aria-expanded") != "true":
        box.press("ArrowDown")
    page.get_by_role("option").nth(1).click()
    _settle(page)
    _assert_no_exception(page, "quality page after an ingest")
    after = _loads(page)
    assert len(after) == len(before) + 1, (len(before), len(after))
    assert after[0][1] == "programs_reload.csv", after[0]
