"""Recovery of the generator's planted truth through ingest and the query layer.

Across SEEDS synthetic organisations: the 95% CIs of the paired change and of the pooled DiD per
program cover the planted expected change in at least 90% of cases; the zero-effect program is
significant (p < 0.05) in at most 10% of cases; the 12-month voluntary retention of the coached and
of the comparison group lies within the KM 95% CI of the truth in at least 90% of seeds.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

# 40 organisations: with 20, the zero-effect rate rests on ~67 correlated cases and came out at 7/67
# (0.104) although 50 further seeds gave 10/179 (0.056): the test needs the larger sample to be fair.
SEEDS = list(range(101, 141))
PEOPLE = 900
MEASURES = ("engagement", "values_alignment", "intent_to_stay", "enps_score")


def _one_seed(seed: int) -> dict:
    os.environ["COACHLENS_SECRET"] = "recovery-test-secret-0123456789"
    from pipelines.generate import effects

    effects.MC_DRAWS = 6000          # truth by Monte Carlo: fewer draws, same expectation (speed only)
    from pipelines.config import load_instruments, load_settings
    from pipelines.generate import generate
    from pipelines.ingest.pseudonymise import Key
    from pipelines.ingest.run import ingest
    from pipelines.warehouse import open_read_only

    from dashboard import queries as q
    from dashboard.filters import Filters

    settings, instruments = load_settings(env={}), load_instruments(env={})
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        truth = generate(people=PEOPLE, seed=seed, out=tmp / "data")
        ingest([tmp / "data"], tmp / "wh.duckdb", Key(b"k" * 32), settings, instruments)
        con = open_read_only(tmp / "wh.duckdb")
        cur = con.cursor()
        cases = []
        for m in MEASURES:
            res = q.cohorts(cur, Filters(), settings, measure=m, compare="program")
            for _, r in res.table.iterrows():
                if r["suppressed"] or r["n"] < 10:
                    continue
                want = truth["effects"][r["program_id"]]["pooled"][m]["expected_change_pooled"]
                cases.append({"seed": seed, "program": r["program_id"], "measure": m, "truth": want,
                              "change_cover": r["ci_low"] <= want <= r["ci_high"],
                              "did_cover": (r["did_ci_low"] <= want <= r["did_ci_high"])
                              if r["did_ci_low"] == r["did_ci_low"] else None,
                              "change_sig": r["p_value"] < 0.05, "did_sig": r["did_p_value"] < 0.05})
        ret = q.retention(cur, Filters(), settings).table.set_index("role")
        tr = truth["retention"]["retention_12m_voluntary"]
        retention = {role: bool(ret.loc[role, "ci_low"] <= tr[key] <= ret.loc[role, "ci_high"])
                     for role, key in (("coached", "coached_pooled"), ("comparison", "comparison"))}
        con.close()
    return {"cases": cases, "retention": retention, "zero": truth["zero_effect_program"]}


@pytest.fixture(scope="module")
def recovery():
    workers = int(os.environ.get("COACHLENS_RECOVERY_WORKERS", 2))
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(_one_seed, SEEDS))


def test_paired_change_and_did_cis_cover_the_planted_effect(recovery):
    cases = [c for r in recovery for c in r["cases"]]
    assert len({c["seed"] for c in cases}) >= 40
    change = [c["change_cover"] for c in cases]
    did = [c["did_cover"] for c in cases if c["did_cover"] is not None]
    print(f"cases {len(change)}: change coverage {sum(change) / len(change):.3f}, DiD coverage {sum(did) / len(did):.3f}")
    assert len(change) >= 150 and len(did) >= 150
    assert sum(change) / len(change) >= 0.90, f"paired change coverage {sum(change) / len(change):.3f}"
    assert sum(did) / len(did) >= 0.90, f"DiD coverage {sum(did) / len(did):.3f}"


def test_zero_effect_program_is_rarely_significant(recovery):
    zero = [c for r in recovery for c in r["cases"] if c["program"] == r["zero"]]
    assert len(zero) >= 40
    for key in ("change_sig", "did_sig"):
        rate = sum(bool(c[key]) for c in zero) / len(zero)
        print(f"zero-effect {key}: {rate:.3f} of {len(zero)}")
        assert rate <= 0.10, f"{key}: zero-effect program significant in {rate:.3f} of cases"


def test_twelve_month_retention_within_ci_of_truth(recovery):
    for role in ("coached", "comparison"):
        hits = [r["retention"][role] for r in recovery]
        print(f"retention {role}: {sum(hits)}/{len(hits)}")
        assert sum(hits) / len(hits) >= 0.90, f"{role}: truth inside the CI in {sum(hits)}/{len(hits)} seeds"
