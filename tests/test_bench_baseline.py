"""The benchmark's pandas script (bench/pandas_baseline.py) computes what the views compute: checked
on sample_data/ against the warehouse built from the same files, so the speedups compare like with like."""

from __future__ import annotations

import duckdb
import pytest

from conftest import SAMPLE


@pytest.fixture(scope="module")
def pandas_data():
    from bench import pandas_baseline as PB

    return PB.prepare(SAMPLE)


def test_pandas_roi_headcount_and_costs_equal_the_roi_view(sample_warehouse, settings, pandas_data):
    from bench import pandas_baseline as PB
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.roi import roi

    view = roi(Reader(sample_warehouse).cursor(), Filters(), settings).table.set_index("program_id")
    script = PB.roi(pandas_data).set_index("program_id")
    assert len(script) == 4 and (script["headcount"] > 0).all()
    for program, row in script.iterrows():
        assert row["headcount"] == view.loc[program, "n"]
        assert row["costs"] == pytest.approx(view.loc[program, "costs"], rel=1e-9)   # to the cent
    assert script["roi_low"].lt(script["roi_pct"]).all() and script["roi_pct"].lt(script["roi_high"]).all()


def test_pandas_coach_reads_the_coachs_matched_panel(sample_warehouse, pandas_data):
    from bench import pandas_baseline as PB

    con = duckdb.connect(str(sample_warehouse), read_only=True)
    coaches = [r[0] for r in con.execute("SELECT DISTINCT coach_id FROM enrolments WHERE coach_id IS NOT NULL "
                                         "ORDER BY coach_id LIMIT 4").fetchall()]
    for coach in coaches:
        want = con.execute("SELECT count(*) FROM mart_panel WHERE role = 'coached' AND coach_id = ? "
                           "AND baseline_engagement IS NOT NULL AND post_engagement IS NOT NULL", [coach]).fetchone()[0]
        got = PB.coach(pandas_data, coach)
        total = got[(got["measure"] == "engagement") & (got["program_id"] == "All")]
        assert want > 0 and int(total["n"].iloc[0]) == want
    con.close()


def test_bench_ingest_alternates_runs_and_reports_medians(tmp_path):
    """The benchmark's ingest measurement, on sample_data/: every run loads every survey row, the
    ratio is of the medians, and the phases of the median run add up to its time."""
    from bench.run import bench_ingest

    r = bench_ingest(SAMPLE, tmp_path, repeats=3)
    runs = r["runs"]
    assert len(runs["bare_s"]) == len(runs["ingest_s"]) == len(runs["phases_s"]) == 3
    assert r["ingest_s"] == sorted(runs["ingest_s"])[1] and r["bare_s"] == sorted(runs["bare_s"])[1]
    assert r["ingest_ratio"] == pytest.approx(r["ingest_s"] / r["bare_s"])
    assert sum(r["phases_s"].values()) == pytest.approx(r["ingest_s"], rel=0.2)
    assert len(runs["bare_cpu_s"]) == len(runs["ingest_cpu_s"]) == 3 and min(runs["ingest_cpu_s"]) > 0
    assert r["ingest_cpu_ratio"] == pytest.approx(sorted(runs["ingest_cpu_s"])[1] / sorted(runs["bare_cpu_s"])[1])
    con = duckdb.connect(str(r["db"]), read_only=True)
    rows_in, loaded, stored = con.execute(
        "SELECT sum(rows_in), sum(rows_loaded), (SELECT count(*) FROM survey_responses) FROM load_batches "
        "WHERE entity = 'survey'").fetchone()
    con.close()
    assert r["survey_rows"] == rows_in and loaded == stored > 0


def test_bench_scale_measures_each_size_and_its_growth(tmp_path, monkeypatch):
    """`make bench-scale` on two small generated organisations (into a temporary folder, not
    bench/data/): each point counts what it loaded, the panel's rows and every view, and the table's
    growth column compares each size with the smallest."""
    import bench.run as BR
    from bench import scale

    monkeypatch.setattr(BR, "DATA", tmp_path)
    monkeypatch.setenv("COACHLENS_SECRET", BR.SECRET)
    points = [scale.measure(n) for n in (500, 1000)]
    for p in points:
        folder = tmp_path / f"people-{p['people']}"
        con = duckdb.connect()
        rows = sum(con.execute("SELECT count(*) FROM read_csv(?)", [str(f)]).fetchone()[0]
                   for f in sorted(folder.glob("survey_*.csv")))
        con.close()
        assert p["survey_rows"] == rows > 0
        assert p["panel_rows"] > 0 and p["warehouse_mb"] > 0 and p["peak_rss_mb"] > 0
        assert set(p["views"]) == {"overview", "outcomes", "cohorts", "retention", "coach", "quality", "roi"}
        assert all(v["warm_s"] > 0 for v in p["views"].values())
    assert points[1]["survey_rows"] > points[0]["survey_rows"]
    table = {label: values for label, values, _ in scale.rows({"points": points})}
    assert table["survey rows"] == [p["survey_rows"] for p in points]
    assert table["ingest / bare"] == [p["ingest"]["ingest_ratio"] for p in points]


def test_bench_filtered_times_each_view_under_each_filter(sample_warehouse):
    """`make bench`'s filtered views, on the sample: each view but the coach's under a department, a program
    and a career phase that it shows, a filter's first value and its next, and nothing kept after."""
    from bench.filtered import FILTER_DIMENSIONS, bench_filtered
    from dashboard.queries import common

    r = bench_filtered(sample_warehouse, repeats=1)
    assert set(r) == {"overview", "outcomes", "cohorts", "retention", "quality", "roi"}
    for name, dims in r.items():
        assert set(dims) <= set(FILTER_DIMENSIONS) and "program" in dims, name
        assert all(d["first_s"] > 0 and d["next_s"] > 0 for d in dims.values())
    assert not common._PARENTS


def test_bench_priming_times_priming_and_each_page_after_it(sample_warehouse):
    """`make bench`'s priming, on the sample: what priming ran, then each page's first view under each
    primed filter's other value, computing no parent count that priming had not, and nothing kept after."""
    from bench.filtered import bench_priming
    from dashboard import prime
    from dashboard.queries import common

    r = bench_priming(sample_warehouse, repeats=1)
    assert r["seconds"] > 0 and r["cpu_s"] > 0 and r["views"] >= 5 * len(prime.PRIMED)
    assert set(r["filters"]) == set(prime.PRIMED)
    assert r["parents_computed"] == 0
    assert set(r["after_s"]) == {"overview", "roi", "outcomes", "cohorts", "retention", "quality"}
    assert set(r["after_s"]["quality"]) <= set(prime.OFFERS["quality"])
    assert set(r["after_s"]["overview"]) == set(prime.PRIMED), "a page offering every filter is timed under each"
    assert not common._PARENTS


def test_bench_options_times_the_pages_other_choices(sample_warehouse):
    """`make bench`'s non-default page choices, on the sample: each runs and is timed."""
    from bench.filtered import bench_options, option_views

    r = bench_options(sample_warehouse, repeats=1)
    assert set(r) == set(option_views(None, {})) and len(r) == 7
    assert all(s > 0 for s in r.values())


def test_bench_renders_the_pages_other_choices(sample_warehouse, monkeypatch):
    """`make bench`'s page renders under the pages' other choices, on the sample: each runs without an
    exception, and the choice took effect (the table it shows is broken down as chosen)."""
    from bench.pages import page_options, render

    monkeypatch.setenv("COACHLENS_PRIME", "0")
    shown_by = {"outcomes by team, every department": "team", "outcomes, the largest department's teams": "team",
                "cohorts by program": "program_id", "retention by program": "group", "roi by cohort": "cohort_id"}
    options = page_options(sample_warehouse)
    assert set(options) == set(shown_by)
    for name, (page, params, state) in options.items():
        r = render(sample_warehouse, page, params, state, keep=True)
        assert not r["exception"] and r["cold_s"] > 0 and r["warm_s"] > 0, name
        columns = set().union(*(set(d.value.columns) for d in r["app"].dataframe))
        assert shown_by[name] in columns, (name, columns)
    # the department drilled into is the one with the most teams (the largest heatmap)
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        teams = dict(con.execute("SELECT department, count(*) FROM teams GROUP BY ALL").fetchall())
    assert teams[options["outcomes, the largest department's teams"][1]["department"]] == max(teams.values())
