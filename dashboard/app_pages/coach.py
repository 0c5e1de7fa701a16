"""Coach impact: what aggregate change do one coach's clients show?"""

import streamlit as st

from dashboard import charts, components as ui

ui.page_header("Coach impact", "What change do my clients show, pooled across my cohorts?", "coaches")
f = ui.sidebar_filters(show=("program", "cohort", "department", "career_phase", "date_from", "date_to", "waves"))

opts = ui.filter_options()
if not opts.coaches:
    ui.empty_state("No coaches in the warehouse: enrolments carry no coach_id.", False)
    st.stop()
coach = ui.url_select(st, "Coach", opts.coaches, "coach_id", placeholder="Choose a coach")
if coach is None:
    st.info("**Choose a coach** to see the pooled change of their clients. A coach's figures are shown only "
            f"where at least {ui.k()} of their clients answered both survey waves.")
    st.stop()

res = ui.run_view("coach_impact", f, coach_id=coach)
shown = res.table[~res.table["suppressed"].fillna(False).astype(bool)] if not res.table.empty else res.table
if shown.empty:
    st.info(f"**Not enough clients to show.** Coach {coach} has fewer than {res.k} clients with both survey "
            "waves for this selection, so nothing can be shown without risking that a client is recognised. "
            "Widen the filters (all programs, all dates) to pool more clients.")
    ui.notes(res)
    st.stop()

# The program average: the same filters, all coached people (the Overview's change per measure).
average = ui.run_view("overview", f).table
average = average[average["metric"] == "change"]
st.caption(
    f"Average change of coach {coach}'s clients between the two survey waves, pooled across their "
    "cohorts (blue), beside the average of all coached people for the same filters (grey), with 95% "
    f"confidence intervals and the number of people (n). Safe to share: every figure rests on at least {res.k} "
    "clients. The chart shows the headline measures; the table has every subscale."
)
ui.chart_and_table(charts.coach_vs_program(res.table, average, res.k, f"Coach {coach}",
                                           title=f"Coach {coach}: change of pooled clients",
                                           average_label="Program average" if f.program else "All coached people"),
                   res.table, f"coach-{coach}", res)
ui.notes(res)
