"""Outcomes by career phase and team: where does change happen, and where not?"""

import streamlit as st

from dashboard import charts, components as ui

ui.page_header("Outcomes by career phase and team", "Where do coached people change, and where not?",
               "program leads")
f = ui.sidebar_filters()

c1, c2, c3 = st.columns([2, 1, 1])
measure = ui.url_select(c1, "Measure", ui.measures(), "measure", format_func=charts.measure_label)
# Drill-down: with a department chosen in the sidebar, its teams are the natural breakdown.
level = ui.url_select(c2, "Break down by", ["department", "team"], "level", kind="segmented",
                      default="team" if f.department else "department",
                      format_func={"department": "Department", "team": "Team"}.get,
                      help="Pick a department in the sidebar to drill down to its teams.")
value = ui.url_select(c3, "Show", ["estimate", "did"], "show", kind="segmented",
                      format_func={"estimate": "Change", "did": "vs comparison"}.get)

res = ui.run_view("outcomes", f, measure=measure, rows="career_phase", cols=level or "department")
if res.table.empty:
    ui.empty_state("No matched pre/post survey responses for these filters.", f.active())
    st.stop()

what = ("the average change of coached people" if value != "did" else
        "the coached people's change minus their comparison group's (difference in differences)")
st.caption(
    f"Each cell: {what} in {charts.measure_label(measure)} between the two "
    "survey waves, with the number of coached people in the cell (n). Blue cells improved, orange cells declined"
    + (" (less is better here: blue is a fall); " if measure in charts.LOWER_IS_BETTER else "; ") +
    f"grey cells are hidden: they hold fewer than {res.k} people, or would let such a group be worked out from the totals; "
    "light grey cells have no coached people, or \"-\" where there is no figure to compute (hover says why); "
    "* a flagged cell. Hover for the 95% "
    "confidence interval and flags. \"All\" is the row or column total."
)
ui.chart_and_table(charts.change_heatmap(res.table, "career_phase", level or "department", res.k, measure,
                                         value=value or "estimate"),
                   res.table, f"outcomes-{measure}", res)
ui.notes(res)
