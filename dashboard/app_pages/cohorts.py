"""Cohorts and programs: which cohort or program design works, and for whom?"""

import streamlit as st

from dashboard import charts, components as ui

ui.page_header("Cohorts and programs", "Which cohort or program design works better?", "program leads")
f = ui.sidebar_filters()

c1, c2 = st.columns([2, 1])
measure = ui.url_select(c1, "Measure", ui.measures(), "measure", format_func=charts.measure_label)
compare = ui.url_select(c2, "Compare", ["cohort", "program"], "compare", kind="segmented", format_func=str.capitalize)
compare = compare or "cohort"
key = f"{compare}_id"
names = ui.group_names(key)

res = ui.run_view("cohorts", f, measure=measure, compare=compare)
if res.table.empty:
    ui.empty_state("No cohorts with survey responses for these filters.", f.active())
    st.stop()

available = list(dict.fromkeys(res.table[key].tolist()))
picked = ui.url_multiselect(st, f"{compare.capitalize()}s to compare (two or more)", available, f"pick_{compare}",
                            default=available[: min(3, len(available))], format_func=lambda v: names.get(v, v))
if len(picked) < 2:
    st.info(f"Pick at least two {compare}s to compare.")
    st.stop()

table = res.table[res.table[key].isin(picked)].reset_index(drop=True)
traj = res.trajectories[res.trajectories[key].isin(picked)].reset_index(drop=True)

st.caption(
    "Lines: the average score of everyone who answered each survey wave, coached (solid) and comparison "
    "group (dashed), with shaded 95% confidence bands. Who answered changes from wave to wave, so the lines "
    "show levels, not change: a line can fall while the people who answered both waves improved. The "
    "effect below compares the same people before and after; read change there. A line is broken at a wave "
    "its cohort had no survey in."
)
ui.chart_and_table(charts.trajectories(traj, key, res.k, measure, names=names), traj, f"trajectories-{compare}", res)

st.subheader("Effect size per " + compare)
st.caption(
    "Difference in differences: the coached group's change minus the comparison group's change over the "
    "same months, with its 95% CI and the coached matched panel (n). The table gives the coached change "
    "(estimate) first and the DiD after it; Hedges' g puts the change on a common scale: coaching studies "
    "typically find 0.36 to 0.74."
)
ui.chart_and_table(charts.forest(table, key, res.k, title=f"{charts.measure_label(measure)}: effect per {compare}",
                                 names=names),
                   table, f"cohorts-{compare}-{measure}", res)
ui.notes(res)
