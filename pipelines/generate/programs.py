"""Programs, cohorts, who gets enrolled, coaches, enrolment statuses and attended sessions.

Selection into each cohort is weighted sampling without replacement (Gumbel top-k) among people
employed at the cohort's start, hired at least 30 days before its baseline wave and not enrolled
before, with weight exp(-tilt * G) * phase weight * level weight: coached people sit lower on the
STABLE general trait G, never on wave-specific noise. Cohorts are filled in start order so that exits
before a start are known (everyone has the comparison hazard until their own start).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.generate import design
from pipelines.generate.exits import ExitClock
from pipelines.generate.population import LEVELS, Population

PROGRAM_INDEX = {p.program_id: i for i, p in enumerate(design.PROGRAMS)}


@dataclass
class Enrolments:
    person: np.ndarray          # row index into the population
    cohort: np.ndarray          # index into design.COHORTS
    program: np.ndarray         # index into design.PROGRAMS
    start: np.ndarray           # day
    end: np.ndarray             # day (planned end: the same for the whole cohort)
    waitlist: np.ndarray        # bool
    coach: np.ndarray           # int coach number (1-based), 0 = none (waitlist)
    planned: np.ndarray
    attended: np.ndarray
    status: np.ndarray          # str
    n_coaches: int

    def live(self) -> np.ndarray:
        return ~self.waitlist


def selection_weight(pop: Population, program_type: str, tilt: float = design.SELECTION_TILT) -> np.ndarray:
    phase_w = np.array([design.PHASE_WEIGHTS[program_type][p] for p in design.PHASES])
    level_w = np.array([design.LEVEL_WEIGHTS[program_type][lv] for lv in LEVELS])
    return np.exp(-tilt * pop.g) * phase_w[pop.phase] * level_w[pop.level]


def cohort_dates(c: design.Cohort) -> tuple[int, int]:
    program = design.PROGRAMS[PROGRAM_INDEX[c.program_id]]
    start = int(design.day(c.start))
    return start, start + int(round(program.months * design.DAYS_PER_MONTH))


def baseline_wave_day(start: int) -> int:
    days = [int(design.day(w)) for w in design.WAVE_DATES if design.day(w) <= start]
    return days[-1] if days else start


def enrol(pop: Population, clock: ExitClock, rng: np.random.Generator) -> tuple[list, float]:
    """Fill every cohort in start order; returns [(cohort index, person indices)] and the coached share."""
    share = rng.uniform(*design.COACHED_SHARE_RANGE)
    total = int(round(share * pop.n))
    enrolled = np.zeros(pop.n, bool)
    gumbel = rng.gumbel(size=(len(design.COHORTS), pop.n))
    picks = []
    order = sorted(range(len(design.COHORTS)), key=lambda i: (design.COHORTS[i].waitlist, design.COHORTS[i].start))
    for ci in order:
        c = design.COHORTS[ci]
        program = design.PROGRAMS[PROGRAM_INDEX[c.program_id]]
        start, _ = cohort_dates(c)
        if c.waitlist:
            ref = int(design.day(design.WAITLIST_FORMED))
            eligible = ~enrolled & (pop.hire <= ref - design.HIRED_BEFORE_BASELINE_DAYS) & clock.employed_on(ref)
        else:
            ref = baseline_wave_day(start)
            eligible = ~enrolled & (pop.hire <= ref - design.HIRED_BEFORE_BASELINE_DAYS) & clock.employed_on(start)
        k = min(int(round(c.share * total)), int(eligible.sum()))
        key = np.where(eligible, np.log(selection_weight(pop, program.type)) + gumbel[ci], -np.inf)
        chosen = np.sort(np.argpartition(-key, k - 1)[:k]) if k > 0 else np.array([], np.int64)
        enrolled[chosen] = True
        if not c.waitlist:
            clock.switch(chosen, start, design.monthly_hazard(program.retention_12m))
        picks.append((ci, chosen))
    return sorted(picks, key=lambda t: t[0]), share


def assign_coaches(program: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Coach numbers per live enrolment: each program has its own coaches, 5-40 clients each."""
    coach = np.zeros(program.size, np.int64)
    next_id = 1
    for pi in range(len(design.PROGRAMS)):
        rows = np.flatnonzero(program == pi)
        if rows.size == 0:
            continue
        k = max(1, int(round(rows.size / design.CLIENTS_PER_COACH)))
        w = rng.uniform(0.6, 1.4, k)
        exact = rows.size * w / w.sum()
        counts = np.floor(exact).astype(np.int64)
        counts[np.argsort(-(exact - counts), kind="stable")[: rows.size - counts.sum()]] += 1
        coach[rng.permutation(rows)] = np.repeat(np.arange(next_id, next_id + k), counts)
        next_id += k
    return coach, next_id - 1


def build(pop: Population, clock: ExitClock, picks: list, exit_day: np.ndarray,
          rng: np.random.Generator) -> tuple[Enrolments, dict]:
    """Enrolment rows (cohort order, then employee) and the attended sessions."""
    person = np.concatenate([p for _, p in picks]).astype(np.int64)
    cohort = np.concatenate([np.full(p.size, ci) for ci, p in picks]).astype(np.int64)
    program = np.array([PROGRAM_INDEX[c.program_id] for c in design.COHORTS])[cohort]
    dates = np.array([cohort_dates(c) for c in design.COHORTS])
    start, end = dates[cohort, 0], dates[cohort, 1]
    waitlist = np.array([c.waitlist for c in design.COHORTS])[cohort]
    planned = np.array([p.sessions_planned for p in design.PROGRAMS])[program]
    n = person.size
    window_end = int(design.day(design.WINDOW_END))

    coach = np.zeros(n, np.int64)
    live = ~waitlist
    coach[live], n_coaches = assign_coaches(program[live], rng)

    # when coaching stops: leaving, withdrawing for other reasons, the planned end, or the extract date
    quits = live & (rng.random(n) < design.WITHDRAW_SHARE)
    quit_day = np.where(quits, start + 14 + np.floor(rng.random(n) * np.maximum(end - start - 14, 1)), np.inf)
    leaves = exit_day[person]
    stop = np.minimum.reduce([leaves, quit_day, end.astype(float), np.full(n, window_end + 1.0)])
    status = np.where(waitlist, "waitlist",
                      np.where((leaves < end) | (quit_day <= window_end), "withdrawn",
                               np.where(end > window_end, "active", "completed")))

    # scheduled sessions, evenly through the enrolment; attended = held before `stop` and not missed
    rep = np.repeat(np.arange(n), planned)
    k = np.arange(rep.size) - np.repeat(np.cumsum(planned) - planned, planned)
    span = (end - start)[rep]
    when = start[rep] + np.floor((k + 0.5) * span / planned[rep]) + rng.integers(-3, 4, rep.size)
    when = np.clip(when, start[rep], end[rep])
    attended_mask = live[rep] & (when < stop[rep]) & (rng.random(rep.size) >= design.MISSED_SESSION_SHARE)
    attended = np.bincount(rep[attended_mask], minlength=n)
    minutes = np.array([p.session_minutes for p in design.PROGRAMS])
    s_rows = rep[attended_mask]
    s_minutes = minutes[program[s_rows], rng.integers(0, minutes.shape[1], s_rows.size)]
    sessions = {"row": s_rows, "day": when[attended_mask].astype(np.int64), "minutes": s_minutes}
    order = np.lexsort((person[s_rows], sessions["day"]))
    sessions = {k: v[order] for k, v in sessions.items()}

    return Enrolments(person=person, cohort=cohort, program=program, start=start, end=end, waitlist=waitlist,
                      coach=coach, planned=planned, attended=np.where(waitlist, 0, attended), status=status,
                      n_coaches=n_coaches), sessions
