"""The one place that opens the warehouse.

DuckDB allows one read-write process per file, or many read-only ones, never both. coachlens keeps
the dashboard and `coachlens ingest` out of each other's way by never writing the live file:

* a writer copies the live file to ``<db>.next-<pid>``, applies its whole run inside one
  transaction there, checkpoints, closes and ``os.replace()``s the copy over the live file;
* readers open the live file read-only, for a short time; a reader that opened the old file keeps
  reading the old inode until it reopens, and it reopens when ``data_version()`` changes.

So a kill -9 at any moment leaves the live file exactly as it was (at worst a stale ``.next-*``
copy, which the next writer removes), and the dashboard never blocks an ingest. A lock file
serialises writers.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path
from typing import Iterator

import duckdb

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


class WarehouseMissing(FileNotFoundError):
    """No warehouse at the path; the message says how to build one."""


class WarehouseBusy(RuntimeError):
    """Another writer holds the warehouse."""


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        number = int(path.name.split("_", 1)[0])
        found.append((number, path.stem, path.read_text()))
    return found


def apply_migrations(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every numbered migration not yet recorded in schema_version; return the version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    for number, name, sql in _migrations():
        if number in done:
            continue
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, ?, now()::TIMESTAMP)", [number, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return con.execute("SELECT max(version) FROM schema_version").fetchone()[0]


def open_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the full schema (tests, scratch work)."""
    con = duckdb.connect(":memory:", config=_CONFIG)
    apply_migrations(con)
    return con


def open_read_only(db: str | Path) -> duckdb.DuckDBPyConnection:
    db = Path(db)
    if not db.exists():
        raise WarehouseMissing(
            f"{db}: no warehouse here yet. Build one with `coachlens ingest sample_data/ --db {db}` "
            "(or `make run` for the demo)."
        )
    return duckdb.connect(str(db), read_only=True, config=_CONFIG)


def data_version(db: str | Path) -> str:
    """Changes whenever a writer swaps in a new file: inode, size and mtime of the live file."""
    try:
        st = os.stat(db)
    except FileNotFoundError:
        return "missing"
    return f"{st.st_ino}-{st.st_size}-{st.st_mtime_ns}"


@contextlib.contextmanager
def _writer_lock(db: Path) -> Iterator[None]:
    lock_path = db.with_name(db.name + ".lock")
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WarehouseBusy(f"{db}: another coachlens ingest is writing; try again when it ends") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class WriteSession:
    """What `writer()` yields: the connection, and whether the run changed anything."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.changed = True


@contextlib.contextmanager
def writer(db: str | Path) -> Iterator[WriteSession]:
    """A read-write connection on a private copy of the warehouse, swapped in on clean exit.

    The caller runs its work inside BEGIN/COMMIT on `session.con`; if the block raises, the copy
    is discarded and the live file is untouched. A caller that set `session.changed = False`
    (nothing new to load) leaves the live file, and so the dashboards' data version, as it was.
    """
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    with _writer_lock(db):
        for stale in db.parent.glob(db.name + ".next-*"):
            stale.unlink(missing_ok=True)
        work = db.with_name(f"{db.name}.next-{os.getpid()}")
        if db.exists():
            shutil.copyfile(db, work)
        con = duckdb.connect(str(work), config=_CONFIG)
        try:
            version_before = None
            if db.exists():
                version_before = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
            migrated = apply_migrations(con) != version_before
            session = WriteSession(con)
            yield session
            if not session.changed and not migrated:
                con.close()
                work.unlink(missing_ok=True)
                return
            con.execute("CHECKPOINT")
            con.close()
            with open(work, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(work, db)
            dir_fd = os.open(db.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except BaseException:
            with contextlib.suppress(Exception):
                con.close()
            for leftover in (work, work.with_name(work.name + ".wal")):
                leftover.unlink(missing_ok=True)
            raise
