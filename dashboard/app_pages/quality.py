"""Data quality: what was loaded, what was set aside and why, who answered the surveys."""

import streamlit as st

from dashboard import charts, components as ui

ui.page_header("Data quality", "Can these numbers be trusted: what was loaded, what was set aside?",
               "program leads and analysts")
f = ui.sidebar_filters(show=("program", "cohort", "date_from", "date_to"))
res = ui.run_view("quality", f)

st.subheader("Checks")
st.caption("Missing scores, unknown career phases, enrolments without a coach and quarantined rows "
           "(file rows set aside at load, with the reason). Quarantined rows were not loaded: fix them in "
           "the source file and load it again.")
quarantined = res.table[res.table["check"].str.startswith("quarantine")]
ui.chart_and_table(charts.check_shares(res.table, res.k, title="Missing scores, unknown phases, enrolments without a coach"),
                   res.table, "quality-checks", res)
ui.chart_and_table(charts.bar_counts(quarantined, "detail", "n", title="Quarantined rows by reason", top=15),
                   quarantined, "quality-quarantine", res)

st.subheader("Survey response rates")
st.caption("Share of enrolled (non-waitlist) people who answered each survey wave, with 95% CIs. "
           "Low response rates make every change figure less certain.")
rates = res.extras.get("response_rates")
ui.chart_and_table(charts.response_rates(rates, res.k, title="Response rate per cohort and wave"),
                   rates, "response-rates", res)

st.subheader("Loads")
loads = res.extras.get("loads")
newest = None if loads is None or loads.empty else loads.iloc[0]
st.caption("Every file loaded by `coachlens ingest`, newest first."
           + ("" if newest is None else f" Last load: **{str(newest['finished_at'])[:16]}** ({newest['file_name']})."))
ui.table_and_downloads(loads, "loads", res)
ui.notes(res)
