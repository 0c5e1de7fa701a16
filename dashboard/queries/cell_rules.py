"""The anonymity rules on a breakdown's cells that need counts beyond the breakdown's own: rule 3 against
each filter's parent, rule 2 across a filter's values and across date ranges' blocks of cohorts, and the
cohorts nested in their programs (suppressed with the other level's counts). queries.panel._crosstabs
applies them; docs/query-api.md and the README's anonymity rules say what each one stops."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.anonymity import _protect_line, parents, suppress_nested
from dashboard.filters import Filters
from dashboard.queries import sql as Q
from dashboard.queries.common import _RUN, ALL, _df, _maps, _params
from dashboard.queries.sql import GROUP_COLUMNS


def _parent_cells(cur, f: Filters, measures: list[str], sets: list[list], rows: str, cols: str | None) -> list:
    """For each active filter, the cells of the same breakdown with that filter relaxed: frames of
    measure, the row and column keys (`_c` the column, ALL where a set has none), n and n_comparison.
    Only counts are needed, so they come from panel_counts_sql (no moments, no DiD)."""
    rc = GROUP_COLUMNS[rows]
    cc = GROUP_COLUMNS[cols] if cols else None
    set_cols = [Q.group_cols([x for x in s if x]) for s in sets]
    opts = _maps(cur)
    out = []
    for _, parent in parents(f, opts[0], opts[1]):
        raw = _df(cur, Q.panel_counts_sql(list(measures), set_cols, parent.pre, parent.post), _params(parent),
                  parent=True)
        frames = []
        for si, s in enumerate(sets):
            part = raw[raw["_s"] == si]
            for mi, m in enumerate(measures):
                frames.append(pd.DataFrame({
                    "measure": m,
                    rc: part[rc].astype(str).to_numpy() if rows in s else ALL,
                    "_c": part[cc].astype(str).to_numpy() if cols and cols in s else ALL,
                    "n": part[f"n_{mi}"].to_numpy(), "n_comparison": part[f"n_comparison_{mi}"].to_numpy()}))
        out.append(pd.concat(frames, ignore_index=True))
    return out


NESTED = {"cohort": "program", "program": "cohort"}   # a cohort's cells add up to its program's


def nested_sets(rows: str, cols: str | None) -> list[list[str]]:
    """The other level's breakdowns that a breakdown by cohort or by program (not both) is suppressed with
    (see _nested_counts), for the view's panel statement to compute beside its own sets: [] otherwise."""
    if (rows in NESTED) == (cols in NESTED):
        return []
    dim = rows if rows in NESTED else cols
    across = cols if dim == rows else rows
    return [[NESTED[dim], across], [NESTED[dim]]] if across else [[NESTED[dim]]]


def _nested_counts(cur, f: Filters, measures: list[str], rows: str, cols: str | None,
                   raws: dict | None = None) -> dict | None:
    """For a breakdown by cohort or by program (not both): the other level's counts by the same other
    breakdown, for suppress_nested, so that the cohort and the program views hide consistently (the program's
    cell minus its shown cohorts gave a hidden cohort of one person). From `raws` (the view's panel
    statistics) where its statement computed them (nested_sets), else from a counts statement. None for any
    other breakdown."""
    sets = nested_sets(rows, cols)
    if not sets:
        return None
    dim = rows if rows in NESTED else cols
    other, across = NESTED[dim], (cols if dim == rows else rows)
    keep = [GROUP_COLUMNS[x] for x in sets[0]] + ["n", "n_comparison"]
    if raws is not None and all((m, tuple(s)) in raws for m in measures for s in sets):
        frames = {(m, si): raws[(m, tuple(s))][keep[:len(s)] + ["n", "n_comparison"]]
                  for m in measures for si, s in enumerate(sets)}
    else:
        raw = _df(cur, Q.panel_counts_sql(list(measures), [Q.group_cols(s) for s in sets], f.pre, f.post),
                  _params(f))
        frames = {}
        for si, s in enumerate(sets):
            part = raw[raw["_s"] == si]
            for mi, m in enumerate(measures):
                frames[(m, si)] = pd.DataFrame({**{c: part[c].to_numpy() for c in keep[:len(s)]},
                                                "n": part[f"n_{mi}"].to_numpy(),
                                                "n_comparison": part[f"n_comparison_{mi}"].to_numpy()})
    return {"dim": dim, "on_rows": dim == rows, "other": other, "across": across, "frames": frames,
            "sets": len(sets), "cohort_program": _maps(cur)[1]}


def _nested_mask(nested: dict, measure: str, count_col: str, grid: np.ndarray, before: np.ndarray,
                 row_vals: list, col_vals: list, k: int) -> np.ndarray:
    """The displayed cross-tab's hidden mask (rows x columns, margins last) from suppress_nested over it and
    the other level's counts by the same other breakdown (nested: _nested_counts)."""
    on_rows = nested["on_rows"]
    shown = grid if on_rows else grid.T                 # the nested dimension on the rows
    shown_before = before if on_rows else before.T
    across_vals = col_vals if on_rows else row_vals     # the other breakdown's values, ALL last
    parts = [nested["frames"][(measure, si)] for si in range(nested["sets"])]
    oc = GROUP_COLUMNS[nested["other"]]
    ac = GROUP_COLUMNS[nested["across"]] if nested["across"] else None
    other_vals = sorted({str(v) for part in parts for v in part[oc]} - {ALL}) + [ALL]
    other = np.zeros((len(other_vals), len(across_vals)))
    for si, part in enumerate(parts):
        r_at = pd.Index(other_vals).get_indexer(part[oc].astype(str))
        c_at = (pd.Index([str(v) for v in across_vals]).get_indexer(part[ac].astype(str)) if ac and si == 0
                else np.full(len(part), len(across_vals) - 1))
        ok = (r_at >= 0) & (c_at >= 0)
        np.add.at(other, (r_at[ok], c_at[ok]), part[count_col].fillna(0).to_numpy(dtype=float)[ok])
    other[-1] = shown[-1]                                # the grand totals are the same people
    shown_df = pd.DataFrame(shown, index=[str(v) for v in row_vals] if on_rows else [str(v) for v in col_vals],
                            columns=range(len(across_vals)))
    other_df = pd.DataFrame(other, index=other_vals, columns=range(len(across_vals)))
    cohort_program = {str(c): str(p) for c, p in nested["cohort_program"].items()}
    if nested["dim"] == "cohort":
        mask, _ = suppress_nested(shown_df, other_df, cohort_program, k, hidden_child=shown_before)
    else:
        _, mask = suppress_nested(other_df, shown_df, cohort_program, k, hidden_parent=shown_before)
    mask = mask.to_numpy()
    return mask if on_rows else mask.T


_WITHIN = {"team": "department", "cohort": "program"}   # a team lies within one department, a cohort one program


def _filter_lines(cur, f: Filters, measures: list[str], sets: list[list], rows: str, cols: str | None,
                  k: int) -> list[pd.DataFrame]:
    """Rule 2 across a filter's values, cell by cell. Under a filter X = x, a cell of the breakdown is one of
    the cells of the same breakdown under each value of X, which add up to the cell without the filter,
    shown by the unfiltered view. Where some value's cell holds 1..k-1 people, the line over X's values is
    protected as a breakdown with its total (the next-smallest cells hidden until the hidden ones hold k),
    and x's cell is hidden if it is among them: else this view, the unfiltered one and the other values'
    views gave the small cell by subtraction (an anonymity review: a program filter's department column
    against the program x department cross-tab). Every value's view protects the same line the same way,
    from the parent's counts by X (kept per data version). Returns, per filter, frames of measure, the row
    and column keys (`_c` the column) and booleans `n` and `n_comparison`: the cells to hide."""
    rc = GROUP_COLUMNS[rows]
    cc = GROUP_COLUMNS[cols] if cols else None
    opts = _maps(cur)
    out = []
    for dim, parent in parents(f, opts[0], opts[1]):
        if dim == "dates":
            out += _date_lines(cur, f, parent, measures, sets, rows, cols, k)
            continue
        if dim not in GROUP_COLUMNS or dim in (rows, cols):
            continue    # a breakdown by X itself has one value a cell
        x, xc = str(getattr(f, dim)), GROUP_COLUMNS[dim]
        # a set by team has one department a cell (a set by cohort one program): its lines over departments
        # hold one value each, and grouping every team by department again is the costly part, so leave it out
        kept = [s for s in sets if not any(_WITHIN.get(s_) == dim for s_ in s if s_)]
        if not kept:
            continue
        sets_x = [[dim] + [s_ for s_ in s if s_] for s in kept]
        raw = _df(cur, Q.panel_counts_sql(list(measures), [Q.group_cols(s) for s in sets_x], parent.pre, parent.post),
                  _params(parent), parent=True)
        frames = []
        for si, s in enumerate(kept):
            part = raw[raw["_s"] == si]
            for mi, m in enumerate(measures):
                cells = pd.DataFrame({
                    "measure": m, "_x": part[xc].astype(str).to_numpy(),
                    rc: part[rc].astype(str).to_numpy() if rows in s else ALL,
                    "_c": part[cc].astype(str).to_numpy() if cols and cols in s else ALL,
                    "n": part[f"n_{mi}"].fillna(0).to_numpy(dtype=float),
                    "n_comparison": part[f"n_comparison_{mi}"].fillna(0).to_numpy(dtype=float)})
                frames.append(cells)
        cells = pd.concat(frames, ignore_index=True)
        keys = ["measure", rc, "_c"]
        hide = {}
        for count_col in ("n", "n_comparison"):
            small = (cells[count_col] > 0) & (cells[count_col] < k)
            mine = cells["_x"] == x
            # only lines with a small cell other than x's, and with x's cell not small itself (that one the
            # view hides anyway), can hide x's cell
            ask = cells.assign(_small=small & ~mine, _mine_big=mine & (cells[count_col] >= k))
            lines = ask.groupby(keys, sort=False)[["_small", "_mine_big"]].transform("any")
            todo = cells[lines["_small"].to_numpy() & lines["_mine_big"].to_numpy()]
            hidden_keys = set()
            for key, line in todo.groupby(keys, sort=False):
                line = line.sort_values("_x")
                n = line[count_col].to_numpy(dtype=float)
                mask = (n > 0) & (n < k)
                _protect_line(n, mask, list(range(len(n))), k)
                if mask[line["_x"].to_numpy() == x].any():
                    hidden_keys.add(key)
            hide[count_col] = hidden_keys
        mine = cells[cells["_x"] == x][keys].drop_duplicates()
        at = list(mine.itertuples(index=False, name=None))
        out.append(mine.assign(n=[t in hide["n"] for t in at], n_comparison=[t in hide["n_comparison"] for t in at]))
    return out


def _date_lines(cur, f: Filters, parent: Filters, measures: list[str], sets: list[list], rows: str,
                cols: str | None, k: int) -> list[pd.DataFrame]:
    """The cell rule across date ranges. Two ranges that the guard lets through differ by whole blocks of
    cohorts (anonymity.date_blocks, each holding k or more people in total), but a block may hold 1..k-1
    people in one cell; so under a date range, a cell is hidden where a block inside the range holds 1..k-1
    of its people (an anonymity review: the early-career cell of two ranges a block apart gave one
    person's change). The blocks are the guard's, from this view call's guard (common._guard)."""
    run = _RUN.get()
    blocks = run.get(("date_blocks", id(cur))) if run is not None else None
    if not blocks:
        return []
    block_of = {str(c): i for i, b in enumerate(blocks) for c in b}
    rc = GROUP_COLUMNS[rows]
    cc = GROUP_COLUMNS[cols] if cols else None
    kept = [s for s in sets if "cohort" not in s]
    if not kept:
        return []
    sets_x = [["cohort"] + [s_ for s_ in s if s_] for s in kept]
    raw = _df(cur, Q.panel_counts_sql(list(measures), [Q.group_cols(s) for s in sets_x], parent.pre, parent.post),
              _params(parent), parent=True)
    frames = []
    for si, s in enumerate(kept):
        part = raw[raw["_s"] == si]
        blk = part["cohort_id"].astype(str).map(block_of)
        inside = blk.notna().to_numpy()
        for mi, m in enumerate(measures):
            cells = pd.DataFrame({
                "measure": m, "_b": blk.to_numpy()[inside],
                rc: part[rc].astype(str).to_numpy()[inside] if rows in s else ALL,
                "_c": part[cc].astype(str).to_numpy()[inside] if cols and cols in s else ALL,
                "n": part[f"n_{mi}"].fillna(0).to_numpy(dtype=float)[inside],
                "n_comparison": part[f"n_comparison_{mi}"].fillna(0).to_numpy(dtype=float)[inside]})
            frames.append(cells)
    if not frames:
        return []
    cells = pd.concat(frames, ignore_index=True)
    per_block = cells.groupby(["measure", rc, "_c", "_b"], sort=False)[["n", "n_comparison"]].sum()
    small = ((per_block > 0) & (per_block < k)).groupby(level=[0, 1, 2], sort=False).any().reset_index()
    return [small]
