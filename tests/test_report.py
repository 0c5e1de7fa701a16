"""The sponsor report: self-contained (no network request in a real browser), no figure resting on fewer
than k people, and a PDF from headless chromium."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium (make browser-deps)")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory, key, settings, instruments) -> Path:
    from pipelines.ingest.run import ingest

    src = ROOT / "sample_data"
    if not (src / "people.csv").exists():
        from pipelines.generate import generate

        src = tmp_path_factory.mktemp("sample_src")
        generate(people=2000, seed=20261123, out=src)
    db = tmp_path_factory.mktemp("report_sample") / "sample.duckdb"
    ingest([src], db, key, settings, instruments)
    return db


@pytest.fixture(scope="module")
def report_file(sample_db, settings, tmp_path_factory) -> Path:
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.report import build_report

    out = tmp_path_factory.mktemp("report") / "report.html"
    out.write_text(build_report(Reader(sample_db).cursor(), Filters(), settings), encoding="utf-8")
    return out


@needs_chromium
def test_report_opens_in_chromium_with_zero_network_requests(report_file):
    from playwright.sync_api import sync_playwright

    requests, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report_file.as_uri())
            page.wait_for_load_state("networkidle")
            charts = page.locator(".plotly-graph-div .main-svg").count()
            text = page.inner_text("body")
        finally:
            browser.close()
    assert [u for u in requests if not u.startswith("file:")] == []
    assert errors == []
    assert charts >= 3                       # waterfall, tornado, ROI by program: plotly ran from the inlined JS
    for heading in ("Headline", "Method", "Assumptions used", "Anonymity rules applied"):
        assert heading in text
    html = report_file.read_text()
    # no external script, stylesheet or font (plotly.js itself is inlined; its bundle merely mentions URLs)
    assert "<script src" not in html and "<link" not in html and "@import" not in html


def test_report_holds_no_figure_on_fewer_than_k(sample_db, settings, tmp_path):
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.report import build_report
    from dashboard.roi.charts import money
    from dashboard.roi.view import roi

    cur = Reader(sample_db).cursor()
    open_ = roi(cur, Filters(), settings, by="program").table
    groups = open_[open_["program_id"] != "All"].sort_values("n")
    small = groups.iloc[0]
    k = int(small["n"]) + 1                 # this program now has fewer than k coached people
    strict = copy.deepcopy(settings)
    strict["anonymity"]["k"] = k
    html = build_report(cur, Filters(), strict)
    table_rows = [row.split("</tr>")[0] for row in html.split("<tr")[1:]]
    hidden_rows = [row for row in table_rows if f"({small['program_id']})" in row]
    assert hidden_rows and all(f"hidden: fewer than {k} people, or it would reveal a group that small" in r
                               for r in hidden_rows)
    # none of that program's own figures appears anywhere (tables or chart data)
    for figure in (money(small["benefits"]), money(small["costs"]), f"{small['estimate']:.6f}"[:8]):
        assert figure not in html, figure
    assert f"k = {k}" in html
    # the same report at the default k does show them (the check above can fail)
    assert money(small["benefits"]) in build_report(cur, Filters(), settings)


@needs_chromium
def test_pdf_is_produced(report_file, tmp_path):
    from dashboard.report import write_pdf

    pdf = write_pdf(report_file, tmp_path / "report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(data) > 10_000


def test_pdf_without_chromium_fails_with_a_clear_message(report_file, tmp_path, monkeypatch):
    from dashboard import report

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(report.ChromiumMissing, match="apt-get install -y chromium"):
        report.write_pdf(report_file, tmp_path / "x.pdf", chromium="/nonexistent/chromium")


def test_report_names_the_selection_as_the_sidebar_does(sample_db, settings):
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.report import build_report

    cur = Reader(sample_db).cursor()
    program, name = cur.execute("SELECT program_id, name FROM programs ORDER BY program_id").fetchone()
    html = build_report(cur, Filters(career_phase="mid", waves="baseline-follow_up"), settings)
    assert "Selection: Career phase: Mid career; Change measured from: baseline to follow-up." in html
    html = build_report(cur, Filters(program=program), settings).replace("&#x27;", "'")
    assert f"Selection: Program: {name} ({program})." in html
    assert "Selection: everyone in scope." in build_report(cur, Filters(), settings)


def test_report_command_takes_the_filters_the_readme_lists(sample_db, tmp_path):
    """`coachlens report ... --waves baseline-follow_up` (the README lists --waves among the filters of export
    and report; report did not have it)."""
    from typer.testing import CliRunner

    from pipelines.cli import app

    out = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["report", "--out", str(out), "--db", str(sample_db), "--career-phase", "mid",
                                 "--waves", "baseline-follow_up", "--by", "none"])
    assert r.exit_code == 0, r.output
    assert "Selection: Career phase: Mid career; Change measured from: baseline to follow-up." in out.read_text()


def test_report_with_its_total_suppressed_shows_no_group_or_intangible(sample_db, settings, monkeypatch):
    """As the ROI page, which then shows only that the ROI rests on fewer than k people: no group row, chart or
    intangible (rule 5), where the groups and intangibles followed the warning before."""
    import dashboard.roi.view as R
    from dashboard.anonymity import blank_suppressed
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.report import build_report
    from dashboard.roi.view import VALUES

    original = R.roi

    def total_hidden(*args, **kwargs):
        res = original(*args, **kwargs)
        res.table = blank_suppressed(res.table, (res.table["program_id"] == "All").to_numpy(), VALUES)
        return res

    cur = Reader(sample_db).cursor()
    shown = build_report(cur, Filters(), settings)
    assert "By program" in shown and "Beside the ROI" in shown
    monkeypatch.setattr(R, "roi", total_hidden)
    html = build_report(cur, Filters(), settings)
    assert "The ROI for this selection is not shown" in html
    assert "By program" not in html and "Beside the ROI" not in html and "<table" not in html
