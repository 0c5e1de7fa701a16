"""Exits: constant monthly hazards, voluntary and involuntary, competing.

Each person draws two unit exponentials (cumulative-hazard thresholds). Voluntary exit happens when
the accumulated voluntary hazard reaches its threshold: the comparison hazard from entry (hire date or
window start), switching to the person's program hazard from their enrolment start. Involuntary exits
use one hazard for everyone. The earlier of the two wins; exits after the window end are censored.
"""

from __future__ import annotations

import numpy as np

from pipelines.generate import design

NO_EXIT = np.inf


class ExitClock:
    def __init__(self, hire: np.ndarray, rng: np.random.Generator):
        n = hire.size
        self.entry = np.maximum(hire, design.day(design.WINDOW_START)).astype(float)
        self.e_vol = rng.exponential(1.0, n)
        self.e_inv = rng.exponential(1.0, n)
        self.h_comparison = design.monthly_hazard(design.COMPARISON_RETENTION_12M) / design.DAYS_PER_MONTH
        self.h_inv = design.INVOLUNTARY_HAZARD / design.DAYS_PER_MONTH
        self.t_vol = self.entry + self.e_vol / self.h_comparison
        self.t_inv = self.entry + self.e_inv / self.h_inv

    def employed_on(self, day) -> np.ndarray:
        """Still employed on `day` (exit day, once dated, falls after it), whatever happens later."""
        return np.minimum(self.t_vol, self.t_inv) >= day

    def switch(self, who: np.ndarray, start: int, monthly_hazard: float) -> None:
        """From day `start` on, `who` (still employed) leave voluntarily at `monthly_hazard`."""
        used = self.h_comparison * (start - self.entry[who])
        self.t_vol[who] = start + (self.e_vol[who] - used) / (monthly_hazard / design.DAYS_PER_MONTH)

    def finalise(self) -> tuple[np.ndarray, np.ndarray]:
        """exit day (float, inf = none by the window end) and type (0 none, 1 voluntary, 2 involuntary)."""
        t = np.minimum(self.t_vol, self.t_inv)
        # dated the day after the threshold is crossed: never on the hire day, employed_on() agrees
        exit_day = np.floor(t) + 1.0
        kind = np.where(self.t_vol <= self.t_inv, 1, 2)
        inside = exit_day <= design.day(design.WINDOW_END)
        return np.where(inside, exit_day, NO_EXIT), np.where(inside, kind, 0)
