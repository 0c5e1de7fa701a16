"""One ingest run: every file of the run is loaded in one transaction, or nothing is.

`ingest()` is what `coachlens ingest` calls and what tests call. Files are taken in dependency
order (programs, people, enrolments, sessions, surveys); a file already loaded (same sha256) is
skipped; the first refused file rolls the whole run back and is re-raised with its message.
`extract_date` (the date the people extract was taken) is recorded as warehouse_meta.extract_date,
the date retention follows people to (dashboard/queries/sql/common.py AS_OF_SQL).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

from pipelines import marts
from pipelines.config import all_item_codes
from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.load import FileReport, cross_row_checks, load_again, load_rows, quarantine, waiting_files
from pipelines.ingest.pseudonymise import Key
from pipelines.ingest.readers import ENTITIES, SourceTable, read_canonical
from pipelines.ingest.stage import create_macros, stage
from pipelines.scoring import unscorable
from pipelines.warehouse import writer

INPUT_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".parquet"}


class KeyMismatch(RuntimeError):
    pass


class BadExtractDate(ValueError):
    """An extract date that cannot be the day the people extract was taken. Nothing is loaded."""


@dataclass
class RunReport:
    run_id: str
    files: list[FileReport] = field(default_factory=list)
    # wall-clock seconds per phase: open (copy the warehouse for the atomic swap), load (read, check,
    # quarantine, insert every file), marts (rebuild the derived tables), swap (commit, checkpoint,
    # replace the live file)
    seconds: dict[str, float] = field(default_factory=dict)
    # warehouse_meta.extract_date after the run (None: not recorded) and whether the run changed it
    extract_date: str | None = None
    extract_date_changed: bool = False
    # what the recorded extract date contradicts in the data (exits after it), said beside it
    extract_date_warning: str | None = None

    @property
    def changed(self) -> bool:
        return any(f.status != "unchanged" for f in self.files)


def expand(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in INPUT_SUFFIXES))
        else:
            out.append(p)
    return out


Reader = Callable[[Path, set, Path], SourceTable]


def ingest(paths: Iterable[str | Path], db: str | Path, key: Key, settings: Mapping, instruments: Mapping,
           progress: Callable[[str, int, int], None] | None = None,
           reader: Reader | None = None, extract_date: dt.date | None = None) -> RunReport:
    """Load `paths` into the warehouse at `db`. Raises RefusedFile (nothing loaded) on a bad file, and
    BadExtractDate on an extract date after today (an extract cannot be taken in the future; retention would
    count the days up to it as survived)."""
    if extract_date is not None and extract_date > dt.date.today():
        raise BadExtractDate(f"--extract-date {extract_date.isoformat()} is after today ({dt.date.today().isoformat()}): "
                         "give the date the people extract was taken")
    files = expand(paths)
    if not files:
        raise RefusedFile(Path(str(next(iter(map(str, paths)), "."))), "CSV, XLSX or Parquet files", "none")
    items = set(all_item_codes(instruments))
    report = RunReport(run_id=uuid.uuid4().hex[:12])
    read = reader or (lambda path, codes, workdir: read_canonical(path, codes, workdir))
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coachlens-") as workdir, writer(db) as session:
        con = session.con
        report.seconds["open"] = time.perf_counter() - clock
        clock = time.perf_counter()
        con.execute("BEGIN")
        try:
            _check_key(con, key)
            create_macros(con)
            sources = [read(path, items, Path(workdir)) for path in files]
            sources.sort(key=lambda s: (ENTITIES.index(s.entity), s.path.name))
            loaded = {r[0] for r in con.execute("SELECT file_sha256 FROM load_batches").fetchall()}
            waiting = waiting_files(con)   # loaded before with rows waiting for their person or program
            for n, src in enumerate(sources):
                if progress:
                    progress(src.path.name, n, len(sources))
                fr = FileReport(src.path.name, src.entity, src.source_format,
                                dropped_columns=list(src.dropped_columns),
                                ignored_columns=list(src.ignored_columns), notes=list(src.notes))
                report.files.append(fr)
                sha = src.sha256
                if sha in loaded and not load_again(con, waiting.pop(sha, None), fr):
                    fr.status = "unchanged"
                    fr.notes.append("already loaded (same sha256): skipped")
                    continue
                loaded.add(sha)
                _load_one(con, src, sha, n, fr, key, settings, instruments, report.run_id, extract_date)
            if progress:
                progress("marts", len(sources), len(sources))
            _record_extract_date(con, extract_date, report)
            report.seconds["load"] = time.perf_counter() - clock
            clock = time.perf_counter()
            if report.changed or marts.missing(con):
                marts.rebuild(con, settings, changed={f.entity for f in report.files if f.status != "unchanged"})
                report.seconds["marts"] = time.perf_counter() - clock
                clock = time.perf_counter()
                con.execute("COMMIT")
            elif report.extract_date_changed:
                report.seconds["marts"] = 0.0    # only the date changed: no mart reads it
                clock = time.perf_counter()
                con.execute("COMMIT")
            else:
                con.execute("ROLLBACK")
                session.changed = False
                report.seconds["marts"] = 0.0
                clock = time.perf_counter()
        except BaseException:
            con.execute("ROLLBACK")
            raise
    report.seconds["swap"] = time.perf_counter() - clock
    return report


def _check_key(con, key: Key) -> None:
    rows = con.execute("SELECT value FROM warehouse_meta WHERE key = 'key_fingerprint'").fetchall()
    row = rows[0] if rows else None
    if row is None:
        con.execute("INSERT INTO warehouse_meta VALUES ('key_fingerprint', ?)", [key.fingerprint])
    elif row[0] != key.fingerprint:
        raise KeyMismatch(
            "this warehouse was built with a different pseudonymisation key: the same people would get "
            "new participant keys. Use the original key (COACHLENS_SECRET or the key file), or build a new warehouse."
        )


def _record_extract_date(con, extract_date: dt.date | None, report: RunReport) -> None:
    """Record the people extract's date (on `report` too). A run that loads a new people
    file without a date drops the recorded one: it dated the previous extract, and following people
    only up to it would ignore the exits the new extract knows (the as-of date then falls back to the
    latest event in the data)."""
    before = con.execute("SELECT value FROM warehouse_meta WHERE key = 'extract_date'").fetchall()
    if extract_date is not None:
        con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES ('extract_date', ?)", [extract_date.isoformat()])
    elif any(f.entity == "people" and f.status != "unchanged" for f in report.files):
        con.execute("DELETE FROM warehouse_meta WHERE key = 'extract_date'")
    after = con.execute("SELECT value FROM warehouse_meta WHERE key = 'extract_date'").fetchall()
    report.extract_date = after[0][0] if after else None
    report.extract_date_changed = before != after
    if report.extract_date is not None:
        # an extract knows no exit after the day it was taken, but planned ones: an exit after it is planned
        # or says the date is wrong, and retention stops following everyone at it either way
        later, last = con.execute("SELECT count(*), max(exit_date) FROM people WHERE exit_date > ?::DATE",
                                  [report.extract_date]).fetchall()[0]
        if later:
            report.extract_date_warning = (
                f"{later:,} {'person has' if later == 1 else 'people have'} an exit date after the extract date {report.extract_date} (the latest "
                f"{last}): retention follows everyone only up to the extract date, so those exits are not "
                "counted. If they are not planned exits, give the extract's real date with --extract-date.")


def _load_one(con, src: SourceTable, sha: str, n: int, fr: FileReport, key: Key, settings, instruments,
              run_id: str, extract_date: dt.date | None = None) -> None:
    started = dt.datetime.now()
    batch_id = con.execute("SELECT nextval('batch_id_seq')").fetchall()[0][0]
    # ages from birth dates are the ages on the day the extract was taken: an old extract read today
    # would put everyone years older (and into a later career phase)
    staged = stage(con, src, n, key, instruments, settings, age_on=extract_date)
    if src.entity == "survey":
        fr.notes.extend(unscorable(instruments, set(src.columns.values())))
    if src.birth_date_column is not None and extract_date is None:
        fr.notes.append(f"ages from {src.header[src.birth_date_column]} reckoned at today's date ({dt.date.today()}); "
                        "for an older extract give its date with --extract-date")
    cross_row_checks(con, src, staged, settings)
    fr.rows_in = staged.rows_in
    fr.rows_quarantined, fr.reasons = quarantine(con, staged, batch_id)
    fr.rows_loaded, fr.rows_replaced = load_rows(con, src, staged, batch_id, settings, instruments, run_id)
    if src.entity == "people":
        planned = con.execute("SELECT count(*) FROM people WHERE batch_id = ? AND exit_date > current_date",
                              [batch_id]).fetchall()[0][0]
        if planned:
            fr.notes.append(f"{planned} planned exit date(s) after today: those people count as employed until then")
    if fr.rows_replaced:
        fr.notes.append(f"replaced {fr.rows_replaced} row(s) loaded earlier"
                        + (" (its survey_id's earlier responses)" if src.entity == "survey" else " (same key)"))
    fr.status = "loaded_with_quarantine" if fr.rows_quarantined else "loaded"
    con.execute(
        "INSERT INTO load_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [batch_id, run_id, src.path.name, sha, src.entity, src.source_format, fr.rows_in, fr.rows_loaded,
         fr.rows_quarantined, fr.dropped_columns, started, dt.datetime.now(), fr.status],
    )
    for t in (staged.stage, staged.checked, staged.problems):
        con.execute(f"DROP TABLE IF EXISTS {t}")
