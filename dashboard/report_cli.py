"""`coachlens report --out FILE.html [--pdf FILE.pdf] [filters]`: the sponsor report (dashboard.report).

Registered by pipelines/cli.py through `register(app)`. A refused selection (anonymity rule 3) exits
with code 2 and the reason; a missing chromium for --pdf exits with code 1 and how to install it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        out: Path = typer.Option(..., "--out", help="The HTML report to write (self-contained, works offline)."),
        pdf: Optional[Path] = typer.Option(None, "--pdf", help="Also print it to this PDF (needs /usr/bin/chromium)."),
        by: str = typer.Option("program", "--by", help="ROI breakdown: program, cohort, career_phase or none."),
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
    ) -> None:
        """Write the sponsor report: headline ROI with its interval, charts, method, assumptions, anonymity rules."""
        from dashboard.anonymity import AnonymityRefused
        from dashboard.filters import InvalidFilter, cli_filters
        from dashboard.report import ChromiumMissing, build_report, write_pdf
        from dashboard.roi.model import AssumptionError
        from pipelines.config import ConfigError, Paths, load_settings
        from pipelines.warehouse import WarehouseMissing, open_read_only

        def fail(msg: str, code: int) -> None:
            typer.echo(f"error: {msg}", err=True)
            raise typer.Exit(code)

        if by not in ("program", "cohort", "career_phase", "none"):
            fail("--by must be program, cohort, career_phase or none", 2)
        try:
            settings = load_settings(config)
            con = open_read_only(Paths.resolve(db).db)
        except (ConfigError, WarehouseMissing) as exc:
            fail(str(exc), 1)
        try:
            cur = con.cursor()
            filters = cli_filters(cur, program=program, cohort=cohort, coach=coach, department=department,
                                  team=team, career_phase=career_phase, date_from=date_from, date_to=date_to)
            text = build_report(cur, filters, settings, by=None if by == "none" else by)
        except AnonymityRefused as exc:
            fail(f"refused: {exc}", 2)
        except (InvalidFilter, AssumptionError, ValueError) as exc:
            fail(str(exc), 2)
        finally:
            con.close()
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)
        if pdf:
            try:
                write_pdf(out, pdf)
            except ChromiumMissing as exc:
                fail(str(exc), 1)
            except RuntimeError as exc:
                fail(str(exc), 1)
            typer.echo(f"wrote {pdf}", err=True)
