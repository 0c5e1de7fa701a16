"""Load one staged file: cross-row checks, quarantine, then replace-by-key into the warehouse.

Runs inside the caller's transaction. Every staged row ends either in its table or in
`quarantine` with a reason; `rows_in = rows_loaded + rows_quarantined` is also a CHECK constraint
on `load_batches`, so a miscount cannot commit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

import duckdb

from pipelines.ingest.readers import SourceTable
from pipelines.ingest.stage import Staged
from pipelines.scoring import MEASURE_COLUMNS, score_sql


@dataclass
class FileReport:
    file: str
    entity: str
    source_format: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    dropped_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    status: str = "loaded"
    notes: list[str] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)


def _problem(column: str | None, reason_sql: str, value_sql: str = "NULL") -> str:
    col = "NULL::VARCHAR" if column is None else f"'{column}'"
    return f"{{'column_name': {col}, 'value': ({value_sql})::VARCHAR, 'reason': {reason_sql}}}"


def _flag(con, checked: str, where: str, problem: str, params: Mapping | None = None) -> None:
    con.execute(f"UPDATE {checked} SET problems = list_append(problems, {problem}) WHERE {where}", params or {})


def _flag_duplicates(con, checked: str, partition: str, order: str, what: str) -> None:
    """Among rows with no other problem, keep the last of each `partition`; flag the others."""
    con.execute(f"""
        UPDATE {checked} SET problems = list_append(problems, {{
            'column_name': NULL::VARCHAR, 'value': NULL::VARCHAR,
            'reason': 'duplicate {what}: row ' || d.keeper || ' replaces it'}})
        FROM (
            SELECT _source_row,
                   last_value(_source_row) OVER w AS keeper,
                   row_number() OVER w AS k,
                   count(*) OVER (PARTITION BY {partition}) AS n
            FROM {checked}
            WHERE len(problems) = 0
            WINDOW w AS (PARTITION BY {partition} ORDER BY {order}
                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ) d
        WHERE {checked}._source_row = d._source_row AND d.k < d.n""")


def cross_row_checks(con, src: SourceTable, staged: Staged, settings: Mapping) -> None:
    t = staged.checked
    tol = int(settings["dates"].get("future_tolerance_days", 1))
    future = f"current_date + to_days({tol})"
    unknown_person = (f"participant_key IS NOT NULL AND participant_key NOT IN (SELECT participant_key FROM people)",
                      _problem("employee_id", "'employee_id not found in the people data (load people first)'"))
    if src.entity == "people":
        _flag(con, t, "exit_date < hire_date", _problem("exit_date", "'exit_date is before hire_date'", "exit_date"))
        _flag(con, t, "exit_date IS NOT NULL AND exit_type IS NULL",
              _problem("exit_type", "'exit_type (voluntary or involuntary) is required when exit_date is given'"))
        _flag(con, t, "exit_type IS NOT NULL AND exit_date IS NULL",
              _problem("exit_date", "'exit_date is required when exit_type is given'", "exit_type"))
        for col in ("hire_date", "exit_date"):
            _flag(con, t, f"{col} > {future}", _problem(col, "'date in the future'", col))
        _flag_duplicates(con, t, "participant_key", "_source_row", "row for the same person")
    elif src.entity == "programs":
        _flag_duplicates(con, t, "program_id", "_source_row", "row for the same program_id")
    elif src.entity == "enrolments":
        _flag(con, t, *unknown_person)
        _flag(con, t, "program_id NOT IN (SELECT program_id FROM programs)",
              _problem("program_id", "'program_id not found in programs (load programs first)'", "program_id"))
        _flag(con, t, "end_date < start_date", _problem("end_date", "'end_date is before start_date'", "end_date"))
        _flag(con, t, "sessions_attended > sessions_planned",
              _problem("sessions_attended", "'sessions_attended is above sessions_planned'", "sessions_attended"))
        _flag_duplicates(con, t, "participant_key, cohort_id", "_source_row", "enrolment of the same person in the same cohort")
    elif src.entity == "sessions":
        _flag(con, t, *unknown_person)
        _flag(con, t, f"session_date > {future}", _problem("session_date", "'date in the future'", "session_date"))
    elif src.entity == "survey":
        _flag(con, t, *unknown_person)
        _flag(con, t, f"submitted_at::DATE > {future}", _problem("submitted_at", "'date in the future'", "submitted_at"))
        items = [c for c in _columns(con, t) if c.startswith("i_")]
        answered = " + ".join(f"({c} IS NOT NULL)::INTEGER" for c in items) or "0"
        _flag(con, t, f"len(problems) = 0 AND ({answered}) = 0", _problem(None, "'no item answered'"))
        _flag_duplicates(con, t, "participant_key, coalesce(survey_id, '')", "submitted_at, _source_row",
                         "submission for the same survey")


def _exec(con, sql: str, params: Mapping | None = None):
    """Execute with only the named parameters the statement uses (DuckDB refuses extras)."""
    used = {k: v for k, v in (params or {}).items() if f"${k}" in sql}
    return con.execute(sql, used) if used else con.execute(sql)


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def quarantine(con, staged: Staged, batch_id: int) -> tuple[int, Counter]:
    t = staged.checked
    con.execute(f"""
        INSERT INTO quarantine
        SELECT $batch, _source_row, p.column_name, left(p.value, 200), p.reason
        FROM (SELECT _source_row, unnest(problems) AS p FROM {t} WHERE len(problems) > 0)""",
                {"batch": batch_id})
    if staged.rejected:
        con.executemany("INSERT INTO quarantine VALUES (?, ?, NULL, NULL, ?)",
                        [(batch_id, row, reason) for row, reason in staged.rejected])
    reasons = Counter()
    for reason, n in con.execute(
        f"SELECT regexp_replace(p.reason, 'row [0-9]+ replaces', 'a later row replaces'), count(*) "
        f"FROM (SELECT unnest(problems) AS p FROM {t} WHERE len(problems) > 0) GROUP BY 1"
    ).fetchall():
        reasons[reason] += n
    for _, reason in staged.rejected:
        reasons[reason] += 1
    bad = con.execute(f"SELECT count(*) FROM {t} WHERE len(problems) > 0").fetchone()[0]
    return bad + len(staged.rejected), reasons


def load_rows(con, src: SourceTable, staged: Staged, batch_id: int, settings: Mapping,
              instruments: Mapping) -> int:
    good = f"(SELECT * FROM {staged.checked} WHERE len(problems) = 0)"
    params: dict = {"batch": batch_id}
    if src.entity == "people":
        cp = settings["career_phase"]
        params.update({"ymid": cp["years_mid_from"], "ylate": cp["years_late_from"],
                       "amid": cp["age_mid_from"], "alate": cp["age_late_from"]})
        con.execute("CREATE OR REPLACE TEMP TABLE cl_job_level_phase (job_level VARCHAR, phase VARCHAR)")
        con.executemany("INSERT INTO cl_job_level_phase VALUES (?, ?)",
                        [(str(k).lower(), v) for k, v in cp.get("job_level", {}).items()])
        age = "coalesce(g.age, g._age_from_birth)" if "_age_from_birth" in _columns(con, staged.checked) else "g.age"
        _exec(con, f"DELETE FROM people WHERE participant_key IN (SELECT participant_key FROM {good})")
        _exec(con, f"""
            INSERT INTO people
            SELECT g.participant_key, g.department || ' / ' || g.team, g.department, g.team, g.job_level,
                   g.hire_date, g.exit_date, g.exit_type, g.years_experience,
                   coalesce(g.age_band, CASE WHEN {age} IS NULL THEN NULL
                                             WHEN {age} < 25 THEN '<25'
                                             WHEN {age} >= 65 THEN '65+'
                                             ELSE (floor({age} / 10) * 10)::INTEGER || '-' ||
                                                  ((floor({age} / 10) * 10)::INTEGER + 9) END),
                   g.salary_band,
                   CASE WHEN g.career_phase IS NOT NULL THEN g.career_phase
                        WHEN g.years_experience IS NOT NULL THEN
                            CASE WHEN g.years_experience >= $ylate THEN 'late'
                                 WHEN g.years_experience >= $ymid THEN 'mid' ELSE 'early' END
                        WHEN {age} IS NOT NULL THEN
                            CASE WHEN {age} >= $alate THEN 'late' WHEN {age} >= $amid THEN 'mid' ELSE 'early' END
                        ELSE coalesce(j.phase, 'unknown') END,
                   CASE WHEN g.career_phase IS NOT NULL THEN 'explicit'
                        WHEN g.years_experience IS NOT NULL THEN 'years_experience'
                        WHEN {age} IS NOT NULL THEN 'age'
                        WHEN j.phase IS NOT NULL THEN 'job_level' ELSE 'none' END,
                   $batch
            FROM {good} g LEFT JOIN cl_job_level_phase j ON j.job_level = g.job_level""", params)
    elif src.entity == "programs":
        _exec(con, f"DELETE FROM programs WHERE program_id IN (SELECT program_id FROM {good})")
        _exec(con, f"""INSERT INTO programs
            SELECT program_id, name, program_type, cost_per_participant, total_cost, admin_cost, currency, $batch
            FROM {good}""", params)
    elif src.entity == "enrolments":
        _exec(con, f"DELETE FROM enrolments WHERE (participant_key, cohort_id) IN "
                    f"(SELECT (participant_key, cohort_id) FROM {good})")
        _exec(con, f"""INSERT INTO enrolments
            SELECT participant_key, program_id, cohort_id, coach_id, start_date, end_date,
                   sessions_planned, sessions_attended, status, $batch
            FROM {good}""", params)
    elif src.entity == "sessions":
        _exec(con, f"DELETE FROM sessions WHERE (participant_key, session_date) IN "
                    f"(SELECT (participant_key, session_date) FROM {good})")
        _exec(con, f"""INSERT INTO sessions
            SELECT participant_key, coach_id, session_date, duration_minutes, $batch FROM {good}""", params)
    elif src.entity == "survey":
        scores = score_sql(instruments)
        items = [c for c in _columns(con, staged.checked) if c.startswith("i_")]
        answered = " + ".join(f"({c} IS NOT NULL)::INTEGER" for c in items)
        exprs = ", ".join(f"{scores.get(m, 'NULL')}::DOUBLE" for m in MEASURE_COLUMNS)
        params["survey_id"] = src.path.stem
        _exec(con, f"DELETE FROM survey_responses WHERE survey_id IN "
                    f"(SELECT DISTINCT coalesce(survey_id, $survey_id) FROM {good})", params)
        _exec(con, f"""INSERT INTO survey_responses (response_id, survey_id, participant_key, submitted_at,
                   wave_reported, items_answered, {', '.join(MEASURE_COLUMNS)}, batch_id)
            SELECT nextval('response_id_seq'), coalesce(survey_id, $survey_id), participant_key, submitted_at,
                   wave, {answered}, {exprs}, $batch
            FROM {good}""", params)
    return _exec(con, f"SELECT count(*) FROM {good}").fetchone()[0]
