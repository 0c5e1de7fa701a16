"""On a small hand-built warehouse, every exported figure equals an independent pandas/scipy/lifelines
computation from the person-level rows (which only the test reads)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from dashboard import queries as q
from dashboard.filters import Filters


def _panel(con, measure="engagement", pre="baseline", post="post"):
    w = con.cursor().execute(
        "SELECT w.cohort_id, w.participant_key, w.role, w.wave, r.engagement, r.enps, p.career_phase, p.department "
        "FROM mart_response_waves w JOIN survey_responses r USING (response_id) "
        "JOIN mart_people p ON p.participant_key = w.participant_key").df()
    if measure == "enps_score":
        w["y"] = np.select([w.enps >= 9, w.enps <= 6], [100.0, -100.0], 0.0)
    else:
        w["y"] = w[measure]
    a = w[w.wave == pre].set_index(["cohort_id", "participant_key", "role"])["y"]
    b = w[w.wave == post].set_index(["cohort_id", "participant_key", "role"])["y"]
    p = pd.concat({"y0": a, "y1": b}, axis=1).dropna().reset_index()
    info = w.drop_duplicates("participant_key").set_index("participant_key")[["career_phase", "department"]]
    p = p.join(info, on="participant_key")
    p["d"] = p.y1 - p.y0
    return p


def _check_change(row, coached):
    n = len(coached)
    assert row["n"] == coached.participant_key.nunique()
    assert row["estimate"] == pytest.approx(coached.d.mean())
    lo, hi = sps.t.interval(0.95, n - 1, loc=coached.d.mean(), scale=sps.sem(coached.d))
    assert row["ci_low"] == pytest.approx(lo) and row["ci_high"] == pytest.approx(hi)
    assert row["p_value"] == pytest.approx(sps.ttest_rel(coached.y1, coached.y0).pvalue)
    j = 1 - 3 / (4 * (n - 1) - 1)
    assert row["g"] == pytest.approx(coached.d.mean() / coached.y0.std(ddof=1) * j)


@pytest.mark.parametrize("measure", ["engagement", "enps_score"])
def test_outcomes_cells_equal_pandas(small_wh, settings, measure):
    con, _ = small_wh
    res = q.outcomes(con.cursor(), Filters(), settings, measure=measure, rows="career_phase", cols="department")
    p = _panel(con, measure)
    shown = res.table[~res.table.suppressed]
    assert len(shown) >= 6
    for _, row in shown.iterrows():
        sel = p[p.role == "coached"]
        if row.career_phase != "All":
            sel = sel[sel.career_phase == row.career_phase]
        if row.department != "All":
            sel = sel[sel.department == row.department]
        _check_change(row, sel)


def test_cohort_did_equals_welch(small_wh, settings):
    con, _ = small_wh
    res = q.cohorts(con.cursor(), Filters(), settings, compare="cohort")
    p = _panel(con)
    for _, row in res.table.iterrows():
        c = p[(p.cohort_id == row.cohort_id) & (p.role == "coached")]
        k = p[(p.cohort_id == row.cohort_id) & (p.role == "comparison")]
        _check_change(row, c)
        t = sps.ttest_ind(c.d, k.d, equal_var=False)
        assert row["did"] == pytest.approx(c.d.mean() - k.d.mean())
        assert row["did_p_value"] == pytest.approx(t.pvalue)
        ci = t.confidence_interval(0.95)
        assert row["did_ci_low"] == pytest.approx(ci.low) and row["did_ci_high"] == pytest.approx(ci.high)
    # pooled over one program = the cohort itself (one cohort a program in the fixture)
    prog = q.cohorts(con.cursor(), Filters(), settings, compare="program").table
    for _, row in prog.iterrows():
        coh = res.table[res.table.program_id == row.program_id].iloc[0]
        assert row["did"] == pytest.approx(coh["did"])
        assert row["did_ci_low"] == pytest.approx(coh["did_ci_low"])


def test_pooled_did_is_panel_size_weighted(small_wh, settings):
    con, _ = small_wh
    res = q.cohorts(con.cursor(), Filters(), settings, compare="cohort")
    p = _panel(con)
    parts = []
    for cid, g in p.groupby("cohort_id"):
        c, k = g[g.role == "coached"], g[g.role == "comparison"]
        parts.append((len(c), c.d.mean() - k.d.mean()))
    w = np.array([n for n, _ in parts], float)
    want = float(np.dot(w / w.sum(), [x for _, x in parts]))
    assert res.pooled.iloc[0]["did"] == pytest.approx(want)


def test_retention_equals_lifelines(small_wh, settings):
    from lifelines import KaplanMeierFitter

    con, raw = small_wh
    res = q.retention(con.cursor(), Filters(), settings)
    people, enr = raw["people"].set_index("participant_key"), raw["enrolments"]
    as_of = q._as_of(con.cursor())
    first = enr.groupby("participant_key").start_date.min()
    dur, ev = [], []
    for key, start in first.items():
        pr = people.loc[key]
        stop = min(pr.exit_date or as_of, as_of)
        dur.append((stop - start).days / 30.4375)
        ev.append(pr.exit_type == "voluntary" and pr.exit_date is not None and pr.exit_date <= as_of)
    kmf = KaplanMeierFitter().fit(dur, ev)
    row = res.table[(res.table.group == "All") & (res.table.role == "coached")].iloc[0]
    assert row["n"] == len(first)
    assert row["estimate"] == pytest.approx(float(kmf.survival_function_at_times(12).iloc[0]))


def test_quality_counts_follow_the_program_filter(small_wh, settings):
    """Missing scores and unknown career phases count the people of the program's cohorts (the people
    the differencing check counts), not everyone whatever the program."""
    con, raw = small_wh
    cur = con.cursor()
    cur.execute("UPDATE survey_responses SET engagement = NULL WHERE response_id % 7 = 0")
    enr, resp = raw["enrolments"], raw["responses"]
    keys = set(enr.loc[enr.program_id == "P1", "participant_key"])
    mine = resp[resp.participant_key.isin(keys)]
    t = q.quality(cur, Filters(program="P1"), settings).table.set_index(["check", "detail"])
    row = t.loc[("missing score", "engagement")]
    assert row["n"] == len(mine)
    assert row["estimate"] == pytest.approx((mine.response_id % 7 == 0).mean())
    assert t.loc[("career phase unknown", "people"), "n"] == len(keys)


def test_response_rates_equal_counts(small_wh, settings):
    con, raw = small_wh
    res = q.response_rates(con.cursor(), Filters(), settings).table
    enr = raw["enrolments"]
    w = con.cursor().execute("SELECT cohort_id, wave, count(DISTINCT participant_key) AS x FROM mart_response_waves "
                             "WHERE role = 'coached' GROUP BY ALL").df()
    for _, row in res.iterrows():
        n = (enr.cohort_id == row.cohort_id).sum()
        x = w[(w.cohort_id == row.cohort_id) & (w.wave == row.wave)].x.sum()
        assert row["n"] == n and row["responded"] == x
        assert row["estimate"] == pytest.approx(x / n)


def test_enps_level_variance_is_multinomial():
    from dashboard.stats import enps_level

    est, lo, hi = enps_level(40, 20, 100)
    assert est == pytest.approx(20.0)
    se = 100 * np.sqrt((0.4 + 0.2 - 0.2 ** 2) / 100)
    assert hi - est == pytest.approx(1.959964 * se, rel=1e-5)


def test_filters_round_trip_and_validation(small_wh):
    from dashboard.filters import InvalidFilter

    con, _ = small_wh
    opts = q.filter_options(con.cursor())
    f = Filters.from_query_params({"team": "D1 / T1", "waves": "baseline-follow_up", "date_from": "2024-01-01"}, opts)
    assert Filters.from_query_params(f.to_query_params(), opts) == f
    for bad in ({"team": "D9 / X"}, {"waves": "post-baseline"}, {"date_from": "yesterday"},
                {"career_phase": "'; DROP TABLE people; --"}):
        with pytest.raises(InvalidFilter):
            Filters.from_query_params(bad, opts)
