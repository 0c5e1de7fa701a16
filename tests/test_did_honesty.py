"""The difference in differences says what it rests on, and the flags and colours read the right way for
measures where less is better. From a statistician's review of the sample's numbers: an Outcomes cell
showed n = 12 beside a DiD of +108 eNPS points that rested on 7 people of 3 cohorts (the cohorts without 2
comparison people in the cell drop out of it), in silence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from test_pages import K

from dashboard import charts, theme
from dashboard.filters import Filters
from dashboard.queries.panel import _estimates


@pytest.fixture(scope="module")
def outcomes_by_department(dashboard_db):
    from dashboard.db import Reader
    from dashboard.queries import outcomes
    from pipelines.config import load_settings

    def run(measure: str):
        return outcomes(Reader(dashboard_db).cursor(), Filters(), load_settings(), measure=measure,
                        rows="department", cols=None)
    return run


@pytest.mark.parametrize("measure", ["enps_score", "engagement", "values_alignment"])
def test_a_did_says_how_many_it_rests_on_and_hides_where_that_would_reveal_a_small_group(outcomes_by_department,
                                                                                        measure):
    res = outcomes_by_department(measure)
    t = res.table[~res.table["suppressed"]]
    shown = t[t["did"].notna()]
    assert not shown.empty and shown["did_n"].notna().all()
    # rule 1: at least k people under the DiD; rule 3: none or at least k of the cell's people left out of it
    assert (shown["did_n"] >= K).all()
    left_out = shown["n"] - shown["did_n"]
    assert ((left_out == 0) | (left_out >= K)).all()
    assert (shown["did_n"] <= shown["n"]).all()
    total = t[t["department"] == "All"].iloc[0]
    assert total["did_n"] == total["n"]   # every cohort has a comparison group over the whole organisation
    hidden_did = t[t["did"].isna()]
    assert hidden_did["did_n"].isna().all() and hidden_did["did_ci_low"].isna().all()


def test_the_sample_has_a_did_on_fewer_people_than_its_cell_and_says_so(outcomes_by_department):
    res = outcomes_by_department("enps_score")
    t = res.table[~res.table["suppressed"] & res.table["did"].notna()]
    assert (t["did_n"] < t["n"]).any(), "the review's case: Marketing, 7 of 12"
    assert any(note.startswith("DiD n: the coached people the DiD rests on") for note in res.notes)
    assert any(note.startswith(f"A DiD is not shown where it would rest on fewer than {K}") for note in res.notes)
    assert any("by chance alone" in note for note in res.notes)   # 9 departments' changes at once


def _baselines(coached_pre: float, comparison_pre: float) -> pd.DataFrame:
    return pd.DataFrame({"n": [40], "n_rows": [40], "mean_pre": [coached_pre], "mean_post": [coached_pre],
                         "mean_d": [0.0], "sd_d": [1.0], "sd_pre": [1.0], "n_comparison": [200],
                         "comparison_mean_pre": [comparison_pre], "comparison_sd_pre": [1.0]})


@pytest.mark.parametrize("measure, coached_pre, comparison_pre, flagged", [
    ("engagement", 3.0, 3.5, True),        # started lower: may drift up
    ("engagement", 3.5, 3.0, False),
    ("amotivation", 3.5, 3.0, True),       # started higher on a measure where less is better: may drift down
    ("amotivation", 3.0, 3.5, False),
    ("external", 4.0, 3.5, True),
])
def test_regression_to_the_mean_looks_at_a_worse_start_whichever_way_worse_is(measure, coached_pre,
                                                                               comparison_pre, flagged):
    flags = _estimates(_baselines(coached_pre, comparison_pre), measure)["flags"].iloc[0]
    assert ("regression_to_mean" in flags) == flagged


def test_a_fall_is_blue_on_a_measure_where_less_is_better():
    table = pd.DataFrame({"career_phase": ["early"], "department": ["Sales"], "n": [30], "estimate": [-0.4],
                          "ci_low": [-0.6], "ci_high": [-0.2], "flags": [""], "suppressed": [False]})
    colours = {m: charts.change_heatmap(table, "career_phase", "department", K, m).data[1].colorscale
               for m in ("amotivation", "engagement")}
    low_end = {m: scale[0][1].upper() for m, scale in colours.items()}
    assert low_end["amotivation"] == theme.DIVERGING[-1][1].upper()   # the blue of improvement
    assert low_end["engagement"] == theme.DIVERGING[0][1].upper()     # the orange of decline
    assert np.isclose(colours["amotivation"][3][0], 0.5)


def test_a_break_even_beyond_all_of_the_gain_is_flagged_not_left_as_a_share(dashboard_db):
    """break_even_attribution 7.3 read as "730% of the gain"; no share of 0-100% pays back there."""
    from dashboard.db import Reader
    from dashboard.roi import view as V
    from pipelines.config import load_settings

    t = V.roi(Reader(dashboard_db).cursor(), Filters(), load_settings(), by="program").table
    t = t[~t["suppressed"]]
    beyond = t["break_even_attribution"] > 1
    assert beyond.any()
    assert t.loc[beyond, "flags"].str.contains("break_even_out_of_reach").all()
    assert not t.loc[~beyond, "flags"].fillna("").str.contains("break_even_out_of_reach").any()


def test_a_did_cell_on_fewer_people_than_its_change_says_so_on_the_cell():
    table = pd.DataFrame({"career_phase": ["early"], "department": ["Marketing"], "n": [12], "estimate": [58.3],
                          "ci_low": [20.0], "ci_high": [90.0], "did": [108.2], "did_ci_low": [71.9],
                          "did_ci_high": [144.5], "did_n": [7], "flags": ["indicative"], "suppressed": [False]})
    fig = charts.change_heatmap(table, "career_phase", "department", K, "enps_score", value="did")
    cell = fig.data[1].text[0][0]
    assert "+108.20" in cell and "DiD n = 7 of 12" in cell
    assert "n = 12" in charts.change_heatmap(table, "career_phase", "department", K, "enps_score").data[1].text[0][0]
