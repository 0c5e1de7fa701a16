"""Return on investment: does our coaching spend pay back? (Phillips ROI Methodology)"""

import streamlit as st

from dashboard import components as ui
from dashboard.report.ui import report_download_button
from dashboard.roi import charts as rc
from dashboard.roi.assumptions import Assumptions
from dashboard.roi.ui import BY_LABELS, assumption_controls, run_roi
from dashboard.roi.view import shown_total

ui.page_header("Return on investment", "Does our coaching spend pay back?", "HR sponsors")
# the breakdown first in the sidebar (it was under the filters and the assumptions, far down); in the link too
by = ui.url_select(st.sidebar, "ROI by", tuple(BY_LABELS), "by", format_func=BY_LABELS.get)
f = ui.sidebar_filters(show=("program", "cohort", "coach", "department", "team", "career_phase", "date_from",
                             "date_to"))
a = assumption_controls(Assumptions.from_settings(ui.settings()))
res = run_roi(f, a, by)
key = res.table.columns[0]
h = shown_total(res)
if h is None:
    ui.empty_state(f"The ROI for this selection rests on fewer than {res.k} people (coached or comparison).", f.active())
    st.stop()
cur_ = h["currency"] or a.currency

c = st.columns(4)
c[0].metric("ROI", f"{h['estimate']:+.0f}%", border=True,
            help="(benefits - costs) / costs x 100, first-year retention benefits only.")
c[0].caption(f"95% interval {h['ci_low']:+.0f}% to {h['ci_high']:+.0f}%")
c[1].metric("Benefit-cost ratio", f"{h['bcr']:.2f}", border=True, help="Benefits / costs; 1 is break-even.")
c[1].caption(f"95% interval {h['bcr_low']:.2f} to {h['bcr_high']:.2f}")
c[2].metric("Chance ROI > 0", f"{h['p_roi_positive']:.0%}", border=True,
            help="Share of the Monte Carlo draws with a positive ROI.")
c[2].caption(f"{int(h['n'])} coached, {int(h['n_comparison'])} in the comparison group")
c[3].metric("Net benefit", rc.money_short(h["net_benefit"], cur_), border=True,
            help="Benefits minus fully loaded costs, first year.")
c[3].caption(f"{rc.money(h['net_benefit'], cur_)}: benefits {rc.money(h['benefits'], cur_)}, "
             f"costs {rc.money(h['costs'], cur_)}")
for note in res.notes:
    if note.startswith("Warning"):
        st.warning(note, icon=":material/warning:")

left, right = st.columns(2)
with left:
    ui.plot(rc.waterfall(res.waterfall, key, "All", cur_))
with right:
    ui.plot(rc.tornado(res.tornado, key, "All"))
if by != "none":
    st.subheader(f"By {BY_LABELS[by].lower()}")
    ui.chart_and_table(rc.roi_by_group(res.table, key, res.k, names=ui.group_names(key)), res.table, "roi", res)
st.subheader("Beside the ROI, not in money")
ui.chart_and_table(rc.intangibles(res.intangibles, key, "All"), res.intangibles, "roi-intangibles", res)
with st.expander("The method in plain words, and every assumption used", icon=":material/menu_book:"):
    ui.notes(res)
    st.dataframe(res.assumptions.astype({"value": str}), hide_index=True)
report_download_button(f, a)
