"""The precomputed panel (pipelines/marts/03_mart_panel.sql) and the fast statements of the query layer
that read it equal the slow path (mart_response_waves x survey_responses x mart_people x enrolments)
on the sample warehouse and on the analytics fixture."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.filters import Filters
from dashboard.queries import sql as Q

WAVES = Q.WAVE_NAMES


def _df(con, sql, f: Filters, **extra):
    params = {**f.params(), "pre": f.pre, "post": f.post, **extra}
    return con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).df()


@pytest.fixture(scope="module")
def sample_con(sample_warehouse):
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    yield con
    con.close()


def _slow_long(con) -> pd.DataFrame:
    scores = ", ".join(f"{Q.MEASURE_SQL[m]} AS {m}" for m in Q.MEASURES)
    return con.execute(f"""
        SELECT w.cohort_id, w.program_id, w.role, w.participant_key, w.wave, mp.department, mp.team_id,
               mp.career_phase, e.coach_id, {scores}
        FROM mart_response_waves w
        JOIN survey_responses r ON r.response_id = w.response_id
        JOIN mart_people mp ON mp.participant_key = w.participant_key
        LEFT JOIN enrolments e ON w.role = 'coached' AND e.participant_key = w.participant_key
                              AND e.cohort_id = w.cohort_id""").df()


def _fast_long(con) -> pd.DataFrame:
    wide = con.execute("SELECT k.*, ids.participant_key FROM mart_panel k JOIN mart_person_ids ids USING (pid)").df()
    parts = []
    for wave in WAVES:
        part = wide[["cohort_id", "program_id", "role", "participant_key", "department", "team_id", "career_phase",
                     "coach_id"] + [f"{wave}_{m}" for m in Q.MEASURES]].copy()
        part.columns = [c.removeprefix(f"{wave}_") for c in part.columns]
        part["wave"] = wave
        # a wave without a response: every score empty (a response with no score at all stays)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def test_mart_panel_equals_slow_path(sample_con):
    con = sample_con
    slow = _slow_long(con)
    fast = _fast_long(con)
    keys = ["cohort_id", "role", "participant_key", "wave"]
    # mart_panel holds one row per cohort x person x role; the waves without a response are empty
    n_rows = con.execute("SELECT count(*) FROM mart_panel").fetchone()[0]
    assert n_rows == len(slow.drop_duplicates(["cohort_id", "role", "participant_key"]))
    assert con.execute("SELECT count(*) FROM mart_person_ids").fetchone()[0] == \
        con.execute("SELECT count(*) FROM mart_people").fetchone()[0]
    merged = slow.merge(fast, on=keys, how="left", suffixes=("", "_fast"), indicator=True)
    assert (merged["_merge"] == "both").all()
    for col in ["program_id", "department", "team_id", "career_phase", "coach_id"]:
        a, b = merged[col].astype(object), merged[f"{col}_fast"].astype(object)
        assert ((a == b) | (a.isna() & b.isna())).all(), col
    for m in Q.MEASURES:
        np.testing.assert_array_equal(merged[m].to_numpy(float), merged[f"{m}_fast"].to_numpy(float), err_msg=m)
    # and the waves the slow path does not have are empty in the mart
    extra = fast.merge(slow[keys], on=keys, how="left", indicator=True)
    assert extra.loc[extra["_merge"] == "left_only", list(Q.MEASURES)].isna().all().all()


CASES = [
    (["engagement"], [["_all"]], Filters()),
    (["engagement", "enps_score"], [["career_phase", "department"], ["career_phase"], ["department"], ["_all"]],
     Filters()),
    (list(Q.MEASURES), [["_all"]], Filters(waves="baseline-follow_up")),
    (["vigour"], [["cohort_id"], ["_all"]], Filters(waves="mid-post")),
    (["intent_to_stay"], [["program_id", "cohort_id"], ["program_id"], ["cohort_id"], ["_all"]],
     Filters(career_phase="mid")),
    (["engagement", "amotivation"], [["coach_id"], ["_all"], ["program_id"]], Filters()),
    (["engagement"], [["team"], ["_all"]], Filters(date_from=pd.Timestamp("2024-06-01").date())),
    # the ROI's intangibles: everyone's person sums derived from the programs' (panel_multi_sql's `derive`)
    (["engagement", "motivation_sdi", "values_alignment"], [["program_id"], ["_all"]], Filters()),
    (["intent_to_stay"], [["_all"], ["program_id"]], Filters(department="Finance")),
]


def _compare(con, measures, sets, f):
    new = _df(con, Q.panel_multi_sql(measures, sets, f.pre, f.post), f)
    for mi, m in enumerate(measures):
        for si, s in enumerate(sets):
            old = _df(con, Q.panel_stats_sql(m, s), f)
            part = new[(new["_m"] == mi) & (new["_s"] == si)][list(old.columns)].reset_index(drop=True)
            assert len(part) == len(old), (m, s)
            for col in old.columns:
                a, b = old[col], part[col]
                if col in Q.PANEL_GROUPS:
                    assert list(a.astype(object).where(a.notna(), None)) == \
                        list(b.astype(object).where(b.notna(), None)), (m, s, col)
                else:
                    np.testing.assert_allclose(pd.to_numeric(a).to_numpy(float), pd.to_numeric(b).to_numpy(float),
                                               rtol=1e-9, atol=1e-12, err_msg=f"{m} {s} {col}")


@pytest.mark.parametrize("case", range(len(CASES)))
def test_panel_multi_equals_panel_stats_sample(sample_con, case):
    measures, sets, f = CASES[case]
    _compare(sample_con, measures, sets, f)


@pytest.mark.parametrize("case", [1, 2, 3, 5])
def test_panel_multi_without_did_equals_with_did(sample_con, case):
    """did=False (the coach view) leaves the DiD columns empty and every other column as with the DiD."""
    measures, sets, f = CASES[case]
    did_cols = ["did", "did_cohorts", "did_var1", "did_var0", "did_g1", "did_g0"]
    full = _df(sample_con, Q.panel_multi_sql(measures, sets, f.pre, f.post), f)
    lean = _df(sample_con, Q.panel_multi_sql(measures, sets, f.pre, f.post, did=False), f)
    assert list(lean.columns) == list(full.columns)
    assert lean[did_cols].isna().all().all()
    pd.testing.assert_frame_equal(lean.drop(columns=did_cols), full.drop(columns=did_cols), check_dtype=False,
                                  rtol=1e-12)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_panel_counts_equal_panel_multis_counts(sample_con, case):
    """panel_counts_sql (rule 3's parent cells) counts each measure x set x group's coached and comparison
    panel as panel_multi_sql does: the same non-zero cells, the same n and n_comparison."""
    measures, sets, f = CASES[case]
    full = _df(sample_con, Q.panel_multi_sql(measures, sets, f.pre, f.post), f)
    counts = _df(sample_con, Q.panel_counts_sql(measures, sets, f.pre, f.post), f)
    keys = [c for c in Q._check_sets(sets) if c != "_all"]
    checked = 0
    for mi in range(len(measures)):
        want = full[full["_m"] == mi].set_index(["_s"] + keys)[["n", "n_comparison"]].fillna(0).astype(int)
        got = counts.set_index(["_s"] + keys)[[f"n_{mi}", f"n_comparison_{mi}"]]
        got.columns = ["n", "n_comparison"]
        got = got[(got > 0).any(axis=1)]
        want = want[(want > 0).any(axis=1)]
        pd.testing.assert_frame_equal(got.sort_index(), want.sort_index(), check_dtype=False)
        checked += int(want.to_numpy().sum())
    assert checked > 0


def test_panel_multi_equals_panel_stats_fixture(small_wh):
    con, _ = small_wh
    coach = con.execute("SELECT min(coach_id) FROM enrolments").fetchone()[0]
    for measures, sets, f in CASES[:4] + [(["engagement", "vigour"], [["coach_id"], ["_all"]], Filters(coach=coach))]:
        _compare(con.cursor(), measures, sets, f)


@pytest.mark.parametrize("f", [Filters(), Filters(career_phase="early"), Filters(waves="baseline-follow_up"),
                               Filters(date_from=pd.Timestamp("2024-06-01").date())])
def test_fast_guard_and_trajectories_equal_slow_path(sample_con, f):
    from dashboard import queries as q

    con = sample_con
    for measure in ("engagement", "enps_score"):
        a = _df(con, Q.guard_sql(measure), f)
        b = _df(con, Q.guard_fast_sql(measure, f.pre, f.post), f)
        assert a.to_dict("records") == b.to_dict("records")
        # the overview's unfiltered counts: people and coached with the completion counts, one statement
        c = _df(con, Q.guard_fast_sql(measure, f.pre, f.post, panel=False, completion=True), f).iloc[0]
        done = _df(con, q.COMPLETION_SQL, f).iloc[0]
        assert (c.people, c.coached, c.completion_n, c.completion_x) == (a.people[0], a.coached[0], done.n, done.x)
        for groups in (["cohort_id"], ["program_id"]):
            a = _df(con, Q.trajectory_sql(measure, groups), f)
            b = _df(con, Q.trajectory_fast_sql(measure, groups), f)
            pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)


@pytest.mark.parametrize("split", [None, "program", "career_phase"])
@pytest.mark.parametrize("f", [Filters(), Filters(department="Finance"), Filters(date_from=pd.Timestamp("2024-06-01").date())])
def test_fast_retention_equals_slow_path(sample_con, split, f):
    from dashboard import queries as q

    con = sample_con
    as_of = q._as_of(con)
    col = {"program": "program", "career_phase": "career_phase", None: "_all"}[split]
    per = ", c.program_id" if split == "program" else ""
    groupings = [(col, split == "program")] + ([("_all", False)] if split else [])
    both = _df(con, Q.retention_fast_sql(groupings), f, as_of=as_of)
    for g, per_program in [(col, per)] + ([("_all", "")] if split else []):
        grp = "All" if g == "_all" else None
        agg = _df(con, Q.RETENTION_SQL.replace("{g}", g).replace("{per_program}", per_program), f, as_of=as_of)
        people = _df(con, Q.RETENTION_PEOPLE_SQL.replace("{g}", g).replace("{per_program}", per_program), f,
                     as_of=as_of)
        mine = both[(both["grp"] == "All") if grp else (both["grp"] != "All")]
        a = mine[mine["kind"] == "agg"][["grp", "role", "days", "event", "weight"]].reset_index(drop=True)
        a = a.astype({"days": "int64", "event": bool})
        pd.testing.assert_frame_equal(a, agg[["grp", "role", "days", "event", "weight"]].astype(
            {"days": "int64", "event": bool}).reset_index(drop=True), check_dtype=False)
        p = mine[mine["kind"] == "people"][["grp", "role", "n", "exits"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(p, people.reset_index(drop=True), check_dtype=False)


def test_coach_groups_equal_panel_stats_by_coach(sample_con):
    from dashboard import queries as q

    con = sample_con
    coaches = [c for (c,) in con.execute("SELECT DISTINCT coach_id FROM enrolments WHERE coach_id IS NOT NULL "
                                         "ORDER BY 1 LIMIT 3").fetchall()]
    for coach in coaches:
        f = Filters(coach=coach)
        for m in ("engagement", "enps_score"):
            old = _df(con, Q.panel_stats_sql(m, ["coach_id"]), f)
            total = _df(con, Q.panel_stats_sql(m, ["_all"]), f)
            new = q._coach_groups(total, coach)
            assert list(new.columns) == list(old.columns)
            assert len(new) == len(old)
            for col in old.columns:
                a, b = old[col].astype(object), new[col].astype(object)
                same = [(pd.isna(x) and pd.isna(y)) if (pd.isna(x) or pd.isna(y)) else
                        (x == y or abs(float(x) - float(y)) <= 1e-12 * max(1.0, abs(float(x))))
                        for x, y in zip(a, b)]
                assert all(same), (coach, m, col)


def test_guard_with_the_views_panel_counts_equals_the_guard(sample_con):
    """A view that passes its own panel statistics to the guard (coach impact, the filtered overview) gets
    the same counts and the same refusals as the guard counting everything itself."""
    from dashboard import queries as q
    from dashboard.anonymity import AnonymityRefused

    con = sample_con
    coach = con.execute("SELECT min(coach_id) FROM enrolments").fetchone()[0]
    program = con.execute("SELECT min(program_id) FROM programs").fetchone()[0]
    dept = con.execute("SELECT min(department) FROM mart_people").fetchone()[0]
    for f in (Filters(coach=coach), Filters(program=program), Filters(career_phase="late"), Filters(department=dept),
              Filters(program=program, career_phase="mid", waves="baseline-follow_up")):
        for k, measure in ((5, "engagement"), (40, "vigour")):
            outcomes = []
            for panel in (None, q._panel_multi(con, f, [measure], [[]], did=False)[(measure, ())]):
                try:
                    outcomes.append(q._guard(con, f, k, measure, counts=True, panel=panel))
                except AnonymityRefused as exc:
                    outcomes.append(str(exc))
            assert outcomes[0] == outcomes[1], (f, k, measure)


@pytest.mark.parametrize("rows,cols,welch", [("career_phase", "department", False), ("team", None, False),
                                             ("cohort", None, True), ("program", "career_phase", False)])
def test_crosstabs_of_several_measures_equal_one_at_a_time(sample_con, rows, cols, welch):
    """The cross-tabs of several measures built together (coach impact, the ROI intangibles) equal each
    measure's built alone: cells, suppression, flags, order and types."""
    from dashboard import queries as q

    measures = ["engagement", "enps_score", "intent_to_stay", "amotivation"]
    sets = [[rows, cols], [rows], [cols], []] if cols else [[rows], []]
    for f, k in ((Filters(), 5), (Filters(), 25), (Filters(career_phase="mid", waves="baseline-follow_up"), 8)):
        raws = q._panel_multi(sample_con, f, measures, [[x for x in s if x] for s in sets])
        together = q._crosstabs(sample_con, f, k, measures, rows, cols, welch, raws)
        for m in measures:
            alone = q._crosstabs(sample_con, f, k, [m], rows, cols, welch, raws)[m]
            pd.testing.assert_frame_equal(together[m], alone, obj=f"{m} {rows} x {cols} k={k}")


# the response rates as the long form counts them: every enrolled person x every wave held, joined to
# the coached rows of mart_response_waves (the query layer reads mart_panel's <wave>_rid columns)
RESPONSE_RATES_LONG_SQL = """
WITH scope_cohorts AS (SELECT c.* FROM cohorts c WHERE """ + Q.COHORT_FILTER + """),
enr AS (
    SELECT e.cohort_id, c.program_id, e.participant_key
    FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
    JOIN mart_people mp ON mp.participant_key = e.participant_key
    WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND """ + Q.PEOPLE_FILTER + """
),
waves AS (SELECT unnest(['baseline', 'mid', 'post', 'follow_up']) AS wave, unnest([0, 1, 2, 3]) AS o),
held AS (SELECT DISTINCT cohort_id, wave FROM mart_response_waves)
SELECT enr.cohort_id, enr.program_id, waves.wave, count(DISTINCT enr.participant_key) AS n,
       count(DISTINCT w.participant_key) AS responded
FROM enr CROSS JOIN waves
JOIN held h ON h.cohort_id = enr.cohort_id AND h.wave = waves.wave
LEFT JOIN mart_response_waves w ON w.cohort_id = enr.cohort_id AND w.participant_key = enr.participant_key
     AND w.role = 'coached' AND w.wave = waves.wave
GROUP BY enr.cohort_id, enr.program_id, waves.wave, waves.o
ORDER BY enr.cohort_id, waves.o
"""


@pytest.mark.parametrize("f", [Filters(), Filters(career_phase="early"), Filters(department="Finance"),
                               Filters(date_from=pd.Timestamp("2024-06-01").date())])
def test_response_rates_equal_the_long_form_counts(sample_con, f):
    want = _df(sample_con, RESPONSE_RATES_LONG_SQL, f)
    got = _df(sample_con, Q.RESPONSE_SQL, f)
    assert len(want) > 0 and want["responded"].sum() > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_response_rates_by_coach_equal_the_long_form_counts(sample_con):
    coach = sample_con.execute("SELECT min(coach_id) FROM enrolments WHERE coach_id IS NOT NULL").fetchone()[0]
    f = Filters(coach=coach)
    got = _df(sample_con, Q.RESPONSE_SQL, f)
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, _df(sample_con, RESPONSE_RATES_LONG_SQL, f), check_dtype=False)


def test_mart_panel_is_stored_by_the_waves_a_row_has(sample_con):
    """03_mart_panel.sql stores the panel sorted by which waves a row has, baseline and post first, so the
    views' `<pre>_rid IS NOT NULL AND <post>_rid IS NOT NULL` skips whole row groups at scale. The order
    is the insertion order DuckDB keeps through the wide join: if that stopped, the views would still be
    right, only slower, and this test says so."""
    out = sample_con.execute("""
        WITH k AS (
            SELECT rowid, [baseline_rid IS NULL, post_rid IS NULL, follow_up_rid IS NULL, mid_rid IS NULL] AS pattern
            FROM mart_panel)
        SELECT count(*) FILTER (WHERE pattern < prev), count(DISTINCT pattern), count(*)
        FROM (SELECT pattern, lag(pattern) OVER (ORDER BY rowid) AS prev FROM k)""").fetchall()[0]
    out_of_order, patterns, rows = out
    assert rows > 1000 and patterns >= 4
    assert out_of_order == 0


def test_no_comparison_response_after_the_persons_own_coaching_began(sample_con):
    """A comparison person coached later is compared only on responses from before their own first
    coaching start (the sample has 58 follow-up responses from after it)."""
    assert sample_con.execute("""
        SELECT count(*) FROM mart_response_waves w JOIN mart_people mp USING (participant_key)
        WHERE w.role = 'comparison' AND w.submitted_at::DATE >= mp.first_start_date""").fetchone()[0] == 0
    assert sample_con.execute("""
        SELECT count(*) FROM mart_response_waves WHERE role = 'comparison' AND wave = 'follow_up'""").fetchone()[0] > 0


@pytest.mark.parametrize("dim", ["department", "team", "career_phase", "program", "cohort", "coach"])
@pytest.mark.parametrize("f", [Filters(), Filters(career_phase="mid"), Filters(waves="baseline-follow_up")])
def test_guard_breakdown_total_equals_the_plain_counts_and_its_rows_each_value(sample_con, dim, f):
    """The differencing guard's one statement per filter: its total row is what the plain count statement
    gives (a person in two programs counted once), and each row is the plain counts under that value's
    filter (coached side; the comparison panel too for a person's own attributes)."""
    from dashboard.queries.sql import MEASURES

    ms = list(MEASURES)
    plain = _df(sample_con, Q.guard_fast_sql(ms, f.pre, f.post, completion=True), f).iloc[0]
    by = _df(sample_con, Q.guard_fast_sql(ms, f.pre, f.post, completion=True, by=dim, total=True), f)
    total = by[by["_total"]].iloc[0]
    for c in plain.index:
        assert int(total[c]) == int(plain[c]), c
    rows = by[~by["_total"] & by["_v"].notna()].groupby("_v").sum(numeric_only=True)
    name = {"career_phase": "career_phase"}.get(dim, dim)
    for value in list(rows.index)[:3]:
        g = f.with_(**{name: value})
        one = _df(sample_con, Q.guard_fast_sql(ms, g.pre, g.post, completion=True), g).iloc[0]
        cols = [c for c in rows.columns if c in one.index and (c != "people" or dim in Q.PERSON_DIMENSIONS)]
        assert "coached" in cols and "coached_panel_0" in cols
        for c in cols:
            if c.startswith("comparison_panel") and dim not in Q.PERSON_DIMENSIONS:
                continue
            assert int(rows.loc[value, c]) == int(one[c]), (value, c)
