"""Read access to the warehouse for the query layer and the dashboard.

Ingest never writes the live file: it builds a copy and swaps it in with os.replace() (see
pipelines.warehouse.connection). So readers open the live file read-only, never block a writer,
and notice a new load through `data_version()`, which changes with every swap. `Reader` keeps one
read-only connection per data version and hands each caller its own cursor (DuckDB's rule for
threads: one connection, a cursor per thread).
"""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path

import duckdb

from pipelines.config import Paths
from pipelines.warehouse import data_version, open_read_only

_CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}

# the warehouse file and data version each Reader cursor reads (a cursor reads one version all its life)
_VERSION_OF: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, str]" = weakref.WeakKeyDictionary()


def version_of(cur) -> str | None:
    """The warehouse file and data version a Reader cursor reads; None for any other connection (the
    query layer then keeps nothing beyond one view call)."""
    try:
        return _VERSION_OF.get(cur)
    except TypeError:   # not weakly referenceable: not a Reader cursor
        return None


def older_warehouse(exc: Exception, db: str | Path) -> str:
    """What to say when a table the query layer reads is missing (duckdb.CatalogException): the warehouse
    was built by an older coachlens, and loading the files again builds what it lacks."""
    return (f"This warehouse was built by an older version of coachlens and lacks a table the dashboard "
            f"needs ({str(exc).splitlines()[0]}). Rebuild it by loading your files again:\n\n"
            f"    coachlens ingest path/to/files/ --db {db}")


def default_db() -> Path:
    return Paths.resolve(os.environ.get("COACHLENS_DB")).db


class Reader:
    """A read-only connection to the current warehouse file, reopened after each swap.

    DuckDB keeps one database instance per path within a process: while any connection or cursor
    to the old file lives, `duckdb.connect(path)` would hand back that old instance (the replaced
    inode). So each data version is ATTACHed read-only to its own in-memory instance, which always
    opens the file now at the path; cursors get `USE wh`, so unqualified table names work. An old
    instance is freed when its last cursor is gone.
    """

    def __init__(self, db: str | Path):
        self.db = Path(db)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: str | None = None
        self._label: str | None = None   # what version_of() says for the connection's cursors

    @property
    def version(self) -> str:
        return data_version(self.db)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the newest warehouse; raises WarehouseMissing when there is none."""
        with self._lock:
            current = data_version(self.db)
            if self._con is None or current != self._version:
                if not self.db.exists():
                    open_read_only(self.db)  # raises WarehouseMissing with the how-to message
                # The old connection is not closed here: cursors handed out earlier may still be
                # running on it. It is freed (and the replaced file with it) when they are done.
                con = duckdb.connect(":memory:", config=dict(_CONFIG))
                con.execute("ATTACH ? AS wh (READ_ONLY)", [str(self.db)])
                self._con, self._version = con, current
                # a swap between reading the version and the ATTACH leaves the connection unlabelled
                self._label = f"{self.db.resolve()}@{current}" if data_version(self.db) == current else None
            cur = self._con.cursor()
            if self._label is not None:
                _VERSION_OF[cur] = self._label
        cur.execute("USE wh")
        return cur
