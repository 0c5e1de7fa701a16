"""`coachlens export VIEW ...`: exactly the suppressed aggregates a page shows, as JSON or CSV.

`safe_csv_frame` / `to_safe_csv` are the one place CSV text cells are neutralised against formula
injection; the dashboard's download buttons reuse them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import typer

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
VIEWS = ("overview", "outcomes", "cohorts", "retention", "coach", "quality", "roi")


def neutralise(value):
    """A text cell starting with = + - @ tab or CR gets a leading apostrophe (spreadsheet-safe)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of df whose text cells (and column names) are neutralised; numbers are left alone."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_safe_csv(df: pd.DataFrame) -> str:
    return safe_csv_frame(df).to_csv(index=False, lineterminator="\n")


def _jsonable(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
        return v.isoformat()
    return v


def records(df: pd.DataFrame) -> list[dict]:
    return [{str(k): _jsonable(v) for k, v in row.items()} for row in df.astype(object).to_dict("records")]


def run_view(cur, view: str, filters, settings, **opts):
    from dashboard import queries as q

    if view == "overview":
        return q.overview(cur, filters, settings)
    if view == "outcomes":
        return q.outcomes(cur, filters, settings, measure=opts.get("measure") or "engagement",
                          rows=opts.get("rows") or "career_phase",
                          cols=None if opts.get("cols") in ("none", "") else (opts.get("cols") or "department"))
    if view == "cohorts":
        return q.cohorts(cur, filters, settings, measure=opts.get("measure") or "engagement",
                         compare=opts.get("compare") or "cohort")
    if view == "retention":
        split = opts.get("split")
        return q.retention(cur, filters, settings, split=None if split in (None, "none") else split)
    if view == "coach":
        coach_id = opts.get("coach_id") or filters.coach
        if not coach_id:
            raise ValueError("the coach view needs --coach-id (or --coach)")
        return q.coach_impact(cur, filters, settings, coach_id, measure=opts.get("measure"))
    if view == "quality":
        return q.quality(cur, filters, settings)
    if view == "roi":
        from dashboard.roi.view import export_view

        return export_view(cur, filters, settings, **opts)
    raise ValueError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")


def render(result, view: str, filters, fmt: str, table: str | None = None) -> str:
    if fmt == "csv":
        df = result.table if not table else result.extras[table]
        return to_safe_csv(df)
    doc = {"view": view, "filters": filters.to_query_params(), "k": result.k, "notes": list(result.notes),
           "table": records(result.table), "extras": {name: records(df) for name, df in result.extras.items()}}
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class Fmt(str, Enum):
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        view: str = typer.Argument(..., help="overview, outcomes, cohorts, retention, coach, quality or roi."),
        fmt: Fmt = typer.Option(Fmt.json, "--format", help="json or csv."),
        out: Optional[Path] = typer.Option(None, "--out", help="Write here instead of standard output."),
        db: Optional[Path] = typer.Option(None, "--db", help="Warehouse file (default $COACHLENS_DB)."),
        config: Optional[Path] = typer.Option(None, "--config", help="Settings TOML ($COACHLENS_CONFIG)."),
        program: Optional[str] = typer.Option(None, "--program"),
        cohort: Optional[str] = typer.Option(None, "--cohort"),
        coach: Optional[str] = typer.Option(None, "--coach"),
        department: Optional[str] = typer.Option(None, "--department"),
        team: Optional[str] = typer.Option(None, "--team", help="team_id, 'Department / Team'."),
        career_phase: Optional[str] = typer.Option(None, "--career-phase"),
        date_from: Optional[str] = typer.Option(None, "--date-from", help="Cohorts starting on or after (ISO)."),
        date_to: Optional[str] = typer.Option(None, "--date-to", help="Cohorts starting on or before (ISO)."),
        waves: Optional[str] = typer.Option(None, "--waves", help="Wave pair, e.g. baseline-post."),
        measure: Optional[str] = typer.Option(None, "--measure"),
        rows: Optional[str] = typer.Option(None, "--rows", help="outcomes: career_phase, department, team, program, cohort."),
        cols: Optional[str] = typer.Option(None, "--cols", help="outcomes: as --rows, or none."),
        compare: Optional[str] = typer.Option(None, "--compare", help="cohorts: cohort or program."),
        split: Optional[str] = typer.Option(None, "--split", help="retention: program or career_phase; roi: program, cohort, career_phase or none."),
        coach_id: Optional[str] = typer.Option(None, "--coach-id", help="coach: the coach."),
        table: Optional[str] = typer.Option(None, "--table", help="CSV: an extra table instead of the main one."),
    ) -> None:
        """Export a view's suppressed aggregates (what its page shows) as JSON or CSV."""
        from pipelines.config import ConfigError, Paths, load_settings
        from pipelines.warehouse import WarehouseMissing, open_read_only

        from dashboard.anonymity import AnonymityRefused
        from dashboard.filters import InvalidFilter, cli_filters

        def fail(msg: str, code: int) -> None:
            typer.echo(f"error: {msg}", err=True)
            raise typer.Exit(code)

        if view not in VIEWS:
            fail(f"unknown view {view!r}; use one of {', '.join(VIEWS)}", 2)
        try:
            settings = load_settings(config)
            con = open_read_only(Paths.resolve(db).db)
        except (ConfigError, WarehouseMissing) as exc:
            fail(str(exc), 1)
        try:
            cur = con.cursor()
            filters = cli_filters(cur, program=program, cohort=cohort, coach=coach, department=department,
                                  team=team, career_phase=career_phase, date_from=date_from, date_to=date_to,
                                  waves=waves)
            result = run_view(cur, view, filters, settings, measure=measure, rows=rows, cols=cols, compare=compare,
                              split=split, coach_id=coach_id)
            if table and table not in result.extras:
                fail(f"view {view} has no table {table!r}; it has {', '.join(result.extras) or 'none'}", 2)
            text = render(result, view, filters, fmt.value, table)
        except AnonymityRefused as exc:
            fail(f"refused: {exc}", 2)
        except (InvalidFilter, ValueError) as exc:
            fail(str(exc), 2)
        finally:
            con.close()
        if out:
            out.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {out}", err=True)
        else:
            sys.stdout.write(text)
