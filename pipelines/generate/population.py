"""People: departments > teams, job levels, experience, salary bands, hire dates, birth dates, traits.

Returns a `Population` of aligned numpy arrays (row i = employee E{i+1:07d}); nothing is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.generate import design, latent

DEPARTMENTS = {
    "Sales": 0.17, "Operations": 0.19, "Technology": 0.16, "Customer Service": 0.14, "Finance": 0.08,
    "Marketing": 0.07, "Product": 0.06, "People": 0.05, "Legal": 0.04, "Supply Chain": 0.04,
}
LEVELS = ["junior", "professional", "manager", "senior_manager", "director", "executive"]
LEVEL_SHARE = [0.28, 0.36, 0.18, 0.10, 0.06, 0.02]
# years of experience by level: normal(mean, sd) clipped to [lo, hi], whole years
EXPERIENCE = [(4, 3, 0, 20), (12, 7, 1, 38), (18, 8, 3, 40), (23, 7, 6, 42), (26, 7, 8, 42), (28, 6, 10, 44)]
SALARY_BANDS = ["30-45k", "45-60k", "60-80k", "80-110k", "110-150k", "150-250k"]
SALARY_BASE = [0, 1, 2, 3, 4, 5]          # band index by level ...
SALARY_UP = [0.20, 0.25, 0.35, 0.30, 0.20, 0.0]   # ... and the chance of the band above
TEAM_SIZE_MEDIAN = 14
TEAM_SIZE_RANGE = (3, 60)
SMALL_TEAM_SHARE = 0.06                   # teams of 3-4 people (below k = 5)
HIRED_IN_WINDOW = 0.20
DOB_SHARE = 0.40


@dataclass
class Population:
    n: int
    department: np.ndarray     # str
    team: np.ndarray           # str (unique within department)
    team_index: np.ndarray     # int
    level: np.ndarray          # int index into LEVELS
    years: np.ndarray          # int years of experience
    phase: np.ndarray          # int index into design.PHASES
    salary_band: np.ndarray    # str
    hire: np.ndarray           # day number
    dob: np.ndarray            # day number, or -1 where not given
    stable_z: np.ndarray       # n x dims
    g: np.ndarray              # stable general trait (what selection tilts on)
    team_z: np.ndarray         # n x dims, the person's team intercept
    n_teams: int

    @property
    def employee_id(self) -> np.ndarray:
        return np.char.add("E", np.char.zfill(np.arange(1, self.n + 1).astype(str), 7))


def team_sizes(n: int, rng: np.random.Generator) -> np.ndarray:
    lo, hi = TEAM_SIZE_RANGE
    k = n // 4 + 10
    sizes = np.clip(np.rint(rng.lognormal(np.log(TEAM_SIZE_MEDIAN), 0.65, k)), 5, hi).astype(np.int64)
    small = rng.random(k) < SMALL_TEAM_SHARE
    sizes[small] = rng.integers(lo, 5, small.sum())
    rng.shuffle(sizes)
    sizes[:2] = [3, 4]                                  # always some teams under k = 5
    cum = np.cumsum(sizes)
    take = int(np.searchsorted(cum, n, side="right"))
    sizes = sizes[:take]
    rest = n - int(sizes.sum())
    if rest >= lo:
        sizes = np.append(sizes, rest)
    elif rest > 0:                                      # 1-2 left: give them to the teams with room
        room = np.flatnonzero((sizes >= 5) & (sizes <= hi - rest))
        sizes[room[0]] += rest
    return sizes


def build(n: int, rng: np.random.Generator, phase_thresholds: tuple[int, int]) -> Population:
    sizes = team_sizes(n, rng)
    n_teams = len(sizes)
    dept_names = np.array(list(DEPARTMENTS))
    team_dept = rng.choice(len(dept_names), n_teams, p=np.array(list(DEPARTMENTS.values())))
    # team names numbered within their department
    order = np.lexsort((np.arange(n_teams), team_dept))
    rank = np.empty(n_teams, np.int64)
    first = np.searchsorted(team_dept[order], team_dept[order], side="left")
    rank[order] = np.arange(n_teams) - first + 1
    team_names = np.char.add(np.char.add(dept_names[team_dept], " "), np.char.zfill(rank.astype(str), 2))
    team_index = rng.permutation(np.repeat(np.arange(n_teams), sizes))

    level = rng.choice(len(LEVELS), n, p=LEVEL_SHARE)
    exp = np.array(EXPERIENCE, float)[level]
    years = np.clip(np.rint(rng.normal(exp[:, 0], exp[:, 1])), exp[:, 2], exp[:, 3]).astype(np.int64)
    mid_from, late_from = phase_thresholds
    phase = (years >= mid_from).astype(np.int64) + (years >= late_from)
    band = np.minimum(np.array(SALARY_BASE)[level] + (rng.random(n) < np.array(SALARY_UP)[level]), 5)

    start, end = design.day(design.WINDOW_START), design.day(design.WINDOW_END)
    new = rng.random(n) < HIRED_IN_WINDOW
    tenure_days = np.minimum(rng.exponential(6.0, n), years + rng.random(n)) * 365.25
    hire = np.where(new, rng.integers(start, end - 30, n), start - 1 - np.floor(tenure_days)).astype(np.int64)
    age_years = 21.0 + years + rng.uniform(0.0, 6.0, n)
    dob = np.where(rng.random(n) < DOB_SHARE, end - np.floor(age_years * 365.25), -1).astype(np.int64)

    stable_z, g = latent.draw_factor_z(n, rng)
    team_z = latent.draw_team_z(n_teams, rng)[team_index]
    return Population(n=n, department=dept_names[team_dept][team_index], team=team_names[team_index],
                      team_index=team_index, level=level, years=years, phase=phase,
                      salary_band=np.array(SALARY_BANDS)[band], hire=hire, dob=dob, stable_z=stable_z, g=g,
                      team_z=team_z, n_teams=n_teams)
