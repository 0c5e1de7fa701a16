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

from dashboard import cli_options as O

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


def _total_only(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the total "All" (the first column names the group)."""
    return df[df[df.columns[0]] == "All"].reset_index(drop=True)


# Rule 5: an export carries exactly what its page shows. Per view, the extras its page shows and, where
# the page shows only part of one, the rows it shows (None: all of them). Other extras of a view (the
# cohorts' pooled row) serve code that calls the query layer, not the pages.
PAGE_EXTRAS = {
    "overview": {},
    "outcomes": {},
    "cohorts": {"trajectories": None},
    "retention": {"curves": None},
    "coach": {},
    "quality": {"response_rates": None, "loads": None},
    # the ROI page draws the waterfall and the tornado of the total only
    "roi": {"tornado": _total_only, "waterfall": _total_only, "intangibles": None, "assumptions": None},
}


def page_extras(result, view: str) -> dict[str, pd.DataFrame]:
    """The extras of `result` as the page of `view` shows them."""
    out = {}
    for name, rows in PAGE_EXTRAS[view].items():
        if name in result.extras:
            df = result.extras[name]
            out[name] = df if rows is None else rows(df)
    return out


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
        from dashboard.roi.export import export_view

        return export_view(cur, filters, settings, **opts)
    raise ValueError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")


def render(result, view: str, filters, fmt: str, table: str | None = None) -> str:
    extras = page_extras(result, view)
    if fmt == "csv":
        df = result.table if not table else extras[table]
        return to_safe_csv(df)
    doc = {"view": view, "filters": filters.to_query_params(), "k": result.k, "notes": list(result.notes),
           "table": records(result.table), "extras": {name: records(df) for name, df in extras.items()}}
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class Fmt(str, Enum):
    json = "json"
    csv = "csv"


def _format(fmt: Fmt | None, out: Path | None) -> str:
    """The format asked for, else the one --out's suffix names (.csv: csv), else json."""
    if fmt is not None:
        return fmt.value
    return "csv" if out is not None and out.suffix.lower() == ".csv" else "json"


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        view: str = typer.Argument(..., help="overview, outcomes, cohorts, retention, coach, quality or roi."),
        fmt: Optional[Fmt] = typer.Option(None, "--format",
                                          help="json or csv (default: from --out's suffix, else json)."),
        out: Optional[Path] = typer.Option(None, "--out", help="Write here instead of standard output."),
        db: O.Db = None, config: O.Config = None,
        program: O.Program = None, cohort: O.Cohort = None, coach: O.Coach = None,
        department: O.Department = None, team: O.Team = None, career_phase: O.CareerPhase = None,
        date_from: O.DateFrom = None, date_to: O.DateTo = None, waves: O.Waves = None,
        measure: Optional[str] = typer.Option(None, "--measure"),
        rows: Optional[str] = typer.Option(None, "--rows", help="outcomes: career_phase (what the page shows)."),
        cols: Optional[str] = typer.Option(None, "--cols", help="outcomes: department or team (what the page shows)."),
        compare: Optional[str] = typer.Option(None, "--compare", help="cohorts: cohort or program."),
        split: Optional[str] = typer.Option(None, "--split", help="retention: program or career_phase; roi: program, cohort, career_phase or none."),
        coach_id: Optional[str] = typer.Option(None, "--coach-id", help="coach: the coach."),
        table: Optional[str] = typer.Option(None, "--table", help="CSV: an extra table instead of the main one."),
    ) -> None:
        """Export a view's suppressed aggregates (what its page shows) as JSON or CSV."""
        from dashboard.anonymity import AnonymityRefused

        if view not in VIEWS:
            O.fail(f"unknown view {view!r}; use one of {', '.join(VIEWS)}", 2)
        if view == "outcomes" and (rows not in (None, "career_phase") or cols not in (None, "department", "team")):
            # rule 5: an export carries what a page shows. Other breakdowns, each suppressed on its own, could be
            # combined with the pages' to work out small groups (an anonymity review did so)
            O.fail("the Outcomes page shows career phase (--rows career_phase) by department or team (--cols "
                   "department|team), and an export carries what a page shows: other breakdowns could be combined "
                   "with the pages' to work out small groups", 2)
        with O.open_filtered(db, config, program=program, cohort=cohort, coach=coach, department=department,
                             team=team, career_phase=career_phase, date_from=date_from, date_to=date_to,
                             waves=waves) as (cur, filters, settings):
            try:
                result = run_view(cur, view, filters, settings, measure=measure, rows=rows, cols=cols,
                                  compare=compare, split=split, coach_id=coach_id)
                shown = page_extras(result, view)
                if table and table not in shown:
                    O.fail(f"view {view} has no table {table!r}; it has {', '.join(shown) or 'none'}", 2)
                text = render(result, view, filters, _format(fmt, out), table)
            except AnonymityRefused as exc:
                O.fail(f"refused: {exc}", 2)
            except ValueError as exc:
                O.fail(str(exc), 2)
        if out:
            out.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {out}", err=True)
        else:
            sys.stdout.write(text)
