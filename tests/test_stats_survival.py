"""dashboard.stats' Kaplan-Meier (exponential Greenwood interval) and log-rank test, in numpy, give what
lifelines' KaplanMeierFitter and logrank_test give on aggregated (duration, event, weight) rows: ties,
zero and negative durations, no events, only events, fractional weights. Two deliberate differences:
where no event has happened by t, lifelines' interval is (1, 1); ours is the exact (Clopper-Pearson)
interval of no events among the people at risk at t. Where everyone has left by t, lifelines' is (0, 0);
ours is the exact interval of all leaving among the risk set of the step where S reached 0."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats as sps

from dashboard import stats

lifelines = pytest.importorskip("lifelines")


def _lifelines_at(kmf, t):
    est = float(kmf.survival_function_at_times(t).iloc[0])
    ci = kmf.confidence_interval_survival_function_
    idx = ci.index[ci.index <= t]
    if len(idx) == 0:
        return est, 1.0, 1.0
    row = ci.loc[idx[-1]]
    return est, float(row.iloc[0]), float(row.iloc[1])


def _rows(rng, kind):
    n = int(rng.integers(1, 50))
    d = rng.integers(-3 if kind == "negative" else 0, 30, n) / (1 if kind == "whole" else 30.4375)
    p = {"no_events": 0.0, "all_events": 1.0}.get(kind, 0.4)
    e = rng.random(n) < p
    w = rng.integers(1, 12, n) * 0.25 if kind == "fractional" else rng.integers(1, 5, n).astype(float)
    return d, e, w


def _expected_at(kmf, t, d, w):
    """lifelines' S(t) and interval, with the exact interval where no event has happened by t."""
    est, low, high = _lifelines_at(kmf, t)
    if est == 1.0 and t > min(0.0, float(d.min())):
        at_risk = float(w[d >= t].sum())
        low, high = (float(sps.beta.ppf(0.025, at_risk, 1)) if at_risk > 0 else 0.0), 1.0
    if est == 0.0:
        sf = kmf.survival_function_.iloc[:, 0]
        step = float(sf.index[sf.to_numpy() == 0.0][0])
        at_risk = float(w[d >= step].sum())
        low, high = 0.0, 1.0 - float(sps.beta.ppf(0.025, at_risk, 1))
    return est, low, high


def _same(a, b, rtol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rtol * max(1.0, abs(a))


@pytest.mark.parametrize("kind", ["whole", "months", "negative", "no_events", "all_events", "fractional"])
def test_km_and_logrank_equal_lifelines(kind):
    rng = np.random.default_rng(["whole", "months", "negative", "no_events", "all_events", "fractional"].index(kind))
    for _ in range(40):
        d, e, w = _rows(rng, kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kmf = lifelines.KaplanMeierFitter().fit(d, event_observed=e, weights=w)
        km = stats.km_fit(d, e, w)
        times = np.concatenate([np.arange(-2, 26), d[:3]])
        est, low, high = stats.km_at_many(km, times)
        for i, t in enumerate(times):
            want = _expected_at(kmf, t, d, w)
            assert all(_same(x, y, 1e-12) for x, y in zip(want, (est[i], low[i], high[i]))), (kind, t)
            assert stats.km_at(km, t) == (est[i], low[i], high[i]) or math.isnan(est[i])
        d0, e0, w0 = _rows(rng, kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = float(lifelines.statistics.logrank_test(d, d0, event_observed_A=e, event_observed_B=e0,
                                                           weights_A=w, weights_B=w0).p_value)
        assert _same(want, stats.logrank_p(d, e, w, d0, e0, w0), 1e-9), kind


def test_everyone_leaving_gives_the_exact_interval_not_zero_to_zero():
    """4 people, exits at months 3, 5, 5 and 8: S(12) = 0. The last step's risk set is 1 person, so the
    interval is 0 to 1 - 0.025 = 0.975, not Greenwood's (0, 0); with 5 people leaving together on the last
    step it is 0 to 1 - 0.025^(1/5) = 0.52."""
    km = stats.km_fit(np.array([3.0, 5.0, 5.0, 8.0]), np.ones(4, bool), np.ones(4))
    assert stats.km_at(km, 12) == (0.0, 0.0, pytest.approx(0.975))
    assert stats.km_at(km, 6)[2] < 0.7 and stats.km_at(km, 6)[0] == 0.25     # before S reaches 0: Greenwood's
    km = stats.km_fit(np.array([3.0] + [8.0] * 5), np.ones(6, bool), np.ones(6))
    est, low, high = stats.km_at(km, 12)
    assert (est, low) == (0.0, 0.0) and high == pytest.approx(1 - 0.025 ** (1 / 5)) and 0.5 < high < 0.53


def test_no_exits_give_the_exact_interval_not_one_to_one():
    """10 people followed 14 months, none left: S(12) = 1 with the Clopper-Pearson interval of 0 exits in
    10 (0.025^(1/10) = 0.69 to 1), not Greenwood's (1, 1). Two of them censored at 6 months: 8 at risk."""
    km = stats.km_fit(np.full(10, 14.0), np.zeros(10, bool), np.ones(10))
    est, low, high = stats.km_at(km, 12)
    assert (est, high) == (1.0, 1.0) and low == pytest.approx(0.025 ** (1 / 10)) and low < 1
    km = stats.km_fit(np.array([6.0] * 2 + [14.0] * 8), np.zeros(10, bool), np.ones(10))
    assert stats.km_at(km, 12)[1] == pytest.approx(0.025 ** (1 / 8))
    # at the start nothing is uncertain yet; past the last follow-up nothing is known
    assert stats.km_at(km, 0) == (1.0, 1.0, 1.0)
    assert stats.km_at(km, 15) == (1.0, 0.0, 1.0)


def test_a_group_not_followed_for_12_months_is_flagged(sample_warehouse, settings):
    """Sample cohort ALN-2025B started about five months before the data ends: its '12-month' retention
    is the last estimate carried forward, so the row says so (short_follow_up); a cohort followed for over
    a year is not flagged."""
    from dashboard import queries as q
    from dashboard.db import Reader
    from dashboard.filters import Filters

    cur = Reader(sample_warehouse).cursor()
    short = q.retention(cur, Filters(cohort="ALN-2025B"), settings)
    shown = short.table[~short.table["suppressed"]]
    assert len(shown) and shown["flags"].str.contains("short_follow_up").all()
    assert any("short_follow_up" in n for n in short.notes)
    long_ = q.retention(cur, Filters(cohort="ALN-2024A"), settings).table
    long_ = long_[~long_["suppressed"]]
    assert len(long_) and not long_["flags"].str.contains("short_follow_up").any()


@pytest.mark.parametrize("n", [1, 3, 7, 10, 57, 447, 2000, 123457])
def test_a_wilson_interval_holds_its_proportion_at_the_edges(n):
    """At 0 of n the lower end is 0 and at n of n the upper end is 1, exactly: rounding left 6.9e-18 above an
    estimate of 0 (the Data quality page's 'career phase unknown' row showed a lower bound above its
    estimate). Inside, the interval is Wilson's, as scipy computes it."""
    p, lo, hi = stats.wilson(0, n)
    assert (p, lo) == (0.0, 0.0) and 0 < hi < 1
    p, lo, hi = stats.wilson(n, n)
    assert (p, hi) == (1.0, 1.0) and 0 < lo < 1
    x = n // 3
    p, lo, hi = stats.wilson(x, n)
    ci = sps.binomtest(x, n).proportion_ci(method="wilson")
    assert lo <= p <= hi and math.isclose(lo, ci.low, abs_tol=1e-12) and math.isclose(hi, ci.high, abs_tol=1e-12)
