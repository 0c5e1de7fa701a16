"""What `coachlens export` and `coachlens report` share: the filter options, the warehouse and config
options, and how a command opens the warehouse and fails.

Each option is an `Annotated` type, so a command declares `program: Program = None` and gets the same
flag and help text everywhere; `open_filtered()` turns the options into checked Filters on a
read-only cursor, with the same exit codes (1: no warehouse or bad config, 2: bad filter value).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated, Iterator, NoReturn, Optional

import duckdb
import typer

Db = Annotated[Optional[Path], typer.Option("--db", help="Warehouse file (default $COACHLENS_DB).")]
Config = Annotated[Optional[Path], typer.Option("--config", help="Settings TOML ($COACHLENS_CONFIG).")]
Program = Annotated[Optional[str], typer.Option("--program")]
Cohort = Annotated[Optional[str], typer.Option("--cohort")]
Coach = Annotated[Optional[str], typer.Option("--coach")]
Department = Annotated[Optional[str], typer.Option("--department")]
Team = Annotated[Optional[str], typer.Option("--team", help="team_id, 'Department / Team'.")]
CareerPhase = Annotated[Optional[str], typer.Option("--career-phase")]
DateFrom = Annotated[Optional[str], typer.Option("--date-from", help="Cohorts starting on or after (ISO).")]
DateTo = Annotated[Optional[str], typer.Option("--date-to", help="Cohorts starting on or before (ISO).")]
Waves = Annotated[Optional[str], typer.Option("--waves", help="Wave pair, e.g. baseline-post.")]


def fail(msg: str, code: int) -> NoReturn:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def open_filtered(db: Optional[Path], config: Optional[Path], **filter_values: Optional[str]) -> Iterator[tuple]:
    """(cursor, filters, settings) on a read-only warehouse; closes it on exit. A missing warehouse
    or a bad config exits with code 1, a filter value the warehouse does not know with code 2."""
    from pipelines.config import ConfigError, Paths, load_settings
    from pipelines.warehouse import WarehouseMissing, open_read_only

    from dashboard.filters import InvalidFilter, cli_filters

    try:
        settings = load_settings(config)
        con = open_read_only(Paths.resolve(db).db)
    except (ConfigError, WarehouseMissing) as exc:
        fail(str(exc), 1)
    try:
        cur = con.cursor()
        try:
            filters = cli_filters(cur, **filter_values)
        except InvalidFilter as exc:
            fail(str(exc), 2)
        try:
            yield cur, filters, settings
        except duckdb.CatalogException as exc:
            from dashboard.db import older_warehouse

            fail(older_warehouse(exc, Paths.resolve(db).db), 1)
    finally:
        con.close()
