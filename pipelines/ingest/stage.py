"""Stage one source into temp tables: `stage_<n>` (text) and `checked_<n>` (typed + problems).

Raw employee ids are pseudonymised in the very SELECT that reads the file, so they never sit in
any table, not even a temporary one. Identifier columns are never selected at all (a birth date
is read only to compute an age). Temp tables live in memory, never in the database file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import duckdb

from pipelines.ingest.pseudonymise import HMAC_SQL, Key
from pipelines.ingest.readers import SourceTable
from pipelines.ingest.schemas import SCHEMAS, compile_checks
from pipelines.scoring import item_problem_sql

MACROS = (Path(__file__).parent / "sql" / "macros.sql").read_text()


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    for statement in MACROS.split(";\n"):
        if statement.strip() and not all(l.strip().startswith("--") or not l.strip() for l in statement.splitlines()):
            con.execute(statement)


@dataclass
class Staged:
    stage: str           # temp table with _source_row, participant_key, canonical text columns
    checked: str         # temp table with _source_row, participant_key, typed columns, problems
    rows_in: int
    rejected: list[tuple[int, str]]   # (source_row, reason) for rows the CSV reader could not split


def stage(con: duckdb.DuckDBPyConnection, src: SourceTable, n: int, key: Key,
          instruments: Mapping, settings: Mapping) -> Staged:
    stage_name, checked_name = f"stage_{n}", f"checked_{n}"
    select = ["_source_row"]
    for i, name in src.columns.items():
        col = f"col_{i}"
        if SCHEMAS[src.entity].columns.get(name) is not None and SCHEMAS[src.entity].columns[name].metadata["parse"] == "id":
            select.append(f"CASE WHEN cl_blank({col}) THEN NULL ELSE {HMAC_SQL.format(col=col)} END AS participant_key")
        else:
            select.append(f"trim({col}) AS {name}")
    if src.birth_date_column is not None:
        select.append(f"trim(col_{src.birth_date_column}) AS _birth_date")
    # rows with every kept cell blank (Excel's trailing rows) are not data rows
    non_blank = " OR ".join(f"NOT cl_blank(col_{i})" for i in src.columns) or "TRUE"
    params = dict(key.pads)
    rejected: list[tuple[int, str]] = []
    if src.csv_path is not None:
        width = len(src.header)
        types = "{" + ", ".join(f"'col_{i}': 'VARCHAR'" for i in range(width)) + "}"
        reader = (f"read_csv($path, header=false, skip=1, delim=$delim, quote='\"', escape='\"', "
                  f"columns={types}, null_padding=false, store_rejects=true, "
                  f"rejects_table='cl_rejects_{n}', rejects_scan='cl_scans_{n}', auto_detect=false, "
                  f"strict_mode=true)")
        params.update({"path": str(src.csv_path), "delim": src.csv_delim})
        source = f"(SELECT row_number() OVER () AS _source_row, * FROM {reader})"
    else:
        con.register(f"arrow_{n}", src.arrow)
        source = f"arrow_{n}"
    sql = f"CREATE OR REPLACE TEMP TABLE {stage_name} AS SELECT {', '.join(select)} FROM {source} WHERE {non_blank}"
    con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
    if src.csv_path is not None:
        rejected = _renumber_after_rejects(con, stage_name, n)
    rows_in = con.execute(f"SELECT count(*) FROM {stage_name}").fetchone()[0]
    _check(con, src, stage_name, checked_name, instruments, settings)
    return Staged(stage_name, checked_name, rows_in + len(rejected), rejected)


def _renumber_after_rejects(con, stage_name: str, n: int) -> list[tuple[int, str]]:
    """Rows the CSV reader rejected are missing from the numbering; give good rows their real row."""
    try:
        rejects = con.execute(
            f"SELECT DISTINCT line - 1 AS data_row, error_type FROM cl_rejects_{n} ORDER BY data_row"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    if not rejects:
        return []
    con.execute(f"CREATE OR REPLACE TEMP TABLE rejected_rows_{n} AS "
                f"SELECT DISTINCT line - 1 AS data_row FROM cl_rejects_{n}")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {stage_name} AS
        WITH total AS (SELECT (SELECT coalesce(max(_source_row), 0) FROM {stage_name}) + (SELECT count(*) FROM rejected_rows_{n}) AS t),
        good AS (
            SELECT g.i AS data_row, row_number() OVER (ORDER BY g.i) AS k
            FROM range(1, (SELECT t FROM total) + 1) g(i)
            ANTI JOIN rejected_rows_{n} r ON r.data_row = g.i
        )
        SELECT good.data_row AS _source_row, s.* EXCLUDE (_source_row)
        FROM {stage_name} s JOIN good ON good.k = s._source_row"""
    )
    reasons = {"TOO MANY COLUMNS": "the row has more fields than the header",
               "MISSING COLUMNS": "the row has fewer fields than the header",
               "UNQUOTED VALUE": "a quote inside an unquoted value",
               "INVALID ENCODING": "bytes that are not valid UTF-8",
               "LINE SIZE OVER MAXIMUM": "a line longer than the reader allows"}
    return [(row, reasons.get(kind, kind.lower())) for row, kind in rejects]


def _check(con, src: SourceTable, stage_name: str, checked_name: str, instruments, settings) -> None:
    present = set(src.columns.values())
    conv = _date_conventions(con, src, stage_name, present, settings)
    cols = compile_checks(src.entity, present, conv)
    has_person = "employee_id" in SCHEMAS[src.entity].columns
    select = ["s._source_row"] + (["s.participant_key"] if has_person else [])
    problems = []
    for c in cols:
        select.append(f"{c.typed} AS {c.name}")
        problems.extend(c.problems)
    if src.entity == "survey":
        typed, item_problems = item_problem_sql(instruments, present)
        select.extend(f"{expr} AS {name}" for name, expr in typed.items())
        problems.extend(item_problems)
    if src.birth_date_column is not None:
        dob = "cl_parse_date(s._birth_date, 'none')"
        select.append(f"CASE WHEN {dob} <= current_date THEN date_diff('year', {dob}, current_date) "
                      f"- (strftime({dob}, '%m%d') > strftime(current_date, '%m%d'))::INTEGER END AS _age_from_birth")
    if has_person:
        problems.append("CASE WHEN s.participant_key IS NULL THEN {'column_name': 'employee_id', "
                        "'value': NULL::VARCHAR, 'reason': 'employee_id is required but blank'} END")
    problem_list = "list_filter([" + ", ".join(problems) + "], lambda p: p IS NOT NULL)" if problems else "[]"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {checked_name} AS "
        f"SELECT {', '.join(select)}, {problem_list} AS problems FROM {stage_name} s"
    )


def _date_conventions(con, src: SourceTable, stage_name: str, present: set[str], settings) -> dict[str, str]:
    """A column where some slash date has a first part above 12 (and none a second part above 12)
    is day-first throughout, and the other way round; otherwise the config decides."""
    forced = settings["dates"].get("ambiguous", "reject")
    out = {}
    for name, col in SCHEMAS[src.entity].columns.items():
        if name not in present or col.metadata["parse"] not in ("date", "timestamp"):
            continue
        if forced in ("dayfirst", "monthfirst"):
            out[name] = forced
            continue
        day, month = con.execute(
            f"SELECT count(*) FILTER (WHERE cl_slash_order({name}, 'none') = 'dayfirst'), "
            f"count(*) FILTER (WHERE cl_slash_order({name}, 'none') = 'monthfirst') FROM {stage_name}"
        ).fetchone()
        out[name] = "dayfirst" if day and not month else "monthfirst" if month and not day else "none"
    return out
