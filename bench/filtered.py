"""`make bench`'s views under one filter: a filter's first value, whose parent counts (which the anonymity
rules compare a selection with) the call computes, and its next value, which reuses them (the query layer
keeps a parent's counts per data version); and the dashboard's priming (dashboard.prime), which computes
those counts in the background after a load, with every page's first view under a filter after it."""

from __future__ import annotations

import time
from pathlib import Path


FILTER_DIMENSIONS = ("department", "program", "career_phase")


def filtered_views(cur, settings, f) -> dict:
    """Each page's first view under filters `f`, as the page calls it (dashboard.prime.landing: the outcomes
    drill down to teams under a department; a page whose sidebar does not offer a filter is left out), the
    coach view aside (its filter is the coach)."""
    from dashboard import prime

    return {name: (lambda call=call: call(cur)) for name, call in prime.landing(f, settings)}


def bench_filtered(db: Path, repeats: int = 3) -> dict:
    """Each page's first view under one filter its page offers (department, program, career phase; the first
    two values that the view shows, a refused one skipped), warm: `first_s`, a filter's first value (its parent's counts, which the
    anonymity rules compare the selection with, computed in the call), and `next_s`, the filter's next value
    (the parent's counts kept from the first, per data version). Best of `repeats`; the kept counts are
    cleared before each timed call. view -> dimension -> {first_s, next_s}."""
    from dashboard import queries as Q
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.queries import common

    from bench.run import _settings

    settings, _, _ = _settings()
    cur = Reader(db).cursor()
    opts = Q.filter_options(cur)
    values = {"department": opts.departments, "program": opts.programs, "career_phase": opts.phases}
    out: dict = {}
    for dim in FILTER_DIMENSIONS:
        for name in filtered_views(cur, settings, Filters()):
            shown = []
            for v in values[dim]:
                call = filtered_views(cur, settings, Filters(**{dim: v})).get(name)
                if call is None:   # the page does not offer this filter
                    break
                try:
                    call()   # DuckDB warm
                except Q.AnonymityRefused:
                    continue
                shown.append(call)
                if len(shown) == 2:
                    break
            if len(shown) < 2:
                continue
            first, then = shown
            t_first, t_next = [], []
            for _ in range(repeats):
                common._PARENTS.clear()
                t = time.perf_counter()
                first()
                t_first.append(time.perf_counter() - t)
                common._PARENTS.clear()
                first()
                t = time.perf_counter()
                then()
                t_next.append(time.perf_counter() - t)
            out.setdefault(name, {})[dim] = {"first_s": min(t_first), "next_s": min(t_next)}
    common._PARENTS.clear()
    return out


def bench_priming(db: Path, repeats: int = 3) -> dict:
    """dashboard.prime.run on a warm warehouse with nothing kept: `seconds` and `cpu_s` (this process, DuckDB's
    threads included), the views it ran; then `after_s`: each page's first view (dashboard.prime.landing)
    under a value of each primed filter other than the one primed with, the first value a user picks
    (page -> filter -> seconds, best of `repeats`; a refused value skipped), and `parents_computed`: how
    many parent counts those calls computed that priming had not (0 when priming covers the pages)."""
    from dashboard import prime
    from dashboard import queries as Q
    from dashboard.db import Reader
    from dashboard.filters import Filters
    from dashboard.queries import common

    from bench.run import _settings

    settings, _, _ = _settings()
    reader = Reader(db)
    cur = reader.cursor()
    opts = Q.filter_options(cur)
    for _, call in prime.landing(Filters(), settings):
        call(cur)   # DuckDB warm, as for the other view timings
    common._PARENTS.clear()
    cpu = time.process_time()
    run = prime.run(reader, settings)
    out: dict = {"seconds": run.seconds, "cpu_s": time.process_time() - cpu, "views": run.views,
                 "filters": run.filters, "after_s": {}}
    kept = len(common._PARENTS)
    for dim in prime.PRIMED:
        values = [v for v in (opts.coaches if dim == "coach" else prime.candidates(opts, dim))
                  if str(v) != run.filters.get(dim)]
        if not values:
            continue
        f = Filters(**{dim: values[0]})
        for name, call in prime.landing(f, settings):
            best = None
            for _ in range(repeats):
                t = time.perf_counter()
                try:
                    call(cur)
                except Q.AnonymityRefused:
                    best = None
                    break
                best = min(best or 9e9, time.perf_counter() - t)
            if best is not None:
                out["after_s"].setdefault(name, {})[dim] = best
    out["parents_computed"] = len(common._PARENTS) - kept
    common._PARENTS.clear()
    return out


def option_views(cur, settings) -> dict:
    """The pages' other choices, unfiltered (bench.run.views() times their defaults): the cohorts compared
    by program, retention split by program and by career phase, the ROI by cohort and by career phase, the
    overview from baseline to follow-up, and the outcomes by team without a department chosen (the page
    offers teams first once a department is)."""
    from dashboard import queries as Q
    from dashboard.filters import Filters
    from dashboard.roi import roi as roi_view

    f = Filters()
    return {
        "cohorts by program": lambda: Q.cohorts(cur, f, settings, measure="engagement", compare="program"),
        "retention by program": lambda: Q.retention(cur, f, settings, split="program"),
        "retention by career phase": lambda: Q.retention(cur, f, settings, split="career_phase"),
        "roi by cohort": lambda: roi_view(cur, f, settings, by="cohort"),
        "roi by career phase": lambda: roi_view(cur, f, settings, by="career_phase"),
        "overview baseline to follow-up": lambda: Q.overview(cur, f, settings, waves="baseline-follow_up"),
        "outcomes by team, every department": lambda: Q.outcomes(cur, f, settings, measure="engagement",
                                                                 rows="career_phase", cols="team"),
    }


def bench_options(db: Path, repeats: int = 3) -> dict:
    """Warm seconds (best of `repeats`, after one call) of each of option_views(): name -> seconds."""
    from dashboard.db import Reader

    from bench.run import _settings

    settings, _, _ = _settings()
    cur = Reader(db).cursor()
    out = {}
    for name, call in option_views(cur, settings).items():
        call()
        best = None
        for _ in range(repeats):
            t = time.perf_counter()
            call()
            best = min(best or 9e9, time.perf_counter() - t)
        out[name] = best
    return out
