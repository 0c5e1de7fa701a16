"""Figures over time: the Cohorts trajectories and the Retention Kaplan-Meier curves."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme
from dashboard.charts.common import (PHASE_LABELS, ROLE_LABELS, TEMPLATE, WAVE_LABELS, WAVE_ORDER, _is_suppressed,
                                     _label, _missing, _title, _wrap, empty_figure, hidden_reason, fmt_ci, fmt_n,
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
            # every wave of the chart, a gap where this group has none (the line is broken there, not drawn
            # straight across a wave it has no data for)
            d = d.set_index("wave").reindex([w for w in WAVE_ORDER if w in set(traj["wave"])]).reset_index()
            x = [WAVE_LABELS.get(w, w) for w in d["wave"]]
            y = [None if (bool(s) if not _missing(s) else False) or _missing(e) else float(e)
                 for s, e in zip(d["suppressed"], d["estimate"])]
            name = f"{_label(g, key, names)} - {ROLE_LABELS[role].lower()}"
            if role == "coached" and not shown.empty and shown["ci_low"].notna().any():
                # one band per run of consecutive waves with data: a band across a wave with none (where the
                # line breaks) would suggest data there
                order = [w for w in WAVE_ORDER if w in set(traj["wave"])]
                has = set(shown["wave"])
                for run in ([order[i] for i in r] for r in _runs([w in has for w in order])):
                    part = shown.set_index("wave").loc[run]
                    sx = [WAVE_LABELS.get(w, w) for w in run]
                    fig.add_trace(go.Scatter(
                        x=sx + sx[::-1], y=list(part["ci_high"]) + list(part["ci_low"])[::-1], fill="toself",
                        fillcolor=theme.band(colour, 0.10), line=dict(width=0), mode="lines",
                        hoverinfo="skip", showlegend=False, legendgroup=name))
            hover = []
            for _, r in d.iterrows():
                if _missing(r.get("suppressed")) and _missing(r.get("estimate")):
                    hover.append(f"{name}<br>{WAVE_LABELS.get(r['wave'], r['wave'])}: no responses in this wave")
                elif _is_suppressed(r):
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

def _runs(mask) -> list[list[int]]:
    """The runs of consecutive True positions of a boolean sequence, as lists of positions."""
    out: list[list[int]] = []
    for i, on in enumerate(mask):
        if on:
            if out and out[-1][-1] == i - 1:
                out[-1].append(i)
            else:
                out.append([i])
    return out


def km_curves(curves: pd.DataFrame, k: int, title: str | None = None,
              names: Mapping[str, str] | None = None, kind: str | None = None) -> go.Figure:
    """Kaplan-Meier retention (voluntary exits) coached vs comparison, step lines with 95% CI bands; points
    whose risk set is below k are not drawn. With a split, one small panel per group ("All" first), each
    with its coached and comparison lines on a shared axis: drawn on one plot, ten lines and their bands
    lay on top of each other. `names`: group value -> label; `kind`: what the groups are ("career_phase":
    labelled and ordered early, mid, late)."""
    if curves.empty:
        return empty_figure("No retention data for this selection.")
    groups = list(dict.fromkeys(curves["group"].tolist()))
    groups = sorted(groups, key=lambda g: (g != "All",) + ((list(PHASE_LABELS).index(g) if g in PHASE_LABELS else 9, g)
                                                           if kind == "career_phase" else (0, "")))
    labels = [_label(g, kind, names) for g in groups]
    many = len(groups) > 1
    ncols = min(3, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    fig = (make_subplots(rows=nrows, cols=ncols, shared_yaxes=True, shared_xaxes=True,
                         subplot_titles=[_wrap(t, 40) for t in labels], horizontal_spacing=0.04,
                         vertical_spacing=0.14 if nrows > 1 else 0.1)
           if many else go.Figure())
    for gi, g in enumerate(groups):
        at = dict(row=gi // ncols + 1, col=gi % ncols + 1) if many else {}
        for role in ("coached", "comparison"):
            d = curves[(curves["group"] == g) & (curves["role"] == role)].sort_values("month")
            shown = (~d["suppressed"].fillna(False).astype(bool) & d["estimate"].notna()).to_numpy()
            if not shown.any():
                continue
            # a hidden month breaks the line and the band (joined across, a flat line read as real retention)
            d = d.iloc[: int(np.flatnonzero(shown)[-1]) + 1]
            shown = shown[: len(d)]
            d = d.assign(estimate=d["estimate"].where(shown), ci_low=d["ci_low"].where(shown),
                         ci_high=d["ci_high"].where(shown))
            d = d.iloc[int(np.flatnonzero(shown)[0]):]
            shown = shown[-len(d):]
            c = theme.COACHED if role == "coached" else theme.COMPARISON
            name = ROLE_LABELS[role] if not many else f"{labels[gi]} - {ROLE_LABELS[role].lower()}"
            x = list(d["month"])
            for run in _runs(shown & d["ci_low"].notna().to_numpy()):
                xr = [x[i] for i in run]
                fig.add_trace(go.Scatter(
                    x=xr + xr[::-1], y=[d["ci_high"].iloc[i] * 100 for i in run]
                    + [d["ci_low"].iloc[i] * 100 for i in run][::-1], fill="toself",
                    fillcolor=theme.band(c, 0.14), line=dict(width=0, shape="hv"), hoverinfo="skip", mode="lines",
                    showlegend=False, legendgroup=role), **at)
            hover = [f"{name}<br>month {int(m)}: {fmt_num(e, 1, pct=True)} still employed<br>"
                     f"{fmt_ci(lo_, hi_, 1, pct=True)}<br>at risk: {int(a) if not _missing(a) else '-'}"
                     for m, e, lo_, hi_, a in zip(d["month"], d["estimate"], d["ci_low"], d["ci_high"],
                                                  d.get("at_risk", pd.Series([None] * len(d))))]
            # one legend entry per role (coached, comparison), which toggles that role in every panel
            fig.add_trace(go.Scatter(
                x=x, y=[None if pd.isna(e) else e * 100 for e in d["estimate"]], name=ROLE_LABELS[role],
                legendgroup=role, showlegend=gi == 0, mode="lines+markers", connectgaps=False,
                # a month alone between hidden ones is a dot (a line of one point draws nothing)
                marker=dict(color=c, size=[6 if on and not (i > 0 and shown[i - 1]) and
                                           not (i + 1 < len(shown) and shown[i + 1]) else 0
                                           for i, on in enumerate(shown)]),
                line=dict(shape="hv", color=c, width=3 if role == "coached" else 2,
                          dash="solid" if role == "coached" else "dash"),
                hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"), **at)
    fig.add_vline(x=12, line=dict(color="#9AA5B1", width=1, dash="dot"))
    fig.update_xaxes(dtick=3 if not many else 6)
    fig.update_yaxes(ticksuffix="%")
    if many:
        # above the panels' titles: the legend (one entry a role), under the chart's title
        height = 140 + 260 * nrows
        fig.update_layout(template=TEMPLATE, height=height, margin=dict(l=10, r=20, t=130, b=40),
                          legend=dict(orientation="h", yref="container", y=1 - 52 / height, yanchor="top", x=0,
                                      title=None))
        fig.update_yaxes(matches="y")     # one scale across the panels, so that they compare
        for gi in range(len(groups)):
            if gi + ncols >= len(groups):     # no panel under it: its own month axis
                fig.update_xaxes(showticklabels=True, title_text="months since the cohort started",
                                 row=gi // ncols + 1, col=gi % ncols + 1)
        for ri in range(1, nrows + 1):
            fig.update_yaxes(title_text="% still employed" if ri == 1 else None, row=ri, col=1)
        fig.update_annotations(font=dict(size=13))
    else:
        fig.add_annotation(x=12, y=0, yref="paper", text="12 months", showarrow=False, xanchor="left",
                           yanchor="bottom", font=dict(color="#9AA5B1", size=11))
        fig.update_layout(template=TEMPLATE, height=440,
                          xaxis=dict(title="months since the cohort started"),
                          yaxis=dict(title="% still employed (voluntary exits)"),
                          margin=dict(l=10, r=20, t=90, b=40))
    _title(fig, title)
    return fig
