"""Career phase and survey wave derivation, at their edges."""

from __future__ import annotations

import duckdb
import pytest

from conftest import write_files


def _q(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_career_phase_edges(tmp_path, load, key):
    people = """
        employee_id,department,team,years_experience,age,job_level,career_phase
        Y1,D,T,9.99,,,
        Y2,D,T,10,,,
        Y3,D,T,24.9,,,
        Y4,D,T,25,60,,
        A1,D,T,,34,,
        A2,D,T,,35,,
        A3,D,T,,49,,
        A4,D,T,,50,,
        J1,D,T,,,Director,
        J2,D,T,,,3,
        J3,D,T,,,astronaut,
        X1,D,T,30,60,executive,Early
    """
    load(write_files(tmp_path / "in", {"people.csv": people}))
    got = {k: (phase, source) for k, phase, source in _q(tmp_path / "wh.duckdb",
           "SELECT participant_key, career_phase, career_phase_source FROM people")}
    expect = {
        "Y1": ("early", "years_experience"), "Y2": ("mid", "years_experience"), "Y3": ("mid", "years_experience"),
        "Y4": ("late", "years_experience"),
        "A1": ("early", "age"), "A2": ("mid", "age"), "A3": ("mid", "age"), "A4": ("late", "age"),
        "J1": ("late", "job_level"), "J2": ("mid", "job_level"), "J3": ("unknown", "none"),
        "X1": ("early", "explicit"),
    }
    assert {e: got[key.participant_key(e)] for e in expect} == expect


def test_career_phase_thresholds_come_from_config(tmp_path, key, instruments):
    from pipelines.config import load_settings
    from pipelines.ingest.run import ingest

    cfg = tmp_path / "settings.toml"
    cfg.write_text("[career_phase]\nyears_mid_from = 5\nyears_late_from = 15\n")
    folder = write_files(tmp_path / "in", {"people.csv": "employee_id,department,team,years_experience\nE1,D,T,6\nE2,D,T,15\n"})
    ingest([folder], tmp_path / "wh.duckdb", key, load_settings(cfg), instruments)
    got = dict(_q(tmp_path / "wh.duckdb", "SELECT participant_key, career_phase FROM people"))
    assert got[key.participant_key("E1")] == "mid" and got[key.participant_key("E2")] == "late"


# Enrolment 2024-03-01 .. 2024-09-01. Windows: baseline 2024-01-31 .. 2024-03-15; post 2024-07-18 ..
# 2024-10-16; follow_up from 2024-11-30; mid strictly between 2024-03-15 and 2024-07-18.
WAVE_EDGES = [
    ("2024-01-30", None),          # start - 31
    ("2024-01-31", "baseline"),    # start - 30
    ("2024-03-15", "baseline"),    # start + 14
    ("2024-03-16", "mid"),         # start + 15
    ("2024-07-17", "mid"),         # end - 46
    ("2024-07-18", "post"),        # end - 45
    ("2024-10-16", "post"),        # end + 45
    ("2024-10-17", None),          # end + 46: between post and follow-up
    ("2024-11-30", "follow_up"),   # end + 90
]


@pytest.mark.parametrize("date,wave", WAVE_EDGES)
def test_wave_windows_at_their_edges(tmp_path, load, key, date, wave):
    files = {
        "programs.csv": "program_id,name,type,currency\nP1,Alignment,alignment,GBP\n",
        "people.csv": "employee_id,department,team,hire_date\nC1,D,T,2020-01-01\nN1,D,T,2020-01-01\n",
        "enrolments.csv": ("employee_id,program_id,cohort_id,start_date,end_date,status\n"
                           "C1,P1,K1,2024-03-01,2024-09-01,completed\n"),
        "survey_a.csv": f"employee_id,submitted_at,val1,val2,val3\nC1,{date},4,4,4\nN1,{date},4,4,4\n",
    }
    load(write_files(tmp_path / "in", files))
    rows = _q(tmp_path / "wh.duckdb", "SELECT participant_key, role, wave FROM mart_response_waves")
    expected = set() if wave is None else {(key.participant_key("C1"), "coached", wave),
                                           (key.participant_key("N1"), "comparison", wave)}
    assert set(rows) == expected


def test_comparison_group_membership(tmp_path, load, key):
    files = {
        "programs.csv": "program_id,name,type,currency\nP1,Alignment,alignment,GBP\n",
        "people.csv": ("employee_id,department,team,hire_date,exit_date,exit_type\n"
                       "C1,D,T,2020-01-01,,\n"      # coached in K1
                       "L1,D,T,2020-01-01,,\n"      # coached later, after K1's post window: comparison for K1
                       "L2,D,T,2020-01-01,,\n"      # coached starting inside K1's post window: not comparison
                       "W1,D,T,2020-01-01,,\n"      # waitlist: not yet coached, comparison
                       "H1,D,T,2024-03-05,,\n"      # hired after K1's start: not comparison
                       "X1,D,T,2020-01-01,2024-02-01,voluntary\n"),  # left before K1's start
        "enrolments.csv": ("employee_id,program_id,cohort_id,start_date,end_date,status\n"
                           "C1,P1,K1,2024-03-01,2024-09-01,completed\n"
                           "L1,P1,K2,2024-10-20,2025-03-01,completed\n"
                           "L2,P1,K3,2024-10-10,2025-03-01,completed\n"
                           "W1,P1,KW,2026-01-01,2026-06-01,waitlist\n"),
        "survey_a.csv": "employee_id,submitted_at,val1,val2,val3\n" + "".join(
            f"{e},2024-02-20,4,4,4\n" for e in ("C1", "L1", "L2", "W1", "H1")),
    }
    load(write_files(tmp_path / "in", files))
    rows = _q(tmp_path / "wh.duckdb", "SELECT participant_key, role FROM mart_response_waves WHERE cohort_id = 'K1'")
    names = {key.participant_key(e): e for e in ("C1", "L1", "L2", "W1", "H1", "X1")}
    assert {(names[k], role) for k, role in rows} == {("C1", "coached"), ("L1", "comparison"), ("W1", "comparison")}
    cohorts = dict(_q(tmp_path / "wh.duckdb", "SELECT cohort_id, is_waitlist FROM cohorts"))
    assert cohorts == {"K1": False, "K2": False, "K3": False, "KW": True}


def test_a_reported_wave_belongs_to_the_enrolment_whose_span_holds_it(tmp_path, load, key):
    """A person coached in K1 (Jan-Jul 2024) and K2 (Mar-Sep 2025) reports each cohort's waves in a wave
    column. A reported wave counts for the enrolment from its baseline window (start - 30 days) up to
    the next enrolment's; elsewhere the dates decide. K2 must not get K1's follow-up (2025-01-15, before
    K2 began) nor K1's baseline."""
    files = {
        "programs.csv": "program_id,name,type,currency\nP1,Alignment,alignment,GBP\n",
        "people.csv": "employee_id,department,team,hire_date\nC1,D,T,2020-01-01\n",
        "enrolments.csv": ("employee_id,program_id,cohort_id,start_date,end_date,status\n"
                           "C1,P1,K1,2024-01-20,2024-07-20,completed\n"
                           "C1,P1,K2,2025-03-01,2025-09-01,completed\n"),
        # one survey per file: a second response of a person to the same survey is a duplicate
        **{f"survey_{day}.csv": f"employee_id,submitted_at,wave,val1,val2,val3\nC1,{day},{wave},4,4,4\n"
           for day, wave in (("2024-01-15", "baseline"), ("2024-07-15", "post"), ("2025-01-15", "follow_up"),
                             ("2025-02-15", "baseline"), ("2025-09-01", "post"))},
    }
    load(write_files(tmp_path / "in", files))
    rows = _q(tmp_path / "wh.duckdb", "SELECT cohort_id, wave, submitted_at::DATE::VARCHAR FROM mart_response_waves "
                                      "WHERE role = 'coached'")
    assert sorted(rows) == [("K1", "baseline", "2024-01-15"), ("K1", "follow_up", "2025-01-15"),
                            ("K1", "post", "2024-07-15"), ("K2", "baseline", "2025-02-15"),
                            ("K2", "post", "2025-09-01")]


def test_marts_exist_after_any_first_load_and_follow_later_loads(tmp_path, load, key):
    load(write_files(tmp_path / "a", {"programs.csv": "program_id,name,type,currency\nP1,A,alignment,GBP\n"}))
    assert _q(tmp_path / "wh.duckdb", "SELECT count(*) FROM mart_people") == [(0,)]
    assert _q(tmp_path / "wh.duckdb", "SELECT count(*) FROM mart_response_waves") == [(0,)]
    load(write_files(tmp_path / "b", {"people.csv": "employee_id,department,team\nE1,D,T\n"}))
    assert _q(tmp_path / "wh.duckdb", "SELECT count(*) FROM mart_people") == [(1,)]
