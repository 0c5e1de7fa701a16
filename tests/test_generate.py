"""The synthetic generator: deterministic, structurally realistic, truthful about what it planted.

Everything is read back from the written CSV files with pandas (not from generator internals), so a
test fails when the files stop saying what truth.json and docs/data-contract.md promise.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.config import load_instruments, load_settings
from pipelines.generate import generate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
SAMPLE_ARGS = {"people": 2000, "seed": 20261123}
CSV_FILES = ["people.csv", "programs.csv", "enrolments.csv", "sessions.csv"]


# ---------------------------------------------------------------- helpers (files -> frames)

def read(folder: Path, name: str) -> pd.DataFrame:
    df = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    return df.apply(lambda c: c.str.strip())


def parse_dates(values: pd.Series) -> pd.Series:
    """ISO, DD/MM/YYYY or MM/DD/YYYY; a slash date must be unambiguous (exactly one part above 12)."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    iso = values.str.match(r"^\d{4}-\d{2}-\d{2}$")
    out[iso] = pd.to_datetime(values[iso], format="%Y-%m-%d")
    slash = values.str.contains("/")
    if slash.any():
        parts = values[slash].str.split("/", expand=True).astype(int)
        first_day = parts[0] > 12
        assert ((parts[0] > 12) ^ (parts[1] > 12)).all(), "ambiguous slash date"
        out[slash] = pd.to_datetime(pd.DataFrame({
            "year": parts[2], "month": np.where(first_day, parts[1], parts[0]),
            "day": np.where(first_day, parts[0], parts[1])}))
    assert (iso | slash | (values == "")).all(), "a date in an unknown format"
    return out


def survey_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("survey_*.csv"))


def latest_responses(path: Path) -> pd.DataFrame:
    """One row per person: ingest keeps the latest of several submissions."""
    df = read(path.parent, path.name)
    df["submitted_at"] = pd.to_datetime(df["submitted_at"])
    return df.sort_values("submitted_at").drop_duplicates("employee_id", keep="last")


def scale_score(df: pd.DataFrame, instrument: str) -> pd.Series:
    """The instrument's overall mean score from the config: reverse keys, the min_answered rule."""
    spec = load_instruments(env={})[instrument]
    codes = list(spec["items"])
    x = df[codes].replace("", np.nan).astype(float)
    for code in spec.get("reverse", []):
        x[code] = spec["scale_min"] + spec["scale_max"] - x[code]
    need = max(1, math.ceil(spec.get("min_answered", 0.75) * len(codes) - 1e-9))
    score = x.mean(axis=1).where(x.notna().sum(axis=1) >= need)
    return spec["scale_min"] + spec["scale_max"] - score if spec.get("flip") else score


def contract_columns() -> dict[str, tuple[set, set]]:
    """entity -> (required, optional) column names from the table in docs/data-contract.md."""
    text = (ROOT / "docs" / "data-contract.md").read_text()
    table = text.split("## Canonical input files", 1)[1].split("\n## ", 1)[0]
    out = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("entity", "") or set(cells[0]) <= {"-"}:
            continue
        names = [[re.sub(r"\s*\(.*?\)", "", n).strip() for n in re.sub(r"\(.*?\)", "", cell).split(",")]
                 for cell in cells[1:]]
        out[cells[0]] = tuple({n for n in ns if re.fullmatch(r"[a-z_]+", n)} for ns in names)
    return out


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen2000")
    return out, generate(out=out, **SAMPLE_ARGS)


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen20000")
    return out, generate(people=20000, seed=7, out=out)


def file_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# ---------------------------------------------------------------- determinism

def test_same_seed_gives_identical_bytes_and_another_seed_does_not(small, tmp_path):
    folder, truth = small
    again = generate(out=tmp_path / "again", **SAMPLE_ARGS)
    other = generate(people=500, seed=SAMPLE_ARGS["seed"] + 1, out=tmp_path / "other")
    first, same, different = file_bytes(folder), file_bytes(tmp_path / "again"), file_bytes(tmp_path / "other")
    assert len(first) == 4 + 4 + 1
    assert first == same and truth == again
    assert all(first[name] != different[name] for name in first if name != "programs.csv")
    assert other != truth


def test_sample_data_is_the_documented_generator_output(small):
    folder, _ = small
    assert SAMPLE.is_dir(), "sample_data/ is missing: run generate(people=2000, seed=20261123, out='sample_data')"
    expected = file_bytes(folder)
    actual = file_bytes(SAMPLE)
    assert sorted(n for n in actual if n.endswith((".csv", ".json"))) == sorted(expected)
    changed = [name for name in expected if actual[name] != expected[name]]
    assert not changed, f"sample_data/ differs from generate(2000, 20261123) in {changed}: regenerate it"
    assert sum(len(b) for b in expected.values()) < 2_000_000


# ---------------------------------------------------------------- files and truth agree

def test_files_and_columns_follow_the_data_contract(small):
    folder, truth = small
    names = sorted(p.name for p in folder.glob("*.csv"))
    assert names == sorted(CSV_FILES + [f"survey_{w['date'][:7]}.csv" for w in truth["survey_waves"]])
    assert len(survey_files(folder)) == 4
    contract = contract_columns()
    items = {c for spec in load_instruments(env={}).values() for c in spec["items"]}
    identifiers = {"email"}
    for name in names:
        entity = name.split("_")[0].split(".")[0]
        required, optional = contract[entity]
        assert "employee_id" in required or entity == "programs"
        cols = set(read(folder, name).columns)
        if entity == "survey":
            required = required | items
        missing = {c for c in required if c not in cols}
        assert not missing, f"{name} lacks required columns {missing}"
        unknown = cols - required - optional - identifiers
        assert not unknown, f"{name} has columns outside the contract: {unknown}"


def test_row_counts_in_truth_equal_the_files(small):
    folder, truth = small
    for name, rows in truth["files"].items():
        with open(folder / name, "rb") as fh:
            assert sum(1 for _ in fh) - 1 == rows, name
    ingest = truth["expected_ingest"]
    for w in truth["survey_waves"]:
        df = read(folder, w["file"])
        superseded = len(df) - df["employee_id"].nunique()
        assert superseded == w["duplicate_submissions"] == ingest[w["file"]]["rows_quarantined"] > 0
        assert ingest[w["file"]]["rows_loaded"] == df["employee_id"].nunique() == w["responses"]
    assert truth["mess"]["duplicate_submissions"] == ingest["total"]["rows_quarantined"]


# ---------------------------------------------------------------- structure

def test_people_teams_and_dates(small):
    folder, truth = small
    people = read(folder, "people.csv")
    assert people["employee_id"].str.fullmatch(r"E\d{7}").all() and people["employee_id"].is_unique
    assert "career_phase" not in people.columns
    sizes = people.groupby(["department", "team"]).size()
    assert sizes.min() >= 3 and sizes.max() <= 60 and (sizes < 5).any()
    hire, leave = parse_dates(people["hire_date"]), parse_dates(people["exit_date"])
    left = leave.notna()
    assert (leave[left] >= hire[left]).all()
    assert set(people.loc[left, "exit_type"].str.lower()) == {"voluntary", "involuntary"}
    assert (people.loc[~left, "exit_type"] == "").all()
    assert (hire >= pd.Timestamp(truth["window"]["start"])).any()          # some hired in the window
    assert people["hire_date"].str.contains("/").any()                    # the mess is there
    raw = pd.read_csv(folder / "people.csv", dtype=str, keep_default_na=False)
    assert (raw["department"] != raw["department"].str.strip()).any()


def test_coaching_share_coaches_waitlist_and_sessions(small):
    folder, truth = small
    people = read(folder, "people.csv")
    enr = read(folder, "enrolments.csv")
    enr["status"] = enr["status"].str.lower()
    live = enr[enr["status"] != "waitlist"]
    share = live["employee_id"].nunique() / len(people)
    assert 0.15 <= share <= 0.25
    assert share == pytest.approx(truth["counts"]["coached_share"], abs=1e-4)
    clients = live.groupby("coach_id")["employee_id"].nunique()
    assert (live["coach_id"] != "").all() and clients.between(5, 40).all()
    assert clients.to_dict() == truth["counts"]["per_coach"]
    wait = enr[enr["status"] == "waitlist"]
    assert len(wait) >= 10 and (pd.to_datetime(wait["start_date"]) > pd.Timestamp(truth["window"]["end"])).all()
    assert set(live["status"]) == {"active", "completed", "withdrawn"}
    planned, attended = live["sessions_planned"].astype(int), live["sessions_attended"].astype(int)
    assert (attended <= planned).all() and (attended >= 0).all()
    done = live["status"] == "completed"
    assert attended[live["status"] == "withdrawn"].mean() < attended[done].mean()

    sessions = read(folder, "sessions.csv")
    per_person = sessions.groupby("employee_id").size()
    assert per_person.reindex(live["employee_id"]).fillna(0).astype(int).tolist() == attended.tolist()
    s = sessions.merge(live[["employee_id", "start_date", "end_date"]], on="employee_id")
    assert s["date"].between(s["start_date"], s["end_date"]).all()
    assert s["duration_minutes"].astype(int).between(45, 120).all()
    leave = parse_dates(people["exit_date"]).set_axis(people["employee_id"])
    assert (pd.to_datetime(s["date"]) < leave.reindex(s["employee_id"]).fillna(pd.Timestamp.max).values).all()


def test_survey_waves_nonresponse_and_no_answers_after_leaving(small):
    folder, truth = small
    people = read(folder, "people.csv")
    hire, leave = parse_dates(people["hire_date"]), parse_dates(people["exit_date"]).fillna(pd.Timestamp.max)
    dates = [pd.Timestamp(w["date"]) for w in truth["survey_waves"]]
    assert [(b - a).days for a, b in zip(dates, dates[1:])] == [182, 184, 181]
    rates = []
    for path, w in zip(survey_files(folder), truth["survey_waves"]):
        resp = latest_responses(path)
        invited = (hire <= dates[len(rates)]) & (leave > dates[len(rates)])
        assert int(invited.sum()) == w["invited"]
        assert resp["employee_id"].isin(people.loc[invited, "employee_id"]).all()
        rates.append(1 - len(resp) / invited.sum())
        lag = resp["submitted_at"] - dates[len(rates) - 1]
        assert lag.min() >= pd.Timedelta(0) and lag.max() <= pd.Timedelta(days=14)
        when_leave = leave.set_axis(people["employee_id"]).reindex(resp["employee_id"]).values
        assert (resp["submitted_at"].dt.normalize().values < when_leave).all()
        blank = (resp.iloc[:, 2:] == "").to_numpy().mean()
        assert 0.003 < blank < 0.05
    assert all(0.20 <= r <= 0.35 for r in rates) and len(set(np.round(rates, 2))) > 1


# ---------------------------------------------------------------- the truth is recoverable

def _paired_change(folder: Path, program_id: str, instrument: str) -> tuple[pd.Series, pd.DataFrame]:
    """Post - baseline score per coached person of the program, waves assigned by settings.toml."""
    waves = load_settings(env={})["waves"]
    enr = read(folder, "enrolments.csv")
    enr = enr[(enr["program_id"] == program_id) & (enr["status"].str.lower() != "waitlist")]
    enr = enr.assign(start=pd.to_datetime(enr["start_date"]), end=pd.to_datetime(enr["end_date"]))
    scored = []
    for path in survey_files(folder):
        resp = latest_responses(path)
        scored.append(pd.DataFrame({"employee_id": resp["employee_id"], "day": resp["submitted_at"].dt.normalize(),
                                    "score": scale_score(resp, instrument)}))
    r = pd.concat(scored).merge(enr[["employee_id", "start", "end"]], on="employee_id")
    base = r[(r["day"] >= r["start"] - pd.Timedelta(days=waves["baseline_days_before"]))
             & (r["day"] <= r["start"] + pd.Timedelta(days=waves["baseline_days_after"]))]
    post = r[(r["day"] - r["end"]).abs() <= pd.Timedelta(days=waves["post_days_around"])]
    change = (post.set_index("employee_id")["score"] - base.set_index("employee_id")["score"]).dropna()
    return change, read(folder, "people.csv").set_index("employee_id")


def _phase(years: pd.Series) -> pd.Series:
    cp = load_settings(env={})["career_phase"]
    y = years.astype(float)
    return pd.Series(np.where(y >= cp["years_late_from"], "late", np.where(y >= cp["years_mid_from"], "mid", "early")),
                     index=years.index)


def test_alignment_values_change_is_recovered_and_the_zero_program_is_null(large):
    folder, truth = large
    change, people = _paired_change(folder, "P001", "values_alignment")
    assert len(change) > 300
    phases = _phase(people.loc[change.index, "years_experience"])
    by_phase = truth["effects"]["P001"]["phases"]
    expected = float(np.mean([by_phase[p]["values_alignment"]["expected_change"] for p in phases]))
    se = change.std() / math.sqrt(len(change))
    assert expected > 6 * se, "the planted alignment effect should be clearly visible at this size"
    assert abs(change.mean() - expected) < 4 * se + 0.01, (change.mean(), expected, se)
    assert by_phase["mid"]["values_alignment"]["latent"] > by_phase["early"]["values_alignment"]["latent"]

    zero = truth["zero_effect_program"]
    null_change, _ = _paired_change(folder, zero, "values_alignment")
    assert abs(null_change.mean()) < 4 * null_change.std() / math.sqrt(len(null_change))
    assert all(v["expected_change_pooled"] == 0 for v in truth["effects"][zero]["pooled"].values())


def test_truth_describes_selection_effect_sizes_and_retention(large):
    _, truth = large
    gap = truth["selection"]["baseline_gap_sd"]
    assert -0.6 < gap["engagement"] < -0.15 and truth["selection"]["rtm_warning_expected"]
    for pid, e in truth["effects"].items():
        if pid == truth["zero_effect_program"]:
            continue
        g = e["pooled"]["engagement"]["expected_g_pooled"]
        assert 0.15 <= g <= 0.65, (pid, g)
        for m in ("engagement", "values_alignment", "intent_to_stay", "enps", "motivation_sdi"):
            p = e["pooled"][m]
            assert 0.8 < p["expected_change_pooled"] / p["latent_pooled"] <= 1.02, (pid, m)
            assert p["expected_change_mid_pooled"] == pytest.approx(p["expected_change_pooled"] / 2, rel=0.1)
        assert e["pooled"]["enps_score"]["expected_change_pooled"] > 0
    ret = truth["retention"]["retention_12m_voluntary"]
    assert ret["comparison"] == pytest.approx(0.85)
    assert ret[truth["zero_effect_program"]] == ret["comparison"] < ret["coached_pooled"]
