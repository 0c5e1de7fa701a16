"""The `coachlens` command end to end: init, generate, ingest, status, as a user runs them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from conftest import ROOT


def run(*args, env):
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_init_generate_ingest_status(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COACHLENS_SECRET"}
    env.update(COACHLENS_KEY_FILE=str(tmp_path / "keys" / "secret.key"), COLUMNS="200")
    db = tmp_path / "wh.duckdb"
    # without a key, ingest says how to get one
    out = run("ingest", ROOT / "sample_data", "--db", db, env=env)
    assert out.returncode == 2 and "coachlens init" in out.stderr
    out = run("init", env=env)
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE((tmp_path / "keys" / "secret.key").stat().st_mode) == 0o600
    out = run("generate", "--people", 600, "--seed", 3, "--out", tmp_path / "data", env=env)
    assert out.returncode == 0, out.stderr
    truth = json.loads((tmp_path / "data" / "truth.json").read_text())
    # a folder of someone's own files is not overwritten (an earlier output, as above, is)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "people.csv").write_text("employee_id,department,team\nE1,D,T\n")
    out = run("generate", "--people", 600, "--out", tmp_path / "mine", env=env)
    assert out.returncode == 2 and "not an earlier 'coachlens generate' output" in out.stderr, out.stderr
    assert (tmp_path / "mine" / "people.csv").read_text() == "employee_id,department,team\nE1,D,T\n"
    out = run("ingest", tmp_path / "data", "--db", db, env=env)
    assert out.returncode == 0, out.stderr
    assert "Load report" in out.stdout and "email, date_of_birth" in out.stdout
    out = run("status", "--db", db, env=env)
    assert out.returncode == 0, out.stderr
    assert f"{truth['counts']['people']:,}" in out.stdout
    assert f"{truth['counts']['coached_people']:,}" in out.stdout
    assert "duplicate submission for the same survey" in out.stdout
    assert "no extract date recorded" in out.stdout     # the as-of date and where it comes from
    # a second run of the same files changes nothing and says so
    out = run("ingest", tmp_path / "data", "--db", db, env=env)
    assert out.returncode == 0 and "Nothing new" in out.stdout


def test_ingest_records_the_extract_date(tmp_path):
    env = dict(os.environ, COLUMNS="200")
    db = tmp_path / "wh.duckdb"
    (tmp_path / "people.csv").write_text("employee_id,department,team\nE1,D,T\n")
    out = run("ingest", tmp_path / "people.csv", "--db", db, "--extract-date", "31/12/2025", env=env)
    assert out.returncode == 2 and "--extract-date '31/12/2025' is not a date" in out.stderr
    out = run("ingest", tmp_path / "people.csv", "--db", db, "--extract-date", "2025-12-31", env=env)
    assert out.returncode == 0 and "Extract date: 2025-12-31." in out.stdout, out.stderr
    out = run("status", "--db", db, env=env)
    assert out.returncode == 0 and "2025-12-31 (the people extract's date, recorded at ingest)" in out.stdout
    # a date after today is refused, nothing loaded (retention would count the days up to it as survived)
    out = run("ingest", tmp_path / "people.csv", "--db", db, "--extract-date", "2099-01-01", env=env)
    assert out.returncode == 2 and "--extract-date 2099-01-01 is after today" in out.stderr, out.stderr
    assert "2025-12-31 (the people extract's date" in run("status", "--db", db, env=env).stdout
    # exits after the extract date: loaded, with a warning that they are not counted
    (tmp_path / "people2.csv").write_text("employee_id,department,team,hire_date,exit_date,exit_type\n"
                                          "E1,D,T,2020-01-01,,\nE2,D,T,2020-01-01,2025-03-01,voluntary\n")
    out = run("ingest", tmp_path / "people2.csv", "--db", db, "--extract-date", "2025-01-31", env=env)
    assert out.returncode == 0, out.stderr
    assert "Warning: 1 person has an exit date after the extract date 2025-01-31 (the latest 2025-03-01)" in out.stdout
    out = run("ingest", tmp_path / "people2.csv", "--db", db, "--extract-date", "2025-06-30", env=env)
    assert out.returncode == 0 and "Warning" not in out.stdout, out.stdout


def test_status_without_a_warehouse_says_how_to_build_one(tmp_path):
    out = run("status", "--db", tmp_path / "none.duckdb", env=dict(os.environ))
    assert out.returncode == 1 and "coachlens ingest" in out.stderr


def test_readme_documents_every_command():
    from typer.main import get_command

    from pipelines.cli import app

    readme = (ROOT / "README.md").read_text()
    commands = sorted(get_command(app).commands)
    assert {"init", "generate", "ingest", "status", "dashboard", "export", "report", "mapping"} <= set(commands)
    missing = [c for c in commands if f"coachlens {c}" not in readme]
    assert missing == []
    assert "make run" in readme and "make test" in readme


def test_a_file_of_which_nothing_loaded_is_said_so(tmp_path):
    """Every row of a file quarantined (here a people file whose teams are all blank): the report's status
    says "nothing loaded" and a line says what to do, instead of a plain "loaded_with_quarantine"; the report
    and status count the quarantined rows per reason, not the problems (two bad dates in each row here)."""
    env = dict(os.environ, COLUMNS="200")
    db = tmp_path / "wh.duckdb"
    (tmp_path / "people.csv").write_text("employee_id,department,team,hire_date,exit_date\nE1,D,,someday,never\n"
                                         "E2,D,,x,y\nE3,D,,a,b\n")
    out = run("ingest", tmp_path / "people.csv", "--db", db, env=env)
    assert out.returncode == 0, out.stderr
    assert "nothing loaded" in out.stdout and "Nothing of people.csv was loaded: all 3 rows were quarantined" in out.stdout
    # two dates wrong in each row: 3 rows, not 6 problems
    assert "people.csv: 3 rows: not a date" in out.stdout and "people.csv: 3 rows: team is required" in out.stdout
    (tmp_path / "more.csv").write_text("employee_id,department,team\nE4,D,T\n")
    out = run("ingest", tmp_path / "more.csv", "--db", db, env=env)
    assert "nothing loaded" not in out.stdout and "Nothing of" not in out.stdout
    out = run("status", "--db", db, env=env)
    assert out.returncode == 0, out.stderr
    reasons = [line for line in out.stdout.splitlines() if "not a date" in line]
    assert len(reasons) == 1 and reasons[0].rstrip(" │|").split()[-1] == "3", out.stdout


def test_quarantine_lists_each_files_rows_to_fix(tmp_path):
    """`coachlens quarantine`: the file, row, column, value and reason of every problem of each file's latest
    load, shown or written to CSV; once the file is loaded again fixed, nothing is left of it."""
    env = dict(os.environ, COLUMNS="200")
    db = tmp_path / "wh.duckdb"
    people = tmp_path / "people.csv"
    people.write_text("employee_id,department,team,hire_date\nE1,D,T,2020-01-01\nE2,D,,someday\nE3,D,T,=1+1\n")
    assert run("ingest", people, "--db", db, env=env).returncode == 0
    out = run("quarantine", "--db", db, env=env)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if "people.csv" in line]
    assert len(lines) == 3 and all(line.count("people.csv") == 1 for line in lines), out.stdout
    assert "│   2 │ hire_date │ someday │ not a date" in out.stdout and "│   2 │ team " in out.stdout
    csv_path = tmp_path / "q.csv"
    assert run("quarantine", "--db", db, "--out", csv_path, env=env).returncode == 0
    text = csv_path.read_text()
    assert text.splitlines()[0] == "file,row,column,value,reason" and len(text.splitlines()) == 4
    assert "'=1+1" in text and ",=1+1" not in text       # a formula as the file wrote it, never live in a spreadsheet
    people.write_text("employee_id,department,team,hire_date\nE1,D,T,2020-01-01\nE2,D,T,2021-01-01\n")
    assert run("ingest", people, "--db", db, env=env).returncode == 0
    out = run("quarantine", "--db", db, "--file", "people.csv", env=env)
    assert "No quarantined rows in people.csv's latest load." in out.stdout, out.stdout
