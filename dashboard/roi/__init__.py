"""Return on investment (Phillips ROI Methodology): assumptions (the [roi] settings and their ranges),
model (pure arithmetic), roi.sql (costs and headcounts), view (the query-layer view with the anonymity
rules), charts (pure figure builders)."""

from dashboard.roi.assumptions import AssumptionError, Assumptions  # noqa: F401
from dashboard.roi.model import RoiInputs, RoiResult  # noqa: F401


def roi(*args, **kwargs):
    """dashboard.roi.view.roi, imported lazily (it needs the query layer)."""
    from dashboard.roi.view import roi as _roi

    return _roi(*args, **kwargs)
