"""Streamlit pieces of the ROI page: the cached roi() call and the assumption controls. Kept here so
dashboard/pages/roi.py stays a short script."""

from __future__ import annotations

import os

import duckdb
import streamlit as st

from dashboard.filters import Filters
from dashboard.roi.assumptions import Assumptions

BY_LABELS = {"program": "Program", "cohort": "Cohort", "career_phase": "Career phase", "none": "No breakdown"}


@st.cache_data(show_spinner="Computing the ROI...", max_entries=128)
def _run_roi(filter_params: tuple, items: tuple, by: str, db: str, data_version_: str, config_path: str | None):
    from dashboard import components as ui
    from dashboard.anonymity import AnonymityRefused
    from dashboard.roi.view import roi

    settings = ui._settings(config_path)
    changes = {n: (dict(v) if n == "turnover_multiplier" else v) for n, v in items}
    a = Assumptions.from_settings(settings).with_(**changes)
    cur = ui._reader(db).cursor()
    try:
        return roi(cur, Filters.from_query_params(dict(filter_params)), settings, a,
                   by=None if by == "none" else by)
    except AnonymityRefused as exc:
        return ui.Refused(str(exc))
    finally:
        cur.close()


def run_roi(f: Filters, a: Assumptions, by: str):
    """The page's one query call: a ViewResult, or the refusal shown on the page and a stop."""
    from dashboard import components as ui

    items = tuple((n, getattr(a, n)) for n in Assumptions.ADJUSTABLE) + (
        ("turnover_multiplier", tuple(sorted(a.turnover_multiplier.items()))),)
    try:
        res = _run_roi(tuple(sorted(f.to_query_params().items())), items, by, str(ui.db_path().resolve()),
                       ui.version(), os.environ.get("COACHLENS_CONFIG"))
    except duckdb.CatalogException as exc:
        ui.older_warehouse(exc)
    ui.prime_filters()
    if isinstance(res, ui.Refused):
        ui.refused(res.message)
        st.stop()
    return res


def assumption_controls(defaults: Assumptions) -> Assumptions:
    """Sliders within the configured ranges, per-level multipliers in an expander, and a button that
    restores the settings.toml defaults."""
    keys = {"attribution_share": "roi_attribution", "turnover_multiplier_default": "roi_mult_default",
            "participant_hourly_cost": "roi_hourly", "admin_cost_per_participant": "roi_admin"}
    level_keys = {lvl: f"roi_mult_{lvl}" for lvl in defaults.turnover_multiplier}
    with st.expander("Assumptions (conservative defaults; adjust within the configured ranges)", expanded=False,
                     icon=":material/tune:"):
        restore = st.button("Restore defaults", icon=":material/restart_alt:", key="roi_restore")
        for name, key in keys.items():
            if restore or key not in st.session_state:
                st.session_state[key] = float(getattr(defaults, name))
        for lvl, key in level_keys.items():
            if restore or key not in st.session_state:
                st.session_state[key] = float(defaults.turnover_multiplier[lvl])
        c = st.columns(2)
        lo, hi = defaults.attribution_range
        att = c[0].slider("Attribution share (share of the retention gain credited to coaching)", lo, hi,
                          step=0.05, key=keys["attribution_share"])
        lo, hi = defaults.participant_hourly_cost_range
        hourly = c[1].slider(f"Participants' hourly cost ({defaults.currency})", lo, hi,
                             step=1.0, key=keys["participant_hourly_cost"])
        lo, hi = defaults.admin_cost_per_participant_range
        admin = c[0].slider(f"Administration per participant ({defaults.currency})", lo, hi,
                            step=10.0, key=keys["admin_cost_per_participant"])
        lo, hi = defaults.turnover_multiplier_range
        mdef = c[1].slider("Cost of an exit, x salary (job levels not listed below)", lo, hi,
                           step=0.05, key=keys["turnover_multiplier_default"])
        st.caption("Cost of an exit per job level, x annual salary:")
        cols = st.columns(4)
        levels = {}
        for i, lvl in enumerate(defaults.turnover_multiplier):
            levels[lvl] = cols[i % 4].number_input(lvl.replace("_", " "), lo, hi, step=0.05, key=level_keys[lvl])
    return defaults.with_(attribution_share=att, participant_hourly_cost=hourly, admin_cost_per_participant=admin,
                          turnover_multiplier_default=mdef, turnover_multiplier=levels)
