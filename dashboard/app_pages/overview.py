"""Overview: the headline for HR sponsors. Who was coached, did they change, did they stay?"""

import streamlit as st

from dashboard import charts, components as ui
from dashboard.report.ui import report_download_button

ui.page_header("Overview", "Does coaching make a measurable difference here?",
               "HR sponsors and program leads")
f = ui.sidebar_filters()
res = ui.run_view("overview", f)
if res.table.empty:
    ui.empty_state("No people match these filters.", f.active())
    st.stop()

ui.headline_metrics(res.table)
st.subheader("Change per construct")
ui.headline_sentence(res.table)
changes = res.table[res.table["metric"].isin(["change", "did"])
                    & res.table["measure"].isin(charts.HEADLINE_MEASURES)]
if len(changes) and changes["suppressed"].fillna(False).astype(bool).all():
    # nothing to draw but grey marks on the zero line, which read as "no change"
    st.info(f"**Every change figure for this selection is hidden:** it rests on fewer than {res.k} people, or "
            "would reveal a group that small. Widen the filters in the sidebar to see them.", icon=":material/shield:")
    ui.table_and_downloads(res.table, "overview", res)
else:
    st.caption(
        "Blue: the average change of coached people between the two survey waves (their matched panel). "
        "Orange: that change minus the change of the comparison group over the same months "
        "(difference in differences), the better estimate of what coaching added. Bars are 95% confidence "
        "intervals: an interval that crosses the dotted zero line is not a clear effect."
    )
    ui.chart_and_table(charts.headline_effects(res.table, res.k), res.table, "overview", res)
ui.notes(res)

st.subheader("Report for sponsors")
st.caption("One self-contained HTML file with the headline figures, the ROI, the method, the assumptions "
           f"and the anonymity rules applied: no figure in it rests on fewer than {res.k} people.")
report_download_button(f)
