"""What every view shares: ViewResult, the column lists, running a statement with its parameters, the
filter options, rule 3's guard on the base counts, and the data's as-of date."""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Mapping, TypeVar

import pandas as pd

from dashboard.anonymity import date_blocks, guard, parents
from dashboard.db import version_of
from dashboard.filters import WAVE_PAIRS, FilterOptions, Filters
from dashboard.queries import foreground, sql as Q
from dashboard.queries.sql import MEASURES

ALL = "All"
COMMON = ["n", "estimate", "ci_low", "ci_high", "flags", "suppressed"]
CHANGE_VALUES = ["n", "mean_pre", "mean_post", "estimate", "ci_low", "ci_high", "g", "p_value", "flags",
                 "n_comparison", "comparison_change", "did", "did_ci_low", "did_ci_high", "did_p_value", "did_n"]
DID_VALUES = ["n_comparison", "comparison_change", "did", "did_ci_low", "did_ci_high", "did_p_value", "did_n"]
# the DiD's own figures: did_n, the coached people it rests on (those in cohorts with 2 or more coached and
# 2 or more comparison people in the cell, which may be fewer than n)
DID_OWN = ["did", "did_ci_low", "did_ci_high", "did_p_value", "did_n"]


@dataclass
class ViewResult:
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    k: int = 5

    def __getattr__(self, name: str):
        extras = self.__dict__.get("extras") or {}
        if name in extras:
            return extras[name]
        raise AttributeError(name)


# -- plumbing -------------------------------------------------------------------------------------

# The statements one view call has run: (cursor, statement, parameters) -> result. A view's parts need some
# of the same counts: the guard runs in the quality view and again in its response rates, the ROI's
# retention and intangibles guard the same selection, and every rule-3 check reads the filter maps. Within
# one call (the views it calls included) each is run once; nothing of it outlives the call.
_RUN: contextvars.ContextVar[dict | None] = contextvars.ContextVar("coachlens_view_statements", default=None)
V = TypeVar("V", bound=Callable)

# The counts of a filter's parents (the selection with one filter relaxed), which the anonymity rules compare
# the selection with: the same for every value of the filter (the department breakdown of everyone, for
# any one department), so they are kept per data version of the warehouse file, for cursors of a
# dashboard.db.Reader (which says which version a cursor reads); least recently used out first. The filter
# maps (team -> department, cohort -> program, see _maps) are kept here too. A view's own statements are
# never kept beyond its call: `make bench` times them every time.
_PARENTS: OrderedDict = OrderedDict()
_PARENTS_MAX = 256
_PARENTS_LOCK = threading.Lock()


def view(fn: V) -> V:
    """Marks a view function: the statements of one call are run once each (see _RUN)."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        if _RUN.get() is not None:
            return fn(*args, **kwargs)
        waited_on = foreground.enter()
        token = _RUN.set({})
        try:
            return fn(*args, **kwargs)
        finally:
            _RUN.reset(token)
            if waited_on:
                foreground.leave()
    return call  # type: ignore[return-value]


def _key(sql: str, params: Mapping) -> tuple:
    return (sql, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())))


def _df(cur, sql: str, params: Mapping, parent: bool = False) -> pd.DataFrame:
    """The statement's result with the parameters it uses. parent=True: counts of a filter's parent for
    the anonymity rules, kept per data version (see _PARENTS)."""
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    version = version_of(cur) if parent else None
    if version is not None:
        key = (version,) + _key(sql, used)
        with _PARENTS_LOCK:
            if key in _PARENTS:
                _PARENTS.move_to_end(key)
                return _PARENTS[key].copy()
        df = _df(cur, sql, used)
        with _PARENTS_LOCK:
            _PARENTS[key] = df.copy()
            while len(_PARENTS) > _PARENTS_MAX:
                _PARENTS.popitem(last=False)
        return df
    run = _RUN.get()
    if run is None:
        return foreground.statement(cur, lambda: cur.execute(sql, used).df())
    key = (id(cur),) + _key(sql, used)
    if key not in run:
        run[key] = foreground.statement(cur, lambda: cur.execute(sql, used).df())
    return run[key].copy()   # callers may change their frame


def _rows(cur, sql: str, params: Mapping | None = None) -> list[tuple]:
    """fetchall() of a statement, run once per view call like _df."""
    run = _RUN.get()

    def fetch():
        return (cur.execute(sql, params) if params else cur.execute(sql)).fetchall()

    if run is None:
        return foreground.statement(cur, fetch)
    key = ("rows", id(cur)) + _key(sql, params or {})
    if key not in run:
        run[key] = foreground.statement(cur, fetch)
    return list(run[key])


def _params(f: Filters, **extra) -> dict:
    return {**f.params(), "pre": f.pre, "post": f.post, **extra}


def filter_options(cur) -> FilterOptions:
    def col(sql):
        return tuple(r[0] for r in cur.execute(sql).fetchall())

    progs = cur.execute("SELECT program_id, name FROM programs ORDER BY program_id").fetchall()
    cohorts_ = cur.execute("SELECT cohort_id, program_id FROM cohorts WHERE NOT is_waitlist ORDER BY start_date, cohort_id").fetchall()
    teams = cur.execute("SELECT team_id, department FROM teams ORDER BY team_id").fetchall()
    dmin, dmax = cur.execute("SELECT min(start_date), max(start_date) FROM cohorts WHERE NOT is_waitlist").fetchall()[0]
    return FilterOptions(
        programs=tuple(p for p, _ in progs), cohorts=tuple(c for c, _ in cohorts_),
        coaches=col("SELECT coach_id FROM coaches ORDER BY coach_id"),
        departments=col("SELECT DISTINCT department FROM teams ORDER BY department"),
        teams=tuple(t for t, _ in teams), program_names=dict(progs), cohort_program=dict(cohorts_),
        team_department=dict(teams), date_min=dmin, date_max=dmax, waves=WAVE_PAIRS)


def _guard(cur, f: Filters, k: int, measure: str | list[str] = "engagement", counts: bool = False,
           panel: pd.DataFrame | dict | None = None, completion: bool = False, comparison: bool = True,
           within: list[str] | tuple[str, ...] | None = None, selection: pd.Series | None = None) -> dict | None:
    """Rule 3 on the view's base counts, and rule 2 against each filter (the filtered value must not be
    hidden in the breakdown of its parent by that dimension); with counts=True returns the counts of the
    selection itself (without a filter nothing can be refused, and nothing is counted unless the caller
    needs it).

    `measure`: the measure, or every measure the view shows (each one's matched panels are checked).
    `panel`: the view's own ungrouped panel statistics under `f` (as _panel_multi returns them; a dict
    measure -> statistics with several measures), whose n and n_comparison are the selection's panel
    counts, so they are not counted again. completion=True: the completion counts are checked too.
    comparison=False: the comparison panels are not (a view showing no comparison figure).
    `within`: the measures whose guards the view runs one by one (each measure refused on its own, e.g. the
    ROI's intangibles): the counts of all of them come from one statement, run once per view call, and
    this call checks those of `measure`.
    `selection`: the counts of `f` itself, a row of guard_fast_sql's columns that another statement gave
    (e.g. each cohort's row of one statement, guard_fast_sql(by='cohort', each=True)), not counted again."""
    ms = [measure] if isinstance(measure, str) else list(measure)
    counted = list(within) if within else ms
    if not set(ms) <= set(counted):
        raise ValueError(f"within must hold every measure of the guard: {ms} not in {counted}")
    labels = _guard_labels(ms, completion, comparison, at=[counted.index(m) for m in ms])
    panels = ({ms[0]: panel} if isinstance(panel, pd.DataFrame) else panel) if panel is not None else None
    sql = Q.guard_fast_sql(counted, f.pre, f.post, completion=completion, comparison=comparison)
    cache: dict = {}

    def named(row) -> dict:
        return {label: int(row[col]) for col, label in labels.items() if col in row.index}

    memo: dict = {}
    if selection is not None:
        cache[f] = named(selection)

    def count_by(filters: Filters, dim: str) -> pd.DataFrame:
        """The breakdown of `filters` by `dim`; its total row, the counts of `filters` itself, is kept for
        count()."""
        if (filters, dim) not in memo:
            df = _df(cur, Q.guard_fast_sql(counted, filters.pre, filters.post, completion=completion, by=dim,
                                           total=True, comparison=comparison), _params(filters), parent=filters != f)
            total = df[df["_total"]]
            if len(total) and filters not in cache:
                cache[filters] = named(total.iloc[0])
            df = df[~df["_total"]].groupby("_v", dropna=False).sum()   # a value absent from a side came once per side
            memo[(filters, dim)] = df[[c for c in labels if c in df.columns]].rename(columns=labels)
        return memo[(filters, dim)]

    def count(filters: Filters) -> dict:
        if filters not in cache:
            cache[filters] = named(_df(cur, sql, _params(filters), parent=filters != f).iloc[0])
        return cache[filters]

    if not f.active():
        return count(f) if counts else None
    opts = _maps(cur)
    # the breakdown statement that rule 2 needs answers rule 3 too: its total row is the parent's counts,
    # and a person has one department, team and career phase, so for those the selection's counts are the
    # row of the chosen value
    for dim, parent in parents(f, opts[0], opts[1]):
        # and the parent's own counts, for rule 3 (a date range's blocks are of cohorts)
        cells = count_by(parent, "cohort" if dim == "dates" else dim)
        if dim in Q.PERSON_DIMENSIONS:
            value = getattr(f, dim)
            cache.setdefault(f, {c: int(cells.loc[value, c]) if value in cells.index else 0 for c in cells.columns})
    if f not in cache and panels is not None:
        row = _df(cur, Q.guard_fast_sql(counted, f.pre, f.post, panel=False, completion=completion), _params(f)).iloc[0]
        mine = named(row)
        for m, i in zip(ms, (counted.index(m) for m in ms)):
            mine[labels[f"coached_panel_{i}"]] = _count(panels[m], "n")
            if comparison:
                mine[labels[f"comparison_panel_{i}"]] = _count(panels[m], "n_comparison")
        cache[f] = mine
    starts = (dict(_rows(cur, "SELECT cohort_id, start_date FROM cohorts WHERE NOT is_waitlist"))
              if f.date_from or f.date_to else None)
    guard(f, k, count, team_department=opts[0], cohort_program=opts[1], count_by=count_by, cohort_start=starts)
    run = _RUN.get()
    if starts is not None and run is not None:
        # the blocks of cohorts inside the range, for the cell rule across date ranges (cell_rules._date_lines)
        lo, hi = f.date_from, f.date_to
        blocks = date_blocks(count_by(f.with_(date_from=None, date_to=None), "cohort"), starts, k)
        run[("date_blocks", id(cur))] = [b for b in blocks if all(
            (lo is None or starts[c] >= lo) and (hi is None or starts[c] <= hi) for c in b)]
    return count(f) if counts else None


def _guard_labels(measures: list[str], completion: bool, comparison: bool = True,
                  at: list[int] | None = None) -> dict:
    """guard_fast_sql's count columns -> the words a refusal uses for them. `at`: each measure's index in
    the statement's list of measures (default: its own position)."""
    labels = {"people": "people in scope", "coached": "coached people"}
    for m, i in zip(measures, at if at is not None else range(len(measures))):
        of = f" ({m.replace('_', ' ')})" if len(measures) > 1 else ""
        labels[f"coached_panel_{i}"] = f"people in the coached matched panel{of}"
        if comparison:
            labels[f"comparison_panel_{i}"] = f"people in the comparison panel{of}"
    if completion:
        labels.update({"completion_n": "people with a finished enrolment", "completion_x": "people who completed"})
    return labels


def _count(stats_: pd.DataFrame, col: str) -> int:
    """A count of a one-row statistics frame (0 where the frame or the value is empty)."""
    return 0 if stats_.empty or pd.isna(stats_[col].iloc[0]) else int(stats_[col].iloc[0])


def _maps(cur):
    """team -> department and cohort -> program, built once per data version like a parent's counts (see
    _PARENTS; else once per view call): a large organisation has tens of thousands of teams, and a view asks
    for them at every rule-3 check. Read them, never change them."""
    run, key = _RUN.get(), ("maps", id(cur))
    if run is not None and key in run:
        return run[key]
    version = version_of(cur)
    kept = (version, "maps")
    with _PARENTS_LOCK:
        maps = _PARENTS.get(kept) if version is not None else None
        if maps is not None:
            _PARENTS.move_to_end(kept)
    if maps is None:
        maps = (dict(_rows(cur, "SELECT team_id, department FROM teams")),
                dict(_rows(cur, "SELECT cohort_id, program_id FROM cohorts")))
        if version is not None:
            with _PARENTS_LOCK:
                _PARENTS[kept] = maps
                while len(_PARENTS) > _PARENTS_MAX:
                    _PARENTS.popitem(last=False)
    if run is not None:
        run[key] = maps
    return maps


def _check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}")


def _as_of(cur) -> dt.date | None:
    return _rows(cur, Q.AS_OF_SQL)[0][0]
