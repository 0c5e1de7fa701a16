"""The dashboard's background priming (dashboard.prime) and the rule that background statements give way to
the views a user waits for (dashboard.queries.foreground).

What these protect:
* after priming, a filter's value (not the one primed with) computes no parent counts, on every page as
  the page calls it, while the same render unprimed does compute some (so the check is not vacuous);
* the dashboard starts priming after a page's numbers, once per data version, and not when it is off;
* a newer load stops a priming run;
* a view that starts interrupts a background statement, which runs again only after the view.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import prime
from dashboard import queries as q
from dashboard.db import Reader
from dashboard.filters import Filters
from dashboard.queries import common, foreground

ROOT = Path(__file__).resolve().parent.parent
PAGES_DIR = ROOT / "dashboard" / "app_pages"


@pytest.fixture
def on_sample(dashboard_db, monkeypatch):
    monkeypatch.setenv("COACHLENS_DB", str(dashboard_db))
    monkeypatch.delenv("COACHLENS_CONFIG", raising=False)
    common._PARENTS.clear()
    st.cache_data.clear()
    yield dashboard_db
    common._PARENTS.clear()
    st.cache_data.clear()


def render(name: str, params: dict) -> AppTest:
    at = AppTest.from_file(str(PAGES_DIR / f"{name}.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def other_value(opts, dim: str, primed: str):
    values = prime.candidates(opts, dim) if dim != "coach" else opts.coaches
    return next(v for v in values if str(v) != primed)


# each page under a filter it offers: the department on the pages whose first view changes with it
# (outcomes drills down to teams), the others spread over the primed filters
PAGE_FILTERS = [("overview", "department"), ("overview", "program"), ("outcomes", "department"),
                ("outcomes", "career_phase"), ("cohorts", "program"), ("retention", "career_phase"),
                ("quality", "program"), ("quality", "date_from"), ("roi", "department"), ("roi", "career_phase"),
                ("retention", "date_from"), ("coach", "coach")]


@pytest.fixture(scope="module")
def primed(dashboard_db, settings):
    """One priming run of the sample warehouse: what it did, and the parent counts it kept."""
    common._PARENTS.clear()
    out = prime.run(Reader(dashboard_db), settings)
    kept = dict(common._PARENTS)
    common._PARENTS.clear()
    return out, kept


@pytest.mark.parametrize("name,dim", PAGE_FILTERS)
def test_a_page_under_a_primed_filter_computes_no_parent(on_sample, primed, name, dim):
    run, kept = primed
    assert not run.stale and run.views >= 5 * len(prime.PRIMED) and kept
    value = other_value(q.filter_options(Reader(on_sample).cursor()), dim, run.filters[dim])
    params = {"coach_id": value} if dim == "coach" else {dim: str(value)}

    # unprimed, the page computes parent counts: the check below is not vacuous
    render(name, params)
    assert len(common._PARENTS) > 0, f"{name} under {dim} computed no parent counts at all"

    common._PARENTS.clear()
    common._PARENTS.update(kept)
    st.cache_data.clear()
    render(name, params)
    assert set(common._PARENTS) == set(kept), (
        f"{name} under {dim}={value!r} computed parent counts priming did not: does dashboard.prime.landing "
        "call the page's first view with the page's defaults?")


def test_priming_gives_the_same_numbers(on_sample, settings):
    """A view under a primed filter (kept counts) equals the view on a cursor that keeps nothing."""
    reader = Reader(on_sample)
    primed = prime.run(reader, settings)
    plain = duckdb.connect(str(on_sample), read_only=True)
    try:
        opts = q.filter_options(plain)
        f = Filters(career_phase=other_value(opts, "career_phase", primed.filters["career_phase"]))
        for name, call in prime.landing(f, settings):
            try:
                kept, fresh = call(reader.cursor()).table, call(plain).table
            except q.AnonymityRefused:
                with pytest.raises(q.AnonymityRefused):
                    call(plain)
                continue
            assert kept.shape == fresh.shape and kept.columns.tolist() == fresh.columns.tolist(), name
            for col in kept.columns:
                a, b = kept[col], fresh[col]
                if a.dtype.kind == "f":
                    assert ((a - b).abs() <= 1e-9 * b.abs().clip(lower=1) + 1e-12).where(b.notna(), a.isna()).all(), (name, col)
                else:
                    assert a.astype(str).tolist() == b.astype(str).tolist(), (name, col)
    finally:
        plain.close()


def test_the_dashboard_primes_once_per_data_version(on_sample, monkeypatch):
    from dashboard.components.data import reader as dashboard_reader

    monkeypatch.setenv("COACHLENS_PRIME", "0")
    render("retention", {})
    with prime._LOCK:
        prime._STARTED.clear()
    render("quality", {})
    assert prime.started(dashboard_reader()) is None, "priming started while COACHLENS_PRIME=0"

    monkeypatch.setenv("COACHLENS_PRIME", "1")
    st.cache_data.clear()
    render("overview", {})
    thread = prime.started(dashboard_reader())
    assert thread is not None, "the page's first numbers started no priming"
    thread.join(120)
    assert not thread.is_alive()
    assert len(common._PARENTS) > 0
    st.cache_data.clear()
    render("roi", {})
    assert prime.started(dashboard_reader()) is thread, "a second page started priming the same data version again"
    with prime._LOCK:
        prime._STARTED.clear()


def test_a_newer_load_stops_priming(on_sample, settings):
    reader = Reader(on_sample)
    out = prime.run(reader, settings, version="a-version-swapped-out")
    assert out.stale and out.views == 0 and not common._PARENTS


def test_a_view_interrupts_a_background_statement_which_runs_after_it():
    con = duckdb.connect(":memory:")
    bg = con.cursor()
    attempts: list[float] = []
    result: dict = {}
    heavy = "SELECT sum(hash(i)) FROM range(20000000000) t(i)"   # minutes of work: only an interrupt ends it

    def fetch():
        attempts.append(time.perf_counter())
        return bg.execute(heavy if len(attempts) == 1 else "SELECT 42").fetchall()

    def background():
        foreground.set_background(True)
        result["rows"] = foreground.statement(bg, fetch)

    thread = threading.Thread(target=background, daemon=True)
    thread.start()
    deadline = time.perf_counter() + 10
    while not foreground._RUNNING and time.perf_counter() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)   # the heavy statement is running
    assert foreground.enter(), "a view in a user's thread is one a user waits for"
    try:
        deadline = time.perf_counter() + 10
        while foreground._RUNNING and time.perf_counter() < deadline:
            time.sleep(0.01)
        assert not foreground._RUNNING, "the background statement was not interrupted"
        time.sleep(0.2)
        assert len(attempts) == 1 and thread.is_alive(), "the background ran again while a view was running"
    finally:
        foreground.leave()
    thread.join(10)
    assert result.get("rows") == [(42,)] and len(attempts) == 2
    con.close()


def test_exiting_while_priming_stops_it_cleanly(dashboard_db):
    """Ctrl-C on the dashboard within seconds of a load: the priming thread's statement is interrupted and
    the thread ends before the interpreter finalises (a DuckDB statement still running in a daemon thread
    then aborted the process: exit 134, "terminate called after throwing an instance of ''")."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import os, time
        os.environ["COACHLENS_PRIME"] = "1"
        from dashboard import prime
        from dashboard.db import Reader
        from dashboard.queries import foreground

        def slow(cur):   # a statement that only an interrupt ends
            foreground.statement(cur, lambda: cur.execute("SELECT sum(hash(i)) FROM range(20000000000) t(i)").fetchall())

        prime.landing = lambda f, settings: [("slow", slow)]
        thread = prime.start(Reader({str(dashboard_db)!r}), {{}})
        deadline = time.time() + 30
        while not foreground._RUNNING and time.time() < deadline:
            time.sleep(0.05)
        assert foreground._RUNNING and thread.is_alive(), "the slow statement is not running"
        time.sleep(0.3)
        print("exiting while priming", flush=True)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=120)
    assert "exiting while priming" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 0 and "terminate called" not in done.stderr, done.stderr[-2000:]
