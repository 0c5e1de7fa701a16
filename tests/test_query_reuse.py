"""What the query layer runs once: within one view call every distinct statement (dashboard.queries.common
`view`), and per data version of the warehouse file the counts of a filter's parents, which the anonymity
rules compare a selection with (`_df(..., parent=True)`)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import queries as q
from dashboard.db import Reader, _VERSION_OF, version_of
from dashboard.filters import Filters
from dashboard.queries import common
from dashboard.roi import roi


class Counting:
    """A cursor that records every statement it runs (with its parameters)."""

    def __init__(self, cur):
        self.cur, self.ran = cur, []

    def execute(self, sql, params=None):
        self.ran.append((sql, tuple(sorted((params or {}).items()))))
        return self.cur.execute(sql, params) if params is not None else self.cur.execute(sql)

    def __getattr__(self, name):
        return getattr(self.cur, name)


@pytest.fixture
def reader(sample_warehouse):
    common._PARENTS.clear()
    yield Reader(sample_warehouse)
    common._PARENTS.clear()


def _department(cur, settings) -> str:
    """A department whose filter no view refuses."""
    for d in q.filter_options(cur).departments:
        try:
            q.overview(cur, Filters(department=d), settings)
            roi(cur, Filters(department=d), settings)
            return d
        except q.AnonymityRefused:
            continue
    pytest.skip("every department is refused")


@pytest.mark.parametrize("name", ["quality", "roi", "overview", "cohorts"])
def test_a_view_runs_each_statement_once(reader, settings, name):
    """The quality view's response rates and the ROI's retention and intangibles guard the same selection:
    the guard's statements ran twice (quality) and four times (ROI, one per measure) before."""
    plain = reader.cursor()
    f = Filters(department=_department(plain, settings))
    cur = Counting(plain)   # not a Reader cursor: nothing kept across calls
    calls = {"quality": lambda: q.quality(cur, f, settings), "roi": lambda: roi(cur, f, settings),
             "overview": lambda: q.overview(cur, f, settings),
             "cohorts": lambda: q.cohorts(cur, f, settings, measure="engagement")}
    calls[name]()
    counts = Counter(cur.ran)
    assert len(cur.ran) >= 4
    assert max(counts.values()) == 1, [s.strip().splitlines()[0] for s, n in counts.items() if n > 1]
    # a second call runs everything again: the view's own statements are timed every time (make bench)
    first = len(cur.ran)
    calls[name]()
    assert len(cur.ran) == 2 * first


def test_the_roi_guard_counts_its_measures_in_one_statement(reader, settings):
    cur = Counting(reader.cursor())
    f = Filters(department=_department(reader.cursor(), settings))
    roi(cur, f, settings)
    guards = [s for s, _ in cur.ran if "panel_person AS" in s and "_total" in s]
    assert len(guards) == 1


def test_a_filters_parent_counts_are_kept_for_its_next_value(reader, settings):
    """Two departments share their parent (everyone): the second value runs none of the parent's statements
    again, and gives the same table as without anything kept."""
    plain = reader.cursor()
    departments = [d for d in q.filter_options(plain).departments]
    shown = []
    for d in departments:
        try:
            q.outcomes(plain, Filters(department=d), settings)
            shown.append(d)
        except q.AnonymityRefused:
            continue
    assert len(shown) >= 2
    a, b = (Filters(department=d) for d in shown[:2])
    common._PARENTS.clear()
    cur = Counting(plain)
    _VERSION_OF[cur] = version_of(plain)   # as a Reader cursor of this version
    assert version_of(cur) is not None

    def statements() -> set:
        return set(cur.ran)

    q.outcomes(cur, a, settings)
    first = statements()
    cur.ran.clear()
    got = q.outcomes(cur, b, settings)
    second = statements()
    assert not (first & second), "a statement ran again"
    # the first value ran the view's own statement and its parent's (the guard's breakdown of everyone by
    # department, and the cells of everyone) and read the filter maps (team -> department, cohort ->
    # program); the second only its own
    assert any("FROM teams" in s for s, _ in first) and any(s.strip().endswith("FROM cohorts") for s, _ in first)
    assert len(second) == 1 and len(first) >= 5
    # the same table as a cursor that keeps nothing (to the last bits: DuckDB's parallel sums add in any order)
    fresh = q.outcomes(Counting(plain), b, settings)
    pd.testing.assert_frame_equal(got.table, fresh.table, check_exact=False, rtol=1e-9)


def test_kept_counts_follow_the_data_version(tmp_path: Path):
    """A swapped-in warehouse file is a new version: its counts are run again, while a cursor still on the
    old file keeps reading (and being answered from) the old one. A plain connection keeps nothing."""
    common._PARENTS.clear()
    db = tmp_path / "wh.duckdb"

    def write(rows: int) -> None:
        new = tmp_path / "new.duckdb"
        con = duckdb.connect(str(new))
        con.execute("CREATE TABLE t AS SELECT range AS x FROM range(?)", [rows])
        con.close()
        os.replace(new, db)

    sql = "SELECT count(*) AS n FROM t"
    write(3)
    r = Reader(db)
    old = r.cursor()
    assert int(common._df(old, sql, {}, parent=True).n[0]) == 3
    write(5)
    os.utime(db, ns=(1, 1))   # a different mtime even within the clock's resolution
    new = r.cursor()
    assert version_of(new) != version_of(old)
    assert int(common._df(new, sql, {}, parent=True).n[0]) == 5
    assert int(common._df(old, sql, {}, parent=True).n[0]) == 3
    plain = duckdb.connect(str(db), read_only=True)
    assert version_of(plain) is None
    common._df(plain, sql, {}, parent=True)
    assert len(common._PARENTS) == 2
    plain.close()
    common._PARENTS.clear()
