"""The ROI view's adjustable assumptions (the [roi] section of settings.toml): values, ranges, where each
default comes from, and the check that a user's value lies in its range."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping


class AssumptionError(ValueError):
    """An assumption is outside its configured range; the message names it and the range."""


@dataclass(frozen=True)
class Assumptions:
    """Every adjustable assumption, its range, and where its default comes from ([roi] in settings.toml)."""

    currency: str = "GBP"
    attribution_share: float = 0.5
    attribution_range: tuple[float, float] = (0.2, 0.8)
    turnover_multiplier_default: float = 0.5
    turnover_multiplier_range: tuple[float, float] = (0.2, 2.0)
    turnover_multiplier: Mapping[str, float] = field(default_factory=dict)   # per job level
    salary_band: Mapping[str, float] = field(default_factory=dict)           # annual salary per band
    salary_default: float = 50000.0
    participant_hourly_cost: float = 45.0
    participant_hourly_cost_range: tuple[float, float] = (30.0, 80.0)
    admin_cost_per_participant: float = 250.0
    admin_cost_per_participant_range: tuple[float, float] = (150.0, 500.0)
    session_hours_default: float = 1.0   # hours per attended session when no session durations are loaded
    horizon_months: int = 12
    monte_carlo_draws: int = 10000
    seed: int = 20261123

    # The assumptions the page lets a user adjust, with the range each must stay in.
    ADJUSTABLE = ("attribution_share", "turnover_multiplier_default", "participant_hourly_cost",
                  "admin_cost_per_participant")

    @classmethod
    def from_settings(cls, settings: Mapping | None) -> "Assumptions":
        roi = dict((settings or {}).get("roi") or {})
        bands = {str(k): float(v) for k, v in (roi.get("salary_band") or {}).items()}
        salary_default = bands.pop("default", cls.salary_default)
        kw = dict(
            currency=str(roi.get("currency", cls.currency)),
            attribution_share=float(roi.get("attribution_share", cls.attribution_share)),
            attribution_range=_pair(roi.get("attribution_range", cls.attribution_range)),
            turnover_multiplier_default=float(roi.get("turnover_multiplier_default", cls.turnover_multiplier_default)),
            turnover_multiplier_range=_pair(roi.get("turnover_multiplier_range", cls.turnover_multiplier_range)),
            turnover_multiplier={str(k): float(v) for k, v in (roi.get("turnover_multiplier") or {}).items()},
            salary_band=bands,
            salary_default=float(salary_default),
            participant_hourly_cost=float(roi.get("participant_hourly_cost", cls.participant_hourly_cost)),
            participant_hourly_cost_range=_pair(roi.get("participant_hourly_cost_range",
                                                        cls.participant_hourly_cost_range)),
            admin_cost_per_participant=float(roi.get("admin_cost_per_participant", cls.admin_cost_per_participant)),
            admin_cost_per_participant_range=_pair(roi.get("admin_cost_per_participant_range",
                                                           cls.admin_cost_per_participant_range)),
            session_hours_default=float(roi.get("session_hours_default", cls.session_hours_default)),
            horizon_months=int(roi.get("horizon_months", cls.horizon_months)),
            monte_carlo_draws=int(roi.get("monte_carlo_draws", cls.monte_carlo_draws)),
            seed=int(roi.get("seed", cls.seed)),
        )
        return cls(**kw).validated()

    def with_(self, **changes) -> "Assumptions":
        return replace(self, **changes).validated()

    def validated(self) -> "Assumptions":
        checks = {"attribution_share": self.attribution_range,
                  "turnover_multiplier_default": self.turnover_multiplier_range,
                  "participant_hourly_cost": self.participant_hourly_cost_range,
                  "admin_cost_per_participant": self.admin_cost_per_participant_range}
        for name, (lo, hi) in checks.items():
            value = getattr(self, name)
            if not (lo <= value <= hi):
                raise AssumptionError(f"{name} = {value} is outside its range {lo} to {hi} ([roi] in settings.toml)")
        lo, hi = self.turnover_multiplier_range
        for level, m in self.turnover_multiplier.items():
            if not (lo <= m <= hi):
                raise AssumptionError(f"turnover_multiplier.{level} = {m} is outside its range {lo} to {hi}")
        if not 0 < self.attribution_range[0] <= self.attribution_range[1] <= 1:
            raise AssumptionError("attribution_range must lie within (0, 1]")
        if self.horizon_months != 12:
            raise AssumptionError("horizon_months: benefits are first-year only (12 months) in this version")
        if self.monte_carlo_draws < 100:
            raise AssumptionError("monte_carlo_draws must be at least 100")
        return self

    def salary(self, band: str | None) -> float:
        return float(self.salary_band.get(band, self.salary_default)) if band is not None else self.salary_default

    def multiplier(self, job_level: str | None) -> float:
        if job_level is None:
            return self.turnover_multiplier_default
        return float(self.turnover_multiplier.get(str(job_level), self.turnover_multiplier_default))

    def as_rows(self) -> list[dict]:
        """Every assumption as (name, value, range, meaning) rows: what the page and the report show."""
        rows = [
            ("currency", self.currency, None, "currency of every money figure"),
            ("attribution_share", self.attribution_share, self.attribution_range,
             "share of the retention difference credited to coaching (the rest to other causes)"),
            ("turnover_multiplier_default", self.turnover_multiplier_default, self.turnover_multiplier_range,
             "cost of one exit as a multiple of annual salary, for job levels not listed below"),
        ]
        for level, m in self.turnover_multiplier.items():
            rows.append((f"turnover_multiplier.{level}", m, self.turnover_multiplier_range,
                         f"cost of one exit at job level {level}, x annual salary"))
        for band, s in self.salary_band.items():
            rows.append((f"salary_band.{band}", s, None, f"annual salary assumed for band {band}"))
        rows += [
            ("salary_band.default", self.salary_default, None, "annual salary where the band is missing or unknown"),
            ("participant_hourly_cost", self.participant_hourly_cost, self.participant_hourly_cost_range,
             "cost of one hour of a participant's time spent in coaching"),
            ("admin_cost_per_participant", self.admin_cost_per_participant, self.admin_cost_per_participant_range,
             "program administration per participant, beyond the programs' own admin_cost"),
            ("session_hours_default", self.session_hours_default, None,
             "hours per attended session when no session durations are loaded"),
            ("horizon_months", self.horizon_months, None, "benefits counted over the first year only"),
            ("monte_carlo_draws", self.monte_carlo_draws, None, "draws for the interval"),
            ("seed", self.seed, None, "random seed of the Monte Carlo (same inputs, same interval)"),
        ]
        return [{"assumption": n, "value": v, "range_low": None if r is None else r[0],
                 "range_high": None if r is None else r[1], "meaning": m} for n, v, r, m in rows]


def _pair(value) -> tuple[float, float]:
    lo, hi = value
    return float(lo), float(hi)
