"""The ROI view: `roi(cur, filters, settings, assumptions=None, by=...) -> ViewResult`.

Costs and headcounts come from dashboard/roi/roi.sql (bound parameters only); 12-month voluntary
retention from the query layer's `retention()` (Kaplan-Meier, Greenwood interval); intangibles from its
`outcomes()`; the arithmetic from dashboard.roi.model. The anonymity rules: the differencing guard that
`retention()` runs (a refused selection raises AnonymityRefused) runs first, on the counts that the
intangibles' guards share; a group whose coached headcount is below k, or whose comparison group the
retention view suppresses, is suppressed, and complementary suppression protects groups against the
total row, which is always shown.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from dashboard import queries as Qy
from dashboard.anonymity import AnonymityRefused, _protect_line, blank_suppressed, k_of
from dashboard.filters import Filters
from dashboard.queries import sql as Q
from dashboard.queries.common import _df, _guard, view
from dashboard.roi import model
from dashboard.roi.assumptions import Assumptions
from dashboard.roi.model import RoiInputs
from dashboard.roi.retention import retention_by_group, retention_row

ALL = "All"
BY = ("program", "cohort", "career_phase", None)
GROUP_COLUMN = {"program": "program_id", "cohort": "cohort_id", "career_phase": "career_phase", None: "group"}
# {g} per statement: a whitelist, never user text.
_G_COSTS = {"program": "program_id", "cohort": "cohort_id", "career_phase": "career_phase", None: "_all"}
_G_MIX = {"program": "mp.program_id", "cohort": "mp.cohort_id", "career_phase": "mp.career_phase", None: "mp._all"}
_G_BASE = {"program": "program_id", "cohort": "cohort_id", "career_phase": "career_phase", None: "_all"}
INTANGIBLES = ("engagement", "motivation_sdi", "values_alignment")
SMALL_COMPARISON = 30
BASELINE_GAP_SD = 0.2

MONEY = ["benefits", "coaching_fees", "time_cost", "admin_cost", "costs", "net_benefit", "cost_per_exit"]
VALUES = ["n", "n_comparison", "attrition_coached", "attrition_comparison", "attrition_difference",
          "avoided_exits", "cost_per_exit", "attribution_share", "benefits", "coaching_fees", "time_cost",
          "admin_cost", "costs", "net_benefit", "estimate", "ci_low", "ci_high", "bcr", "bcr_low", "bcr_high",
          "p_roi_positive", "break_even_attribution", "baseline_gap_sd", "flags"]
COLUMNS = VALUES + ["currency", "suppressed"]


@lru_cache(maxsize=1)
def _statements() -> dict[str, str]:
    text = (Path(__file__).parent / "roi.sql").read_text()
    parts = re.split(r"^-- name: (\w+)\s*$", text, flags=re.M)
    strip = re.compile(r"^\s*--.*$", flags=re.M)   # comments out, so placeholders in them stay inert
    return {name: strip.sub("", body).strip().rstrip(";") for name, body in zip(parts[1::2], parts[2::2])}


def _sql(name: str, g: str, total: bool = False) -> str:
    """Statement `name` grouped by `g`; {sets(x, y)} -> ((_g, x, y), (x, y)) with the total row (`total`),
    else ((_g, x, y))."""
    def sets(m: re.Match) -> str:
        rest = m.group(1).strip()
        own = "(_g" + (f", {rest})" if rest else ")")
        return f"({own}, ({rest}))" if total else f"({own})"

    sql = (_statements()[name].replace("{cohort_filter}", Q.COHORT_FILTER)
           .replace("{people_filter}", Q.PEOPLE_FILTER).replace("{g}", g))
    return re.sub(r"\{sets\(([\w, ]*)\)\}", sets, sql)


# -- the view ---------------------------------------------------------------------------------------

@view
def roi(cur, f: Filters | None, settings, assumptions: Assumptions | None = None,
        by: str | None = "program") -> Qy.ViewResult:
    """ROI per program / cohort / career phase (plus the total row "All"), suppressed by the k rules.

    table: one row per group: <group column>, n (coached headcount), n_comparison, attrition_coached,
    attrition_comparison, attrition_difference, avoided_exits, cost_per_exit, attribution_share,
    benefits, coaching_fees, time_cost, admin_cost, costs, net_benefit, estimate (ROI %), ci_low,
    ci_high (its 95% Monte Carlo interval), bcr, bcr_low, bcr_high, p_roi_positive,
    break_even_attribution, baseline_gap_sd, flags, currency, suppressed.
    extras: tornado, waterfall, intangibles, assumptions."""
    if by not in BY:
        raise ValueError(f"by must be one of program, cohort, career_phase or None, not {by!r}")
    f = f or Filters()
    k = k_of(settings)
    a = assumptions or Assumptions.from_settings(settings)
    key = GROUP_COLUMN[by]
    params = {**f.params(), "session_hours": a.session_hours_default}

    # retention()'s own guard (rules 2 and 3 on the selection and the engagement panels; raises
    # AnonymityRefused), its counts from the statement that the intangibles' guards share
    _guard(cur, f, k, "engagement", within=INTANGIBLES)
    ret, ret_notes, short = retention_by_group(cur, f, settings, by)
    costs = _grouped(cur, "costs", params, by)
    mix = _grouped(cur, "salary_mix", params, by, _G_MIX)
    base = _grouped(cur, "baseline", params, by, _G_BASE)

    rows, inputs_of = [], {}
    for _, c in costs.iterrows():
        grp = str(c["grp"])
        r1, r0 = retention_row(ret, grp, "coached"), retention_row(ret, grp, "comparison")
        row = {key: grp, "n": int(c["headcount"]), "currency": _currency(c["currencies"], a)}
        hidden = (r1 is None or r0 is None or bool(r1.get("suppressed")) or bool(r0.get("suppressed"))
                  or _nan(r1.get("estimate")) or _nan(r0.get("estimate")))
        flags = []
        if hidden:
            row.update(suppressed=True, flags="")
            rows.append(row)
            continue
        m = mix[mix["grp"].astype(str) == grp]
        inp = RoiInputs(
            headcount=int(c["headcount"]), n_comparison=float(r0["n"]),
            attrition_coached=1 - float(r1["estimate"]), attrition_comparison=1 - float(r0["estimate"]),
            se_coached=model.se_from_interval(r1["ci_low"], r1["ci_high"]),
            se_comparison=model.se_from_interval(r0["ci_low"], r0["ci_high"]),
            coaching_fees=float(c["coaching_fees"] or 0), session_hours=float(c["session_hours"] or 0),
            program_admin_cost=float(c["program_admin_cost"] or 0),
            salary_mix=tuple((None if pd.isna(j) else str(j), None if pd.isna(s) else str(s), int(n))
                             for j, s, n in zip(m["job_level"], m["salary_band"], m["people"])))
        res = model.estimate(inp, a)
        inputs_of[grp] = (inp, res)
        gap = _baseline_gap(base, grp, k)
        if int(r0["n"]) < SMALL_COMPARISON:
            flags.append("small_comparison")
        if gap == gap and abs(gap) > BASELINE_GAP_SD:
            flags.append("not_comparable")
        if int(c["headcount"]) < SMALL_COMPARISON:
            flags.append("indicative")
        if grp in short:
            flags.append("short_follow_up")
        if math.isinf(res.break_even_attribution):
            flags.append("no_break_even")
        elif res.break_even_attribution > 1:
            flags.append("break_even_out_of_reach")   # no share of 0-100% pays back: 7.3 reads as "730%"
        if row["currency"] is None:
            flags.append("mixed_currency")
        row.update(n_comparison=int(r0["n"]), attrition_coached=inp.attrition_coached,
                   attrition_comparison=inp.attrition_comparison, attrition_difference=res.attrition_difference,
                   avoided_exits=res.avoided_exits, cost_per_exit=res.cost_per_exit,
                   attribution_share=res.attribution_share, benefits=res.benefits, coaching_fees=res.coaching_fees,
                   time_cost=res.time_cost, admin_cost=res.admin_cost, costs=res.costs, net_benefit=res.net_benefit,
                   estimate=res.roi_pct, ci_low=res.roi_low, ci_high=res.roi_high, bcr=res.bcr, bcr_low=res.bcr_low,
                   bcr_high=res.bcr_high, p_roi_positive=res.p_roi_positive,
                   break_even_attribution=(math.nan if math.isinf(res.break_even_attribution)
                                           else res.break_even_attribution), baseline_gap_sd=gap,
                   flags=";".join(flags), suppressed=False)
        rows.append(row)

    table = pd.DataFrame(rows, columns=[key] + COLUMNS)
    table["suppressed"] = table["suppressed"].fillna(False).astype(bool)
    table = _suppress(table, key, k)
    shown = set(table.loc[~table["suppressed"], key].astype(str))
    tornado = _long([dict(r, **{key: g}) for g, (inp, _) in inputs_of.items() if g in shown
                     for r in model.tornado(inp, a)], key)
    waterfall = _long([dict(r, **{key: g}) for g, (_, res) in inputs_of.items() if g in shown
                       for r in model.waterfall(res)], key)
    intangibles, int_notes = _intangibles(cur, f, settings, by, key)
    notes = _notes(table, a, k, ret_notes, int_notes, costs)
    extras = {"tornado": tornado, "waterfall": waterfall, "intangibles": intangibles,
              "assumptions": pd.DataFrame(a.as_rows())}
    return Qy.ViewResult(table, notes, extras, k)


def shown_total(res: Qy.ViewResult) -> pd.Series | None:
    """The ROI's total row "All" when it is shown; None when it is suppressed (or missing), where the page,
    its export and the report show nothing but that the ROI rests on fewer than k people (rule 5)."""
    table = res.table
    total = table[table[table.columns[0]] == ALL]
    if total.empty or bool(total["suppressed"].iloc[0]):
        return None
    return total.iloc[0]


def _grouped(cur, name: str, params: Mapping, by: str | None, gmap: Mapping | None = None) -> pd.DataFrame:
    """The statement's rows per group, then (for a breakdown) the total row(s) "All": one statement,
    grouping sets."""
    gmap = gmap or _G_COSTS
    return _df(cur, _sql(name, gmap[by], total=by is not None), params)


def _currency(currencies, a: Assumptions) -> str | None:
    # the programs' currencies as a list; NULL (pd.NA) when the selection holds no enrolments
    items = [] if currencies is None or currencies is pd.NA else list(currencies)
    vals = [str(c) for c in items if c is not None and c is not pd.NA]
    if not vals:
        return a.currency
    return vals[0] if len(set(vals)) == 1 else None


def _nan(x) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def _baseline_gap(base: pd.DataFrame, grp: str, k: int) -> float:
    """Standardised baseline gap (coached - comparison) / pooled SD on intent to stay (engagement where
    intent to stay is missing); NaN when either side has fewer than k people."""
    b = base[base["grp"].astype(str) == grp]
    for m in ("stay", "eng"):
        r1, r0 = b[b["role"] == "coached"], b[b["role"] == "comparison"]
        if r1.empty or r0.empty:
            return math.nan
        n1, n0 = int(r1[f"n_{m}"].iloc[0]), int(r0[f"n_{m}"].iloc[0])
        if n1 < max(k, 2) or n0 < max(k, 2):
            continue
        s1, s0 = float(r1[f"sd_{m}"].iloc[0]), float(r0[f"sd_{m}"].iloc[0])
        pooled = math.sqrt(((n1 - 1) * s1 ** 2 + (n0 - 1) * s0 ** 2) / (n1 + n0 - 2))
        if pooled > 0:
            return (float(r1[f"mean_{m}"].iloc[0]) - float(r0[f"mean_{m}"].iloc[0])) / pooled
    return math.nan


def _suppress(table: pd.DataFrame, key: str, k: int) -> pd.DataFrame:
    """Rule 1 (coached headcount < k, or the retention figures suppressed) and rule 2 (complementary,
    against the shown total row, on the coached headcount: the query layer's line protection)."""
    is_total = (table[key] == ALL).to_numpy()
    n = table["n"].astype(float).fillna(0).to_numpy()
    hidden = table["suppressed"].to_numpy(dtype=bool) | ((n > 0) & (n < k))
    if is_total.any() and not hidden[is_total].any():
        _protect_line(n, hidden, list(np.flatnonzero(~is_total)), k)
    out = blank_suppressed(table, hidden, VALUES)
    out["n"] = out["n"].astype("Int64")
    out["n_comparison"] = out["n_comparison"].astype("Int64")
    return out


def _long(rows: list[dict], key: str) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=[key])
    return df[[key] + [c for c in df.columns if c != key]]


def _intangibles(cur, f: Filters, settings, by: str | None, key: str) -> tuple[pd.DataFrame, list[str]]:
    """Change and DiD of engagement, motivation and values alignment per group, from the query layer's
    outcomes() (its suppression applies). Reported beside the ROI, never monetised."""
    rows_dim = by or "program"
    frames, notes = [], []
    # outcomes() of each measure, the panels of all three from one statement
    for m, res in Qy._outcomes_many(cur, f, settings, INTANGIBLES, rows=rows_dim, cols=None):
        if isinstance(res, AnonymityRefused):
            notes.append(f"Intangibles not shown: {res}")
            break
        t = res.table.copy()
        col = Q.GROUP_COLUMNS[rows_dim]
        if by is None:
            t = t[t[col] == ALL]
        t = t.rename(columns={col: key})
        frames.append(t[[key, "measure", "n", "estimate", "ci_low", "ci_high", "g", "n_comparison", "did",
                         "did_ci_low", "did_ci_high", "flags", "suppressed"]])
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=[key, "measure", "n", "estimate", "ci_low", "ci_high", "g", "n_comparison", "did", "did_ci_low",
                 "did_ci_high", "flags", "suppressed"])
    if by is None and not table.empty:
        table[key] = ALL
    return table.reset_index(drop=True), notes


def _notes(table: pd.DataFrame, a: Assumptions, k: int, ret_notes: list[str], int_notes: list[str],
           costs: pd.DataFrame) -> list[str]:
    notes = [method_text(a)]
    flags = ";".join(table["flags"].dropna().astype(str))
    if "small_comparison" in flags:
        notes.append(f"Warning: where flagged, the comparison group holds fewer than {SMALL_COMPARISON} people, so "
                     "its attrition rate, and the ROI resting on it, is uncertain: read the interval, not the point.")
    if "not_comparable" in flags:
        notes.append(f"Warning: where flagged, coached people and the comparison group differed by more than "
                     f"{BASELINE_GAP_SD} SD at baseline (intent to stay), so they are not comparable and part of "
                     "the retention difference may not be coaching's doing.")
    if "short_follow_up" in flags:
        notes.append(f"Where flagged, fewer than {k} people were followed for the full 12 months (or the retention "
                     "curve hides month 12 to protect such a group): the 12-month attrition is the last "
                     "Kaplan-Meier estimate before the horizon and may understate it.")
    if "mixed_currency" in flags:
        notes.append(f"Programs in this selection are priced in different currencies; no conversion is applied "
                     f"and the figures are summed as {a.currency}.")
    if "break_even_out_of_reach" in flags:
        notes.append("Where flagged 'break-even out of reach', the break-even attribution is above 1: even crediting "
                     "all of the retention difference to coaching would not cover its costs.")
    if table["suppressed"].any():
        notes.append(f"Rows marked hidden rest on fewer than {k} coached people, or on a retention figure the "
                     f"retention view hides (fewer than {k} people, or 1 to {k - 1} voluntary leavers), or are hidden "
                     "so that they cannot be worked out from the total.")
    if not costs.empty and int(costs["enrolments_hours_logged"].sum()) < int(costs["enrolments"].sum()):
        notes.append(f"Participants' time: where no session durations are loaded, sessions attended (else planned) "
                     f"x {a.session_hours_default:g} hour each.")
    notes += [n for n in ret_notes if "Voluntary exits" in n]
    notes += int_notes
    return notes


def method_text(a: Assumptions) -> str:
    return (
        "Method (Phillips ROI Methodology, conservative): benefits count the first year only. Avoided voluntary "
        "exits = (comparison group's 12-month voluntary attrition - coached people's) x coached headcount; each "
        "is valued at salary x a turnover-cost multiplier for the person's job level "
        f"(default {a.turnover_multiplier_default:g}, range {a.turnover_multiplier_range[0]:g} to "
        f"{a.turnover_multiplier_range[1]:g}), and only an attribution share ({a.attribution_share:g}) is credited "
        "to coaching. Costs are fully loaded: coaching fees, participants' time in sessions "
        f"(x {a.participant_hourly_cost:g} {a.currency} an hour) and administration. ROI % = (benefits - costs) / "
        "costs x 100; benefit-cost ratio = benefits / costs. The interval is the middle 95% of "
        f"{a.monte_carlo_draws:,} Monte Carlo draws over the uncertainty of the retention difference and the "
        "assumption ranges (fixed seed). Engagement, motivation and values alignment are reported beside the "
        "ROI, not turned into money.")
