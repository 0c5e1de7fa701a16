"""Stage one source into temp tables: `stage_<n>` (text) and `checked_<n>` (typed + problems).

Raw employee ids are pseudonymised in the very SELECT that reads the file, so they never sit in
any table, not even a temporary one. Identifier columns are never selected at all (a birth date
is read only to compute an age). Temp tables live in memory, never in the database file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import duckdb

from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.pseudonymise import HMAC_SQL, TRIM_ID_SQL, Key
from pipelines.ingest.containers import neutralise
from pipelines.ingest.readers import SourceTable
from pipelines.ingest.schemas import SCHEMAS, Problem, compile_checks
from pipelines.scoring import MEASURE_COLUMNS, item_problem_sql, score_sql

MACROS = (Path(__file__).parent / "sql" / "macros.sql").read_text()


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    for statement in MACROS.split(";\n"):
        if statement.strip() and not all(l.strip().startswith("--") or not l.strip() for l in statement.splitlines()):
            con.execute(statement)


@dataclass
class Staged:
    stage: str           # temp table with _source_row, participant_key, canonical text columns
    checked: str         # temp table with _source_row, participant_key, typed columns, _bad
    problems: str        # temp table: _source_row, column_name, value, reason (one row a problem)
    rows_in: int
    # (source_row, column, value, reason) for rows the CSV reader could not split or cast
    rejected: list[tuple[int, str | None, str | None, str]]
    numeric_items: bool = False       # answers were cast by the CSV reader (stage holds n_<code>)

    @property
    def rejected_rows(self) -> int:
        return len({r[0] for r in self.rejected})


def stage(con: duckdb.DuckDBPyConnection, src: SourceTable, n: int, key: Key,
          instruments: Mapping, settings: Mapping, age_on: dt.date | None = None) -> Staged:
    """The file read into a temporary table (ids pseudonymised), typed and checked (see _check). `age_on`:
    the date ages from birth dates are reckoned at, the extract's date (None: today)."""
    stage_name, checked_name = f"stage_{n}", f"checked_{n}"
    schema = SCHEMAS[src.entity].columns
    # Answers in a CSV are cast to numbers by DuckDB's reader itself (a value that is not a number
    # makes the reader reject the row, and the rejection is quarantined with its column and value).
    # A file whose numbers may carry a decimal comma (';', tab, pipe) is read as text and its
    # answers parsed in SQL (cl_number), which takes 5.0 and 5,0 alike where they are unambiguous.
    numeric = src.csv_path is not None and src.entity == "survey" and src.decimal == "dot"
    select = ["_source_row"]
    params_recode: dict[str, list[str]] = {}
    for i, name in src.columns.items():
        col = f"col_{i}"
        if schema.get(name) is not None and schema[name].metadata["parse"] == "id":
            select.append(f"CASE WHEN coalesce({TRIM_ID_SQL.format(col=col)}, '') = '' THEN NULL "
                          f"ELSE {HMAC_SQL.format(col=col)} END AS participant_key")
        elif numeric and name not in schema:
            select.append(f"{col} AS n_{name}")
        else:
            # readers of other formats guard their cells; CSV cells are guarded here
            text = f"cl_safe(trim({col}))" if src.csv_path is not None else f"trim({col})"
            if name in src.recodes:
                # the mapping's value recode, bound as two lists (the file's values are never SQL)
                keys, targets = f"recode_keys_{i}_", f"recode_targets_{i}_"
                params_recode[keys] = list(src.recodes[name])
                params_recode[targets] = [neutralise(t) for t in src.recodes[name].values()]
                text = (f"coalesce(list_extract(${targets}::VARCHAR[], "
                        f"list_position(${keys}::VARCHAR[], lower(trim({col})))), {text})")
            select.append(f"{text} AS {name}")
    if src.birth_date_column is not None:
        select.append(f"trim(col_{src.birth_date_column}) AS _birth_date")
    # rows with every kept cell blank (Excel's trailing rows) are not data rows
    non_blank = " OR ".join(f"col_{i} IS NOT NULL" if numeric and name not in schema else f"NOT cl_blank(col_{i})"
                            for i, name in src.columns.items()) or "TRUE"
    params = dict(key.pads) | params_recode
    rejected: list[tuple[int, str]] = []
    if src.csv_path is not None:
        width = len(src.header)
        kinds = {i: "DOUBLE" if numeric and src.columns.get(i) not in (None, *schema) else "VARCHAR"
                 for i in range(width)}
        types = "{" + ", ".join(f"'col_{i}': '{kind}'" for i, kind in kinds.items()) + "}"
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
    try:
        con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
    except duckdb.InvalidInputException as exc:
        if src.csv_path is None:
            raise
        # the reader gave up on the file as a whole (the rows it can read alone are quarantined)
        first = next((l.strip() for l in str(exc).splitlines() if l.strip()), "an error")
        raise RefusedFile(src.path, "a CSV file DuckDB's reader can read",
                          f"text it cannot read ({first[:200]})") from None
    if src.csv_path is not None:
        rejected = _renumber_after_rejects(con, stage_name, n, src, instruments)
    rows_in = con.execute(f"SELECT count(*) FROM {stage_name}").fetchall()[0][0]
    staged = Staged(stage_name, checked_name, f"problems_{n}", rows_in, rejected, numeric)
    staged.rows_in += staged.rejected_rows
    if staged.rows_in == 0:
        # rows of empty cells only (",,", " , ") are no data: the file is a header-only one
        raise RefusedFile(src.path, "at least one data row under the header",
                          "a header and no data rows (only empty rows under it)", row=2)
    _check(con, src, staged, instruments, settings, age_on)
    return staged


_REJECT_REASONS = {
    "TOO MANY COLUMNS": "the row has more fields than the header",
    "MISSING COLUMNS": "the row has fewer fields than the header",
    "UNQUOTED VALUE": "a quote inside an unquoted value",
    "INVALID ENCODING": "bytes that are not valid UTF-8",
    "LINE SIZE OVER MAXIMUM": "a line longer than the reader allows",
}


def _has_blank_lines(path: Path) -> bool:
    """Whether an empty line stands between rows (DuckDB's reader skips it, so rows after it would
    be numbered one short); a byte search, no per-row work."""
    body = Path(path).read_bytes().rstrip(b"\r\n")
    return b"\n\n" in body or b"\n\r\n" in body


def _non_blank_rows_sql(n: int, path_param: str) -> str:
    """The data rows (the row a spreadsheet shows, header excluded) that are not empty lines, as a
    table `data_row`, worked out in SQL over the file's lines: a line starts a row unless an odd
    number of quotes before it leaves a quoted value open (a value spanning lines is one row)."""
    return f"""
        WITH lines AS (
            SELECT generate_subscripts(a, 1) AS i, unnest(a) AS l
            FROM (SELECT string_split(content, chr(10)) AS a FROM read_text(${path_param}))
        ), parity AS (
            SELECT i, l, coalesce(sum(length(l) - length(replace(l, '"', ''))) OVER
                       (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) % 2 = 0 AS starts
            FROM lines
        ), records AS (
            SELECT l, sum(starts::INTEGER) OVER (ORDER BY i) - 1 AS data_row FROM parity WHERE starts
        )
        SELECT data_row FROM records WHERE data_row >= 1 AND rtrim(l, chr(13)) <> ''"""


def _renumber_after_rejects(con, stage_name: str, n: int, src: SourceTable, instruments) -> list:
    """Rows the CSV reader rejected, and empty lines it skipped, are missing from the numbering; give
    good rows their real row (the row a spreadsheet shows, less the header), and return the
    rejections as (row, column, value, reason). A quote that opens and never closes (the reader
    reads the rest of the file as one value) refuses the file, naming the row where it opens."""
    try:
        rejects = con.execute(f"""
            SELECT line - 1 AS data_row, column_name, error_type,
                   regexp_extract(error_message, 'Could not convert string "(.*)" to', 1) AS value,
                   error_type = 'UNQUOTED VALUE' AND contains(error_message, 'unterminated quote')
                       AND contains(rtrim(csv_line, chr(10) || chr(13)), chr(10)) AS swallows,
                   length(rtrim(csv_line, chr(10) || chr(13))) - length(replace(rtrim(csv_line, chr(10) || chr(13)), chr(10), '')) AS more
            FROM cl_rejects_{n} ORDER BY data_row""").fetchall()
    except duckdb.CatalogException:
        rejects = []
    for row, _, _, _, swallows, more in rejects:
        if swallows:
            raise RefusedFile(src.path, "every quoted value closed in its row",
                              f"a quote that opens in this row and is never closed: the {more} line(s) after it "
                              "would be read as part of one value (fix or remove the quote)", row=row + 1)
    blanks = _has_blank_lines(src.csv_path)
    if not rejects and not blanks:
        return []
    con.execute(f"CREATE OR REPLACE TEMP TABLE rejected_rows_{n} (data_row BIGINT)")
    if rejects:
        con.execute(f"INSERT INTO rejected_rows_{n} SELECT DISTINCT line - 1 AS data_row FROM cl_rejects_{n}")
    if blanks:
        rows = _non_blank_rows_sql(n, "path")
    else:
        rows = (f"SELECT g.i AS data_row FROM range(1, (SELECT coalesce(max(_source_row), 0) FROM {stage_name}) "
                f"+ (SELECT count(*) FROM rejected_rows_{n}) + 1) g(i)")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {stage_name} AS
        WITH good AS (
            SELECT g.data_row, row_number() OVER (ORDER BY g.data_row) AS k
            FROM ({rows}) g
            ANTI JOIN rejected_rows_{n} r ON r.data_row = g.data_row
        )
        SELECT good.data_row AS _source_row, s.* EXCLUDE (_source_row)
        FROM {stage_name} s JOIN good ON good.k = s._source_row""",
        {"path": str(src.csv_path)} if blanks else None
    )
    scales = {code: (spec["scale_min"], spec["scale_max"]) for spec in instruments.values() for code in spec["items"]}
    out = []
    for row, column, kind, value, *_ in rejects:
        name = src.columns.get(int(column[4:])) if column and column.startswith("col_") else None
        if kind == "CAST" and name in scales:
            lo, hi = scales[name]
            value = neutralise(value)
            out.append((row, name, value[:200], f'not a number on the {lo}-{hi} scale, nor a label in its label set: "{value[:60]}"'))
        else:
            out.append((row, None, None, _REJECT_REASONS.get(kind, kind.lower())))
    return out


def _check(con, src: SourceTable, staged: "Staged", instruments, settings, age_on: dt.date | None = None) -> None:
    """Type every column in one pass and flag bad rows; spell out problems for the bad rows only.

    The typed table carries `_bad`, the OR of every check; the (column, value, reason) problems are
    computed afterwards over the few flagged rows, so a clean file pays for one cheap pass.
    """
    present = set(src.columns.values())
    conv = _date_conventions(con, src, staged.stage, present, settings)
    cols = compile_checks(src.entity, present, conv, src.decimal)
    has_person = "employee_id" in SCHEMAS[src.entity].columns
    select = ["s._source_row"] + (["s.participant_key"] if has_person else [])
    problems: list[Problem] = []
    source = staged.stage
    for c in cols:
        select.append(f"{c.typed} AS {c.name}")
        problems.extend(c.problems)
    if src.entity == "survey":
        numbers, typed, item_problems = item_problem_sql(instruments, present, staged.numeric_items,
                                                            src.decimal)
        select.extend(f"{expr} AS {name}" for name, expr in typed.items())
        problems.extend(item_problems)
        if numbers:  # each answer is parsed once, in a view the checks read
            source = f"num_{staged.stage}"
            con.execute(f"CREATE OR REPLACE TEMP VIEW {source} AS SELECT s.*, "
                        + ", ".join(f"{expr} AS {name}" for name, expr in numbers.items())
                        + f" FROM {staged.stage} s")
    if src.birth_date_column is not None:
        dob = f"cl_parse_date(s._birth_date, '{conv.get('_birth_date', 'none')}')"
        on = f"DATE '{age_on.isoformat()}'" if age_on is not None else "current_date"   # a date, never text
        select.append(f"CASE WHEN {dob} <= {on} THEN date_diff('year', {dob}, {on}) "
                      f"- (strftime({dob}, '%m%d') > strftime({on}, '%m%d'))::INTEGER END AS _age_from_birth")
    if has_person:
        problems.append(Problem("s.participant_key IS NULL", "employee_id", "NULL",
                                "'employee_id is required but blank'"))
    bad = " OR ".join(f"coalesce({p.cond}, false)" for p in problems) or "false"
    typed_rows = f"SELECT {', '.join(select)}, ({bad}) AS _bad FROM {source} s"
    if src.entity == "survey":
        # a survey row is kept as its scale scores and the count of items answered, not as its ~60
        # answers: what the loader stores, computed in the same pass, and a quarter of the columns
        items = list(typed)
        scores = score_sql(instruments)
        typed_rows = (f"SELECT t.* EXCLUDE ({', '.join(items)}), "
                      f"{' + '.join(f'({c} IS NOT NULL)::INTEGER' for c in items) or '0'} AS items_answered, "
                      + ", ".join(f"({scores.get(m, 'NULL')})::DOUBLE AS {m}" for m in MEASURE_COLUMNS)
                      + f" FROM ({typed_rows}) t")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {staged.checked} AS {typed_rows}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {staged.problems} "
                f"(_source_row BIGINT, column_name VARCHAR, value VARCHAR, reason VARCHAR)")
    if problems and con.execute(f"SELECT count(*) FROM {staged.checked} WHERE _bad").fetchall()[0][0]:
        con.execute(f"CREATE OR REPLACE TEMP TABLE bad_{staged.stage} AS SELECT s.* FROM {source} s "
                    f"WHERE s._source_row IN (SELECT _source_row FROM {staged.checked} WHERE _bad)")
        column = lambda p: "NULL::VARCHAR" if p.column is None else f"'{p.column}'"  # noqa: E731
        union = " UNION ALL ".join(
            f"SELECT s._source_row, {column(p)}, ({p.value})::VARCHAR, {p.reason} FROM bad_{staged.stage} s WHERE {p.cond}"
            for p in problems)
        con.execute(f"INSERT INTO {staged.problems} {union}")
        con.execute(f"DROP TABLE bad_{staged.stage}")
    if source != staged.stage:
        con.execute(f"DROP VIEW {source}")


def _date_conventions(con, src: SourceTable, stage_name: str, present: set[str], settings) -> dict[str, str]:
    """A column where some slash date has a first part above 12 (and none a second part above 12)
    is day-first throughout, and the other way round; otherwise the config decides. Only a real date
    votes: 13/13/2020 or 31/02/2020 (quarantined as not a date) settles nothing."""
    forced = settings["dates"].get("ambiguous", "reject")
    out = {}
    dated = [name for name, col in SCHEMAS[src.entity].columns.items()
             if name in present and col.metadata["parse"] in ("date", "timestamp")]
    if src.birth_date_column is not None:
        dated.append("_birth_date")   # read only for an age; settled the same way
    for name in dated:
        if forced in ("dayfirst", "monthfirst"):
            out[name] = forced
            continue
        # ISO values settle nothing; a slash value votes when it is a real date in the order it forces
        # (slash values are first looked for alone: a column of ISO dates pays for one cheap scan)
        slash = f"SELECT {name} AS v FROM {stage_name} WHERE NOT regexp_matches({name}, '^\\s*\\d{{4}}-') " \
                f"AND cl_slash_order({name}, 'none') IN ('dayfirst', 'monthfirst')"
        if not con.execute(f"SELECT EXISTS ({slash})").fetchall()[0][0]:
            out[name] = "none"
            continue
        day, month = con.execute(
            f"SELECT count(*) FILTER (WHERE cl_slash_order(v, 'none') = 'dayfirst' AND cl_parse_date(v, 'dayfirst') IS NOT NULL), "
            f"count(*) FILTER (WHERE cl_slash_order(v, 'none') = 'monthfirst' AND cl_parse_date(v, 'monthfirst') IS NOT NULL) "
            f"FROM ({slash})"
        ).fetchall()[0]
        out[name] = "dayfirst" if day and not month else "monthfirst" if month and not day else "none"
    return out
