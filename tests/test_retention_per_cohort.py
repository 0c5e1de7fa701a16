"""retention_per_cohort (the ROI by cohort's retention): one statement for every cohort's fit and one for
every cohort's guard counts, giving what a filter on each cohort gives, refusals and suppression included."""

from __future__ import annotations

import copy
import datetime as dt

import duckdb
import pandas as pd
import pytest

from dashboard import queries as q
from dashboard.filters import Filters
from tests.test_query_reuse import Counting


@pytest.fixture(scope="module")
def con(sample_warehouse):
    c = duckdb.connect(str(sample_warehouse), read_only=True)
    yield c
    c.close()


def _filters(cur) -> list[Filters]:
    opts = q.filter_options(cur)
    middle = opts.date_min + (opts.date_max - opts.date_min) / 3
    return [Filters(), Filters(department=opts.departments[0]), Filters(program=opts.programs[0]),
            Filters(career_phase="late"), Filters(coach=opts.coaches[0]), Filters(date_from=middle),
            Filters(team=opts.teams[0]), Filters(cohort=opts.cohorts[1]),
            Filters(department=opts.departments[1], career_phase="early"),
            Filters(program=opts.programs[1], date_to=opts.date_max - dt.timedelta(days=200))]


def _one_by_one(cur, f: Filters, settings) -> dict:
    """The reference: retention() under a filter on each in-scope cohort, as the ROI by cohort ran it."""
    out = {}
    for c in q._df(cur, q.sql.SCOPE_COHORTS_SQL, f.params())["cohort_id"]:
        try:
            out[str(c)] = q.retention(cur, f.with_(cohort=str(c)), settings)
        except q.AnonymityRefused as refused:
            out[str(c)] = refused
    return out


@pytest.mark.parametrize("k", [None, 25])
def test_retention_per_cohort_equals_a_filter_on_each_cohort(con, settings, k):
    """Under ten filters (and a larger k, which refuses and suppresses more): the same cohorts in the same
    order, each refused with the same message or with the same table, curves and notes, exactly."""
    if k is not None:
        settings = copy.deepcopy(settings)
        settings["anonymity"]["k"] = k
    seen = {"refused": 0, "shown": 0, "suppressed": 0, "differenced": 0}
    for f in _filters(con):
        got, expected = q.retention_per_cohort(con, f, settings), _one_by_one(con, f, settings)
        assert list(got) == list(expected), f
        for cohort, want in expected.items():
            have = got[cohort]
            if isinstance(want, q.AnonymityRefused):
                assert isinstance(have, q.AnonymityRefused) and str(have) == str(want), (f, cohort)
                seen["refused"] += 1
                continue
            assert not isinstance(have, q.AnonymityRefused), (f, cohort, str(have))
            pd.testing.assert_frame_equal(have.table, want.table, check_exact=True, obj=f"{f} {cohort}")
            pd.testing.assert_frame_equal(have.curves, want.curves, check_exact=True, obj=f"{f} {cohort} curves")
            assert have.notes == want.notes
            seen["shown"] += 1
            seen["suppressed"] += int(want.table["suppressed"].any())
            seen["differenced"] += int(bool(f.active()) and bool(want.curves["estimate"].isna().any()))
    # the comparison is not vacuous: cohorts shown, refused and with hidden rows or months
    assert seen["shown"] >= 10 and seen["refused"] >= 1 and seen["suppressed"] + seen["differenced"] >= 1, seen


def test_retention_per_cohort_runs_two_statements_not_two_a_cohort(con, settings):
    """Unfiltered, every cohort's guard and fit come from one statement each; only the cohorts' programs
    (their parents under the guard's rules) add one statement a program."""
    cur = Counting(con)
    got = q.retention_per_cohort(cur, Filters(), settings)
    cohorts, programs = len(got), len(set(q.filter_options(con).cohort_program[c] for c in got))
    assert cohorts >= 6 and programs < cohorts
    heavy = [s for s, _ in cur.ran if "scope_cohorts" in s and not s.startswith("SELECT c.cohort_id")]
    # per program: its guard breakdown by cohort, its retention fit and its cohorts' leavers (rule 2 across
    # the cohort filter's values); plus the two for every cohort
    assert len(heavy) == 2 + 3 * programs, len(heavy)
