"""mart_enrolments (pipelines/marts/04_mart_enrolments.sql), which the ROI's costs and salary mix read, against
the loaded tables it is built from, and the ROI's costs from it against the same costs worked out in pandas
from the loaded tables, on the sample warehouse, with and without filters."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.filters import Filters
from dashboard.roi.view import _G_MIX, _grouped


@pytest.fixture(scope="module")
def con(sample_warehouse):
    c = duckdb.connect(str(sample_warehouse), read_only=True)
    yield c
    c.close()


def _tables(con) -> dict[str, pd.DataFrame]:
    return {t: con.execute(f"SELECT * FROM {t}").df() for t in
            ("enrolments", "sessions", "cohorts", "programs", "mart_people", "mart_person_ids")}


def _enrolments(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every non-waitlist enrolment with its person, groups, cohort's program and logged hours, in pandas."""
    e = t["enrolments"]
    e = e[e["status"] != "waitlist"].copy()
    s = t["sessions"].merge(e[["participant_key", "cohort_id", "start_date", "end_date"]], on="participant_key")
    s = s[(s["session_date"] >= s["start_date"]) & (s["session_date"] <= s["end_date"])]
    hours = (s.groupby(["participant_key", "cohort_id"])["duration_minutes"].sum() / 60.0).rename("hours_logged")
    e = e.merge(hours.reset_index(), on=["participant_key", "cohort_id"], how="left")
    e["sessions_n"] = e["sessions_attended"].fillna(e["sessions_planned"]).fillna(0)
    e = e.drop(columns=["program_id"]).merge(t["cohorts"][["cohort_id", "program_id"]], on="cohort_id")
    people = t["mart_person_ids"][["participant_key", "pid", "department", "team_id", "career_phase"]].merge(
        t["mart_people"][["participant_key", "job_level", "salary_band"]], on="participant_key")
    return e.merge(people, on="participant_key")


def test_mart_enrolments_equals_its_tables(con):
    mart = con.execute("SELECT * FROM mart_enrolments").df()
    want = _enrolments(_tables(con))
    assert len(mart) == len(want) > 100
    keys = ["pid", "cohort_id"]
    both = want.merge(mart, on=keys, how="outer", suffixes=("", "_mart"), indicator=True)
    assert (both["_merge"] == "both").all()
    for col in ["program_id", "coach_id", "department", "team_id", "career_phase", "job_level", "salary_band"]:
        a, b = both[col].astype(object), both[f"{col}_mart"].astype(object)
        assert ((a == b) | (a.isna() & b.isna())).all(), col
    np.testing.assert_allclose(both["sessions_n"].to_numpy(float), both["sessions_n_mart"].to_numpy(float))
    np.testing.assert_allclose(both["hours_logged"].to_numpy(float), both["hours_logged_mart"].to_numpy(float),
                               rtol=1e-12)
    assert both["hours_logged"].notna().sum() > 100, "the sample logs sessions: some hours must be found"


@pytest.mark.parametrize("filters", [{}, {"career_phase": "mid"}, {"program": "first"}, {"department": "first"}])
def test_roi_costs_equal_pandas(con, filters):
    t = _tables(con)
    e = _enrolments(t)
    for dim, value in list(filters.items()):
        if value == "first":
            filters[dim] = sorted(e[{"program": "program_id"}.get(dim, dim)].dropna().unique())[0]
    f = Filters(**filters)
    got = _grouped(con, "costs", {**f.params(), "session_hours": 1.5}, "program").set_index("grp")

    cohorts = t["cohorts"]
    e = e[e["cohort_id"].isin(cohorts.loc[~cohorts["is_waitlist"], "cohort_id"])]
    for dim, value in filters.items():
        e = e[e[{"program": "program_id"}.get(dim, dim)] == value]
    enr = t["enrolments"]
    per_program = enr[enr["status"] != "waitlist"].groupby("program_id").size().rename("enrolments_all")
    e = e.merge(t["programs"], on="program_id").merge(per_program.reset_index(), on="program_id")
    e["fee"] = e["cost_per_participant"].astype(float).fillna(e["total_cost"].astype(float) / e["enrolments_all"]).fillna(0.0)
    e["admin"] = e["admin_cost"].astype(float).fillna(0.0) / e["enrolments_all"]
    e["hours"] = e["hours_logged"].fillna(e["sessions_n"] * 1.5)
    want = e.groupby("program_id").agg(headcount=("pid", "nunique"), enrolments=("pid", "size"),
                                       coaching_fees=("fee", "sum"), session_hours=("hours", "sum"),
                                       program_admin_cost=("admin", "sum"))
    want.loc["All"] = [e["pid"].nunique(), len(e), e["fee"].sum(), e["hours"].sum(), e["admin"].sum()]
    assert len(want) >= 2
    assert sorted(got.index) == sorted(want.index)
    for col in want.columns:
        np.testing.assert_allclose(got.loc[want.index, col].to_numpy(float), want[col].to_numpy(float), rtol=1e-9,
                                   err_msg=col)

    mix = _grouped(con, "salary_mix", f.params(), "program", _G_MIX)
    for grp, people in mix.groupby("grp")["people"].sum().items():
        part = e if grp == "All" else e[e["program_id"] == grp]
        assert people == part.groupby(["job_level", "salary_band"], dropna=False)["pid"].nunique().sum(), grp
