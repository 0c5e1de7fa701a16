"""The page frame: header, the missing-warehouse and empty states, refusals, notes, freshness."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, NoReturn

import duckdb
import streamlit as st

from dashboard.components.data import Refused, db_path, filter_options, k, query, settings
from dashboard.filters import Filters
from pipelines.config import ConfigError
from pipelines.warehouse import WarehouseMissing


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
    try:
        no_cohorts = not filter_options().cohorts
    except duckdb.CatalogException:
        return   # an older warehouse: run_view says how to rebuild it
    if no_cohorts:
        # e.g. the HR extract was loaded first: say what is missing rather than "fewer than k" everywhere
        st.info(
            "**No programs or enrolments loaded yet.** The warehouse holds people, but outcomes, retention "
            "and ROI compare coached people with the others, so they need the programs and enrolments files "
            "(and survey responses for outcomes):\n\n"
            f"```\ncoachlens ingest programs.csv enrolments.csv surveys/ --db {db}\n```",
            icon=":material/info:")


def empty_state_no_warehouse(db: Path) -> None:
    st.info(
        f"**No data loaded yet.** The dashboard reads the warehouse at `{db}`, and there is none there.\n\n"
        "Load your files (HR extract, programs, enrolments, survey responses) with:\n\n"
        f"```\ncoachlens ingest path/to/files/ --db {db}\n```\n\n"
        "or try it on synthetic data first:\n\n"
        f"```\ncoachlens generate --out sample_data\ncoachlens ingest sample_data/ --db {db}\n```\n\n"
        "Then interact with this page (or reload it): new loads show up without a restart."
    )


def empty_state(what: str, filtered: bool) -> None:
    """Nothing to show for this selection: say so and what to try. Under a filter, widening it (there is data,
    not for these people); without one, loading the files that are missing."""
    if filtered:
        st.info(f"**{what}** Try widening the filters in the sidebar (fewer filters or a wider date range).")
        return
    st.info(f"**{what}** Load the survey responses and enrolments with "
            f"`coachlens ingest path/to/files/ --db {db_path()}`.")


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
                       "smaller groups, and groups that would reveal them, read \"hidden\".")


def run_view(view: str, f: Filters, **options: Any):
    """query(), and on a refusal the reason on the page and a stop (never an exception). A warehouse
    built by an older coachlens (a mart missing) gets the command that rebuilds it."""
    try:
        res = query(view, f, **options)
    except duckdb.CatalogException as exc:
        older_warehouse(exc)
    if isinstance(res, Refused):
        refused(res.message)
        st.stop()
    return res


def older_warehouse(exc: Exception) -> NoReturn:
    """A table the query layer reads is missing: the warehouse was built by an older coachlens. Says how
    to rebuild it, and stops the page."""
    from dashboard.db import older_warehouse as message

    head, command = message(exc, db_path()).split("\n\n", 1)
    st.error(head.replace("This warehouse was built by an older version of coachlens",
                          "**This warehouse was built by an older version of coachlens**")
             + f"\n\n```\n{command.strip()}\n```", icon=":material/update:")
    st.stop()
