"""Priming: the counts a filter's first value needs, computed in the background after a new load.

Under a filter, every view compares the selection with the filter's parent (the anonymity rules 2 and
3: the same selection with that filter relaxed, broken down by it). Those counts are the same for every
value of the filter, so the query layer keeps them per data version of the warehouse
(dashboard.queries.common._PARENTS): a filter's next value reuses them, its first value computes them.
At 250,000 people that made a first value up to 0.73 s and a next value at most 0.44 s.

So when the dashboard first reads a new data version, `start` runs each page's first view once under
one value of each filter a sidebar offers for the whole organisation (program, department, career
phase, coach, a cohort start date) in a daemon thread. It gives way to every view a user waits for (a
background statement runs only while none runs, and a view starting interrupts it:
dashboard.queries.foreground), stops when a newer load is swapped in, and shows nothing: the figures
it computes are discarded, only the parents' counts stay. Teams and cohorts are not primed: their
parent is their own department or program, different for each value.

COACHLENS_PRIME=0 turns it off (the test suite and the benchmark's page timings do). At exit `stop`
interrupts it and waits for it, so that stopping the dashboard while it primes ends the process cleanly.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from dashboard import queries as Q
from dashboard.db import Reader, version_of
from dashboard.filters import PHASES, FilterOptions, Filters
from dashboard.queries import foreground
from dashboard.roi import roi

log = logging.getLogger(__name__)

# the filters primed (Filters fields); date_from stands for any date range: a range's parent is the
# selection without it, broken down by cohort, whatever its dates
PRIMED = ("program", "department", "career_phase", "coach", "date_from")
TRIES = 3   # values tried per filter when a view refuses one (what it computed before refusing is kept)


# the filters a page's sidebar offers where it offers fewer than all (dashboard/app_pages, sidebar_filters(show=...))
OFFERS = {"quality": ("program", "cohort", "date_from", "date_to")}


def landing(f: Filters, settings) -> list[tuple[str, Callable]]:
    """Each page's first query under the sidebar filters `f`, with the page's default options (as
    dashboard/app_pages calls it: tests/test_prime.py renders the pages after priming and checks that
    no parent was left to compute); a page whose sidebar does not offer one of `f`'s filters is left out."""
    m = Q.MEASURES[0]
    calls = [
        ("overview", lambda cur: Q.overview(cur, f, settings)),
        ("roi", lambda cur: roi(cur, f, settings, by="program")),
        ("outcomes", lambda cur: Q.outcomes(cur, f, settings, measure=m, rows="career_phase",
                                            cols="team" if f.department else "department")),
        ("cohorts", lambda cur: Q.cohorts(cur, f, settings, measure=m, compare="cohort")),
        ("retention", lambda cur: Q.retention(cur, f, settings, split=None)),
        ("quality", lambda cur: Q.quality(cur, f, settings)),
    ]
    return [(name, call) for name, call in calls
            if name not in OFFERS or all(dim in OFFERS[name] for dim in f.to_query_params())]


def candidates(opts: FilterOptions, dim: str) -> tuple:
    """Values to prime filter `dim` with, in order (the next one where a view refuses one)."""
    if dim == "date_from":
        if opts.date_min is None or opts.date_max is None:
            return ()
        span = (opts.date_max - opts.date_min).days
        # cohorts starting from a point inside the span: a proper part of them, as a user picks
        return tuple(dict.fromkeys(opts.date_min + dt.timedelta(days=span * q // 4) for q in (2, 1, 3)))
    return {"program": opts.programs, "department": opts.departments,
            "career_phase": tuple(p for p in PHASES if p != "unknown"), "coach": opts.coaches}[dim][:TRIES]


@dataclass
class Priming:
    """What one priming run did."""
    version: str
    seconds: float = 0.0
    views: int = 0
    refused: int = 0
    stale: bool = False          # a newer load was swapped in: stopped
    stopped: bool = False        # the process is exiting: stopped
    filters: dict[str, str] = field(default_factory=dict)   # filter -> the value primed with (as text)


def run(reader: Reader, settings, version: str | None = None) -> Priming:
    """Prime the reader's data version in the calling thread (see the module's text). `version`: the
    reader's data version when priming was asked for; a newer one stops it."""
    cur = reader.cursor()
    label = version_of(cur)
    out = Priming(version=label or "")
    if label is None or (version is not None and not label.endswith(f"@{version}")):
        out.stale = True
        cur.close()
        return out
    clock = time.perf_counter()
    was = foreground.in_background()
    foreground.set_background(True)
    try:
        opts = Q.filter_options(cur)
        for dim in PRIMED:
            for value in candidates(opts, dim):
                if reader.version != label.rsplit("@", 1)[1]:
                    out.stale = True
                    return out
                refused = _prime_one(cur, Filters(**{dim: value}), settings, dim, value, out)
                out.filters[dim] = str(value)
                if not refused:
                    break
    except foreground.Stopped:
        out.stopped = True
    finally:
        foreground.set_background(was)
        cur.close()
        out.seconds = time.perf_counter() - clock
    return out


def _prime_one(cur, f: Filters, settings, dim: str, value: str, out: Priming) -> bool:
    """Every page's first view under `f`; True when one refused it."""
    calls = landing(f, settings)
    if dim == "coach":   # the coach page: the coach is its own choice, not a sidebar filter
        calls.append(("coach_impact", lambda c: Q.coach_impact(c, Filters(), settings, coach_id=value)))
    refused = False
    for _, call in calls:
        try:
            call(cur)
        except Q.AnonymityRefused:
            refused = True
            out.refused += 1
        out.views += 1
    return refused


_STARTED: dict[str, threading.Thread] = {}
_LOCK = threading.Lock()
_AT_EXIT: list = []      # stop() registered to run at exit (once)


def enabled() -> bool:
    return os.environ.get("COACHLENS_PRIME", "1").strip().lower() not in ("0", "false", "no", "off")


def start(reader: Reader, settings) -> threading.Thread | None:
    """Prime the reader's current data version in a daemon thread, once per data version and process;
    None when it is off (COACHLENS_PRIME=0), already started, or there is no warehouse."""
    if not enabled():
        return None
    version = reader.version
    if version == "missing":   # no warehouse yet: the page says how to load one
        return None
    key = f"{reader.db.resolve()}@{version}"
    with _LOCK:
        if key in _STARTED:
            return None
        thread = threading.Thread(target=_log_run, args=(reader, settings, version), daemon=True,
                                  name="coachlens-prime")
        if not _AT_EXIT:
            _AT_EXIT.append(atexit.register(stop))
        _STARTED[key] = thread
    thread.start()
    return thread


def stop(timeout_s: float = 5.0) -> None:
    """Stop priming and wait for its threads (at exit: a statement left running in a daemon thread while
    the interpreter finalises aborts the process, e.g. on Ctrl-C within seconds of a load)."""
    foreground.stop_background()
    with _LOCK:
        threads = list(_STARTED.values())
    for thread in threads:
        thread.join(timeout_s)


def started(reader: Reader) -> threading.Thread | None:
    """The priming thread of the reader's current data version, if one was started."""
    with _LOCK:
        return _STARTED.get(f"{reader.db.resolve()}@{reader.version}")


def _log_run(reader: Reader, settings, version: str) -> None:
    try:
        p = run(reader, settings, version)
        why = " (stopped: newer load)" if p.stale else " (stopped: exiting)" if p.stopped else ""
        log.info("primed %s: %d views in %.1f s%s", p.filters, p.views, p.seconds, why)
    except Exception:   # never let priming take the dashboard down: the views compute what is missing
        log.exception("priming the filters' counts failed")
