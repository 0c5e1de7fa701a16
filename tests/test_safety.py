"""Pseudonymisation and crash safety: raw identifiers never reach the database; a kill -9 in the
middle of an ingest leaves the warehouse exactly as it was."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, TEST_SECRET, table_dump, write_files
from fixtures_foundation import ENROLMENTS, PEOPLE, PROGRAMS, SURVEY


def test_raw_identifiers_appear_nowhere_in_the_database_file(tmp_path, load):
    folder = write_files(tmp_path / "in", {"programs.csv": PROGRAMS, "people.csv": PEOPLE,
                                           "enrolments.csv": ENROLMENTS, "survey_2024-01.csv": SURVEY})
    load(folder)
    db = tmp_path / "wh.duckdb"
    raw = db.read_bytes()
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        raw += wal.read_bytes()
    for secret in (b"E001", b"E002", b"E003", b"E005", b"E999", b"ann@example.org", b"Ann Example",
                   b"1980-02-03", b"15/04/1990", TEST_SECRET.encode()):
        assert secret not in raw, secret
        assert secret.decode().encode("utf-16-le") not in raw
    # and the pseudonyms are there
    from pipelines.ingest.pseudonymise import Key

    assert Key(TEST_SECRET.encode()).participant_key("E001").encode() in raw


def test_sample_warehouse_holds_no_raw_ids(sample_warehouse):
    import csv

    from conftest import SAMPLE

    raw = Path(sample_warehouse).read_bytes()
    with open(SAMPLE / "people.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = [r["employee_id"].strip() for r in rows[:400]]
    emails = [r["email"].strip() for r in rows[:400] if r.get("email", "").strip()]
    assert ids and emails
    leaked = [v for v in ids + emails if v.encode() in raw]
    assert leaked == []


def test_id_normalisation():
    from pipelines.ingest.pseudonymise import Key

    k = Key(b"0123456789abcdef")
    assert k.participant_key(" e001 ") == k.participant_key("E001")
    assert k.participant_key("000123") == k.participant_key("123")
    assert k.participant_key("E001") != k.participant_key("E002")
    assert k.participant_key("E001") != Key(b"another-key-01234").participant_key("E001")


def test_sql_hmac_equals_python_hmac(tmp_path, load, key):
    folder = write_files(tmp_path / "in", {"people.csv": "employee_id,department,team\n  00123 ,D,T\nAbC-9,D,T\n"})
    load(folder)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    keys = {r[0] for r in con.execute("SELECT participant_key FROM people").fetchall()}
    assert keys == {key.participant_key("123"), key.participant_key("abc-9")}


def test_an_id_with_a_tab_or_no_break_space_is_the_same_person_in_sql_and_python(tmp_path, load, key):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "people.csv").write_text('employee_id,department,team\nE7,D,T\n"E7\t",D,T\n"\u00a0e8\r\n",D,T\n"\t",D,T\n',
                                       newline="")
    report = load(folder)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    keys = {r[0] for r in con.execute("SELECT participant_key FROM people").fetchall()}
    reasons = [r[0] for r in con.execute("SELECT reason FROM quarantine ORDER BY source_row").fetchall()]
    assert keys == {key.participant_key("E7"), key.participant_key("E8")} == {key.participant_key("E7\t"),
                                                                              key.participant_key("\u00a0e8\r\n")}
    assert reasons[0].startswith("duplicate row for the same person")      # E7 and "E7<tab>" are one person
    assert reasons[1] == "employee_id is required but blank"               # a tab alone is no id
    assert report.files[0].rows_loaded == 2


def test_a_short_coachlens_secret_is_refused_like_a_short_key_file(tmp_path):
    from pipelines.config import Paths
    from pipelines.ingest.pseudonymise import KeyMissing, load_key

    with pytest.raises(KeyMissing, match="COACHLENS_SECRET is too short .at least 16 characters"):
        load_key(Paths.resolve(env={"COACHLENS_SECRET": "short-secret"}))
    assert load_key(Paths.resolve(env={"COACHLENS_SECRET": "x" * 16})).secret == b"x" * 16


def test_init_creates_a_private_key_file_once(tmp_path):
    from pipelines.config import Paths
    from pipelines.ingest.pseudonymise import KeyMissing, init_key, load_key

    paths = Paths.resolve(env={"COACHLENS_KEY_FILE": str(tmp_path / "k" / "secret.key")})
    path, created = init_key(paths)
    assert created and stat.S_IMODE(path.stat().st_mode) == 0o600
    first = load_key(paths).secret
    _, created_again = init_key(paths)
    assert not created_again and load_key(paths).secret == first
    path.chmod(0o644)
    with pytest.raises(KeyMissing, match="readable by others"):
        load_key(paths)
    with pytest.raises(KeyMissing, match="coachlens init"):
        load_key(Paths.resolve(env={"COACHLENS_KEY_FILE": str(tmp_path / "none.key")}))


def _coachlens(*args, env=None):
    return [sys.executable, "-m", "pipelines.cli", *map(str, args)]


def test_kill_during_ingest_leaves_the_warehouse_as_before(tmp_path, load):
    base = write_files(tmp_path / "base", {"programs.csv": PROGRAMS, "people.csv": PEOPLE})
    load(base)
    db = tmp_path / "wh.duckdb"
    before = table_dump(db)
    mtime = db.stat().st_mtime_ns
    big = tmp_path / "big"
    big.mkdir()
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'E00' || (i % 3 + 1) AS employee_id,
                                 '2024-01-' || lpad((i % 28 + 1)::VARCHAR, 2, '0') AS submitted_at,
                                 'w' || i AS survey_id, i % 7 AS val1, i % 7 AS val2, i % 7 AS val3
                          FROM range(1, 1500001) t(i)) TO '{big / "survey_big.csv"}' (HEADER)""")
    con.close()
    env = dict(os.environ, COACHLENS_SECRET=TEST_SECRET)
    proc = subprocess.Popen(_coachlens("ingest", big, "--db", db), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob("wh.duckdb.next-*")):
        time.sleep(0.02)
    assert list(tmp_path.glob("wh.duckdb.next-*")), "the ingest never started writing"
    time.sleep(0.5)
    assert proc.poll() is None, "the ingest finished before it could be killed; make the file bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert db.stat().st_mtime_ns == mtime
    assert table_dump(db) == before
    # the next ingest succeeds (and clears the stale copy)
    more = write_files(tmp_path / "more", {"survey_2024-01.csv": SURVEY})
    report = load(more)
    assert report.files[0].rows_loaded == 2
    assert not list(tmp_path.glob("wh.duckdb.next-*"))


def test_cli_ingest_refusal_exits_non_zero(tmp_path):
    folder = write_files(tmp_path / "in", {"people.csv": "employee_id,department\nE1,Sales\n"})
    env = dict(os.environ, COACHLENS_SECRET=TEST_SECRET)
    out = subprocess.run(_coachlens("ingest", folder, "--db", tmp_path / "wh.duckdb"), cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert "people.csv (row 1, column 'team')" in out.stdout + out.stderr
    assert not (tmp_path / "wh.duckdb").exists()
