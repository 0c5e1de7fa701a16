"""The retention view: Kaplan-Meier retention of the coached and the comparison group, overall and by
program or career phase, with its monthly curves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import stats
from dashboard.anonymity import (AnonymityRefused, _protect_line, blank_suppressed, differenced, k_of, parents,
                                 suppress_crosstab, suppress_with_total)
from dashboard.filters import Filters
from dashboard.queries import sql as Q
from dashboard.queries.common import ALL, ViewResult, _as_of, _df, _guard, _maps, _params, view
from dashboard.queries.sql.retention import EXIT_LINE_COLUMNS, exit_lines_sql

MONTH_DAYS = 30.4375
# the panel whose counts the retention guard checks besides the people and the coached (every view's base)
_GUARD_MEASURE = "engagement"


@view
def retention(cur, f: Filters, settings, split: str | None = None, horizon_months: int = 12,
              guarded: bool = False) -> ViewResult:
    """guarded=True: the caller has run the differencing guard on these filters already, on counts that
    include this view's (the overview's, on every measure)."""
    k = k_of(settings)
    if split not in (None, "program", "career_phase"):
        raise ValueError("split must be None, 'program' or 'career_phase'")
    if not guarded:
        _guard(cur, f, k, _GUARD_MEASURE)
    as_of = _as_of(cur)
    table, curves = _fit(cur, f, split, horizon_months, as_of)
    fitted_parents = [_fit(cur, parent, split, horizon_months, as_of, parent=True)
                      for _, parent in (parents(f, *_maps(cur)) if f.active() else [])]
    hide_coached = _exit_lines(cur, f, k, as_of) if f.active() else False
    return _suppressed(table, curves, fitted_parents, k, horizon_months, as_of, hide_coached)


def _exit_lines(cur, f: Filters, k: int, as_of) -> bool:
    """Rule 2 across a filter's values on the coached people's voluntary exits: under X = x, the coached
    exits of every value of X add up to the parent's (about: a person can count under two values), and each
    value's retention can be shown, so where some value has 1..k-1 exits the line over X's values is
    protected as a breakdown with its total, and x's coached row is hidden if it is among the hidden (a
    second anonymity review: cohort ALN-2025B's 3 exits, hidden, were program P001's minus its three
    other cohorts'). True: hide the selection's coached rows."""
    for dim, parent in parents(f, *_maps(cur)):
        if dim not in EXIT_LINE_COLUMNS:
            continue
        line = _df(cur, exit_lines_sql(dim), _params(parent, as_of=as_of), parent=True)
        exits = line["exits"].to_numpy(dtype=float)
        mask = (exits > 0) & (exits < k)
        _protect_line(exits, mask, list(range(len(exits))), k)
        if mask[(line["x"].astype(str) == str(getattr(f, dim))).to_numpy()].any():
            return True
    return False


@view
def retention_per_cohort(cur, f: Filters, settings,
                         horizon_months: int = 12) -> dict[str, ViewResult | AnonymityRefused]:
    """What retention(cur, f.with_(cohort=c), settings) gives for every in-scope cohort c, each with its own
    guard and suppression: {cohort: its ViewResult, or the AnonymityRefused its guard raised}, in cohort
    start order. The cohorts' fits come from one statement and their guard counts from another, instead of
    two statements a cohort; the fits of the filters' parents likewise, one statement a filter (kept per
    data version), and of each cohort's own parent, its program, one a program (kept)."""
    k = k_of(settings)
    as_of = _as_of(cur)
    cohorts = _df(cur, Q.SCOPE_COHORTS_SQL, f.params())["cohort_id"].tolist()
    if not cohorts:
        return {}
    counts_sql = Q.guard_fast_sql([_GUARD_MEASURE], f.pre, f.post, by="cohort", each=True)
    counts = _df(cur, counts_sql, _params(f)).set_index("_v")
    nobody = pd.Series(0, index=counts.columns)
    fits = _by_cohort(_df(cur, Q.retention_cohorts_sql(), _params(f, as_of=as_of)))
    # the fits of f's parents (one filter relaxed), per cohort: each cohort's parents but the cohort's own
    parent_fits = {dim: _by_cohort(_df(cur, Q.retention_cohorts_sql(), _params(parent, as_of=as_of), parent=True))
                   for dim, parent in parents(f, *_maps(cur)) if dim != "cohort"}
    program_fits: dict = {}      # a cohort's own parent, its program: shared by the program's cohorts
    out: dict[str, ViewResult | AnonymityRefused] = {}
    for c in cohorts:
        fc = f.with_(cohort=str(c))
        try:
            _guard(cur, fc, k, _GUARD_MEASURE, selection=counts.loc[c] if c in counts.index else nobody)
        except AnonymityRefused as refused:
            out[str(c)] = refused
            continue
        fitted_parents = []
        for dim, parent in parents(fc, *_maps(cur)):
            if dim != "cohort":
                fitted_parents.append(_fit_rows(parent_fits[dim].get(c), horizon_months))
                continue
            if parent not in program_fits:
                program_fits[parent] = _fit(cur, parent, None, horizon_months, as_of, parent=True)
            fitted_parents.append(program_fits[parent])
        table, curves = _fit_rows(fits.get(c), horizon_months)
        out[str(c)] = _suppressed(table, curves, fitted_parents, k, horizon_months, as_of,
                                  _exit_lines(cur, fc, k, as_of))
    return out


def _by_cohort(both: pd.DataFrame) -> dict:
    """retention_cohorts_sql's rows per cohort, each cohort's as retention_fast_sql's rows of grouping
    '_all' under a filter on that cohort (grp 'All')."""
    return {c: part.assign(grp=ALL).reset_index(drop=True) for c, part in both.groupby("grp", sort=False)}


def _suppressed(table: pd.DataFrame, curves: pd.DataFrame, fitted_parents: list, k: int, horizon_months: int,
                as_of, hide_coached: bool = False) -> ViewResult:
    """The retention view from its fits (_fit) and its parents' fits: every anonymity rule applied, the
    short follow-up flags and the notes."""
    # rule 3 on every row and month, not only on the view's totals: under a filter, a group (or a month of
    # its curve) whose counts with that filter relaxed are 1..k-1 higher would give those people's exits
    # by subtraction
    row_before = np.zeros(len(table), dtype=bool)
    month_before = np.zeros(len(curves), dtype=bool)
    for ptable, pcurves in fitted_parents:
        row_before |= differenced(table, ptable, ["group", "role"], ["n", "exits"], k)
    if hide_coached:
        row_before |= (table["role"] == "coached").to_numpy()
        month_before |= differenced(curves, pcurves, ["group", "role", "month"], ["at_risk"], k)
    # a group with fewer than k people still at risk at the horizon was not followed that long: its
    # "12-month" retention is the last estimate before it, carried forward, so say so beside it
    at_h = curves[curves["month"] == horizon_months]
    short = set(zip(at_h.loc[at_h["at_risk"] < k, "group"], at_h.loc[at_h["at_risk"] < k, "role"]))
    table["flags"] = [";".join(x for x in (fl, "short_follow_up" if (g, r) in short else "") if x)
                      for fl, g, r in zip(table["flags"], table["group"], table["role"])]
    # rules 1 and 2: per role, groups against the All total (a 1-way breakdown)
    hidden = np.zeros(len(table), dtype=bool)
    for role in ("coached", "comparison"):
        part = table[table.role == role]
        if part.empty:
            continue
        vals = [g for g in part["group"] if g != ALL] + [ALL]
        grid = part.set_index("group")["n"].reindex(vals).fillna(0).to_frame("All")
        before = pd.Series(row_before[part.index.to_numpy()], index=part["group"].to_numpy()).reindex(vals, fill_value=False)
        h = suppress_crosstab(grid, k, before.to_numpy(dtype=bool).reshape(-1, 1))["All"]
        # the leavers too: a group with 1..k-1 voluntary exits would show each of them (its count, and the
        # curve's steps dating them: who left that month quit rather than was let go), and so would the
        # total minus the shown groups
        exits = part.set_index("group")["exits"].reindex(vals).fillna(0).to_frame("All")
        h |= suppress_crosstab(exits, k, before.to_numpy(dtype=bool).reshape(-1, 1))["All"]
        hidden[part.index.to_numpy()] = h.reindex(part["group"]).to_numpy()
    # the log-rank p and the coached/comparison contrast need both groups shown
    both = table.groupby("group")["n"].transform("size")
    table = blank_suppressed(table, hidden, ["n", "exits", "estimate", "ci_low", "ci_high", "flags"])
    shown_both = ~table.groupby("group")["suppressed"].transform("any") & (both == 2)
    table.loc[~shown_both, "logrank_p"] = np.nan
    table = table[["group", "role", "n", "exits", "estimate", "ci_low", "ci_high", "logrank_p", "flags", "suppressed"]]
    if not curves.empty:
        hidden_of = dict(zip(zip(table["group"], table["role"]), table["suppressed"]))
        curves = blank_suppressed(curves, _hidden_months(curves, hidden_of, k, month_before),
                                  ["at_risk", "estimate", "ci_low", "ci_high"])
    notes = [f"Voluntary exits only (involuntary exits censored); data as of {as_of}. Coached people from their "
             "enrolment start; the comparison group (employed and not yet coached) from the first in-scope cohort "
             "start at which they were employed and not yet coached, each person entering once; comparison people who are coached "
             "later are censored then.",
             f"{horizon_months}-month retention with a 95% Greenwood (log-log) interval; p from the log-rank test."]
    if table["suppressed"].any():
        notes.append(f"Rows marked hidden rest on fewer than {k} people, or on 1 to {k - 1} voluntary leavers "
                     "(whose exits the curve would date), or are hidden to protect such a row.")
    if any("short_follow_up" in str(x) for x in table["flags"]):
        notes.append(f"Short follow-up (flag short_follow_up): fewer than {k} people of the group were followed for {horizon_months} "
                     f"months; its {horizon_months}-month retention is the last estimate before that, carried "
                     "forward, and may overstate retention.")
    return ViewResult(table.reset_index(drop=True), notes, {"curves": curves}, k)


def _fit(cur, f: Filters, split: str | None, horizon_months: int, as_of,
         parent: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier under `f`, nothing suppressed yet: the summary (group, role, n, exits, the estimate at
    the horizon with its interval, logrank_p, flags) and the monthly curves. parent=True: `f` is a filter's
    parent (its statement's result is kept per data version, see common._df)."""
    col = {"program": "program", "career_phase": "career_phase", None: "_all"}[split]
    params = _params(f, as_of=as_of)
    groupings = [(col, split == "program")] + ([("_all", False)] if split else [])
    return _fit_rows(_df(cur, Q.retention_fast_sql(groupings), params, parent=parent), horizon_months)


def _fit_rows(both: pd.DataFrame | None, horizon_months: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """_fit from its statement's rows (retention_fast_sql's; None: no rows)."""
    if both is None:
        both = pd.DataFrame({c: pd.Series(dtype=object) for c in ("kind", "grp", "role", "days", "event", "weight",
                                                                  "n", "exits")})
    agg = both[both["kind"] == "agg"][["grp", "role", "days", "event", "weight"]].reset_index(drop=True)
    agg["days"] = agg["days"].astype("int64")
    agg["event"] = agg["event"].astype(bool)
    people = both[both["kind"] == "people"]
    people = {(g, r): (n, x) for g, r, n, x in zip(people["grp"], people["role"], people["n"], people["exits"])}
    summary = []
    curves: dict[str, list] = {c: [] for c in ("group", "role", "month", "at_risk", "estimate", "ci_low", "ci_high")}
    fits = {}
    days_all, event_all = agg["days"].to_numpy(), agg["event"].to_numpy(dtype=bool)
    weight_all = agg["weight"].to_numpy(dtype=float)
    months = np.arange(25)
    for (grp, role), idx in sorted(agg.groupby(["grp", "role"], sort=True).indices.items()):
        days, event, w = days_all[idx], event_all[idx], weight_all[idx]
        d = days / MONTH_DAYS
        kmf = stats.km_fit(d, event, w)
        fits[(grp, role)] = (days, event, w)
        ests, los, his = stats.km_at_many(kmf, np.concatenate([[horizon_months], months]))
        n, exits = people.get((grp, role), (0, 0))
        summary.append({"group": grp, "role": role, "n": int(n), "exits": int(exits),
                        "estimate": float(ests[0]), "ci_low": float(los[0]), "ci_high": float(his[0])})
        # monthly curve: risk set (weighted) and S(t)
        curves["group"] += [grp] * len(months)
        curves["role"] += [role] * len(months)
        curves["month"] += [int(m) for m in months]
        curves["at_risk"] += [int(round(float(w[d >= m].sum()))) for m in months]
        curves["estimate"] += [float(x) for x in ests[1:]]
        curves["ci_low"] += [float(x) for x in los[1:]]
        curves["ci_high"] += [float(x) for x in his[1:]]
    table = pd.DataFrame(summary, columns=["group", "role", "n", "exits", "estimate", "ci_low", "ci_high"])
    table["group"] = table["group"].astype(str)
    pvals = {}
    for grp in table["group"].unique():
        a, b = fits.get((grp, "coached")), fits.get((grp, "comparison"))
        if a is not None and b is not None:
            pvals[grp] = stats.logrank_p(*a, *b)
    table["logrank_p"] = table["group"].map(pvals).astype(float)
    table["flags"] = [stats.flags(n) for n in table["n"]]
    curves = pd.DataFrame(curves, columns=["group", "role", "month", "at_risk", "estimate", "ci_low", "ci_high"])
    curves["group"] = curves["group"].astype(str)
    return table, curves


def _hidden_months(curves: pd.DataFrame, hidden_of: dict, k: int, before: np.ndarray | None = None) -> np.ndarray:
    """Rules 1 and 2 on the monthly curves. A month is hidden where its risk set holds fewer than k people
    or the curve's summary row is hidden (a curve without a summary row is hidden). Per role and month,
    the groups' curves are a breakdown of the All curve drawn beside them: without complementary
    suppression, All minus the shown groups' risk sets gives a hidden group's, and the All curve's step
    its exits; so the groups and All are protected as a breakdown with its total."""
    groups, at_risk = curves["group"].to_numpy(), curves["at_risk"].to_numpy(dtype=float)
    own = np.array([bool(hidden_of.get(key, True)) for key in zip(groups, curves["role"])], dtype=bool) \
        | (at_risk < k)
    if before is not None:
        own |= before      # months hidden beforehand (rule 3 against a relaxed filter)
    hide = own.copy()
    for idx in curves.groupby(["role", "month"], sort=False).indices.values():
        is_all = groups[idx] == ALL
        if is_all.all() or not is_all.any():
            continue    # no split: nothing to subtract from
        line = np.concatenate([idx[~is_all], idx[is_all]])     # the total last
        hide[line] = suppress_with_total(at_risk[line], k, own[line])
    # a group that is the whole of All (under a coach filter, the one program's comparison group is
    # everyone's) draws the same curve: a month hidden in one is hidden in the other, or the other shows it
    estimate = curves["estimate"].to_numpy(dtype=float)
    for idx in curves.groupby(["role", "month"], sort=False).indices.values():
        is_all = groups[idx] == ALL
        if not is_all.any() or is_all.all():
            continue
        total = idx[is_all][0]
        same = idx[~is_all][(at_risk[idx[~is_all]] == at_risk[total])
                             & np.isclose(estimate[idx[~is_all]], estimate[total], rtol=0, atol=1e-12)]
        if len(same) and (hide[same].any() or hide[total]):
            hide[same] = True
            hide[total] = True
    return hide
