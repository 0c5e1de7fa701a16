"""Retention: do coached people stay longer than comparable colleagues?"""

import streamlit as st

from dashboard import charts, components as ui

ui.page_header("Retention", "Do coached people stay longer than comparable colleagues?",
               "HR sponsors")
f = ui.sidebar_filters(show=("program", "cohort", "coach", "department", "team", "career_phase",
                             "date_from", "date_to"))

split = ui.url_select(st, "Split by", ["all", "program", "career_phase"], "split", kind="segmented",
                     format_func={"all": "Everyone", "program": "Program", "career_phase": "Career phase"}.get)
res = ui.run_view("retention", f, split=None if split in (None, "all") else split)
if res.table.empty:
    ui.empty_state("No coached people or comparison group for these filters.", f.active())
    st.stop()

names = ui.group_names("program_id") if split == "program" else None
words = {"group": charts.PHASE_LABELS} if split == "career_phase" else None   # the tables' phases in words
# a retention row is hidden for its people or for its few leavers: say both
reason = (f"hidden: fewer than {res.k} people, or 1 to {res.k - 1} voluntary leavers (the curve would date each "
          "exit), or it would reveal such a group")
ui.retention_sentence(res.table, label=lambda g: charts._label(g, split, names))
st.caption(
    "Share of people still employed, month by month from the start of their cohort, counting only "
    "voluntary exits (people who were let go are not counted as leaving). Solid: coached; dashed: the "
    "comparison group of colleagues employed at the same start dates and not coached; with a split, one "
    "panel per group, on one scale. Shaded: 95% "
    f"confidence bands. Months where fewer than {res.k} people remain are not drawn, nor, with a split, the "
    "months of another group that would let the missing one be worked out from the total."
)
ui.chart_and_table(charts.km_curves(res.curves, res.k, title="Still employed since cohort start",
                                    names=names,
                                    kind=split),
                   res.curves, "retention-curves", res, words=words, reason=reason)
st.subheader("12-month retention")
st.caption("Retention at 12 months with its 95% CI; the log-rank p compares the whole curves "
           "(below 0.05: the coached and comparison curves differ beyond chance).")
ui.table_and_downloads(res.table, "retention-12m", res, words=words, reason=reason)
ui.notes(res)
