"""Canonical ingestion: every row loaded or quarantined with a reason; all-or-nothing runs."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from conftest import SAMPLE, table_dump, write_files
from fixtures_foundation import ENROLMENTS, EXPECTED, PEOPLE, PROGRAMS, SURVEY
from pipelines.ingest.errors import RefusedFile


def _counts(report, file: str) -> tuple[int, int, int]:
    """(rows in, loaded, quarantined) of one file of a load report."""
    f = {x.file: x for x in report.files}[file]
    return f.rows_in, f.rows_loaded, f.rows_quarantined


@pytest.fixture
def small(tmp_path):
    return write_files(tmp_path / "in", {"programs.csv": PROGRAMS, "people.csv": PEOPLE,
                                         "enrolments.csv": ENROLMENTS, "survey_2024-01.csv": SURVEY})


def q(db, sql, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_bad_rows_are_quarantined_with_reasons_and_good_rows_load(small, load, tmp_path):
    report = load(small)
    got = {f.file: (f.rows_in, f.rows_loaded, f.rows_quarantined) for f in report.files}
    assert got == EXPECTED
    db = tmp_path / "wh.duckdb"
    reasons = {(r[0], r[1], r[2]) for r in q(db, """
        SELECT b.file_name, q.source_row, q.reason FROM quarantine q JOIN load_batches b USING (batch_id)""")}
    assert ("people.csv", 4, "exit_date is before hire_date") in reasons
    assert ("people.csv", 5, "employee_id is required but blank") in reasons
    assert ("people.csv", 6 + 0, "not a number") not in reasons  # E005 loads (date settled day-first)
    assert ("people.csv", 7, "not a number") in reasons          # years_experience 'eight'
    assert ("people.csv", 8, "date in the future") in reasons
    assert ("enrolments.csv", 3, "employee_id not found in the people data (load people first)") in reasons
    assert ("enrolments.csv", 4, "program_id not found in programs (load programs first)") in reasons
    assert ("enrolments.csv", 5, "end_date is before start_date") in reasons
    assert ("survey_2024-01.csv", 1, "duplicate submission for the same survey: a later row replaces it") in reasons
    assert q(db, "SELECT value FROM quarantine WHERE reason LIKE 'duplicate%'") == [("kept row 2",)]
    assert ("survey_2024-01.csv", 3, "outside the scale 0-6") in reasons
    # the answer as the file wrote it (the reader casts answers to numbers: 9 was shown as 9.0)
    assert all("." not in v for (v,) in q(db, "SELECT value FROM quarantine WHERE reason = 'outside the scale 0-6'"))
    assert ("survey_2024-01.csv", 5, "no item answered") in reasons
    # rows in = loaded + quarantined, per batch, as stored
    for rows_in, loaded, quarantined in q(db, "SELECT rows_in, rows_loaded, rows_quarantined FROM load_batches"):
        assert rows_in == loaded + quarantined
    # quarantined rows are distinct source rows
    assert q(db, "SELECT count(*) FROM (SELECT DISTINCT batch_id, source_row FROM quarantine)")[0][0] == 10
    # the report counts rows per reason, not problems (a row with two bad dates counts once: test_cli)
    per_reason = {(f, r): (rows, problems) for f, r, rows, problems in q(db, """
        SELECT b.file_name, q.reason, count(DISTINCT q.source_row), count(*)
        FROM quarantine q JOIN load_batches b USING (batch_id) GROUP BY ALL""")}
    assert {(f.file, r): n for f in report.files for r, n in f.reasons.items()} == \
        {k: rows for k, (rows, _) in per_reason.items()}


def test_values_are_cleaned_typed_and_derived(small, load, tmp_path, key):
    load(small)
    db = tmp_path / "wh.duckdb"
    rows = {r[0]: r[1:] for r in q(db, """
        SELECT participant_key, department, team, team_id, hire_date::VARCHAR, exit_type, age_band, career_phase
        FROM people""")}
    assert rows[key.participant_key("E001")] == ("Sales", "North", "Sales / North", "2019-01-15", None, "40-49", "mid")
    assert rows[key.participant_key("E002")][4:] == ("voluntary", "30-39", "early")
    # 13/02/2015 settles the column as day-first, so 03/04/2021 is 3 April
    assert rows[key.participant_key("E005")][3] == "2021-04-03"
    assert rows[key.participant_key("E003")][-1] == "late"
    programs = dict(q(db, "SELECT program_id, currency FROM programs"))
    assert programs == {"P1": "GBP", "P2": "GBP"}
    assert q(db, "SELECT status FROM enrolments ORDER BY status") == [("completed",), ("completed",)]
    dropped = q(db, "SELECT dropped_columns FROM load_batches WHERE entity = 'people'")[0][0]
    assert dropped == ["full_name", "email", "date_of_birth"]


def test_reload_of_the_same_files_changes_nothing(small, load, tmp_path):
    load(small)
    db = tmp_path / "wh.duckdb"
    before = table_dump(db)
    mtime = db.stat().st_mtime_ns
    report = load(small)
    assert [f.status for f in report.files] == ["unchanged"] * 4
    assert list(report.seconds) == ["open", "load", "marts", "swap"]
    assert report.seconds["marts"] == 0.0 and all(s >= 0 for s in report.seconds.values())
    assert table_dump(db) == before
    assert db.stat().st_mtime_ns == mtime  # not even rewritten: the dashboard's data version holds


def test_a_warehouse_from_before_the_panel_view_is_upgraded_by_the_next_run(small, load, tmp_path):
    """Migration 002 drops the old long-form table mart_response_waves and the panel without rid
    columns; the next run, even with nothing new to load, rebuilds them and swaps the file in."""
    load(small)
    db = tmp_path / "wh.duckdb"
    expected = q(db, "SELECT * FROM mart_response_waves ORDER BY ALL")
    assert expected
    con = duckdb.connect(str(db))
    # the layout of schema version 1: a table, and no <wave>_rid columns in the panel
    con.execute("CREATE TABLE old_waves AS SELECT * FROM mart_response_waves")
    con.execute("DROP VIEW mart_response_waves")
    con.execute("ALTER TABLE old_waves RENAME TO mart_response_waves")
    con.execute("ALTER TABLE mart_panel DROP COLUMN baseline_rid")
    con.execute("DELETE FROM schema_version WHERE version >= 2")
    con.close()
    report = load(small)
    assert [f.status for f in report.files] == ["unchanged"] * 4
    assert q(db, "SELECT table_type FROM information_schema.tables WHERE table_name = 'mart_response_waves'") == [("VIEW",)]
    assert q(db, "SELECT * FROM mart_response_waves ORDER BY ALL") == expected
    assert q(db, "SELECT count(baseline_rid) > 0 FROM mart_panel") == [(True,)]


def test_corrected_survey_file_replaces_its_wave(small, load, tmp_path, key):
    load(small)
    db = tmp_path / "wh.duckdb"
    corrected = SURVEY.replace("E001,2024-01-18 09:00,4,5,6", "E001,2024-01-18 09:00,1,1,1")
    write_files(small, {"survey_2024-01.csv": corrected})
    load(small / "survey_2024-01.csv")
    rows = q(db, "SELECT participant_key, vigour FROM survey_responses WHERE survey_id = 'survey_2024-01'")
    assert len(rows) == 2
    assert dict(rows)[key.participant_key("E001")] == 1.0


def test_corrected_people_file_updates_by_key(small, load, tmp_path, key):
    load(small)
    db = tmp_path / "wh.duckdb"
    write_files(small, {"people.csv": PEOPLE.replace("E001,Ann Example,ann@example.org,1980-02-03, Sales , North",
                                                     "E001,Ann Example,ann@example.org,1980-02-03, Sales , South")})
    load(small / "people.csv")
    assert q(db, "SELECT count(*) FROM people")[0][0] == 4
    assert q(db, "SELECT team FROM people WHERE participant_key = ?", [key.participant_key("E001")])[0][0] == "South"


def test_the_extract_date_is_recorded_and_is_the_as_of_date(small, load, tmp_path, key, settings, instruments):
    """--extract-date dates the people extract: retention follows people to it. A later people file
    loaded without a date drops it (it dated the previous extract); the as-of date falls back to the data."""
    import datetime as dt

    from dashboard.queries.sql import AS_OF_SQL
    from pipelines.ingest.run import ingest

    db = tmp_path / "wh.duckdb"
    report = ingest([small], db, key, settings, instruments, extract_date=dt.date(2024, 12, 31))
    assert report.extract_date == "2024-12-31" and report.extract_date_changed
    assert q(db, "SELECT value FROM warehouse_meta WHERE key = 'extract_date'") == [("2024-12-31",)]
    assert q(db, AS_OF_SQL) == [(dt.date(2024, 12, 31),)]
    # the same files with a new date: only the date changes, and the run says so
    report = ingest([small], db, key, settings, instruments, extract_date=dt.date(2025, 1, 31))
    assert [f.status for f in report.files] == ["unchanged"] * 4 and report.extract_date_changed
    assert q(db, AS_OF_SQL) == [(dt.date(2025, 1, 31),)]
    # a survey file alone keeps it; a new people file without a date drops it
    load(small / "survey_2024-01.csv")
    assert q(db, AS_OF_SQL) == [(dt.date(2025, 1, 31),)]
    write_files(small, {"people.csv": PEOPLE.replace(" North", " South")})
    report = load(small / "people.csv")
    assert report.extract_date is None and report.extract_date_changed
    assert q(db, "SELECT count(*) FROM warehouse_meta WHERE key = 'extract_date'") == [(0,)]


def test_without_an_extract_date_the_as_of_date_does_not_run_past_the_data(sample_warehouse, tmp_path, load):
    """The fallback is the latest exit, response or begun coached enrolment: not a waitlist cohort's
    start (sample_data: 2026-01-26, after the extract of 2025-12-31), a cohort planned after the load, nor a
    planned leaver's exit date after the load."""
    import datetime as dt

    from dashboard.queries.sql import AS_OF_SQL

    extract = dt.date.fromisoformat(json.loads((SAMPLE / "truth.json").read_text())["window"]["extract_date"])
    last_exit = q(sample_warehouse, "SELECT max(exit_date) FROM people")[0][0]
    assert last_exit <= q(sample_warehouse, AS_OF_SQL)[0][0] <= extract
    files = {"programs.csv": "program_id,name,type,currency\nP1,Alignment,alignment,GBP\n",
             "people.csv": "employee_id,department,team,hire_date,exit_date,exit_type\n"
                           "E1,D,T,2020-01-01,2024-06-30,voluntary\nE2,D,T,2020-01-01,,\n"
                           "E3,D,T,2020-01-01,2099-01-31,voluntary\n",
             "enrolments.csv": "employee_id,program_id,cohort_id,start_date,end_date,status\n"
                               "E2,P1,K1,2024-03-01,2024-09-01,completed\nE2,P1,K2,2099-03-01,2099-09-01,active\n"}
    report = load(write_files(tmp_path / "planned", files))
    assert q(tmp_path / "wh.duckdb", AS_OF_SQL) == [(dt.date(2024, 6, 30),)]
    # the planned leaver (an HR extract's notice period) is loaded as given, said so, and not quarantined
    # (before: the whole person was, with 'date in the future'); a hire date in the future still is
    people = next(f for f in report.files if f.file == "people.csv")
    assert (people.rows_loaded, people.rows_quarantined) == (3, 0)
    assert any("1 planned exit date(s) after today" in n for n in people.notes)
    assert q(tmp_path / "wh.duckdb", "SELECT count(*) FROM quarantine") == [(0,)]


@pytest.mark.parametrize("name,content,fragment", [
    ("people.csv", "employee_id,department\nE1,Sales\n", "no column for team"),
    ("people.csv", "employee_id department team\nE1 Sales North\n", "is the delimiter right"),
    ("people.csv", "employee_id,team,Team,department\nE1,a,b,c\n", "repeats"),
    ("people.csv", "employee_id,department,team\n", "no data rows"),
    ("people.csv", "", "empty file"),
    ("survey_x.csv", "employee_id,submitted_at,foo\nE1,2024-01-01,3\n", "item columns"),
    ("mystery.csv", "a,b\n1,2\n", "file name starting with"),
])
def test_refused_file_names_the_problem_and_leaves_every_table_unchanged(small, load, tmp_path, name, content, fragment):
    load(small)
    db = tmp_path / "wh.duckdb"
    before = table_dump(db)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / name).write_text(content)
    # the good new file in the same run must not load either: all or nothing
    write_files(bad, {"survey_2024-07.csv": SURVEY.replace("2024-01-", "2024-07-")})
    with pytest.raises(RefusedFile) as info:
        load(bad)
    assert fragment in str(info.value)
    assert name in str(info.value)
    assert table_dump(db) == before


def test_not_a_csv_is_refused(tmp_path, load):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "people.csv").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    with pytest.raises(RefusedFile, match="people.csv.*expected a CSV, XLSX or Parquet file"):
        load(folder)
    (folder / "people.csv").write_bytes(bytes(range(256)) * 40)
    with pytest.raises(RefusedFile, match="binary") as info:
        load(folder)
    # the CLI ends a refusal with ". Nothing was loaded": "is this the right file?." was printed
    assert not str(info.value).endswith(("?", ".", "!"))
    assert not (tmp_path / "wh.duckdb").exists()


def test_row_with_too_many_fields_is_quarantined_and_row_numbers_stay_true(tmp_path, load):
    folder = write_files(tmp_path / "in", {"people.csv": """
        employee_id,department,team,hire_date
        E1,Sales,North,2020-01-01
        E2,Sales,North,2020-01-01,extra
        E3,Sales,North,not-a-date
    """})
    report = load(folder)
    assert _counts(report, report.files[0].file) == (3, 1, 2)
    rows = q(tmp_path / "wh.duckdb", "SELECT source_row, reason FROM quarantine ORDER BY source_row")
    assert rows[0] == (2, "the row has more fields than the header")
    assert rows[1][0] == 3 and rows[1][1].startswith("not a date")


def test_ambiguous_dates_are_quarantined_not_guessed(tmp_path, load):
    folder = write_files(tmp_path / "in", {"people.csv": """
        employee_id,department,team,hire_date
        E1,Sales,North,03/04/2021
        E2,Sales,North,2020-01-31
        E3,Sales,North,04/04/2021
    """})
    load(folder)
    rows = q(tmp_path / "wh.duckdb", "SELECT source_row, reason FROM quarantine")
    assert rows == [(1, "ambiguous date: day-first and month-first readings differ and nothing in the column settles it")]
    # 04/04/2021 reads the same either way
    assert q(tmp_path / "wh.duckdb", "SELECT count(*) FROM people WHERE hire_date = DATE '2021-04-04'")[0][0] == 1


def test_an_invalid_date_does_not_vote_the_column_day_first(tmp_path, load):
    """13/13/2020 is no date in either order: it is quarantined and settles nothing, so the
    ambiguous dates beside it are quarantined too rather than read day-first."""
    folder = write_files(tmp_path / "in", {"people.csv": """
        employee_id,department,team,hire_date
        B1,S,T,02/03/2019
        B2,S,T,04/05/2020
        B3,S,T,13/13/2020
        B4,S,T,31/02/2020
    """})
    load(folder)
    rows = q(tmp_path / "wh.duckdb", "SELECT source_row, reason FROM quarantine ORDER BY 1")
    ambiguous = "ambiguous date: day-first and month-first readings differ and nothing in the column settles it"
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert rows[0][1] == rows[1][1] == ambiguous
    assert rows[2][1].startswith("not a date") and rows[3][1].startswith("not a date")
    assert q(tmp_path / "wh.duckdb", "SELECT count(*) FROM people")[0][0] == 0


def test_slash_timestamps_keep_the_hour_of_their_clock(tmp_path, load):
    """A day-first export with a 24-hour clock (14:30 stayed 02:30 before) and a 12-hour one with
    AM/PM both give the right time; an hour the clock does not have is quarantined, not wrapped."""
    folder = write_files(tmp_path / "in", {"people.csv": """
        employee_id,department,team
        E1,Sales,North
        E2,Sales,North
        E3,Sales,North
        E4,Sales,North
    """, "survey_pulse.csv": """
        employee_id,submitted_at,enps
        E1,15/01/2024 14:30,7
        E2,16/01/2024 23:59:10,8
        E3,17/01/2024 25:00,9
    """, "survey_pulse_us.csv": """
        employee_id,submitted_at,enps
        E1,01/15/2024 2:30 PM,7
        E4,01/15/2024 12:10 AM,8
    """, "survey_pulse_ymd.csv": """
        employee_id,submitted_at,enps
        E2,2024/03/25 3:47:57 PM GMT,6
    """})
    load(folder)
    got = q(tmp_path / "wh.duckdb", "SELECT survey_id, strftime(submitted_at, '%Y-%m-%d %H:%M:%S') FROM survey_responses "
                                     "ORDER BY ALL")
    assert got == [("survey_pulse", "2024-01-15 14:30:00"), ("survey_pulse", "2024-01-16 23:59:10"),
                   ("survey_pulse_us", "2024-01-15 00:10:00"), ("survey_pulse_us", "2024-01-15 14:30:00"),
                   ("survey_pulse_ymd", "2024-03-25 15:47:57")]     # year first with slashes (Google Forms)
    assert q(tmp_path / "wh.duckdb", "SELECT source_row, column_name, value, reason FROM quarantine") == [
        (3, "submitted_at", "17/01/2024 25:00", "not a date and time")]


def test_sample_data_loads_every_row_that_should_load(sample_warehouse):
    truth = json.loads((SAMPLE / "truth.json").read_text())
    db = sample_warehouse
    got = {name: {"rows_in": a, "rows_loaded": b, "rows_quarantined": c}
           for name, a, b, c in q(db, "SELECT file_name, rows_in, rows_loaded, rows_quarantined FROM load_batches")}
    expected = {name: v for name, v in truth["expected_ingest"].items() if name != "total"}
    assert got == expected
    assert set(expected) == set(truth["files"])
    for name, n in truth["files"].items():
        assert got[name]["rows_in"] == n, name
    reasons = {r[0] for r in q(db, "SELECT DISTINCT reason FROM quarantine")}
    assert all(r.startswith("duplicate submission") for r in reasons), reasons
    assert q(db, "SELECT count(*) FROM people")[0][0] == truth["counts"]["people"]
    assert q(db, "SELECT count(*) FROM mart_people WHERE coached")[0][0] == truth["counts"]["coached_people"]
    assert q(db, "SELECT count(*) FROM cohorts WHERE is_waitlist")[0][0] == 1
    phases = dict(q(db, "SELECT career_phase, count(*) FROM people GROUP BY 1"))
    assert phases == truth["counts"]["career_phase"]
    exits = dict(q(db, "SELECT exit_type, count(*) FROM people WHERE exit_type IS NOT NULL GROUP BY 1"))
    assert exits == truth["counts"]["exits"]


def test_sample_reload_adds_nothing(sample_warehouse, tmp_path, key, settings, instruments):
    from pipelines.ingest.run import ingest

    db = tmp_path / "copy.duckdb"
    shutil.copyfile(sample_warehouse, db)
    before = table_dump(db)
    report = ingest([SAMPLE], db, key, settings, instruments)
    assert not report.changed
    assert table_dump(db) == before


def test_key_mismatch_is_refused(small, load, tmp_path, settings, instruments):
    from pipelines.ingest.pseudonymise import Key
    from pipelines.ingest.run import KeyMismatch, ingest

    load(small / "programs.csv")
    with pytest.raises(KeyMismatch):
        ingest([small / "people.csv"], tmp_path / "wh.duckdb", Key(b"another-secret-0123456789"), settings, instruments)


def test_answer_that_is_not_a_number_is_quarantined_with_its_column(tmp_path, load):
    folder = write_files(tmp_path / "in", {
        "people.csv": "employee_id,department,team\nE1,D,T\nE2,D,T\nE3,D,T\n",
        "survey_w1.csv": "employee_id,submitted_at,val1,val2,val3\nE1,2024-01-10,4,abc,4\nE2,2024-01-10, 5 ,5,5\n"
                         "E3,2024-01-10,3,3,3\n",
    })
    assert _counts(load(folder), "survey_w1.csv") == (3, 2, 1)
    rows = q(tmp_path / "wh.duckdb", "SELECT source_row, column_name, value, reason FROM quarantine")
    assert rows == [(1, "val2", "abc", 'not a number on the 1-7 scale, nor a label in its label set: "abc"')]
    # the rows after the rejected one keep their true row numbers
    assert q(tmp_path / "wh.duckdb", "SELECT count(*) FROM survey_responses WHERE values_alignment = 5")[0][0] == 1


def test_numbers_follow_the_files_decimal_convention(tmp_path, load):
    """A ';' file writes 1.500 for fifteen hundred and 2,400 for two point four; a comma file the
    other way round; a tab file says neither, so a value both readings fit is quarantined."""
    folder = write_files(tmp_path / "in", {
        "programs_de.csv": "program_id;name;type;cost_per_participant;admin_cost;currency\n"
                           "P1;A;team;1.500;1.234,50;EUR\nP2;B;team;2,400;15000;EUR\n",
        "programs_us.csv": 'program_id,name,type,cost_per_participant,admin_cost,currency\n'
                           'P3,C,team,1.500,"1,234.50",USD\nP4,D,team,"2,400","12,5",USD\n',
        "programs_tab.txt": "program_id\tname\ttype\tcost_per_participant\tadmin_cost\tcurrency\n"
                            "P5\tE\tteam\t1.500\t1.5\tEUR\nP6\tF\tteam\t1.234,50\t1,000,000\tEUR\n",
    })
    load(folder)
    db = tmp_path / "wh.duckdb"
    got = dict((r[0], (float(r[1]), float(r[2]) if r[2] is not None else None)) for r in q(
        db, "SELECT program_id, cost_per_participant, admin_cost FROM programs"))
    assert got == {"P1": (1500.0, 1234.5), "P2": (2.4, 15000.0), "P3": (1.5, 1234.5), "P4": (2400.0, 12.5),
                   "P6": (1234.5, 1000000.0)}
    rows = q(db, "SELECT source_row, column_name, value, reason FROM quarantine")
    assert len(rows) == 1 and rows[0][:3] == (1, "cost_per_participant", "1.500")
    assert rows[0][3].startswith("ambiguous number: 1.500 may use a thousands or a decimal separator")


def test_survey_answers_must_be_whole_numbers_and_semicolon_files_take_both_separators(tmp_path, load):
    folder = write_files(tmp_path / "in", {
        "people.csv": "employee_id,department,team\nE1,D,T\nE2,D,T\nE3,D,T\nE4,D,T\n",
        "survey_a.csv": "employee_id,submitted_at,val1,val2,val3,enps\n"
                        "E1,2024-01-10,5.4,5,5,9\nE2,2024-01-10,5,5,5,9.5\nE3,2024-01-10,5.0,5,5,9\n",
        "survey_b.csv": "employee_id;submitted_at;val1;val2;val3;enps\n"
                        "E1;2024-01-10;5.0;5;5;9\nE2;2024-01-10;5,0;4;4;8\nE3;2024-01-10;4,5;5;5;9\n"
                        "E4;2024-01-10;nan;5;5;9\n",
    })
    report = load(folder)
    got = {f.file: (f.rows_in, f.rows_loaded, f.rows_quarantined) for f in report.files if f.entity == "survey"}
    assert got == {"survey_a.csv": (3, 1, 2), "survey_b.csv": (4, 2, 2)}
    rows = q(tmp_path / "wh.duckdb", "SELECT b.file_name, source_row, column_name, value, reason "
                                     "FROM quarantine JOIN load_batches b USING (batch_id) ORDER BY 1, 2")
    assert rows == [
        ("survey_a.csv", 1, "val1", "5.4", "not a whole number on the 1-7 scale"),
        ("survey_a.csv", 2, "enps", "9.5", "not a whole number on the 0-10 scale"),
        ("survey_b.csv", 3, "val1", "4,5", "not a whole number on the 1-7 scale"),
        ("survey_b.csv", 4, "val1", "nan", 'not a number on the 1-7 scale, nor a label in its label set: "nan"'),
    ]


def test_a_survey_loaded_before_its_people_loads_once_they_are(tmp_path, load):
    """The first load quarantines every row (no people yet); the same file is not skipped as
    already loaded once people are: it loads again, and its earlier rows are replaced."""
    survey = SAMPLE / "survey_2024-01.csv"
    db = tmp_path / "wh.duckdb"
    first = load(survey).files[0]
    assert first.rows_loaded == 0 and first.rows_quarantined == first.rows_in
    # nothing new since: still skipped, and the report says what to do
    again = load(survey).files[0]
    assert again.status == "unchanged" and any("load the people file" in n for n in again.notes), again.notes
    report = load(SAMPLE / "programs.csv", SAMPLE / "people.csv", survey)
    f = {x.file: x for x in report.files}["survey_2024-01.csv"]
    assert f.status != "unchanged" and f.rows_loaded > 0, f.notes
    assert any("loaded again" in n for n in f.notes), f.notes
    assert q(db, "SELECT count(*) FROM survey_responses")[0][0] == f.rows_loaded
    # loaded with no row waiting for its person: skipped from now on
    assert load(survey).files[0].status == "unchanged"


PULSE_HEAD = "employee_id,submitted_at,survey_id,val1,val2,val3,enps\n"


def test_rows_of_a_person_whose_people_row_was_quarantined_say_so(tmp_path, load):
    """E2's people row is quarantined (2021-02-30) in the run that loads their enrolment and answers: those
    said "not found in the people data (load people first)", though people was loaded in that very run.
    The reason still ends "(load people first)", so the files load again once the people file is fixed."""
    files = {"programs.csv": "program_id,name,type,currency\nP1,Coaching,alignment,EUR\n",
             "people.csv": "employee_id,department,team,hire_date\nE1,D,T,2021-02-01\nE2,D,T,2021-02-30\n",
             "enrolments.csv": "employee_id,program_id,cohort_id,start_date,end_date,status\n"
                               "E1,P1,C1,2024-01-01,2024-06-01,completed\nE2,P1,C1,2024-01-01,2024-06-01,completed\n"
                               "E9,P1,C1,2024-01-01,2024-06-01,completed\n",
             "survey_pulse.csv": PULSE_HEAD + "E1,2024-02-01,pulse,5,5,5,9\nE2,2024-02-01,pulse,5,5,5,9\n"}
    db = tmp_path / "wh.duckdb"
    load(write_files(tmp_path / "in", files))
    reasons = set(q(db, "SELECT b.file_name, q.source_row, q.reason FROM quarantine q JOIN load_batches b USING (batch_id) "
                        "WHERE q.column_name = 'employee_id'"))
    quarantined = ("employee_id's people row was quarantined in this run: fix it and load the people file again "
                   "(load people first)")
    assert reasons == {("enrolments.csv", 2, quarantined), ("survey_pulse.csv", 2, quarantined),
                       ("enrolments.csv", 3, "employee_id not found in the people data (load people first)")}
    files["people.csv"] = files["people.csv"].replace("2021-02-30", "2021-02-28")
    report = load(write_files(tmp_path / "fixed", files))
    assert {f.file: f.rows_loaded for f in report.files if f.status != "unchanged"} == \
        {"people.csv": 2, "enrolments.csv": 2, "survey_pulse.csv": 2}


def _regional_pulse(tmp_path, load, people: int, emea: str, apac: str):
    """survey_emea.csv and survey_apac.csv, both of survey_id pulse-q1 (rows after PULSE_HEAD), loaded in
    one run with `people` people E1..En: (the warehouse, the report)."""
    folder = write_files(tmp_path / "in", {
        "people.csv": "employee_id,department,team\n" + "".join(f"E{i},D,T\n" for i in range(1, people + 1)),
        "survey_emea.csv": PULSE_HEAD + emea,
        "survey_apac.csv": PULSE_HEAD + apac,
    })
    return tmp_path / "wh.duckdb", load(folder)


def test_two_files_of_one_survey_in_one_run_add_up(tmp_path, load):
    """survey_emea.csv and survey_apac.csv both say survey_id pulse-q1: loaded in one run they add
    up; a later run with a corrected file replaces the survey's rows, and the report says how many."""
    db, report = _regional_pulse(tmp_path, load, 4, "E1,2024-02-01,pulse-q1,5,5,5,9\nE2,2024-02-01,pulse-q1,5,5,5,9\n",
                                 "E3,2024-02-02,pulse-q1,4,4,4,8\nE4,2024-02-02,pulse-q1,4,4,4,8\n")
    assert q(db, "SELECT count(*) FROM survey_responses WHERE survey_id = 'pulse-q1'")[0][0] == 4
    assert all(f.rows_replaced == 0 for f in report.files)
    fix = write_files(tmp_path / "fix", {"survey_all.csv": PULSE_HEAD + "E1,2024-02-03,pulse-q1,6,6,6,10\n"})
    f = load(fix).files[0]
    assert f.rows_replaced == 4 and any("replaced 4 row(s)" in n for n in f.notes), f.notes
    assert q(db, "SELECT count(*) FROM survey_responses WHERE survey_id = 'pulse-q1'")[0][0] == 1


def test_a_person_in_two_files_of_one_survey_keeps_one_response(tmp_path, load):
    """E2 answered in both regional files of pulse-q1 (loaded in one run, apac before emea by name):
    one response is kept, the later file's, and the report counts the one it replaced."""
    db, report = _regional_pulse(tmp_path, load, 3, "E2,2024-02-02,pulse-q1,2,2,2,3\nE3,2024-02-02,pulse-q1,4,4,4,8\n",
                                 "E1,2024-02-01,pulse-q1,5,5,5,9\nE2,2024-02-01,pulse-q1,5,5,5,9\n")
    assert q(db, "SELECT count(*), count(DISTINCT participant_key) FROM survey_responses")[0] == (3, 3)
    assert q(db, "SELECT min(values_alignment) FROM survey_responses")[0][0] == 2.0     # E2's emea answer
    files = {f.file: f for f in report.files}
    assert files["survey_emea.csv"].rows_replaced == 1 and files["survey_apac.csv"].rows_replaced == 0


def test_an_unclosed_quote_refuses_the_file_at_the_row_where_it_opens(tmp_path, load):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "survey_q.csv").write_text(
        "employee_id,submitted_at,val1,val2,val3,enps\nE1,2024-02-01,5,5,5,9\n"
        'E2,"2024-02-01,5,5,5,9\nE3,2024-02-01,5,5,5,9\nE4,2024-02-01,5,5,5,9\n')
    with pytest.raises(RefusedFile, match=r"survey_q.csv \(row 3\).*never closed: the 2 line"):
        load(folder)
    assert not (tmp_path / "wh.duckdb").exists()


def test_rows_after_blank_lines_keep_the_row_a_spreadsheet_shows(tmp_path, load):
    """Rejected rows (numbered by the reader) and good rows (numbered by us) agree after an empty
    line, and a quoted value over two lines stays one row."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "people.csv").write_text("employee_id,department,team,hire_date\nC1,S,T,2020-01-01\n\n"
                                       "C2,S,T,notadate\nC3,S,T,\n")
    (folder / "survey_b.csv").write_text(
        "employee_id,submitted_at,comment,val1,val2,val3,enps\nC1,2024-02-01,,5,5,5,9\n\n"
        "C3,2024-02-01,,5,5,5,zz\n\nC1,2024-02-03,\"two\nlines\",5,5,5,99\n\nC3,2024-02-02,,5,5,5,101\n"
        "C3,2024-02-03,,5,5,5,8\n\n\n")
    report = load(folder)
    rows = q(tmp_path / "wh.duckdb", "SELECT b.file_name, source_row, column_name, value FROM quarantine "
                                     "JOIN load_batches b USING (batch_id) ORDER BY 1, 2")
    assert rows == [("people.csv", 3, "hire_date", "notadate"),
                    ("survey_b.csv", 3, "enps", "zz"),
                    ("survey_b.csv", 5, "enps", "99"),
                    ("survey_b.csv", 7, "enps", "101")]
    assert [(f.rows_in, f.rows_loaded) for f in report.files] == [(3, 2), (5, 2)]


def test_mixed_line_endings_are_read_and_a_reader_failure_is_a_refusal(tmp_path, load, monkeypatch):
    from pipelines.ingest import sniff

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "people.csv").write_bytes(b"employee_id,department,team\r\nE1,D,T\r\nE2,D,T\nE3,D,T\r\n")
    report = load(folder)
    assert (report.files[0].rows_in, report.files[0].rows_loaded) == (3, 3)
    assert any("mixed line endings" in n for n in report.files[0].notes)
    # unnormalised, DuckDB's reader gives up on the file: a refusal naming it, not a traceback
    monkeypatch.setattr(sniff, "_mixed_newlines", lambda raw: False)
    (folder / "people.csv").write_bytes(b"employee_id,department,team\r\nE4,D,T\r\nE5,D,T\nE6,D,T\r\n")
    with pytest.raises(RefusedFile, match=r"^people.csv: expected a CSV file DuckDB's reader can read"):
        load(folder)


def test_parquet_list_or_struct_column_is_not_used_unless_mapped(tmp_path, load):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = write_files(tmp_path / "in", {"people.csv": "employee_id,department,team\nE1,D,T\nE2,D,T\n"})
    table = pa.table({"employee_id": ["E1", "E2"], "submitted_at": ["2024-01-10", "2024-01-11"],
                      "val1": pa.array([4, 5], pa.int8()), "enps": [8, 9],
                      "tags": pa.array([["a"], []], pa.list_(pa.string())),
                      "meta": pa.array([{"x": 1}, {"x": 2}], pa.struct([("x", pa.int32())]))})
    pq.write_table(table, folder / "survey_pq.parquet")
    f = {x.file: x for x in load(folder).files}["survey_pq.parquet"]
    assert (f.rows_in, f.rows_loaded) == (2, 2) and f.ignored_columns == ["tags", "meta"]
    # a used column holding lists is refused, by name
    pq.write_table(table.rename_columns(["employee_id", "submitted_at", "val1", "enps", "val2", "meta"]),
                   tmp_path / "survey_pq2.parquet")
    with pytest.raises(RefusedFile, match=r"survey_pq2.parquet \(row 1, column 'val2'\).*holding list"):
        load(tmp_path / "survey_pq2.parquet")


def test_age_bands_do_not_overlap_and_a_date_that_failed_is_not_a_missing_one(tmp_path, load):
    """26 is 25-29 (it was 20-29 beside <25); an exit date that failed to parse is quarantined for
    that alone, not also as 'exit_date is required when exit_type is given'."""
    folder = write_files(tmp_path / "in", {"people.csv": """
        employee_id,department,team,age,hire_date,exit_date,exit_type
        A1,D,T,24,01/02/2019,,
        A2,D,T,26,13/02/2019,,
        A3,D,T,29,2019-01-01,,
        A4,D,T,30,2019-01-01,,
        A5,D,T,40,2019-01-01,2019-31-31,voluntary
        A6,D,T,41,2019-01-01,,voluntary
    """})
    load(folder)
    db = tmp_path / "wh.duckdb"
    bands = [r[0] for r in q(db, "SELECT age_band FROM people ORDER BY age_band")]
    assert bands == ["25-29", "25-29", "30-39", "<25"]
    rows = q(db, "SELECT source_row, column_name, reason FROM quarantine ORDER BY 1")
    assert rows == [(5, "exit_date", "not a date: expected YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY"),
                    (6, "exit_date", "exit_date is required when exit_type is given")]


def test_an_exit_type_that_is_none_is_quarantined_for_that_alone(tmp_path, load):
    """'On leave' is no exit type: its row was also quarantined as 'exit_date is required when exit_type is
    given', under column exit_date with the value 'on leave' (the exit type's). A real exit type without a
    date is still, under exit_date with the exit date's (blank) value."""
    folder = write_files(tmp_path / "in", {"people.csv": """
        employee_id,department,team,hire_date,exit_date,exit_type
        A1,D,T,2019-01-01,,On leave
        A2,D,T,2019-01-01,,voluntary
    """})
    load(folder)
    rows = q(tmp_path / "wh.duckdb", "SELECT source_row, column_name, value, reason FROM quarantine ORDER BY 1, 2")
    assert rows == [(1, "exit_type", "On leave", "expected one of voluntary, involuntary"),
                    (2, "exit_date", None, "exit_date is required when exit_type is given")]


def test_an_exact_duplicate_session_row_is_quarantined(tmp_path, load):
    folder = write_files(tmp_path / "in", {
        "people.csv": "employee_id,department,team\nE1,D,T\nE2,D,T\n",
        "sessions.csv": "employee_id,coach_id,date,duration_minutes\nE1,C1,2024-02-05,60\nE1,C1,2024-02-05,60\n"
                        "E2,C1,2024-02-05,45\n",
    })
    assert _counts(load(folder), "sessions.csv") == (3, 2, 1)
    assert q(tmp_path / "wh.duckdb", "SELECT source_row, value, reason FROM quarantine") == [
        (1, "kept row 2", "duplicate session row (the same person, date, coach and duration): a later row replaces it")]


def test_a_file_of_empty_rows_under_its_header_is_refused_like_a_header_only_file(tmp_path, load):
    folder = write_files(tmp_path / "in", {"people.csv": "employee_id,department,team\n,,\n , , \n"})
    with pytest.raises(RefusedFile, match="a header and no data rows"):
        load(folder)


@pytest.mark.parametrize("text, want", [
    ("  \n\t\n \r\n", r"found only blank lines"),
    ("\n\nemployee_id,department,team\nE1,D,T\n", r"found 2 blank lines before it \(the header is on row 3\)"),
    ("\r\nemployee_id,department,team\r\nE1,D,T\r\n", r"found 1 blank line before it \(the header is on row 2\)"),
])
def test_blank_lines_where_the_header_should_be_are_named(tmp_path, load, text, want):
    """Before: 'found no column for employee_id among (the whole header is one column: is the delimiter
    right?)', which sent the user to the wrong setting."""
    (tmp_path / "people.csv").write_text(text, newline="")   # as written (write_files strips leading newlines)
    with pytest.raises(RefusedFile, match=want) as exc:
        load(tmp_path / "people.csv")
    assert exc.value.row == 1 and "delimiter" not in str(exc.value)
