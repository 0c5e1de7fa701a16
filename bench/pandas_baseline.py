"""The same aggregates as coachlens's views, computed from the same canonical CSV files with plain
pandas, as a competent analyst would write it: read the files, score the items, assign waves from
enrolment dates, then group. No anonymity rules (pandas has none), so it does less than coachlens.

Each function returns the aggregate table; `timed_views()` returns seconds per view, counting the
reading of the files each view needs (an analyst's script starts from the files) and, separately,
the compute alone.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from pipelines.config import load_instruments, load_settings

AS_OF = pd.Timestamp("2025-12-31")   # the synthetic extract date: exits after it are not seen
WAVE_DAYS = {"baseline_before": 30, "baseline_after": 14, "post_around": 45}


def read(folder: Path) -> dict[str, pd.DataFrame]:
    people = pd.read_csv(folder / "people.csv", dtype=str)
    people["employee_id"] = people["employee_id"].str.strip().str.lower()
    for c in ("department", "team"):
        people[c] = people[c].str.strip()
    people["hire_date"] = pd.to_datetime(people["hire_date"], format="mixed", dayfirst=False, errors="coerce")
    people["exit_date"] = pd.to_datetime(people["exit_date"], format="mixed", dayfirst=False, errors="coerce")
    people["exit_type"] = people["exit_type"].str.strip().str.lower()
    years = pd.to_numeric(people["years_experience"], errors="coerce")
    people["career_phase"] = np.select([years >= 25, years >= 10], ["late", "mid"], "early")
    enrol = pd.read_csv(folder / "enrolments.csv", dtype=str)
    for c in ("start_date", "end_date"):
        enrol[c] = pd.to_datetime(enrol[c])
    enrol["employee_id"] = enrol["employee_id"].str.strip().str.lower()
    enrol["status"] = enrol["status"].str.strip().str.lower()
    surveys = []
    for path in sorted(folder.glob("survey_*.csv")):
        s = pd.read_csv(path)
        s["survey_id"] = path.stem
        surveys.append(s)
    survey = pd.concat(surveys, ignore_index=True)
    survey["employee_id"] = survey["employee_id"].astype(str).str.strip().str.lower()
    survey["submitted_at"] = pd.to_datetime(survey["submitted_at"])
    survey = survey.sort_values("submitted_at").drop_duplicates(["employee_id", "survey_id"], keep="last")
    return {"people": people, "enrolments": enrol, "survey": survey}


def score(survey: pd.DataFrame, instruments: dict) -> pd.DataFrame:
    out = survey[["employee_id", "submitted_at", "survey_id"]].copy()
    for name, spec in instruments.items():
        lo, hi = spec["scale_min"], spec["scale_max"]
        items = survey[list(spec["items"])].astype(float)
        for code in spec.get("reverse", []):
            items[code] = lo + hi - items[code]
        need = int(np.ceil(spec.get("min_answered", 0.75) * len(spec["items"]) - 1e-9))
        mean = items.mean(axis=1).where(items.notna().sum(axis=1) >= need)
        out[name] = (lo + hi - mean) if spec.get("flip") else mean
    return out


def waves(data: dict) -> pd.DataFrame:
    """Coached people's baseline and post response per enrolment; comparison people's per cohort."""
    e = data["enrolments"]
    e = e[e["status"] != "waitlist"]
    scored = data["scored"]
    cohorts = e.groupby("cohort_id").agg(start=("start_date", "min"), end=("end_date", "max"),
                                          program_id=("program_id", "first")).reset_index()
    first = e.groupby("employee_id")["start_date"].min().rename("first_start")
    people = data["people"].join(first, on="employee_id")
    frames = []
    coached = e.rename(columns={"start_date": "start", "end_date": "end"})[
        ["employee_id", "cohort_id", "program_id", "start", "end"]].assign(role="coached")
    frames.append(coached)
    for _, c in cohorts.iterrows():
        start, end = pd.Timestamp(c["start"]), pd.Timestamp(c["end"])
        ok = (((people["hire_date"].isna()) | (people["hire_date"] <= start))
              & ((people["exit_date"].isna()) | (people["exit_date"] > start))
              & ((people["first_start"].isna())
                 | (people["first_start"] > end + pd.Timedelta(days=WAVE_DAYS["post_around"]))))
        comp = people.loc[ok, ["employee_id"]].assign(cohort_id=c["cohort_id"], program_id=c["program_id"],
                                                     start=start, end=end, role="comparison")
        frames.append(comp)
    anchors = pd.concat(frames, ignore_index=True)
    m = anchors.merge(scored, on="employee_id")
    d = m["submitted_at"].dt.normalize()
    base = (d >= m["start"] - pd.Timedelta(days=30)) & (d <= m["start"] + pd.Timedelta(days=14))
    post = (d >= m["end"] - pd.Timedelta(days=45)) & (d <= m["end"] + pd.Timedelta(days=45))
    m["wave"] = np.select([base, post], ["baseline", "post"], None)
    return m[m["wave"].notna()]


def _changes(m: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    """Post minus baseline of every measure per cohort x program x person x role: one reshape for all."""
    wide = m.groupby(["cohort_id", "program_id", "employee_id", "role", "wave"])[measures].first().unstack("wave")
    return pd.DataFrame({ms: wide[(ms, "post")] - wide[(ms, "baseline")] for ms in measures})


def paired(m: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One measure's change per cohort x program x person x role, where both waves have a score."""
    return _changes(m, [measure])[measure].dropna().rename("change").reset_index()


def outcomes(data: dict, measure: str = "engagement") -> pd.DataFrame:
    p = paired(data["waves"], measure)
    p = p[p["role"] == "coached"].merge(data["people"][["employee_id", "career_phase", "department"]], on="employee_id")
    g = p.groupby(["career_phase", "department"])["change"].agg(["count", "mean", "std"])
    g["half"] = 1.96 * g["std"] / np.sqrt(g["count"])
    return g.reset_index()


def cohorts(data: dict, measure: str = "engagement") -> pd.DataFrame:
    p = paired(data["waves"], measure)
    g = p.groupby(["cohort_id", "role"])["change"].agg(["count", "mean", "var"]).unstack("role")
    did = g[("mean", "coached")] - g[("mean", "comparison")]
    se = np.sqrt(g[("var", "coached")] / g[("count", "coached")] + g[("var", "comparison")] / g[("count", "comparison")])
    return pd.DataFrame({"did": did, "low": did - 1.96 * se, "high": did + 1.96 * se}).reset_index()


def _retention_12m(df: pd.DataFrame, as_of: pd.Timestamp) -> tuple[float, float, float]:
    """Kaplan-Meier 12-month retention (voluntary exits are events) from each person's `start`, with
    its 95% interval."""
    end = df["exit_date"].fillna(as_of).clip(upper=as_of)
    months = ((end - df["start"]).dt.days / 30.4375).clip(lower=0)
    event = (df["exit_type"] == "voluntary") & df["exit_date"].notna() & (df["exit_date"] <= as_of)
    km = KaplanMeierFitter().fit(months, event)
    ci = km.confidence_interval_survival_function_
    return float(km.predict(12)), float(np.interp(12, ci.index, ci.iloc[:, 0])), float(np.interp(12, ci.index, ci.iloc[:, 1]))


def retention(data: dict) -> pd.DataFrame:
    people, e = data["people"], data["enrolments"]
    e = e[e["status"] != "waitlist"]
    start = e.groupby("employee_id")["start_date"].min()
    coached = people.join(start.rename("start"), on="employee_id", how="inner")
    first_cohort = e["start_date"].min()
    comp = people[~people["employee_id"].isin(start.index)
                  & ((people["exit_date"].isna()) | (people["exit_date"] > first_cohort))].assign(start=first_cohort)
    rows = []
    for role, df in (("coached", coached), ("comparison", comp)):
        est, low, high = _retention_12m(df, AS_OF)
        rows.append({"role": role, "n": len(df), "retention_12m": est, "low": low, "high": high})
    return pd.DataFrame(rows)


def quality(data: dict) -> pd.DataFrame:
    s = data["scored"]
    missing = s.drop(columns=["employee_id", "submitted_at", "survey_id"]).isna().mean()
    rates = data["waves"].query("role == 'coached'").groupby(["cohort_id", "wave"])["employee_id"].nunique()
    return pd.concat([missing.rename("share_missing").reset_index(), rates.rename("responded").reset_index()])


def overview(data: dict) -> pd.DataFrame:
    p = paired(data["waves"], "engagement")
    change = p[p["role"] == "coached"]["change"].agg(["count", "mean", "std"])
    return pd.concat([change.to_frame("engagement").T, retention(data)], axis=0)


def _measures(data: dict) -> list[str]:
    return [c for c in data["scored"].columns if c not in ("employee_id", "submitted_at", "survey_id")]


def _did(p: pd.DataFrame) -> tuple[float, float]:
    """Pooled DiD over cohorts (coached-size weights) and its standard error, from paired changes."""
    g = p.groupby(["cohort_id", "role"])["change"].agg(["count", "mean", "var"]).unstack("role")
    g = g.dropna()
    if g.empty:
        return float("nan"), float("nan")
    w = g[("count", "coached")] / g[("count", "coached")].sum()
    did = float((w * (g[("mean", "coached")] - g[("mean", "comparison")])).sum())
    var = float((w ** 2 * (g[("var", "coached")] / g[("count", "coached")]
                           + g[("var", "comparison")] / g[("count", "comparison")])).sum())
    return did, float(np.sqrt(var))


def coach(data: dict, coach_id: str | None = None) -> pd.DataFrame:
    """One coach's clients: change and DiD (against the comparison group of the coach's cohorts) of
    every scored measure, per program and in total."""
    e = data["enrolments"]
    e = e[e["status"] != "waitlist"]
    coach_id = coach_id or sorted(e["coach_id"].dropna().unique())[0]
    mine = e.loc[e["coach_id"] == coach_id, ["employee_id", "cohort_id"]].drop_duplicates()
    m = data["waves"]
    clients = m[m["role"] == "coached"].merge(mine, on=["employee_id", "cohort_id"])
    comp = m[(m["role"] == "comparison") & m["cohort_id"].isin(mine["cohort_id"])]
    both = pd.concat([clients, comp], ignore_index=True)
    changes = _changes(both, _measures(data))
    rows = []
    for measure in _measures(data):
        p = changes[measure].dropna().rename("change").reset_index()
        for program, part in [("All", p)] + list(p.groupby("program_id")):
            c = part.loc[part["role"] == "coached", "change"]
            did, se = _did(part)
            rows.append({"measure": measure, "program_id": program, "n": len(c), "mean": c.mean(),
                         "sd": c.std(), "did": did, "did_low": did - 1.96 * se, "did_high": did + 1.96 * se})
    return pd.DataFrame(rows)


def roi(data: dict) -> pd.DataFrame:
    """Phillips ROI per program: fully loaded costs (fees, participants' hours from the session log,
    administration), avoided voluntary exits from 12-month Kaplan-Meier attrition of the coached
    against the comparison group, valued at salary x turnover multiplier, a Monte Carlo interval, and
    the change in three measures beside it. Reads the program and session files it needs."""
    settings = load_settings()["roi"]
    folder = data["folder"]
    programs = pd.read_csv(folder / "programs.csv")
    sessions = pd.read_csv(folder / "sessions.csv", parse_dates=["date"])
    sessions["employee_id"] = sessions["employee_id"].str.strip().str.lower()
    people, e = data["people"], data["enrolments"]
    e = e[e["status"] != "waitlist"].reset_index(drop=True)
    e["_e"] = e.index
    logged = e.merge(sessions, on="employee_id")
    logged = logged[(logged["date"] >= logged["start_date"]) & (logged["date"] <= logged["end_date"])]
    hours = (logged.groupby("_e")["duration_minutes"].sum() / 60).rename("hours")
    e = e.join(hours, on="_e")
    attended = pd.to_numeric(e["sessions_attended"], errors="coerce").fillna(0)
    e["hours"] = e["hours"].fillna(attended * settings["session_hours_default"])
    e = e.merge(programs, on="program_id")
    n_prog = e.groupby("program_id")["_e"].transform("count")
    e["fee"] = e["cost_per_participant"].fillna(0)
    e["admin"] = e["admin_cost"].fillna(0) / n_prog + settings["admin_cost_per_participant"]
    salary = settings["salary_band"]
    mult = settings["turnover_multiplier"]
    people = people.assign(exit_cost=people["salary_band"].map(salary).fillna(salary["default"])
                           * people["job_level"].map(mult).fillna(settings["turnover_multiplier_default"]))
    first_start = e.groupby("employee_id")["start_date"].min()
    rng = np.random.default_rng(settings["seed"])
    rows = []
    for program, pe in e.groupby("program_id"):
        start = pe.groupby("employee_id")["start_date"].min()
        coached = people.join(start.rename("start"), on="employee_id", how="inner")
        t0 = pe["start_date"].min()
        comp = people[~people["employee_id"].isin(first_start.index)
                      & (people["exit_date"].isna() | (people["exit_date"] > t0))].assign(start=t0)
        att, se = {}, {}
        for role, df in (("coached", coached), ("comparison", comp)):
            est, lo, hi = _retention_12m(df, AS_OF)
            att[role], se[role] = 1 - est, (hi - lo) / (2 * 1.96)
        headcount = pe["employee_id"].nunique()
        cost_of_exit = float(coached["exit_cost"].mean())
        costs = float(pe["fee"].sum() + pe["hours"].sum() * settings["participant_hourly_cost"] + pe["admin"].sum())
        diff = att["comparison"] - att["coached"]
        benefits = diff * headcount * cost_of_exit * settings["attribution_share"]
        draws = settings["monte_carlo_draws"]
        d = rng.normal(diff, np.hypot(se["coached"], se["comparison"]), draws)
        lo_share, hi_share = settings["attribution_range"]
        share = rng.triangular(lo_share, settings["attribution_share"], hi_share, draws)
        sim = (d * headcount * cost_of_exit * share - costs) / costs * 100
        rows.append({"program_id": program, "headcount": headcount, "costs": costs, "benefits": benefits,
                     "roi_pct": (benefits - costs) / costs * 100, "roi_low": np.percentile(sim, 2.5),
                     "roi_high": np.percentile(sim, 97.5)})
    out = pd.DataFrame(rows)
    measures = _measures(data)[:3]
    changes = _changes(data["waves"], measures).xs("coached", level="role")
    intangibles = changes.groupby(level="program_id").agg(["count", "mean", "std"])
    intangibles.columns = [f"{a}_{b}" for a, b in intangibles.columns]
    return out.join(intangibles, on="program_id")


VIEWS = {"overview": overview, "outcomes": outcomes, "cohorts": cohorts, "retention": retention,
         "quality": quality, "coach": coach, "roi": roi}


def prepare(folder: Path) -> dict:
    data = read(folder)
    data["folder"] = folder
    data["scored"] = score(data["survey"], load_instruments())
    data["waves"] = waves(data)
    return data


def timed_views(folder: Path, coach_id: str | None = None) -> dict[str, dict[str, float]]:
    """Per view: `total` = preparing (read, score, assign waves: measured once, since every view's
    script starts with it) + `compute` (the view's aggregate alone). `coach_id`: the coach whose
    clients the coach view reads (the benchmark passes the one coachlens's coach view reads)."""
    t0 = time.perf_counter()
    data = prepare(folder)
    prep = time.perf_counter() - t0
    out = {}
    for name, fn in VIEWS.items():
        t1 = time.perf_counter()
        fn(data, coach_id) if name == "coach" else fn(data)
        compute = time.perf_counter() - t1
        out[name] = {"total": prep + compute, "prepare": prep, "compute": compute}
    return out
