"""The report's download button for the dashboard pages (Overview, ROI): one call,

    from dashboard.report.ui import report_download_button; report_download_button(f)

It builds the same self-contained HTML as `coachlens report` when the button is clicked (not with the
page), cached on the filters, the assumptions and the warehouse's data version."""

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


REFUSED_HTML = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Coaching ROI report</title>"
                "</head><body><h1>No report for this selection</h1><p>The sponsor report is not available "
                "for this selection: a figure in it would rest on fewer people than the anonymity rules "
                "allow, or would give away a small group by difference. Choose a larger group (remove or "
                "widen a filter) and download it again.</p></body></html>")


def report_bytes(filter_params: tuple, assumptions_items: tuple, db: str, data_version_: str,
                 config_path: str | None) -> bytes:
    """The report's HTML for the download button (REFUSED_HTML for a refused selection)."""
    html = _report_html(filter_params, assumptions_items, db, data_version_, config_path)
    return (html if html is not None else REFUSED_HTML).encode("utf-8")


def report_download_button(f: Filters, assumptions=None, key: str = "report_html") -> None:
    """A download button for the sponsor report of this selection (HTML; print it to PDF from a browser
    or with `coachlens report --pdf`). The report is built when the button is clicked, not with the
    page: it runs the ROI view again and embeds plotly's JavaScript (at 250,000 people 0.5-1.3 s and
    4.8 MB), which a page should not pay, nor send to the browser, on every filter change."""
    import os

    from dashboard import components as ui

    items = ()
    if assumptions is not None:
        items = tuple((n, getattr(assumptions, n)) for n in assumptions.ADJUSTABLE) + (
            ("turnover_multiplier", tuple(sorted(assumptions.turnover_multiplier.items()))),)
    args = (tuple(sorted(f.to_query_params().items())), items, str(ui.db_path().resolve()), ui.version(),
            os.environ.get("COACHLENS_CONFIG"))
    st.download_button("Download sponsor report (HTML)", lambda: report_bytes(*args),
                       file_name=f"coachlens-roi-report-{dt.date.today().isoformat()}.html", mime="text/html",
                       key=key, on_click="ignore", icon=":material/description:")
