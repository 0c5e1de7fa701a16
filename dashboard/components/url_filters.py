"""Sidebar filters mirrored in the URL: a shared link opens the same selection; values are checked
against the warehouse's known values before they reach a query."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import charts
from dashboard.components.common import ALL, WAVE_PAIR_LABELS
from dashboard.components.data import filter_options
from dashboard.components.frame import freshness_caption
from dashboard.filters import DEFAULT_WAVES, FILTER_LABELS, WAVE_PAIRS, Filters, InvalidFilter

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
            st.session_state.setdefault(_REJECTED, set()).add(f"{key}={url!r}")
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
    _warn_rejected()    # a page's own choice (measure, coach ...) from a link, said where the page runs it
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


def _warn_rejected() -> None:
    """Say which settings of an opened link were not known values and were ignored (once)."""
    rejected = st.session_state.pop(_REJECTED, None)
    if rejected:
        st.warning(f"This link holds values the warehouse does not know, so they were ignored: "
                   f"{', '.join(sorted(rejected))}.", icon=":material/link_off:")


def url_multiselect(container, label: str, options, key: str, default: list, format_func=str,
                    help: str | None = None) -> list:
    """A multiselect mirrored in the URL as `key`=a,b,c (each part one of the options)."""
    options = [str(o) for o in options]
    default_text = ",".join(str(d) for d in default)
    text = _bound(key, default_text, lambda v: v == "" or all(part in options for part in v.split(",")))
    _warn_rejected()
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

    pick("program", FILTER_LABELS["program"], opts.programs, lambda p: f"{opts.program_names.get(p, p)}")
    pick("cohort", FILTER_LABELS["cohort"], opts.cohorts,
         lambda c: f"{c} ({opts.program_names.get(opts.cohort_program.get(c, ''), '')})" if opts.cohort_program.get(c) else c)
    pick("coach", FILTER_LABELS["coach"], opts.coaches)
    pick("department", FILTER_LABELS["department"], opts.departments)
    # with a department chosen, only its teams (a large organisation's list runs to thousands, and a team
    # of another department would select no one)
    teams = (opts.teams if "department" not in values
             else tuple(t for t in opts.teams if opts.team_department.get(t) == values["department"]))
    pick("team", FILTER_LABELS["team"], teams,
         help="Teams are listed as Department / Team; with a department chosen, only its teams.")
    pick("career_phase", FILTER_LABELS["career_phase"], opts.phases, lambda p: charts.PHASE_LABELS.get(p, p))
    if "date_from" in show or "date_to" in show:
        d_from = url_date(sb, FILTER_LABELS["date_from"], "date_from", opts.date_min, opts.date_max)
        d_to = url_date(sb, FILTER_LABELS["date_to"], "date_to", opts.date_min, opts.date_max)
        if d_from:
            values["date_from"] = d_from.isoformat()
        if d_to:
            values["date_to"] = d_to.isoformat()
    if "waves" in show:
        w = url_select(sb, FILTER_LABELS["waves"], WAVE_PAIRS, "waves", default=DEFAULT_WAVES,
                       format_func=lambda p: WAVE_PAIR_LABELS.get(p, p),
                       help="Which two survey waves a change compares (baseline to post by default).")
        if w and w != DEFAULT_WAVES:
            values["waves"] = w
    sb.caption("The filters are in the page address: copy it to share this view.")
    freshness_caption()
    _warn_rejected()
    try:
        return Filters.from_query_params(values, options=opts)
    except InvalidFilter as exc:
        st.warning(f"A filter could not be used and was ignored: {exc}")
        return Filters()
