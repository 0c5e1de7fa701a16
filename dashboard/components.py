"""Pieces every page uses: the warehouse reader, the cached query call, sidebar filters mirrored in
the URL, the chart + table + download block, empty states.

Pages read like a short script:

    f = components.sidebar_filters()
    res = components.run_view("outcomes", f, measure=..., rows=..., cols=...)
    components.chart_and_table(charts.change_heatmap(res.table, ...), res.table, "outcomes", res)

Every number comes from dashboard.queries (which enforces the anonymity rules); nothing here
computes one. Query results are cached with st.cache_data keyed on the view, the filters, the
options and the warehouse's data version, so a new `coachlens ingest` shows up on the next
interaction without a restart, and the cache never serves numbers from a replaced file.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from dashboard import charts, theme
from dashboard.db import Reader, default_db
from dashboard.filters import DEFAULT_WAVES, WAVE_PAIRS, FilterOptions, Filters, InvalidFilter
from pipelines.config import ConfigError, load_settings
from pipelines.warehouse import WarehouseMissing, data_version

ALL = "All"
WAVE_PAIR_LABELS = {
    p: " to ".join(charts.WAVE_LABELS[w].lower() for w in p.split("-")) for p in WAVE_PAIRS
}


# -- warehouse, settings, cached queries -------------------------------------------------------------

def db_path() -> Path:
    return default_db()


@st.cache_resource(show_spinner=False)
def _reader(db: str) -> Reader:
    # One Reader per warehouse path for the whole server: it reopens after every swap.
    return Reader(db)


def reader() -> Reader:
    return _reader(str(db_path().resolve()))


def version() -> str:
    return data_version(db_path())


@st.cache_data(show_spinner=False, max_entries=8)
def _settings(config_path: str | None) -> dict:
    return load_settings(config_path)


def settings() -> dict:
    return _settings(os.environ.get("COACHLENS_CONFIG"))


def k() -> int:
    return int(settings()["anonymity"]["k"])


class Refused:
    """A cached refusal: AnonymityRefused's message, kept so the cache holds refusals too."""

    def __init__(self, message: str):
        self.message = message


@st.cache_data(show_spinner="Computing...", max_entries=512)
def _run_view(view: str, filter_params: tuple, options: tuple, db: str, data_version_: str,
              config_path: str | None):
    # data_version_ is part of the cache key: a new load (a swapped file) is a new key.
    from dashboard import queries

    fn = getattr(queries, view)
    f = Filters.from_query_params(dict(filter_params))
    cur = _reader(db).cursor()
    try:
        return fn(cur, f, _settings(config_path), **dict(options))
    except queries.AnonymityRefused as exc:
        return Refused(str(exc))
    finally:
        cur.close()


def query(view: str, f: Filters, **options: Any):
    """The one call a page makes for its numbers: a ViewResult, or a Refused (differencing guard)."""
    params = tuple(sorted(f.to_query_params().items()))
    opts = tuple(sorted((key, value) for key, value in options.items()))
    return _run_view(view, params, opts, str(db_path().resolve()), version(),
                     os.environ.get("COACHLENS_CONFIG"))


def run_view(view: str, f: Filters, **options: Any):
    """query(), and on a refusal the reason on the page and a stop (never an exception). A warehouse
    built by an older coachlens (a mart missing) gets the command that rebuilds it."""
    try:
        res = query(view, f, **options)
    except duckdb.CatalogException as exc:
        st.error(f"**This warehouse was built by an older version of coachlens** and lacks a table the "
                 f"dashboard needs ({str(exc).splitlines()[0]}). Rebuild it by loading your files again:\n\n"
                 f"```\ncoachlens ingest path/to/files/ --db {db_path()}\n```", icon=":material/update:")
        st.stop()
    if isinstance(res, Refused):
        refused(res.message)
        st.stop()
    return res


@st.cache_data(show_spinner=False, max_entries=16)
def _filter_options(db: str, data_version_: str) -> FilterOptions:
    from dashboard import queries

    cur = _reader(db).cursor()
    try:
        return queries.filter_options(cur)
    finally:
        cur.close()


def measures() -> list[str]:
    """The measures the query layer knows, in its order."""
    from dashboard.queries import MEASURES

    return list(MEASURES)


def filter_options() -> FilterOptions:
    return _filter_options(str(db_path().resolve()), version())


# -- page frame -----------------------------------------------------------------------------------------

def page_header(title: str, question: str, audience: str) -> None:
    """Title, the question the page answers, and who asks it. Also checks the warehouse is there."""
    st.title(title)
    st.caption(f"**{question}** For {audience}.")
    require_warehouse()


def require_warehouse() -> None:
    db = db_path()
    try:
        if not db.exists():
            raise WarehouseMissing(str(db))
        settings()
    except WarehouseMissing:
        empty_state_no_warehouse(db)
        st.stop()
    except ConfigError as exc:
        st.error(f"The settings file cannot be used: {exc}")
        st.stop()


def empty_state_no_warehouse(db: Path) -> None:
    st.info(
        f"**No data loaded yet.** The dashboard reads the warehouse at `{db}`, and there is none there.\n\n"
        "Load your files (HR extract, programs, enrolments, survey responses) with:\n\n"
        f"```\ncoachlens ingest path/to/files/ --db {db}\n```\n\n"
        "or try it on synthetic data first:\n\n"
        f"```\ncoachlens generate --out sample_data\ncoachlens ingest sample_data/ --db {db}\n```\n\n"
        "Then interact with this page (or reload it): new loads show up without a restart."
    )


def empty_state(what: str) -> None:
    """Nothing to show for this selection: say so and what to try."""
    st.info(
        f"**{what}** Try widening the filters in the sidebar (fewer filters or a wider date range). "
        "If the warehouse holds no survey responses or enrolments yet, load them with "
        f"`coachlens ingest path/to/files/ --db {db_path()}`."
    )


def refused(message: str) -> None:
    st.warning(
        f"**This selection cannot be shown, to protect anonymity.** {message}\n\n"
        "Choose a larger group (remove or widen a filter in the sidebar).",
        icon=":material/shield:",
    )


def notes(res) -> None:
    """The query layer's notes (regression to the mean, fewer than k, pooling), in plain words."""
    for note in getattr(res, "notes", []) or []:
        if "regression" in note.lower():
            st.warning(note, icon=":material/trending_up:")
        else:
            st.caption(note)


def freshness_caption() -> None:
    try:
        stamp = dt.datetime.fromtimestamp(db_path().stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except FileNotFoundError:
        return
    st.sidebar.caption(f"Warehouse last loaded {stamp}. Every figure rests on at least {k()} people; "
                       "smaller groups read \"fewer than k\".")


# -- sidebar filters, mirrored in the URL ---------------------------------------------------------------
#
# The URL carries the same plain strings as `coachlens export` and Filters.to_query_params()
# (program=P1&career_phase=mid&date_from=2024-01-01). Each value is checked against the widget's
# known options before it is used; an unknown value is dropped with a message. Nothing from the URL
# is unpickled or evaluated. State lives in one session dict (_URL_STATE) so it survives page
# switches (which clear the address); the address is rewritten from it on every run.

_FILTER_KEYS = ("program", "cohort", "coach", "department", "team", "career_phase", "date_from", "date_to", "waves")
_URL_STATE = "_coachlens_url_state"
_REJECTED = "_coachlens_url_rejected"


def _state() -> dict:
    if _URL_STATE not in st.session_state:
        st.session_state[_URL_STATE] = {}
    return st.session_state[_URL_STATE]


def _widget_changed(key: str, to_text) -> None:
    """A user changed a bound widget: remember it and put it in the address at once, so the run
    that follows does not mistake the old address for a newly opened link."""
    text = to_text(st.session_state.get(f"w_{key}"))
    _state()[key] = text
    if text is None:
        if key in st.query_params:
            del st.query_params[key]
    else:
        st.query_params[key] = text


def _bound(key: str, default: str | None, valid) -> str | None:
    """The value of URL-bound setting `key`: a link's value if the address was changed from outside
    (a shared link), else the session's; invalid values fall back to the default."""
    state = _state()
    url = st.query_params.get(key)
    if url is not None and url != state.get(key, default):
        if valid(url):
            state[key] = url
        else:
            st.session_state.setdefault(_REJECTED, set()).add(key)
            state.pop(key, None)
    value = state.get(key, default)
    if value is not None and not valid(value):
        value = default
        state.pop(key, None)
    # Mirror in the address: set when not the default, removed otherwise.
    if value is None or value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value
    return value


def url_select(container, label: str, options, key: str, default=None, format_func=str, help: str | None = None,
               kind: str = "selectbox", placeholder: str | None = None):
    """A select box (or segmented control) whose value is mirrored in the URL as `key`=value. With a
    placeholder, the select box starts empty (None) until a value is chosen."""
    options = list(options)
    texts = {str(o): o for o in options}
    if default is None and placeholder is None:
        default = options[0] if options else None
    text = _bound(key, None if default is None else str(default), lambda v: v in texts)
    value = texts.get(text, default) if text is not None else default
    wkey = f"w_{key}"
    # Always (re)assign: after a page switch the widget is new and would otherwise start at its default.
    st.session_state[wkey] = value
    kwargs = dict(key=wkey, format_func=format_func, help=help, on_change=_widget_changed,
                  args=(key, lambda v: None if v is None else str(v)))
    if kind == "segmented":
        return container.segmented_control(label, options, required=True, **kwargs)
    if placeholder is not None:
        return container.selectbox(label, options, index=None, placeholder=placeholder, **kwargs)
    return container.selectbox(label, options, **kwargs)


def url_multiselect(container, label: str, options, key: str, default: list, format_func=str,
                    help: str | None = None) -> list:
    """A multiselect mirrored in the URL as `key`=a,b,c (each part one of the options)."""
    options = [str(o) for o in options]
    default_text = ",".join(str(d) for d in default)
    text = _bound(key, default_text, lambda v: v == "" or all(part in options for part in v.split(",")))
    value = [part for part in (text or "").split(",") if part in options]
    wkey = f"w_{key}"
    st.session_state[wkey] = value
    return container.multiselect(label, options, key=wkey, format_func=format_func, help=help,
                                 on_change=_widget_changed, args=(key, lambda v: ",".join(v or [])))


def url_date(container, label: str, key: str, lo: dt.date | None, hi: dt.date | None) -> dt.date | None:
    def valid(v: str) -> bool:
        try:
            d = dt.date.fromisoformat(v)
        except (TypeError, ValueError):
            return False
        return (lo is None or d >= lo) and (hi is None or d <= hi)

    text = _bound(key, None, valid)
    value = dt.date.fromisoformat(text) if text else None
    wkey = f"w_{key}"
    # Always (re)assign: after a page switch the widget is new and would otherwise start at its default.
    st.session_state[wkey] = value
    return container.date_input(label, min_value=lo, max_value=hi, key=wkey, format="YYYY-MM-DD",
                                on_change=_widget_changed, args=(key, lambda v: v.isoformat() if v else None))


def sidebar_filters(show: tuple[str, ...] = _FILTER_KEYS) -> Filters:
    """The sidebar filters, mirrored in the URL so a view can be shared as a link."""
    opts = filter_options()
    sb = st.sidebar
    sb.header("Filters")
    values: dict[str, str] = {}

    def pick(key: str, label: str, options: tuple, fmt=str, help: str | None = None) -> None:
        if key not in show:
            return
        choice = url_select(sb, label, (ALL, *options), key, default=ALL, help=help,
                            format_func=lambda v: ALL if v == ALL else fmt(v))
        if choice not in (None, ALL):
            values[key] = choice

    pick("program", "Program", opts.programs, lambda p: f"{opts.program_names.get(p, p)}")
    pick("cohort", "Cohort", opts.cohorts,
         lambda c: f"{c} ({opts.program_names.get(opts.cohort_program.get(c, ''), '')})" if opts.cohort_program.get(c) else c)
    pick("coach", "Coach", opts.coaches)
    pick("department", "Department", opts.departments)
    pick("team", "Team", opts.teams, help="Teams are listed as Department / Team.")
    pick("career_phase", "Career phase", opts.phases, lambda p: charts.PHASE_LABELS.get(p, p))
    if "date_from" in show or "date_to" in show:
        d_from = url_date(sb, "Cohorts starting from", "date_from", opts.date_min, opts.date_max)
        d_to = url_date(sb, "Cohorts starting until", "date_to", opts.date_min, opts.date_max)
        if d_from:
            values["date_from"] = d_from.isoformat()
        if d_to:
            values["date_to"] = d_to.isoformat()
    if "waves" in show:
        w = url_select(sb, "Change measured from", WAVE_PAIRS, "waves", default=DEFAULT_WAVES,
                       format_func=lambda p: WAVE_PAIR_LABELS.get(p, p),
                       help="Which two survey waves a change compares (baseline to post by default).")
        if w and w != DEFAULT_WAVES:
            values["waves"] = w
    sb.caption("The filters are in the page address: copy it to share this view.")
    freshness_caption()
    rejected = st.session_state.pop(_REJECTED, None)
    if rejected:
        st.warning(f"The link named values this warehouse does not know ({', '.join(sorted(rejected))}); "
                   "they were ignored.", icon=":material/link_off:")
    try:
        return Filters.from_query_params(values, options=opts)
    except InvalidFilter as exc:
        st.warning(f"A filter could not be used and was ignored: {exc}")
        return Filters()


# -- chart + table + downloads ------------------------------------------------------------------------

def plot(fig) -> None:
    st.plotly_chart(fig, width="stretch", theme=None, config=theme.PLOTLY_CONFIG)


def display_frame(table: pd.DataFrame, kk: int) -> pd.DataFrame:
    """The table as the page shows it: the query layer's table unchanged, plus a "note" column
    (before the numbers) saying "fewer than k" on suppressed rows, whose values are already empty."""
    out = table.copy()
    if "suppressed" in out:
        sup = out["suppressed"].fillna(False).astype(bool)
        where = list(out.columns).index("n") if "n" in out.columns else len(out.columns)
        out.insert(where, "note", sup.map({True: f"fewer than {kk} people: not shown", False: ""}))
    return out


def _column_config(table: pd.DataFrame) -> dict:
    cfg: dict = {}
    for col in table.columns:
        if col in ("n", "n_comparison", "responded", "exits", "at_risk", "rows_in", "rows_loaded", "rows_quarantined"):
            cfg[col] = st.column_config.NumberColumn(col, format="%d")
        elif pd.api.types.is_float_dtype(table[col]) and col not in ("p_value", "did_p_value", "logrank_p"):
            cfg[col] = st.column_config.NumberColumn(col, format="%.3f")
        elif col in ("p_value", "did_p_value", "logrank_p"):
            cfg[col] = st.column_config.NumberColumn(col, format="%.4f")
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


def table_and_downloads(table: pd.DataFrame, name: str, res=None) -> None:
    """The table behind a chart and its CSV / XLSX downloads: exactly result.table, suppressed cells
    empty, text cells neutralised."""
    kk = getattr(res, "k", None) or k()
    st.dataframe(display_frame(table, kk), hide_index=True, column_config=_column_config(table), key=f"df_{name}",
                 placeholder="-")
    stamp = dt.date.today().isoformat()
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button("Download CSV", to_csv_bytes(table), file_name=f"coachlens-{name}-{stamp}.csv",
                       mime="text/csv", key=f"csv_{name}", on_click="ignore", icon=":material/download:")
    c2.download_button("Download XLSX", to_xlsx_bytes(table, name, list(getattr(res, "notes", []) or [])),
                       file_name=f"coachlens-{name}-{stamp}.xlsx", key=f"xlsx_{name}", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:")


def chart_and_table(fig, table: pd.DataFrame, name: str, res=None, caption: str | None = None) -> None:
    """A chart with its table one click away (the "Table" tab), and the downloads there."""
    tab_chart, tab_table = st.tabs([":material/bar_chart: Chart", ":material/table: Table and downloads"])
    with tab_chart:
        plot(fig)
        if caption:
            st.caption(caption)
    with tab_table:
        table_and_downloads(table, name, res)


# -- headline figures (Overview) ---------------------------------------------------------------------

def _row(table: pd.DataFrame, metric: str, measure: str | None = None):
    d = table[table["metric"] == metric] if "metric" in table else table.iloc[0:0]
    if measure is not None and "measure" in d:
        d = d[d["measure"] == measure]
    return None if d.empty else d.iloc[0]


def metric_card(col, label: str, row, kind: str = "count", help: str | None = None) -> None:
    """One headline figure with its n and CI underneath; "fewer than k" when suppressed."""
    kk = k()
    if row is None:
        col.metric(label, "-", help=help, border=True)
        col.caption("not available for this selection")
        return
    if charts._is_suppressed(row) or (kind != "count" and charts._missing(row.get("estimate"))):
        col.metric(label, f"fewer than {kk}" if charts._is_suppressed(row) else "-", help=help, border=True)
        col.caption("hidden to protect anonymity" if charts._is_suppressed(row) else "not computable")
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
    rtm = [charts.measure_label(m) for m in table.loc[(table["metric"] == "change")
                                                       & table["flags"].fillna("").str.contains("regression_to_mean"),
                                                       "measure"]]
    if rtm:
        heads = [charts.measure_label(m) for m in charts.HEADLINE_MEASURES if charts.measure_label(m) in rtm]
        rest = len(rtm) - len(heads)
        rtm = heads + ([f"{rest} subscale{'s' if rest > 1 else ''}"] if rest else [])
        st.warning("Coached people started lower than the comparison group on " + ", ".join(rtm)
                   + ": part of their rise may be regression to the mean (a return towards the average). "
                   "The difference in differences (orange) allows for it better than the raw change (blue).",
                   icon=":material/trending_up:")


def retention_sentence(table: pd.DataFrame) -> None:
    """12-month retention, coached vs comparison, in one sentence (read off the retention table)."""
    if table.empty or "group" not in table:
        return
    rows = table[table["group"] == "All"]
    get = lambda role: None if rows[rows["role"] == role].empty else rows[rows["role"] == role].iloc[0]  # noqa: E731
    coached, comparison = get("coached"), get("comparison")
    if coached is None or comparison is None or charts._is_suppressed(coached) or charts._is_suppressed(comparison):
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
        f"{charts.fmt_n(comparison['n'])}).{verdict}")


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
    metric_card(c[0], "Retained 12 months: coached", _row(table, "retention_12m_coached"), kind="share",
                help="Kaplan-Meier share still employed 12 months after their cohort started (voluntary exits).")
    metric_card(c[1], "Retained: comparison", _row(table, "retention_12m_comparison"), kind="share",
                help="The same for people not coached, from the same start dates.")
    fresh = _row(table, "data_freshness")
    as_of = None if fresh is None else fresh.get("as_of")
    loaded = None if fresh is None else fresh.get("loaded_at")
    c[2].metric("Data as of", "-" if charts._missing(as_of) else str(as_of)[:10], border=True,
                help="The newest survey response or exit in the warehouse.")
    c[3].metric("Last load", "-" if charts._missing(loaded) else str(loaded)[:10], border=True,
                help="When `coachlens ingest` last changed the warehouse.")
    if not charts._missing(loaded):
        c[3].caption(f"at {str(loaded)[11:16]}")
