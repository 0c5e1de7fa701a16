"""The report's download button for the dashboard pages (Overview, ROI): one call,

    from dashboard.report.ui import report_download_button; report_download_button(f)

It builds the same self-contained HTML as `coachlens report`, cached on the filters, the assumptions
and the warehouse's data version."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.filters import Filters


@st.cache_data(show_spinner="Building the report...", max_entries=16)
def _report_html(filter_params: tuple, assumptions_items: tuple, db: str, data_version_: str,
                 config_path: str | None) -> str | None:
    from dashboard import components as ui
    from dashboard.anonymity import AnonymityRefused
    from dashboard.report import build_report
    from dashboard.roi.assumptions import Assumptions

    settings = ui._settings(config_path)
    a = Assumptions.from_settings(settings)
    if assumptions_items:
        a = a.with_(**{n: (dict(v) if n == "turnover_multiplier" else v) for n, v in assumptions_items})
    cur = ui._reader(db).cursor()
    try:
        return build_report(cur, Filters.from_query_params(dict(filter_params)), settings, a)
    except AnonymityRefused:
        return None
    finally:
        cur.close()


def report_download_button(f: Filters, assumptions=None, key: str = "report_html") -> None:
    """A download button for the sponsor report of this selection (HTML; print it to PDF from a browser
    or with `coachlens report --pdf`)."""
    import os

    from dashboard import components as ui

    items = ()
    if assumptions is not None:
        items = tuple((n, getattr(assumptions, n)) for n in assumptions.ADJUSTABLE) + (
            ("turnover_multiplier", tuple(sorted(assumptions.turnover_multiplier.items()))),)
    html = _report_html(tuple(sorted(f.to_query_params().items())), items, str(ui.db_path().resolve()),
                        ui.version(), os.environ.get("COACHLENS_CONFIG"))
    if html is None:
        st.caption("The sponsor report is not available for this selection (anonymity rules).")
        return
    st.download_button("Download sponsor report (HTML)", html.encode("utf-8"),
                       file_name=f"coachlens-roi-report-{dt.date.today().isoformat()}.html", mime="text/html",
                       key=key, on_click="ignore", icon=":material/description:")
