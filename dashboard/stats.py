"""Statistics on aggregates: the query layer computes counts, means and SDs in DuckDB; these pure
functions turn them into estimates, intervals and flags (DOMAIN.md "Statistics")."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import special as spf, stats as sps

INDICATIVE_N = 30
IMPLAUSIBLE_G = 1.0
RTM_SD = 0.2
LEVEL = 0.95


def _nan(x) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return math.nan
    return x


def t_interval(mean: float, se: float, df: float, level: float = LEVEL) -> tuple[float, float]:
    mean, se, df = _nan(mean), _nan(se), _nan(df)
    if not (df >= 1) or math.isnan(se) or math.isnan(mean):
        return math.nan, math.nan
    # scipy.special's Student t functions: the values of sps.t.ppf / sps.t.sf (bit for bit), without the
    # distribution objects' per-call checks (60x faster; a breakdown by team estimates 50,000 cells)
    q = spf.stdtrit(df, 0.5 + level / 2)
    return mean - q * se, mean + q * se


def t_p_value(mean: float, se: float, df: float) -> float:
    mean, se, df = _nan(mean), _nan(se), _nan(df)
    if not (df >= 1) or not se > 0:
        return math.nan
    return float(2 * spf.stdtr(df, -abs(mean / se)))


def hedges_g(mean_change: float, sd_pre: float, n: int) -> float:
    """Change standardised by the baseline SD, with Hedges' small-sample correction J(n - 1)."""
    sd_pre, n = _nan(sd_pre), _nan(n)
    if not sd_pre > 0 or not n >= 2:
        return math.nan
    df = n - 1
    j = 1 - 3 / (4 * df - 1) if df > 1 else math.nan
    return _nan(mean_change) / sd_pre * j


def paired_change(n, mean_d, sd_d, sd_pre) -> dict:
    """Paired mean change over a matched panel: estimate, t CI (n-1 df), p, Hedges' g."""
    n = int(n) if n == n and n is not None else 0
    se = _nan(sd_d) / math.sqrt(n) if n >= 2 else math.nan
    lo, hi = t_interval(mean_d, se, n - 1)
    return {"estimate": _nan(mean_d), "ci_low": lo, "ci_high": hi, "p_value": t_p_value(mean_d, se, n - 1),
            "g": hedges_g(mean_d, sd_pre, n)}


def welch_did(n1, m1, s1, n0, m0, s0) -> dict:
    """DiD of one cohort: coached mean change m1 minus comparison mean change m0, Welch t interval."""
    n1, n0 = _nan(n1), _nan(n0)
    if not (n1 >= 2 and n0 >= 2):
        return {"did": math.nan, "did_ci_low": math.nan, "did_ci_high": math.nan, "did_p_value": math.nan,
                "did_se": math.nan}
    v1, v0 = _nan(s1) ** 2 / n1, _nan(s0) ** 2 / n0
    se = math.sqrt(v1 + v0)
    df = (v1 + v0) ** 2 / (v1 ** 2 / (n1 - 1) + v0 ** 2 / (n0 - 1)) if (v1 + v0) > 0 else math.nan
    est = _nan(m1) - _nan(m0)
    lo, hi = t_interval(est, se, df)
    return {"did": est, "did_ci_low": lo, "did_ci_high": hi, "did_p_value": t_p_value(est, se, df), "did_se": se}


def pooled_did(did: float, var1: float, var0: float, g1: int, g0: int) -> dict:
    """Pooled DiD with the query layer's person-clustered variance, split by role: var1 from the coached
    persons (g1 of them), var0 from the comparison persons (g0); t interval on Welch-Satterthwaite df
    (for one cohort this is exactly Welch's test)."""
    v1, v0, g1, g0 = _nan(var1), _nan(var0), _nan(g1), _nan(g0)
    empty = {"did": _nan(did), "did_ci_low": math.nan, "did_ci_high": math.nan, "did_p_value": math.nan,
             "did_se": math.nan}
    if not (g1 >= 2 and g0 >= 2) or math.isnan(v1) or math.isnan(v0) or v1 + v0 <= 0:
        return empty
    se = math.sqrt(v1 + v0)
    df = (v1 + v0) ** 2 / (v1 ** 2 / (g1 - 1) + v0 ** 2 / (g0 - 1))
    lo, hi = t_interval(did, se, df)
    return {"did": _nan(did), "did_ci_low": lo, "did_ci_high": hi, "did_p_value": t_p_value(did, se, df),
            "did_se": se}


def mean_interval(n, mean, sd) -> tuple[float, float]:
    n = _nan(n)
    if not n >= 2:
        return math.nan, math.nan
    return t_interval(mean, _nan(sd) / math.sqrt(n), n - 1)


def wilson(successes, n, level: float = LEVEL) -> tuple[float, float, float]:
    """Proportion with its Wilson score interval."""
    n, x = _nan(n), _nan(successes)
    if not n > 0:
        return math.nan, math.nan, math.nan
    z = sps.norm.ppf(0.5 + level / 2)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # the interval holds p (at p = 0 its lower end is 0 exactly, not the 7e-18 that rounding leaves)
    return p, min(max(0.0, centre - half), p), max(min(1.0, centre + half), p)


def enps_level(promoters, detractors, n, level: float = LEVEL) -> tuple[float, float, float]:
    """eNPS = 100 (p - d) with the multinomial variance (p + d - (p - d)^2) / n, normal interval."""
    n = _nan(n)
    if not n > 0:
        return math.nan, math.nan, math.nan
    p, d = _nan(promoters) / n, _nan(detractors) / n
    est = 100 * (p - d)
    se = 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    z = sps.norm.ppf(0.5 + level / 2)
    return est, est - z * se, est + z * se


def rtm_flag(mean_pre_coached, mean_pre_comparison, sd_pre_coached, sd_pre_comparison, n1, n0) -> bool:
    """Coached baseline lower than the comparison group's by more than 0.2 pooled baseline SD."""
    vals = [_nan(v) for v in (mean_pre_coached, mean_pre_comparison, sd_pre_coached, sd_pre_comparison, n1, n0)]
    if any(math.isnan(v) for v in vals) or vals[4] < 2 or vals[5] < 2:
        return False
    m1, m0, s1, s0, n1, n0 = vals
    pooled = math.sqrt(((n1 - 1) * s1 ** 2 + (n0 - 1) * s0 ** 2) / (n1 + n0 - 2))
    return pooled > 0 and (m0 - m1) > RTM_SD * pooled


def flags(n=None, g=None, rtm: bool = False, extra: Iterable[str] = ()) -> str:
    out = []
    n = _nan(n)
    if not math.isnan(n) and n < INDICATIVE_N:
        out.append("indicative")
    g = _nan(g)
    if not math.isnan(g) and abs(g) > IMPLAUSIBLE_G:
        out.append("implausible")
    if rtm:
        out.append("regression_to_mean")
    out.extend(extra)
    return ";".join(out)


# -- survival ---------------------------------------------------------------------------------------
# Kaplan-Meier with the exponential Greenwood (log(-log)) interval and the log-rank test, on aggregated
# (duration, event, weight) rows, in numpy: the formulas and the edge cases of lifelines'
# KaplanMeierFitter and logrank_test (which tests/test_stats_survival.py checks them against), without
# their pandas machinery, which cost tens of milliseconds a curve.


@dataclass(frozen=True)
class KM:
    """A fitted Kaplan-Meier curve: S(t), its interval and the (weighted) risk set at each time of the
    event table."""

    timeline: np.ndarray
    survival: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    at_risk: np.ndarray


def _event_table(durations: np.ndarray, events: np.ndarray, weights: np.ndarray, birth: float):
    """lifelines' survival_table_from_events without entry times: (times, removed, observed, at_risk),
    every subject entering at `birth` (at most the smallest duration)."""
    times, inv = np.unique(durations, return_inverse=True)
    removed = np.bincount(inv, weights=weights, minlength=len(times))
    observed = np.bincount(inv, weights=weights * events, minlength=len(times))
    if not len(times) or times[0] != birth:
        times = np.concatenate([[birth], times])
        removed = np.concatenate([[0.0], removed])
        observed = np.concatenate([[0.0], observed])
    entrance = np.zeros(len(times))
    entrance[0] = weights.sum()
    at_risk = np.cumsum(entrance) - np.concatenate([[0.0], np.cumsum(removed)[:-1]])
    if (weights.astype(int) == weights).all():    # integer weights: lifelines' table is of integers
        removed, observed, at_risk = (np.trunc(x) for x in (removed, observed, at_risk))
    return times, removed, observed, at_risk


def _cumsum(x: np.ndarray) -> np.ndarray:
    """pandas' cumsum then ffill: a NaN term leaves its own place NaN, then filled from the one before."""
    return pd.Series(x).cumsum().ffill().to_numpy(dtype=float)


def km_fit(durations: np.ndarray, events: np.ndarray, weights: np.ndarray, label: str = "km") -> KM:
    """Kaplan-Meier from aggregated (duration, event, weight) rows, with the 95% exponential Greenwood
    interval (as lifelines' KaplanMeierFitter reports them)."""
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events).astype(bool)
    w = np.asarray(weights, dtype=float)
    times, _, deaths, population = _event_table(d, e, w, min(0.0, float(d.min())))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_s = _cumsum(np.log(population - deaths) - np.log(population))
        pop = np.trunc(population)    # lifelines casts the population to unsigned integers here
        var = deaths / (pop * (pop - deaths))
        var = _cumsum(np.where(var == np.inf, 0.0, var))
        survival = np.exp(log_s)
        v = np.log(survival)
        z = sps.norm.ppf(1 - (1 - LEVEL) / 2)
        low = np.exp(-np.exp(np.log(-v) - z * np.sqrt(var) / v))
        high = np.exp(-np.exp(np.log(-v) + z * np.sqrt(var) / v))
    return KM(times, survival, np.where(np.isnan(low), 1.0, low), np.where(np.isnan(high), 1.0, high), population)


def km_at_many(km: KM, times) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """S(t) and its interval at each of `times` (the step function: the last time of the table at or
    before t; before the first, S is empty and the interval 1 to 1).

    Where no event has happened by t (S(t) = 1, after the start), the Greenwood interval is (1, 1), as
    if S(t) = 1 were known; it is replaced by the exact (Clopper-Pearson) interval of no events among
    the people still at risk at t (followed for the whole time): conservative, since the people
    censored before t are not counted.

    Where everyone still at risk has left by t (S(t) = 0), the Greenwood interval is (0, 0), as if S(t) = 0
    were known; it is replaced by the exact interval of everyone leaving among the risk set of the step
    where S reached 0: 0 to 1 - ((1 - level) / 2) ** (1 / n). Conservative too: S before that step, at
    most 1, is not multiplied in."""
    times = np.asarray(times, dtype=float)
    valid = ~np.isnan(km.survival)
    tl, sv = km.timeline[valid], km.survival[valid]
    pos = np.searchsorted(tl, times, side="right") - 1
    est = np.where(pos >= 0, sv[np.maximum(pos, 0)] if len(sv) else np.nan, np.nan)
    pos = np.searchsorted(km.timeline, times, side="right") - 1
    at = np.maximum(pos, 0)
    low = np.where(pos >= 0, km.ci_low[at], 1.0)
    high = np.where(pos >= 0, km.ci_high[at], 1.0)
    no_event = (est == 1.0) & (times > km.timeline[0]) if len(km.timeline) else np.zeros(len(times), bool)
    if no_event.any():
        low[no_event] = no_event_low(_at_risk(km, times[no_event]))
        high[no_event] = 1.0
    all_left = est == 0.0
    if all_left.any():
        last = np.flatnonzero(km.survival == 0.0)[0]   # the step where S reached 0: its risk set all left
        low[all_left] = 0.0
        high[all_left] = 1.0 - no_event_low(km.at_risk[last])
    return est.astype(float), low, high


def _at_risk(km: KM, times: np.ndarray) -> np.ndarray:
    """The (weighted) number of people whose duration is at least t: the risk set of the first time of
    the table at or after t; nobody after the last."""
    nxt = np.searchsorted(km.timeline, times, side="left")
    return np.where(nxt < len(km.at_risk), km.at_risk[np.minimum(nxt, len(km.at_risk) - 1)], 0.0)


def no_event_low(n, level: float = LEVEL) -> np.ndarray:
    """Lower bound of the exact (Clopper-Pearson) interval of a proportion with no failures among n
    (n may be weighted): ((1 - level) / 2) ** (1 / n), the Beta(n, 1) quantile; 0 when nobody is at risk
    (the upper bound is 1)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(n > 0, ((1 - level) / 2) ** (1 / np.where(n > 0, n, 1.0)), 0.0)


def km_at(km: KM, t: float) -> tuple[float, float, float]:
    """S(t) with its 95% exponential Greenwood (log(-log)) interval (exact where no event by t, or where
    everyone has left by t: km_at_many)."""
    est, low, high = km_at_many(km, [t])
    return float(est[0]), float(low[0]), float(high[0])


def logrank_p(d1, e1, w1, d0, e0, w0) -> float:
    """Two-sample log-rank test on weighted (duration, event) rows: p of the chi-square (1 df)."""
    if len(d1) == 0 or len(d0) == 0:
        return math.nan
    groups = [(np.asarray(d, dtype=float), np.asarray(e).astype(bool), np.asarray(w, dtype=float))
              for d, e, w in ((d1, e1, w1), (d0, e0, w0))]
    birth = min(float(g[0].min()) for g in groups)
    tables = [_event_table(d, e, w, birth) for d, e, w in groups]
    times = np.union1d(tables[0][0], tables[1][0])
    rm = np.zeros((len(times), 2))
    obs = np.zeros((len(times), 2))
    for j, (t, removed, observed, _) in enumerate(tables):
        at = np.searchsorted(times, t)
        rm[at, j] = removed
        obs[at, j] = observed
    n_ij = rm.sum(0) - np.vstack([np.zeros((1, 2)), np.cumsum(rm, 0)[:-1]])
    d_i = obs.sum(1)
    n_i = rm.sum() - np.concatenate([[0.0], np.cumsum(rm.sum(1))[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        ev = (n_ij * (d_i / n_i)[:, None]).sum(0)
        z = obs.sum(0) - ev
        ratio = (n_i - d_i) / (n_i - 1)
        factor = np.where(np.isinf(ratio) | np.isnan(ratio), 1.0, ratio) * d_i / n_i ** 2
        v_ = np.column_stack([n_ij, n_i]) * np.sqrt(factor)[:, None]
    v_ = np.where(np.isnan(v_), 0.0, v_)
    v = -v_.T @ v_
    var = v[0, 0] - v[-1, 0]
    u = z[0] * np.linalg.pinv(np.array([[var]]))[0, 0] * z[0]
    return float(sps.chi2.sf(u, 1))


def nan_to_none(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype(object).where(pd.notna(df), None)
