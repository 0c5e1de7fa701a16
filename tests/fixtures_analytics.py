"""Analytics fixtures: small warehouses built in code (rows inserted directly, marts rebuilt).

`build(con, settings, ...)` returns the raw frames it inserted, so tests can recompute every figure
independently with pandas/scipy.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard.queries.sql import MEASURE_COLUMNS

D = dt.date
COHORTS = {  # cohort -> program, start, end, coaches
    "C1": ("P1", D(2024, 2, 1), D(2024, 7, 20), ("K1", "K2")),
    "C2": ("P2", D(2024, 8, 1), D(2025, 1, 20), ("K2", "K3")),
}
SURVEY_DATES = [D(2024, 1, 20), D(2024, 7, 25), D(2025, 1, 25)]
TEAMS = [("D1", "T1"), ("D1", "T2"), ("D2", "T3"), ("D2", "T4")]
PHASES = ["early", "mid", "late"]


def build(con, settings, people: int = 240, coached=(60, 50), seed: int = 1, effect: float = 0.5,
          team_sizes=None, response_rate: float = 0.9) -> dict[str, pd.DataFrame]:
    from pipelines import marts

    con = con.cursor()  # duckdb 2.0: a fresh cursor, not one with an unconsumed result
    rng = np.random.default_rng(seed)
    keys = [f"{i:064x}" for i in range(1, people + 1)]
    if team_sizes:
        team_idx = np.repeat(np.arange(len(team_sizes)), team_sizes)[:people]
        team_idx = np.concatenate([team_idx, rng.integers(0, len(TEAMS), people - len(team_idx))])
    else:
        team_idx = rng.integers(0, len(TEAMS), people)
    dept = [TEAMS[i][0] for i in team_idx]
    team = [TEAMS[i][1] for i in team_idx]
    phase = rng.choice(PHASES, people)
    hire = [D(2020, 1, 1) + dt.timedelta(days=int(x)) for x in rng.integers(0, 1200, people)]
    exit_date, exit_type = [], []
    for i in range(people):
        if rng.random() < 0.25:
            d = D(2024, 3, 1) + dt.timedelta(days=int(rng.integers(0, 600)))
            exit_date.append(d)
            exit_type.append("voluntary" if rng.random() < 0.8 else "involuntary")
        else:
            exit_date.append(None)
            exit_type.append(None)
    pe = pd.DataFrame({"participant_key": keys, "team_id": [f"{a} / {b}" for a, b in zip(dept, team)],
                       "department": dept, "team": team, "job_level": "manager", "hire_date": hire,
                       "exit_date": exit_date, "exit_type": exit_type, "years_experience": 10.0,
                       "age_band": None, "salary_band": None, "career_phase": phase,
                       "career_phase_source": "explicit", "batch_id": 1})
    con.register("pe_df", pe)
    con.execute("INSERT INTO people SELECT * FROM pe_df")
    con.unregister("pe_df")
    con.execute("INSERT INTO programs VALUES ('P1','Alignment','alignment',3000,NULL,5000,'GBP',1),"
                "('P2','Exec','executive_career',6000,NULL,2000,'GBP',1)")
    order = rng.permutation(people)
    enr = []
    used = 0
    for (cid, (prog, start, end, coaches)), n in zip(COHORTS.items(), coached):
        for j in order[used:used + n]:
            status = rng.choice(["completed", "withdrawn", "active"], p=[0.8, 0.1, 0.1])
            enr.append({"participant_key": keys[j], "program_id": prog, "cohort_id": cid,
                        "coach_id": coaches[int(rng.integers(0, len(coaches)))],
                        "start_date": start, "end_date": end, "sessions_planned": 6,
                        "sessions_attended": 5, "status": status, "batch_id": 1})
        used += n
    en = pd.DataFrame(enr)
    con.register("en_df", en)
    con.execute("INSERT INTO enrolments SELECT * FROM en_df")
    con.unregister("en_df")
    # surveys: a stable trait + noise; coached people gain `effect` at their post wave
    trait = rng.normal(0, 0.8, people)
    end_of = {k: COHORTS[c][2] for k, c in zip(en.participant_key, en.cohort_id)} if len(en) else {}
    rows = []
    rid = 0
    for w, date in enumerate(SURVEY_DATES):
        for i, k in enumerate(keys):
            if exit_date[i] is not None and exit_date[i] <= date:
                continue
            if rng.random() > response_rate:
                continue
            rid += 1
            boost = effect if (k in end_of and end_of[k] <= date) else 0.0
            vals = {m: float(np.clip(np.round(3 + trait[i] + boost + rng.normal(0, 0.6), 2), 0, 7))
                    for m in MEASURE_COLUMNS}
            vals["enps"] = float(np.clip(np.round(7 + 1.5 * trait[i] + 2 * boost + rng.normal(0, 1.2)), 0, 10))
            rows.append({"response_id": rid, "survey_id": f"S{w}", "participant_key": k,
                         "submitted_at": dt.datetime.combine(date, dt.time(9)) + dt.timedelta(days=int(rng.integers(0, 5))),
                         "wave_reported": None, "items_answered": 40, **vals, "batch_id": 1})
    sr = pd.DataFrame(rows)
    con.register("sr_df", sr)
    cols = ", ".join(["response_id", "survey_id", "participant_key", "submitted_at", "wave_reported",
                      "items_answered", *MEASURE_COLUMNS, "enps", "batch_id"])
    con.execute(f"INSERT INTO survey_responses ({cols}) SELECT {cols} FROM sr_df")
    con.unregister("sr_df")
    con.execute("INSERT INTO load_batches VALUES (1, 'r1', 'people.csv', 'abc', 'people', 'canonical', 3, 2, 1, [], "
                "TIMESTAMP '2025-02-01 10:00', TIMESTAMP '2025-02-01 10:01', 'loaded_with_quarantine')")
    con.execute("INSERT INTO quarantine VALUES (1, 3, 'hire_date', 'x', 'hire_date: not a date')")
    marts.rebuild(con, settings)
    return {"people": pe, "enrolments": en, "responses": sr}


@pytest.fixture
def small_wh(settings):
    from pipelines.warehouse import open_memory

    con = open_memory()
    raw = build(con, settings)
    yield con, raw
    con.close()
