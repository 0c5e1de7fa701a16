"""What `coachlens export roi` carries: the ROI view as its page shows it (DOMAIN.md rule 5)."""

from __future__ import annotations

from dashboard import queries as Qy
from dashboard.roi import view as V


def export_view(cur, filters, settings, **opts) -> Qy.ViewResult:
    """For `coachlens export roi`: --split (or --by) program / cohort / career_phase / none."""
    by = opts.get("by") or opts.get("split") or "program"
    res = V.roi(cur, filters, settings, by=None if by in ("none", "all") else by)
    if V.shown_total(res) is None:
        # the page then says only that the ROI rests on fewer than k people, and shows no group, chart or
        # intangible: so does its export (rule 5), the total row suppressed
        total = res.table[res.table[res.table.columns[0]] == V.ALL]
        return Qy.ViewResult(total.reset_index(drop=True),
                             [f"The ROI for this selection rests on fewer than {res.k} people (coached or comparison)."],
                             {}, res.k)
    return res
