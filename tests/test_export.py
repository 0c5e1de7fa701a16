"""`coachlens export`: the page's suppressed aggregates, JSON or CSV, formula-safe."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from dashboard.export_cli import neutralise, safe_csv_frame, to_safe_csv


def _wh_file(db, settings, coached):
    import duckdb

    from pipelines.warehouse import apply_migrations

    from fixtures_analytics import build

    con = duckdb.connect(str(db))
    apply_migrations(con)
    build(con, settings, coached=coached)
    con.close()
    return db


@pytest.fixture
def wh_file(tmp_path, settings):
    return _wh_file(tmp_path / "wh.duckdb", settings, (60, 4))     # cohort C2 has 4 coached: suppressed


@pytest.fixture
def wh_file_shown(tmp_path, settings):
    return _wh_file(tmp_path / "wh.duckdb", settings, (60, 50))    # every program and cohort shown


def test_formula_cells_neutralised():
    df = pd.DataFrame({"a": ["=1+1", "+x", "-2", "@SUM(A1)", "\tq", "\rr", "ok", None], "n": range(8)})
    out = safe_csv_frame(df)
    assert list(out["a"][:6]) == ["'=1+1", "'+x", "'-2", "'@SUM(A1)", "'\tq", "'\rr"]
    assert out["a"][6] == "ok" and out["a"][7] is None
    assert neutralise(-2) == -2
    assert "'=1+1" in to_safe_csv(df)


@pytest.mark.parametrize("view", ["overview", "outcomes", "cohorts", "retention", "quality"])
def test_export_equals_view_table(wh_file, settings, view):
    from pipelines.cli import app
    from pipelines.warehouse import open_read_only

    from dashboard.export_cli import run_view
    from dashboard.filters import Filters

    r = CliRunner().invoke(app, ["export", view, "--db", str(wh_file), "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    con = open_read_only(wh_file)
    want = run_view(con.cursor(), view, Filters(), settings).table
    con.close()
    assert len(doc["table"]) == len(want)
    for rec in doc["table"]:
        assert {"n", "estimate", "ci_low", "ci_high", "flags", "suppressed"} <= set(rec)
        if rec["suppressed"]:
            assert rec["n"] is None and rec["estimate"] is None and rec["ci_low"] is None
        elif rec["n"] is not None:
            assert rec["n"] >= 5 or view == "quality"
    c = CliRunner().invoke(app, ["export", view, "--db", str(wh_file), "--format", "csv"])
    assert c.exit_code == 0
    got = pd.read_csv(io.StringIO(c.stdout))
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)


def test_suppressed_cohort_in_export(wh_file):
    from pipelines.cli import app

    r = CliRunner().invoke(app, ["export", "cohorts", "--db", str(wh_file), "--format", "json"])
    rows = {x["cohort_id"]: x for x in json.loads(r.stdout)["table"]}
    assert rows["C2"]["suppressed"] is True and rows["C2"]["n"] is None


@pytest.mark.parametrize("view, args, want", [
    ("coach", ["--coach-id", "K2"], set()),                         # the page shows no by_program
    ("cohorts", [], {"trajectories"}),                              # nor the pooled row
    ("roi", [], {"tornado", "waterfall", "intangibles", "assumptions"}),
])
def test_export_carries_only_the_extras_its_page_shows(wh_file_shown, view, args, want):
    """Rule 5: no extra table the page does not show, and the ROI's waterfall and tornado of the total
    only (the page draws them for "All"); an extra the page does not show cannot be asked for as CSV."""
    from pipelines.cli import app

    r = CliRunner().invoke(app, ["export", view, "--db", str(wh_file_shown), "--format", "json", *args])
    assert r.exit_code == 0, r.output
    extras = json.loads(r.stdout)["extras"]
    assert set(extras) == want
    for name in {"tornado", "waterfall"} & want:
        assert extras[name] and {rec["program_id"] for rec in extras[name]} == {"All"}
    hidden = {"coach": "by_program", "cohorts": "pooled", "roi": None}[view]
    if hidden:
        c = CliRunner().invoke(app, ["export", view, "--db", str(wh_file_shown), "--format", "csv", "--table", hidden,
                                     *args])
        assert c.exit_code == 2 and "has no table" in c.output


def test_roi_export_with_its_total_suppressed_carries_only_that(wh_file_shown, settings, monkeypatch):
    """The ROI page shows only "rests on fewer than k people" when its total row is suppressed, so its export
    carries the suppressed total row and nothing else: no group row, no chart table, no intangibles."""
    import numpy as np

    from dashboard.anonymity import blank_suppressed
    from dashboard.export_cli import page_extras, render
    from dashboard.filters import Filters
    from dashboard.roi import view as V
    from dashboard.roi.export import export_view
    from pipelines.warehouse import open_read_only

    con = open_read_only(wh_file_shown)
    real = V.roi(con.cursor(), Filters(), settings)
    total = real.table["program_id"] == "All"
    assert not real.table.loc[total, "suppressed"].any() and len(real.table) > 1   # group rows to leave out

    original = V.roi

    def total_hidden(*args, **kwargs):
        res = original(*args, **kwargs)
        hide = (res.table["program_id"] == "All").to_numpy()
        res.table = blank_suppressed(res.table, hide, V.VALUES)
        return res

    monkeypatch.setattr(V, "roi", total_hidden)
    res = export_view(con.cursor(), Filters(), settings)
    con.close()
    assert list(res.table["program_id"]) == ["All"] and bool(res.table["suppressed"].iloc[0])
    assert np.isnan(float(res.table["estimate"].iloc[0])) and not page_extras(res, "roi")
    doc = json.loads(render(res, "roi", Filters(), "json"))
    assert len(doc["table"]) == 1 and doc["extras"] == {} and "fewer than 5 people" in doc["notes"][0]


def test_export_refusal_and_bad_filter(wh_file):
    from pipelines.cli import app

    r = CliRunner().invoke(app, ["export", "outcomes", "--db", str(wh_file), "--team", "nope"])
    assert r.exit_code == 2
    # an unknown value is answered with the closest known ones, or a few of them
    from dashboard.queries import filter_options
    from pipelines.warehouse import open_read_only

    con = open_read_only(wh_file)
    try:
        team = filter_options(con.cursor()).teams[0]
    finally:
        con.close()
    r = CliRunner().invoke(app, ["export", "outcomes", "--db", str(wh_file), "--team", team.lower()])
    assert r.exit_code == 2 and f"is not a known value; did you mean {team!r}" in r.output, r.output
    r = CliRunner().invoke(app, ["export", "outcomes", "--db", str(wh_file), "--department", "zzz"])
    assert r.exit_code == 2 and "is not a known value; " in r.output and "known, e.g. " in r.output, r.output
    r = CliRunner().invoke(app, ["export", "outcomes", "--db", str(wh_file), "--cohort", "C1", "--format", "csv"])
    assert r.exit_code in (0, 2)


def test_export_format_follows_the_out_suffix(wh_file, tmp_path):
    """--out results.csv without --format writes CSV (not JSON in a .csv file); .json and no suffix
    write JSON; an explicit --format wins over the suffix."""
    from pipelines.cli import app

    def export(*args):
        r = CliRunner().invoke(app, ["export", "cohorts", "--db", str(wh_file), *map(str, args)])
        assert r.exit_code == 0, r.output

    export("--out", tmp_path / "c.csv")
    table = pd.read_csv(tmp_path / "c.csv")
    assert "cohort_id" in table.columns and len(table) > 0
    export("--out", tmp_path / "c.json")
    assert json.loads((tmp_path / "c.json").read_text())["view"] == "cohorts"
    export("--out", tmp_path / "c.txt")
    assert json.loads((tmp_path / "c.txt").read_text())["view"] == "cohorts"
    export("--out", tmp_path / "forced.csv", "--format", "json")
    assert json.loads((tmp_path / "forced.csv").read_text())["view"] == "cohorts"
