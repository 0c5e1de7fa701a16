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

from pipelines.config import load_instruments

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


def paired(m: pd.DataFrame, measure: str) -> pd.DataFrame:
    w = m.pivot_table(index=["cohort_id", "employee_id", "role"], columns="wave", values=measure,
                      aggfunc="first").dropna()
    w["change"] = w["post"] - w["baseline"]
    return w.reset_index()


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


def retention(data: dict) -> pd.DataFrame:
    people, e = data["people"], data["enrolments"]
    e = e[e["status"] != "waitlist"]
    as_of = pd.Timestamp("2025-12-31")
    start = e.groupby("employee_id")["start_date"].min()
    coached = people.join(start.rename("start"), on="employee_id", how="inner")
    first_cohort = e["start_date"].min()
    comp = people[~people["employee_id"].isin(start.index)
                  & ((people["exit_date"].isna()) | (people["exit_date"] > first_cohort))].assign(start=first_cohort)
    rows = []
    for role, df in (("coached", coached), ("comparison", comp)):
        end = df["exit_date"].fillna(as_of).clip(upper=as_of)
        months = (end - df["start"]).dt.days / 30.4375
        event = (df["exit_type"] == "voluntary") & df["exit_date"].notna() & (df["exit_date"] <= as_of)
        km = KaplanMeierFitter().fit(months.clip(lower=0), event)
        ci = km.confidence_interval_survival_function_
        rows.append({"role": role, "n": len(df), "retention_12m": float(km.predict(12)),
                     "low": float(np.interp(12, ci.index, ci.iloc[:, 0])), "high": float(np.interp(12, ci.index, ci.iloc[:, 1]))})
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


VIEWS = {"overview": overview, "outcomes": outcomes, "cohorts": cohorts, "retention": retention,
         "quality": quality}


def prepare(folder: Path) -> dict:
    data = read(folder)
    data["scored"] = score(data["survey"], load_instruments())
    data["waves"] = waves(data)
    return data


def timed_views(folder: Path) -> dict[str, dict[str, float]]:
    """Per view: `total` = preparing (read, score, assign waves: measured once, since every view's
    script starts with it) + `compute` (the view's aggregate alone)."""
    t0 = time.perf_counter()
    data = prepare(folder)
    prep = time.perf_counter() - t0
    out = {}
    for name, fn in VIEWS.items():
        t1 = time.perf_counter()
        fn(data)
        compute = time.perf_counter() - t1
        out[name] = {"total": prep + compute, "prepare": prep, "compute": compute}
    return out
