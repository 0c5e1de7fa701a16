"""AppTest render seconds of the dashboard's pages at the benchmark's size: each page with its defaults, and
the pages' other choices (a breakdown by team, a department's teams, programs compared, retention by
program, the ROI by cohort), whose charts and tables can grow with the organisation where the defaults
do not: a department's teams once took minutes to draw at 250,000 people, unseen by a benchmark that
rendered the defaults only."""

from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES_DIR = ROOT / "dashboard" / "app_pages"


def render(db: Path, page: str, params: dict | None = None, state: dict | None = None, keep: bool = False) -> dict:
    """Seconds of a page's first run (cold) and of the next (warm, Streamlit's caches filled), and whether
    it raised. `params`: the page address's query parameters; `state`: widget values set beforehand (the
    sidebar choices that are not in the address). keep=True: the AppTest too (key "app"), to look at."""
    from streamlit.testing.v1 import AppTest

    os.environ["COACHLENS_DB"] = str(db)
    at = AppTest.from_file(str(PAGES_DIR / f"{page}.py"), default_timeout=600)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    for key, value in (state or {}).items():
        at.session_state[key] = value
    t = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t
    t = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t
    return {"cold_s": cold, "warm_s": warm, "exception": bool(at.exception), **({"app": at} if keep else {})}


def bench_pages(db: Path) -> dict:
    """Every page with its defaults: page name -> render()."""
    return {p.stem: render(db, p.stem) for p in sorted(PAGES_DIR.glob("*.py")) if not p.name.startswith("_")}


def page_options(db: Path) -> dict[str, tuple[str, dict, dict]]:
    """The pages' other choices: name -> (page, query parameters, widget state). The department is the
    one with the most teams."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        department = con.execute("SELECT department FROM teams GROUP BY ALL ORDER BY count(*) DESC, department "
                                 "LIMIT 1").fetchall()[0][0]
    return {
        "outcomes by team, every department": ("outcomes", {"level": "team"}, {}),
        "outcomes, the largest department's teams": ("outcomes", {"department": department}, {}),
        "cohorts by program": ("cohorts", {"compare": "program"}, {}),
        "retention by program": ("retention", {"split": "program"}, {}),
        "roi by cohort": ("roi", {"by": "cohort"}, {}),
    }


def bench_page_options(db: Path) -> dict:
    """render() of each of page_options(): name -> its seconds."""
    return {name: render(db, page, params, state) for name, (page, params, state) in page_options(db).items()}
