"""Every corpus entry (tests/corpus/make_corpus.py) gives its expected outcome.

Refused files leave every warehouse table unchanged; loaded files account for every row
(rows in = loaded + quarantined). Cells that a spreadsheet would run as formulas are stored with a
leading apostrophe, in the tables and in quarantine. NOTE for the export side: dashboard/ exports
neutralise again on the way out (another engineer's work); these tests check the stored values only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent / "corpus"))
import fixtures as fx  # noqa: E402
import make_corpus as mc  # noqa: E402

from pipelines.config import load_instruments, load_settings  # noqa: E402
from pipelines.ingest.errors import RefusedFile  # noqa: E402
from pipelines.ingest.formats import make_reader  # noqa: E402
from pipelines.ingest.pseudonymise import Key  # noqa: E402
from pipelines.ingest.run import ingest  # noqa: E402

SECRET = "corpus-test-secret-0123456789abcdef"
KEY = Key(SECRET.encode())
SETTINGS = load_settings(env={})
INSTRUMENTS = load_instruments(env={})
ROOT = Path(__file__).resolve().parents[1]


def dump(db: Path) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}
    finally:
        con.close()


def run(files, db, mapping=None):
    return ingest(files, db, KEY, SETTINGS, INSTRUMENTS, reader=make_reader(mapping, None, instruments=INSTRUMENTS))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("corpus-world")
    db = d / "base.duckdb"
    run(fx.write_world(d / "in"), db)
    return db


def _fresh(world: Path, tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    shutil.copy(world, db)
    return db


def test_corpus_is_big_enough():
    assert len(mc.ENTRIES) >= 40
    assert len({e.name for e in mc.ENTRIES}) == len(mc.ENTRIES)


FORMULA_START = ("=", "+", "-", "@")


def _text_values(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = con.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' "
                           "AND data_type = 'VARCHAR'").fetchall()
        out = []
        for t, c in cols:
            out += [r[0] for r in con.execute(f'SELECT "{c}" FROM "{t}" WHERE "{c}" IS NOT NULL').fetchall()]
        return out
    finally:
        con.close()


def _check_loaded(e, rep, db):
    f = rep.files[-1]
    x = e.expect
    assert f.rows_in == f.rows_loaded + f.rows_quarantined
    got = {"rows_in": f.rows_in, "loaded": f.rows_loaded, "quarantined": f.rows_quarantined}
    want = {k: x[k] for k in ("rows_in", "loaded", "quarantined") if x.get(k) is not None}
    assert {k: got[k] for k in want} == want, (f.reasons, f.notes)
    con = duckdb.connect(str(db), read_only=True)
    batch = con.execute("SELECT max(batch_id) FROM load_batches WHERE file_name = ?", [f.file]).fetchone()[0]
    q = con.execute("SELECT source_row, reason FROM quarantine WHERE batch_id = ?", [batch]).fetchall()
    con.close()
    assert len({r for r, _ in q}) == f.rows_quarantined      # every quarantined row has its reason(s)
    for sub, n in x["reasons"].items():                       # counts are rows with a reason
        assert len({r for r, reason in q if sub in reason}) == n, (sub, f.reasons)
    if not x["reasons"]:
        assert not q, f.reasons
    if "ignored" in e.extra:
        assert set(e.extra["ignored"]) <= set(f.ignored_columns)
    if "dropped" in e.extra:
        assert set(e.extra["dropped"]) == set(f.dropped_columns)
    if "note" in e.extra:
        assert any(e.extra["note"] in n for n in f.notes), f.notes
    if e.extra.get("formula_safe"):
        values = _text_values(db)
        risky = [v for v in values if v.lstrip(" ").startswith(FORMULA_START)
                 and not v.strip().lstrip("+-").replace(".", "", 1).isdigit()]
        assert risky == []
        for v in e.extra["formula_safe"]:   # kept as plain text, apostrophe first, where the user can see it
            assert v in values, (v, [x for x in values if x.startswith("'")])
    if e.extra.get("kept_latest"):
        con = duckdb.connect(str(db), read_only=True)
        kept = con.execute("SELECT participant_key, submitted_at FROM survey_responses WHERE survey_id = 'survey_dups' "
                           "ORDER BY submitted_at").fetchall()
        con.close()
        assert [str(t) for _, t in kept] == ["2025-01-20 12:00:00", "2025-01-21 10:00:00", "2025-01-22 09:00:00"] or len(kept) == 3
        assert {k: str(t) for k, t in kept}[KEY.participant_key("E001")] == "2025-01-21 10:00:00"
        assert {k: str(t) for k, t in kept}[KEY.participant_key("E002")] == "2025-01-22 09:00:00"


@pytest.mark.parametrize("entry", [e for e in mc.ENTRIES if not e.slow], ids=lambda e: e.name)
def test_corpus_entry(entry, world, tmp_path):
    path, mapping = entry.write(tmp_path / "in")
    db = _fresh(world, tmp_path)
    before = dump(db)
    if "refused" in entry.expect:
        with pytest.raises(RefusedFile) as info:
            run([path], db, mapping)
        msg = str(info.value)
        assert entry.expect["refused"] in msg, msg
        assert msg.startswith(path.name), msg
        assert dump(db) == before
    else:
        rep = run([path], db, mapping)
        _check_loaded(entry, rep, db)


@pytest.mark.slow
def test_50mb_file_loads_in_seconds(world, tmp_path):
    entry = next(e for e in mc.ENTRIES if e.name == "big_50mb")
    path, _ = entry.write(tmp_path / "in")
    assert path.stat().st_size >= 50 * 1024 * 1024
    db = _fresh(world, tmp_path)
    start = time.perf_counter()
    rep = run([path], db)
    elapsed = time.perf_counter() - start
    f = rep.files[-1]
    n_lines = sum(1 for _ in open(path, "rb")) - 1
    assert (f.rows_in, f.rows_loaded, f.rows_quarantined) == (n_lines, n_lines, 0), f.reasons
    assert elapsed < 60, f"{elapsed:.1f}s"


def test_refused_file_via_cli_names_file_row_column_and_leaves_warehouse(world, tmp_path):
    e = next(x for x in mc.ENTRIES if x.name == "missing_required_column")
    path, _ = e.write(tmp_path / "in")
    db = _fresh(world, tmp_path)
    before = dump(db)
    env = dict(os.environ, COACHLENS_SECRET=SECRET, COLUMNS="300")
    env.pop("COACHLENS_CONFIG", None)
    env.pop("COACHLENS_INSTRUMENTS", None)
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", str(path), "--db", str(db)],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode != 0
    out = " ".join((proc.stdout + proc.stderr).split())
    assert "people.csv (row 1, column 'team'): expected the people columns" in out, out
    assert "found no column for team" in out and "warehouse is unchanged" in out
    assert dump(db) == before


def test_refused_export_via_cli_with_mapping(world, tmp_path):
    e = next(x for x in mc.ENTRIES if x.name == "qualtrics_row_with_extra_fields")
    path, mapping = e.write(tmp_path / "in")
    db = _fresh(world, tmp_path)
    before = dump(db)
    env = dict(os.environ, COACHLENS_SECRET=SECRET, COLUMNS="300")
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", str(path), "--db", str(db),
                           "--mapping", str(mapping)], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode != 0
    out = " ".join((proc.stdout + proc.stderr).split())
    assert "export.csv (row 5, column 'column 55'): expected 54 fields as in the header, found 55 fields" in out, out
    assert dump(db) == before
