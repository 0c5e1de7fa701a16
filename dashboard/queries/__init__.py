"""The query layer: one function per view, every number through the anonymity rules and the
statistics of DOMAIN.md. Aggregation runs in DuckDB; only aggregates come back. See docs/query-api.md.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from dashboard import stats
from dashboard.anonymity import AnonymityRefused, blank_suppressed, guard, k_of, suppress_crosstab
from dashboard.filters import WAVE_PAIRS, FilterOptions, Filters
from dashboard.queries import sql as Q
from dashboard.queries.sql import GROUP_COLUMNS, MEASURES

__all__ = ["ViewResult", "AnonymityRefused", "Filters", "FilterOptions", "MEASURES", "filter_options",
           "overview", "outcomes", "cohorts", "retention", "coach_impact", "response_rates", "quality"]

ALL = "All"
COMMON = ["n", "estimate", "ci_low", "ci_high", "flags", "suppressed"]
CHANGE_VALUES = ["n", "mean_pre", "mean_post", "estimate", "ci_low", "ci_high", "g", "p_value", "flags",
                 "n_comparison", "comparison_change", "did", "did_ci_low", "did_ci_high", "did_p_value"]
DID_VALUES = ["n_comparison", "comparison_change", "did", "did_ci_low", "did_ci_high", "did_p_value"]
MONTH_DAYS = 30.4375


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


# -- change and DiD ----------------------------------------------------------------------------------

def _panel_multi(cur, f: Filters, measures: list[str], sets: list[list[str]], did: bool = True) -> dict:
    """The sufficient statistics of panel_stats_sql for every measure x grouping set (breakdown names),
    from one statement on mart_panel: {(measure, tuple(set)): DataFrame as panel_stats_sql returns}
    (did=False: without the DiD, its columns empty)."""
    cols = [Q.group_cols(s) for s in sets]
    raw = _df(cur, Q.panel_multi_sql(list(measures), cols, f.pre, f.post, did=did), _params(f))
    stat_cols = [c for c in raw.columns if c not in ("_m", "_s") and c not in Q.PANEL_GROUPS]
    at = raw.groupby(["_m", "_s"], sort=False).indices      # (measure, set) -> its rows, in order
    none = np.array([], dtype=np.intp)
    out = {}
    for si, s in enumerate(sets):
        part = raw[cols[si] + stat_cols]
        for mi, m in enumerate(measures):
            out[(m, tuple(s))] = part.iloc[at.get((mi, si), none)].reset_index(drop=True)
    return out


def _estimates(raw: pd.DataFrame, measure, per_cohort_welch: bool = False) -> pd.DataFrame:
    """Aggregates -> estimates and flags (no suppression yet). `measure`: the measure of every row, or a
    list with each row's."""
    cols: dict[str, list] = {c: [] for c in ["measure"] + CHANGE_VALUES + ["_rtm"]}
    names = list(raw.columns)
    measures = [measure] * len(raw) if isinstance(measure, str) else list(measure)
    for m, values in zip(measures, zip(*(raw[c].tolist() for c in names))):   # rows as to_dict("records")
        r = dict(zip(names, values))
        n = 0 if pd.isna(r.get("n")) else int(r["n"])
        ch = stats.paired_change(r.get("n_rows", 0) if not pd.isna(r.get("n_rows")) else 0,
                                 r.get("mean_d"), r.get("sd_d"), r.get("sd_pre"))
        if per_cohort_welch:
            did = stats.welch_did(r.get("n_rows"), r.get("mean_d"), r.get("sd_d"), r.get("n0_rows"),
                                  r.get("comparison_change"), r.get("comparison_sd"))
        else:
            did = stats.pooled_did(r.get("did"), r.get("did_var1"), r.get("did_var0"), r.get("did_g1"),
                                   r.get("did_g0"))
        n0 = 0 if pd.isna(r.get("n_comparison")) else int(r["n_comparison"])
        rtm = stats.rtm_flag(r.get("mean_pre"), r.get("comparison_mean_pre"), r.get("sd_pre"),
                             r.get("comparison_sd_pre"), n, n0)
        extra = [] if n0 else ["no_comparison"]
        row = {"measure": m, "n": n, "mean_pre": stats._nan(r.get("mean_pre")),
               "mean_post": stats._nan(r.get("mean_post")),
               "estimate": ch["estimate"], "ci_low": ch["ci_low"], "ci_high": ch["ci_high"],
               "g": ch["g"], "p_value": ch["p_value"],
               "flags": stats.flags(n, ch["g"], rtm, extra),
               "n_comparison": n0, "comparison_change": stats._nan(r.get("comparison_change")),
               "did": did["did"], "did_ci_low": did["did_ci_low"], "did_ci_high": did["did_ci_high"],
               "did_p_value": did["did_p_value"], "_rtm": rtm}
        for c, v in row.items():
            cols[c].append(v)
    if not cols["measure"]:
        df = pd.DataFrame(cols, columns=list(cols), dtype=object)
        for c in ("mean_pre", "mean_post", "comparison_change"):
            df[c] = df[c].astype(float)
        return df
    return pd.DataFrame(cols)


def _crosstab(cur, f: Filters, k: int, measure: str, rows: str, cols: str | None,
              per_cohort_welch: bool = False, pre_raws: dict | None = None) -> pd.DataFrame:
    """Change and DiD per cell of rows x cols with margins ("All"), suppressed (rule 1 and 2)."""
    return _crosstabs(cur, f, k, [measure], rows, cols, per_cohort_welch, pre_raws)[measure]


def _crosstabs(cur, f: Filters, k: int, measures: list[str], rows: str, cols: str | None,
               per_cohort_welch: bool = False, pre_raws: dict | None = None) -> dict[str, pd.DataFrame]:
    """_crosstab of several measures: {measure: its table}. Each measure's cross-tab is suppressed on its
    own counts (rule 1 and 2); the estimates and the blanking run once over all measures' cells."""
    rc = GROUP_COLUMNS[rows]
    cc = GROUP_COLUMNS[cols] if cols else None
    sets = [[rows, cols], [rows], [cols], []] if cols else [[rows], []]
    raws = pre_raws if pre_raws is not None else _panel_multi(cur, f, list(measures),
                                                              [[x for x in s if x] for s in sets])
    frames = []
    for s in sets:
        parts = [raws[(m, tuple(x for x in s if x))] for m in measures]
        raw = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        est = _estimates(raw, [m for m, part in zip(measures, parts) for _ in range(len(part))],
                         per_cohort_welch=per_cohort_welch and s == [rows])
        est.insert(0, rc, raw[rc].astype(str).to_numpy() if rows in s else ALL)
        if cc:
            est.insert(1, cc, raw[cc].astype(str).to_numpy() if cols in s else ALL)
        frames.append(est)
    keys = [rc] + ([cc] if cc else [])
    shown = [x for x in frames if not x.empty]
    if not shown:
        df = frames[-1]
        df["suppressed"] = pd.Series(dtype=bool)
        return {m: df.drop(columns="_rtm") for m in measures}
    df = pd.concat(shown, ignore_index=True)
    out = {}
    for m in measures:   # a measure without any cell: as on its own
        if len(measures) > 1 and not (df["measure"] == m).any():
            out[m] = _crosstabs(cur, f, k, [m], rows, cols, per_cohort_welch, raws)[m]
    df["_c"] = df[cc] if cc else ALL
    # each measure's grid of counts (rows x columns, margins last), and each cell's place in it
    h0 = np.zeros(len(df), dtype=bool)
    h1 = np.zeros(len(df), dtype=bool)
    order = {}
    for m, idx in df.groupby("measure", sort=False).indices.items():
        part = df.iloc[idx]
        row_vals = sorted((v for v in part[rc].unique() if v != ALL), key=_sort_key) + [ALL]
        col_vals = sorted(v for v in part["_c"].unique() if v != ALL) + [ALL]
        order.update({v: i for i, v in enumerate(row_vals)})
        at = (pd.Index(row_vals).get_indexer(part[rc]), pd.Index(col_vals).get_indexer(part["_c"]))
        hidden = {}
        for count_col in ("n", "n_comparison"):
            grid = np.zeros((len(row_vals), len(col_vals)))
            np.add.at(grid, at, part[count_col].fillna(0).to_numpy(dtype=float))
            hidden[count_col] = suppress_crosstab(pd.DataFrame(grid, index=row_vals, columns=col_vals),
                                                  k).to_numpy()
        h1[idx] = hidden["n"][at]
        h0[idx] = hidden["n_comparison"][at] | h1[idx]
    df = df.drop(columns="_c")
    keep = (df["n"] > 0).to_numpy()  # a cell without coached people has no estimate: left out
    df, h0, h1 = df[keep].reset_index(drop=True), h0[keep], h1[keep]
    # the rtm flag looks at the comparison baseline: only where the comparison group is shown
    hide_rtm = h0 & df["_rtm"].to_numpy(dtype=bool)
    if hide_rtm.any():
        df.loc[hide_rtm, "flags"] = df.loc[hide_rtm, "flags"].str.replace("regression_to_mean", "") \
            .str.strip(";").str.replace(";;", ";")
    df = blank_suppressed(df, h0, DID_VALUES)
    df["suppressed"] = False
    df = blank_suppressed(df, h1, CHANGE_VALUES)
    df = df[df[keys].notna().all(axis=1)]
    # each measure's rows in the order of its row values (the same for every measure: _sort_key, then All)
    position = {m: i for i, m in enumerate(measures)}
    order = {v: i for i, v in enumerate(sorted((v for v in order if v != ALL), key=_sort_key) + [ALL])}
    df = df.assign(_p=df["measure"].map(position), _o=df[rc].map(order)) \
        .sort_values(["_p", "_o"] + ([cc] if cc else []), kind="stable")
    df = df.drop(columns=["_p", "_o", "_rtm"])
    for m, idx in df.groupby("measure", sort=False).indices.items():
        out[m] = df.iloc[idx].reset_index(drop=True)
    for m in measures:   # every cell of the measure left out (no coached people)
        if m not in out:
            out[m] = df.iloc[:0].reset_index(drop=True)
    return out


def _sort_key(v):
    phases = {"early": 0, "mid": 1, "late": 2, "unknown": 3}
    return (phases.get(v, 9), str(v))


def _notes_change(df: pd.DataFrame, k: int) -> list[str]:
    notes = []
    if df["suppressed"].any():
        notes.append(f"Cells marked suppressed rest on fewer than {k} people in the matched panel, or are "
                     "hidden so that they cannot be worked out from the totals.")
    flags = ";".join(df["flags"].dropna())
    if "regression_to_mean" in flags:
        notes.append("Regression to the mean: where flagged, the coached group started more than 0.2 SD lower "
                     "than the comparison group, so part of its rise may be a return towards the average; "
                     "the difference in differences allows for it better than the raw change.")
    if "indicative" in flags:
        notes.append("Indicative: fewer than 30 people in the matched panel.")
    if "implausible" in flags:
        notes.append("Implausible: |g| > 1, far above what coaching studies find (0.36-0.74); check the data.")
    notes.append("DiD pooled across cohorts: each cohort's coached change minus its comparison group's change "
                 "over the same calendar window, weighted by the cohort's coached panel size; interval from a "
                 "person-clustered variance per group (a person serving several cohorts is one cluster) and a t interval on Welch-Satterthwaite df.")
    return notes


def outcomes(cur, f: Filters, settings, measure: str = "engagement", rows: str = "career_phase",
             cols: str | None = "department") -> ViewResult:
    k = k_of(settings)
    _check_measure(measure)
    if rows == cols:
        cols = None
    _guard(cur, f, k, measure)
    df = _crosstab(cur, f, k, measure, rows, cols)
    return ViewResult(df, _notes_change(df, k), {}, k)


def _outcomes_many(cur, f: Filters, settings, measures, rows: str = "career_phase",
                   cols: str | None = "department") -> list:
    """outcomes() for several measures, their panels from one statement: [(measure, ViewResult or the
    AnonymityRefused it raises)], in order, ending at the first refusal (each measure has its own guard)."""
    k = k_of(settings)
    for m in measures:
        _check_measure(m)
    if rows == cols:
        cols = None
    sets = [[rows, cols], [rows], [cols], []] if cols else [[rows], []]
    shown, refused = [], None
    for m in measures:
        try:
            _guard(cur, f, k, m)
        except AnonymityRefused as exc:
            refused = (m, exc)
            break
        shown.append(m)
    out = []
    if shown:
        raws = _panel_multi(cur, f, list(measures), [[x for x in s if x] for s in sets])
        tables = _crosstabs(cur, f, k, shown, rows, cols, pre_raws=raws)
        out = [(m, ViewResult(tables[m], _notes_change(tables[m], k), {}, k)) for m in shown]
    return out + ([refused] if refused else [])


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
    lo_hi = [stats.mean_interval(n, m, s) for n, m, s in zip(traj["n"], traj["estimate"], traj["sd"])]
    traj["ci_low"] = [x[0] for x in lo_hi]
    traj["ci_high"] = [x[1] for x in lo_hi]
    traj["measure"] = measure
    traj["flags"] = [stats.flags(n) for n in traj["n"]]
    wave_order = {"baseline": 0, "mid": 1, "post": 2, "follow_up": 3}
    traj = traj.assign(_w=traj["wave"].map(wave_order)).sort_values([key, "role", "_w"]).drop(columns=["_w", "sd"])
    traj = blank_suppressed(traj[[key, "role", "wave", "measure", "n", "estimate", "ci_low", "ci_high", "flags"]],
                            traj["n"].to_numpy() < k, ["n", "estimate", "ci_low", "ci_high", "flags"])
    notes = _notes_change(df, k)
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


def coach_impact(cur, f: Filters, settings, coach_id: str, measure: str | None = None) -> ViewResult:
    k = k_of(settings)
    measures = [measure] if measure else list(MEASURES)
    for m in measures:
        _check_measure(m)
    f = f.with_(coach=coach_id)
    rows = []
    # one statement for the table (every measure, ungrouped) and by_program (the first measure, per program);
    # neither shows a DiD, so the statement leaves it out
    raws = _panel_multi(cur, f, measures, [["program"], []], did=False)
    # rule 3 before anything is built (the selection's panel counts are the panel statement's)
    _guard(cur, f, k, measures[0], panel=raws[(measures[0], ())])
    for m in measures:
        raws[(m, ("coach",))] = _coach_groups(raws[(m, ())], coach_id)
    tables = _crosstabs(cur, f, k, measures, "coach", None, pre_raws=raws)
    for m in measures:
        df = tables[m]
        df = df[df["coach_id"] == ALL]
        rows.append(df.assign(coach_id=coach_id))
    table = pd.concat(rows, ignore_index=True)
    table = table[["coach_id", "measure", "n", "estimate", "ci_low", "ci_high", "flags", "suppressed",
                   "mean_pre", "mean_post", "g", "p_value"]]
    by_program = _crosstab(cur, f, k, measures[0], "program", None, pre_raws=raws)
    by_program = by_program[["program_id", "measure", "n", "estimate", "ci_low", "ci_high", "g", "flags", "suppressed"]]
    notes = _notes_change(table.assign(flags=table["flags"]), k)[:-1]
    notes.append("The coach's clients only: paired change between the chosen waves, pooled over their cohorts.")
    return ViewResult(table, notes, {"by_program": by_program}, k)


# -- retention ------------------------------------------------------------------------------------

def _as_of(cur) -> dt.date | None:
    return cur.execute(Q.AS_OF_SQL).fetchall()[0][0]


def retention(cur, f: Filters, settings, split: str | None = None, horizon_months: int = 12) -> ViewResult:
    k = k_of(settings)
    if split not in (None, "program", "career_phase"):
        raise ValueError("split must be None, 'program' or 'career_phase'")
    _guard(cur, f, k)
    as_of = _as_of(cur)
    col = {"program": "program", "career_phase": "career_phase", None: "_all"}[split]
    params = _params(f, as_of=as_of)
    groupings = [(col, split == "program")] + ([("_all", False)] if split else [])
    both = _df(cur, Q.retention_fast_sql(groupings), params)
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
    # rules 1 and 2: per role, groups against the All total (a 1-way breakdown)
    hidden = np.zeros(len(table), dtype=bool)
    for role in ("coached", "comparison"):
        part = table[table.role == role]
        if part.empty:
            continue
        vals = [g for g in part["group"] if g != ALL] + [ALL]
        grid = part.set_index("group")["n"].reindex(vals).fillna(0).to_frame("All")
        h = suppress_crosstab(grid, k)["All"]
        hidden[part.index.to_numpy()] = h.reindex(part["group"]).to_numpy()
    # the log-rank p and the coached/comparison contrast need both groups shown
    both = table.groupby("group")["n"].transform("size")
    table = blank_suppressed(table, hidden, ["n", "exits", "estimate", "ci_low", "ci_high", "flags"])
    shown_both = ~table.groupby("group")["suppressed"].transform("any") & (both == 2)
    table.loc[~shown_both, "logrank_p"] = np.nan
    table = table[["group", "role", "n", "exits", "estimate", "ci_low", "ci_high", "logrank_p", "flags", "suppressed"]]
    curves = pd.DataFrame(curves, columns=["group", "role", "month", "at_risk", "estimate", "ci_low", "ci_high"])
    if not curves.empty:
        curves["group"] = curves["group"].astype(str)
        # a curve follows its summary row's suppression (a curve without a summary row is hidden)
        hidden_of = dict(zip(zip(table["group"], table["role"]), table["suppressed"]))
        hide = np.array([bool(hidden_of.get(key, True)) for key in zip(curves["group"], curves["role"])], dtype=bool) \
            | (curves["at_risk"].to_numpy() < k)
        curves = blank_suppressed(curves, hide, ["at_risk", "estimate", "ci_low", "ci_high"])
    notes = [f"Voluntary exits only (involuntary exits censored); data as of {as_of}. Coached people from their "
             "enrolment start; the comparison group (employed and not yet coached) from each cohort's start, "
             "a person in several cohorts' comparison groups weighted so that each counts once; comparison "
             "people who are coached later are censored then.",
             f"{horizon_months}-month retention with a 95% Greenwood (log-log) interval; p from the log-rank test."]
    if table["suppressed"].any():
        notes.append(f"Rows marked suppressed rest on fewer than {k} people or are hidden to protect such a row.")
    return ViewResult(table.reset_index(drop=True), notes, {"curves": curves}, k)


# -- response rates and quality -------------------------------------------------------------------

RESPONSE_SQL = """
WITH scope_cohorts AS (SELECT c.* FROM cohorts c WHERE """ + Q.COHORT_FILTER + """),
enr AS (
    SELECT e.cohort_id, c.program_id, e.participant_key
    FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
    JOIN mart_people mp ON mp.participant_key = e.participant_key
    WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND """ + Q.PEOPLE_FILTER + """
),
waves AS (SELECT unnest(['baseline', 'mid', 'post', 'follow_up']) AS wave, unnest([0, 1, 2, 3]) AS o),
-- a wave counts for a cohort only where a survey was held in its window (someone, coached or
-- comparison, answered then): not yet due, or no survey in that window, is not a response rate of 0
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


def response_rates(cur, f: Filters, settings) -> ViewResult:
    k = k_of(settings)
    _guard(cur, f, k)
    df = _df(cur, RESPONSE_SQL, _params(f))
    wil = [stats.wilson(x, n) for x, n in zip(df["responded"], df["n"])]
    df["estimate"] = [w[0] for w in wil]
    df["ci_low"] = [w[1] for w in wil]
    df["ci_high"] = [w[2] for w in wil]
    df["flags"] = [stats.flags(n) for n in df["n"]]
    df = blank_suppressed(df, df["n"].to_numpy() < k, ["n", "responded", "estimate", "ci_low", "ci_high", "flags"])
    notes = ["Share of the cohort's enrolled (non-waitlist) people with a response in each wave window. "
             "Waves with no survey held in their window (not yet due, or no survey then) are not listed."]
    return ViewResult(df, notes, {}, k)


QUALITY_SQL = """
WITH scoped AS (
    SELECT r.* FROM survey_responses r JOIN mart_people mp USING (participant_key)
    WHERE """ + Q.PEOPLE_FILTER + """
      AND ($f_date_from IS NULL OR r.submitted_at::DATE >= $f_date_from)
      AND ($f_date_to IS NULL OR r.submitted_at::DATE <= $f_date_to)
)
SELECT count(*) AS responses, count(DISTINCT participant_key) AS people,
       {missing}
FROM scoped r
"""


def quality(cur, f: Filters, settings) -> ViewResult:
    k = k_of(settings)
    _guard(cur, f, k)
    missing = ", ".join(f"count(*) FILTER (WHERE {Q.MEASURE_SQL[m]} IS NULL) AS miss_{m}" for m in MEASURES)
    row = _df(cur, QUALITY_SQL.replace("{missing}", missing), _params(f)).iloc[0]
    rows = []
    people_ok = int(row.people) >= k
    for m in MEASURES:
        n = int(row.responses)
        p, lo, hi = stats.wilson(row[f"miss_{m}"], n)
        rows.append({"check": "missing score", "detail": m, "n": n, "estimate": p, "ci_low": lo, "ci_high": hi,
                     "suppressed": not people_ok})
    ph = _df(cur, "SELECT count(*) AS n, count(*) FILTER (WHERE career_phase = 'unknown') AS x FROM mart_people mp "
                  "WHERE " + Q.PEOPLE_FILTER, _params(f)).iloc[0]
    p, lo, hi = stats.wilson(ph.x, ph.n)
    rows.append({"check": "career phase unknown", "detail": "people", "n": int(ph.n), "estimate": p,
                 "ci_low": lo, "ci_high": hi, "suppressed": int(ph.n) < k})
    en = _df(cur, "WITH scope_cohorts AS (SELECT c.* FROM cohorts c WHERE " + Q.COHORT_FILTER + ") "
                  "SELECT count(*) AS n, count(*) FILTER (WHERE e.coach_id IS NULL) AS x, "
                  "count(DISTINCT e.participant_key) AS people FROM enrolments e "
                  "JOIN scope_cohorts c USING (cohort_id) JOIN mart_people mp USING (participant_key) "
                  "WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND "
                  + Q.PEOPLE_FILTER, _params(f)).iloc[0]
    p, lo, hi = stats.wilson(en.x, en.n)
    rows.append({"check": "enrolment without coach", "detail": "enrolments", "n": int(en.n), "estimate": p,
                 "ci_low": lo, "ci_high": hi, "suppressed": int(en.people) < k})
    q = _df(cur, "SELECT reason, count(*) AS n FROM quarantine GROUP BY reason ORDER BY n DESC, reason", {})
    for reason, n in zip(q["reason"], q["n"]):
        rows.append({"check": "quarantined rows", "detail": reason, "n": int(n), "estimate": float(n),
                     "ci_low": math.nan, "ci_high": math.nan, "suppressed": False})
    rr = response_rates(cur, f, settings).table
    for wave, part in rr[~rr["suppressed"]].groupby("wave", sort=False):
        n, x = int(part["n"].sum()), int(part["responded"].sum())
        p, lo, hi = stats.wilson(x, n)
        rows.append({"check": "coached response rate", "detail": wave, "n": n, "estimate": p, "ci_low": lo,
                     "ci_high": hi, "suppressed": False})
    table = pd.DataFrame(rows)
    table["flags"] = ""
    table = blank_suppressed(table, table["suppressed"].to_numpy(dtype=bool), ["n", "estimate", "ci_low", "ci_high"])
    table = table[["check", "detail", "n", "estimate", "ci_low", "ci_high", "flags", "suppressed"]]
    loads = _df(cur, "SELECT finished_at, file_name, entity, source_format, rows_in, rows_loaded, rows_quarantined, "
                     "status FROM load_batches ORDER BY finished_at DESC, batch_id DESC", {})
    notes = ["Quarantined rows are file rows that failed validation (not people); the reasons come from the loader."]
    return ViewResult(table, notes, {"loads": loads, "response_rates": rr}, k)


# -- overview ----------------------------------------------------------------------------------------

COMPLETION_SQL = ("WITH scope_cohorts AS (SELECT c.* FROM cohorts c WHERE " + Q.COHORT_FILTER + ") "
                  "SELECT count(DISTINCT e.participant_key) FILTER (WHERE e.status IN ('completed', 'withdrawn')) AS n, "
                  "count(DISTINCT e.participant_key) FILTER (WHERE e.status = 'completed') AS x "
                  "FROM enrolments e JOIN scope_cohorts c USING (cohort_id) JOIN mart_people mp USING (participant_key) "
                  "WHERE ($f_coach IS NULL OR e.coach_id = $f_coach) AND " + Q.PEOPLE_FILTER)


def overview(cur, f: Filters, settings, waves: str | None = None) -> ViewResult:
    k = k_of(settings)
    if waves:
        f = f.with_(waves=waves)
    raws = _panel_multi(cur, f, list(MEASURES), [[]])
    if f.active():
        counts = _guard(cur, f, k, counts=True, panel=raws[("engagement", ())])
        comp = _df(cur, COMPLETION_SQL, _params(f)).iloc[0]
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
    ret = retention(cur, f, settings).table
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
