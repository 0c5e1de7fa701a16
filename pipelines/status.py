"""`coachlens status` as a function: a summary of what the warehouse holds."""

from __future__ import annotations

from pathlib import Path

from pipelines.warehouse import open_read_only


def warehouse_status(db: Path) -> dict:
    con = open_read_only(db)
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        counts = {
            "people": one("SELECT count(*) FROM people"),
            "people coached": one("SELECT count(*) FROM mart_people WHERE coached"),
            "programs": one("SELECT count(*) FROM programs"),
            "cohorts (of them waitlist)": f"{one('SELECT count(*) FROM cohorts')} ({one('SELECT count(*) FROM cohorts WHERE is_waitlist')})",
            "coaches": one("SELECT count(*) FROM coaches"),
            "enrolments": one("SELECT count(*) FROM enrolments"),
            "sessions": one("SELECT count(*) FROM sessions"),
            "survey responses": one("SELECT count(*) FROM survey_responses"),
            "surveys": one("SELECT count(DISTINCT survey_id) FROM survey_responses"),
            "rows in quarantine": one("SELECT count(*) FROM (SELECT DISTINCT batch_id, source_row FROM quarantine)"),
            "data as of": _as_of(con),
        }
        waves = con.execute("""
            SELECT wave, count(*) FILTER (WHERE role = 'coached'), count(*) FILTER (WHERE role = 'comparison')
            FROM mart_response_waves GROUP BY wave
            ORDER BY list_position(['baseline', 'mid', 'post', 'follow_up'], wave)""").fetchall()
        loads = con.execute("""
            SELECT strftime(finished_at, '%Y-%m-%d %H:%M'), file_name, entity, rows_in, rows_loaded,
                   rows_quarantined, status
            FROM load_batches ORDER BY batch_id DESC LIMIT 10""").fetchall()
        quarantine = con.execute("""
            SELECT reason, count(DISTINCT (batch_id, source_row))
            FROM quarantine GROUP BY 1 ORDER BY 2 DESC, 1""").fetchall()
        version = one("SELECT max(version) FROM schema_version")
    finally:
        con.close()
    return {"db": str(db), "schema_version": version, "counts": counts, "waves": waves, "loads": loads,
            "quarantine": quarantine}


def _as_of(con) -> str:
    """The date retention and the ROI count follow-up to, as the dashboard computes it, and where it
    comes from: the people extract's date recorded at ingest (`--extract-date`), or else the data."""
    from dashboard.queries.sql import AS_OF_SQL

    as_of = con.execute(AS_OF_SQL).fetchone()[0]
    recorded = con.execute("SELECT value FROM warehouse_meta WHERE key = 'extract_date'").fetchone()
    if as_of is None:
        return "no dates loaded yet"
    if recorded:
        return f"{as_of} (the people extract's date, recorded at ingest)"
    return (f"{as_of} (no extract date recorded: the latest exit, response or coached start; "
            "set it with `coachlens ingest --extract-date`)")


QUARANTINED_ROWS_SQL = """
SELECT b.file_name AS file, q.source_row AS "row", q.column_name AS "column", q.value, q.reason
FROM quarantine q JOIN load_batches b USING (batch_id)
WHERE b.batch_id = (SELECT max(batch_id) FROM load_batches l WHERE l.file_name = b.file_name)
  AND ($file IS NULL OR b.file_name = $file)
ORDER BY b.file_name, q.source_row, q.column_name NULLS FIRST, q.reason
"""


def quarantined_rows(db: Path, file_name: str | None = None):
    """The quarantined rows of each file's latest load (a file loaded again clean has none left), one line per
    problem: file, row (data rows counted from the first under the header), column, value and reason; a
    DataFrame. `file_name`: that file's only."""
    con = open_read_only(db)
    try:
        return con.execute(QUARANTINED_ROWS_SQL, {"file": file_name}).df()
    finally:
        con.close()
