"""Where the pages' numbers come from: the warehouse reader, the settings, and the query call
cached on the view, the filters, the options and the warehouse's data version."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard.db import Reader, default_db
from dashboard.filters import FilterOptions, Filters, program_label
from pipelines.config import load_settings
from pipelines.warehouse import data_version


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
    res = _run_view(view, params, opts, str(db_path().resolve()), version(),
                    os.environ.get("COACHLENS_CONFIG"))
    prime_filters()
    return res


def prime_filters() -> None:
    """After a page's first numbers on a new data version: the filters' parent counts in the background
    (dashboard.prime; once per data version)."""
    from dashboard import prime

    prime.start(reader(), settings())


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


def group_names(key: str) -> dict[str, str]:
    """How charts name the groups of a breakdown by `key`: programs as "Name (P001)", as the sponsor
    report does (a program id alone says little to a sponsor), career phases as the sidebar does
    ("Mid career"); other keys by their own value."""
    if key == "career_phase":
        from dashboard.charts.common import PHASE_LABELS

        return dict(PHASE_LABELS)
    if key != "program_id":
        return {}
    names = filter_options().program_names
    return {p: program_label(p, names) for p in names}
