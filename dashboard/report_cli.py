"""`coachlens report --out FILE.html [--pdf FILE.pdf] [filters]`: the sponsor report (dashboard.report).

Registered by pipelines/cli.py through `register(app)`. A refused selection (anonymity rule 3) exits
with code 2 and the reason; a missing chromium for --pdf exits with code 1 and how to install it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dashboard import cli_options as O


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        out: Path = typer.Option(..., "--out", help="The HTML report to write (self-contained, works offline)."),
        pdf: Optional[Path] = typer.Option(None, "--pdf", help="Also print it to this PDF (needs /usr/bin/chromium)."),
        by: str = typer.Option("program", "--by", help="ROI breakdown: program, cohort, career_phase or none."),
        db: O.Db = None, config: O.Config = None,
        program: O.Program = None, cohort: O.Cohort = None, coach: O.Coach = None,
        department: O.Department = None, team: O.Team = None, career_phase: O.CareerPhase = None,
        date_from: O.DateFrom = None, date_to: O.DateTo = None, waves: O.Waves = None,
    ) -> None:
        """Write the sponsor report: headline ROI with its interval, charts, method, assumptions, anonymity rules."""
        from dashboard.anonymity import AnonymityRefused
        from dashboard.report import ChromiumMissing, build_report, write_pdf
        from dashboard.roi.assumptions import AssumptionError

        if by not in ("program", "cohort", "career_phase", "none"):
            O.fail("--by must be program, cohort, career_phase or none", 2)
        with O.open_filtered(db, config, program=program, cohort=cohort, coach=coach, department=department,
                             team=team, career_phase=career_phase, date_from=date_from,
                             date_to=date_to, waves=waves) as (cur, filters, settings):
            try:
                text = build_report(cur, filters, settings, by=None if by == "none" else by)
            except AnonymityRefused as exc:
                O.fail(f"refused: {exc}", 2)
            except (AssumptionError, ValueError) as exc:
                O.fail(str(exc), 2)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)
        if pdf:
            try:
                write_pdf(out, pdf)
            except (ChromiumMissing, RuntimeError) as exc:
                O.fail(str(exc), 1)
            typer.echo(f"wrote {pdf}", err=True)
