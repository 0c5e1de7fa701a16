"""The synthetic organisation's fixed design: calendar, programs, cohorts, targeting, hazards, effects.

Everything here is a constant of the data-generating model; the seed only draws people and noise.
Dates are ISO strings; `day()` turns one into a numpy day number. See docs/synthetic-data.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

WINDOW_START = "2024-01-01"
WINDOW_END = "2025-12-31"          # also the HR extract date: statuses and exits are as of this day
DAYS_PER_MONTH = 30.4375

# Four organisation-wide survey waves, six months apart; answers arrive over two weeks after each.
WAVE_DATES = ["2024-01-15", "2024-07-15", "2025-01-15", "2025-07-15"]
SUBMISSION_DAYS = 14
NONRESPONSE = [0.26, 0.31, 0.23, 0.29]      # share of those employed on the wave date who do not answer
RESPONSE_TILT = 0.25                        # response propensity rises with the stable general trait

MIN_PEOPLE = 500


def day(iso: str) -> np.int64:
    return np.datetime64(iso, "D").astype(np.int64)


def wave_file(iso: str) -> str:
    return f"survey_{iso[:7]}.csv"


@dataclass(frozen=True)
class Program:
    program_id: str
    name: str
    type: str
    months: int
    sessions_planned: int
    cost_per_participant: float
    admin_cost: float
    retention_12m: float            # true 12-month voluntary retention of its coached people
    session_minutes: tuple[int, ...]


PROGRAMS = [
    Program("P001", "Values Alignment Coaching", "alignment", 6, 6, 2400.0, 15000.0, 0.90, (45, 60, 60, 75)),
    Program("P002", "Executive Career Coaching", "executive_career", 12, 10, 9500.0, 20000.0, 0.94, (60, 90, 90, 120)),
    Program("P003", "Leadership Essentials Coaching", "leadership", 6, 8, 3200.0, 12000.0, 0.85, (45, 60, 60, 90)),
    Program("P004", "Management Team Coaching", "team", 6, 6, 1800.0, 8000.0, 0.89, (60, 90, 90, 120)),
]
ZERO_EFFECT_PROGRAM = "P003"
CURRENCY = "GBP"
COMPARISON_RETENTION_12M = 0.85
INVOLUNTARY_PER_YEAR = 0.03


def monthly_hazard(retention_12m: float) -> float:
    return -math.log(retention_12m) / 12.0


INVOLUNTARY_HAZARD = -math.log(1.0 - INVOLUNTARY_PER_YEAR) / 12.0


@dataclass(frozen=True)
class Cohort:
    cohort_id: str
    program_id: str
    start: str
    share: float          # share of all coached people (waitlist: share of the coached total as well)
    waitlist: bool = False


# Each live cohort starts 5-20 days after a survey wave (that wave is its baseline); six-month programs
# end near the next wave (post) and the one after is follow-up; the 12-month program has a mid wave.
COHORTS = [
    Cohort("ALN-2024A", "P001", "2024-01-24", 0.085),
    Cohort("ALN-2024B", "P001", "2024-07-29", 0.085),
    Cohort("ALN-2025A", "P001", "2025-01-22", 0.085),
    Cohort("ALN-2025B", "P001", "2025-07-30", 0.085),
    Cohort("EXC-2024A", "P002", "2024-01-31", 0.050),
    Cohort("EXC-2025A", "P002", "2025-01-29", 0.050),
    Cohort("LDR-2024A", "P003", "2024-01-29", 0.090),
    Cohort("LDR-2024B", "P003", "2024-07-24", 0.090),
    Cohort("LDR-2025A", "P003", "2025-01-27", 0.090),
    Cohort("TMC-2024A", "P004", "2024-02-02", 0.097),
    Cohort("TMC-2024B", "P004", "2024-07-31", 0.097),
    Cohort("TMC-2025A", "P004", "2025-07-24", 0.096),
    Cohort("ALN-2026W", "P001", "2026-01-26", 0.085, waitlist=True),
]
WAITLIST_FORMED = "2025-07-15"      # waitlist drawn from people employed then (not conditioned on later survival)
COACHED_SHARE_RANGE = (0.17, 0.23)  # share of people.csv rows with a live enrolment, drawn per seed
HIRED_BEFORE_BASELINE_DAYS = 30     # enrolled people were hired at least this long before their baseline wave
CLIENTS_PER_COACH = 18
WITHDRAW_SHARE = 0.06               # withdraw for reasons other than leaving
MISSED_SESSION_SHARE = 0.07

# Selection: P(selected) ∝ exp(-SELECTION_TILT * G) * phase weight * level weight, G the person's stable
# general trait (standard normal). Nothing wave-specific enters selection.
SELECTION_TILT = 0.55
PHASE_WEIGHTS = {
    "alignment": {"early": 0.35, "mid": 1.0, "late": 1.0},
    "executive_career": {"early": 0.02, "mid": 0.3, "late": 1.0},
    "leadership": {"early": 0.8, "mid": 1.0, "late": 0.6},
    "team": {"early": 0.6, "mid": 1.0, "late": 1.0},
}
_LEVELS = ("junior", "professional", "manager", "senior_manager", "director", "executive")
LEVEL_WEIGHTS = {
    "alignment": dict(zip(_LEVELS, (0.6, 1.0, 1.0, 1.0, 0.8, 0.5))),
    "executive_career": dict(zip(_LEVELS, (0.01, 0.03, 0.25, 1.0, 1.0, 1.0))),
    "leadership": dict(zip(_LEVELS, (0.1, 0.5, 1.0, 0.8, 0.3, 0.05))),
    "team": dict(zip(_LEVELS, (0.1, 0.3, 1.0, 1.0, 0.6, 0.3))),
}

# Planted effects in Hedges-g units of each latent dimension's reference SD (construct.ref_sd);
# the latent effect = g * ref_sd. Dimensions: see latent.DIMS. Turnover intention falls (negative).
PHASES = ("early", "mid", "late")
_ALIGN = {"vigour": 0.25, "dedication": 0.35, "absorption": 0.20, "intrinsic": 0.25, "integrated": 0.35,
          "identified": 0.30, "introjected": 0.0, "external": -0.10, "amotivation": -0.25,
          "values": 0.45, "turnover": -0.30, "enps": 0.30}
_EXEC = {"vigour": 0.20, "dedication": 0.30, "absorption": 0.15, "intrinsic": 0.20, "integrated": 0.30,
         "identified": 0.35, "introjected": -0.05, "external": -0.15, "amotivation": -0.20,
         "values": 0.30, "turnover": -0.50, "enps": 0.35}
_TEAM = {"vigour": 0.40, "dedication": 0.45, "absorption": 0.30, "intrinsic": 0.30, "integrated": 0.20,
         "identified": 0.25, "introjected": 0.0, "external": -0.05, "amotivation": -0.20,
         "values": 0.25, "turnover": -0.20, "enps": 0.40}


def _by_phase(base: dict, phase_scale: dict, values_by_phase: dict | None = None) -> dict:
    out = {}
    for phase in PHASES:
        g = {k: v * phase_scale[phase] for k, v in base.items()}
        if values_by_phase:
            g["values"] = values_by_phase[phase]
        out[phase] = g
    return out


EFFECT_G = {
    # values alignment matters more in mid and late career (DOMAIN seed 000)
    "P001": _by_phase(_ALIGN, {"early": 0.8, "mid": 1.0, "late": 1.0},
                      values_by_phase={"early": 0.25, "mid": 0.50, "late": 0.60}),
    "P002": _by_phase(_EXEC, {"early": 0.6, "mid": 0.9, "late": 1.1}),
    "P003": _by_phase({k: 0.0 for k in _ALIGN}, {"early": 1.0, "mid": 1.0, "late": 1.0}),
    "P004": _by_phase(_TEAM, {"early": 0.9, "mid": 1.0, "late": 1.0}),
}
MID_EFFECT_SHARE = 0.5
