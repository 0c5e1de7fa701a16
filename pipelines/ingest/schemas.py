"""Canonical entities as pandera schemas, and their translation into set-based SQL checks.

Each schema is the single statement of what a loaded row looks like: column names, types, which
columns are required, and the allowed values and ranges. The loader does not validate row by row
in Python; `compile_checks()` turns each schema column into a SQL expression that types the staged
text and a list of (column, value, reason) problems per row, which DuckDB evaluates for the whole
file at once. The same schemas validate loaded tables in the tests (`schema.validate(df)`).

`metadata["parse"]` says how staged text becomes the column's type: text, lower (enumerations,
case-folded), int, number, date, timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandera.pandas as pa
from pandera.pandas import Check, Column

PROGRAM_TYPES = ["alignment", "executive_career", "leadership", "team", "other"]
STATUSES = ["active", "completed", "withdrawn", "waitlist"]
EXIT_TYPES = ["voluntary", "involuntary"]
PHASES = ["early", "mid", "late"]


def _col(parse: str, *checks: Check, required: bool = False, dtype=object, alias: tuple = ()) -> Column:
    return Column(dtype, checks=list(checks), nullable=not required, required=False,
                  metadata={"parse": parse, "required": required, "aliases": alias})


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "people": pa.DataFrameSchema({
        "employee_id": _col("id", required=True, alias=("emp_id", "empid", "employee_number", "staff_id", "person_id", "employeeid")),
        "department": _col("text", required=True, alias=("dept", "division")),
        "team": _col("text", required=True, alias=("team_name", "unit")),
        "job_level": _col("lower", alias=("level", "grade")),
        "hire_date": _col("date", alias=("date_of_hire", "dateofhire", "start_date_employment")),
        "exit_date": _col("date", alias=("termination_date", "dateoftermination", "leaving_date")),
        "exit_type": _col("lower", Check.isin(EXIT_TYPES)),
        "years_experience": _col("number", Check.in_range(0, 70), alias=("total_working_years", "totalworkingyears")),
        "age": _col("number", Check.in_range(14, 100)),
        "age_band": _col("text"),
        "career_phase": _col("lower", Check.isin(PHASES)),
        "salary_band": _col("text"),
    }, name="people"),
    "programs": pa.DataFrameSchema({
        "program_id": _col("text", required=True),
        "name": _col("text", required=True, alias=("program_name",)),
        "program_type": _col("lower", Check.isin(PROGRAM_TYPES), required=True, alias=("type",)),
        "cost_per_participant": _col("number", Check.ge(0)),
        "total_cost": _col("number", Check.ge(0)),
        "admin_cost": _col("number", Check.ge(0)),
        "currency": _col("upper", Check.str_matches(r"^[A-Z]{3}$"), required=True),
    }, name="programs"),
    "enrolments": pa.DataFrameSchema({
        "employee_id": _col("id", required=True, alias=("emp_id", "staff_id", "person_id")),
        "program_id": _col("text", required=True),
        "cohort_id": _col("text", required=True, alias=("cohort",)),
        "coach_id": _col("text", alias=("coach",)),
        "start_date": _col("date", required=True),
        "end_date": _col("date", required=True),
        "sessions_planned": _col("int", Check.in_range(0, 500)),
        "sessions_attended": _col("int", Check.in_range(0, 500)),
        "status": _col("lower", Check.isin(STATUSES), required=True),
    }, name="enrolments"),
    "sessions": pa.DataFrameSchema({
        "employee_id": _col("id", required=True, alias=("emp_id", "staff_id", "person_id")),
        "coach_id": _col("text", alias=("coach",)),
        "session_date": _col("date", required=True, alias=("date",)),
        "duration_minutes": _col("int", Check.in_range(1, 600), required=True, alias=("duration", "minutes")),
    }, name="sessions"),
    "survey": pa.DataFrameSchema({
        "employee_id": _col("id", required=True, alias=("emp_id", "staff_id", "person_id", "respondent_id")),
        "submitted_at": _col("timestamp", required=True, alias=("submitted", "timestamp", "recorded_date", "completion_time", "end_date")),
        "wave": _col("lower", Check.isin(["baseline", "mid", "post", "follow_up"])),
        "survey_id": _col("text"),
    }, name="survey"),
}


def required_columns(entity: str) -> list[str]:
    return [name for name, col in SCHEMAS[entity].columns.items() if col.metadata["required"]]


def alias_map(entity: str) -> dict[str, str]:
    """Normalised source column name -> canonical name."""
    out = {}
    for name, col in SCHEMAS[entity].columns.items():
        out[name] = name
        for alias in col.metadata["aliases"]:
            out[alias] = name
    return out


@dataclass(frozen=True)
class Problem:
    """One check as SQL over the staged row `s`: when `cond` holds, the row is quarantined with
    (column, value, reason)."""

    cond: str
    column: str | None
    value: str
    reason: str


@dataclass(frozen=True)
class ColumnSQL:
    name: str
    typed: str                 # SQL giving the typed value
    problems: list[Problem]


def _lit(value) -> str:
    """A SQL literal for a check bound written in this module (never user text)."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def compile_checks(entity: str, present: set[str], date_conv: dict[str, str],
                   decimal: str = "dot") -> list[ColumnSQL]:
    """SQL for each schema column present in the staged table `s` (text columns, trimmed).

    `date_conv` gives each date column's settled convention ('dayfirst', 'monthfirst' or 'none');
    `decimal` the file's number convention ('dot', 'comma' or 'unknown', see cl_number).
    """
    dec = _lit(decimal)
    out = []
    for name, col in SCHEMAS[entity].columns.items():
        parse = col.metadata["parse"]
        if parse == "id":
            continue  # pseudonymised while staging; its blank check lives in the loader
        if name not in present:
            out.append(ColumnSQL(name, "NULL", []))
            continue
        raw = f"s.{name}"
        problems = []
        conv = _lit(date_conv.get(name, "none"))
        if parse == "text":
            typed = f"nullif({raw}, '')"
        elif parse == "lower":
            typed = f"lower(nullif({raw}, ''))"
        elif parse == "upper":
            typed = f"upper(nullif({raw}, ''))"
        elif parse == "int":
            num = f"cl_number({raw}, {dec})"
            typed = f"CASE WHEN {num} = round({num}) THEN {num}::BIGINT END"
            problems.append(Problem(f"NOT cl_blank({raw}) AND ({typed}) IS NULL", name, raw,
                                    f"CASE WHEN {num} IS NULL AND cl_number_problem({raw}, {dec}) <> 'not a number' "
                                    f"THEN cl_number_problem({raw}, {dec}) ELSE 'not a whole number' END"))
        elif parse == "number":
            typed = f"cl_number({raw}, {dec})"
            problems.append(Problem(f"NOT cl_blank({raw}) AND {typed} IS NULL", name, raw,
                                    f"cl_number_problem({raw}, {dec})"))
        elif parse == "date":
            typed = f"cl_parse_date({raw}, {conv})"
            problems.append(Problem(f"NOT cl_blank({raw}) AND {typed} IS NULL", name, raw,
                                    f"cl_date_problem({raw}, {conv})"))
        elif parse == "timestamp":
            typed = f"cl_parse_ts({raw}, {conv})"
            problems.append(Problem(f"NOT cl_blank({raw}) AND {typed} IS NULL", name, raw,
                                    f"coalesce(cl_date_problem({raw}, {conv}), 'not a date and time')"))
        else:  # pragma: no cover - a schema authoring error
            raise ValueError(f"unknown parse {parse!r} for {entity}.{name}")
        if col.metadata["required"]:
            problems.append(Problem(f"cl_blank({raw})", name, "NULL", f"'{name} is required but blank'"))
        for check in col.checks:
            cond, reason = _check_sql(check, typed)
            problems.append(Problem(f"{typed} IS NOT NULL AND NOT ({cond})", name, raw, _lit(reason)))
        out.append(ColumnSQL(name, typed, problems))
    return out


def _check_sql(check: Check, typed: str) -> tuple[str, str]:
    stats = check.statistics
    if check.name == "isin":
        values = ", ".join(_lit(v) for v in stats["allowed_values"])
        return f"{typed} IN ({values})", f"expected one of {', '.join(stats['allowed_values'])}"
    if check.name == "in_range":
        lo, hi = stats["min_value"], stats["max_value"]
        return f"{typed} BETWEEN {_lit(lo)} AND {_lit(hi)}", f"expected a value from {lo} to {hi}"
    if check.name == "greater_than_or_equal_to":
        return f"{typed} >= {_lit(stats['min_value'])}", f"expected a value of at least {stats['min_value']}"
    if check.name == "str_matches":
        return (f"regexp_matches({typed}, {_lit(stats['pattern'])})",
                f"expected text matching {stats['pattern']}")
    raise ValueError(f"no SQL translation for pandera check {check.name!r}")
