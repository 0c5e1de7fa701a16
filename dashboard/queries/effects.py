"""The effect views: outcomes, cohorts, coach_impact (change and DiD of the matched panel) and the
overview of headline figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dashboard import stats
from dashboard.anonymity import AnonymityRefused, blank_suppressed, differenced, k_of, parents
from dashboard.filters import Filters
from dashboard.queries import sql as Q
from dashboard.queries.common import (ALL, ViewResult, _as_of, _check_measure, _count, _df, _guard, _maps, view,
                                      _params)
from dashboard.queries.cell_rules import nested_sets
from dashboard.queries.panel import _crosstab, _crosstabs, _estimates, _notes_change, _panel_multi
from dashboard.queries.sql import GROUP_COLUMNS, MEASURES
from dashboard.queries.sql.common import MEASURE_RANGE
from dashboard.queries.survival import retention


_NESTED_NOTE = ("Cohorts nest in programs: a cohort may be hidden beside a smaller one of its program (or the program "
                "beside its cohorts), so that the program's figure minus its shown cohorts cannot give a small group.")

OUTCOME_BREAKDOWNS = ("career_phase", "department", "team", "program", "cohort")


def _check_breakdown(rows: str, cols: str | None) -> None:
    """The outcomes' breakdowns (docs/query-api.md); not by coach, which the coach page shows one at a time."""
    for name in (rows, cols):
        if name is not None and name not in OUTCOME_BREAKDOWNS:
            raise ValueError(f"unknown breakdown {name!r}; use one of {', '.join(OUTCOME_BREAKDOWNS)}")


@view
def outcomes(cur, f: Filters, settings, measure: str = "engagement", rows: str = "career_phase",
             cols: str | None = "department") -> ViewResult:
    k = k_of(settings)
    _check_measure(measure)
    _check_breakdown(rows, cols)
    if rows == cols:
        cols = None
    _guard(cur, f, k, measure)
    df = _crosstab(cur, f, k, measure, rows, cols)
    notes = _notes_change(df, k)
    if {rows, cols} & {"cohort", "program"} and df["suppressed"].any():
        notes.append(_NESTED_NOTE)
    return ViewResult(df, notes, {}, k)


@view
def _outcomes_many(cur, f: Filters, settings, measures, rows: str = "career_phase",
                   cols: str | None = "department") -> list:
    """outcomes() for several measures, their panels from one statement: [(measure, ViewResult or the
    AnonymityRefused it raises)], in order, ending at the first refusal (each measure has its own guard)."""
    k = k_of(settings)
    for m in measures:
        _check_measure(m)
    _check_breakdown(rows, cols)
    if rows == cols:
        cols = None
    sets = [[rows, cols], [rows], [cols], []] if cols else [[rows], []]
    shown, refused = [], None
    for m in measures:
        try:
            _guard(cur, f, k, m, within=list(measures))   # one statement counts every measure
        except AnonymityRefused as exc:
            refused = (m, exc)
            break
        shown.append(m)
    out = []
    if shown:
        raws = _panel_multi(cur, f, list(measures), [[x for x in s if x] for s in sets] + nested_sets(rows, cols))
        tables = _crosstabs(cur, f, k, shown, rows, cols, pre_raws=raws)
        out = [(m, ViewResult(tables[m], _notes_change(tables[m], k), {}, k)) for m in shown]
    return out + ([refused] if refused else [])


def _level_intervals(traj: pd.DataFrame, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """The t interval of each mean level (n, estimate, sd), cut to the measure's possible levels where its
    definition fixes them (MEASURE_RANGE: an eNPS of 5 people can give a t interval beyond 100)."""
    lo_hi = [stats.mean_interval(n, m, s) for n, m, s in zip(traj["n"], traj["estimate"], traj["sd"])]
    lo, hi = MEASURE_RANGE.get(measure, (-np.inf, np.inf))
    return (np.clip(np.array([x[0] for x in lo_hi], dtype=float), lo, hi),
            np.clip(np.array([x[1] for x in lo_hi], dtype=float), lo, hi))


@view
def cohorts(cur, f: Filters, settings, measure: str = "engagement", compare: str = "cohort") -> ViewResult:
    k = k_of(settings)
    _check_measure(measure)
    if compare not in ("cohort", "program"):
        raise ValueError("compare must be 'cohort' or 'program'")
    _guard(cur, f, k, measure)
    df = _crosstab(cur, f, k, measure, compare, None, per_cohort_welch=(compare == "cohort"))
    key = GROUP_COLUMNS[compare]
    pooled = df[df[key] == ALL].reset_index(drop=True)
    table = df[df[key] != ALL].reset_index(drop=True)
    info = _df(cur, "SELECT cohort_id, program_id, start_date FROM cohorts", {})
    if compare == "cohort":
        table = table.merge(info, on="cohort_id", how="left")
        table = table[["cohort_id", "program_id", "start_date"] + [c for c in table if c not in
                                                                   ("cohort_id", "program_id", "start_date")]]
        table = table.sort_values(["start_date", "cohort_id"]).reset_index(drop=True)
    # trajectories: mean level of the wave's respondents, per group x role x wave
    traj = _df(cur, Q.trajectory_fast_sql(measure, Q.group_cols([compare])), _params(f))
    traj = traj.rename(columns={"mean": "estimate"})
    traj["ci_low"], traj["ci_high"] = _level_intervals(traj, measure)
    traj["measure"] = measure
    traj["flags"] = [stats.flags(n) for n in traj["n"]]
    wave_order = {"baseline": 0, "mid": 1, "post": 2, "follow_up": 3}
    traj = traj.assign(_w=traj["wave"].map(wave_order)).sort_values([key, "role", "_w"]).drop(columns=["_w", "sd"])
    hide = traj["n"].to_numpy() < k
    # rule 3 on every point: under a filter, a wave's respondents 1..k-1 fewer than with the filter relaxed
    # would give those people's mean level by subtraction
    for _, parent in (parents(f, *_maps(cur)) if f.active() else []):
        theirs = _df(cur, Q.trajectory_fast_sql(measure, Q.group_cols([compare])), _params(parent), parent=True)
        hide |= differenced(traj, theirs, [key, "role", "wave"], ["n"], k)
    traj = blank_suppressed(traj[[key, "role", "wave", "measure", "n", "estimate", "ci_low", "ci_high", "flags"]],
                            hide, ["n", "estimate", "ci_low", "ci_high", "flags"])
    notes = _notes_change(df, k)
    if table["suppressed"].any():
        notes.append(_NESTED_NOTE)
    if compare == "cohort":
        notes.insert(0, "Per cohort, the DiD is Welch's (coached change minus comparison change, the comparison "
                        "group being the not-yet-coached and never-coached people over the cohort's own window).")
    return ViewResult(table, notes, {"pooled": pooled, "trajectories": traj.reset_index(drop=True)}, k)


COACHED_STATS = ["n", "n_rows", "mean_d", "sd_d", "mean_pre", "sd_pre", "mean_post"]
COMPARISON_STATS = ["n_comparison", "n0_rows", "comparison_change", "comparison_sd", "comparison_mean_pre",
                    "comparison_sd_pre"]


def _coach_groups(total: pd.DataFrame, coach_id: str) -> pd.DataFrame:
    """panel_stats_sql grouped by coach under a coach filter, from the ungrouped statistics: the coached
    rows all carry that coach and the comparison rows none (NULL), so the groups are the coach (the
    coached statistics) and NULL (the comparison statistics); neither has both roles, so there is no DiD
    (and a NULL key joins nothing)."""
    stat_cols = [c for c in total.columns if c != "_all"]
    rows = []
    if len(total):
        r = total.iloc[0]
        if pd.notna(r["n_rows"]):
            rows.append({"coach_id": coach_id, **{c: (r[c] if c in COACHED_STATS else None) for c in stat_cols}})
        if pd.notna(r["n0_rows"]):
            rows.append({"coach_id": None, **{c: (r[c] if c in COMPARISON_STATS else None) for c in stat_cols}})
    return pd.DataFrame(rows, columns=["coach_id"] + stat_cols)


@view
def coach_impact(cur, f: Filters, settings, coach_id: str, measure: str | None = None) -> ViewResult:
    k = k_of(settings)
    measures = [measure] if measure else list(MEASURES)
    for m in measures:
        _check_measure(m)
    f = f.with_(coach=coach_id)
    rows = []
    # one statement for the table (every measure, ungrouped); it shows no DiD, so the statement leaves it out
    raws = _panel_multi(cur, f, measures, [[]], did=False)
    # rule 3 before anything is built (the selection's panel counts are the panel statement's)
    _guard(cur, f, k, measures, panel={m: raws[(m, ())] for m in measures}, comparison=False)   # no comparison shown
    for m in measures:
        raws[(m, ("coach",))] = _coach_groups(raws[(m, ())], coach_id)
    tables = _crosstabs(cur, f, k, measures, "coach", None, pre_raws=raws, coach_total=True)
    for m in measures:
        df = tables[m]
        df = df[df["coach_id"] == ALL]
        rows.append(df.assign(coach_id=coach_id))
    table = pd.concat(rows, ignore_index=True)
    table = table[["coach_id", "measure", "n", "estimate", "ci_low", "ci_high", "flags", "suppressed",
                   "mean_pre", "mean_post", "g", "p_value"]]
    notes = _notes_change(table, k, did=False)
    notes.append("The coach's clients only: paired change between the chosen waves, pooled over their cohorts.")
    return ViewResult(table, notes, {}, k)


# -- overview ----------------------------------------------------------------------------------------

@view
def overview(cur, f: Filters, settings, waves: str | None = None) -> ViewResult:
    k = k_of(settings)
    if waves:
        f = f.with_(waves=waves)
    raws = _panel_multi(cur, f, list(MEASURES), [[]])
    if f.active():
        # rule 3 and the filter's breakdown on every measure shown, and on the completion counts
        got = _guard(cur, f, k, list(MEASURES), counts=True, panel={m: raws[(m, ())] for m in MEASURES},
                     completion=True)
        counts = {"people in scope": got["people in scope"], "coached people": got["coached people"],
                  "people in the coached matched panel": _count(raws[("engagement", ())], "n")}
        comp = pd.Series({"n": got["people with a finished enrolment"], "x": got["people who completed"]})
    else:
        # nothing to refuse: people, coached and completion counted alone (one statement), the matched panel
        # is the engagement panel's n
        base = _df(cur, Q.guard_fast_sql("engagement", f.pre, f.post, panel=False, completion=True),
                   _params(f)).iloc[0]
        counts = {"people in scope": int(base.people), "coached people": int(base.coached),
                  "people in the coached matched panel": _count(raws[("engagement", ())], "n")}
        comp = pd.Series({"n": base.completion_n, "x": base.completion_x})
    rows = []

    def add(metric, measure=None, n=None, estimate=math.nan, lo=math.nan, hi=math.nan, flags="", suppressed=False,
            **extra):
        rows.append({"metric": metric, "measure": measure, "n": n, "estimate": estimate, "ci_low": lo, "ci_high": hi,
                     "flags": flags, "suppressed": suppressed or (n is not None and n < k), **extra})

    add("people_in_scope", n=counts["people in scope"], estimate=float(counts["people in scope"]))
    add("coached", n=counts["coached people"], estimate=float(counts["coached people"]))
    p, lo, hi = stats.wilson(comp.x, comp.n)
    add("completion_rate", n=int(comp.n), estimate=p, lo=lo, hi=hi, flags=stats.flags(int(comp.n)))
    add("matched_panel", "engagement", n=counts["people in the coached matched panel"],
        estimate=float(counts["people in the coached matched panel"]))
    ests = _estimates(pd.concat([raws[(m, ())] for m in MEASURES], ignore_index=True),
                      [m for m in MEASURES for _ in range(len(raws[(m, ())]))])
    for m in MEASURES:
        e = ests[ests["measure"] == m]
        e = e.iloc[0] if len(e) else None
        if e is None:
            add("change", m, n=0, suppressed=True)
            add("did", m, n=0, suppressed=True)
            continue
        add("change", m, n=int(e["n"]), estimate=e["estimate"], lo=e["ci_low"], hi=e["ci_high"], flags=e["flags"],
            g=e["g"], p_value=e["p_value"])
        n0 = int(e["n_comparison"])
        did_flags = stats.flags(min(int(e["n"]), n0), None, bool(e["_rtm"]), [] if n0 else ["no_comparison"])
        add("did", m, n=int(e["n"]), estimate=e["did"], lo=e["did_ci_low"], hi=e["did_ci_high"], flags=did_flags,
            p_value=e["did_p_value"], n_comparison=n0, suppressed=e["n"] < k or n0 < k)
    ret = retention(cur, f, settings, guarded=True).table    # guarded above, on every measure's counts
    for role in ("coached", "comparison"):
        r = ret[(ret.group == ALL) & (ret.role == role)]
        if r.empty:
            add(f"retention_12m_{role}", n=0, suppressed=True)
        else:
            r = r.iloc[0]
            add(f"retention_12m_{role}", n=None if r.suppressed else int(r.n), estimate=r.estimate, lo=r.ci_low,
                hi=r.ci_high, flags=r["flags"] or "", suppressed=bool(r.suppressed), p_value=r.logrank_p)
    fresh = cur.execute("SELECT max(finished_at) FROM load_batches").fetchall()[0][0]
    as_of = _as_of(cur)
    add("data_freshness", as_of=str(as_of) if as_of else None, loaded_at=str(fresh) if fresh else None)
    table = pd.DataFrame(rows)
    for c in ("g", "p_value", "n_comparison", "as_of", "loaded_at"):
        if c not in table:
            table[c] = None
    table["n"] = table["n"].astype("Int64")
    table["n_comparison"] = pd.to_numeric(table["n_comparison"]).astype("Int64")
    table = blank_suppressed(table, table["suppressed"].to_numpy(dtype=bool),
                             ["n", "n_comparison", "estimate", "ci_low", "ci_high", "flags", "g", "p_value"])
    table = table[["metric", "measure", "n", "estimate", "ci_low", "ci_high", "flags", "suppressed", "g",
                   "p_value", "n_comparison", "as_of", "loaded_at"]]
    notes = [f"Every figure rests on at least {k} people; change and DiD between the {f.pre} and {f.post} waves.",
             "DiD pooled across cohorts (coached-panel-size weights, person-clustered variance)."]
    return ViewResult(table, notes, {}, k)
