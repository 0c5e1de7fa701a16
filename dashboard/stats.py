"""Statistics on aggregates: the query layer computes counts, means and SDs in DuckDB; these pure
functions turn them into estimates, intervals and flags (DOMAIN.md "Statistics")."""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats as sps

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
    q = sps.t.ppf(0.5 + level / 2, df)
    return mean - q * se, mean + q * se


def t_p_value(mean: float, se: float, df: float) -> float:
    mean, se, df = _nan(mean), _nan(se), _nan(df)
    if not (df >= 1) or not se > 0:
        return math.nan
    return float(2 * sps.t.sf(abs(mean / se), df))


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
    return p, max(0.0, centre - half), min(1.0, centre + half)


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

def km_fit(durations: np.ndarray, events: np.ndarray, weights: np.ndarray, label: str = "km"):
    """Kaplan-Meier from aggregated (duration, event, weight) rows (lifelines)."""
    import warnings

    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter(label=label)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmf.fit(durations, event_observed=events, weights=weights)
    return kmf


def km_at(kmf, t: float) -> tuple[float, float, float]:
    """S(t) with the Greenwood log(-log) interval lifelines reports."""
    est = float(kmf.survival_function_at_times(t).iloc[0])
    ci = kmf.confidence_interval_survival_function_
    idx = ci.index[ci.index <= t]
    if len(idx) == 0:
        return est, 1.0, 1.0
    row = ci.loc[idx[-1]]
    return est, float(row.iloc[0]), float(row.iloc[1])


def km_at_many(kmf, times) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """km_at at several times at once: arrays of S(t), interval low and high (one lookup, not one per time)."""
    times = np.asarray(times, dtype=float)
    est = np.asarray(kmf.survival_function_at_times(times), dtype=float).reshape(-1)
    ci = kmf.confidence_interval_survival_function_
    index = ci.index.to_numpy(dtype=float)
    if not ci.index.is_monotonic_increasing:
        rows = [km_at(kmf, t) for t in times]
        return est, np.array([r[1] for r in rows], dtype=float), np.array([r[2] for r in rows], dtype=float)
    pos = np.searchsorted(index, times, side="right") - 1   # the last interval row at or before t
    vals = ci.to_numpy(dtype=float)
    at = vals[np.maximum(pos, 0)] if len(vals) else np.ones((len(times), 2))
    before = pos < 0
    return est, np.where(before, 1.0, at[:, 0]), np.where(before, 1.0, at[:, 1])


def logrank_p(d1, e1, w1, d0, e0, w0) -> float:
    import warnings

    from lifelines.statistics import logrank_test

    if len(d1) == 0 or len(d0) == 0:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = logrank_test(d1, d0, event_observed_A=e1, event_observed_B=e0, weights_A=w1, weights_B=w0)
    return float(res.p_value)


def nan_to_none(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype(object).where(pd.notna(df), None)
