"""What the pages need for a large organisation's breakdowns: the heatmap draws at most
MAX_HEATMAP_COLUMNS teams (the largest) and says so, every value it draws is the table's; the page builds
its download files only when a button is clicked; and with a department chosen the team filter lists
only its teams."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import charts
from dashboard.charts.effects import MAX_HEATMAP_COLUMNS
from tests.test_pages import page


def _team_table(teams: int, seed: int = 3) -> pd.DataFrame:
    """A change cross-tab career phase x team with margins, as the outcomes view returns it: some cells
    suppressed (their values empty)."""
    rng = np.random.default_rng(seed)
    rows = []
    for phase in ("early", "mid", "late", "All"):
        for t in [f"T{i:04d}" for i in range(teams)] + ["All"]:
            n = int(rng.integers(1, 60)) * (3 if phase == "All" else 1)
            hidden = bool(n < 8)
            est = float(rng.normal(0.2, 0.3))
            rows.append({"career_phase": phase, "team": t, "n": np.nan if hidden else n,
                         "estimate": np.nan if hidden else est, "ci_low": np.nan if hidden else est - 0.1,
                         "ci_high": np.nan if hidden else est + 0.1, "flags": "", "suppressed": hidden})
    return pd.DataFrame(rows)


def test_a_heatmap_of_many_teams_draws_the_largest_and_says_so():
    table = _team_table(400)
    fig = charts.change_heatmap(table, "career_phase", "team", 5, "engagement")
    grey, values = fig.data[0], fig.data[1]
    drawn = [x for x in values.x if x != "All"]
    assert len(drawn) == MAX_HEATMAP_COLUMNS and values.x[-1] == "All"
    assert "of 400" in fig.layout.title.text and not fig.layout.annotations
    size = table[table["career_phase"] == "All"].set_index("team")["n"].fillna(0).drop("All")
    assert size.loc[drawn].min() >= size.drop(drawn).max()
    # every drawn cell is the table's: its value, or "hidden" on the grey layer where suppressed
    cell = table.set_index(["career_phase", "team"])
    phases = {"Early career": "early", "Mid career": "mid", "Late career": "late", "All": "All"}
    checked = hidden = 0
    for yi, label in enumerate(values.y):
        for xi, team in enumerate(values.x):
            row = cell.loc[(phases[label], team)]
            if row["suppressed"]:
                assert values.z[yi][xi] is None and grey.z[yi][xi] == 1 and grey.text[yi][xi] == "hidden"
                hidden += 1
            else:
                assert values.z[yi][xi] == row["estimate"] and grey.z[yi][xi] is None
                checked += 1
    assert checked > 50 and hidden > 5


def test_a_heatmap_of_few_columns_draws_them_all():
    table = _team_table(12)
    fig = charts.change_heatmap(table, "career_phase", "team", 5, "engagement")
    assert list(fig.data[1].x) == [f"T{i:04d}" for i in range(12)] + ["All"]
    assert "<sup" not in fig.layout.title.text


def test_a_cell_with_no_people_is_light_grey_not_white():
    """A cell with no coached people is drawn light grey, without text: white is the colour of no change."""
    table = _team_table(12)
    shown = table[~table["suppressed"].astype(bool) & (table["team"] != "All") & (table["career_phase"] != "All")]
    gone = shown.iloc[0]
    table = table.drop(index=gone.name)
    fig = charts.change_heatmap(table, "career_phase", "team", 5, "engagement")
    grey, values = fig.data[0], fig.data[1]
    xi = list(values.x).index(gone["team"])
    yi = [t.lower().startswith(gone["career_phase"]) for t in values.y].index(True)
    assert values.z[yi][xi] is None and grey.z[yi][xi] == 0 and not grey.text[yi][xi]
    assert grey.colorscale[0][1] != "white" and grey.colorscale[0][1] != grey.colorscale[-1][1]


@pytest.mark.usefixtures("on_sample")
def test_the_page_builds_its_downloads_only_when_clicked(monkeypatch):
    """An XLSX of tens of thousands of rows takes seconds: a run of the page must not build it."""
    import dashboard.components.tables as tables

    built = []
    real_csv, real_xlsx = tables.to_csv_bytes, tables.to_xlsx_bytes
    monkeypatch.setattr(tables, "to_csv_bytes", lambda *a, **k: built.append("csv") or real_csv(*a, **k))
    monkeypatch.setattr(tables, "to_xlsx_bytes", lambda *a, **k: built.append("xlsx") or real_xlsx(*a, **k))
    at = page("outcomes", {"level": "team"})
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download CSV" in labels and "Download XLSX" in labels
    assert built == []


@pytest.mark.usefixtures("on_sample")
def test_with_a_department_chosen_the_team_filter_lists_only_its_teams():
    from dashboard.db import Reader
    from dashboard.queries import filter_options
    from tests.test_pages import selectbox

    opts = filter_options(Reader(__import__("os").environ["COACHLENS_DB"]).cursor())
    department = opts.departments[1]
    own = [t for t in opts.teams if opts.team_department[t] == department]
    assert 0 < len(own) < len(opts.teams)
    every = page("overview")
    assert list(selectbox(every, "team").options)[1:] == list(opts.teams)
    chosen = page("overview", {"department": department, "team": own[0]})
    assert list(selectbox(chosen, "team").options) == ["All"] + own
    assert selectbox(chosen, "team").value == own[0]      # a team of the department, from a link, is kept


def test_a_departments_teams_are_labelled_without_the_department():
    table = _team_table(20)
    table["team"] = table["team"].map(lambda t: t if t == "All" else f"Operations / {t}")
    fig = charts.change_heatmap(table, "career_phase", "team", 5, "engagement")
    drawn = list(fig.data[1].x)
    assert len(drawn) == MAX_HEATMAP_COLUMNS + 1 and drawn[-1] == "All"
    assert all(x.startswith("T") and len(x) == 5 for x in drawn[:-1]), drawn
    mixed = table.assign(team=table["team"].str.replace("Operations / T0001", "Sales / T0001"))
    assert any(x.startswith("Operations / ") for x in charts.change_heatmap(mixed, "career_phase", "team", 5,
                                                                          "engagement").data[1].x)


def test_a_flagged_estimate_says_so_on_the_chart():
    """The notes say "where flagged"; the flag is written under the estimate on the chart (it was only in the
    hover and the table), and an unflagged one carries nothing more."""
    table = pd.DataFrame({"cohort_id": ["C1", "C2"], "did": [0.4, 0.1], "did_ci_low": [0.0, -0.1],
                          "did_ci_high": [0.8, 0.3], "n": [12, 80], "flags": ["indicative;regression_to_mean", ""],
                          "suppressed": [False, False]})
    fig = charts.forest(table, "cohort_id", 5)
    flagged, plain = fig.data[0].text
    assert "indicative, regression to the mean?" in flagged and "<br>" not in plain


def test_a_trajectory_is_broken_at_a_wave_its_group_has_no_data_for():
    """A cohort with no mid-program responses: its line stops at baseline and starts again at post, instead of
    running straight across the mid-program column as if it had data there."""
    rows = []
    for cohort, waves in (("C1", ["baseline", "mid", "post"]), ("C2", ["baseline", "post"])):
        for i, w in enumerate(waves):
            rows.append({"cohort_id": cohort, "role": "coached", "wave": w, "estimate": 3.0 + i / 10, "ci_low": 2.8,
                         "ci_high": 3.4, "n": 40, "suppressed": False})
    fig = charts.trajectories(pd.DataFrame(rows), "cohort_id", 5, "engagement")
    line = next(t for t in fig.data if (t.name or "").startswith("C2") and t.mode == "lines+markers")
    assert list(line.x) == ["Baseline", "Mid-program", "Post"] and line.y[1] is None and not line.connectgaps
    assert "no responses in this wave" in line.hovertext[1]
    # nor does its band run across that wave: one band at baseline, one at post (C1's spans its three waves)
    bands = [t for t in fig.data if t.fill == "toself"]
    assert sorted(len(t.x) for t in bands) == [2, 2, 6]


def test_a_flagged_heatmap_cell_is_starred():
    """The notes beside the heatmap say "where flagged": a flagged cell's value carries a star, the others none."""
    table = _team_table(4)
    shown = table[~table["suppressed"].astype(bool) & table["estimate"].notna()]
    table.loc[shown.index[0], "flags"] = "indicative"
    fig = charts.change_heatmap(table, "career_phase", "team", 5, "engagement")
    texts = [t for row in fig.data[1].text for t in row if t and t != "-"]
    starred = [t for t in texts if t.split("<br>")[0].endswith("*")]
    assert len(starred) == 1 and len(texts) > 5
