"""The data views: survey response rates per cohort and wave, and the data-quality checks."""

from __future__ import annotations

import math

import pandas as pd

from dashboard import stats
from dashboard.anonymity import PARENT_LABEL, blank_suppressed, differenced, k_of, parents
from dashboard.filters import Filters
from dashboard.queries import sql as Q
from dashboard.queries.common import ViewResult, _df, _guard, _maps, _params, view
from dashboard.queries.sql import MEASURES, QUALITY_SQL, RESPONSE_SQL
from dashboard.queries.sql.quality import PHASE_UNKNOWN_SQL, RESPONDENTS_SQL


@view
def response_rates(cur, f: Filters, settings) -> ViewResult:
    k = k_of(settings)
    _guard(cur, f, k)
    df = _df(cur, RESPONSE_SQL, _params(f))
    wil = [stats.wilson(x, n) for x, n in zip(df["responded"], df["n"])]
    df["estimate"] = [w[0] for w in wil]
    df["ci_low"] = [w[1] for w in wil]
    df["ci_high"] = [w[2] for w in wil]
    df["flags"] = [stats.flags(n) for n in df["n"]]
    hide = df["n"].to_numpy() < k
    # rule 3 on every cohort x wave, not only on the view's totals: under a filter, a row whose parent row
    # (that filter relaxed) holds 1..k-1 more people, or more respondents, would tell by subtraction
    # whether those people answered
    for _, parent in (parents(f, *_maps(cur)) if f.active() else []):
        theirs = _df(cur, RESPONSE_SQL, _params(parent), parent=True)
        hide |= differenced(df, theirs, ["cohort_id", "wave"], ["n", "responded"], k)
    df = blank_suppressed(df, hide, ["n", "responded", "estimate", "ci_low", "ci_high", "flags"])
    notes = ["Share of the cohort's enrolled (non-waitlist) people with a response in each wave window. "
             "Waves with no survey held in their window (not yet due, or no survey then) are not listed."]
    return ViewResult(df, notes, {}, k)


@view
def quality(cur, f: Filters, settings) -> ViewResult:
    k = k_of(settings)
    _guard(cur, f, k)
    missing = ", ".join(f"count(*) FILTER (WHERE {Q.MEASURE_SQL[m]} IS NULL) AS miss_{m}" for m in MEASURES)
    row = _df(cur, QUALITY_SQL.replace("{missing}", missing), _params(f)).iloc[0]
    rows = []
    differenced = _respondents_differenced(cur, f, k, int(row.people))
    people_ok = int(row.people) >= k and differenced is None
    for m in MEASURES:
        n = int(row.responses)
        p, lo, hi = stats.wilson(row[f"miss_{m}"], n)
        rows.append({"check": "missing score", "detail": m, "n": n, "estimate": p, "ci_low": lo, "ci_high": hi,
                     "suppressed": not people_ok})
    ph = _df(cur, PHASE_UNKNOWN_SQL, _params(f)).iloc[0]
    p, lo, hi = stats.wilson(ph.x, ph.n)
    rows.append({"check": "career phase unknown", "detail": "people", "n": int(ph.n), "estimate": p,
                 "ci_low": lo, "ci_high": hi, "suppressed": int(ph.n) < k})
    en = _df(cur, "WITH scope_cohorts AS (SELECT c.* FROM cohorts c WHERE " + Q.COHORT_FILTER + ") "
                  "SELECT count(*) AS n, count(*) FILTER (WHERE e.coach_id IS NULL) AS x, "
                  "count(DISTINCT e.participant_key) AS people FROM enrolments e "
                  "JOIN scope_cohorts c USING (cohort_id) JOIN mart_people mp USING (participant_key) "
                  "WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND "
                  + Q.PEOPLE_FILTER, _params(f)).iloc[0]
    p, lo, hi = stats.wilson(en.x, en.n)
    rows.append({"check": "enrolment without coach", "detail": "enrolments", "n": int(en.n), "estimate": p,
                 "ci_low": lo, "ci_high": hi, "suppressed": int(en.people) < k})
    # rows per reason (a row with three answers off the scale counts once)
    q = _df(cur, "SELECT reason, count(DISTINCT (batch_id, source_row)) AS n FROM quarantine GROUP BY reason "
                 "ORDER BY n DESC, reason", {})
    for reason, n in zip(q["reason"], q["n"]):
        rows.append({"check": "quarantined rows", "detail": reason, "n": int(n), "estimate": float(n),
                     "ci_low": math.nan, "ci_high": math.nan, "suppressed": False})
    rr = response_rates(cur, f, settings).table
    for wave, part in rr[~rr["suppressed"]].groupby("wave", sort=False):
        n, x = int(part["n"].sum()), int(part["responded"].sum())
        p, lo, hi = stats.wilson(x, n)
        rows.append({"check": "coached response rate", "detail": wave, "n": n, "estimate": p, "ci_low": lo,
                     "ci_high": hi, "suppressed": False})
    table = pd.DataFrame(rows)
    table["flags"] = ""
    table = blank_suppressed(table, table["suppressed"].to_numpy(dtype=bool), ["n", "estimate", "ci_low", "ci_high"])
    table = table[["check", "detail", "n", "estimate", "ci_low", "ci_high", "flags", "suppressed"]]
    loads = _df(cur, "SELECT finished_at, file_name, entity, source_format, rows_in, rows_loaded, rows_quarantined, "
                     "status FROM load_batches ORDER BY finished_at DESC, batch_id DESC", {})
    notes = ["Quarantined rows are file rows that failed validation (not people); the reasons come from the loader.",
             "Missing scores count the survey responses of the people in scope (n: responses; a share of them), "
             "unknown career phases the people in scope (n: people); the people in scope are everyone, or with a "
             "program, cohort or date filter the people enrolled in the cohorts it selects (dates are cohort "
             "start dates)."]
    if differenced:
        notes.append(differenced)
    return ViewResult(table, notes, {"loads": loads, "response_rates": rr}, k)


def _respondents_differenced(cur, f: Filters, k: int, respondents: int) -> str | None:
    """Rule 3 for the missing-score counts, which rest on the people in scope who answered a survey. The
    guard compares the people in scope; a relaxed filter can add k or more of them of whom only 1..k-1
    answered, and those few people's missing scores would be the parent's counts minus these. Returns
    why the counts are hidden, or None."""
    if not f.active():
        return None
    for dim, parent in parents(f, *_maps(cur)):
        diff = int(_df(cur, RESPONDENTS_SQL, _params(parent), parent=True).iloc[0].people) - respondents
        if 0 < diff < k:
            return (f"Missing scores are not shown: outside the chosen {dim.replace('_', ' ')}, "
                    f"{PARENT_LABEL[dim]} adds the survey responses of fewer than k = {k} people, whose missing "
                    f"scores could be worked out by subtraction. Widen or remove the "
                    f"{dim.replace('_', ' ')} filter.")
    return None
