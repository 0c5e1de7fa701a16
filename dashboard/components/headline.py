"""Headline figures of the Overview page: metric cards and the sentences that read them out."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard.components.data import k


def _row(table: pd.DataFrame, metric: str, measure: str | None = None):
    d = table[table["metric"] == metric] if "metric" in table else table.iloc[0:0]
    if measure is not None and "measure" in d:
        d = d[d["measure"] == measure]
    return None if d.empty else d.iloc[0]


def metric_card(col, label: str, row, kind: str = "count", help: str | None = None) -> None:
    """One headline figure with its n and CI underneath; "hidden", with the reason, when suppressed."""
    kk = k()
    if row is None:
        col.metric(label, "-", help=help, border=True)
        col.caption("not available for this selection")
        return
    if charts._is_suppressed(row) or (kind != "count" and charts._missing(row.get("estimate"))):
        col.metric(label, charts.HIDDEN if charts._is_suppressed(row) else "-", help=help, border=True)
        col.caption(charts.hidden_reason(kk) if charts._is_suppressed(row) else charts.not_computable(row))
        return
    if kind == "count":
        value = row.get("n") if charts._missing(row.get("estimate")) else row.get("estimate")
        col.metric(label, "-" if charts._missing(value) else f"{int(value):,}", help=help, border=True)
        return
    pct = kind == "share"
    value = charts.fmt_num(row["estimate"], 1 if pct else 2, signed=kind == "change", pct=pct)
    col.metric(label, value, help=help, border=True)
    col.caption(f"{charts.fmt_n(row.get('n'))}, {charts.fmt_ci(row.get('ci_low'), row.get('ci_high'), 1 if pct else 2, pct=pct)}")


def headline_sentence(table: pd.DataFrame, measure: str = "engagement") -> None:
    """One plain-language sentence for a sponsor, read off the overview table (no new numbers)."""
    did, change = _row(table, "did", measure), _row(table, "change", measure)
    label = charts.measure_label(measure).split(" (")[0].lower()
    if did is None or change is None or charts._is_suppressed(did) or charts._missing(did.get("estimate")):
        return
    lo, hi = did.get("ci_low"), did.get("ci_high")
    clear = not charts._missing(lo) and not charts._missing(hi) and (float(lo) > 0 or float(hi) < 0)
    direction = "rose" if float(change["estimate"]) >= 0 else "fell"
    st.markdown(
        f"**In short:** {label} of the {int(change['n']):,} coached people with surveys before and after "
        f"{direction} by {charts.fmt_num(change['estimate'], signed=True)} points, "
        f"{charts.fmt_num(did['estimate'], signed=True)} more than colleagues who were not coached "
        f"({charts.fmt_ci(lo, hi)}). "
        + ("That difference is clear of zero." if clear else
           "The interval includes zero, so this could be chance.")
    )
    flagged = list(table.loc[(table["metric"] == "change") & table["flags"].fillna("").str.contains("regression_to_mean"),
                             "measure"])
    rtm = [charts.measure_label(m) for m in flagged]
    higher = [charts.measure_label(m).split(": ")[-1] for m in flagged if m in charts.LOWER_IS_BETTER]
    if rtm:
        heads = [charts.measure_label(m) for m in charts.HEADLINE_MEASURES if charts.measure_label(m) in rtm]
        subs = [m for m in rtm if m not in heads]
        rtm = heads + ([f"{len(subs)} subscale{'s' if len(subs) > 1 else ''} ({', '.join(s.split(': ')[-1] for s in subs)})"]
                       if subs else [])
        st.warning("Coached people started worse than the comparison group on " + ", ".join(rtm)
                   + (f" (lower; higher on {', '.join(higher)}, where less is better)" if higher else " (lower)")
                   + ": part of their improvement may be regression to the mean (a return towards the average). "
                   "The difference in differences (orange) allows for it better than the raw change (blue).",
                   icon=":material/trending_up:")


def retention_sentence(table: pd.DataFrame, label=str) -> None:
    """12-month retention, coached vs comparison, in one sentence (read off the retention table); with a
    split, the groups whose curves differ beyond chance after it (`label`: a group's name as the chart says)."""
    if table.empty or "group" not in table:
        return
    rows = table[table["group"] == "All"]
    get = lambda role: None if rows[rows["role"] == role].empty else rows[rows["role"] == role].iloc[0]  # noqa: E731
    coached, comparison = get("coached"), get("comparison")
    if coached is None or comparison is None:
        return
    hidden = [w for w, r in (("coached people's", coached), ("comparison group's", comparison)) if charts._is_suppressed(r)]
    if hidden:
        st.markdown(f"**In short:** the {' and the '.join(hidden)} retention is hidden here: fewer than {k()} people, "
                    f"or 1 to {k() - 1} of them left by choice (the curve would date each exit), or it would reveal "
                    "such a group. Widen the filters to see it.")
        return
    p = coached.get("logrank_p")
    verdict = ("" if charts._missing(p) else
               " The curves differ beyond chance (log-rank p = {:.3f}).".format(float(p)) if float(p) < 0.05 else
               " The difference could be chance (log-rank p = {:.2f}).".format(float(p)))
    st.markdown(
        f"**In short:** 12 months after their cohort started, {charts.fmt_num(coached['estimate'], 1, pct=True)} of "
        f"coached people were still here ({charts.fmt_ci(coached['ci_low'], coached['ci_high'], 1, pct=True)}, "
        f"{charts.fmt_n(coached['n'])}), against {charts.fmt_num(comparison['estimate'], 1, pct=True)} of the "
        f"comparison group ({charts.fmt_ci(comparison['ci_low'], comparison['ci_high'], 1, pct=True)}, "
        f"{charts.fmt_n(comparison['n'])}).{verdict}{_split_verdict(table, label)}")


def _split_verdict(table: pd.DataFrame, label) -> str:
    """The groups of a split whose coached and comparison curves differ beyond chance (both shown, log-rank
    p < 0.05), with the caution that testing several groups finds some by chance."""
    tested = table[(table["group"] != "All") & table["logrank_p"].notna() & ~table["suppressed"].astype(bool)]
    tested = tested.drop_duplicates("group")
    if tested.empty:
        return ""
    hits = tested[tested["logrank_p"] < 0.05]
    if hits.empty:
        return f" No group of the {len(tested)} differs beyond chance on its own."

    def said(g, p) -> str:
        """The group, which way its coached people differ (12-month retention, coached against comparison), p."""
        roles = table[table["group"] == g].set_index("role")["estimate"]
        c, o = roles.get("coached"), roles.get("comparison")
        way = ("" if charts._missing(c) or charts._missing(o) else
               f": coached {charts.fmt_num(c, 1, pct=True)} against {charts.fmt_num(o, 1, pct=True)}, coached people "
               f"{'staying longer' if float(c) > float(o) else 'leaving sooner'}")
        return f"{label(g)} (p = {p:.3f}{way})"

    named = "; ".join(said(g, p) for g, p in zip(hits["group"], hits["logrank_p"]))
    chance = 1 - 0.95 ** len(tested)
    return (f" On its own, {named} {'differs' if len(hits) == 1 else 'differ'} beyond chance; with "
            f"{len(tested)} groups tested, the chance that at least one does by chance alone is about "
            f"{chance:.0%}.")


def headline_metrics(table: pd.DataFrame) -> None:
    c = st.columns(4)
    metric_card(c[0], "People in scope", _row(table, "people_in_scope"),
                help="Everyone in the HR extract who matches the filters, coached or not.")
    metric_card(c[1], "People coached", _row(table, "coached"),
                help="People with at least one coaching enrolment (waitlists excluded).")
    metric_card(c[2], "Completion rate", _row(table, "completion_rate"), kind="share",
                help="Completed enrolments / (completed + withdrawn), with a Wilson 95% CI.")
    metric_card(c[3], "Matched panel", _row(table, "matched_panel"),
                help="Coached people with both a baseline and a post survey: the people every change figure rests on.")
    c = st.columns(4)
    metric_card(c[0], "Retention, coached", _row(table, "retention_12m_coached"), kind="share",
                help="12-month retention: the Kaplan-Meier share still employed 12 months after their cohort started "
                     "(voluntary exits).")
    metric_card(c[1], "Retention, comparison", _row(table, "retention_12m_comparison"), kind="share",
                help="The same for people not coached, from the same start dates.")
    fresh = _row(table, "data_freshness")
    as_of = None if fresh is None else fresh.get("as_of")
    loaded = None if fresh is None else fresh.get("loaded_at")
    c[2].metric("Data as of", "-" if charts._missing(as_of) else str(as_of)[:10], border=True,
                help="The date retention follows people to: the people extract's date (ingest --extract-date), else "
                     "the newest exit, survey response or begun enrolment.")
    c[3].metric("Last load", "-" if charts._missing(loaded) else str(loaded)[:10], border=True,
                help="When `coachlens ingest` last changed the warehouse.")
    if not charts._missing(loaded):
        c[3].caption(f"at {str(loaded)[11:16]}")
