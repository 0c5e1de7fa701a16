"""What every view shares: ViewResult, the column lists, running a statement with its parameters, the
filter options, rule 3's guard on the base counts, and the data's as-of date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from dashboard.anonymity import guard
from dashboard.filters import WAVE_PAIRS, FilterOptions, Filters
from dashboard.queries import sql as Q
from dashboard.queries.sql import MEASURES

ALL = "All"
COMMON = ["n", "estimate", "ci_low", "ci_high", "flags", "suppressed"]
CHANGE_VALUES = ["n", "mean_pre", "mean_post", "estimate", "ci_low", "ci_high", "g", "p_value", "flags",
                 "n_comparison", "comparison_change", "did", "did_ci_low", "did_ci_high", "did_p_value"]
DID_VALUES = ["n_comparison", "comparison_change", "did", "did_ci_low", "did_ci_high", "did_p_value"]


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

def _df(cur, sql: str, params: Mapping) -> pd.DataFrame:
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    return cur.execute(sql, used).df()


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


def _guard(cur, f: Filters, k: int, measure: str = "engagement", counts: bool = False,
           panel: pd.DataFrame | None = None) -> dict | None:
    """Rule 3 on the view's base counts; with counts=True returns the counts of the selection itself
    (without a filter nothing can be refused, and nothing is counted unless the caller needs it).
    `panel`: the view's own ungrouped panel statistics of `measure` under `f` (as _panel_multi returns
    them), whose n and n_comparison are the selection's panel counts, so they are not counted again."""
    sql = Q.guard_fast_sql(measure, f.pre, f.post)
    cache: dict = {}
    if panel is not None:
        row = _df(cur, Q.guard_fast_sql(measure, f.pre, f.post, panel=False), _params(f)).iloc[0]
        cache[f] = {"people in scope": int(row.people), "coached people": int(row.coached),
                    "people in the coached matched panel": _count(panel, "n"),
                    "people in the comparison panel": _count(panel, "n_comparison")}

    def count(filters: Filters) -> dict:
        key = filters
        if key not in cache:
            row = _df(cur, sql, _params(filters)).iloc[0]
            cache[key] = {"people in scope": int(row.people), "coached people": int(row.coached),
                          "people in the coached matched panel": int(row.coached_panel),
                          "people in the comparison panel": int(row.comparison_panel)}
        return cache[key]

    if f.active():
        opts = _maps(cur)
        guard(f, k, count, team_department=opts[0], cohort_program=opts[1])
    return count(f) if counts else None


def _count(stats_: pd.DataFrame, col: str) -> int:
    """A count of a one-row statistics frame (0 where the frame or the value is empty)."""
    return 0 if stats_.empty or pd.isna(stats_[col].iloc[0]) else int(stats_[col].iloc[0])


def _maps(cur):
    teams = dict(cur.execute("SELECT team_id, department FROM teams").fetchall())
    cohorts_ = dict(cur.execute("SELECT cohort_id, program_id FROM cohorts").fetchall())
    return teams, cohorts_


def _check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}")


def _as_of(cur) -> dt.date | None:
    return cur.execute(Q.AS_OF_SQL).fetchall()[0][0]
