"""dashboard.stats' change and DiD estimates over arrays of cells: a breakdown by team estimates tens of
thousands of cells, which the scalar functions, called once a cell, took about a second to do.

Each function gives, element by element, the very values (bit for bit) of its scalar namesake in
dashboard.stats: the same operations in the same order, the same guards (`not df >= 1`, `not se > 0`,
written as negations so that NaN falls where it falls there), and the same Student t functions of
scipy.special. One trap: Python's `x ** 2` is libm's pow(|x|, 2), which rounds differently from x * x
(numpy's `x ** 2`) in about one case in a thousand, so squares go through `square`.
tests/test_stats_arrays.py checks the whole of queries.panel._estimates against the row-by-row loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special as spf

from dashboard.stats import IMPLAUSIBLE_G, INDICATIVE_N, LEVEL, RTM_SD, _nan

# the flags' names in the order stats.flags writes them
FLAG_NAMES = ("indicative", "implausible", "regression_to_mean", "no_comparison")
# NaN and inf pass through silently, as in Python's float arithmetic (thread-safe as a decorator)
_quiet = np.errstate(all="ignore")


def as_float(values: pd.Series) -> np.ndarray:
    """stats._nan over a column: float64, NaN where a value is missing or not a number."""
    if values.dtype.kind in "biuf":
        return values.to_numpy(dtype=float, na_value=np.nan)
    return np.array([_nan(v) for v in values.tolist()], dtype=float)


@_quiet
def as_count(values: pd.Series) -> np.ndarray:
    """`0 if pd.isna(v) else int(v)` over a column, as int64: a missing count is nobody."""
    if values.dtype.kind in "biu":
        return values.to_numpy(dtype=np.int64, na_value=0)
    if values.dtype.kind == "f":
        x = values.to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isnan(x), 0.0, x).astype(np.int64)   # truncates towards zero, as int()
    return np.array([0 if pd.isna(v) else int(v) for v in values.tolist()], dtype=np.int64)


@_quiet
def square(x: np.ndarray) -> np.ndarray:
    """Python's `x ** 2` on floats: libm's pow of |x| (CPython's float_pow), which np.float_power calls."""
    return np.float_power(np.abs(x), 2.0)


def t_quantiles(df: np.ndarray, level: float = LEVEL) -> np.ndarray:
    """spf.stdtrit(df, 0.5 + level / 2), once per distinct df (the paired df are panel sizes minus one,
    repeated across cells)."""
    distinct, at = np.unique(df, return_inverse=True)
    return spf.stdtrit(distinct, 0.5 + level / 2)[at]


@_quiet
def t_intervals(mean: np.ndarray, se: np.ndarray, df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """stats.t_interval over arrays: mean -/+ t quantile x se; NaN where df < 1 or se or mean is NaN."""
    ok = (df >= 1) & ~np.isnan(se) & ~np.isnan(mean)
    low, high = np.full(len(mean), np.nan), np.full(len(mean), np.nan)
    q = t_quantiles(df[ok])
    low[ok] = mean[ok] - q * se[ok]
    high[ok] = mean[ok] + q * se[ok]
    return low, high


@_quiet
def t_p_values(mean: np.ndarray, se: np.ndarray, df: np.ndarray) -> np.ndarray:
    """stats.t_p_value over arrays: two-sided p of mean / se on df; NaN where df < 1 or se is not > 0."""
    ok = (df >= 1) & (se > 0)
    p = np.full(len(mean), np.nan)
    p[ok] = 2 * spf.stdtr(df[ok], -np.abs(mean[ok] / se[ok]))
    return p


@_quiet
def hedges_gs(mean_change: np.ndarray, sd_pre: np.ndarray, n: np.ndarray) -> np.ndarray:
    """stats.hedges_g over arrays (n as floats): the change in baseline SDs, times J(n - 1)."""
    df = n - 1
    j = np.where(df > 1, 1 - 3 / (4 * df - 1), np.nan)
    g = mean_change / sd_pre * j
    return np.where((sd_pre > 0) & (n >= 2), g, np.nan)


@_quiet
def paired_changes(n: np.ndarray, mean_d: np.ndarray, sd_d: np.ndarray, sd_pre: np.ndarray) -> dict:
    """stats.paired_change over arrays; n: the panel sizes as int64 (paired_change's int(n))."""
    n_float = n.astype(float)
    se = np.where(n >= 2, sd_d / np.sqrt(n_float), np.nan)
    df = (n - 1).astype(float)
    low, high = t_intervals(mean_d, se, df)
    return {"estimate": mean_d, "ci_low": low, "ci_high": high, "p_value": t_p_values(mean_d, se, df),
            "g": hedges_gs(mean_d, sd_pre, n_float)}


def _did_result(est: np.ndarray, se: np.ndarray, df: np.ndarray, ok: np.ndarray, did: np.ndarray) -> dict:
    """A DiD's columns: its interval and p from est, se and df where ok (NaN elsewhere); `did` as given."""
    low, high = t_intervals(est, se, df)
    p = t_p_values(est, se, df)
    return {"did": did, "did_ci_low": np.where(ok, low, np.nan), "did_ci_high": np.where(ok, high, np.nan),
            "did_p_value": np.where(ok, p, np.nan), "did_se": np.where(ok, se, np.nan)}


@_quiet
def welch_dids(n1, m1, s1, n0, m0, s0) -> dict:
    """stats.welch_did over float arrays: coached minus comparison mean change, Welch t interval; all NaN
    where either group has fewer than 2 rows."""
    ok = (n1 >= 2) & (n0 >= 2)
    v1, v0 = square(s1) / n1, square(s0) / n0
    se = np.sqrt(v1 + v0)
    df = np.where((v1 + v0) > 0, square(v1 + v0) / (square(v1) / (n1 - 1) + square(v0) / (n0 - 1)), np.nan)
    est = m1 - m0
    return _did_result(est, se, df, ok, np.where(ok, est, np.nan))


@_quiet
def pooled_dids(did, var1, var0, g1, g0) -> dict:
    """stats.pooled_did over float arrays: the pooled DiD as given, with its interval on the
    Welch-Satterthwaite df of the person-clustered variances where both groups have 2 persons or more
    and the variance is positive."""
    total = var1 + var0
    ok = (g1 >= 2) & (g0 >= 2) & ~np.isnan(var1) & ~np.isnan(var0) & ~(total <= 0)
    se = np.sqrt(total)
    df = square(total) / (square(var1) / (g1 - 1) + square(var0) / (g0 - 1))
    return _did_result(did, se, df, ok, did)


@_quiet
def rtm_flags(m1, m0, s1, s0, n1, n0, lower_is_better=None) -> np.ndarray:
    """stats.rtm_flag over float arrays: the coached baseline more than 0.2 pooled SD below the
    comparison group's (False where anything is missing or a group has fewer than 2); above it on the rows
    where `lower_is_better` (a worse start is a higher one there)."""
    known = ~(np.isnan(m1) | np.isnan(m0) | np.isnan(s1) | np.isnan(s0) | np.isnan(n1) | np.isnan(n0))
    ok = known & ~(n1 < 2) & ~(n0 < 2)
    pooled = np.sqrt(((n1 - 1) * square(s1) + (n0 - 1) * square(s0)) / (n1 + n0 - 2))
    gap = m0 - m1 if lower_is_better is None else np.where(lower_is_better, m1 - m0, m0 - m1)
    return ok & (pooled > 0) & (gap > RTM_SD * pooled)


@_quiet
def flag_strings(n: np.ndarray, g: np.ndarray, rtm: np.ndarray, no_comparison: np.ndarray) -> np.ndarray:
    """stats.flags over arrays (extra = ["no_comparison"] where no_comparison): each cell's flags
    joined by ";" in FLAG_NAMES' order, looked up among the 16 combinations."""
    n = np.asarray(n, dtype=float)
    which = [(n < INDICATIVE_N) & ~np.isnan(n), np.abs(g) > IMPLAUSIBLE_G, np.asarray(rtm, dtype=bool),
             np.asarray(no_comparison, dtype=bool)]
    code = sum(w.astype(np.intp) << i for i, w in enumerate(which))
    joined = np.array([";".join(name for i, name in enumerate(FLAG_NAMES) if c >> i & 1) for c in range(16)],
                      dtype=object)
    return joined[code]
