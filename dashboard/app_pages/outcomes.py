"""Outcomes by career phase and team: where does change happen, and where not?"""

import streamlit as st

from dashboard import charts, components as ui

ui.page_header("Outcomes by career phase and team", "Where do coached people change, and where not?",
               "program leads")
f = ui.sidebar_filters()

c1, c2, c3 = st.columns([2, 1, 1])
measure = c1.selectbox("Measure", list(charts.MEASURES), format_func=charts.measure_label, key="measure",
                       bind="query-params")
level = c2.segmented_control("Break down by", ["department", "team"], default="department", key="level",
                             format_func=lambda v: {"department": "Department", "team": "Team"}[v],
                             required=True, bind="query-params",
                             help="Pick a department in the sidebar to drill down to its teams.")
value = c3.segmented_control("Show", ["estimate", "did"], default="estimate", key="show", required=True,
                             format_func=lambda v: {"estimate": "Change", "did": "vs comparison"}[v],
                             bind="query-params")

res = ui.run_view("outcomes", f, measure=measure, rows="career_phase", cols=level or "department")
if res.table.empty:
    ui.empty_state("No matched pre/post survey responses for these filters.")
    st.stop()

st.caption(
    f"Each cell: the average change of coached people in {charts.measure_label(measure)} between the two "
    "survey waves, with the number of people in the cell (n). Blue cells improved, orange cells declined; "
    f"grey cells hold fewer than {res.k} people and are hidden to protect anonymity. Hover for the 95% "
    "confidence interval and flags. \"All\" is the row or column total."
)
ui.chart_and_table(charts.change_heatmap(res.table, "career_phase", level or "department", res.k, measure,
                                         value=value or "estimate"),
                   res.table, f"outcomes-{measure}", res)
ui.notes(res)
