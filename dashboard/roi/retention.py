"""The ROI's 12-month retention per group, from the query layer's `retention()`: as the retention view
computes and suppresses it, per program or career phase in one call, per cohort as a filter on each
cohort gives it (`retention_per_cohort`: each cohort's own guard); and which groups were followed for
less than 12 months."""

from __future__ import annotations

import pandas as pd

from dashboard import queries as Qy
from dashboard.anonymity import AnonymityRefused
from dashboard.filters import Filters

ALL = "All"


def retention_by_group(cur, f: Filters, settings, by: str | None) -> tuple[pd.DataFrame, list[str], set[str]]:
    """12-month retention per (group, role) as the query layer computes and suppresses it, plus notes,
    and the groups followed for less than 12 months at the horizon (month 12 of the curve suppressed: its risk
    set is below k, or it is hidden to protect such a group). The caller has run retention()'s guard on `f`."""
    notes: list[str] = []
    short: set[str] = set()
    if by == "cohort":
        frames = []
        total = Qy.retention(cur, f, settings, guarded=True)
        frames.append(total.table)
        short |= _short(total)
        notes += total.notes
        for cohort, res in Qy.retention_per_cohort(cur, f, settings).items():
            if isinstance(res, AnonymityRefused):
                frames.append(pd.DataFrame({"group": [cohort] * 2, "role": ["coached", "comparison"],
                                            "suppressed": [True, True]}))
                continue
            frames.append(res.table[res.table["group"] == ALL].assign(group=cohort))
            if _short(res):
                short.add(cohort)
        table = pd.concat(frames, ignore_index=True)
    else:
        res = Qy.retention(cur, f, settings, split=by, guarded=True)
        table, notes, short = res.table, list(res.notes), _short(res)
    return table, notes, short


def _short(res) -> set[str]:
    curves = getattr(res, "extras", {}).get("curves")
    if curves is None or curves.empty:
        return set()
    at12 = curves[curves["month"] == 12]
    bad = at12[at12["suppressed"].fillna(True).astype(bool) | (at12["at_risk"].fillna(0) <= 0)]
    return set(bad["group"].astype(str))


def retention_row(ret: pd.DataFrame, grp: str, role: str):
    r = ret[(ret["group"].astype(str) == grp) & (ret["role"] == role)]
    return None if r.empty else r.iloc[0]
