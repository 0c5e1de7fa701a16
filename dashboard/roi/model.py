"""The arithmetic of the Phillips ROI Methodology (DOMAIN.md "Return on investment"): pure functions,
aggregates in, figures out. Nothing here reads the warehouse or applies the anonymity rules; the view
(dashboard.roi.view) does both and hands these functions only groups of k or more people.

    benefits   = (comparison 12-month voluntary attrition - coached) x coached headcount   [avoided exits]
                 x cost of one exit (mean over the coached of salary x turnover multiplier of their level)
                 x attribution share                                                          [first year only]
    costs      = coaching fees + participants' hours x hourly cost
                 + program administration (programs.admin_cost + per-participant admin x headcount)
    ROI %      = (benefits - costs) / costs x 100
    BCR        = benefits / costs
    break-even attribution share = costs / (benefits at attribution 1)

The interval comes from a Monte Carlo with a fixed seed over (a) the uncertainty of the attrition
difference (normal, from the two groups' standard errors) and (b) the assumption ranges (triangular,
mode at the value in use; the turnover multiplier on a log scale, because it is a ratio).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from dashboard.roi.assumptions import Assumptions

Z95 = 1.959963984540054


# -- one group's data ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RoiInputs:
    """What the warehouse says about one group (all aggregates; the view builds it).

    salary_mix: (job_level, salary_band, people) for the coached headcount, to price one exit.
    se_*: standard errors of the 12-month attrition; None means binomial (Agresti-Coull, _binomial_se)."""

    headcount: int
    n_comparison: float
    attrition_coached: float
    attrition_comparison: float
    coaching_fees: float
    session_hours: float
    program_admin_cost: float
    salary_mix: tuple[tuple[str | None, str | None, int], ...] = ()
    se_coached: float | None = None
    se_comparison: float | None = None

    @property
    def attrition_difference(self) -> float:
        return self.attrition_comparison - self.attrition_coached

    @property
    def se_difference(self) -> float:
        s1 = self.se_coached if self.se_coached is not None else _binomial_se(self.attrition_coached, self.headcount)
        s0 = self.se_comparison if self.se_comparison is not None else _binomial_se(self.attrition_comparison,
                                                                                   self.n_comparison)
        return math.sqrt(s1 ** 2 + s0 ** 2)


def _binomial_se(p: float, n: float) -> float:
    """Standard error of a proportion p of n, Agresti-Coull: p~ = (x + 2) / (n + 4) over n + 4 people
    (x = p n). The plain sqrt(p (1 - p) / n) is 0 when nobody (or everybody) left, as if a small group's
    attrition were known exactly."""
    if not n or n <= 0:
        return math.nan
    p = min(max(p, 0.0), 1.0)
    p_ac = (p * n + 2) / (n + 4)
    return math.sqrt(p_ac * (1 - p_ac) / (n + 4))


def se_from_interval(low: float, high: float) -> float | None:
    """A standard error from a 95% interval (the query layer's interval on retention). None (the
    binomial SE instead) when the interval is missing or has no width: a zero-width interval says
    nothing about the uncertainty, and an SE of 0 would give the Monte Carlo a certain attrition."""
    if low is None or high is None or any(map(_isnan, (low, high))) or float(high) <= float(low):
        return None
    return (float(high) - float(low)) / (2 * Z95)


def _isnan(x) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


# -- the point estimate ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RoiResult:
    headcount: int
    attrition_difference: float
    avoided_exits: float
    mean_salary: float
    multiplier: float            # salary-weighted turnover multiplier of the coached group
    cost_per_exit: float
    attribution_share: float
    benefits: float
    coaching_fees: float
    time_cost: float
    admin_cost: float
    costs: float
    net_benefit: float
    roi_pct: float
    bcr: float
    break_even_attribution: float   # inf: never breaks even (no avoided exits)
    roi_low: float = math.nan
    roi_high: float = math.nan
    bcr_low: float = math.nan
    bcr_high: float = math.nan
    p_roi_positive: float = math.nan

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def cost_of_exit(mix, a: Assumptions, multiplier_scale: float = 1.0) -> tuple[float, float, float]:
    """(mean salary, salary-weighted multiplier, mean cost of one exit) over the coached group's mix."""
    people = sum(int(n) for _, _, n in mix)
    if people == 0:
        return a.salary_default, a.turnover_multiplier_default, a.salary_default * a.turnover_multiplier_default
    pay = sum(a.salary(band) * n for _, band, n in mix)
    cost = sum(a.salary(band) * a.multiplier(level) * multiplier_scale * n for level, band, n in mix)
    return pay / people, cost / pay if pay else math.nan, cost / people


def _effective_multiplier(inputs: RoiInputs, a: Assumptions) -> tuple[float, float]:
    """(mean salary, multiplier) of the group. The default multiplier applies to levels not configured,
    so moving turnover_multiplier_default moves exactly those levels."""
    salary, mult, _ = cost_of_exit(inputs.salary_mix, a)
    return salary, mult


def compute(inputs: RoiInputs, a: Assumptions, *, multiplier: float | None = None,
            attrition_difference: float | None = None) -> RoiResult:
    """The point estimate (no interval). `multiplier` / `attrition_difference` override the group's own,
    for sensitivities and the Monte Carlo."""
    salary, mult = _effective_multiplier(inputs, a)
    if multiplier is not None:
        mult = multiplier
    diff = inputs.attrition_difference if attrition_difference is None else attrition_difference
    avoided = diff * inputs.headcount
    cost_per_exit = salary * mult
    gross = avoided * cost_per_exit                  # benefits before attribution
    benefits = gross * a.attribution_share
    time_cost = inputs.session_hours * a.participant_hourly_cost
    admin = inputs.program_admin_cost + a.admin_cost_per_participant * inputs.headcount
    costs = inputs.coaching_fees + time_cost + admin
    net = benefits - costs
    roi = net / costs * 100 if costs > 0 else math.nan
    bcr = benefits / costs if costs > 0 else math.nan
    break_even = costs / gross if gross > 0 else math.inf
    return RoiResult(headcount=inputs.headcount, attrition_difference=diff, avoided_exits=avoided,
                     mean_salary=salary, multiplier=mult, cost_per_exit=cost_per_exit,
                     attribution_share=a.attribution_share, benefits=benefits, coaching_fees=inputs.coaching_fees,
                     time_cost=time_cost, admin_cost=admin, costs=costs, net_benefit=net, roi_pct=roi, bcr=bcr,
                     break_even_attribution=break_even)


# -- Monte Carlo ---------------------------------------------------------------------------------------

def _triangular(rng, lo: float, mode: float, hi: float, n: int) -> np.ndarray:
    mode = min(max(mode, lo), hi)
    if hi <= lo:
        return np.full(n, mode)
    return rng.triangular(lo, mode, hi, n)


def simulate(inputs: RoiInputs, a: Assumptions) -> dict[str, np.ndarray]:
    """Draws of ROI % and BCR (fixed seed: same inputs, same draws)."""
    rng = np.random.default_rng(a.seed)
    n = a.monte_carlo_draws
    salary, mult = _effective_multiplier(inputs, a)
    se = inputs.se_difference
    diff = rng.normal(inputs.attrition_difference, se if se == se and se > 0 else 0.0, n)
    lo_m, hi_m = a.turnover_multiplier_range
    m = np.exp(_triangular(rng, math.log(lo_m), math.log(min(max(mult, lo_m), hi_m)), math.log(hi_m), n))
    attribution = _triangular(rng, *_around(a.attribution_share, a.attribution_range), n)
    hourly = _triangular(rng, *_around(a.participant_hourly_cost, a.participant_hourly_cost_range), n)
    admin_pp = _triangular(rng, *_around(a.admin_cost_per_participant, a.admin_cost_per_participant_range), n)
    benefits = diff * inputs.headcount * salary * m * attribution
    costs = inputs.coaching_fees + inputs.session_hours * hourly + inputs.program_admin_cost + admin_pp * inputs.headcount
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = (benefits - costs) / costs * 100
        bcr = benefits / costs
    return {"roi_pct": roi, "bcr": bcr, "benefits": benefits, "costs": costs}


def _around(mode: float, rng_: tuple[float, float]) -> tuple[float, float, float]:
    return rng_[0], mode, rng_[1]


def estimate(inputs: RoiInputs, a: Assumptions, level: float = 0.95) -> RoiResult:
    """Point estimate with its Monte Carlo interval and P(ROI > 0)."""
    point = compute(inputs, a)
    if not point.costs > 0:
        return point
    draws = simulate(inputs, a)
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    roi_lo, roi_hi = np.nanpercentile(draws["roi_pct"], q)
    bcr_lo, bcr_hi = np.nanpercentile(draws["bcr"], q)
    p_pos = float(np.mean(draws["roi_pct"] > 0))
    return replace(point, roi_low=float(roi_lo), roi_high=float(roi_hi), bcr_low=float(bcr_lo),
                   bcr_high=float(bcr_hi), p_roi_positive=p_pos)


# -- sensitivities ---------------------------------------------------------------------------------------

SENSITIVITY_LABELS = {
    "attrition_difference": "Retention difference (95% CI)",
    "turnover_multiplier": "Cost of an exit (x salary)",
    "attribution_share": "Attribution share",
    "participant_hourly_cost": "Participants' hourly cost",
    "admin_cost_per_participant": "Admin cost per participant",
}


def tornado(inputs: RoiInputs, a: Assumptions) -> list[dict]:
    """ROI % at each end of each assumption's range (the attrition difference at its 95% CI), the others
    held at their values; sorted by swing, widest first."""
    base = compute(inputs, a).roi_pct
    salary, mult = _effective_multiplier(inputs, a)
    se = inputs.se_difference
    d = inputs.attrition_difference
    rows = []

    def add(name, lo_value, hi_value, lo_res, hi_res, value):
        rows.append({"assumption": name, "label": SENSITIVITY_LABELS[name], "value": value,
                     "low_value": lo_value, "high_value": hi_value,
                     "roi_at_low": lo_res.roi_pct, "roi_at_high": hi_res.roi_pct, "roi_base": base,
                     "swing": abs(hi_res.roi_pct - lo_res.roi_pct)})

    if se == se and se > 0:
        add("attrition_difference", d - Z95 * se, d + Z95 * se,
            compute(inputs, a, attrition_difference=d - Z95 * se),
            compute(inputs, a, attrition_difference=d + Z95 * se), d)
    lo, hi = a.turnover_multiplier_range
    add("turnover_multiplier", lo, hi, compute(inputs, a, multiplier=lo), compute(inputs, a, multiplier=hi), mult)
    for name, rng_ in (("attribution_share", a.attribution_range),
                       ("participant_hourly_cost", a.participant_hourly_cost_range),
                       ("admin_cost_per_participant", a.admin_cost_per_participant_range)):
        lo, hi = rng_
        add(name, lo, hi, compute(inputs, replace(a, **{name: lo})), compute(inputs, replace(a, **{name: hi})),
            getattr(a, name))
    rows.sort(key=lambda r: (-(r["swing"] if r["swing"] == r["swing"] else -1), r["assumption"]))
    return rows


def waterfall(result: RoiResult) -> list[dict]:
    """The steps from costs to net benefit (negative = money out), for the waterfall chart."""
    return [
        {"step": "Coaching fees", "amount": -result.coaching_fees, "kind": "relative"},
        {"step": "Participants' time", "amount": -result.time_cost, "kind": "relative"},
        {"step": "Administration", "amount": -result.admin_cost, "kind": "relative"},
        {"step": "Retention benefit", "amount": result.benefits, "kind": "relative"},
        {"step": "Net benefit", "amount": result.net_benefit, "kind": "total"},
    ]
