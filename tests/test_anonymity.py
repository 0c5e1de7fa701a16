"""Anonymity rules 1-3 (DOMAIN.md): k, complementary suppression, differencing guard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from dashboard.anonymity import AnonymityRefused, k_of, suppress_crosstab, suppress_with_total
from dashboard.filters import Filters


def _with_margins(cells: np.ndarray) -> pd.DataFrame:
    R, C = cells.shape
    full = np.zeros((R + 1, C + 1))
    full[:R, :C] = cells
    full[:R, C] = cells.sum(axis=1)
    full[R, :C] = cells.sum(axis=0)
    full[R, C] = cells.sum()
    return pd.DataFrame(full)


def _assert_safe(n: np.ndarray, hidden: np.ndarray, k: int) -> None:
    R, C = n.shape
    # rule 1: nothing shown rests on 1..k-1 people
    assert not ((n > 0) & (n < k) & ~hidden).any()
    # rule 2: in every line whose total is shown, hidden cells are 0 or >= 2 and hold >= k together
    lines = [([(r, c) for c in range(C - 1)], (r, C - 1)) for r in range(R)]
    lines += [([(r, c) for r in range(R - 1)], (R - 1, c)) for c in range(C)]
    for cells, total in lines:
        if hidden[total]:
            continue
        h = [x for x in cells if hidden[x] and n[x] > 0]
        assert len(h) != 1, "a lone hidden cell is the shown total minus the shown cells"
        if h:
            assert sum(n[x] for x in h) >= k


@hsettings(max_examples=300, deadline=None)
@given(st.integers(3, 8), st.integers(1, 5), st.integers(1, 5), st.data())
def test_crosstab_suppression_is_safe(k, R, C, data):
    cells = np.array(data.draw(st.lists(st.integers(0, 15), min_size=R * C, max_size=R * C))).reshape(R, C)
    grid = _with_margins(cells)
    hidden = suppress_crosstab(grid, k).to_numpy()
    _assert_safe(grid.to_numpy(), hidden, k)


@hsettings(max_examples=300, deadline=None)
@given(st.integers(3, 8), st.lists(st.tuples(st.integers(0, 15), st.booleans()), min_size=1, max_size=6))
def test_breakdown_with_total_is_safe_with_cells_hidden_beforehand(k, cells):
    """suppress_with_total: cells hidden for another reason count as hidden; the total is the last cell."""
    n = np.array([c for c, _ in cells] + [sum(c for c, _ in cells)])
    already = np.array([h for _, h in cells] + [False])
    hidden = suppress_with_total(n, k, already)
    assert (hidden >= already).all()
    _assert_safe(n.reshape(1, -1), hidden.reshape(1, -1), k)


def test_suppression_can_fail_without_complementary_rule():
    # the check above has teeth: primary suppression alone leaves a recoverable cell
    grid = _with_margins(np.array([[2, 10, 10]]))
    n = grid.to_numpy()
    primary = (n > 0) & (n < 5)
    with pytest.raises(AssertionError):
        _assert_safe(n, primary, 5)


def test_k_below_three_refused():
    with pytest.raises(AnonymityRefused):
        k_of({"anonymity": {"k": 2}})
    assert k_of({}) == 5
    assert k_of({"anonymity": {"k": 3}}) == 3


# -- through the query layer ---------------------------------------------------------------------

def _wh(settings, team_sizes, seed):
    from pipelines.warehouse import open_memory

    from fixtures_analytics import build

    con = open_memory()
    build(con, settings, people=sum(team_sizes), coached=(min(40, sum(team_sizes) // 3), 0),
          team_sizes=team_sizes, seed=seed)
    return con


@hsettings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.integers(1, 30), min_size=4, max_size=4), st.integers(0, 10_000),
       st.sampled_from(["team", "department", "program"]), st.integers(3, 6))
def test_exported_outcomes_rest_on_k_and_cannot_be_differenced(settings, sizes, seed, cols, k):
    from dashboard import queries as q

    con = _wh(settings, sizes, seed)
    cfg = {**settings, "anonymity": {"k": k}}
    res = q.outcomes(con.cursor(), Filters(), cfg, measure="engagement", rows="career_phase", cols=cols)
    t = res.table
    shown = t[~t["suppressed"]]
    assert (shown["n"] >= k).all()
    assert t.loc[t["suppressed"], ["n", "estimate", "ci_low", "ci_high", "did"]].isna().all().all()
    # rebuild the n grid from the unsuppressed source and check every row and column
    from dashboard.queries.sql import GROUP_COLUMNS
    cc = GROUP_COLUMNS[cols]
    for line_key, other in (("career_phase", cc), (cc, "career_phase")):
        for value, line in t.groupby(line_key):
            total = line[line[other] == "All"]
            if total.empty or bool(total["suppressed"].iloc[0]):
                continue
            hidden = line[(line[other] != "All") & line["suppressed"]]
            assert len(hidden) != 1, f"{line_key}={value}: one hidden cell next to a shown total"
    con.close()


@pytest.mark.parametrize("outside", [0, 1, 2, 4, 80])
def test_differencing_guard_refuses_complements_of_1_to_k_minus_1(settings, outside):
    """Team T1 of department D1, whose other team T2 holds `outside` people."""
    from dashboard import queries as q

    con = _wh(settings, [40, outside, 30, 30], seed=3)
    f = Filters(team="D1 / T1")
    if 0 < outside < 5:
        with pytest.raises(AnonymityRefused, match="its department"):
            q.retention(con.cursor(), f, settings)
    else:
        q.retention(con.cursor(), f, settings)
    con.close()


def test_differencing_guard_message_and_plain_selection(small_wh, settings):
    """With k above the size of department D2, filtering to D1 leaves 1..k-1 people outside: refused,
    with a message saying why; the unfiltered view is never refused."""
    from dashboard import queries as q

    con, raw = small_wh
    cur = con.cursor()
    big_k = {**settings, "anonymity": {"k": 1000}}
    with pytest.raises(AnonymityRefused, match="department 'D1'.*fewer than k = 1000"):
        q.outcomes(cur, Filters(department="D1"), big_k)
    res = q.outcomes(cur, Filters(), big_k)
    assert res.table["suppressed"].all()
    assert res.table[["n", "estimate"]].isna().all().all()


def test_retention_curves_protect_a_hidden_month_against_the_all_curve(settings):
    """Split by program, a month where P2's risk set is under k: P1's month is hidden too, so All minus
    the shown programs' at-risk counts (and the All curve's step) cannot reveal P2's 1..k-1 people."""
    from pipelines import marts
    from pipelines.warehouse import open_memory

    from dashboard import queries as q
    from fixtures_analytics import build

    con = open_memory()
    build(con, settings)
    cur = con.cursor()
    # three P2 people enrolled early (long follow-up), one of whom leaves voluntarily later
    keys = [r[0] for r in cur.execute(
        "SELECT e.participant_key FROM enrolments e JOIN people p USING (participant_key) "
        "WHERE cohort_id = 'C2' AND p.exit_date IS NULL ORDER BY 1 LIMIT 3").fetchall()]
    cur.execute("UPDATE enrolments SET start_date = DATE '2023-06-01' WHERE participant_key IN (SELECT unnest($k))",
                {"k": keys})
    cur.execute("UPDATE people SET exit_date = DATE '2024-12-20', exit_type = 'voluntary' WHERE participant_key = $k",
                {"k": keys[0]})
    marts.rebuild(cur, settings)
    k = k_of(settings)
    curves = q.retention(cur, Filters(), settings, split="program").curves
    at_risk = curves[curves.role == "coached"].pivot(index="month", columns="group", values="at_risk").astype(float)
    assert at_risk["P2"].isna().any() and at_risk["All"].notna().any()
    for month, row in at_risk.iterrows():
        if pd.isna(row["All"]) or not row.drop("All").isna().any():
            continue
        recovered = int(row["All"] - row.drop("All").sum())     # the hidden programs together
        assert recovered == 0 or recovered >= k, f"month {month}: hidden programs hold {recovered} people"
    assert curves.loc[curves["suppressed"], ["at_risk", "estimate", "ci_low", "ci_high"]].isna().all().all()
    con.close()


# -- rule 3 on every count a view shows, and rule 2 against a filter ----------------------------------

def _mutated(settings, mutate):
    """The analytics fixture, changed by `mutate(cursor)` before the marts are rebuilt."""
    from pipelines import marts
    from pipelines.warehouse import open_memory

    from fixtures_analytics import build

    con = open_memory()
    build(con, settings)
    cur = con.cursor()
    mutate(cur)
    marts.rebuild(cur, settings)
    return con


def _coached_pairs(cur, where: str = "true", limit: int = 2) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT i.participant_key FROM mart_panel k JOIN mart_person_ids i USING (pid) WHERE k.role = 'coached' "
        f"AND baseline_engagement IS NOT NULL AND post_engagement IS NOT NULL AND {where} ORDER BY 1 LIMIT {limit}"
    ).fetchall()]


def test_filtering_on_a_complementary_cell_is_refused(settings):
    """Outcomes by department hide a department of 2 coached people and, beside it, the next-smallest: a
    filter on that department would show it, and the small one would be All minus the shown ones."""
    from dashboard import queries as q

    def mutate(cur):
        small = _coached_pairs(cur)
        cur.execute("UPDATE people SET department = 'D3', team_id = 'D3 / T5', team = 'T5' "
                    "WHERE participant_key IN (SELECT unnest($k))", {"k": small})
    con = _mutated(settings, mutate)
    cur = con.cursor()
    t = q.outcomes(cur, Filters(), settings, rows="department", cols=None).table
    hidden = set(t.loc[t["suppressed"], "department"]) - {"All"}
    assert "D3" in hidden and len(hidden) == 2
    partner = (hidden - {"D3"}).pop()
    with pytest.raises(AnonymityRefused, match=f"department '{partner}' on its own"):
        q.outcomes(cur, Filters(department=partner), settings, rows="department", cols=None)
    for shown in set(t["department"]) - hidden - {"All"}:
        q.outcomes(cur, Filters(department=shown), settings, rows="department", cols=None)
    con.close()


def test_a_coach_beside_a_coach_of_two_clients_is_refused(settings):
    """Each coach's page alone, beside the overview's all-coached figure: without rule 2 over the coaches,
    a coach with 2 clients is All minus every other coach."""
    from dashboard import queries as q

    def mutate(cur):
        cur.execute("UPDATE enrolments SET coach_id = 'K9' WHERE participant_key IN (SELECT unnest($k))",
                    {"k": _coached_pairs(cur, "cohort_id = 'C1'")})
    con = _mutated(settings, mutate)
    cur = con.cursor()
    shown_n = 0
    for coach in q.filter_options(cur).coaches:
        try:
            t = q.coach_impact(cur, Filters(), settings, coach, measure="engagement").table.iloc[0]
        except AnonymityRefused:
            continue
        if not t["suppressed"]:
            shown_n += int(t["n"])
    ov = q.overview(cur, Filters(), settings).table
    total = int(ov[(ov.metric == "change") & (ov.measure == "engagement")]["n"].iloc[0])
    assert not 0 < total - shown_n < 5, "the hidden coaches' clients are the total minus the shown coaches"
    con.close()


def test_overview_and_coach_guard_every_measure_they_show(settings):
    """Values alignment asked in D2 of only 2 coached people: the overview under department D1 shows
    that measure's change, so D2's two would be the unfiltered figure minus D1's."""
    from dashboard import queries as q

    def mutate(cur):
        two = _coached_pairs(cur, "k.department = 'D2' AND baseline_values_alignment IS NOT NULL "
                                  "AND post_values_alignment IS NOT NULL")
        cur.execute("UPDATE survey_responses SET values_alignment = NULL WHERE participant_key IN "
                    "(SELECT participant_key FROM people WHERE department = 'D2') "
                    "AND participant_key NOT IN (SELECT unnest($k))", {"k": two})
    con = _mutated(settings, mutate)
    cur = con.cursor()
    with pytest.raises(AnonymityRefused, match=r"2 people in the coached matched panel \(values alignment\)"):
        q.overview(cur, Filters(department="D1"), settings)
    with pytest.raises(AnonymityRefused, match="values alignment"):
        q.coach_impact(cur, Filters(department="D1"), settings, "K2")
    con.close()


def test_completion_counts_are_guarded(settings):
    """A new cohort of 10, one of whom has withdrawn: two date ranges, one with the cohort and one
    without, would show that one person's withdrawal through the completion rate."""
    import datetime as dt

    from dashboard import queries as q

    def mutate(cur):
        free = [r[0] for r in cur.execute(
            "SELECT participant_key FROM people WHERE participant_key NOT IN (SELECT participant_key FROM enrolments) "
            "AND exit_date IS NULL ORDER BY 1 LIMIT 10").fetchall()]
        for i, key in enumerate(free):
            cur.execute("INSERT INTO enrolments VALUES ($k, 'P2', 'C4', 'K3', DATE '2025-01-10', DATE '2025-07-01', "
                        "6, 1, $s, 1)", {"k": key, "s": "withdrawn" if i == 0 else "active"})
    con = _mutated(settings, mutate)
    cur = con.cursor()
    with pytest.raises(AnonymityRefused, match="1 people with a finished enrolment"):
        q.overview(cur, Filters(date_to=dt.date(2025, 1, 1)), settings)
    con.close()


def _add_cohort(cur, cohort: str, start, keys: list[str]) -> None:
    """Enrol `keys` in a new cohort of program P2 starting on `start`, each with a baseline (July 2024)
    and a post (January 2025) response."""
    import datetime as dt

    for key in keys:
        cur.execute("INSERT INTO enrolments VALUES ($k, 'P2', $c, 'K3', $s, DATE '2025-01-20', 6, 5, 'completed', 1)",
                    {"k": key, "c": cohort, "s": start})
        for when, survey in ((dt.datetime(2024, 7, 25, 9), "S1"), (dt.datetime(2025, 1, 25, 9), "S2")):
            if not cur.execute("SELECT count(*) FROM survey_responses WHERE participant_key = $k AND survey_id = $s",
                               {"k": key, "s": survey}).fetchone()[0]:
                cur.execute("INSERT INTO survey_responses (response_id, survey_id, participant_key, submitted_at, "
                            "items_answered, engagement, batch_id) VALUES ((SELECT max(response_id) + 1 FROM "
                            "survey_responses), $s, $k, $d, 40, 3.0, 1)", {"k": key, "s": survey, "d": when})


def _free(cur, where: str = "true", n: int = 10) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT participant_key FROM people WHERE participant_key NOT IN (SELECT participant_key FROM enrolments) "
        f"AND exit_date IS NULL AND {where} ORDER BY 1 LIMIT {n}").fetchall()]


def test_a_cell_is_hidden_when_its_filter_leaves_1_to_k_minus_1_outside_it(settings):
    """Cohort C3 has 6 coached people in D1 and 1 in D2: by cohort under department D1 its cell would
    show 6 beside the unfiltered 7, and the response rates likewise: the one person's change and answers."""
    import datetime as dt

    from dashboard import queries as q

    con = _mutated(settings, lambda cur: _add_cohort(cur, "C3", dt.date(2024, 8, 3),
                                                     _free(cur, "department = 'D1'", 6) + _free(cur, "department = 'D2'", 1)))
    cur = con.cursor()
    whole = q.outcomes(cur, Filters(), settings, rows="cohort", cols=None).table
    assert int(whole.loc[whole.cohort_id == "C3", "n"].iloc[0]) == 7
    d1 = q.outcomes(cur, Filters(department="D1"), settings, rows="cohort", cols=None).table
    assert d1.loc[d1.cohort_id == "C3", "suppressed"].all() and d1.loc[d1.cohort_id == "C3", "n"].isna().all()
    assert not d1.loc[d1.cohort_id == "C1", "suppressed"].any()
    traj = q.cohorts(cur, Filters(department="D1"), settings, compare="cohort").extras["trajectories"]
    assert traj.loc[(traj.cohort_id == "C3") & (traj.role == "coached"), "n"].isna().all()
    rates = q.response_rates(cur, Filters(department="D1"), settings).table
    assert rates.loc[rates.cohort_id == "C3", "suppressed"].all()
    assert rates.loc[rates.cohort_id == "C3", ["n", "responded"]].isna().all().all()
    con.close()


def test_two_date_ranges_cannot_be_differenced_across_a_small_cohort(settings):
    """Cohort C3 (2 people) starts two days before C4 (22): a range ending between them and one ending
    after C3 each pass against all dates, and would differ by exactly C3. A range cutting C3 from C4 is
    refused; ranges ending before or after both are shown."""
    import datetime as dt

    from dashboard import queries as q

    def mutate(cur):
        free = _free(cur, n=24)
        _add_cohort(cur, "C3", dt.date(2024, 8, 3), free[:2])
        _add_cohort(cur, "C4", dt.date(2024, 8, 5), free[2:])
    con = _mutated(settings, mutate)
    cur = con.cursor()
    q.overview(cur, Filters(date_to=dt.date(2024, 8, 2)), settings)
    q.overview(cur, Filters(date_to=dt.date(2024, 8, 5)), settings)
    with pytest.raises(AnonymityRefused, match="chosen date range.*2024-08-03 to 2024-08-05"):
        q.overview(cur, Filters(date_to=dt.date(2024, 8, 4)), settings)
    with pytest.raises(AnonymityRefused, match="chosen date range"):
        q.outcomes(cur, Filters(date_from=dt.date(2024, 8, 4)), settings)
    con.close()


def test_date_blocks_hold_k_or_none_in_every_count():
    import datetime as dt

    from dashboard.anonymity import date_blocks

    day = dt.date(2024, 1, 1)
    starts = {"A": day, "B": day + dt.timedelta(1), "B2": day + dt.timedelta(1), "C": day + dt.timedelta(5),
              "D": day + dt.timedelta(9), "E": day + dt.timedelta(12)}
    cells = pd.DataFrame({"coached": [6, 1, 1, 9, 5, 2], "completed": [0, 0, 3, 4, 0, 0]},
                         index=["A", "B", "B2", "C", "D", "E"])
    blocks = date_blocks(cells, starts, 5)
    assert blocks == [["A"], ["B", "B2", "C"], ["D", "E"]]
    for block in blocks:
        sums = cells.loc[block].sum()
        assert ((sums == 0) | (sums >= 5)).all()


def _missing_scores(cur, f, settings):
    from dashboard import queries as q

    res = q.quality(cur, f, settings)
    return res.table[res.table["check"] == "missing score"], res.notes


def test_quality_missing_scores_follow_cohort_dates_as_the_guard_does(settings):
    """A response submitted after date_to (the reviewer's r8 case): the missing-score counts filtered
    responses by submission date while rule 3 counts people by cohort start, so all dates and
    date_to = the day before differed by that one response and showed which scores its person left
    blank. Now a date selects cohorts here too: the two counts differ by 0 or k or more."""
    def mutate(cur):
        key = cur.execute("SELECT participant_key FROM enrolments WHERE cohort_id = 'C2' ORDER BY 1 LIMIT 1").fetchone()[0]
        cur.execute("INSERT INTO survey_responses (response_id, survey_id, participant_key, submitted_at, "
                    "items_answered, engagement, vigour, batch_id) VALUES ((SELECT max(response_id) + 1 FROM "
                    "survey_responses), 'S3', $k, TIMESTAMP '2025-02-10 09:00', 5, 2.0, 2.5, 1)", {"k": key})
    con = _mutated(settings, mutate)
    cur = con.cursor()
    k = k_of(settings)
    everything, _ = _missing_scores(cur, Filters(), settings)
    before, _ = _missing_scores(cur, Filters(date_to=pd.Timestamp("2025-02-09").date()), settings)
    both = everything.merge(before, on="detail", suffixes=("_all", "_dated"))
    shown = both[~both["suppressed_all"] & ~both["suppressed_dated"]]
    assert len(shown) == len(both)
    assert not ((shown["n_all"] - shown["n_dated"]).between(1, k - 1)).any()
    con.close()


def test_quality_hides_missing_scores_when_few_people_answered_outside_the_filter(settings):
    """Team T2 keeps its people (the guard passes team T1 of department D1), but only two of them answered
    a survey: D1 minus T1 would give those two people's missing scores, so they are hidden, with a note
    saying why; the selection is not refused and its other checks stay."""
    def mutate(cur):
        t2 = [r[0] for r in cur.execute("SELECT participant_key FROM people WHERE team_id = 'D1 / T2'").fetchall()]
        keep = [r[0] for r in cur.execute(     # one response each of two people
            "SELECT min(response_id) FROM survey_responses WHERE participant_key IN (SELECT unnest($p)) "
            "GROUP BY participant_key ORDER BY 1 LIMIT 2", {"p": t2}).fetchall()]
        cur.execute("DELETE FROM survey_responses WHERE participant_key IN (SELECT unnest($p)) "
                    "AND response_id NOT IN (SELECT unnest($keep))", {"p": t2, "keep": keep})
    con = _mutated(settings, mutate)
    cur = con.cursor()
    f = Filters(team="D1 / T1")
    missing, notes = _missing_scores(cur, f, settings)
    assert missing["suppressed"].all() and missing[["n", "estimate"]].isna().all().all()
    assert any(n.startswith("Missing scores are not shown") and "fewer than k = 5" in n for n in notes)
    from dashboard import queries as q

    t = q.quality(cur, f, settings).table
    assert not t.loc[t["check"] == "career phase unknown", "suppressed"].any()
    shown, _ = _missing_scores(cur, Filters(), settings)
    assert not shown["suppressed"].any()
    con.close()


def test_retention_rows_and_months_are_hidden_when_a_filter_leaves_1_to_k_minus_1_outside(settings):
    """Cohort C3 of program P3 has 6 coached people in D1 and 1 in D2: retention by program under
    department D1 would show P3's coached 6 beside the unfiltered 7, so the one's exit or stay."""
    import datetime as dt

    from dashboard import queries as q

    def mutate(cur):
        cur.execute("INSERT INTO programs SELECT * REPLACE ('P3' AS program_id) FROM programs WHERE program_id = 'P2'")
        keys = _free(cur, "department = 'D1'", 6) + _free(cur, "department = 'D2'", 1)
        _add_cohort(cur, "C3", dt.date(2024, 8, 3), keys)
        cur.execute("UPDATE enrolments SET program_id = 'P3' WHERE cohort_id = 'C3'")
    con = _mutated(settings, mutate)
    cur = con.cursor()
    whole = q.retention(cur, Filters(), settings, split="program").table
    p3 = whole[(whole.group == "P3") & (whole.role == "coached")]
    assert int(p3["n"].iloc[0]) == 7
    d1 = q.retention(cur, Filters(department="D1"), settings, split="program")
    row = d1.table[(d1.table.group == "P3") & (d1.table.role == "coached")]
    assert row["suppressed"].all() and row["n"].isna().all()
    curve = d1.extras["curves"]
    assert curve.loc[(curve.group == "P3") & (curve.role == "coached"), "at_risk"].isna().all()
    con.close()
