"""Load one staged file: cross-row checks, quarantine, then replace-by-key into the warehouse.

Runs inside the caller's transaction. Every staged row ends either in its table or in
`quarantine` with a reason; `rows_in = rows_loaded + rows_quarantined` is also a CHECK constraint
on `load_batches`, so a miscount cannot commit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping


from pipelines.ingest.readers import SourceTable
from pipelines.ingest.stage import Staged
from pipelines.scoring import MEASURE_COLUMNS


@dataclass
class FileReport:
    file: str
    entity: str
    source_format: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_replaced: int = 0        # rows of earlier loads this file's rows replaced (replace-by-key)
    dropped_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    status: str = "loaded"
    notes: list[str] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)


def _flag(con, staged: Staged, where: str, column: str | None, reason: str, value: str = "NULL") -> None:
    """Quarantine the rows of the typed table where `where` holds, with (column, value, reason)."""
    col = "NULL::VARCHAR" if column is None else f"'{column}'"
    con.execute(f"INSERT INTO {staged.problems} SELECT _source_row, {col}, ({value})::VARCHAR, {reason} "
                f"FROM {staged.checked} WHERE {where}")


def _clean(staged: Staged) -> str:
    """Rows with no problem so far (the typed table's flag, and the problems found since)."""
    return (f"NOT _bad AND _source_row NOT IN (SELECT _source_row FROM {staged.problems})")


def _flag_duplicates(con, staged: Staged, partition: str, order: str, what: str) -> None:
    """Among rows with no other problem, keep the last of each `partition`; flag the others."""
    con.execute(f"""
        INSERT INTO {staged.problems}
        SELECT _source_row, NULL, 'kept row ' || keeper, 'duplicate {what}: a later row replaces it'
        FROM (
            SELECT _source_row,
                   last_value(_source_row) OVER w AS keeper,
                   row_number() OVER w AS k,
                   count(*) OVER (PARTITION BY {partition}) AS n
            FROM {staged.checked}
            WHERE {_clean(staged)}
            WINDOW w AS (PARTITION BY {partition} ORDER BY {order}
                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ) d
        WHERE k < n""")


# the people whose people row this run quarantined (a temp table: a run has its own connection), so that
# their enrolment and survey rows say so rather than "not found" when people was loaded in the same run
_QUARANTINED_PEOPLE = "cl_quarantined_people"


def cross_row_checks(con, src: SourceTable, staged: Staged, settings: Mapping) -> None:
    tol = int(settings["dates"].get("future_tolerance_days", 1))
    future = f"current_date + to_days({tol})"
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_QUARANTINED_PEOPLE} AS SELECT participant_key FROM people LIMIT 0")
    # both reasons end with "(load people first)": waiting_files loads the file again once people are loaded
    unknown = ("participant_key IS NOT NULL AND participant_key NOT IN (SELECT participant_key FROM people)",
               "employee_id",
               f"CASE WHEN participant_key IN (SELECT participant_key FROM {_QUARANTINED_PEOPLE}) "
               "THEN 'employee_id''s people row was quarantined in this run: fix it and load the people file "
               "again (load people first)' "
               "ELSE 'employee_id not found in the people data (load people first)' END")
    if src.entity == "people":
        _flag(con, staged, "exit_date < hire_date", "exit_date", "'exit_date is before hire_date'", "exit_date")
        # a typed value is NULL when blank and when it failed to parse (already quarantined with its
        # own reason): "required when" checks read the rows where it was blank only
        failed = f"(SELECT _source_row FROM {staged.problems} WHERE column_name = '{{}}')"
        _flag(con, staged, f"exit_date IS NOT NULL AND exit_type IS NULL AND _source_row NOT IN {failed.format('exit_type')}",
              "exit_type", "'exit_type (voluntary or involuntary) is required when exit_date is given'")
        # an exit type that is itself invalid ("On leave" not recoded) is quarantined for that alone: it is
        # no exit type given, and the blank exit_date is then no second problem
        _flag(con, staged, f"exit_type IS NOT NULL AND exit_date IS NULL AND _source_row NOT IN {failed.format('exit_date')} "
              f"AND _source_row NOT IN {failed.format('exit_type')}",
              "exit_date", "'exit_date is required when exit_type is given'")
        # an exit date after today is a planned leaver's (HR systems export the notice period's end): kept as
        # given, since retention counts an exit only once it is on or before the as-of date; a hire date
        # after today is someone who has not started, and has no data here
        _flag(con, staged, f"hire_date > {future}", "hire_date", "'date in the future'", "hire_date")
        _flag_duplicates(con, staged, "participant_key", "_source_row", "row for the same person")
    elif src.entity == "programs":
        _flag_duplicates(con, staged, "program_id", "_source_row", "row for the same program_id")
    elif src.entity == "enrolments":
        _flag(con, staged, *unknown)
        _flag(con, staged, "program_id NOT IN (SELECT program_id FROM programs)", "program_id",
              "'program_id not found in programs (load programs first)'", "program_id")
        _flag(con, staged, "end_date < start_date", "end_date", "'end_date is before start_date'", "end_date")
        _flag(con, staged, "sessions_attended > sessions_planned", "sessions_attended",
              "'sessions_attended is above sessions_planned'", "sessions_attended")
        _flag_duplicates(con, staged, "participant_key, cohort_id", "_source_row",
                         "enrolment of the same person in the same cohort")
    elif src.entity == "sessions":
        _flag(con, staged, *unknown)
        _flag(con, staged, f"session_date > {future}", "session_date", "'date in the future'", "session_date")
        _flag_duplicates(con, staged, "participant_key, session_date, coach_id, duration_minutes", "_source_row",
                         "session row (the same person, date, coach and duration)")
    elif src.entity == "survey":
        _flag(con, staged, *unknown)
        _flag(con, staged, f"submitted_at::DATE > {future}", "submitted_at", "'date in the future'", "submitted_at")
        _flag(con, staged, f"{_clean(staged)} AND items_answered = 0", None, "'no item answered'")
        _flag_duplicates(con, staged, "participant_key, coalesce(survey_id, '')", "submitted_at, _source_row",
                         "submission for the same survey")
    # from here on, `_bad` alone marks every row that will not load
    con.execute(f"UPDATE {staged.checked} SET _bad = true "
                f"WHERE NOT _bad AND _source_row IN (SELECT _source_row FROM {staged.problems})")
    if src.entity == "people":
        con.execute(f"INSERT INTO {_QUARANTINED_PEOPLE} SELECT participant_key FROM {staged.checked} "
                    "WHERE _bad AND participant_key IS NOT NULL")


def _exec(con, sql: str, params: Mapping | None = None):
    """Execute with only the named parameters the statement uses (DuckDB refuses extras)."""
    used = {k: v for k, v in (params or {}).items() if f"${k}" in sql}
    return con.execute(sql, used) if used else con.execute(sql)


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def quarantine(con, staged: Staged, batch_id: int) -> tuple[int, Counter]:
    con.execute(f"INSERT INTO quarantine SELECT $batch, _source_row, column_name, left(value, 200), reason "
                f"FROM {staged.problems}", {"batch": batch_id})
    if staged.rejected:
        con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?)",
                        [(batch_id, row, column, value, reason) for row, column, value, reason in staged.rejected])
    # per reason, the rows it quarantined (a row with three answers off the scale counts once)
    reasons = Counter()
    for reason, n in con.execute(
        f"SELECT reason, count(DISTINCT _source_row) "
        f"FROM {staged.problems} GROUP BY 1"
    ).fetchall():
        reasons[reason] += n
    for _, reason in {(row, reason) for row, *_, reason in staged.rejected}:
        reasons[reason] += 1
    bad = con.execute(f"SELECT count(*) FROM {staged.checked} WHERE _bad").fetchall()[0][0]
    return bad + staged.rejected_rows, reasons


_UNKNOWN_PERSON = "%(load people first)"
_UNKNOWN_PROGRAM = "%(load programs first)"


def waiting_files(con) -> dict[str, tuple[int, int, int]]:
    """sha256 -> (batch, rows waiting for a person, rows waiting for a program) for each file whose
    latest load quarantined rows because their person or program was not loaded yet."""
    rows = con.execute(f"""
        SELECT b.file_sha256, b.batch_id,
               count(DISTINCT q.source_row) FILTER (WHERE q.reason LIKE '{_UNKNOWN_PERSON}'),
               count(DISTINCT q.source_row) FILTER (WHERE q.reason LIKE '{_UNKNOWN_PROGRAM}')
        FROM load_batches b JOIN quarantine q USING (batch_id)
        WHERE b.batch_id = (SELECT max(batch_id) FROM load_batches l WHERE l.file_sha256 = b.file_sha256)
          AND (q.reason LIKE '{_UNKNOWN_PERSON}' OR q.reason LIKE '{_UNKNOWN_PROGRAM}')
        GROUP BY ALL""").fetchall()
    return {sha: (batch, people, programs) for sha, batch, people, programs in rows}


def load_again(con, waiting: tuple[int, int, int] | None, fr: FileReport) -> bool:
    """Whether a file loaded before (same sha256) is loaded again: only when its last load
    quarantined rows for a person or program not loaded yet, and people or programs have been
    loaded since (in an earlier run or earlier in this one). Says which on `fr`."""
    if waiting is None:
        return False
    batch, people, programs = waiting
    since = {r[0] for r in con.execute("SELECT DISTINCT entity FROM load_batches WHERE batch_id > ? AND rows_loaded > 0",
                                       [batch]).fetchall()}
    what = " and ".join(w for w, n in (("people", people), ("programs", programs)) if n)
    rows = max(people, programs)
    if (people and "people" in since) or (programs and "programs" in since):
        fr.notes.append(f"loaded before (batch {batch}) with {rows} row(s) quarantined because their "
                        f"{what} were not loaded yet; {what} loaded since, so loaded again")
        return True
    fr.notes.append(f"its earlier load (batch {batch}) quarantined {rows} row(s) whose {what} were not "
                    f"loaded yet: load the {what} file, then this file again")
    return False


def load_rows(con, src: SourceTable, staged: Staged, batch_id: int, settings: Mapping,
              instruments: Mapping, run_id: str | None = None) -> tuple[int, int]:
    """Insert the good rows, replacing earlier rows by key; returns (rows loaded, rows replaced).

    A survey file replaces the earlier rows of its survey_id(s) except those loaded earlier in the
    same run (two files of one survey, e.g. one a region, add up). People, programs, enrolments and
    sessions replace rows with the same key whichever run loaded them."""
    good = f"(SELECT * FROM {staged.checked} WHERE NOT _bad)"
    params: dict = {"batch": batch_id, "run": run_id or ""}
    replaced = 0
    if src.entity == "people":
        cp = settings["career_phase"]
        params.update({"ymid": cp["years_mid_from"], "ylate": cp["years_late_from"],
                       "amid": cp["age_mid_from"], "alate": cp["age_late_from"]})
        con.execute("CREATE OR REPLACE TEMP TABLE cl_job_level_phase (job_level VARCHAR, phase VARCHAR)")
        con.executemany("INSERT INTO cl_job_level_phase VALUES (?, ?)",
                        [(str(k).lower(), v) for k, v in cp.get("job_level", {}).items()])
        age = "coalesce(g.age, g._age_from_birth)" if "_age_from_birth" in _columns(con, staged.checked) else "g.age"
        replaced = _exec(con, f"DELETE FROM people WHERE participant_key IN (SELECT participant_key FROM {good})").fetchall()[0][0]
        _exec(con, f"""
            INSERT INTO people
            SELECT g.participant_key, g.department || ' / ' || g.team, g.department, g.team, g.job_level,
                   g.hire_date, g.exit_date, g.exit_type, g.years_experience,
                   coalesce(g.age_band, CASE WHEN {age} IS NULL THEN NULL
                                             WHEN {age} < 25 THEN '<25'
                                             WHEN {age} < 30 THEN '25-29'
                                             WHEN {age} >= 65 THEN '65+'
                                             WHEN {age} >= 60 THEN '60-64'
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
        replaced = _exec(con, f"DELETE FROM programs WHERE program_id IN (SELECT program_id FROM {good})").fetchall()[0][0]
        _exec(con, f"""INSERT INTO programs
            SELECT program_id, name, program_type, cost_per_participant, total_cost, admin_cost, currency, $batch
            FROM {good}""", params)
    elif src.entity == "enrolments":
        replaced = _exec(con, f"DELETE FROM enrolments WHERE (participant_key, cohort_id) IN "
                              f"(SELECT (participant_key, cohort_id) FROM {good})").fetchall()[0][0]
        _exec(con, f"""INSERT INTO enrolments
            SELECT participant_key, program_id, cohort_id, coach_id, start_date, end_date,
                   sessions_planned, sessions_attended, status, $batch
            FROM {good}""", params)
    elif src.entity == "sessions":
        replaced = _exec(con, f"DELETE FROM sessions WHERE (participant_key, session_date) IN "
                              f"(SELECT (participant_key, session_date) FROM {good})").fetchall()[0][0]
        _exec(con, f"""INSERT INTO sessions
            SELECT participant_key, coach_id, session_date, duration_minutes, $batch FROM {good}""", params)
    elif src.entity == "survey":
        # the typed table holds each row's scale scores and items answered (pipelines/ingest/stage.py)
        params["survey_id"] = src.path.stem
        # an earlier load of the survey is replaced; within this run, two files of one survey add up,
        # but a person who answered in both keeps one response, this later file's (as a later row of
        # one file replaces an earlier one)
        replaced = _exec(con, f"DELETE FROM survey_responses WHERE survey_id IN "
                              f"(SELECT DISTINCT coalesce(survey_id, $survey_id) FROM {good}) "
                              f"AND (batch_id NOT IN (SELECT batch_id FROM load_batches WHERE run_id = $run) "
                              f"OR (survey_id, participant_key) IN "
                              f"(SELECT coalesce(survey_id, $survey_id), participant_key FROM {good}))",
                         params).fetchall()[0][0]
        _exec(con, f"""INSERT INTO survey_responses (response_id, survey_id, participant_key, submitted_at,
                   wave_reported, items_answered, {', '.join(MEASURE_COLUMNS)}, batch_id)
            SELECT nextval('response_id_seq'), coalesce(survey_id, $survey_id), participant_key, submitted_at,
                   wave, items_answered, {', '.join(MEASURE_COLUMNS)}, $batch
            FROM {good}""", params)
    return _exec(con, f"SELECT count(*) FROM {good}").fetchall()[0][0], replaced
