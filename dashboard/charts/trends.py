"""Figures over time: the Cohorts trajectories and the Retention Kaplan-Meier curves."""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.charts.common import (PHASE_LABELS, ROLE_LABELS, TEMPLATE, WAVE_LABELS, WAVE_ORDER, _is_suppressed,
                                     _label, _missing, _title, empty_figure, hidden_reason, fmt_ci, fmt_n,
                                     fmt_num, measure_label)


def trajectories(traj: pd.DataFrame, key: str, k: int, measure: str, title: str | None = None,
                 names: Mapping[str, str] | None = None) -> go.Figure:
    """Mean level per wave for each cohort (or program), coached solid and comparison dashed, with
    95% CI bands. Suppressed points are left out of the line and listed in the hover of the gap.
    `names`: group value -> label (programs)."""
    if traj.empty:
        return empty_figure("No survey waves for the chosen cohorts.")
    fig = go.Figure()
    groups = list(dict.fromkeys(traj[key].tolist()))
    for gi, g in enumerate(groups):
        colour = theme.CATEGORICAL[gi % len(theme.CATEGORICAL)]
        for role in ("coached", "comparison"):
            d = traj[(traj[key] == g) & (traj["role"] == role)].copy()
            if d.empty:
                continue
            d["_o"] = d["wave"].map({w: i for i, w in enumerate(WAVE_ORDER)})
            d = d.sort_values("_o")
            shown = d[~d["suppressed"].fillna(False).astype(bool) & d["estimate"].notna()]
            x = [WAVE_LABELS.get(w, w) for w in d["wave"]]
            y = [None if (bool(s) if not _missing(s) else False) or _missing(e) else float(e)
                 for s, e in zip(d["suppressed"], d["estimate"])]
            name = f"{_label(g, key, names)} - {ROLE_LABELS[role].lower()}"
            if role == "coached" and not shown.empty and shown["ci_low"].notna().any():
                sx = [WAVE_LABELS.get(w, w) for w in shown["wave"]]
                fig.add_trace(go.Scatter(
                    x=sx + sx[::-1], y=list(shown["ci_high"]) + list(shown["ci_low"])[::-1], fill="toself",
                    fillcolor=theme.band(colour, 0.10), line=dict(width=0), mode="lines",
                    hoverinfo="skip", showlegend=False, legendgroup=name))
            hover = []
            for _, r in d.iterrows():
                if _is_suppressed(r):
                    hover.append(f"{name}<br>{WAVE_LABELS.get(r['wave'], r['wave'])}: {hidden_reason(k, 'respondents')}")
                else:
                    hover.append(f"{name}<br>{WAVE_LABELS.get(r['wave'], r['wave'])}: {fmt_num(r['estimate'])}"
                                 f"<br>{fmt_ci(r.get('ci_low'), r.get('ci_high'))}<br>{fmt_n(r.get('n'))}")
            fig.add_trace(go.Scatter(
                x=x, y=y, name=name, legendgroup=name, mode="lines+markers", connectgaps=False,
                line=dict(color=colour, width=3 if role == "coached" else 1.5, dash="solid" if role == "coached" else "dash"),
                marker=dict(size=8 if role == "coached" else 6, symbol="circle" if role == "coached" else "circle-open"),
                hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, height=460, hovermode="closest",
                      legend=dict(orientation="h", y=-0.12, yanchor="top", x=0),
                      xaxis=dict(title=None, categoryorder="array",
                                 categoryarray=[WAVE_LABELS[w] for w in WAVE_ORDER if w in set(traj["wave"])]),
                      yaxis=dict(title=f"mean {measure_label(measure)}"),
                      margin=dict(l=10, r=20, t=50, b=40))
    _title(fig, title or f"{measure_label(measure)} across survey waves")
    return fig

# -- Retention --------------------------------------------------------------------------------------

def km_curves(curves: pd.DataFrame, k: int, title: str | None = None,
              names: Mapping[str, str] | None = None, kind: str | None = None) -> go.Figure:
    """Kaplan-Meier retention (voluntary exits) coached vs comparison, per group, step lines with
    95% CI bands; points whose risk set is below k are not drawn. `names`: group value -> label;
    `kind`: what the groups are ("career_phase": labelled and ordered early, mid, late)."""
    if curves.empty:
        return empty_figure("No retention data for this selection.")
    fig = go.Figure()
    groups = list(dict.fromkeys(curves["group"].tolist()))
    if kind == "career_phase":
        groups = sorted(groups, key=lambda g: (g != "All", list(PHASE_LABELS).index(g) if g in PHASE_LABELS else 9, g))
    many = len(groups) > 1
    labels = [_label(g, kind, names) for g in groups]
    for gi, g in enumerate(groups):
        colour = theme.CATEGORICAL[gi % len(theme.CATEGORICAL)] if many else None
        in_legend = False
        for role in ("coached", "comparison"):
            d = curves[(curves["group"] == g) & (curves["role"] == role)].sort_values("month")
            d = d[~d["suppressed"].fillna(False).astype(bool) & d["estimate"].notna()]
            if d.empty:
                continue
            c = colour or (theme.COACHED if role == "coached" else theme.COMPARISON)
            name = ROLE_LABELS[role] if not many else f"{labels[gi]} - {ROLE_LABELS[role].lower()}"
            # several groups: one legend entry per group (its colour; solid and dashed are said in the
            # legend's title), which toggles both of the group's lines
            group_key = labels[gi] if many else name
            x = list(d["month"])
            if d["ci_low"].notna().any():
                fig.add_trace(go.Scatter(
                    x=x + x[::-1], y=list(d["ci_high"] * 100) + list(d["ci_low"] * 100)[::-1], fill="toself",
                    fillcolor=theme.band(c, 0.14), line=dict(width=0, shape="hv"), hoverinfo="skip", mode="lines",
                    showlegend=False, legendgroup=group_key))
            hover = [f"{name}<br>month {int(m)}: {fmt_num(e, 1, pct=True)} still employed<br>"
                     f"{fmt_ci(lo_, hi_, 1, pct=True)}<br>at risk: {int(a) if not _missing(a) else '-'}"
                     for m, e, lo_, hi_, a in zip(d["month"], d["estimate"], d["ci_low"], d["ci_high"],
                                                  d.get("at_risk", pd.Series([None] * len(d))))]
            fig.add_trace(go.Scatter(
                x=x, y=list(d["estimate"] * 100), name=labels[gi] if many else name, legendgroup=group_key,
                showlegend=not many or not in_legend, mode="lines",
                line=dict(shape="hv", color=c, width=3 if role == "coached" else 2,
                          dash="solid" if role == "coached" else "dash"),
                hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"))
            in_legend = True
    fig.add_vline(x=12, line=dict(color="#9AA5B1", width=1, dash="dot"),
                  annotation_text="12 months", annotation_position="bottom right")
    fig.update_layout(template=TEMPLATE, height=440,
                      xaxis=dict(title="months since the cohort started", dtick=3),
                      yaxis=dict(title="% still employed (voluntary exits)", ticksuffix="%"),
                      margin=dict(l=10, r=20, t=90, b=40))
    if many:
        # the legend wraps above the plot: room for its rows (about 7.5 px a character) under the title
        # (solid coached and dashed comparison are said in the page's caption)
        rows = max(1, math.ceil(sum(len(t) * 7.5 + 45 for t in labels) / 820))
        fig.update_layout(height=440 + 26 * (rows - 1), margin=dict(t=64 + 26 * rows))
    _title(fig, title)
    return fig
