"""Every dashboard page under AppTest, on the sample warehouse (tests/conftest.py, dashboard section).

What these protect:
* every page runs, on its own and through the router, without an exception;
* the numbers a page shows are the query layer's export of the same view and filters
  (`coachlens export ... --format json`), suppressed cells included as empty;
* a group under k (or one that would reveal such a group) reads "hidden", with the reason in the table, and
  shows no value, in the table and in the chart;
* a filter change changes the numbers and the URL; a shared link sets the filters; a crafted link
  is validated, not executed;
* a refused (differencing) selection shows the reason, not an exception;
* downloads carry exactly the table, with text cells neutralised against formula injection;
* with no warehouse, the page says how to load one.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES_DIR = ROOT / "dashboard" / "app_pages"
PAGES = ["overview", "outcomes", "cohorts", "retention", "roi", "coach", "quality"]
TIMEOUT = 60
K = 5


# -- helpers --------------------------------------------------------------------------------------------

# on_sample (tests/conftest.py): the pages read the sample warehouse

def page(name: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGES_DIR / f"{name}.py"), default_timeout=TIMEOUT)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, f"{name}: {[e.message for e in at.exception]}\n" + "\n".join(
        line for e in at.exception for line in e.stack_trace)
    return at


def export(db: Path, env_of, view: str, *args: str, table: str | None = None) -> dict:
    cmd = [str(Path(sys.executable).with_name("coachlens")), "export", view, "--db", str(db), "--format", "json", *args]
    done = subprocess.run(cmd, cwd=ROOT, env=env_of(db), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout)


def norm(value):
    """One comparable form for a cell shown by Streamlit and a cell exported as JSON."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 9)
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.isoformat().replace(" ", "T")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace(" ", "T") if _looks_like_timestamp(str(value)) else str(value)


def _looks_like_timestamp(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
        return len(text) > 10
    except ValueError:
        return False


def shown_table(at: AppTest, having: set[str], as_shown: bool = False) -> pd.DataFrame:
    """The first st.dataframe on the page whose columns include `having`, as data: the page's note column
    dropped and career phases in words back to their codes (presentation, not data); as_shown: as it is."""
    from dashboard.charts import FLAG_LABELS, PHASE_LABELS

    codes = {words: code for code, words in PHASE_LABELS.items()}
    flag_codes = {words: code for code, words in FLAG_LABELS.items()}
    for df in at.dataframe:
        value = df.value
        if having <= set(value.columns):
            if as_shown:
                return value
            value = value.drop(columns=[c for c in ("note",) if c in value.columns])
            for col in ("career_phase", "group"):
                if col in value:
                    value[col] = value[col].map(lambda v: codes.get(v, v))
            if "flags" in value:   # the flags in words back to their codes
                value["flags"] = value["flags"].map(
                    lambda v: ";".join(flag_codes.get(w, w) for w in v.split("; ")) if isinstance(v, str) and v else v)
            return value
    raise AssertionError(f"no table with columns {having}: {[list(d.value.columns) for d in at.dataframe]}")


def assert_same(shown: pd.DataFrame, records: list[dict], keys: list[str] | None = None) -> None:
    """The page's table equals the export: same columns, same rows, same values (suppressed = empty)."""
    exported = pd.DataFrame.from_records(records)
    assert list(shown.columns) == list(exported.columns), (list(shown.columns), list(exported.columns))
    if keys:
        wanted = {tuple(norm(v) for v in row) for row in shown[keys].itertuples(index=False)}
        exported = exported[[tuple(norm(v) for v in row) in wanted
                             for row in exported[keys].itertuples(index=False)]].reset_index(drop=True)
    assert len(shown) == len(exported), (len(shown), len(exported))
    for i in range(len(shown)):
        a = [norm(v) for v in shown.iloc[i].tolist()]
        b = [norm(v) for v in exported.iloc[i].tolist()]
        for col, x, y in zip(shown.columns, a, b):
            if isinstance(x, float) and isinstance(y, float):
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), (i, col, x, y)
            else:
                assert x == y, (i, col, x, y)


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def selectbox(at: AppTest, key: str):
    return at.selectbox(key=f"w_{key}")


# -- every page runs ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PAGES)
def test_every_page_runs_on_the_sample_warehouse(on_sample, name):
    at = page(name)
    assert at.title and at.title[0].value, f"{name}: no title"
    assert "No programs or enrolments" not in " ".join(i.value for i in at.info)
    assert at.sidebar.selectbox, f"{name}: no sidebar filters"


def test_the_router_reaches_every_page(on_sample):
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Overview"
    for name in PAGES[1:]:
        at.switch_page(str(PAGES_DIR / f"{name}.py")).run()
        assert not at.exception, (name, [e.message for e in at.exception])
        assert at.title[0].value


def test_no_pages_folder_beside_the_entry_script():
    """A dashboard/pages/ folder would switch Streamlit to its old multipage mode, which runs page
    files without the router (no st.navigation, no sections, deep links broken)."""
    assert not (ROOT / "dashboard" / "pages").exists(), "rename dashboard/pages/ : see dashboard/app.py"


# -- the numbers shown are the export's --------------------------------------------------------------------

def test_overview_shows_the_export(on_sample, coachlens_env):
    at = page("overview", {"career_phase": "mid"})
    shown = shown_table(at, {"metric", "measure", "estimate"})
    assert_same(shown, export(on_sample, coachlens_env, "overview", "--career-phase", "mid")["table"])
    # The headline cards are the same numbers.
    coached = shown[shown["metric"] == "coached"].iloc[0]
    value = coached["estimate"] if pd.notna(coached["estimate"]) else coached["n"]
    assert any(m.value == f"{int(value):,}" for m in at.metric), [m.value for m in at.metric]


def test_overview_offers_the_sponsor_report_built_on_click(on_sample, monkeypatch):
    """The button is there, but the report (the ROI again, 5 MB with plotly at scale) is built only when
    it is clicked: rendering the page never builds it (the click itself: tests/test_browser.py)."""
    import dashboard.report.ui as report_ui

    built = []
    monkeypatch.setattr(report_ui, "_report_html", lambda *a: built.append(a) or "<html></html>")
    for name in ("overview", "roi"):
        at = page(name)
        labels = [b.proto.label for b in at.get("download_button")]
        assert "Download sponsor report (HTML)" in labels, (name, labels)
    assert built == []


def test_the_report_download_of_a_refused_selection_says_why(monkeypatch):
    import dashboard.report.ui as report_ui

    monkeypatch.setattr(report_ui, "_report_html", lambda *a: None)
    body = report_ui.report_bytes((), (), "db", "v", None).decode()
    assert body.startswith("<!DOCTYPE html>") and "not available for this selection" in body
    monkeypatch.setattr(report_ui, "_report_html", lambda *a: "<!DOCTYPE html><p>the report</p>")
    assert report_ui.report_bytes((), (), "db", "v", None) == b"<!DOCTYPE html><p>the report</p>"


def test_outcomes_by_team_shows_the_export_and_fewer_than_k(on_sample, coachlens_env):
    at = page("outcomes", {"level": "team", "measure": "engagement"})
    shown = shown_table(at, {"career_phase", "team", "estimate"})
    assert_same(shown, export(on_sample, coachlens_env, "outcomes", "--measure", "engagement",
                              "--rows", "career_phase", "--cols", "team")["table"])
    hidden = shown[shown["suppressed"].astype(bool)]
    assert len(hidden), "the sample has teams under k: some cells must be suppressed"
    # No value behind a suppressed cell, and the marker beside it.
    for col in ("n", "estimate", "ci_low", "ci_high", "did"):
        assert hidden[col].isna().all(), col
    full = next(d.value for d in at.dataframe if "note" in d.value.columns and "team" in d.value.columns)
    assert (full.loc[full["suppressed"].astype(bool), "note"]
            == f"hidden: fewer than {K} people, or it would reveal a group that small").all()
    assert (full.loc[~full["suppressed"].astype(bool), "note"] == "").all()
    # The heatmap labels those cells "hidden" (on its grey layer) and carries no number for them: a cell hidden
    # beside a small one may hold many people, so it does not say "fewer than k".
    spec = plotly_specs(at)[0]
    grey, values = spec["data"][0], spec["data"][1]
    labels = [t.replace("<br>", " ") for row in grey["text"] for t in row]
    teams = [t for t in shown["team"].unique() if t != "All"]
    drawn = set(grey["x"]) - {"All"}
    from dashboard.charts.effects import MAX_HEATMAP_COLUMNS as MAX

    assert len(teams) > MAX and len(drawn) == MAX and f"of {len(teams)}" in spec["layout"]["title"]["text"]
    assert drawn <= set(teams)     # teams of several departments: their labels are their ids
    # the teams drawn are those with the most people (a hidden total counts as none)
    size = shown[shown["career_phase"] == "All"].set_index("team")["n"].fillna(0).drop("All")
    assert size.loc[sorted(drawn)].min() >= size.drop(sorted(drawn)).max()
    assert labels.count("hidden") == int(hidden["team"].isin(drawn | {"All"}).sum()) > 0
    assert not any("fewer" in t for t in labels)
    assert all(g == 1 for row_g, row_t in zip(grey["z"], grey["text"]) for g, t in zip(row_g, row_t) if t)
    for row in values["z"]:
        for z in row:
            assert z is None or isinstance(z, (int, float))


def test_cohorts_shows_the_export(on_sample, coachlens_env):
    at = page("cohorts", {"measure": "values_alignment"})
    shown = shown_table(at, {"cohort_id", "did", "estimate"})
    assert len(shown) >= 2
    assert_same(shown, export(on_sample, coachlens_env, "cohorts", "--measure", "values_alignment")["table"],
                keys=["cohort_id"])
    traj = shown_table(at, {"cohort_id", "role", "wave"})
    assert_same(traj, export(on_sample, coachlens_env, "cohorts", "--measure", "values_alignment")["extras"]["trajectories"],
                keys=["cohort_id", "role", "wave"])


def test_retention_shows_the_export(on_sample, coachlens_env):
    at = page("retention", {"split": "career_phase"})
    doc = export(on_sample, coachlens_env, "retention", "--split", "career_phase")
    assert_same(shown_table(at, {"group", "role", "logrank_p"}), doc["table"])
    assert_same(shown_table(at, {"group", "role", "month", "at_risk"}), doc["extras"]["curves"])
    # one panel per group, everyone first: the chart names the phases as the sidebar does, in their order
    spec = plotly_specs(at)[0]
    panels = [a["text"] for a in spec["layout"]["annotations"] if a.get("text") not in (None, "12 months")]
    phases = [n for n in panels if n.endswith("career")]
    assert panels[0] == "All" and phases and phases == [p for p in ("Early career", "Mid career", "Late career")
                                                         if p in phases]
    # two legend entries, coached and comparison, whatever the number of panels (ten lines on one plot before)
    legend = [t["name"] for t in spec["data"] if t.get("showlegend", True) and t.get("hovertext")]
    assert legend == ["Coached", "Comparison group"]
    # and one scale for every panel, so that they compare
    axes = [k for k in spec["layout"] if k.startswith("yaxis")]
    assert len(axes) >= len(panels) and all(spec["layout"][a].get("matches") == "y" for a in axes if a != "yaxis")


def _program_names(db: Path) -> dict[str, str]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT program_id, name FROM programs").fetchall())


def _trace_and_axis_labels(spec: dict) -> set[str]:
    out = {t.get("name") for t in spec["data"]}
    for t in spec["data"]:
        out |= {str(y) for y in (t.get("y") or []) if isinstance(y, str)}
    return {x for x in out if x}


def test_charts_name_programs_as_the_report_does(on_sample):
    """Broken down by program, the charts say "Values Alignment Coaching (P001)", not "P001" (the
    tables and the links keep the ids)."""
    names = _program_names(on_sample)
    first, pid = next((f"{n} ({p})", p) for p, n in sorted(names.items()))
    at = page("cohorts", {"compare": "program"})
    specs = plotly_specs(at)
    assert any(first + " - coached" in _trace_and_axis_labels(s) for s in specs)   # the trajectories
    assert any(first in _trace_and_axis_labels(s) for s in specs)                   # the forest plot
    assert pid in shown_table(at, {"program_id", "did"})["program_id"].tolist()    # the table keeps ids
    picker = at.multiselect[0]
    assert first in picker.options and pid in picker.value                         # names shown, ids kept
    at = page("retention", {"split": "program"})
    spec = plotly_specs(at)[0]
    panels = {a["text"] for a in spec["layout"]["annotations"]}
    assert first in panels and pid not in panels                                   # a panel per program, named
    # each line's hover names its group and role
    groups = {h.split(" - ")[0] for t in spec["data"] for h in (t.get("hovertext") or [])}
    assert len(groups) >= 3 and groups <= panels
    assert any(h.startswith(first + " - comparison group") for t in spec["data"] for h in (t.get("hovertext") or []))


def test_coach_page_shows_the_export_or_says_why_not(on_sample, coachlens_env):
    from dashboard import queries
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from pipelines.config import load_settings

    cur = Reader(on_sample).cursor()
    opts = queries.filter_options(cur)
    with_clients, too_few = None, None
    for coach in opts.coaches:
        try:
            res = queries.coach_impact(cur, Filters(), load_settings(), coach, measure="engagement")
        except queries.AnonymityRefused:
            continue
        if (~res.table["suppressed"].astype(bool)).any():
            with_clients = with_clients or coach
        else:
            too_few = too_few or coach
        if with_clients and too_few:
            break
    assert with_clients, "the sample needs a coach with at least k clients in both waves"
    at = page("coach", {"coach_id": with_clients})
    assert_same(shown_table(at, {"coach_id", "measure", "estimate"}),
                export(on_sample, coachlens_env, "coach", "--coach-id", with_clients)["table"])
    if too_few:
        at = page("coach", {"coach_id": too_few})
        assert any("Not enough clients" in i.value for i in at.info)
        assert not at.dataframe or all(d.value["estimate"].isna().all() for d in at.dataframe)


def test_quality_shows_the_export(on_sample, coachlens_env):
    at = page("quality")
    doc = export(on_sample, coachlens_env, "quality")
    assert_same(shown_table(at, {"check", "detail"}), doc["table"])
    assert_same(shown_table(at, {"cohort_id", "wave", "responded"}), doc["extras"]["response_rates"])


# -- filters, links, refusals ---------------------------------------------------------------------------

def test_changing_a_filter_changes_the_numbers_and_the_link(on_sample):
    at = page("overview")
    before = shown_table(at, {"metric", "estimate"})
    selectbox(at, "department").set_value(selectbox(at, "department").options[1]).run()
    assert not at.exception
    after = shown_table(at, {"metric", "estimate"})
    n = lambda t: t.loc[t["metric"] == "people_in_scope", ["n", "estimate"]].iloc[0].tolist()  # noqa: E731
    assert n(before) != n(after), "the department filter did not change the people in scope"
    assert "department" in at.query_params, dict(at.query_params)


def test_a_shared_link_sets_the_filters(on_sample):
    at = page("outcomes", {"career_phase": "late", "measure": "intent_to_stay", "waves": "baseline-follow_up"})
    assert selectbox(at, "career_phase").value == "late"
    assert at.selectbox(key="w_measure").value == "intent_to_stay"
    assert selectbox(at, "waves").value == "baseline-follow_up"
    shown = shown_table(at, {"career_phase", "estimate"})
    assert set(shown["career_phase"]) <= {"late", "All"}
    assert set(shown["measure"]) == {"intent_to_stay"}


def test_a_crafted_link_is_ignored_with_a_message(on_sample):
    at = page("overview", {"team": "=cmd|'/c calc'!A1", "program": "__import__('os').system('id')",
                           "date_from": "not-a-date", "waves": "pickle"})
    assert any("ignored" in w.value for w in at.warning), [w.value for w in at.warning]
    assert selectbox(at, "team").value == "All"
    assert selectbox(at, "program").value == "All"
    assert "program" not in at.query_params and "team" not in at.query_params


def _a_refused_selection(db: Path) -> dict:
    """A filter the differencing guard refuses on the sample, found through the query layer (its
    cheapest guarded view; the page must then refuse it too)."""
    from dashboard import queries
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from pipelines.config import load_settings

    cur = Reader(db).cursor()
    opts = queries.filter_options(cur)
    candidates = ([{"team": t} for t in opts.teams] + [{"department": d} for d in opts.departments]
                  + [{"cohort": c} for c in opts.cohorts] + [{"coach": c} for c in opts.coaches]
                  + [{"career_phase": p} for p in opts.phases])
    for params in candidates:
        try:
            queries.response_rates(cur, Filters.from_query_params(params, opts), load_settings())
        except queries.AnonymityRefused as exc:
            return {"params": params, "message": str(exc)}
    pytest.skip("no selection on the sample is refused by the differencing guard")


def test_a_refused_selection_shows_the_reason(on_sample):
    refused = _a_refused_selection(on_sample)
    at = page("overview", refused["params"])
    warnings = [w.value for w in at.warning]
    assert any("cannot be shown" in w and refused["message"] in w for w in warnings), warnings
    assert not at.metric and not at.dataframe, "a refused selection must show no numbers"


# -- downloads ------------------------------------------------------------------------------------------

def test_downloads_are_the_table_with_formulas_neutralised():
    import openpyxl

    from dashboard import components

    table = pd.DataFrame({"team": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "Plain"],
                          "n": pd.array([7, None, 9, 12, 30], dtype="Int64"),
                          "estimate": [0.5, None, -0.25, 0.1, 0.2],
                          "suppressed": [False, True, False, False, False]})
    csv = pd.read_csv(io.BytesIO(components.to_csv_bytes(table)), dtype={"team": str})
    assert list(csv["team"]) == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "Plain"]
    assert csv.loc[1, ["n", "estimate"]].isna().all()
    book = openpyxl.load_workbook(io.BytesIO(components.to_xlsx_bytes(table, "t", ["a note"])))
    sheet = book["t"]
    cells = [sheet.cell(row=r, column=1) for r in range(2, 7)]
    assert [c.value for c in cells] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "Plain"]
    assert all(c.data_type != "f" for c in cells)
    assert sheet.cell(row=3, column=2).value is None and sheet.cell(row=3, column=3).value is None
    assert book["notes"].cell(row=2, column=1).value == "a note"


# -- no warehouse ---------------------------------------------------------------------------------------

def test_without_a_warehouse_the_page_says_how_to_load_one(tmp_path, monkeypatch):
    monkeypatch.setenv("COACHLENS_DB", str(tmp_path / "none.duckdb"))
    at = page("overview")
    text = " ".join(i.value for i in at.info)
    assert "coachlens ingest" in text and "No data loaded yet" in text
    assert not at.metric and not at.dataframe


@pytest.mark.parametrize("name", PAGES)
def test_with_people_only_every_page_says_what_is_missing(people_only_db, monkeypatch, name):
    """The HR extract loaded first, nothing else yet: no page fails (the ROI page did, on the empty
    currency list), and each says enrolments are missing instead of only "fewer than k"."""
    monkeypatch.setenv("COACHLENS_DB", str(people_only_db))
    at = page(name)
    assert "No programs or enrolments loaded yet" in " ".join(i.value for i in at.info)


@pytest.fixture(scope="module")
def people_only_db(tmp_path_factory, key, settings, instruments):
    from pipelines.ingest.run import ingest

    db = tmp_path_factory.mktemp("people_only") / "wh.duckdb"
    ingest([ROOT / "sample_data" / "people.csv"], db, key, settings, instruments)
    return db


def test_choosing_a_department_drills_down_to_its_teams(on_sample, coachlens_env):
    from dashboard import queries
    from dashboard.db import Reader

    opts = queries.filter_options(Reader(on_sample).cursor())
    department = max(opts.departments, key=lambda d: sum(v == d for v in opts.team_department.values()))
    at = page("outcomes", {"department": department})
    shown = shown_table(at, {"career_phase", "team", "estimate"})
    teams = set(shown["team"]) - {"All"}
    assert teams and all(opts.team_department[t] == department for t in teams), teams
    assert_same(shown, export(on_sample, coachlens_env, "outcomes", "--department", department,
                              "--rows", "career_phase", "--cols", "team")["table"])


def test_filters_survive_a_page_switch(on_sample):
    """The sidebar filters are the view's state: switching pages keeps them (and puts them back in
    the address, which a page switch clears)."""
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=TIMEOUT)
    at.run()
    selectbox(at, "career_phase").set_value("late").run()
    assert at.query_params.get("career_phase") in ("late", ["late"])
    at.switch_page(str(PAGES_DIR / "outcomes.py")).run()
    assert not at.exception, [e.message for e in at.exception]
    assert selectbox(at, "career_phase").value == "late"
    shown = shown_table(at, {"career_phase", "estimate"})
    assert set(shown["career_phase"]) <= {"late", "All"}


def test_coach_page_asks_for_a_coach_first(on_sample):
    at = page("coach")
    assert any("Choose a coach" in i.value for i in at.info)
    assert not at.dataframe


def test_the_cohorts_compared_are_in_the_link(on_sample):
    at = page("cohorts")
    options = at.multiselect(key="w_pick_cohort").options
    assert len(options) >= 3
    picked = [options[-1], options[-2]]
    at = page("cohorts", {"pick_cohort": ",".join(picked)})
    assert at.multiselect(key="w_pick_cohort").value == picked
    assert set(shown_table(at, {"cohort_id", "did"})["cohort_id"]) == set(picked)
    at.multiselect(key="w_pick_cohort").select(options[0]).run()
    assert at.query_params.get("pick_cohort") in (",".join(picked + [options[0]]), [",".join(picked + [options[0]])])


@pytest.mark.parametrize("name,marts", [("outcomes", "mart_%"), ("roi", "mart_enrolments")])
def test_an_out_of_date_warehouse_says_how_to_rebuild_it(dashboard_db, tmp_path, monkeypatch, coachlens_env,
                                                         name, marts):
    """A warehouse built before a mart existed (every mart, or only the newest, mart_enrolments): the page
    and `coachlens export` say how to rebuild it, with no traceback."""
    import shutil

    import duckdb

    db = tmp_path / "old.duckdb"
    shutil.copy(dashboard_db, db)
    con = duckdb.connect(str(db))
    for table, kind in con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                   "WHERE table_name LIKE ? ORDER BY table_type DESC", [marts]).fetchall():
        con.execute(f'DROP {"VIEW" if kind == "VIEW" else "TABLE"} "{table}"')
    con.close()
    monkeypatch.setenv("COACHLENS_DB", str(db))
    at = page(name)
    assert any("older version of coachlens" in e.value and "coachlens ingest" in e.value for e in at.error), \
        [e.value for e in at.error]
    cmd = [str(Path(sys.executable).with_name("coachlens")), "export", name, "--db", str(db)]
    done = subprocess.run(cmd, cwd=ROOT, env=coachlens_env(db), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "older version of coachlens" in done.stderr and "Traceback" not in done.stderr, \
        done.stderr
