"""Change and effect figures: the Overview's headline effects, the Outcomes heatmap, the Cohorts
forest plot and the coach-against-program comparison."""

from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme
from dashboard.charts.common import (LOWER_IS_BETTER, HEADLINE_MEASURES, PHASE_LABELS, TEMPLATE, WAVE_ORDER,
                                     _is_suppressed, _label, _missing, _title, _wrap, empty_figure,
                                     HIDDEN, flag_mark, hidden_reason, not_computable, fmt_ci, fmt_flags, fmt_n, fmt_num, measure_label)


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
                    x=[0], y=[ypos[metric]], mode="markers+text", text=[HIDDEN], textposition="top center", cliponaxis=False,
                    marker=dict(color=theme.SUPPRESSED, size=10, symbol="square"), showlegend=False,
                    hovertemplate=f"{labels[metric]}: {hidden_reason(k)}<extra></extra>"),
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
                x=[est], y=[ypos[metric]], error_x=err, mode="markers+text", name=labels[metric], cliponaxis=False,
                legendgroup=metric, showlegend=i == 0,
                text=[f"{fmt_num(est, signed=True)} ({fmt_n(row.get('n'))}){flag_mark(row.get('flags'), short=True)}"],
                textposition="top center",
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

# the most columns a heatmap draws: a breakdown by team holds hundreds or thousands of teams in a large
# organisation, which no one can read as a heatmap (and which took minutes to draw); the table beside the
# chart lists every one. Beyond WIDE_HEATMAP columns the cells' text is smaller and wraps.
MAX_HEATMAP_COLUMNS = 15
WIDE_HEATMAP = 8


def change_heatmap(table: pd.DataFrame, rows: str, cols: str | None, k: int, measure: str,
                   value: str = "estimate", title: str | None = None) -> go.Figure:
    """Change per cell on a diverging scale centred on 0; suppressed cells grey, labelled
    "hidden", never coloured by a value. Hover: n, the 95% CI and the flags. At most
    MAX_HEATMAP_COLUMNS columns besides "All": the ones with the most people, said in the subtitle."""
    if table.empty:
        return empty_figure("No matched pre/post responses for this selection.")
    lo_col, hi_col = ("did_ci_low", "did_ci_high") if value == "did" else ("ci_low", "ci_high")
    df = table.copy()
    if cols is None or cols not in df:
        df["_col"] = "All"
        cols = "_col"
    row_keys = _ordered(df[rows], rows)
    col_keys = _ordered(df[cols], cols)
    col_keys, of = _largest_columns(df, rows, cols, col_keys)
    # each cell's row of the table (the first, as a cell has one), placed on the grid
    r_at = pd.Index([str(v) for v in row_keys]).get_indexer(df[rows].astype(str))
    c_at = pd.Index([str(v) for v in col_keys]).get_indexer(df[cols].astype(str))
    placed = pd.DataFrame({"r": r_at, "c": c_at}, index=df.index)
    placed = placed[(placed["r"] >= 0) & (placed["c"] >= 0)].drop_duplicates(["r", "c"])
    shape = (len(row_keys), len(col_keys))
    wide = shape[1] > WIDE_HEATMAP
    hidden_text = HIDDEN
    z = [[None] * shape[1] for _ in range(shape[0])]
    text = [[""] * shape[1] for _ in range(shape[0])]
    custom = [[["no people", "", ""] for _ in range(shape[1])] for _ in range(shape[0])]
    grey = [[None] * shape[1] for _ in range(shape[0])]
    grey_text = [[""] * shape[1] for _ in range(shape[0])]
    # the grey layer's hover: why a cell has no colour (the value layer has a gap there, with no hover)
    grey_hover = [[f"<b>{_label(rk, rows)} x {_label(ck, cols)}</b><br>no coached people" for ck in col_keys]
                  for rk in row_keys]
    for i, ri, ci in zip(placed.index, placed["r"], placed["c"]):
        c = df.loc[i]
        if _is_suppressed(c) or _missing(c.get(value)):
            # grey cells carry their label and hover on the grey trace (the value trace has a gap there)
            grey[ri][ci] = 1 if _is_suppressed(c) else None
            grey_text[ri][ci] = hidden_text if _is_suppressed(c) else "-"
            why = hidden_reason(k) if _is_suppressed(c) else not_computable(c, value)
            if not _is_suppressed(c) and not _missing(c.get("n")):
                why += f"<br>the change beside it: {fmt_n(c.get('n'))}"
            grey_hover[ri][ci] = f"<b>{_label(row_keys[ri], rows)} x {_label(col_keys[ci], cols)}</b><br>{why}"
            custom[ri][ci] = [why, "", ""]
            continue
        v = float(c[value])
        z[ri][ci] = v
        # a flagged cell (indicative, regression to the mean ...) is starred: the notes say "where flagged"
        star = "*" if fmt_flags(c.get("flags")) else ""
        n_text = fmt_n(c.get("n"))
        did_n = c.get("did_n")
        if value == "did" and not _missing(did_n) and not _missing(c.get("n")) and int(did_n) < int(c.get("n")):
            # the DiD rests on fewer people than the cell's change: say so on the cell, not only in the table
            n_text = f"DiD n = {int(did_n)} of {int(c.get('n'))}"
        text[ri][ci] = f"{v:+.2f}{star}<br><span style='font-size:11px'>{n_text}</span>"
        custom[ri][ci] = [n_text, fmt_ci(c.get(lo_col), c.get(hi_col)), fmt_flags(c.get("flags"))]
    x = _short_labels([_label(v, cols) for v in col_keys])
    y = [_label(v, rows) for v in row_keys]
    finite = [abs(v) for r in z for v in r if v is not None]
    span = max(finite) if finite else 1.0
    fig = go.Figure()
    # the grey layer: hidden cells (1) and cells with no value to colour (0: no people, or not computable), in
    # a lighter grey than hidden ones, so that neither reads as a white "no change"
    for ri in range(shape[0]):
        for ci in range(shape[1]):
            if grey[ri][ci] is None and z[ri][ci] is None:
                grey[ri][ci] = 0
    fig.add_trace(go.Heatmap(z=grey, x=x, y=y, colorscale=[[0, theme.NO_DATA], [1, theme.SUPPRESSED]], zmin=0, zmax=1,
                             text=grey_text, texttemplate="%{text}", hovertext=grey_hover,
                             hovertemplate="%{hovertext}<extra></extra>", hoverongaps=False,
                             textfont=dict(size=10 if wide else 12, color=theme.SUPPRESSED_TEXT),
                             showscale=False, xgap=2, ygap=2))
    what = "difference in differences" if value == "did" else "mean change"
    fig.add_trace(go.Heatmap(
        z=z, x=x, y=y, text=text, texttemplate="%{text}", textfont=dict(size=10 if wide else 12),
        customdata=custom, colorscale=theme.DIVERGING_LESS_IS_BETTER if measure in LOWER_IS_BETTER else theme.DIVERGING, zmid=0, zmin=-span, zmax=span, xgap=2, ygap=2,
        colorbar=dict(title=dict(text=what, side="right"), thickness=14),
        hovertemplate=("<b>%{y} x %{x}</b><br>" + what + ": %{z:+.2f}<br>%{customdata[0]}<br>"
                       "%{customdata[1]}<br>%{customdata[2]}<extra></extra>"),
        hoverongaps=False))
    fig.update_layout(template=TEMPLATE, height=max(280, 60 * len(y) + 140),
                      xaxis=dict(side="bottom", showgrid=False, tickangle=0 if len(x) < 7 else -30, title=None),
                      yaxis=dict(showgrid=False, autorange="reversed", title=None),
                      margin=dict(l=10, r=20, t=60, b=20))
    kind = {"team": "teams", "department": "departments"}.get(cols, "columns")
    note = (f"The {MAX_HEATMAP_COLUMNS} {kind} with the most people, of {of:,}; the table lists every one."
            if of > MAX_HEATMAP_COLUMNS else None)
    _title(fig, title or f"{measure_label(measure)}: {what}", note)
    return fig


def _short_labels(labels: list[str]) -> list[str]:
    """Column labels without the "<department> / " that every team of one department shares (teams are
    named "Department / Team"); the "All" column as it is."""
    named = [x for x in labels if x != "All"]
    head = named[0].split(" / ", 1)[0] + " / " if named and " / " in named[0] else None
    if not head or len(named) < 2 or not all(x.startswith(head) and len(x) > len(head) for x in named):
        return labels
    return [x if x == "All" else x[len(head):] for x in labels]


def _largest_columns(df: pd.DataFrame, rows: str, cols: str, col_keys: list) -> tuple[list, int]:
    """At most MAX_HEATMAP_COLUMNS of `col_keys` besides "All", in their order: those with the most people
    (their "All" row's n, a hidden one counting as none; else the sum of their cells' n), and how many
    there were besides "All"."""
    others = [v for v in col_keys if str(v) != "All"]
    if len(others) <= MAX_HEATMAP_COLUMNS:
        return col_keys, len(others)
    n = pd.to_numeric(df["n"], errors="coerce").fillna(0) if "n" in df else pd.Series(0.0, index=df.index)
    margin = df[rows].astype(str) == "All"
    size = (n[margin].groupby(df.loc[margin, cols].astype(str)).sum() if margin.any()
            else n.groupby(df[cols].astype(str)).sum())
    ranked = sorted(others, key=lambda v: (-float(size.get(str(v), 0.0)), str(v)))
    keep = set(map(str, ranked[:MAX_HEATMAP_COLUMNS]))
    return [v for v in col_keys if str(v) in keep or str(v) == "All"], len(others)


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

def forest(table: pd.DataFrame, key: str, k: int, value: str = "did", lo: str = "did_ci_low",
           hi: str = "did_ci_high", n_col: str = "n", x_title: str = "difference in differences",
           title: str | None = None, label_kind: str | None = None,
           names: Mapping[str, str] | None = None) -> go.Figure:
    """A forest plot: one row per group, the estimate and its 95% CI, n beside it; suppressed rows
    stay in place, greyed and labelled "hidden". `names`: group value -> label (programs)."""
    if table.empty:
        return empty_figure("Nothing to compare for this selection.")
    fig = go.Figure()
    labels, xs, texts, hovers, colours, errs_p, errs_m, sizes = [], [], [], [], [], [], [], []
    for _, r in table.iterrows():
        label = _label(r[key], label_kind or key, names)
        labels.append(label)
        if _is_suppressed(r) or _missing(r.get(value)):
            # the row keeps its place with its word, and no marker: a grey diamond on 0 read as "no effect"
            xs.append(0.0)
            texts.append(HIDDEN if _is_suppressed(r) else "not shown (hover)")
            hovers.append(f"{label}: {hidden_reason(k) if _is_suppressed(r) else not_computable(r, value)}")
            colours.append(theme.SUPPRESSED)
            errs_p.append(0), errs_m.append(0)
            sizes.append(0)
            continue
        v = float(r[value])
        xs.append(v)
        sizes.append(11)
        colours.append(theme.COACHED)
        texts.append(f"{v:+.2f} ({fmt_n(r.get(n_col))}){flag_mark(r.get('flags'))}")
        hovers.append(f"<b>{label}</b><br>{x_title}: {v:+.2f}<br>{fmt_ci(r.get(lo), r.get(hi))}<br>"
                      f"{fmt_n(r.get(n_col))}" + (f"<br>{fmt_flags(r.get('flags'))}" if fmt_flags(r.get('flags')) else ""))
        errs_p.append(0 if _missing(r.get(hi)) else float(r[hi]) - v)
        errs_m.append(0 if _missing(r.get(lo)) else v - float(r[lo]))
    fig.add_trace(go.Scatter(
        x=xs, y=labels, mode="markers+text", text=texts, textposition="top center", textfont=dict(size=12),
        marker=dict(color=colours, size=sizes, symbol="diamond"),
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
                    x=[0], y=[y], mode="markers+text", text=[HIDDEN], textposition="top center", cliponaxis=False,
                    marker=dict(color=theme.SUPPRESSED, size=10, symbol="square"), showlegend=False,
                    hovertemplate=f"{name}: {hidden_reason(k, 'clients')}<extra></extra>"), row=1, col=i + 1)
                continue
            est, lo, hi = float(row["estimate"]), row.get("ci_low"), row.get("ci_high")
            err = None
            if not _missing(lo) and not _missing(hi):
                err = dict(type="data", symmetric=False, array=[float(hi) - est], arrayminus=[est - float(lo)],
                           color=colour, thickness=2.5, width=7)
            fig.add_trace(go.Scatter(
                x=[est], y=[y], error_x=err, mode="markers+text", name=name, legendgroup=name, showlegend=i == 0,
                cliponaxis=False,
                text=[f"{fmt_num(est, signed=True)} ({fmt_n(row.get('n'))}){flag_mark(row.get('flags'), short=True)}"],
                textposition="top center", textfont=dict(size=12, color=theme.INK),
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
