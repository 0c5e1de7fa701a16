"""ROI (Phillips ROI Methodology): the arithmetic against a hand calculation, its invariants, the
Monte Carlo interval, the cost SQL on a hand-built warehouse, and the k rules on the sample warehouse."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from pathlib import Path

import pytest

from dashboard.roi.assumptions import AssumptionError, Assumptions
from dashboard.roi.model import RoiInputs, compute, estimate, tornado

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def assumptions(settings) -> Assumptions:
    return Assumptions.from_settings(settings)


def hand_inputs(**changes) -> RoiInputs:
    # 40 coached: 25 professionals in band 45-60k (52,500, multiplier 0.5) and 15 managers in band
    # 60-80k (70,000, multiplier 0.6), the shipped settings.toml values.
    base = RoiInputs(headcount=40, n_comparison=200, attrition_coached=0.10, attrition_comparison=0.20,
                     coaching_fees=50_000.0, session_hours=235.5, program_admin_cost=2_000.0,
                     salary_mix=(("professional", "45-60k", 25), ("manager", "60-80k", 15)))
    return replace(base, **changes)


def test_roi_equals_the_hand_calculation_to_the_cent(assumptions):
    r = compute(hand_inputs(), assumptions)
    # avoided exits = (0.20 - 0.10) x 40 = 4
    assert r.avoided_exits == pytest.approx(4.0)
    # cost of one exit = (25 x 52,500 x 0.5 + 15 x 70,000 x 0.6) / 40 = 1,286,250 / 40 = 32,156.25
    assert round(r.cost_per_exit, 2) == 32_156.25
    # benefits = 4 x 32,156.25 x attribution 0.5 = 64,312.50
    assert round(r.benefits, 2) == 64_312.50
    # costs = fees 50,000 + time 235.5 h x 45 = 10,597.50 + admin 2,000 + 40 x 250 = 12,000 -> 72,597.50
    assert round(r.time_cost, 2) == 10_597.50
    assert round(r.admin_cost, 2) == 12_000.00
    assert round(r.costs, 2) == 72_597.50
    assert round(r.net_benefit, 2) == -8_285.00
    # ROI % = -8,285 / 72,597.50 x 100 = -11.41%; BCR = 64,312.50 / 72,597.50 = 0.8859
    assert round(r.roi_pct, 4) == -11.4122
    assert round(r.bcr, 4) == 0.8859
    # break-even attribution = 72,597.50 / (4 x 32,156.25) = 0.5644
    assert round(r.break_even_attribution, 4) == 0.5644
    assert compute(hand_inputs(), assumptions.with_(attribution_share=r.break_even_attribution)).roi_pct \
        == pytest.approx(0.0, abs=1e-9)


def test_zero_attrition_difference_gives_no_benefit_and_minus_100_percent(assumptions):
    r = compute(hand_inputs(attrition_coached=0.2, attrition_comparison=0.2), assumptions)
    assert r.benefits == 0
    assert r.roi_pct == pytest.approx(-100.0)
    assert r.bcr == 0
    assert math.isinf(r.break_even_attribution)


def test_doubling_attribution_doubles_benefits_and_leaves_costs(assumptions):
    low = compute(hand_inputs(), assumptions.with_(attribution_share=0.3))
    high = compute(hand_inputs(), assumptions.with_(attribution_share=0.6))
    assert high.benefits == pytest.approx(2 * low.benefits, rel=1e-12)
    assert high.costs == low.costs


def test_assumptions_outside_their_range_are_refused(assumptions):
    with pytest.raises(AssumptionError, match="attribution_share"):
        assumptions.with_(attribution_share=0.95)
    with pytest.raises(AssumptionError, match="turnover_multiplier"):
        assumptions.with_(turnover_multiplier_default=3.0)


def test_monte_carlo_interval_contains_the_point_and_narrows_with_a_larger_comparison_group(assumptions):
    widths = []
    for n0 in (40, 400, 4000):
        r = estimate(hand_inputs(n_comparison=n0), assumptions)
        assert r.roi_low <= r.roi_pct <= r.roi_high
        assert r.bcr_low <= r.bcr <= r.bcr_high
        assert 0 <= r.p_roi_positive <= 1
        widths.append(r.roi_high - r.roi_low)
    assert widths[0] > widths[1] > widths[2]
    # fixed seed: the same inputs give the same interval
    again = estimate(hand_inputs(n_comparison=40), assumptions)
    assert again.roi_high - again.roi_low == widths[0]


def test_probability_of_positive_roi_follows_the_evidence(assumptions):
    clear = estimate(hand_inputs(attrition_coached=0.02, attrition_comparison=0.40, n_comparison=4000,
                                 headcount=400, coaching_fees=100_000.0), assumptions)
    none_ = estimate(hand_inputs(attrition_coached=0.2, attrition_comparison=0.2), assumptions)
    assert clear.p_roi_positive > 0.95
    assert none_.p_roi_positive < 0.5


def test_a_small_coached_group_with_no_exits_is_not_taken_as_certain(assumptions):
    """10 coached people, no voluntary exit: the retention interval is not (1, 1), and neither it nor a
    zero-width interval gives the Monte Carlo an SE of 0 (which narrowed the ROI interval)."""
    import numpy as np

    from dashboard import stats
    from dashboard.roi.model import se_from_interval

    _, low, high = stats.km_at(stats.km_fit(np.full(10, 14.0), np.zeros(10, bool), np.ones(10)), 12)
    assert low < 1.0
    inp = hand_inputs(headcount=10, attrition_coached=0.0, se_comparison=0.02)
    certain = estimate(replace(inp, se_coached=0.0), assumptions)
    for se in (se_from_interval(low, high), se_from_interval(1.0, 1.0)):    # the latter: binomial, Agresti-Coull
        assert se is None or se > 0
        r = estimate(replace(inp, se_coached=se), assumptions)
        assert r.roi_high - r.roi_low > certain.roi_high - certain.roi_low
    assert replace(inp, se_coached=None).se_difference > 0.02



    rows = tornado(hand_inputs(), assumptions)
    assert {r["assumption"] for r in rows} == {"attrition_difference", "turnover_multiplier", "attribution_share",
                                               "participant_hourly_cost", "admin_cost_per_participant"}
    swings = [r["swing"] for r in rows]
    assert swings == sorted(swings, reverse=True)
    base = compute(hand_inputs(), assumptions).roi_pct
    for r in rows:
        assert min(r["roi_at_low"], r["roi_at_high"]) <= base + 1e-9 <= max(r["roi_at_low"], r["roi_at_high"]) + 2e-9


# -- the cost SQL on a hand-built warehouse ------------------------------------------------------------

COST_FILES = {
    "programs.csv": """
        program_id,name,type,cost_per_participant,total_cost,admin_cost,currency
        P1,Alignment,alignment,1250.00,,2000.00,GBP
        P2,Exec,executive_career,,9000.00,,GBP
    """,
    "people.csv": """
        employee_id,department,team,job_level,hire_date,salary_band
        E01,Ops,A,professional,2020-01-01,45-60k
        E02,Ops,A,professional,2020-01-01,45-60k
        E03,Ops,A,professional,2020-01-01,45-60k
        E04,Ops,A,manager,2020-01-01,60-80k
        E05,Ops,A,manager,2020-01-01,60-80k
        E06,Ops,A,manager,2020-01-01,60-80k
        E07,Ops,B,director,2020-01-01,150-250k
        E08,Ops,B,director,2020-01-01,150-250k
        E09,Ops,B,director,2020-01-01,150-250k
        E10,Ops,B,director,2020-01-01,150-250k
    """,
    "enrolments.csv": """
        employee_id,program_id,cohort_id,coach_id,start_date,end_date,sessions_planned,sessions_attended,status
        E01,P1,C1,K1,2024-01-10,2024-06-30,6,6,completed
        E02,P1,C1,K1,2024-01-10,2024-06-30,6,6,completed
        E03,P1,C1,K1,2024-01-10,2024-06-30,6,6,completed
        E04,P1,C1,K1,2024-01-10,2024-06-30,6,6,completed
        E05,P1,C1,K1,2024-01-10,2024-06-30,6,5,withdrawn
        E06,P1,C1,K1,2024-01-10,2024-06-30,6,,completed
        E07,P2,C2,K2,2024-02-01,2024-09-30,4,4,completed
        E08,P2,C2,K2,2024-02-01,2024-09-30,4,4,completed
        E09,P2,C2,K2,2024-02-01,2024-09-30,4,4,completed
        E10,P1,W1,K1,2024-01-10,2024-06-30,6,,waitlist
    """,
    "sessions.csv": """
        employee_id,coach_id,date,duration_minutes
        E01,K1,2024-01-15,90
        E01,K1,2024-02-15,90
        E01,K1,2024-03-15,90
        E01,K1,2024-08-01,90
    """,
}


def test_costs_sql_prices_fees_time_and_admin_to_the_cent(tmp_path, load, settings):
    from conftest import write_files
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.roi.view import _grouped

    load(write_files(tmp_path / "in", COST_FILES))
    cur = Reader(tmp_path / "wh.duckdb").cursor()
    got = _grouped(cur, "costs", {**Filters().params(), "session_hours": 1.0}, "program").set_index("grp")
    # P1: 6 coached (E10 is waitlisted); fees 6 x 1,250; admin_cost 2,000 shared by P1's 6 enrolments;
    # hours: E01 3 x 90 min inside the enrolment (the August session is outside) = 4.5 h, E02-E04 6 x 1 h,
    # E05 5 x 1 h (attended), E06 6 x 1 h (planned: attended unknown) -> 4.5 + 18 + 5 + 6 = 33.5 h
    assert int(got.loc["P1", "headcount"]) == 6
    assert round(float(got.loc["P1", "coaching_fees"]), 2) == 7_500.00
    assert round(float(got.loc["P1", "program_admin_cost"]), 2) == 2_000.00
    assert round(float(got.loc["P1", "session_hours"]), 2) == 33.50
    # P2: total_cost 9,000 shared by its 3 enrolments; no admin_cost; 3 x 4 sessions x 1 h
    assert round(float(got.loc["P2", "coaching_fees"]), 2) == 9_000.00
    assert round(float(got.loc["P2", "program_admin_cost"]), 2) == 0.00
    assert round(float(got.loc["P2", "session_hours"]), 2) == 12.00
    assert int(got.loc["All", "headcount"]) == 9
    assert round(float(got.loc["All", "coaching_fees"]), 2) == 16_500.00
    mix = _grouped(cur, "salary_mix", Filters().params(), "program",
                   __import__("dashboard.roi.view", fromlist=["_G_MIX"])._G_MIX)
    p2 = mix[mix["grp"] == "P2"]
    assert list(zip(p2["job_level"], p2["salary_band"], p2["people"])) == [("director", "150-250k", 3)]


# -- the view on the sample warehouse: the k rules -------------------------------------------------------

@pytest.fixture(scope="module")
def sample_db(tmp_path_factory, key, settings, instruments) -> Path:
    """sample_data/ ingested (or, until it is committed, the generator's output for the same seed)."""
    from pipelines.ingest.run import ingest

    src = ROOT / "sample_data"
    if not (src / "people.csv").exists():
        from pipelines.generate import generate

        src = tmp_path_factory.mktemp("sample_src")
        generate(people=2000, seed=20261123, out=src)
    db = tmp_path_factory.mktemp("roi_sample") / "sample.duckdb"
    ingest([src], db, key, settings, instruments)
    return db


@pytest.mark.parametrize("by", ["program", "cohort", "career_phase"])
def test_grouped_statements_equal_one_statement_per_group(sample_db, by):
    """costs, salary_mix and baseline give a breakdown's groups and its total row "All" from one statement
    (grouping sets): each group's rows equal the ungrouped statement under the filter selecting that group,
    and the total rows the ungrouped statement."""
    import pandas as pd

    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.roi.view import _G_BASE, _G_COSTS, _G_MIX, _grouped

    cur = Reader(sample_db).cursor()
    field = {"program": "program", "cohort": "cohort", "career_phase": "career_phase"}[by]

    def params(f):
        return {**f.params(), "session_hours": 1.0}

    for name, gmap in (("costs", _G_COSTS), ("salary_mix", _G_MIX), ("baseline", _G_BASE)):
        both = _grouped(cur, name, params(Filters()), by, gmap)
        groups = [g for g in both["grp"].unique() if g != "All"]
        assert len(groups) >= 2, name
        expected = [_grouped(cur, name, params(Filters(**{field: g})), None, gmap).assign(grp=g) for g in groups]
        expected.append(_grouped(cur, name, params(Filters()), None, gmap))
        pd.testing.assert_frame_equal(both, pd.concat(expected, ignore_index=True), check_dtype=False, rtol=1e-9,
                                      obj=f"{name} by {by}")


def test_baseline_statement_equals_a_direct_computation(sample_db):
    """The baseline comparability per program and role, and its total row, equal pandas over the panel
    rows with a baseline: distinct people (a comparison person is in several cohorts' panels, and the
    total counts them once), means and sample SDs."""
    import duckdb
    import pandas as pd

    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.roi.view import _G_BASE, _grouped

    got = _grouped(Reader(sample_db).cursor(), "baseline", {**Filters().params(), "session_hours": 1.0},
                   "program", _G_BASE)
    with duckdb.connect(str(sample_db), read_only=True) as con:
        rows = con.execute("SELECT program_id, role, pid, baseline_intent_to_stay AS stay, baseline_engagement AS eng "
                           "FROM mart_panel WHERE baseline_rid IS NOT NULL").df()
    expected = []
    for grp, part in [*rows.groupby("program_id"), ("All", rows)]:
        for role, r in part.groupby("role"):
            row = {"grp": grp, "role": role}
            for m in ("stay", "eng"):
                x = r[r[m].notna()]
                row.update({f"n_{m}": x["pid"].nunique(), f"mean_{m}": x[m].mean(), f"sd_{m}": x[m].std(ddof=1)})
            expected.append(row)
    expected = pd.DataFrame(expected)[list(got.columns)]
    assert (expected["grp"] == "All").any() and expected["n_stay"].max() > expected["n_stay"].min()
    # a comparison person sits in several programs' panels: the total is not the sum of the groups
    comp = expected[expected["role"] == "comparison"]
    assert comp.loc[comp["grp"] == "All", "n_stay"].iloc[0] < comp.loc[comp["grp"] != "All", "n_stay"].sum()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False, rtol=1e-9)


def test_roi_view_suppresses_groups_under_k(sample_db, settings):
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.roi.view import VALUES, roi

    cur = Reader(sample_db).cursor()
    open_ = roi(cur, Filters(), settings, by="program").table
    groups = open_[open_["program_id"] != "All"]
    assert not open_["suppressed"].any()
    smallest = groups.sort_values("n").iloc[0]
    k = int(smallest["n"]) + 1                      # the smallest program now sits under k
    strict = copy.deepcopy(settings)
    strict["anonymity"]["k"] = k
    res = roi(cur, Filters(), strict, by="program")
    t = res.table.set_index("program_id")
    assert res.k == k
    assert bool(t.loc[smallest["program_id"], "suppressed"])
    for col in VALUES:
        assert t.loc[t["suppressed"], col].isna().all() | (t.loc[t["suppressed"], col] == "").all(), col
    # complementary suppression: it is not the only hidden group, and the total stays shown
    assert t.drop(index="All")["suppressed"].sum() >= 2
    assert not bool(t.loc["All", "suppressed"])
    assert (t.loc[~t["suppressed"], "n"] >= k).all()
    # tornado and waterfall exist only for shown groups
    assert set(res.tornado["program_id"]) <= set(t.index[~t["suppressed"]])
    assert "fewer than" in " ".join(res.notes)


def test_roi_view_total_on_sample_has_interval_and_probability(sample_db, settings):
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.roi.view import roi

    res = roi(Reader(sample_db).cursor(), Filters(), settings, by=None)
    row = res.table.iloc[0]
    assert row["group"] == "All" and not row["suppressed"]
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
    assert 0 <= row["p_roi_positive"] <= 1
    assert row["costs"] == pytest.approx(row["coaching_fees"] + row["time_cost"] + row["admin_cost"])
    assert set(res.intangibles["measure"]) == {"engagement", "motivation_sdi", "values_alignment"}


def test_roi_page_runs_adjusts_and_restores(sample_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dashboard.db import Reader
    from dashboard.filters import Filters
    from pipelines.config import load_settings

    monkeypatch.setenv("COACHLENS_DB", str(sample_db))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app_pages" / "roi.py"), default_timeout=60).run()
    assert not at.exception
    roi_default = at.metric[0].value
    assert roi_default.endswith("%")
    # the net benefit fits its tile (-GBP 1.58M), the exact amount is in the caption beside it
    from dashboard.roi.charts import money, money_short
    from dashboard.roi.view import roi

    total = roi(Reader(sample_db).cursor(), Filters(), load_settings(), by=None).table.iloc[0]
    net = at.metric[3]
    assert net.label == "Net benefit" and net.value == money_short(total["net_benefit"], total["currency"])
    assert len(net.value) <= 11
    assert any(c.value.startswith(money(total["net_benefit"], total["currency"]) + ": benefits") for c in at.caption)
    # by program (the default), the chart names the programs as the sponsor report does
    import json

    import duckdb

    with duckdb.connect(str(sample_db), read_only=True) as con:
        names = dict(con.execute("SELECT program_id, name FROM programs").fetchall())
    ys = {y.split("<br>")[0] for el in at.get("plotly_chart") for t in json.loads(el.proto.spec)["data"] for y in (t.get("y") or [])
          if isinstance(y, str)}
    assert {f"{n} ({p})" for p, n in names.items()} <= ys      # every program is shown on the sample
    assert not any(p in ys for p in names)
    # by career phase, the phases as the sidebar names them
    at.selectbox(key="w_by").set_value("career_phase").run()
    assert not at.exception
    ys = {y.split("<br>")[0] for el in at.get("plotly_chart") for t in json.loads(el.proto.spec)["data"] for y in (t.get("y") or [])
          if isinstance(y, str)}
    assert "Mid career" in ys and "mid" not in ys
    assert at.query_params["by"] == "career_phase"            # the choice travels with the link
    at.selectbox(key="w_by").set_value("program").run()
    assert "by" not in at.query_params                        # the default needs none
    at.slider(key="roi_attribution").set_value(0.8).run()
    assert not at.exception
    assert at.metric[0].value != roi_default
    at.button(key="roi_restore").click().run()
    assert at.slider(key="roi_attribution").value == 0.5
    assert at.metric[0].value == roi_default


@pytest.mark.parametrize("value,text", [(950, "GBP 950"), (9999, "GBP 9,999"), (16934, "GBP 16.9k"),
                                        (999_499, "GBP 999k"), (999_500, "GBP 1M"), (-1_577_845, "-GBP 1.58M"),
                                        (12_345_678, "GBP 12.3M"), (float("nan"), "-")])
def test_money_short_fits_a_metric_tile(value, text):
    from dashboard.roi.charts import money_short

    assert money_short(value, "GBP") == text


@pytest.mark.parametrize("benefit", [25_000.0, -25_000.0])
def test_the_waterfall_labels_are_readable_and_a_negative_benefit_is_said(benefit):
    """Its amounts at the page's text size, not shrunk to the bar (7 px in the browser review); a negative
    retention benefit (coached people left more often) is said under its bar, not left to read as a cost."""
    import pandas as pd

    from dashboard.roi import charts as rc

    steps = pd.DataFrame({"program_id": "All", "step": ["Coaching fees", "Participants' time", "Administration",
                                                        "Retention benefit", "Net benefit"],
                          "amount": [-100_000.0, -10_000.0, -5_000.0, benefit, -115_000.0 + benefit],
                          "kind": ["relative"] * 4 + ["total"]})
    fig = rc.waterfall(steps, "program_id", "All", "GBP")
    trace = fig.data[0]
    assert trace.textfont.size == 12 and trace.constraintext == "none"
    said = [t for t in (fig.layout.xaxis.ticktext or ()) if "negative: the" in t]
    assert len(said) == (1 if benefit < 0 else 0)


def test_a_flagged_group_says_so_on_the_roi_chart():
    """The page warns "where flagged, ... not comparable at baseline": the flagged group says so beside its
    name on the chart (the flags were in the table alone)."""
    import pandas as pd

    from dashboard.roi import charts as rc

    table = pd.DataFrame({"program_id": ["All", "P1", "P2"], "estimate": [-50.0, -80.0, 20.0],
                          "ci_low": [-90.0, -120.0, -10.0], "ci_high": [-10.0, -40.0, 50.0], "n": [60, 30, 30],
                          "p_roi_positive": [0.0, 0.0, 0.8], "flags": ["not_comparable", "", "indicative"],
                          "suppressed": [False, False, False]})
    fig = rc.roi_by_group(table, "program_id", 5, names={"P1": "Program one (P1)"})
    ys = list(fig.data[0].y)
    assert ys[0].startswith("All<br>") and "not comparable at baseline" in ys[0]
    assert ys[1] == "Program one (P1)" and "indicative" in ys[2]
