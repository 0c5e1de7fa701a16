"""Derived tables and marts, rebuilt in order at the end of every ingest run."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import duckdb

MARTS_DIR = Path(__file__).parent


def rebuild(con: duckdb.DuckDBPyConnection, settings: Mapping) -> None:
    waves = settings["waves"]
    params = {
        "baseline_before": waves["baseline_days_before"],
        "baseline_after": waves["baseline_days_after"],
        "post_around": waves["post_days_around"],
        "follow_up_after": waves["follow_up_days_after"],
    }
    for path in sorted(MARTS_DIR.glob("*.sql")):
        sql = path.read_text()
        for statement in _statements(sql):
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, used) if used else con.execute(statement)


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
