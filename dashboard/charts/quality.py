"""Data quality figures: counts per load or reason, and response rates per cohort and wave."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.charts.common import (TEMPLATE, WAVE_LABELS, WAVE_ORDER, _title, _wrap, empty_figure,
                                     HIDDEN, hidden_reason, fmt_ci, fmt_n, fmt_num, measure_label)


# -- Data quality -----------------------------------------------------------------------------------

def bar_counts(table: pd.DataFrame, label: str, value: str, title: str | None = None,
               x_title: str = "rows", colour: str | None = None, top: int | None = None) -> go.Figure:
    """Horizontal bars of counts (e.g. quarantine reasons), largest first, value printed on the bar;
    with `top`, only the largest `top` rows are drawn (the title says so)."""
    if table.empty:
        return empty_figure("Nothing here: no rows were quarantined." if "quarantine" in (title or "").lower()
                            else "Nothing to show.")
    d = table[table[value].notna()]
    if top is not None and len(d) > top:
        title = f"{title} (the {top} largest of {len(d)}; all in the table)" if title else title
        d = d.nlargest(top, value)
    d = d.sort_values(value, ascending=True)
    fig = go.Figure(go.Bar(x=d[value], y=[_wrap(str(v)) for v in d[label]], orientation="h",
                           marker=dict(color=colour or theme.COACHED), text=[f"{int(v):,}" for v in d[value]],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}: %{x:,}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, height=max(220, 40 * len(d) + 110), xaxis=dict(title=x_title),
                      yaxis=dict(title=None, showgrid=False), margin=dict(l=10, r=60, t=60, b=40))
    _title(fig, title)
    return fig


def check_shares(table: pd.DataFrame, k: int, title: str | None = None) -> go.Figure:
    """The quality view's share checks (a score missing per measure, career phase unknown, enrolments
    without a coach): one bar each, labelled with its %, 95% CI and n; a hidden one grey and labelled so."""
    d = table[table["check"] != "quarantined rows"]
    d = d[~d["check"].str.startswith("coached response")]
    if d.empty:
        return empty_figure("Nothing to check for this selection.")
    what = {"missing score": lambda x: f"{measure_label(x)}: score missing",
            "career phase unknown": lambda x: "Career phase unknown",
            "enrolment without coach": lambda x: "Enrolment without a coach"}
    labels = [what.get(c, lambda x, c=c: f"{c}: {x}")(x) for c, x in zip(d["check"], d["detail"])][::-1]
    d = d.iloc[::-1]
    hidden = d["suppressed"].fillna(False).astype(bool).to_numpy()
    x = [0.0 if h else float(v) * 100 for h, v in zip(hidden, d["estimate"])]
    fig = go.Figure(go.Bar(
        x=x, y=labels, orientation="h", marker=dict(color=[theme.SUPPRESSED if h else theme.COMPARISON for h in hidden]),
        # the interval in the label (error bars ran through the labels beside bars this short)
        text=[HIDDEN if h else f"{v * 100:.1f}% (95% CI {lo * 100:.1f}-{hi * 100:.1f}%, {fmt_n(n)})"
              for h, v, lo, hi, n in zip(hidden, d["estimate"], d["ci_low"], d["ci_high"], d["n"])],
        textposition="outside", cliponaxis=False,
        hovertext=[f"{lab}: {hidden_reason(k)}" if h else f"{lab}: {v * 100:.1f}%<br>{fmt_ci(lo, hi, 1, pct=True)}<br>{fmt_n(n)}"
                   for lab, h, v, lo, hi, n in zip(labels, hidden, d["estimate"], d["ci_low"], d["ci_high"], d["n"])],
        hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, height=max(240, 30 * len(d) + 120),
                      xaxis=dict(title="% of responses, people or enrolments", ticksuffix="%", rangemode="tozero"),
                      yaxis=dict(title=None, showgrid=False), margin=dict(l=10, r=230, t=60, b=40))
    _title(fig, title)
    return fig


def response_rates(table: pd.DataFrame, k: int, title: str | None = None) -> go.Figure:
    """Response rate per wave (bars per cohort), with Wilson 95% CIs; suppressed cells greyed."""
    if table.empty:
        return empty_figure("No enrolments to compute response rates for.")
    fig = go.Figure()
    key = "cohort_id" if "cohort_id" in table else table.columns[0]
    waves = [w for w in WAVE_ORDER if w in set(table["wave"])]
    for wi, w in enumerate(waves):
        d = table[table["wave"] == w]
        sup = d["suppressed"].fillna(False).astype(bool)
        est = d["estimate"].where(~sup)
        fig.add_trace(go.Bar(
            x=d[key].astype(str), y=(est * 100), name=WAVE_LABELS.get(w, w),
            marker=dict(color=theme.CATEGORICAL[wi % len(theme.CATEGORICAL)]),
            error_y=dict(type="data", symmetric=False, array=((d["ci_high"] - d["estimate"]) * 100).where(~sup),
                         arrayminus=((d["estimate"] - d["ci_low"]) * 100).where(~sup), thickness=1.5,
                         color="#555555"),
            hovertext=[(f"{c} - {WAVE_LABELS.get(w, w)}: {hidden_reason(k, 'enrolled')}" if s else
                        f"{c} - {WAVE_LABELS.get(w, w)}: {fmt_num(e, 0, pct=True)} responded<br>"
                        f"{fmt_ci(a, b, 0, pct=True)}<br>{fmt_n(n)} enrolled")
                       for c, s, e, a, b, n in zip(d[key], sup, d["estimate"], d["ci_low"], d["ci_high"], d["n"])],
            hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, barmode="group", height=400,
                      yaxis=dict(title="% of enrolled who responded", range=[0, 105], ticksuffix="%"),
                      xaxis=dict(title=None, tickangle=-30 if table[key].nunique() > 6 else 0),
                      margin=dict(l=10, r=20, t=90, b=60))
    _title(fig, title)
    return fig
