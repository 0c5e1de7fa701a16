"""Chart builders: pure functions, a query-layer table in, a plotly figure out.

Nothing here computes a statistic or touches the warehouse: every number drawn is a cell of the
table passed in (dashboard.queries), suppressed cells included as "fewer than k" and never as a
value. Colours come from dashboard.theme. Each builder is safe on an empty or fully suppressed table
(it returns a figure with a message instead of raising), so pages stay thin.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme

TEMPLATE = theme.register()

MEASURES: dict[str, str] = {
    "engagement": "Work engagement (0-6)",
    "vigour": "Engagement: vigour",
    "dedication": "Engagement: dedication",
    "absorption": "Engagement: absorption",
    "motivation_sdi": "Motivation index (SDI)",
    "intrinsic": "Motivation: intrinsic",
    "integrated": "Motivation: integrated",
    "identified": "Motivation: identified",
    "introjected": "Motivation: introjected",
    "external": "Motivation: external",
    "amotivation": "Motivation: amotivation",
    "values_alignment": "Values alignment (1-7)",
    "intent_to_stay": "Intent to stay (1-5)",
    "enps_score": "eNPS (-100 to +100)",
}
HEADLINE_MEASURES = ("engagement", "motivation_sdi", "values_alignment", "intent_to_stay", "enps_score")
WAVE_LABELS = {"baseline": "Baseline", "mid": "Mid-program", "post": "Post", "follow_up": "Follow-up"}
WAVE_ORDER = list(WAVE_LABELS)
PHASE_LABELS = {"early": "Early career", "mid": "Mid career", "late": "Late career", "unknown": "Phase unknown"}
ROLE_LABELS = {"coached": "Coached", "comparison": "Comparison group"}
FLAG_LABELS = {
    "indicative": "indicative (n < 30)",
    "implausible": "implausibly large (|g| > 1)",
    "regression_to_mean": "coached started lower: regression to the mean likely",
    "no_comparison": "no comparison group",
}


def measure_label(measure: str) -> str:
    return MEASURES.get(measure, str(measure).replace("_", " ").capitalize())


def fewer_than(k: int) -> str:
    return f"fewer than {k}"


# -- small formatting helpers (presentation only) -------------------------------------------------

def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or (
        not isinstance(value, (str, bool)) and pd.isna(value))


def fmt_num(value, digits: int = 2, signed: bool = False, pct: bool = False) -> str:
    if _missing(value):
        return "-"
    v = float(value) * (100 if pct else 1)
    text = f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"
    return text + ("%" if pct else "")


def fmt_ci(low, high, digits: int = 2, pct: bool = False) -> str:
    if _missing(low) or _missing(high):
        return "95% CI not computable"
    return f"95% CI {fmt_num(low, digits, pct=pct)} to {fmt_num(high, digits, pct=pct)}"


def fmt_n(n) -> str:
    return "n -" if _missing(n) else f"n = {int(n):,}"


def fmt_flags(flags) -> str:
    if _missing(flags) or not str(flags).strip():
        return ""
    return "; ".join(FLAG_LABELS.get(f.strip(), f.strip()) for f in str(flags).split(";") if f.strip())


def _is_suppressed(row) -> bool:
    value = row.get("suppressed", False)
    return bool(value) and not _missing(value)


def _label(value, kind: str | None = None) -> str:
    if _missing(value):
        return "(none)"
    if kind == "career_phase":
        return PHASE_LABELS.get(str(value), str(value))
    if kind == "wave":
        return WAVE_LABELS.get(str(value), str(value))
    if kind == "role":
        return ROLE_LABELS.get(str(value), str(value))
    return str(value)


def empty_figure(message: str, height: int = 260) -> go.Figure:
    fig = go.Figure(layout=dict(template=TEMPLATE, height=height))
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=15, color=theme.MUTED))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _title(fig: go.Figure, title: str | None, subtitle: str | None = None) -> None:
    if title:
        text = title if not subtitle else f"{title}<br><sup style='color:{theme.MUTED}'>{subtitle}</sup>"
        fig.update_layout(title=dict(text=text))


# -- Overview ---------------------------------------------------------------------------------------

def headline_effects(table: pd.DataFrame, k: int, measures: Sequence[str] = HEADLINE_MEASURES,
                     title: str | None = None) -> go.Figure:
    """One small panel per construct, side by side: the coached change (blue) and the difference in
    differences against the comparison group (orange), each a dot with its 95% CI and n. Scales
    differ between constructs, so each panel has its own axis; zero is marked in every panel."""
    rows = table[table["metric"].isin(["change", "did"])] if "metric" in table else table.iloc[0:0]
    present = [m for m in measures if m in set(rows.get("measure", []))]
    if not present:
        return empty_figure("No pre/post change to show for this selection.")
    ncols = len(present)
    fig = make_subplots(rows=1, cols=ncols, subplot_titles=[_wrap(measure_label(m), 22) for m in present],
                        horizontal_spacing=0.045)
    labels = {"change": "Coached change", "did": "Change vs comparison group (DiD)"}
    colours = {"change": theme.COACHED, "did": theme.OKABE_ITO["orange"]}
    ypos = {"change": 1.0, "did": 0.0}
    for i, m in enumerate(present):
        sub = rows[rows["measure"] == m]
        for metric in ("change", "did"):
            line = sub[sub["metric"] == metric]
            if line.empty:
                continue
            row = line.iloc[0]
            if _is_suppressed(row) or _missing(row.get("estimate")):
                fig.add_trace(go.Scatter(
                    x=[0], y=[ypos[metric]], mode="markers+text", text=[fewer_than(k)], textposition="top center",
                    marker=dict(color=theme.SUPPRESSED, size=10, symbol="square"), showlegend=False,
                    hovertemplate=f"{labels[metric]}: {fewer_than(k)} people, not shown<extra></extra>"),
                    row=1, col=i + 1)
                continue
            est, lo, hi = float(row["estimate"]), row.get("ci_low"), row.get("ci_high")
            err = None
            if not _missing(lo) and not _missing(hi):
                err = dict(type="data", symmetric=False, array=[float(hi) - est], arrayminus=[est - float(lo)],
                           color=colours[metric], thickness=2.5, width=7)
            hover = (f"<b>{measure_label(m)}</b><br>{labels[metric]}: {fmt_num(est, signed=True)}"
                     f"<br>{fmt_ci(lo, hi)}<br>{fmt_n(row.get('n'))} coached"
                     + (f", {fmt_n(row.get('n_comparison'))} comparison" if metric == "did" and not _missing(row.get("n_comparison")) else ""))
            if fmt_flags(row.get("flags")):
                hover += f"<br>{fmt_flags(row.get('flags'))}"
            fig.add_trace(go.Scatter(
                x=[est], y=[ypos[metric]], error_x=err, mode="markers+text", name=labels[metric],
                legendgroup=metric, showlegend=i == 0,
                text=[f"{fmt_num(est, signed=True)} ({fmt_n(row.get('n'))})"], textposition="top center",
                textfont=dict(size=12, color=theme.INK), marker=dict(color=colours[metric], size=12),
                hovertemplate=hover + "<extra></extra>"), row=1, col=i + 1)
        fig.add_vline(x=0, line=dict(color="#9AA5B1", width=1, dash="dot"), row=1, col=i + 1)
    fig.update_yaxes(visible=False, range=[-0.6, 1.8], fixedrange=True)
    fig.update_xaxes(tickfont=dict(size=11), nticks=5)
    fig.update_layout(template=TEMPLATE, height=310, margin=dict(l=10, r=10, t=115 if title else 90, b=30),
                      legend=dict(y=1.24, x=0))
    fig.update_annotations(font=dict(size=13, color=theme.INK), yshift=6)
    _title(fig, title)
    return fig


# -- Outcomes ---------------------------------------------------------------------------------------

def change_heatmap(table: pd.DataFrame, rows: str, cols: str | None, k: int, measure: str,
                   value: str = "estimate", title: str | None = None) -> go.Figure:
    """Change per cell on a diverging scale centred on 0; suppressed cells grey, labelled
    "fewer than k", never coloured by a value. Hover: n, the 95% CI and the flags."""
    if table.empty:
        return empty_figure("No matched pre/post responses for this selection.")
    lo_col, hi_col = ("did_ci_low", "did_ci_high") if value == "did" else ("ci_low", "ci_high")
    n_col = "n"
    df = table.copy()
    if cols is None or cols not in df:
        df["_col"] = "All"
        cols = "_col"
    row_keys = _ordered(df[rows], rows)
    col_keys = _ordered(df[cols], cols)
    z, text, custom, grey = [], [], [], []
    for rk in row_keys:
        zr, tr, cr, gr = [], [], [], []
        for ck in col_keys:
            cell = df[(df[rows].astype(str) == str(rk)) & (df[cols].astype(str) == str(ck))]
            if cell.empty:
                zr.append(None), tr.append(""), gr.append(None)
                cr.append(["no people", "", ""])
                continue
            c = cell.iloc[0]
            if _is_suppressed(c) or _missing(c.get(value)):
                zr.append(None)
                tr.append(fewer_than(k) if _is_suppressed(c) else "-")
                gr.append(1 if _is_suppressed(c) else None)
                cr.append([f"{fewer_than(k)} people: not shown" if _is_suppressed(c) else "not computable", "", ""])
                continue
            v = float(c[value])
            zr.append(v)
            gr.append(None)
            tr.append(f"{v:+.2f}<br><span style='font-size:11px'>{fmt_n(c.get(n_col))}</span>")
            cr.append([fmt_n(c.get(n_col)), fmt_ci(c.get(lo_col), c.get(hi_col)), fmt_flags(c.get("flags"))])
        z.append(zr), text.append(tr), custom.append(cr), grey.append(gr)
    x = [_label(v, cols) for v in col_keys]
    y = [_label(v, rows) for v in row_keys]
    finite = [abs(v) for r in z for v in r if v is not None]
    span = max(finite) if finite else 1.0
    fig = go.Figure()
    fig.add_trace(go.Heatmap(z=grey, x=x, y=y, colorscale=[[0, theme.SUPPRESSED], [1, theme.SUPPRESSED]],
                             showscale=False, hoverinfo="skip", xgap=2, ygap=2))
    what = "difference in differences" if value == "did" else "mean change"
    fig.add_trace(go.Heatmap(
        z=z, x=x, y=y, text=text, texttemplate="%{text}", textfont=dict(size=12),
        customdata=custom, colorscale=theme.DIVERGING, zmid=0, zmin=-span, zmax=span, xgap=2, ygap=2,
        colorbar=dict(title=dict(text=what, side="right"), thickness=14),
        hovertemplate=("<b>%{y} x %{x}</b><br>" + what + ": %{z:+.2f}<br>%{customdata[0]}<br>"
                       "%{customdata[1]}<br>%{customdata[2]}<extra></extra>"),
        hoverongaps=False))
    # Text on the grey (suppressed) cells: Heatmap gaps carry no text, so annotate them.
    for yi, r in enumerate(grey):
        for xi, g in enumerate(r):
            if g is not None:
                fig.add_annotation(x=x[xi], y=y[yi], text=fewer_than(k), showarrow=False,
                                   font=dict(size=12, color=theme.SUPPRESSED_TEXT))
    fig.update_layout(template=TEMPLATE, height=max(280, 60 * len(y) + 140),
                      xaxis=dict(side="bottom", showgrid=False, tickangle=0 if len(x) < 7 else -30, title=None),
                      yaxis=dict(showgrid=False, autorange="reversed", title=None),
                      margin=dict(l=10, r=20, t=60, b=20))
    _title(fig, title or f"{measure_label(measure)}: {what}")
    return fig


def _ordered(values: pd.Series, kind: str) -> list:
    seen = list(dict.fromkeys(values.tolist()))
    order = {"career_phase": list(PHASE_LABELS), "wave": WAVE_ORDER}.get(kind)

    def key(v):
        if str(v) == "All":
            return (2, 0, "")
        if order and v in order:
            return (0, order.index(v), "")
        return (1, 0, str(v))
    return sorted(seen, key=key)


# -- Cohorts ----------------------------------------------------------------------------------------

def trajectories(traj: pd.DataFrame, key: str, k: int, measure: str, title: str | None = None) -> go.Figure:
    """Mean level per wave for each cohort (or program), coached solid and comparison dashed, with
    95% CI bands. Suppressed points are left out of the line and listed in the hover of the gap."""
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
            name = f"{g} - {ROLE_LABELS[role].lower()}"
            if role == "coached" and not shown.empty and shown["ci_low"].notna().any():
                sx = [WAVE_LABELS.get(w, w) for w in shown["wave"]]
                fig.add_trace(go.Scatter(
                    x=sx + sx[::-1], y=list(shown["ci_high"]) + list(shown["ci_low"])[::-1], fill="toself",
                    fillcolor=theme.band(colour, 0.10), line=dict(width=0), mode="lines",
                    hoverinfo="skip", showlegend=False, legendgroup=name))
            hover = []
            for _, r in d.iterrows():
                if _is_suppressed(r):
                    hover.append(f"{name}<br>{WAVE_LABELS.get(r['wave'], r['wave'])}: {fewer_than(k)} respondents")
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


def forest(table: pd.DataFrame, key: str, k: int, value: str = "did", lo: str = "did_ci_low",
           hi: str = "did_ci_high", n_col: str = "n", x_title: str = "difference in differences",
           title: str | None = None, label_kind: str | None = None) -> go.Figure:
    """A forest plot: one row per group, the estimate and its 95% CI, n beside it; suppressed rows
    stay in place, greyed and labelled "fewer than k"."""
    if table.empty:
        return empty_figure("Nothing to compare for this selection.")
    fig = go.Figure()
    labels, xs, texts, hovers, colours, errs_p, errs_m = [], [], [], [], [], [], []
    for _, r in table.iterrows():
        label = _label(r[key], label_kind or key)
        labels.append(label)
        if _is_suppressed(r) or _missing(r.get(value)):
            xs.append(0.0)
            texts.append(fewer_than(k) if _is_suppressed(r) else "not computable")
            hovers.append(f"{label}: {fewer_than(k) if _is_suppressed(r) else 'not computable'}")
            colours.append(theme.SUPPRESSED)
            errs_p.append(0), errs_m.append(0)
            continue
        v = float(r[value])
        xs.append(v)
        colours.append(theme.COACHED)
        texts.append(f"{v:+.2f} ({fmt_n(r.get(n_col))})")
        hovers.append(f"<b>{label}</b><br>{x_title}: {v:+.2f}<br>{fmt_ci(r.get(lo), r.get(hi))}<br>"
                      f"{fmt_n(r.get(n_col))}" + (f"<br>{fmt_flags(r.get('flags'))}" if fmt_flags(r.get('flags')) else ""))
        errs_p.append(0 if _missing(r.get(hi)) else float(r[hi]) - v)
        errs_m.append(0 if _missing(r.get(lo)) else v - float(r[lo]))
    fig.add_trace(go.Scatter(
        x=xs, y=labels, mode="markers+text", text=texts, textposition="top center", textfont=dict(size=12),
        marker=dict(color=colours, size=11, symbol="diamond"),
        error_x=dict(type="data", symmetric=False, array=errs_p, arrayminus=errs_m, color=theme.COACHED,
                     thickness=2, width=6),
        hovertext=hovers, hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    fig.add_vline(x=0, line=dict(color="#9AA5B1", width=1, dash="dot"))
    fig.update_layout(template=TEMPLATE, height=max(240, 56 * len(labels) + 120),
                      xaxis=dict(title=x_title),
                      yaxis=dict(title=None, showgrid=False, categoryorder="array", categoryarray=labels,
                                 range=[len(labels) - 0.5, -0.9]),
                      margin=dict(l=10, r=30, t=70, b=40))
    _title(fig, title)
    return fig


# -- Retention --------------------------------------------------------------------------------------

def km_curves(curves: pd.DataFrame, k: int, title: str | None = None) -> go.Figure:
    """Kaplan-Meier retention (voluntary exits) coached vs comparison, per group, step lines with
    95% CI bands; points whose risk set is below k are not drawn."""
    if curves.empty:
        return empty_figure("No retention data for this selection.")
    fig = go.Figure()
    groups = list(dict.fromkeys(curves["group"].tolist()))
    for gi, g in enumerate(groups):
        colour = theme.CATEGORICAL[gi % len(theme.CATEGORICAL)] if len(groups) > 1 else None
        for role in ("coached", "comparison"):
            d = curves[(curves["group"] == g) & (curves["role"] == role)].sort_values("month")
            d = d[~d["suppressed"].fillna(False).astype(bool) & d["estimate"].notna()]
            if d.empty:
                continue
            c = colour or (theme.COACHED if role == "coached" else theme.COMPARISON)
            name = ROLE_LABELS[role] if len(groups) == 1 else f"{g} - {ROLE_LABELS[role].lower()}"
            x = list(d["month"])
            if d["ci_low"].notna().any():
                fig.add_trace(go.Scatter(
                    x=x + x[::-1], y=list(d["ci_high"] * 100) + list(d["ci_low"] * 100)[::-1], fill="toself",
                    fillcolor=theme.band(c, 0.14), line=dict(width=0, shape="hv"), hoverinfo="skip", mode="lines",
                    showlegend=False, legendgroup=name))
            hover = [f"{name}<br>month {int(m)}: {fmt_num(e, 1, pct=True)} still employed<br>"
                     f"{fmt_ci(lo_, hi_, 1, pct=True)}<br>at risk: {int(a) if not _missing(a) else '-'}"
                     for m, e, lo_, hi_, a in zip(d["month"], d["estimate"], d["ci_low"], d["ci_high"],
                                                  d.get("at_risk", pd.Series([None] * len(d))))]
            fig.add_trace(go.Scatter(
                x=x, y=list(d["estimate"] * 100), name=name, legendgroup=name, mode="lines",
                line=dict(shape="hv", color=c, width=3 if role == "coached" else 2,
                          dash="solid" if role == "coached" else "dash"),
                hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"))
    fig.add_vline(x=12, line=dict(color="#9AA5B1", width=1, dash="dot"),
                  annotation_text="12 months", annotation_position="bottom right")
    fig.update_layout(template=TEMPLATE, height=440,
                      xaxis=dict(title="months since the cohort started", dtick=3),
                      yaxis=dict(title="% still employed (voluntary exits)", ticksuffix="%"),
                      margin=dict(l=10, r=20, t=90, b=40))
    _title(fig, title)
    return fig


# -- Coach impact -----------------------------------------------------------------------------------

def coach_vs_program(coach: pd.DataFrame, program: pd.DataFrame, k: int, coach_label: str,
                     measures: Sequence[str] = HEADLINE_MEASURES, title: str | None = None,
                     average_label: str = "Program average") -> go.Figure:
    """One small panel per construct: the coach's pooled clients (blue) beside the program average
    for the same filters (grey), each a mean change with its 95% CI and n. Each panel has its own
    axis (the scales differ); a measure where the coach has fewer than k clients says so."""
    if coach.empty:
        return empty_figure("No matched pre/post responses for this coach.")
    present = [m for m in measures if m in set(coach["measure"])]
    if not present:
        return empty_figure("No matched pre/post responses for this coach.")
    fig = make_subplots(rows=1, cols=len(present), subplot_titles=[_wrap(measure_label(m), 22) for m in present],
                        horizontal_spacing=0.045)
    series = ((coach_label, coach, theme.COACHED, 1.0), (average_label, program, theme.PROGRAM_AVERAGE, 0.0))
    for i, m in enumerate(present):
        for name, tbl, colour, y in series:
            line = tbl[tbl["measure"] == m] if tbl is not None and not tbl.empty else pd.DataFrame()
            if line.empty:
                continue
            row = line.iloc[0]
            if _is_suppressed(row) or _missing(row.get("estimate")):
                fig.add_trace(go.Scatter(
                    x=[0], y=[y], mode="markers+text", text=[fewer_than(k)], textposition="top center",
                    marker=dict(color=theme.SUPPRESSED, size=10, symbol="square"), showlegend=False,
                    hovertemplate=f"{name}: {fewer_than(k)} clients, not shown<extra></extra>"), row=1, col=i + 1)
                continue
            est, lo, hi = float(row["estimate"]), row.get("ci_low"), row.get("ci_high")
            err = None
            if not _missing(lo) and not _missing(hi):
                err = dict(type="data", symmetric=False, array=[float(hi) - est], arrayminus=[est - float(lo)],
                           color=colour, thickness=2.5, width=7)
            fig.add_trace(go.Scatter(
                x=[est], y=[y], error_x=err, mode="markers+text", name=name, legendgroup=name, showlegend=i == 0,
                text=[f"{fmt_num(est, signed=True)} ({fmt_n(row.get('n'))})"], textposition="top center",
                textfont=dict(size=12, color=theme.INK),
                marker=dict(color=colour, size=12, symbol="circle" if y else "diamond"),
                hovertemplate=(f"<b>{measure_label(m)}</b><br>{name}: {fmt_num(est, signed=True)}<br>"
                               f"{fmt_ci(lo, hi)}<br>{fmt_n(row.get('n'))}"
                               + (f"<br>{fmt_flags(row.get('flags'))}" if fmt_flags(row.get("flags")) else "")
                               + "<extra></extra>")), row=1, col=i + 1)
        fig.add_vline(x=0, line=dict(color="#9AA5B1", width=1, dash="dot"), row=1, col=i + 1)
    fig.update_yaxes(visible=False, range=[-0.6, 1.8], fixedrange=True)
    fig.update_xaxes(tickfont=dict(size=11), nticks=5)
    fig.update_layout(template=TEMPLATE, height=310, margin=dict(l=10, r=10, t=115, b=30), legend=dict(y=1.24, x=0))
    fig.update_annotations(font=dict(size=13, color=theme.INK), yshift=6)
    _title(fig, title)
    return fig


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
            hovertext=[(f"{c} - {WAVE_LABELS.get(w, w)}: {fewer_than(k)} enrolled, not shown" if s else
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


def _wrap(text: str, width: int = 48) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "<br>".join(lines)


def legend_text(items: Iterable[str]) -> str:
    return " | ".join(items)
