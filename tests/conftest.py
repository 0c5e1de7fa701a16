"""Shared fixtures. Each section belongs to one part of the product; keep them apart."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
TEST_SECRET = "coachlens-test-secret-0123456789"

# Every test runs with a known pseudonymisation secret and no user config leaking in.
os.environ["COACHLENS_SECRET"] = TEST_SECRET
for _var in ("COACHLENS_CONFIG", "COACHLENS_INSTRUMENTS", "COACHLENS_DB"):
    os.environ.pop(_var, None)
# The dashboard's background priming (dashboard.prime) would race the tests that count statements and
# kept counts: off, but in tests/test_prime.py, which turns it on where it checks it.
os.environ["COACHLENS_PRIME"] = "0"


# ---------------------------------------------------------------- foundation (ingest, warehouse)

@pytest.fixture(scope="session")
def settings():
    from pipelines.config import load_settings

    return load_settings()


@pytest.fixture(scope="session")
def instruments():
    from pipelines.config import load_instruments

    return load_instruments()


@pytest.fixture(scope="session")
def key():
    from pipelines.ingest.pseudonymise import Key

    return Key(TEST_SECRET.encode())


def write_files(folder: Path, files: dict[str, str]) -> Path:
    """Write small CSV fixtures given as dedented text."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip("\n"))
    return folder


@pytest.fixture
def load(tmp_path, key, settings, instruments):
    """load(paths..., db=None) -> RunReport, into tmp_path/wh.duckdb by default."""
    from pipelines.ingest.run import ingest

    def _load(*paths, db=None):
        return ingest(list(paths), db or tmp_path / "wh.duckdb", key, settings, instruments)

    return _load


def table_dump(db: Path) -> dict[str, list]:
    """Every table's full contents, sorted, for before/after comparisons."""
    import duckdb

    if not Path(db).exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory, key, settings, instruments) -> Path:
    """sample_data/ ingested once per test session (read it, never write it)."""
    from pipelines.ingest.run import ingest

    if not (SAMPLE / "people.csv").exists():
        pytest.skip("sample_data/ is not generated")
    db = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    ingest([SAMPLE], db, key, settings, instruments)
    return db


# ---------------------------------------------------------------- analytics (query layer, stats, export)

from fixtures_analytics import small_wh  # noqa: E402,F401


# ---------------------------------------------------------------- dashboard (pages, browser, concurrency)
# Owned by the dashboard (issue 4). A warehouse built once per session from sample_data/ (or, when
# sample_data/ has not been generated, from the generator with a fixed seed), through the real
# `coachlens ingest` command with COACHLENS_SECRET set.

DASHBOARD_SEED = 20261123
DASHBOARD_PEOPLE = 1200


def _coachlens_bin() -> str:
    import sys

    return str(Path(sys.executable).with_name("coachlens"))


def _dashboard_env(db: Path | None = None) -> dict:
    env = dict(os.environ, COACHLENS_SECRET=TEST_SECRET, PYTHONUNBUFFERED="1")
    for var in ("COACHLENS_CONFIG", "COACHLENS_INSTRUMENTS"):
        env.pop(var, None)
    if db is not None:
        env["COACHLENS_DB"] = str(db)
    return env


@pytest.fixture(scope="session")
def coachlens_env():
    """coachlens_env(db) -> the environment for a `coachlens` subprocess on that warehouse."""
    return _dashboard_env


@pytest.fixture(scope="session")
def dashboard_source(tmp_path_factory) -> Path:
    """The canonical files the dashboard tests load: sample_data/, else freshly generated."""
    import subprocess

    if (SAMPLE / "people.csv").exists() and list(SAMPLE.glob("survey*")):
        return SAMPLE
    out = tmp_path_factory.mktemp("dashboard-sample") / "sample_data"
    done = subprocess.run([_coachlens_bin(), "generate", "--out", str(out), "--people", str(DASHBOARD_PEOPLE),
                           "--seed", str(DASHBOARD_SEED)], cwd=ROOT, env=_dashboard_env(),
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"coachlens generate failed:\n{done.stdout}\n{done.stderr}")
    return out


@pytest.fixture(scope="session")
def dashboard_db(tmp_path_factory, dashboard_source) -> Path:
    """dashboard_source ingested once per session with `coachlens ingest` (read it, never write it)."""
    import subprocess

    db = tmp_path_factory.mktemp("dashboard-wh") / "sample.duckdb"
    done = subprocess.run([_coachlens_bin(), "ingest", str(dashboard_source), "--db", str(db)], cwd=ROOT,
                          env=_dashboard_env(), capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not db.exists():
        pytest.fail(f"coachlens ingest of {dashboard_source} failed:\n{done.stdout}\n{done.stderr}")
    return db


@pytest.fixture
def on_sample(dashboard_db, monkeypatch):
    """The dashboard pages (AppTest) read dashboard_db, with the shipped settings."""
    monkeypatch.setenv("COACHLENS_DB", str(dashboard_db))
    monkeypatch.delenv("COACHLENS_CONFIG", raising=False)
    return dashboard_db
