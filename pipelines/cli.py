"""The `coachlens` command: a thin shell over library functions.

Every command is also a Python function (pipelines.ingest.run.ingest, pipelines.generate.generate,
...); this module only parses options, shows progress and prints reports. Further command groups
register themselves from their own modules (see `_register_extensions`).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.config import ConfigError, Paths, load_instruments, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="coachlens: analytics for organisational coaching programs.")
console = Console(stderr=False)
err = Console(stderr=True)

DbOption = typer.Option(None, "--db", help="Warehouse file (default $COACHLENS_DB or data/coachlens.duckdb).")
ConfigOption = typer.Option(None, "--config", help="Settings TOML overriding the defaults ($COACHLENS_CONFIG).")
InstrumentsOption = typer.Option(None, "--instruments", help="Instrument TOML ($COACHLENS_INSTRUMENTS).")


def fail(message: str, code: int = 1) -> None:
    # messages quote file names, columns and mapping tables ("[people]"): never read as markup
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


@app.command()
def init(db: Optional[Path] = typer.Option(None, "--db", hidden=True)) -> None:   # --db: accepted, not used
    """Create the pseudonymisation key file (mode 0600) if there is none: $COACHLENS_KEY_FILE, else
    secret.key in $XDG_CONFIG_HOME/coachlens (~/.config/coachlens). Not needed when COACHLENS_SECRET is set.
    Safe to run again."""
    from pipelines.ingest.pseudonymise import init_key

    paths = Paths.resolve(db)
    if paths.secret_from_env:
        console.print("COACHLENS_SECRET is set: that secret is used, no key file is needed.")
        return
    path, created = init_key(paths)
    console.print(f"{'Created' if created else 'Using existing'} key file {path} (mode 600). "
                  "Keep it safe and out of the warehouse: without it, new loads cannot be matched to old ones.")


@app.command()
def generate(
    out: Path = typer.Option(Path("sample_data"), "--out", help="Folder for the canonical files and truth.json."),
    people: int = typer.Option(2000, "--people", min=500, help="Number of people in the organisation (at least 500)."),
    seed: int = typer.Option(20261123, "--seed", help="Random seed (same seed, same files)."),
) -> None:
    """Write a synthetic organisation with planted, known effects (truth.json)."""
    from pipelines.generate import generate as run_generate

    # a folder of real files (people.csv ...) is never overwritten: only an empty one or an earlier output
    if out.is_dir() and any(out.iterdir()) and not (out / "truth.json").exists():
        fail(f"{out} holds files and no truth.json, so it is not an earlier 'coachlens generate' output: "
             "give an empty or new folder with --out", 2)

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("generating", total=None)

        def step(message: str, done: int | None = None, total: int | None = None) -> None:
            bar.update(task, description=message, completed=done, total=total)

        truth = run_generate(people=people, seed=seed, out=out, progress=step)
    console.print(f"Wrote {out}/ for {people:,} people (seed {seed}): {truth['counts']['coached_people']:,} coached "
                  f"in {len(truth['counts']['per_cohort'])} cohorts; planted effects in {out}/truth.json.")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files, or folders of files, to load."),
    db: Optional[Path] = DbOption,
    config: Optional[Path] = ConfigOption,
    instruments: Optional[Path] = InstrumentsOption,
    mapping: Optional[list[Path]] = typer.Option(None, "--mapping", help="Mapping file for survey-tool exports "
                                                 "and HR extracts (its people, enrolments ... tables); repeat it "
                                                 "for several files."),
    fmt: Optional[str] = typer.Option(None, "--format", help="Force a reader: canonical, qualtrics, surveymonkey, google_forms, ms_forms."),
    extract_date: Optional[str] = typer.Option(None, "--extract-date", help="The date the people (HR) extract "
                                               "was taken, YYYY-MM-DD: retention follows people up to it. "
                                               "Without it, the latest exit, response or begun enrolment."),
) -> None:
    """Validate, pseudonymise and load files. All or nothing: a refused file loads nothing."""
    from pipelines.ingest.errors import RefusedFile
    from pipelines.ingest.pseudonymise import KeyMissing, load_key
    from pipelines.ingest.run import BadExtractDate, KeyMismatch, ingest as run_ingest
    from pipelines.warehouse import WarehouseBusy

    paths_cfg = Paths.resolve(db)
    try:
        settings = load_settings(config)
        instr = load_instruments(instruments)
        key = load_key(paths_cfg)
        reader = _reader(mapping, fmt, instr)
        extract_day = _iso_date(extract_date, "--extract-date")
    except (ConfigError, KeyMissing, ValueError) as exc:
        fail(str(exc), 2)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} files"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("reading", total=None)

        def step(name: str, done: int, total: int) -> None:
            bar.update(task, description=escape(f"loading {name}"), completed=done, total=total)

        try:
            report = run_ingest(paths, paths_cfg.db, key, settings, instr, progress=step, reader=reader,
                                extract_date=extract_day)
        except RefusedFile as exc:
            fail(f"refused {exc}. Nothing was loaded; the warehouse is unchanged.", 1)
        except BadExtractDate as exc:
            fail(f"{exc}. Nothing was loaded.", 2)
        except (KeyMismatch, WarehouseBusy, ConfigError) as exc:
            fail(str(exc), 1)
    _print_report(report, paths_cfg.db)


def _iso_date(value: Optional[str], option: str):
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _reader(mapping: Optional[list[Path]], fmt: Optional[str], instruments):
    """The reader for this run: survey-tool exports are detected from each file (or taken from
    --format) and mapped by --mapping; canonical files go to the canonical reader."""
    from pipelines.ingest.formats import make_reader

    return make_reader(mapping=mapping, fmt=fmt, instruments=instruments)


def _shown_status(f) -> str:
    """A file's status in the load report; 'nothing loaded' where every row was quarantined."""
    return "nothing loaded" if f.status == "loaded_with_quarantine" and f.rows_loaded == 0 else f.status


def _print_report(report, db: Path) -> None:
    table = Table(title=escape(f"Load report (run {report.run_id}) -> {db}"))
    for col in ("file", "entity", "rows in", "loaded", "quarantined", "identifier columns dropped", "status"):
        table.add_column(col, justify="right" if col in ("rows in", "loaded", "quarantined") else "left")
    for f in report.files:
        table.add_row(escape(f.file), f.entity, f"{f.rows_in:,}", f"{f.rows_loaded:,}", f"{f.rows_quarantined:,}",
                      escape(", ".join(f.dropped_columns) or "-"), _shown_status(f))
    console.print(table)
    for f in report.files:
        if _shown_status(f) == "nothing loaded":
            console.print(escape(f"Nothing of {f.file} was loaded: all {f.rows_quarantined:,} rows were quarantined "
                                 "(the reasons are below). A mapping naming the wrong column or missing a recode "
                                 "does this: correct it and load the file again."), style="bold red", highlight=False)
    for f in report.files:
        for reason, n in f.reasons.most_common():
            console.print(escape(f"  {f.file}: {n:,} row{'s' if n != 1 else ''}: {reason}"), highlight=False)
        for note in f.notes:
            console.print(escape(f"  {f.file}: {note}"), highlight=False)
        if f.ignored_columns:
            console.print(escape(f"  {f.file}: columns not used: {', '.join(f.ignored_columns)}"), highlight=False)
    if report.extract_date_changed:
        console.print(escape(f"Extract date: {report.extract_date}." if report.extract_date else
                             "Extract date: dropped (it dated the previous people file); the data's as-of date is "
                             "now its latest exit, response or begun enrolment."), highlight=False)
    if report.extract_date_warning:
        console.print(escape(f"Warning: {report.extract_date_warning}"), style="yellow", highlight=False)
    if not report.changed and not report.extract_date_changed:
        console.print("Nothing new: every file was loaded before. The warehouse is unchanged.")
    if report.seconds:
        console.print("Took " + ", ".join(f"{phase} {s:.1f} s" for phase, s in report.seconds.items())
                      + " (open: copy the warehouse; load: read, check and insert every file; marts: rebuild the "
                      "derived tables; swap: commit, write and replace the warehouse file).", highlight=False)


@app.command()
def status(db: Optional[Path] = DbOption) -> None:
    """What is loaded: people, coached, cohorts, waves, recent loads, quarantine."""
    from pipelines.status import warehouse_status
    from pipelines.warehouse import WarehouseMissing

    try:
        st = warehouse_status(Paths.resolve(db).db)
    except WarehouseMissing as exc:
        fail(str(exc))
    summary = Table(title=escape(f"Warehouse {st['db']} (schema version {st['schema_version']})"), show_header=False)
    for label, value in st["counts"].items():
        summary.add_row(label, f"{value:,}" if isinstance(value, int) else escape(str(value)))
    console.print(summary)
    waves = Table(title="Responses per wave and cohort (a comparison person's response counts once for each "
                        "cohort it is compared with)")
    for col in ("wave", "coached", "comparison"):
        waves.add_column(col)
    for row in st["waves"]:
        waves.add_row(*(str(v) for v in row))
    console.print(waves)
    loads = Table(title="Last loads")
    for col in ("finished", "file", "entity", "rows in", "loaded", "quarantined", "status"):
        loads.add_column(col)
    for row in st["loads"]:
        loads.add_row(*(escape(str(v)) for v in row))
    console.print(loads)
    if st["quarantine"]:
        q = Table(title="Quarantine reasons")
        q.add_column("reason")
        q.add_column("rows", justify="right")
        for reason, n in st["quarantine"]:
            q.add_row(escape(str(reason)), f"{n:,}")
        console.print(q)


@app.command()
def quarantine(
    db: Optional[Path] = DbOption,
    file: Optional[str] = typer.Option(None, "--file", help="Only this file's rows (its name as loaded)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write every row to this CSV instead of showing them."),
    limit: int = typer.Option(50, "--limit", min=1, help="The most rows shown (without --out)."),
) -> None:
    """The quarantined rows of each file's latest load: file, row, column, value and reason, to fix in the file."""
    from dashboard.export_cli import to_safe_csv
    from pipelines.status import quarantined_rows
    from pipelines.warehouse import WarehouseMissing

    try:
        rows = quarantined_rows(Paths.resolve(db).db, file)
    except WarehouseMissing as exc:
        fail(str(exc))
    if out is not None:
        out.write_text(to_safe_csv(rows), encoding="utf-8")   # values as the files wrote them: formula-safe
        console.print(escape(f"wrote {len(rows):,} quarantined row problem(s) to {out}"), highlight=False)
        return
    if rows.empty:
        console.print("No quarantined rows" + (escape(f" in {file}'s latest load.") if file else " in any file's latest load."))
        return
    table = Table(title="Quarantined rows (each file's latest load; row 1 is the first data row under the header)")
    for col in rows.columns:
        table.add_column(col, justify="right" if col == "row" else "left")
    for r in rows.head(limit).itertuples(index=False):
        table.add_row(*(escape("" if v is None or v != v else str(v)) for v in r))
    console.print(table)
    if len(rows) > limit:
        console.print(f"{len(rows) - limit:,} more: --limit N shows more, --out FILE.csv writes every one.")


@app.command()
def dashboard(
    db: Optional[Path] = DbOption,
    port: int = typer.Option(8501, "--port"),
    address: str = typer.Option("127.0.0.1", "--address", help="Interface to serve on (loopback by default)."),
) -> None:
    """Start the Streamlit dashboard on the warehouse."""
    paths = Paths.resolve(db)
    env = dict(os.environ, COACHLENS_DB=str(paths.db.resolve()))
    entry = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    cmd = [sys.executable, "-m", "streamlit", "run", str(entry), "--server.port", str(port),
           "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    console.print(f"coachlens dashboard on http://{address}:{port} (warehouse {paths.db})")
    raise typer.Exit(subprocess.call(cmd, env=env))


def _register_extensions() -> None:
    """Command groups that live beside their library code (export, report, mapping, ...)."""
    for name in ("dashboard.export_cli", "pipelines.ingest.formats.cli", "dashboard.report_cli"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(app)


_register_extensions()

if __name__ == "__main__":
    app()
