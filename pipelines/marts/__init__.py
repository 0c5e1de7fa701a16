"""Derived tables and marts, rebuilt in order at the end of every ingest run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import duckdb

MARTS_DIR = Path(__file__).parent


def depends_on(sql: str) -> set[str] | None:
    """The entities a mart file declares in a `-- depends on: a, b` line (None: rebuild always)."""
    for line in sql.splitlines():
        if line.lower().startswith("-- depends on:"):
            return {part.strip() for part in line.split(":", 1)[1].split(",") if part.strip()}
    return None


def rebuild(con: duckdb.DuckDBPyConnection, settings: Mapping, changed: set[str] | None = None) -> None:
    """Rebuild the marts in file order; with `changed` (the entities a run loaded), only those that
    depend on one of them."""
    waves = settings["waves"]
    params = {
        "baseline_before": waves["baseline_days_before"],
        "baseline_after": waves["baseline_days_after"],
        "post_around": waves["post_days_around"],
        "follow_up_after": waves["follow_up_days_after"],
    }
    for path in sorted(MARTS_DIR.glob("*.sql")):
        sql = path.read_text()
        deps = depends_on(sql)
        if changed is not None and deps is not None and not (deps & changed) and _built(con, sql):
            continue
        for statement in _statements(sql):
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, used) if used else con.execute(statement)


def _built(con, sql: str) -> bool:
    """Every table and view the file creates (temporary ones aside) exists already."""
    targets = re.findall(r"CREATE OR REPLACE (?:TABLE|VIEW) (\w+)", sql)
    have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return all(t in have for t in targets)


def missing(con: duckdb.DuckDBPyConnection) -> bool:
    """Some mart is not built (a new warehouse, or a migration dropped one): the next run rebuilds."""
    return not all(_built(con, path.read_text()) for path in sorted(MARTS_DIR.glob("*.sql")))


def _statements(sql: str) -> list[str]:
    """Split a file on semicolons that end a line (the marts hold no semicolons in strings)."""
    out, current = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--") and not current:
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            out.append("\n".join(current))
            current = []
    if "".join(current).strip():
        out.append("\n".join(current))
    return out
