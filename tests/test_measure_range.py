"""No interval wider than what a measure can be: eNPS points are -100, 0 or +100, so a level's interval
lies in [-100, 100], a change's in [-200, 200] and a DiD's in [-400, 400], however few the people."""

import numpy as np
import pandas as pd

from dashboard.queries.effects import _level_intervals
from dashboard.queries.panel import _estimates


def _few_people_changing_a_lot() -> pd.DataFrame:
    # 5 people: mean change +150 eNPS points with SD 100 -> t interval 150 +/- 124 = [26, 274];
    # the comparison group fell, so the DiD's interval reaches past +400 as well
    return pd.DataFrame({"n": [5], "n_rows": [5], "mean_pre": [-80.0], "mean_post": [70.0], "mean_d": [150.0],
                         "sd_d": [100.0], "sd_pre": [40.0], "n_comparison": [6], "n0_rows": [6],
                         "comparison_change": [-150.0], "comparison_sd": [200.0], "comparison_mean_pre": [50.0],
                         "comparison_sd_pre": [60.0]})


def test_an_enps_change_interval_stops_at_plus_200_and_the_did_at_400():
    est = _estimates(_few_people_changing_a_lot(), "enps_score", per_cohort_welch=True).iloc[0]
    assert est["estimate"] == 150.0
    assert 0 < est["ci_low"] < 150 and est["ci_high"] == 200.0
    assert est["did"] == 300.0
    assert est["did_ci_high"] == 400.0 and -400 <= est["did_ci_low"] < 300


def test_a_measure_without_a_fixed_range_keeps_its_t_interval():
    est = _estimates(_few_people_changing_a_lot(), "engagement", per_cohort_welch=True).iloc[0]
    assert est["ci_high"] > 270 and est["did_ci_high"] > 400


def test_an_enps_level_interval_stops_at_100_and_minus_100():
    traj = pd.DataFrame({"n": [5, 5, 40], "estimate": [80.0, -80.0, 10.0], "sd": [60.0, 60.0, 50.0]})
    low, high = _level_intervals(traj, "enps_score")
    assert high[0] == 100.0 and low[1] == -100.0
    assert np.isclose(low[2], 10 - 2.0227 * 50 / np.sqrt(40), atol=1e-3) and high[2] < 100
    low_e, high_e = _level_intervals(traj, "engagement")
    assert high_e[0] > 100 and low_e[1] < -100
