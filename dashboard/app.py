"""The coachlens dashboard: a router over the pages in dashboard/app_pages/.

Run with `coachlens dashboard` (or `streamlit run dashboard/app.py` with COACHLENS_DB set). Each
page is a short script: sidebar filters -> one query-layer call -> one chart, its table and the
downloads. To add a page (e.g. ROI), add its file to dashboard/app_pages/ and one st.Page line to PAGES.

Why app_pages/ and not pages/: when a folder named `pages` sits beside the entry script, Streamlit
falls back to its first multipage mode (every file in it a page, run without this router), so
st.navigation, the sections and the page titles below would be ignored on a deep link.
tests/test_pages.py fails if a dashboard/pages/ folder appears.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ (not the repository root) on sys.path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

HERE = Path(__file__).resolve().parent / "app_pages"

# The navigation, in order. Sections group the pages by who opens them first.
PAGES: dict[str, list[st.Page]] = {
    "Results": [
        st.Page(HERE / "overview.py", title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
        st.Page(HERE / "outcomes.py", title="Outcomes by phase and team", icon=":material/grid_on:", url_path="outcomes"),
        st.Page(HERE / "cohorts.py", title="Cohorts and programs", icon=":material/compare_arrows:", url_path="cohorts"),
        st.Page(HERE / "retention.py", title="Retention", icon=":material/group:", url_path="retention"),
        st.Page(HERE / "roi.py", title="Return on investment", icon=":material/savings:", url_path="roi"),
    ],
    "Coaches": [
        st.Page(HERE / "coach.py", title="Coach impact", icon=":material/person:", url_path="coach"),
    ],
    "Data": [
        st.Page(HERE / "quality.py", title="Data quality", icon=":material/fact_check:", url_path="quality"),
    ],
}


def main() -> None:
    st.set_page_config(page_title="coachlens", page_icon=":material/insights:", layout="wide",
                       initial_sidebar_state="expanded")
    page = st.navigation(PAGES, position="sidebar")
    page.run()


main()
