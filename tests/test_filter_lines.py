"""Rule 2 across a filter's values, cell by cell. The cells of a breakdown under each value of a filter add
up to the unfiltered cell, and every one of those views can be shown; a second anonymity review backed one
person's change out of them (the Finance column under program P004 against the program x department
cross-tab; cohort ALN-2024B under each career phase against the unfiltered cohort). Now, for every cell,
the unfiltered cell minus the cells shown under the filter's values leaves none or k and more people."""

from __future__ import annotations

import pandas as pd
import pytest

from test_pages import K

from dashboard.anonymity import AnonymityRefused
from dashboard.filters import Filters


def _remainders(dashboard_db, view: str, dim: str, opts: dict, keys: list[str]) -> list:
    from dashboard.db import Reader
    from dashboard.export_cli import run_view
    from dashboard.queries import filter_options
    from pipelines.config import load_settings

    cur, settings = Reader(dashboard_db).cursor(), load_settings()
    values = {"career_phase": ["early", "mid", "late", "unknown"], "department": None, "program": None}[dim]
    fo = filter_options(cur)
    values = values or list({"department": fo.departments, "program": fo.programs}[dim])
    whole = run_view(cur, view, Filters(), settings, **opts).table.set_index(keys)
    shown = []
    for v in values:
        try:
            t = run_view(cur, view, Filters(**{dim: v}), settings, **opts).table
        except AnonymityRefused:
            continue
        shown.append(t[~t["suppressed"]].set_index(keys)["n"])
    shown = [s for s in shown if len(s)]
    got = pd.concat(shown).groupby(level=list(range(len(keys)))).sum() if shown else pd.Series(dtype=float)
    out = []
    for key, n in got.items():
        if key in whole.index and not whole.loc[key, "suppressed"]:
            rest = whole.loc[key, "n"] - n
            if 0 < rest < K:
                out.append((key, whole.loc[key, "n"], n))
    return out


@pytest.mark.parametrize("dim", ["career_phase", "department", "program"])
def test_cohorts_under_each_value_leave_no_small_remainder(dashboard_db, dim):
    assert _remainders(dashboard_db, "cohorts", dim, {"measure": "engagement", "compare": "cohort"}, ["cohort_id"]) == []


@pytest.mark.parametrize("dim", ["career_phase", "program"])
def test_outcomes_by_department_under_each_value_leave_no_small_remainder(dashboard_db, dim):
    assert _remainders(dashboard_db, "outcomes", dim, {"measure": "engagement", "rows": "department", "cols": None},
                       ["department"]) == []


def test_the_reviews_case_the_finance_column_under_p004_is_hidden(dashboard_db):
    from dashboard.db import Reader
    from dashboard.export_cli import run_view
    from pipelines.config import load_settings

    t = run_view(Reader(dashboard_db).cursor(), "outcomes", Filters(program="P004"), load_settings(),
                 measure="engagement", rows="career_phase", cols="department").table
    assert t[(t["department"] == "Finance") & (t["career_phase"] == "All")]["suppressed"].all()


def test_two_date_ranges_a_block_apart_leave_no_small_difference_in_any_cell(dashboard_db):
    """The guard keeps a date range's ends between blocks of cohorts holding k or more people in total; a
    block could still hold one person of a cell (a second review: early career, 12 to 2024-07-24 against 11
    to 2024-02-02). Now no two allowed ranges differ by 1..k-1 people in a cell both show."""
    import datetime as dt
    import itertools

    from dashboard.db import Reader
    from dashboard.export_cli import run_view
    from pipelines.config import load_settings

    cur, settings = Reader(dashboard_db).cursor(), load_settings()
    starts = sorted({r[0] for r in cur.execute("SELECT start_date FROM cohorts WHERE NOT is_waitlist").fetchall()})
    ends = [s + dt.timedelta(days=1) for s in starts]
    shown = {}
    for end in ends:
        try:
            t = run_view(cur, "outcomes", Filters(date_to=end), settings, measure="engagement",
                         rows="career_phase", cols="department").table
        except AnonymityRefused:
            continue
        t = t[~t["suppressed"]]
        shown[end] = dict(zip(zip(t["career_phase"], t["department"]), t["n"]))
    assert len(shown) >= 2
    for a, b in itertools.combinations(shown, 2):
        for cell in set(shown[a]) & set(shown[b]):
            assert not 0 < abs(shown[a][cell] - shown[b][cell]) < K, (a, b, cell, shown[a][cell], shown[b][cell])
