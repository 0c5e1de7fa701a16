"""queries.panel._estimates over whole columns (dashboard.stats_arrays) gives the very frame the row-by-row
loop over dashboard.stats' scalar functions gave: the same columns in the same order, the same dtypes,
the same values bit for bit (NaN where NaN) and the same flag strings. The loop is kept here as the
reference, and both run on seeded random frames with every edge the scalar code guards: missing values
(NaN, None, pd.NA), counts of 0, 1, 2, 3, 29, 30, 31, negative and fractional counts, zero, negative and
infinite variances and SDs, values that are not numbers, missing columns, the empty frame, both DiDs,
and the measure as a string or a list."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from dashboard import stats, stats_arrays as SA
from dashboard.queries.common import CHANGE_VALUES as _CHANGE_VALUES

CHANGE_VALUES = [c for c in _CHANGE_VALUES if c != "did_n"]   # did_n came after the row loop (tests/test_did_honesty.py)
from dashboard.queries.panel import _estimates

COUNTS = ["n", "n_rows", "n_comparison", "n0_rows", "did_g1", "did_g0"]
VALUES = ["mean_d", "sd_d", "mean_pre", "sd_pre", "mean_post", "comparison_change", "comparison_sd",
          "comparison_mean_pre", "comparison_sd_pre", "did", "did_var1", "did_var0"]
COUNT_CHOICES = [0, 1, 2, 3, 29, 30, 31, 4, 12, 250, 5000, -1, 1.5, 2.5, 29.9]
MEASURES = ["engagement", "wellbeing", "performance"]


def _estimates_rowwise(raw: pd.DataFrame, measure, per_cohort_welch: bool = False) -> pd.DataFrame:
    """The row-by-row _estimates that the array version replaced (commit 2cfa698), as it was."""
    cols: dict[str, list] = {c: [] for c in ["measure"] + CHANGE_VALUES + ["_rtm"]}
    names = list(raw.columns)
    measures = [measure] * len(raw) if isinstance(measure, str) else list(measure)
    for m, values in zip(measures, zip(*(raw[c].tolist() for c in names))):   # rows as to_dict("records")
        r = dict(zip(names, values))
        n = 0 if pd.isna(r.get("n")) else int(r["n"])
        ch = stats.paired_change(r.get("n_rows", 0) if not pd.isna(r.get("n_rows")) else 0,
                                 r.get("mean_d"), r.get("sd_d"), r.get("sd_pre"))
        if per_cohort_welch:
            did = stats.welch_did(r.get("n_rows"), r.get("mean_d"), r.get("sd_d"), r.get("n0_rows"),
                                  r.get("comparison_change"), r.get("comparison_sd"))
        else:
            did = stats.pooled_did(r.get("did"), r.get("did_var1"), r.get("did_var0"), r.get("did_g1"),
                                   r.get("did_g0"))
        n0 = 0 if pd.isna(r.get("n_comparison")) else int(r["n_comparison"])
        rtm = stats.rtm_flag(r.get("mean_pre"), r.get("comparison_mean_pre"), r.get("sd_pre"),
                             r.get("comparison_sd_pre"), n, n0)
        extra = [] if n0 else ["no_comparison"]
        row = {"measure": m, "n": n, "mean_pre": stats._nan(r.get("mean_pre")),
               "mean_post": stats._nan(r.get("mean_post")),
               "estimate": ch["estimate"], "ci_low": ch["ci_low"], "ci_high": ch["ci_high"],
               "g": ch["g"], "p_value": ch["p_value"],
               "flags": stats.flags(n, ch["g"], rtm, extra),
               "n_comparison": n0, "comparison_change": stats._nan(r.get("comparison_change")),
               "did": did["did"], "did_ci_low": did["did_ci_low"], "did_ci_high": did["did_ci_high"],
               "did_p_value": did["did_p_value"], "_rtm": rtm}
        for c, v in row.items():
            cols[c].append(v)
    if not cols["measure"]:
        df = pd.DataFrame(cols, columns=list(cols), dtype=object)
        for c in ("mean_pre", "mean_post", "comparison_change"):
            df[c] = df[c].astype(float)
        return df
    return pd.DataFrame(cols)


def _same(raw: pd.DataFrame, measure, per_cohort_welch: bool) -> pd.DataFrame:
    """Both versions on copies of raw: the frames must be equal to the bit, dtypes and column order too."""
    with np.errstate(all="ignore"):   # the loop's numpy scalars warn of inf - inf
        old = _estimates_rowwise(raw.copy(), measure, per_cohort_welch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = _estimates(raw.copy(), measure, per_cohort_welch).drop(columns="did_n")   # added after the loop
    assert list(new.columns) == list(old.columns)
    assert list(new.dtypes) == list(old.dtypes)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    for c in new.columns[new.dtypes == float]:   # equal values, and the sign of every zero too
        a, b = new[c].to_numpy(), old[c].to_numpy()
        assert (np.signbit(a) == np.signbit(b))[~np.isnan(b)].all(), c
    return new


def _tie_square(rng: np.random.Generator) -> float:
    """A value whose exact square lies halfway between two floats: where libm's pow(x, 2) and x * x may
    round apart."""
    m = int(rng.integers(int(2 ** 26.5) + 1, 2 ** 27)) | 1
    return m * 2.0 ** int(rng.integers(-30, 0))


def _value(rng: np.random.Generator) -> object:
    """A statistic: mostly ordinary, often an edge (zero, negative, infinite, missing, not a number)."""
    kind = rng.integers(0, 14)
    if kind < 5:
        return float(rng.normal(0, 1) * rng.choice([0.01, 1, 3, 17.5, 1000]))
    return [0.0, -0.0, -abs(float(rng.normal())), math.inf, -math.inf, None, math.nan, pd.NA,
            _tie_square(rng)][kind - 5]


def _column(rng: np.random.Generator, name: str, rows: int) -> pd.Series:
    """One column in one of the dtypes the query layer or a caller may hand over."""
    is_count = name in COUNTS
    values = [None if rng.random() < 0.12 else (COUNT_CHOICES[rng.integers(len(COUNT_CHOICES))] if is_count
                                               else _value(rng)) for _ in range(rows)]
    kind = rng.choice(["int", "Int64", "float", "object"] if is_count else ["float", "object"])
    if kind == "int":
        return pd.Series([0 if v is None else int(v) for v in values], dtype="int64")
    if kind == "Int64":
        return pd.Series([pd.NA if v is None else int(v) for v in values], dtype="Int64")
    if kind == "float":
        return pd.Series([math.nan if v is None or v is pd.NA else v for v in values], dtype="float64")
    strings = ["7", "1.5", "abc", ""] if not is_count else ["7", "31"]
    return pd.Series([strings[rng.integers(len(strings))] if v is not None and rng.random() < 0.02 else v
                      for v in values], dtype=object)


def _random_panel(seed: int, rows: int = 3000, drop: bool = False) -> pd.DataFrame:
    """Panel statistics as panel_stats_sql returns them, at random (drop: some columns missing)."""
    rng = np.random.default_rng(seed)
    raw = pd.DataFrame({"team": [f"t{i % 17}" for i in range(rows)]})
    for name in COUNTS + VALUES:
        if not (drop and rng.random() < 0.3):
            raw[name] = _column(rng, name, rows)
    return raw


@pytest.mark.parametrize("per_cohort_welch", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_estimates_match_the_row_loop_on_random_panels(seed, per_cohort_welch):
    raw = _random_panel(seed, drop=seed % 2 == 1)
    measure = MEASURES[seed % 3] if seed % 3 else [MEASURES[i % 3] for i in range(len(raw))]
    new = _same(raw, measure, per_cohort_welch)
    if seed % 2 == 0:   # all columns there: the frame reaches every guard and every flag
        assert new["ci_low"].notna().any() and new["ci_low"].isna().any()
        assert new["did_ci_low"].notna().any() and new["did_ci_low"].isna().any()
        flags = ";".join(new["flags"])
        assert all(flag in flags for flag in SA.FLAG_NAMES)


@pytest.mark.parametrize("per_cohort_welch", [False, True])
def test_estimates_match_on_panels_as_the_warehouse_gives_them(per_cohort_welch):
    """Counts as nullable Int64, statistics as float64 with NaN: the dtypes of DuckDB's frames."""
    rng = np.random.default_rng(7)
    rows = 4000
    sizes = [0, 1, 2, 3, 29, 30, 31, 90]
    raw = pd.DataFrame({name: pd.array([pd.NA if rng.random() < 0.3 else int(rng.choice(sizes)) for _ in range(rows)],
                                       dtype="Int64") for name in COUNTS})
    for name in VALUES:
        x = rng.normal(0, 1, rows) * (20 if "var" in name else 1)
        x[rng.random(rows) < 0.3] = np.nan
        x[rng.random(rows) < 0.05] = 0.0
        raw[name] = np.abs(x) if name.startswith(("sd", "comparison_sd")) else x
    _same(raw, [MEASURES[i % 3] for i in range(rows)], per_cohort_welch)


@pytest.mark.parametrize("per_cohort_welch", [False, True])
@pytest.mark.parametrize("missing", COUNTS + VALUES + ["all"])
def test_estimates_match_with_a_column_missing(missing, per_cohort_welch):
    raw = _random_panel(11, rows=400)
    raw = raw[["team"]] if missing == "all" else raw.drop(columns=missing)
    _same(raw, "engagement", per_cohort_welch)


@pytest.mark.parametrize("per_cohort_welch", [False, True])
@pytest.mark.parametrize("case", ["no rows", "no columns", "no measures", "fewer measures than rows"])
def test_estimates_match_on_empty_and_uneven_input(case, per_cohort_welch):
    raw = _random_panel(12, rows=50)
    raw, measure = {"no rows": (raw.iloc[:0], "engagement"),
                    "no columns": (pd.DataFrame(index=range(5)), "engagement"),
                    "no measures": (raw, []),
                    "fewer measures than rows": (raw, ["engagement"] * 20)}[case]
    new = _same(raw, measure, per_cohort_welch)
    assert len(new) == (20 if case == "fewer measures than rows" else 0)


def test_small_panels_edge_by_edge():
    """Hand-made rows at each guard: n of 0 to 3 and around 30, SD 0, negative variances."""
    raw = pd.DataFrame({
        "n": [0, 1, 2, 3, 29, 30, 31, 2, 3, None],
        "n_rows": [0, 1, 2, 3, 29, 30, 31, 2, 3, None],
        "mean_d": [0.5, 0.5, 0.5, -0.5, 2.0, 0.1, 0.1, 0.0, None, 1.0],
        "sd_d": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0],
        "sd_pre": [1.0, 1.0, 1.0, 0.0, 1.0, 0.05, 1.0, -1.0, 1.0, 1.0],
        "n_comparison": [0, 5, 5, 0, 40, 40, 40, 2, 2, 2],
        "n0_rows": [0, 5, 5, 0, 40, 40, 40, 2, 2, 2],
        "comparison_change": [0.1] * 10, "comparison_sd": [1.0, 0.0] * 5,
        "mean_pre": [3.0] * 10, "comparison_mean_pre": [3.5] * 10, "comparison_sd_pre": [1.0] * 10,
        "did": [0.3] * 10, "did_var1": [0.01, -0.01, 0.0, 0.02, -0.5, 0.01, 0.0, 0.2, 0.1, 0.1],
        "did_var0": [0.01, 0.02, 0.0, -0.02, 0.1, 0.01, 0.0, 0.1, None, 0.1],
        "did_g1": [2, 2, 2, 1, 3, 30, 31, 2, 2, 2], "did_g0": [2, 3, 2, 2, 3, 30, 31, 2, 2, 2]})
    for welch in (False, True):
        _same(raw, "engagement", welch)


def test_square_is_pythons_power():
    """x ** 2 of a Python float is libm's pow, which rounds apart from x * x now and then."""
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 1, 50_000) * rng.choice([0.01, 1, 17.5, 1e6], 50_000),
                        [_tie_square(rng) * rng.choice([-1, 1]) for _ in range(50_000)],
                        [0.0, -0.0, math.inf, -math.inf, math.nan]])
    expected = np.array([v ** 2 for v in x.tolist()])
    assert (x * x != expected).any()   # the trap is real here
    np.testing.assert_array_equal(SA.square(x), expected)


def test_flag_strings_are_stats_flags():
    n = np.array([0, 29, 30, 31, -1] * 16)
    g = np.array([math.nan, 1.0, 1.5, -2.0, math.inf] * 16)
    rtm = np.arange(80) % 2 == 0
    none = (np.arange(80) // 2) % 2 == 0
    expected = [stats.flags(int(a), b, bool(c), ["no_comparison"] if d else [])
                for a, b, c, d in zip(n, g, rtm, none)]
    assert list(SA.flag_strings(n, g, rtm, none)) == expected
