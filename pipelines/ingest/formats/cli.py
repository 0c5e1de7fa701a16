"""`coachlens mapping ...`: commands for mapping files of survey-tool exports and HR extracts."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    mapping = typer.Typer(no_args_is_help=True, help="Mapping files for survey-tool exports and HR extracts.")

    @mapping.command("suggest")
    def suggest_cmd(
        file: Path = typer.Argument(..., help="A survey-tool export (Qualtrics, SurveyMonkey, Google Forms, MS Forms), "
                                              "or an HR / program extract in its own columns."),
        out: Optional[Path] = typer.Option(None, "--out", help="Write the mapping here (default: print it)."),
        fmt: Optional[str] = typer.Option(None, "--format", help="The tool, when detection fails."),
        instruments: Optional[Path] = typer.Option(None, "--instruments", help="Instrument TOML ($COACHLENS_INSTRUMENTS)."),
        entity: Optional[str] = typer.Option(None, "--entity", help="For an extract: people, programs, enrolments "
                                             "or sessions (default: from its name, else the one its columns "
                                             "fit best)."),
    ) -> None:
        """Write a starter mapping (review it!): question texts matched to the instrument item texts for a
        survey export; column names and status values matched to the canonical fields for an extract."""
        import tempfile

        from pipelines.config import ConfigError, load_instruments
        from pipelines.ingest.errors import RefusedFile
        from pipelines.ingest.formats.suggest import suggest

        try:
            with tempfile.TemporaryDirectory(prefix="coachlens-") as tmp:
                text = suggest(file, load_instruments(instruments), fmt=fmt, workdir=Path(tmp), entity=entity)
        except (ConfigError, RefusedFile) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1)
        if out is None:
            typer.echo(text, nl=False)
        else:
            if out.exists():
                typer.echo(f"error: {out} exists; not overwriting it", err=True)
                raise typer.Exit(1)
            out.write_text(text, encoding="utf-8")
            typer.echo(f"Wrote {out}: review every line before using it with `coachlens ingest --mapping {out}`.")

    app.add_typer(mapping, name="mapping")
