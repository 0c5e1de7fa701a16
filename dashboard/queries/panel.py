"""Change and DiD from the panel statistics: the statistics of every measure x grouping set, their
estimates and flags, and the suppressed cross-tabs with margins that the effect views show."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import stats_arrays as SA
from dashboard.anonymity import blank_suppressed, suppress_crosstab
from dashboard.filters import Filters
from dashboard.queries import sql as Q
from dashboard.queries.cell_rules import _filter_lines, _nested_counts, _nested_mask, _parent_cells, nested_sets
from dashboard.queries.common import ALL, CHANGE_VALUES, DID_OWN, DID_VALUES, _df, _params
from dashboard.queries.sql import GROUP_COLUMNS
from dashboard.queries.sql.common import LOWER_IS_BETTER, MEASURE_RANGE

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
    list with each row's. Over whole columns (dashboard.stats_arrays: the values of the scalar
    functions of dashboard.stats, bit for bit); a column missing from `raw` counts as all missing."""
    columns = ["measure"] + CHANGE_VALUES + ["_rtm"]
    measures = [measure] * len(raw) if isinstance(measure, str) else list(measure)
    rows = min(len(raw), len(measures)) if len(raw.columns) else 0   # as a zip of the rows and measures
    if not rows:
        df = pd.DataFrame({c: [] for c in columns}, columns=columns, dtype=object)
        for c in ("mean_pre", "mean_post", "comparison_change"):
            df[c] = df[c].astype(float)
        return df
    raw = raw.iloc[:rows]

    def floats(name: str) -> np.ndarray:
        return SA.as_float(raw[name]) if name in raw.columns else np.full(rows, np.nan)

    def counts(name: str) -> np.ndarray:
        return SA.as_count(raw[name]) if name in raw.columns else np.zeros(rows, dtype=np.int64)

    n, n0 = counts("n"), counts("n_comparison")
    ch = SA.paired_changes(counts("n_rows"), floats("mean_d"), floats("sd_d"), floats("sd_pre"))
    if per_cohort_welch:
        did = SA.welch_dids(floats("n_rows"), floats("mean_d"), floats("sd_d"), floats("n0_rows"),
                            floats("comparison_change"), floats("comparison_sd"))
    else:
        did = SA.pooled_dids(floats("did"), floats("did_var1"), floats("did_var0"), floats("did_g1"),
                             floats("did_g0"))
    rtm = SA.rtm_flags(floats("mean_pre"), floats("comparison_mean_pre"), floats("sd_pre"),
                       floats("comparison_sd_pre"), n.astype(float), n0.astype(float),
                       np.isin(np.asarray(measures[:rows], dtype=object), LOWER_IS_BETTER))
    for m, (lo, hi) in MEASURE_RANGE.items():   # no interval wider than the measure's possible values
        at = np.asarray(measures[:rows]) == m
        if at.any():
            span = hi - lo
            for low, high, bound in ((ch["ci_low"], ch["ci_high"], span), (did["did_ci_low"], did["did_ci_high"], 2 * span)):
                low[at] = np.clip(low[at], -bound, bound)
                high[at] = np.clip(high[at], -bound, bound)
    return pd.DataFrame({
        "measure": measures[:rows], "n": n, "mean_pre": floats("mean_pre"), "mean_post": floats("mean_post"),
        "estimate": ch["estimate"], "ci_low": ch["ci_low"], "ci_high": ch["ci_high"], "g": ch["g"],
        "p_value": ch["p_value"], "flags": SA.flag_strings(n, ch["g"], rtm, n0 == 0),
        "n_comparison": n0, "comparison_change": floats("comparison_change"),
        "did": did["did"], "did_ci_low": did["did_ci_low"], "did_ci_high": did["did_ci_high"],
        "did_p_value": did["did_p_value"],
        # the coached people the DiD rests on: a cohort's Welch DiD, the cohort's; a pooled DiD, those in the
        # cohorts with 2 or more coached and 2 or more comparison people (the SQL's did_g1)
        "did_n": np.where(np.isnan(did["did"]), np.nan, n if per_cohort_welch else counts("did_g1")),
        "_rtm": rtm}, columns=columns)


def _crosstab(cur, f: Filters, k: int, measure: str, rows: str, cols: str | None,
              per_cohort_welch: bool = False, pre_raws: dict | None = None) -> pd.DataFrame:
    """Change and DiD per cell of rows x cols with margins ("All"), suppressed (rule 1 and 2)."""
    return _crosstabs(cur, f, k, [measure], rows, cols, per_cohort_welch, pre_raws)[measure]


def _crosstabs(cur, f: Filters, k: int, measures: list[str], rows: str, cols: str | None,
               per_cohort_welch: bool = False, pre_raws: dict | None = None,
               coach_total: bool = False) -> dict[str, pd.DataFrame]:
    """_crosstab of several measures: {measure: its table}. Each measure's cross-tab is suppressed on its
    own counts (rule 1 and 2); the estimates and the blanking run once over all measures' cells."""
    rc = GROUP_COLUMNS[rows]
    cc = GROUP_COLUMNS[cols] if cols else None
    sets = [[rows, cols], [rows], [cols], []] if cols else [[rows], []]
    raws = pre_raws if pre_raws is not None else _panel_multi(cur, f, list(measures),
                                                              [[x for x in s if x] for s in sets]
                                                              + nested_sets(rows, cols))
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
            out[m] = _crosstabs(cur, f, k, [m], rows, cols, per_cohort_welch, raws, coach_total)[m]
    df["_c"] = df[cc] if cc else ALL
    # rule 3 on every cell, not only on the view's totals: under a filter, a cell whose parent cell (the
    # same breakdown with that filter relaxed) holds 1..k-1 more people would give those people's figures
    # by subtraction. Not for the coach page (coach_total: its one cell per measure is the total the guard
    # checked), and only for it: a breakdown by coach elsewhere skipped the check (an anonymity review).
    parent_cells = _parent_cells(cur, f, measures, sets, rows, cols) if f.active() and not coach_total else []
    # and rule 2 on every cell across the filter's values: a cell under department D is one of the cells of
    # the same breakdown under every department, which add up to the unfiltered cell (see _filter_lines)
    line_hidden = _filter_lines(cur, f, measures, sets, rows, cols, k) if f.active() and not coach_total else []
    nested = _nested_counts(cur, f, measures, rows, cols, raws)
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
            before = np.zeros(grid.shape, dtype=bool)
            for cells in parent_cells:
                theirs = cells[cells["measure"] == m]
                pat = (pd.Index(row_vals).get_indexer(theirs[rc]), pd.Index(col_vals).get_indexer(theirs["_c"]))
                ok = (pat[0] >= 0) & (pat[1] >= 0)
                pgrid = np.zeros(grid.shape)
                np.add.at(pgrid, (pat[0][ok], pat[1][ok]), theirs[count_col].fillna(0).to_numpy(dtype=float)[ok])
                diff = pgrid - grid
                before |= (grid > 0) & (diff > 0) & (diff < k)
            for cells in line_hidden:
                theirs = cells[(cells["measure"] == m) & cells[count_col]]
                pat = (pd.Index(row_vals).get_indexer(theirs[rc]), pd.Index(col_vals).get_indexer(theirs["_c"]))
                ok = (pat[0] >= 0) & (pat[1] >= 0)
                before[pat[0][ok], pat[1][ok]] = True
            if nested is None:
                hidden[count_col] = suppress_crosstab(pd.DataFrame(grid, index=row_vals, columns=col_vals),
                                                      k, before).to_numpy()
            else:
                hidden[count_col] = _nested_mask(nested, m, count_col, grid, before, row_vals, col_vals, k)
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
    # rule 1 and rule 3 for the DiD itself: it may rest on fewer people than the cell (cohorts without a
    # comparison group in the cell are left out of it); fewer than k, or 1..k-1 fewer than the cell's change
    # (whose people's mean change the two figures would give), and it is not shown
    did_n, cell_n = df["did_n"].to_numpy(dtype=float), df["n"].to_numpy(dtype=float)
    few = (did_n < k) | ((cell_n - did_n > 0) & (cell_n - did_n < k))
    df = blank_suppressed(df, few & ~np.isnan(did_n), DID_OWN)
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


def _notes_change(df: pd.DataFrame, k: int, did: bool = True) -> list[str]:
    """The notes beside a change view; did=False: for a view that shows no DiD (the coach's)."""
    notes = []
    if df["suppressed"].any():
        notes.append(f"Figures marked hidden rest on fewer than {k} people in the matched panel, or are hidden "
                     "so that they cannot be worked out from the totals.")
    flags = ";".join(df["flags"].dropna())
    if "regression_to_mean" in flags:
        notes.append("Regression to the mean: where flagged, the coached group started more than 0.2 SD worse "
                     "than the comparison group (lower; higher on introjected, external and amotivation, where less "
                     "is better), so part of its improvement may be a return towards the average"
                     + ("; the difference in differences allows for it better than the raw change." if did else "."))
    if "indicative" in flags:
        notes.append("Indicative: fewer than 30 people in the matched panel.")
    if "implausible" in flags:
        notes.append("Implausible: |g| > 1, far above what coaching studies find (0.36-0.74); check the data.")
    tested = int(df["p_value"].notna().sum()) if "p_value" in df else 0
    if tested >= 5:
        notes.append(f"Many figures at once: of {tested} changes shown, about {tested / 20:.0f} would have p below "
                     "0.05 by chance alone if nothing changed; read a single cell's p with care, the totals first."
                     if tested >= 20 else
                     f"Many figures at once: among {tested} changes shown, the chance that at least one has p below "
                     f"0.05 by chance alone is {1 - 0.95 ** tested:.0%} if nothing changed; read the totals first.")
    if not did:
        return notes
    notes.append("DiD pooled across cohorts: each cohort's coached change minus its comparison group's change "
                 "over the same calendar window, weighted by the cohort's coached panel size; interval from a "
                 "person-clustered variance per group (a person serving several cohorts is one cluster) and a t interval on Welch-Satterthwaite df.")
    shown = df[df["did_n"].notna()] if {"did_n", "n"} <= set(df.columns) else None
    if shown is not None and (shown["did_n"] < shown["n"]).any():
        notes.append("DiD n: the coached people the DiD rests on, those in cohorts with 2 or more coached and 2 or "
                     "more comparison people in the cell; where it is below n, the DiD covers fewer people than the "
                     "change beside it.")
    if "did" in df and df["did"].isna().any() and not df["suppressed"].all():
        notes.append(f"A DiD is not shown where it would rest on fewer than {k} coached people, or leave out 1 to "
                     f"{k - 1} of the cell's (their change could then be worked out), or where there is no comparison group.")
    return notes
