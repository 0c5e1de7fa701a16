"""ROI chart builders: pure functions, a table of the roi view in, a plotly figure out.

Nothing here computes a figure: every number drawn is a cell of `roi(...).table` or of its extras
(`waterfall`, `tornado`, `intangibles`). Suppressed groups are drawn as "hidden", never as a
value. Colours and type come from dashboard.theme (the shared template).
"""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.charts import HIDDEN, empty_figure, measure_label

TEMPLATE = theme.register()
GAIN = theme.OKABE_ITO["blue"]
LOSS = theme.OKABE_ITO["orange"]
NET = theme.INK


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def money(v, currency: str = "") -> str:
    if _missing(v):
        return "-"
    sign = "-" if v < 0 else ""
    return f"{sign}{currency + ' ' if currency else ''}{abs(v):,.0f}"


def money_short(v, currency: str = "") -> str:
    """An amount short enough for a metric tile: thousands as k and millions as M above 10,000
    (-GBP 1.58M); the exact figure belongs beside it."""
    if _missing(v):
        return "-"
    a = abs(v)
    if a < 10_000:
        return money(v, currency)
    sign = "-" if v < 0 else ""
    num = f"{a / 1e6:.3g}M" if a >= 999_500 else f"{a / 1e3:.3g}k"
    return f"{sign}{currency + ' ' if currency else ''}{num}"


def pct(v, digits: int = 0) -> str:
    return "-" if _missing(v) else f"{v:+.{digits}f}%"


def _group(df: pd.DataFrame, key: str, group: str) -> pd.DataFrame:
    return df[df[key].astype(str) == str(group)] if key in df else df.iloc[0:0]


def waterfall(steps: pd.DataFrame, key: str, group: str = "All", currency: str = "GBP",
              title: str | None = "From costs to net benefit") -> go.Figure:
    """Costs (down), the retention benefit (up) and the net benefit (the total bar)."""
    d = _group(steps, key, group)
    if d.empty:
        return empty_figure("No ROI for this selection (fewer than k people, or no comparison group).")
    fig = go.Figure(go.Waterfall(
        x=list(d["step"]), y=list(d["amount"]), measure=list(d["kind"]),
        # short amounts (-GBP 1.3M) at the page's text size: full ones ran into each other in the page's half
        # width, or were shrunk to about 7 px; the hover and the table hold the exact figures
        text=[money_short(v, currency) for v in d["amount"]], textposition="outside",
        textfont=dict(size=12), constraintext="none", cliponaxis=False,
        decreasing=dict(marker=dict(color=LOSS)), increasing=dict(marker=dict(color=GAIN)),
        totals=dict(marker=dict(color=NET)), connector=dict(line=dict(color=theme.GRID)),
        hovertemplate="%{x}: %{y:,.0f} " + currency + "<extra></extra>"))
    # the steps' names on two short lines, level (in the page's half width they were turned on end)
    ticks = {"Coaching fees": "Coaching<br>fees", "Participants' time": "Participants'<br>time",
             "Administration": "Admin-<br>istration", "Retention benefit": "Retention<br>benefit",
             "Net benefit": "Net<br>benefit"}
    benefit = d.loc[d["step"] == "Retention benefit", "amount"]
    if len(benefit) and float(benefit.iloc[0]) < 0:
        # a loss where a benefit is expected, said under its bar: coached people left more often than the
        # comparison group
        ticks["Retention benefit"] += (f"<br><span style='font-size:10px;color:{theme.MUTED}'>negative: the<br>"
                                       "coached left<br>more often</span>")
    fig.update_xaxes(ticktext=[ticks.get(s, s) for s in d["step"]], tickvals=list(d["step"]), tickangle=0)
    fig.update_yaxes(automargin=True, tickformat=",.0f")
    fig.update_layout(template=TEMPLATE, height=380, showlegend=False, margin=dict(l=90),
                      yaxis=dict(title=f"{currency}", zeroline=True, zerolinecolor=theme.MUTED))
    if title:
        fig.update_layout(title=dict(text=title))
    return fig


def tornado(rows: pd.DataFrame, key: str, group: str = "All",
            title: str | None = "What moves the ROI: each assumption across its range") -> go.Figure:
    """Horizontal bars from the base ROI to the ROI at each end of an assumption's range, the widest
    swing on top."""
    d = _group(rows, key, group)
    if d.empty:
        return empty_figure("No sensitivities for this selection.")
    d = d.iloc[::-1]   # plotly draws bottom-up: the widest swing (first row) on top
    base = float(d["roi_base"].iloc[0])
    fig = go.Figure()
    for end, colour, label in (("low", theme.OKABE_ITO["sky"], "low end of range"),
                               ("high", theme.OKABE_ITO["blue"], "high end of range")):
        vals = d[f"roi_at_{end}"].astype(float)
        fig.add_trace(go.Bar(
            y=list(d["label"]), x=list(vals - base), base=base, orientation="h", name=label,
            marker=dict(color=colour),
            customdata=list(zip(d[f"{end}_value"], vals)),
            hovertemplate="%{y}: at %{customdata[0]:.3g}, ROI %{customdata[1]:.0f}%<extra></extra>"))
    fig.add_vline(x=base, line=dict(color=theme.INK, width=1))
    fig.add_vline(x=0, line=dict(color=theme.MUTED, width=1, dash="dot"))
    fig.update_yaxes(automargin=True)
    # the legend sits between the title and the bars (a taller top margin), not over the title
    fig.update_layout(template=TEMPLATE, barmode="overlay", height=150 + 50 * len(d), margin=dict(l=200, t=95),
                      xaxis=dict(title="ROI %", ticksuffix="%"), yaxis=dict(title=None))
    if title:
        fig.update_layout(title=dict(text=title))
    return fig


def roi_by_group(table: pd.DataFrame, key: str, k: int, title: str | None = "ROI % with its 95% interval",
                 names: Mapping[str, str] | None = None) -> go.Figure:
    """One dot per group with its Monte Carlo interval; suppressed groups labelled "hidden".
    `names`: group value -> label (programs as "Name (P001)")."""
    if table.empty:
        return empty_figure("No groups to show.")
    names = names or {}
    # a flagged group says which flag in its label (the page's warnings say "where flagged")
    words = {"not_comparable": "not comparable at baseline", "small_comparison": "small comparison group",
             "indicative": "indicative", "short_follow_up": "short follow-up", "no_break_even": "no retention gain",
             "break_even_out_of_reach": "break-even out of reach"}
    flags = dict(zip(table[key].astype(str), table["flags"] if "flags" in table else [""] * len(table)))

    def marked(v) -> str:
        said = [words.get(f, f) for f in str(flags.get(str(v)) or "").split(";") if f and f in words]
        base = names.get(str(v), str(v))
        return base if not said else f"{base}<br><span style='font-size:11px;color:{theme.MUTED}'>{', '.join(said)}</span>"

    label = {str(v): marked(v) for v in table[key]}
    labels = [label[str(v)] for v in table[key]]
    shown = ~table["suppressed"].astype(bool)
    fig = go.Figure()
    s = table[shown]
    fig.add_trace(go.Scatter(
        x=list(s["estimate"]), y=[label[str(v)] for v in s[key]], mode="markers", marker=dict(color=GAIN, size=11),
        error_x=dict(type="data", symmetric=False, array=list(s["ci_high"] - s["estimate"]),
                     arrayminus=list(s["estimate"] - s["ci_low"]), color=GAIN, thickness=2),
        customdata=list(zip(s["n"].astype(float), s["p_roi_positive"])), name="ROI %",
        hovertemplate="%{y}: ROI %{x:.0f}% (n=%{customdata[0]:.0f}, P(ROI>0)=%{customdata[1]:.0%})<extra></extra>"))
    for v in table.loc[~shown, key]:
        fig.add_annotation(x=0, y=label[str(v)], text=HIDDEN, showarrow=False,
                           font=dict(color=theme.SUPPRESSED_TEXT), bgcolor=theme.SUPPRESSED)
    fig.add_vline(x=0, line=dict(color=theme.MUTED, width=1, dash="dot"))
    fig.update_yaxes(automargin=True)
    fig.update_layout(template=TEMPLATE, height=140 + 45 * len(labels), showlegend=False, margin=dict(l=220),
                      xaxis=dict(title="ROI %", ticksuffix="%"),
                      yaxis=dict(categoryorder="array", categoryarray=labels[::-1], title=None))
    if title:
        fig.update_layout(title=dict(text=title))
    return fig


def intangibles(table: pd.DataFrame, key: str, group: str = "All",
                title: str | None = "Beside the ROI, not in money: change against the comparison group") -> go.Figure:
    """Difference in differences (coached change minus comparison change) per construct, with its CI."""
    d = _group(table, key, group)
    if d.empty:
        return empty_figure("No survey change to show for this selection.")
    shown = d[~d["suppressed"].astype(bool) & d["did"].notna()]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=list(shown["did"]), y=[measure_label(m) for m in shown["measure"]], mode="markers",
        marker=dict(color=theme.OKABE_ITO["orange"], size=11), name="DiD",
        error_x=dict(type="data", symmetric=False, array=list(shown["did_ci_high"] - shown["did"]),
                     arrayminus=list(shown["did"] - shown["did_ci_low"]), color=theme.OKABE_ITO["orange"]),
        hovertemplate="%{y}: %{x:+.2f}<extra></extra>"))
    for m in d.loc[~d.index.isin(shown.index), "measure"]:
        fig.add_annotation(x=0, y=measure_label(m), text=HIDDEN, showarrow=False,
                           font=dict(color=theme.SUPPRESSED_TEXT), bgcolor=theme.SUPPRESSED)
    fig.add_vline(x=0, line=dict(color=theme.MUTED, width=1, dash="dot"))
    fig.update_yaxes(automargin=True)
    fig.update_layout(template=TEMPLATE, height=260, showlegend=False, margin=dict(l=200),
                      xaxis=dict(title="difference in differences"))
    if title:
        fig.update_layout(title=dict(text=title))
    return fig
