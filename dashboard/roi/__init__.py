"""Return on investment (Phillips ROI Methodology): model (pure arithmetic), roi.sql (costs and
headcounts), view (the query-layer view with the anonymity rules), charts (pure figure builders)."""

from dashboard.roi.model import Assumptions, AssumptionError, RoiInputs, RoiResult  # noqa: F401


def roi(*args, **kwargs):
    """dashboard.roi.view.roi, imported lazily (it needs the query layer)."""
    from dashboard.roi.view import roi as _roi

    return _roi(*args, **kwargs)
