"""HR extracts as HR systems write them, loaded through a mapping file's [people] table: columns
named by the mapping, values recoded, identifiers never stored, every row loaded or quarantined.
The fixture is written here in the layout of a typical HRIS export (names, two-digit-year birth
dates, month-first dates, status words instead of exit types); the real one in
../shared/outside-data is read in place when it is beside the clone."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, TEST_SECRET

from pipelines.config import ConfigError, load_instruments, load_settings
from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.formats import make_reader
from pipelines.ingest.pseudonymise import Key
from pipelines.ingest.run import ingest

KEY = Key(TEST_SECRET.encode())
SETTINGS = load_settings(env={})
INSTRUMENTS = load_instruments(env={})
OUTSIDE = Path(__file__).resolve().parents[2] / "shared" / "outside-data"

HEADER = "Employee_Name,EmpID,Department,ManagerName,ManagerID,DOB,DateofHire,DateofTermination,EmploymentStatus,Zip\n"
ROWS = [
    # name, id, department, manager, manager id, dob, hire, termination, status, zip
    ('"Adams, Ann"', "1001", "Production       ", "Mo Lee", "22", "07/10/83", "7/5/2011", "", "Active", "01960"),
    ('"Baker, Bo"', "1002", "IT/IS", "Simon Roup", "4", "05/05/75", "3/30/2015", "6/16/2016", "Voluntarily Terminated", "02148"),
    ('"Cole, Cy"', "1003", "IT/IS", "Simon Roup", "4", "09/22/76", "1/10/2011", "4/4/2014", "terminated for cause ", "02453"),
    ('"Dunn, Di"', "1004", "Sales", "Amy Dunn", "", "11/02/64", "9/29/2014", "", "Active", "01810"),
    ('"Eve, Ed"', "1005", "Sales", "Amy Dunn", "11", "01/12/90", "5/16/2011", "", "On leave", "02132"),
    ('"O\'Brien, Flo"', "1006", "Sales", "Amy Dunn", "11", "06/15/64", "4/2/2012", "8/19/2018", "O'Brien's exit", "02132"),
]
MAPPING = """
[people]
employee_id = "EmpID"
department = "Department"
team = "ManagerID"          # a team is a manager's reports
hire_date = "DateofHire"
exit_date = "DateofTermination"
exit_type = "EmploymentStatus"
date_of_birth = "DOB"

[people.values.exit_type]
"Voluntarily Terminated" = "voluntary"
"Terminated for Cause" = "involuntary"
"O'Brien's exit" = "voluntary"   # a quote in a value: bound as a parameter, never SQL
"Active" = ""
"""


def _extract(folder: Path, name: str = "workday_extract_2026-11.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(HEADER + "".join(",".join(r) + "\n" for r in ROWS), encoding="utf-8")
    return path


def _mapping(tmp_path: Path, text: str = MAPPING) -> Path:
    path = tmp_path / "hr.toml"
    path.write_text(text)
    return path


def _band(y: int, m: int, d: int, on: dt.date | None = None) -> str:
    """The age band the loader gives someone born on that day, as of `on` (the extract's date; None: today)."""
    today = on or dt.date.today()
    age = today.year - y - ((today.month, today.day) < (m, d))
    if age < 25:
        return "<25"
    if age < 30:
        return "25-29"
    if age >= 65:
        return "65+"
    if age >= 60:
        return "60-64"
    return f"{age // 10 * 10}-{age // 10 * 10 + 9}"


def _run(files, db, mapping, extract_date: dt.date | None = None):
    return ingest(files, db, KEY, SETTINGS, INSTRUMENTS, reader=make_reader(mapping, instruments=INSTRUMENTS),
                  extract_date=extract_date)


def test_an_hris_extract_loads_through_its_mapping(tmp_path):
    db = tmp_path / "wh.duckdb"
    # the file's name says nothing: the mapping's [people] columns are all in it, so it is a people file
    rep = _run([_extract(tmp_path / "in")], db, _mapping(tmp_path))
    f = rep.files[0]
    assert f.entity == "people"
    assert f.rows_in == 6 and f.rows_loaded == 4 and f.rows_quarantined == 2
    assert {"Employee_Name", "ManagerName", "DOB", "Zip"} <= set(f.dropped_columns)
    con = duckdb.connect(str(db), read_only=True)
    try:
        people = con.execute("SELECT department, team, hire_date::VARCHAR, exit_date::VARCHAR, exit_type, age_band "
                             "FROM people ORDER BY hire_date").fetchall()
        quarantine = sorted(con.execute("SELECT source_row, column_name, value, reason FROM quarantine").fetchall())
    finally:
        con.close()
    # month-first dates settled by the column (30 and 16 are days); DOB too (22 is a day): ages, not blanks
    assert people == [
        ("IT/IS", "4", "2011-01-10", "2014-04-04", "involuntary", _band(1976, 9, 22)),  # "terminated for cause "
        ("Production", "22", "2011-07-05", None, None, _band(1983, 7, 10)),              # "Active" recoded to blank
        ("Sales", "11", "2012-04-02", "2018-08-19", "voluntary", _band(1964, 6, 15)),    # the quoted value
        ("IT/IS", "4", "2015-03-30", "2016-06-16", "voluntary", _band(1975, 5, 5)),
    ]
    assert {r[0] for r in quarantine} == {4, 5}
    assert (4, "team", None, "team is required but blank") in quarantine
    # a status the mapping does not recode is quarantined with its value, not guessed
    assert [r for r in quarantine if r[0] == 5] == [(5, "exit_type", "On leave", "expected one of voluntary, involuntary")]
    raw = db.read_bytes()
    for identifying in (b"Adams", b"Simon Roup", b"1001", b"01960", b"07/10/83"):
        assert identifying not in raw


def test_ages_from_birth_dates_are_reckoned_at_the_extract_date(tmp_path):
    """An extract taken in 2018 and loaded today: the ages are those of 2018, not eight years older (a later
    age band, and a later career phase). Without --extract-date the report says they are today's."""
    on = dt.date(2018, 11, 10)
    db = tmp_path / "wh.duckdb"
    rep = _run([_extract(tmp_path / "in")], db, _mapping(tmp_path), extract_date=on)
    assert not any("reckoned at today" in n for n in rep.files[0].notes)
    con = duckdb.connect(str(db), read_only=True)
    try:
        bands = [r[0] for r in con.execute("SELECT age_band FROM people ORDER BY hire_date").fetchall()]
    finally:
        con.close()
    expected = [_band(1976, 9, 22, on), _band(1983, 7, 10, on), _band(1964, 6, 15, on), _band(1975, 5, 5, on)]
    assert bands == expected == ["40-49", "30-39", "50-59", "40-49"]
    assert bands != [_band(1976, 9, 22), _band(1983, 7, 10), _band(1964, 6, 15), _band(1975, 5, 5)]
    rep = _run([_extract(tmp_path / "in2")], tmp_path / "wh2.duckdb", _mapping(tmp_path))
    assert any(f"ages from DOB reckoned at today's date ({dt.date.today()})" in n and "--extract-date" in n
               for n in rep.files[0].notes), rep.files[0].notes


def test_a_file_loaded_through_a_mistaken_mapping_loads_again_through_the_corrected_one(tmp_path):
    """The same bytes read through another mapping are another load: a file whose rows a mapping without
    the exit-type recode quarantined is loaded when the recode is added (it was skipped as "already
    loaded (same sha256)", and the user could not load it short of a new warehouse). The same mapping
    again is still a repeat."""
    db, extract = tmp_path / "wh.duckdb", _extract(tmp_path / "in")
    first = _run([extract], db, _mapping(tmp_path, MAPPING.split("[people.values.exit_type]")[0])).files[0]
    assert first.rows_loaded == 0 and first.rows_quarantined == 6
    fixed = _run([extract], db, _mapping(tmp_path)).files[0]
    assert (fixed.status, fixed.rows_loaded, fixed.rows_quarantined) == ("loaded_with_quarantine", 4, 2)
    again = _run([extract], db, _mapping(tmp_path)).files[0]
    assert again.status == "unchanged"


def test_a_name_column_is_never_mapped_to_a_stored_field(tmp_path):
    mapping = _mapping(tmp_path, '[people]\nemployee_id = "EmpID"\nteam = "ManagerName"\n')
    with pytest.raises(RefusedFile) as exc:
        _run([_extract(tmp_path / "in", "people_extract.csv")], tmp_path / "wh.duckdb", mapping)
    assert exc.value.column == "ManagerName" and "identifier" in str(exc.value)


def test_a_mapped_column_missing_from_the_file_is_named(tmp_path):
    mapping = _mapping(tmp_path, '[people]\nteam = "Team Code"\n')
    with pytest.raises(RefusedFile) as exc:
        _run([_extract(tmp_path / "in", "people_extract.csv")], tmp_path / "wh.duckdb", mapping)
    msg = str(exc.value)
    assert exc.value.column == "Team Code" and "[people]" in msg and "ManagerID" in msg


@pytest.mark.parametrize("text, expected", [
    ('[people]\nteams = "X"\n', "'teams', not a people field"),
    ('[people]\nteam = 3\n', "expected a column name"),
    ('[people]\n[people.values.exit_type]\n"Quit" = "resigned"\n', "expected one of voluntary, involuntary"),
    ('[people]\n[people.values.employee_id]\n"a" = "b"\n', "values can be recoded for the fields"),
    ('[people.values.exit_type]\n"Quit" = "voluntary"\n" quit" = "involuntary"\n', "is given twice"),
    ('[staff]\nteam = "X"\n', "unknown setting(s) staff"),
])
def test_mapping_mistakes_are_configuration_errors_naming_the_setting(tmp_path, text, expected):
    with pytest.raises(ConfigError) as exc:
        make_reader(_mapping(tmp_path, text), instruments=INSTRUMENTS)
    assert expected in str(exc.value) and "hr.toml" in str(exc.value)


def test_without_a_mapping_the_refusal_says_how_to_map(tmp_path, load):
    with pytest.raises(RefusedFile) as exc:
        load(_extract(tmp_path / "in", "people_extract.csv"))
    assert "no column for team" in str(exc.value) and "[people] table" in str(exc.value)


def test_cli_prints_bracketed_settings_and_columns_as_written(tmp_path):
    """Rich markup must not eat "[people]" from an error, nor "[Row]" from a column name."""
    env = dict(os.environ, COACHLENS_SECRET=TEST_SECRET, COLUMNS="250")
    mapping = _mapping(tmp_path, '[people]\nteam = "Team Code"\n')
    out = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", str(_extract(tmp_path / "in")),
                          "--db", str(tmp_path / "wh.duckdb"), "--mapping", str(mapping)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "mapping's [people] names for team" in out.stderr


HR_V14 = OUTSIDE / "hr_dataset_v14.csv"


@pytest.mark.skipif(not HR_V14.exists(), reason="../shared/outside-data not beside the clone")
def test_real_hris_extract_hr_dataset_v14(tmp_path):
    """Huebner & Patalano's HR data set (311 people): 8 have no manager id and are quarantined."""
    db = tmp_path / "wh.duckdb"
    rep = _run([HR_V14], db, _mapping(tmp_path))
    f = rep.files[0]
    assert (f.rows_in, f.rows_loaded, f.rows_quarantined) == (311, 303, 8)
    assert f.reasons == {"team is required but blank": 8}
    assert {"Employee_Name", "ManagerName", "DOB", "Zip"} <= set(f.dropped_columns)
    con = duckdb.connect(str(db), read_only=True)
    try:
        exits = dict(con.execute("SELECT coalesce(exit_type, 'none'), count(*) FROM people GROUP BY 1").fetchall())
        no_age = con.execute("SELECT count(*) FROM people WHERE age_band IS NULL").fetchone()[0]
    finally:
        con.close()
    assert exits["voluntary"] + exits["involuntary"] + exits["none"] == 303
    assert exits["involuntary"] == 16 and exits["voluntary"] == 88
    assert no_age == 0
    assert b"Adinolfi" not in db.read_bytes()


LMS_RENAME = {"employee_id": "Staff Number", "program_id": "Programme", "cohort_id": "Cohort Code",
              "start_date": "Start", "end_date": "End", "status": "Enrolment Status", "coach_id": "Coach"}
LMS_WORDS = {"completed": "Finished", "active": "In progress", "withdrawn": "Dropped out", "waitlist": "Waiting list"}


def _lms_export(tmp_path: Path) -> tuple[Path, int]:
    """sample_data/enrolments.csv as a learning platform would export it: its own column names and
    status words."""
    import csv

    rows = list(csv.reader(open(ROOT / "sample_data" / "enrolments.csv", newline="")))
    status = rows[0].index("status")
    rows[0] = [LMS_RENAME.get(h, h) for h in rows[0]]
    for r in rows[1:]:
        r[status] = LMS_WORDS[r[status].lower()]
    export = tmp_path / "lms_export.csv"
    with open(export, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return export, len(rows) - 1


def _enrolments(db: Path) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * EXCLUDE (batch_id) FROM enrolments ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_an_lms_enrolment_export_loads_as_the_canonical_file_does(tmp_path):
    """[enrolments] works as [people] does: renamed columns and status words give the same table."""
    export, n = _lms_export(tmp_path)
    mapping = _mapping(tmp_path, "[enrolments]\n" + "".join(f'{k} = "{v}"\n' for k, v in LMS_RENAME.items())
                       + "[enrolments.values.status]\n" + "".join(f'"{v}" = "{k}"\n' for k, v in LMS_WORDS.items()))
    base = [ROOT / "sample_data" / "people.csv", ROOT / "sample_data" / "programs.csv"]
    _run(base + [ROOT / "sample_data" / "enrolments.csv"], tmp_path / "a.duckdb", None)
    rep = _run(base + [export], tmp_path / "b.duckdb", mapping)
    assert rep.files[-1].entity == "enrolments" and rep.files[-1].rows_quarantined == 0
    a = _enrolments(tmp_path / "a.duckdb")
    assert len(a) == n and a == _enrolments(tmp_path / "b.duckdb")


def test_suggested_mapping_for_an_lms_export_loads_it_unchanged(tmp_path):
    """`mapping suggest` on the LMS export: the entity from its columns, every field found, the status
    words guessed; used as written, it loads the same table as the canonical file."""
    from pipelines.ingest.formats.suggest import suggest

    export, n = _lms_export(tmp_path)
    text = suggest(export, INSTRUMENTS, workdir=tmp_path)
    assert "[enrolments]" in text and '"Dropped out" = "withdrawn"' in text
    mapping = _mapping(tmp_path, text)
    base = [ROOT / "sample_data" / "people.csv", ROOT / "sample_data" / "programs.csv"]
    _run(base + [ROOT / "sample_data" / "enrolments.csv"], tmp_path / "a.duckdb", None)
    _run(base + [export], tmp_path / "b.duckdb", mapping)
    assert _enrolments(tmp_path / "a.duckdb") == _enrolments(tmp_path / "b.duckdb")


def test_suggested_mapping_for_an_hris_extract(tmp_path):
    """Columns by name (never a name column for the team), the status values listed with guesses, and
    a value it cannot guess left commented for a person to decide: "On leave" (on leave, or a leaver?)
    was written `"On leave" = ""`, loading the person as still employed. Used as written, its row is
    quarantined with the value named."""
    from pipelines.ingest.formats.mapping import load_mapping
    from pipelines.ingest.formats.suggest import suggest

    text = suggest(_extract(tmp_path / "in"), INSTRUMENTS, workdir=tmp_path)
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    for expected in ('employee_id = "EmpID"', 'team = "ManagerID"', 'exit_type = "EmploymentStatus"',
                     'date_of_birth = "DOB"', '"Voluntarily Terminated" = "voluntary"',
                     '"terminated for cause" = "involuntary"', '"Active" = ""'):
        assert expected in lines, (expected, text)
    assert not any("ManagerName" in line or "Employee_Name" in line for line in lines)
    assert '# "O\'Brien\'s exit" = "..."' in text          # no guess: commented, CHECK
    assert not any(line.startswith('"On leave"') for line in lines)
    assert '# "On leave" = "..."   # 1 rows: decide: "voluntary", "involuntary" or "" (still employed)' in text
    m = load_mapping(_mapping(tmp_path, text))
    assert m.entities["people"].fields["team"] == "ManagerID"
    db = tmp_path / "wh.duckdb"
    _run([_extract(tmp_path / "in")], db, _mapping(tmp_path, text))
    con = duckdb.connect(str(db), read_only=True)
    try:
        quarantined = con.execute("SELECT source_row, column_name, value FROM quarantine").fetchall()
    finally:
        con.close()
    assert (5, "exit_type", "On leave") in quarantined


def test_several_mapping_files_in_one_run_beside_canonical_files(tmp_path):
    """--mapping hr.toml --mapping lms.toml: the HRIS extract through [people], the LMS export through
    [enrolments], and the canonical people.csv in the same run read as it is (it has every required
    column and none of the mapped ones)."""
    export, n = _lms_export(tmp_path)
    lms = tmp_path / "lms.toml"
    lms.write_text("[enrolments]\n" + "".join(f'{k} = "{v}"\n' for k, v in LMS_RENAME.items())
                   + "[enrolments.values.status]\n" + "".join(f'"{v}" = "{k}"\n' for k, v in LMS_WORDS.items()))
    sample = ROOT / "sample_data"
    rep = _run([sample / "people.csv", sample / "programs.csv", export, _extract(tmp_path / "in")],
               tmp_path / "wh.duckdb", [_mapping(tmp_path), lms])
    by_file = {f.file: f for f in rep.files}
    assert by_file["people.csv"].rows_loaded == 2000 and by_file["people.csv"].rows_quarantined == 0
    assert by_file["workday_extract_2026-11.csv"].rows_loaded == 4
    assert by_file["lms_export.csv"].rows_loaded == n


@pytest.mark.parametrize("second, expected", [
    ('[people]\nteam = "Unit"\n', "[people] is in both"),
    ('format = "qualtrics"\n[columns]\nemployee_id = "ExternalReference"\n', "both map survey exports"),
])
def test_two_mapping_files_may_not_claim_the_same_thing(tmp_path, second, expected):
    first = _mapping(tmp_path, ('format = "qualtrics"\n' if "survey" in expected else "") + MAPPING)
    other = tmp_path / "other.toml"
    other.write_text(second)
    with pytest.raises(ConfigError) as exc:
        make_reader([first, other], instruments=INSTRUMENTS)
    assert expected in str(exc.value)


def test_suggest_says_what_it_cannot_map(tmp_path):
    from pipelines.ingest.formats.errors import MappingError
    from pipelines.ingest.formats.suggest import suggest

    with pytest.raises(MappingError, match="a canonical survey file needs no mapping"):
        suggest(ROOT / "sample_data" / "survey_2024-01.csv", INSTRUMENTS, workdir=tmp_path)
    other = tmp_path / "budget.csv"
    other.write_text("Quarter,Spend,Forecast\nQ1,100,120\n")
    with pytest.raises(MappingError, match="no column looks like a people field"):
        suggest(other, INSTRUMENTS, workdir=tmp_path)


@pytest.mark.parametrize("value, guess", [
    ("Active", ""), ("Employed", ""), ("Voluntarily Terminated", "voluntary"), ("Terminated for Cause", "involuntary"),
    # a status that turns a hint around, or says nothing sure, is left to a person: never "still employed"
    ("Inactive", None), ("Unemployed", None), ("Not active", None), ("Non-active", None), ("On leave", None),
])
def test_suggested_exit_type_guesses(value, guess):
    from pipelines.ingest.formats.suggest_extract import _guess

    assert _guess("exit_type", value) == guess
