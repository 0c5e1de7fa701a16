"""`coachlens ingest` while the dashboard reads: both succeed, and the reader sees the new load.

DuckDB allows one read-write process per file or many read-only ones, never both. A reader process
that keeps a read-only connection open (as the dashboard's dashboard.db.Reader does) would make an
ingest that writes the live file fail with "Could not set lock on file", and an ingest that held
the file would make the dashboard fail. The warehouse's build-a-copy-and-os.replace() design avoids
both; this test proves it with two real processes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest



ROOT = Path(__file__).resolve().parent.parent
COACHLENS = Path(sys.executable).with_name("coachlens")

# A dashboard-like reader: one Reader for the whole run (a long-lived read-only connection, reopened
# only when the data version changes), a query every few milliseconds, one JSON line per query.
READER = r"""
import importlib, json, sys, time
module, name = sys.argv[3].split(":")
reader = getattr(importlib.import_module(module), name)(sys.argv[1])
stop_after = float(sys.argv[2])
t_end = time.monotonic() + stop_after
while time.monotonic() < t_end:
    try:
        cur = reader.cursor()
        n = cur.execute("SELECT count(*) FROM survey_responses").fetchone()[0]
        batches = cur.execute("SELECT count(*) FROM load_batches").fetchone()[0]
        cur.close()
        print(json.dumps({"t": time.monotonic(), "version": reader._version, "responses": n,
                          "batches": batches}), flush=True)
    except Exception as exc:  # any error is a failure of the design under test
        print(json.dumps({"t": time.monotonic(), "error": f"{type(exc).__name__}: {exc}"}), flush=True)
    time.sleep(0.02)
"""


def _ingest(paths: list[Path], db: Path, env, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(COACHLENS), "ingest", *map(str, paths), "--db", str(db)], cwd=ROOT,
                          env=env(db), capture_output=True, text=True, timeout=timeout)


READERS = [
    # What the dashboard (dashboard.components._reader), the query layer and `coachlens export` use.
    "dashboard.db:Reader",
]


@pytest.mark.parametrize("reader_class", READERS)
def test_ingest_while_a_reader_holds_the_warehouse_open(dashboard_source: Path, tmp_path: Path, coachlens_env,
                                                        reader_class: str):
    src = dashboard_source
    surveys = sorted(src.glob("survey*"))
    assert len(surveys) >= 2, "the sample data needs two survey files for this test"
    first = tmp_path / "first"
    first.mkdir()
    for f in src.iterdir():
        if f.is_file() and f.suffix in (".csv", ".xlsx", ".parquet") and f not in surveys[1:]:
            shutil.copy(f, first / f.name)
    db = tmp_path / "live.duckdb"
    done = _ingest([first], db, coachlens_env)
    assert done.returncode == 0, done.stdout + done.stderr

    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), "60", reader_class], cwd=ROOT, env=coachlens_env(db),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Wait until the reader has its connection open and has read the first version.
        first_line = json.loads(reader.stdout.readline())
        assert "error" not in first_line, first_line
        before = first_line
        t0 = time.monotonic()
        second = _ingest(surveys[1:], db, coachlens_env, timeout=120)
        ingest_seconds = time.monotonic() - t0
        assert second.returncode == 0, f"ingest failed while the dashboard was reading:\n{second.stdout}{second.stderr}"
        assert "lock" not in (second.stdout + second.stderr).lower()
        # Read what the reader did during the ingest and a few queries after it.
        t_done = time.monotonic()
        lines = []
        deadline = t_done + 30
        while time.monotonic() < deadline:
            line = reader.stdout.readline()
            if not line:
                break
            row = json.loads(line)
            lines.append(row)
            if "error" in row or sum(r["t"] > t_done for r in lines) >= 5:
                break
    finally:
        reader.kill()
        reader.wait(timeout=10)

    errors = [r["error"] for r in lines if "error" in r]
    assert not errors, f"the reader failed during the ingest: {errors[:3]}"
    after = lines[-1]
    assert after["version"] != before["version"], "the reader never noticed the new data version"
    assert after["batches"] > before["batches"]
    assert after["responses"] > before["responses"], "the new survey responses are not visible to the reader"
    # The reader read throughout: queries kept coming while the ingest ran (it was not blocked).
    during = [r for r in lines if t0 <= r["t"] <= t_done]
    assert ingest_seconds < 60
    assert during or ingest_seconds < 0.5, "the reader made no query while the ingest ran"
    # No stale working copy is left behind.
    assert not list(db.parent.glob(db.name + ".next-*"))


def test_the_dashboard_cache_follows_a_new_load(dashboard_source: Path, tmp_path: Path, monkeypatch, coachlens_env):
    """The dashboard's cached query results are keyed on the data version: after an ingest the next
    interaction shows the new numbers, without a restart."""
    from streamlit.testing.v1 import AppTest

    src = dashboard_source
    surveys = sorted(src.glob("survey*"))
    first = tmp_path / "first"
    first.mkdir()
    for f in src.iterdir():
        if f.is_file() and f.suffix == ".csv" and not f.name.startswith("survey"):
            shutil.copy(f, first / f.name)
    db = tmp_path / "live.duckdb"
    assert _ingest([first], db, coachlens_env).returncode == 0
    monkeypatch.setenv("COACHLENS_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app_pages" / "quality.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    loads_before = _loads_table(at)

    done = _ingest(surveys, db, coachlens_env)
    assert done.returncode == 0, done.stdout + done.stderr
    at.run()  # the next interaction
    assert not at.exception, at.exception
    loads_after = _loads_table(at)
    assert len(loads_after) > len(loads_before), "a new load did not show up on the next interaction"


def _loads_table(at):
    for df in at.dataframe:
        value = df.value
        if "rows_loaded" in value.columns or "file" in value.columns or "file_name" in value.columns:
            return value
    raise AssertionError("no loads table on the Data quality page")
