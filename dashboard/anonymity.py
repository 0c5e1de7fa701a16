"""The anonymity rules of DOMAIN.md, enforced in the query layer.

1. k (default 5, never below 3): no shown number rests on fewer than k people.
2. Complementary suppression in breakdowns and cross-tabs whose totals are shown.
3. Differencing: a filtered group whose complement in its parent holds 1..k-1 people is refused; so is
   a filtered group that rule 2 hides in the breakdown of its parent by the same dimension.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

MIN_K = 3
DEFAULT_K = 5


class AnonymityRefused(Exception):
    """The selection cannot be shown without risking re-identification; str() says why."""


def k_of(settings: Mapping | None) -> int:
    k = ((settings or {}).get("anonymity") or {}).get("k", DEFAULT_K)
    if not isinstance(k, int) or isinstance(k, bool) or k < MIN_K:
        raise AnonymityRefused(f"anonymity.k is {k!r}: it must be a whole number of at least {MIN_K}")
    return k


def _protect_line(n: np.ndarray, hidden: np.ndarray, idx: Sequence[int], k: int, total: int | None = None) -> bool:
    """One line (cells idx, total shown): if any cell is hidden, hide the next-smallest cells until
    at least two are hidden and together they hold k or more people; when the line runs out of cells
    to hide, its total is hidden instead. Returns True if it changed."""
    idx = [i for i in idx if n[i] > 0]
    h = [i for i in idx if hidden[i]]
    if not h:
        return False
    changed = False
    while len(h) < 2 or sum(n[i] for i in h) < k:
        shown = [i for i in idx if not hidden[i]]
        if not shown:
            if total is not None and not hidden[total]:
                hidden[total] = True
                changed = True
            break
        nxt = min(shown, key=lambda i: (n[i], i))
        hidden[nxt] = True
        h.append(nxt)
        changed = True
    return changed


def _protect_hidden_total(n: np.ndarray, hidden: np.ndarray, idx: Sequence[int]) -> bool:
    """A line whose total is hidden while all its cells are shown gives the total as their sum: hide its
    smallest cell (its own lines then protect it). Returns True if it changed."""
    idx = [i for i in idx if n[i] > 0]
    if not idx or any(hidden[i] for i in idx):
        return False
    hidden[min(idx, key=lambda i: (n[i], i))] = True
    return True


def _protect_lines(n: np.ndarray, hidden: np.ndarray, lines: list, k: int) -> None:
    """Every line (cells, total cell) protected, until nothing changes: a shown total's line by
    _protect_line, a hidden total's by _protect_hidden_total."""
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            if hidden[total]:
                changed |= _protect_hidden_total(n, hidden, cells)
                continue
            changed |= _protect_line(n, hidden, cells, k, total)


def suppress_1d(n: Sequence, k: int, total_shown: bool = True) -> np.ndarray:
    """Hidden mask for a one-way breakdown (cells 0 < n < k, then complementary against the total)."""
    arr = np.asarray(pd.Series(n, dtype="float").fillna(0), dtype=float)
    hidden = (arr > 0) & (arr < k)
    if total_shown:
        _protect_line(arr, hidden, list(range(len(arr))), k)
    return hidden


def suppress_with_total(n: Sequence, k: int, hidden: Sequence[bool] | None = None) -> np.ndarray:
    """Hidden mask of a one-way breakdown whose last cell is its total, shown beside it: cells 0 < n < k
    and those already `hidden` (for another reason: they can be subtracted out all the same), then
    complementary against the total; the total is hidden when it rests on fewer than k people, or when
    the line runs out of cells to hide. A hidden total protects nothing, so nothing more is hidden."""
    arr = np.asarray(pd.Series(n, dtype="float").fillna(0), dtype=float)
    mask = (arr > 0) & (arr < k)
    if hidden is not None:
        mask |= np.asarray(hidden, dtype=bool)
    total = len(arr) - 1
    if total >= 0 and not mask[total]:
        _protect_line(arr, mask, list(range(total)), k, total)
    return mask


def suppress_crosstab(counts: pd.DataFrame, k: int, hidden: np.ndarray | None = None) -> pd.DataFrame:
    """Hidden mask of a cross-tab *with margins*: the last row and the last column are the totals
    (row totals, column totals, grand total). Every row and column (the margins included) whose total
    cell is shown is protected; repeated until nothing changes. `hidden`: cells (same shape) hidden
    beforehand for another reason (rule 3 on a cell), protected like the small ones."""
    n = counts.to_numpy(dtype=float, na_value=0.0)
    R, C = n.shape
    flat = n.ravel()
    hidden = ((flat > 0) & (flat < k)) | (np.zeros(R * C, dtype=bool) if hidden is None
                                          else np.asarray(hidden, dtype=bool).ravel())
    lines = []  # (cells, total cell)
    for r in range(R):
        lines.append(([r * C + c for c in range(C - 1)], r * C + C - 1))
    for c in range(C):
        lines.append(([r * C + c for r in range(R - 1)], (R - 1) * C + c))
    _protect_lines(flat, hidden, lines, k)
    return pd.DataFrame(hidden.reshape(R, C), index=counts.index, columns=counts.columns)


def suppress_nested(child: pd.DataFrame, parent: pd.DataFrame, parent_of: Mapping, k: int,
                    hidden_child: np.ndarray | None = None,
                    hidden_parent: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """suppress_crosstab of two breakdowns that nest (cohorts within programs), which separate views show:
    each a cross-tab with margins (last row and column the totals), with the same columns. A program's
    cell is the sum of its cohorts' cells, so the cohorts hidden within a program must hold k or more
    people together (else the program's cell minus the shown cohorts gives them), and a program whose
    cohorts cannot be so protected is hidden. Both views take their masks from this one run, so what one
    hides the other cannot give away. `parent_of`: child row -> parent row; a child without one is
    protected against the total only. Returns (child mask, parent mask), each shaped like its input."""
    kids, progs = list(child.index[:-1]), list(parent.index[:-1])
    C = child.shape[1]
    grid = np.vstack([child.to_numpy(dtype=float, na_value=0.0)[:-1], parent.to_numpy(dtype=float, na_value=0.0)[:-1],
                      child.to_numpy(dtype=float, na_value=0.0)[-1:]])
    R = grid.shape[0]
    flat = grid.ravel()
    before = np.zeros((R, C), dtype=bool)
    if hidden_child is not None:
        before[:len(kids)] |= np.asarray(hidden_child, dtype=bool)[:-1]
        before[-1] |= np.asarray(hidden_child, dtype=bool)[-1]
    if hidden_parent is not None:
        before[len(kids):R - 1] |= np.asarray(hidden_parent, dtype=bool)[:-1]
        before[-1] |= np.asarray(hidden_parent, dtype=bool)[-1]     # the margin row, hidden beforehand too
    hidden = ((flat > 0) & (flat < k)) | before.ravel()
    at_prog = {p: len(kids) + i for i, p in enumerate(progs)}
    lines = [([r * C + c for c in range(C - 1)], r * C + C - 1) for r in range(R)]
    for c in range(C):
        by_prog: dict[int, list[int]] = {}
        for i, kid in enumerate(kids):
            if parent_of.get(kid) in at_prog:
                by_prog.setdefault(at_prog[parent_of[kid]], []).append(i * C + c)
        lines += [(cells, r * C + c) for r, cells in by_prog.items()]
        lines.append(([i * C + c for i in range(len(kids))], (R - 1) * C + c))
        lines.append(([r * C + c for r in range(len(kids), R - 1)], (R - 1) * C + c))
    _protect_lines(flat, hidden, lines, k)
    mask = hidden.reshape(R, C)
    return (pd.DataFrame(np.vstack([mask[:len(kids)], mask[-1:]]), index=child.index, columns=child.columns),
            pd.DataFrame(np.vstack([mask[len(kids):R - 1], mask[-1:]]), index=parent.index, columns=parent.columns))


# -- rule 3: differencing ------------------------------------------------------------------------

PARENT_LABEL = {"team": "its department", "department": "the organisation", "career_phase": "all career phases",
                "program": "all programs", "cohort": "its program", "coach": "all coaches",
                "dates": "all dates"}


def parents(filters, team_department: Mapping[str, str] | None = None, cohort_program: Mapping[str, str] | None = None):
    """(dimension, parent filters) for each active filter: the filters with that one relaxed."""
    out = []
    for dim in filters.active():
        if dim == "team":
            dept = (team_department or {}).get(filters.team) or filters.department
            out.append((dim, filters.with_(team=None, department=dept)))
        elif dim == "cohort":
            prog = (cohort_program or {}).get(filters.cohort) or filters.program
            out.append((dim, filters.with_(cohort=None, program=prog)))
        elif dim == "dates":
            out.append((dim, filters.with_(date_from=None, date_to=None)))
        else:
            out.append((dim, filters.with_(**{dim: None})))
    return out


def guard(filters, k: int, count: Callable[[object], Mapping[str, int]], team_department=None,
          cohort_program=None, count_by: Callable[[object, str], pd.DataFrame] | None = None,
          cohort_start: Mapping[str, object] | None = None) -> None:
    """Refuse (AnonymityRefused) when, for some active filter, relaxing it adds 1..k-1 people to any
    of the view's base counts (`count(filters) -> {label: people}`).

    With `count_by(parent filters, dimension) -> DataFrame` (one row per value of the dimension, indexed
    by it, one column per count): also refuse a filtered value that the breakdown of its parent by the
    same dimension hides as a complementary cell (rule 2). Without this, filtering on that value would
    show what the breakdown hides, and the small cell it protects would be the parent minus the shown
    cells. A value holding fewer than k people itself is not refused here: the view suppresses it."""
    active = parents(filters, team_department, cohort_program)
    if not active:
        return
    mine = count(filters)
    for dim, parent in active:
        theirs = count(parent)
        for label, n_parent in theirs.items():
            diff = int(n_parent) - int(mine.get(label, 0))
            if 0 < diff < k:
                value = getattr(filters, dim, None) if dim != "dates" else "the chosen date range"
                raise AnonymityRefused(
                    f"Cannot show {dim.replace('_', ' ')} {value!r}: outside it, {PARENT_LABEL[dim]} holds only "
                    f"{diff} {label} (fewer than k = {k}), so its figures could be subtracted from the "
                    f"figures of {PARENT_LABEL[dim]} to reveal those people. Widen or remove the "
                    f"{dim.replace('_', ' ')} filter.")
    if count_by is None:
        return
    for dim, parent in active:
        if dim == "dates":
            if cohort_start is not None:
                _guard_date_range(filters, parent, k, count_by, cohort_start)
            continue
        value = getattr(filters, dim)
        cells = count_by(parent, dim)
        if value not in cells.index:
            continue
        at = list(cells.index).index(value)
        for label in cells.columns:
            n = cells[label].to_numpy(dtype=float)
            if n[at] < k:
                continue
            if suppress_1d(n, k)[at]:
                raise AnonymityRefused(
                    f"Cannot show {dim.replace('_', ' ')} {value!r} on its own: broken down by "
                    f"{dim.replace('_', ' ')}, {PARENT_LABEL[dim]} has a group of fewer than k = {k} "
                    f"{label}, and {value!r} is hidden beside it so that the small group cannot be worked "
                    f"out from {PARENT_LABEL[dim]} minus the groups shown. Widen or remove the "
                    f"{dim.replace('_', ' ')} filter.")


def date_blocks(cells: pd.DataFrame, cohort_start: Mapping[str, object], k: int) -> list[list[str]]:
    """The cohorts in order of start date, cut into blocks that a date range may not split: consecutive
    cohorts (those starting on one day are never apart) until every count of the block (`cells`: one
    row per cohort, one column per count) is 0 or at least k; a short last block joins the one before.
    Two date ranges whose ends fall between blocks then differ by whole blocks, each of k or more."""
    days = sorted({cohort_start[c] for c in cells.index if c in cohort_start})
    blocks: list[list[str]] = []
    sums = None
    for day in days:
        ids = [c for c in cells.index if cohort_start.get(c) == day]
        if not blocks or sums is None:
            blocks.append([])
            sums = np.zeros(len(cells.columns))
        blocks[-1] += ids
        sums = sums + cells.loc[ids].to_numpy(dtype=float).sum(axis=0)
        if ((sums == 0) | (sums >= k)).all():
            sums = None
    if sums is not None and len(blocks) > 1:
        last = blocks.pop()
        blocks[-1] += last
    return blocks


def _guard_date_range(filters, parent, k: int, count_by, cohort_start: Mapping[str, object]) -> None:
    """Rule 3 between date ranges: a range whose start or end falls inside a block of date_blocks is
    refused (each range on its own may pass against all dates, yet two such ranges differ by the few
    people of the cohorts between their ends)."""
    cells = count_by(parent, "cohort")
    lo, hi = filters.date_from, filters.date_to
    for block in date_blocks(cells, cohort_start, k):
        inside = [(lo is None or cohort_start[c] >= lo) and (hi is None or cohort_start[c] <= hi) for c in block]
        if any(inside) and not all(inside):
            first, last = min(cohort_start[c] for c in block), max(cohort_start[c] for c in block)
            raise AnonymityRefused(
                f"Cannot show the chosen date range: it starts or ends among cohorts starting from {first} to "
                f"{last}, which hold fewer than k = {k} people together in some count, so two date ranges "
                f"could be subtracted to reveal them. Start the range on or before {first}, or after {last}; "
                f"end it before {first}, or on or after {last}.")


def differenced(mine: pd.DataFrame, theirs: pd.DataFrame, keys: list[str], counts: list[str], k: int) -> np.ndarray:
    """Rule 3 on the rows of a breakdown: those of `mine` whose row in `theirs` (the same breakdown with a
    filter relaxed, matched on `keys`) holds 1..k-1 more in one of `counts`; the difference would be
    those few people's figures."""
    both = mine[keys + counts].merge(theirs[keys + counts], on=keys, how="left", suffixes=("", "_p"))
    out = np.zeros(len(mine), dtype=bool)
    for c in counts:
        diff = (both[f"{c}_p"].fillna(0) - both[c].fillna(0)).to_numpy(dtype=float)
        out |= (diff > 0) & (diff < k)
    return out


def blank_suppressed(df: pd.DataFrame, mask, value_cols: Sequence[str]) -> pd.DataFrame:
    """Set suppressed=mask and empty every value column of the suppressed rows (n included)."""
    mask = np.asarray(mask, dtype=bool)
    if "suppressed" in df:
        mask = mask | df["suppressed"].fillna(False).to_numpy(dtype=bool)
    any_hidden = bool(mask.any())
    values = set(value_cols)
    cols = {}
    for col in df.columns:
        s = df[col]
        if col == "suppressed" or col not in values:
            cols[col] = s
        elif col in ("n", "did_n") or col.startswith("n_") or col in ("responded", "exits", "at_risk"):
            arr = s.astype("Int64").array.copy()
            if any_hidden:
                arr[mask] = pd.NA
            cols[col] = arr
        elif s.dtype == object:
            if any_hidden:
                arr = s.to_numpy(dtype=object, copy=True)
                arr[mask] = None
                cols[col] = arr
            else:
                cols[col] = s
        else:
            arr = s.astype(float).to_numpy(copy=True)
            if any_hidden:
                arr[mask] = np.nan
            cols[col] = arr
    cols["suppressed"] = mask
    return pd.DataFrame(cols, index=df.index)
