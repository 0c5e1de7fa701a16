"""The chart + table + download block: exactly the suppressed numbers the page shows, as CSV or XLSX
with text cells neutralised against formula injection."""

from __future__ import annotations

import datetime as dt
import io
from typing import Mapping

import pandas as pd
import streamlit as st

from dashboard import charts, theme
from dashboard.components.data import k


def plot(fig) -> None:
    st.plotly_chart(fig, width="stretch", theme=None, config=theme.PLOTLY_CONFIG)


def display_frame(table: pd.DataFrame, kk: int, words: Mapping[str, Mapping] | None = None,
                  reason: str | None = None) -> pd.DataFrame:
    """The table as the page shows it: the query layer's table, plus a "note" column (before the numbers)
    saying why on suppressed rows (charts.hidden_reason), whose values are already empty. Career phases
    read in words ("Early career"), and so do the columns in `words` (column -> code -> words); the
    downloads keep the codes."""
    out = table.copy()
    for col, names in {"career_phase": charts.PHASE_LABELS, **(words or {})}.items():
        if col in out:
            out[col] = out[col].map(lambda v, names=names: names.get(v, v) if isinstance(v, str) else v)
    if "suppressed" in out:
        sup = out["suppressed"].fillna(False).astype(bool)
        where = list(out.columns).index("n") if "n" in out.columns else len(out.columns)
        out.insert(where, "note", sup.map({True: reason or charts.hidden_reason(kk), False: ""}))
    if "flags" in out:   # the flags in words, as the charts' hovers say them
        out["flags"] = out["flags"].map(lambda v: charts.fmt_flags(v) if isinstance(v, str) else v)
    return out


# column headers in words on the page (the data and the downloads keep the query layer's names, which the
# CLI export, docs/query-api.md and spreadsheets built on them use); the help is the hover of a header
COLUMN_WORDS = {
    "n": ("n", "people the figure rests on"), "n_comparison": ("n comparison", "people in the comparison group"),
    "estimate": ("estimate", None), "ci_low": ("95% CI low", "lower end of the 95% confidence interval"),
    "ci_high": ("95% CI high", "upper end of the 95% confidence interval"),
    "p_value": ("p", "chance of a change at least this far from zero if there were none"),
    "g": ("Hedges' g", "the change in standard deviations: about 0.2 small, 0.5 medium, 0.8 large"),
    "did": ("DiD", "difference in differences: the coached change minus the comparison group's"),
    "did_ci_low": ("DiD 95% CI low", None), "did_ci_high": ("DiD 95% CI high", None),
    "did_p_value": ("DiD p", None), "comparison_change": ("comparison change", None),
    "did_n": ("DiD n", "coached people the DiD rests on: those in cohorts with a comparison group in the cell"),
    "logrank_p": ("log-rank p", "below 0.05: the coached and comparison curves differ beyond chance"),
    "at_risk": ("still followed", "people still employed and followed at that month"),
    "mean_pre": ("mean before", None), "mean_post": ("mean after", None),
    "break_even_attribution": ("break-even attribution", "the share of the retention gain that must be credited to "
                               "coaching for it to pay back; above 1 it cannot (flag break_even_out_of_reach)"),
    "suppressed": ("hidden", "hidden to protect anonymity (see the note)"),
    "career_phase": ("career phase", None), "program_id": ("program", None), "cohort_id": ("cohort", None),
    "coach_id": ("coach", None), "team_id": ("team", None),
    "flags": ("flags", "indicative: under 30 people; see the notes under the table for each flag"),
}


def _column_config(table: pd.DataFrame) -> dict:
    cfg: dict = {}
    for col in table.columns:
        label, help_ = COLUMN_WORDS.get(col, (col, None))
        if col in ("cost_per_exit", "benefits", "coaching_fees", "time_cost", "admin_cost", "costs", "net_benefit"):
            cfg[col] = st.column_config.NumberColumn(label, format="%.0f", help=help_)   # money: whole units
        elif col in ("n", "n_comparison", "did_n", "responded", "exits", "at_risk", "rows_in", "rows_loaded", "rows_quarantined"):
            cfg[col] = st.column_config.NumberColumn(label, format="%d", help=help_)
        elif col == "estimate" and ("check" in table or "metric" in table):
            # a column of counts, shares and changes (the overview's and the quality checks'): as it is, so a
            # count reads 2000, not 2000.000
            cfg[col] = st.column_config.NumberColumn(label, help=help_)
        elif pd.api.types.is_float_dtype(table[col]) and col not in ("p_value", "did_p_value", "logrank_p"):
            cfg[col] = st.column_config.NumberColumn(label, format="%.3f", help=help_)
        elif col in ("p_value", "did_p_value", "logrank_p"):
            cfg[col] = st.column_config.NumberColumn(label, format="%.4f", help=help_)
        elif pd.api.types.is_datetime64_any_dtype(table[col]) and (table[col].dropna().dt.normalize()
                                                                   == table[col].dropna()).all():
            cfg[col] = st.column_config.DateColumn(label, format="YYYY-MM-DD", help=help_)   # a date, no 00:00:00
        elif col in COLUMN_WORDS:
            cfg[col] = st.column_config.Column(label, help=help_)
    return cfg


def safe_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells neutralised against spreadsheet formula injection (the query layer's function)."""
    from dashboard.export_cli import safe_csv_frame

    return safe_csv_frame(table)


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    return safe_frame(table).to_csv(index=False).encode("utf-8")


def to_xlsx_bytes(table: pd.DataFrame, sheet: str = "table", notes: list[str] | None = None) -> bytes:
    buf = io.BytesIO()
    frame = safe_frame(table)
    # strings_to_formulas=False: xlsxwriter writes every text cell as text, never as a formula.
    with pd.ExcelWriter(buf, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as xl:
        frame.to_excel(xl, sheet_name=sheet[:31], index=False)
        if notes:
            pd.DataFrame({"note": notes}).pipe(safe_frame).to_excel(xl, sheet_name="notes", index=False)
    return buf.getvalue()


def table_and_downloads(table: pd.DataFrame, name: str, res=None, words: Mapping[str, Mapping] | None = None,
                        reason: str | None = None) -> None:
    """The table behind a chart and its CSV / XLSX downloads: exactly result.table, suppressed cells
    empty, text cells neutralised. The files are built when a button is clicked, not on every run of the
    page (an XLSX of a breakdown by team, tens of thousands of rows, takes seconds)."""
    kk = getattr(res, "k", None) or k()
    st.dataframe(display_frame(table, kk, words, reason), hide_index=True, column_config=_column_config(table), key=f"df_{name}",
                 placeholder="-")
    stamp = dt.date.today().isoformat()
    c1, c2, _ = st.columns([1, 1, 4])
    notes = list(getattr(res, "notes", []) or [])
    c1.download_button("Download CSV", lambda: to_csv_bytes(table), file_name=f"coachlens-{name}-{stamp}.csv",
                       mime="text/csv", key=f"csv_{name}", on_click="ignore", icon=":material/download:")
    c2.download_button("Download XLSX", lambda: to_xlsx_bytes(table, name, notes),
                       file_name=f"coachlens-{name}-{stamp}.xlsx", key=f"xlsx_{name}", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:")


def chart_and_table(fig, table: pd.DataFrame, name: str, res=None, caption: str | None = None,
                    words: Mapping[str, Mapping] | None = None, reason: str | None = None) -> None:
    """A chart with its table one click away (the "Table" tab), and the downloads there."""
    tab_chart, tab_table = st.tabs([":material/bar_chart: Chart", ":material/table: Table and downloads"])
    with tab_chart:
        plot(fig)
        if caption:
            st.caption(caption)
    with tab_table:
        table_and_downloads(table, name, res, words, reason)
