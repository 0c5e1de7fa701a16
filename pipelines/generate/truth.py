"""Assemble truth.json: what was planted and what the product should find. Keys: docs/synthetic-data.md."""

from __future__ import annotations

import math

import numpy as np

from pipelines.generate import design, effects, latent, programs, scoring
from pipelines.generate.population import LEVELS
from pipelines.generate.surveys import Wave

SELECTION_TEXT = (
    "Coached people are drawn (weighted sampling without replacement) from those employed at the cohort "
    "start, with weight exp(-tilt * G) x phase weight x level weight, where G is the person's STABLE general "
    "trait (standard normal; it loads on every construct). Nothing wave-specific (transient noise) enters "
    "selection and there is no secular time trend, so the coached have genuinely lower baselines (not "
    "transiently low ones): the paired post - baseline change and the difference in differences are both "
    "unbiased for the planted effect, and the zero-effect program comes out null. The realised "
    "coached-vs-comparison baseline gap is below; where it exceeds 0.2 SD the product should warn about "
    "regression to the mean even though, here, none is present."
)


def _r(x, nd: int = 6):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), nd) + 0.0     # + 0.0: no "-0.0" in the JSON


def pooled_effects(exp: dict) -> dict:
    """Add `pooled` per program: phase values averaged at the realised phase mix of its coached people."""
    out = {}
    for prog in design.PROGRAMS:
        e = exp[prog.program_id]
        counts = e["phase_counts"]
        total = sum(counts.values())
        w = {ph: (counts[ph] / total if total else 1.0 / len(design.PHASES)) for ph in design.PHASES}
        pooled = {}
        for m in effects.MEASURES:
            lat = [e["phases"][ph][m]["latent"] for ph in design.PHASES]
            full = sum(w[ph] * e["phases"][ph][m]["expected_change"] for ph in design.PHASES)
            mid = sum(w[ph] * e["phases"][ph][m]["expected_change_mid"] for ph in design.PHASES)
            sims = [e["sims"][ph] for ph in design.PHASES]
            g = 0.0 if not any(sims) else None
            if any(sims) and m != "enps_score":
                means = np.array([s["baseline_mean"][m] for s in sims])
                var = np.array([s["baseline_var"][m] for s in sims])
                ww = np.array([w[ph] for ph in design.PHASES])
                mix = float(np.sum(ww * (var + means**2)) - np.sum(ww * means) ** 2)
                g = full / math.sqrt(mix) if mix > 0 else None
            pooled[m] = {
                "latent_pooled": None if lat[0] is None else _r(sum(w[ph] * x for ph, x in zip(design.PHASES, lat))),
                "expected_change_pooled": _r(full),
                "expected_change_mid_pooled": _r(mid),
                "expected_g_pooled": _r(g, 4) if g is not None else None,
            }
        out[prog.program_id] = {
            "name": prog.name, "program_type": prog.type, "coached": total, "phase_counts": counts,
            "phases": e["phases"], "pooled": pooled,
        }
    return out


def baseline_gap(enr, waves: list[Wave], scores: list[dict], n_people: int) -> tuple[dict, dict]:
    """Coached (at their cohort's baseline wave) minus never-coached respondents of the same wave,
    averaged over live cohorts weighted by coached respondents; in SD of that wave's scores and raw."""
    never = np.ones(n_people, bool)
    never[enr.person[enr.live()]] = False
    acc_sd = {m: [0.0, 0.0] for m in effects.MEASURES}
    acc_raw = {m: [0.0, 0.0] for m in effects.MEASURES}
    wave_days = [int(design.day(w)) for w in design.WAVE_DATES]
    for ci, c in enumerate(design.COHORTS):
        if c.waitlist:
            continue
        rows = enr.cohort == ci
        start = int(enr.start[rows][0])
        before = [j for j, d in enumerate(wave_days) if d <= start]
        if not before:
            continue
        j = before[-1]
        members = np.zeros(n_people, bool)
        members[enr.person[rows]] = True
        coached = members[waves[j].person]
        comp = never[waves[j].person]
        for m in effects.MEASURES:
            s = scores[j]["enps" if m == "enps_score" else m]
            a, b = s[coached], s[comp]
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
            if a.size == 0 or b.size == 0:
                continue
            if m == "enps_score":
                gap = scoring.enps_points(a) - scoring.enps_points(b)
            else:
                gap = float(a.mean() - b.mean())
                sd = float(np.nanstd(s, ddof=1))
                acc_sd[m][0] += a.size * gap / sd
                acc_sd[m][1] += a.size
            acc_raw[m][0] += a.size * gap
            acc_raw[m][1] += a.size
    gap_sd = {m: (_r(v[0] / v[1], 4) if v[1] else None) for m, v in acc_sd.items() if m != "enps_score"}
    gap_raw = {m: (_r(v[0] / v[1], 4) if v[1] else None) for m, v in acc_raw.items()}
    return gap_sd, gap_raw


def retention(enr) -> dict:
    h0 = design.monthly_hazard(design.COMPARISON_RETENTION_12M)
    live = enr.live()
    hazards = {"comparison": {"voluntary": _r(h0, 8), "involuntary": _r(design.INVOLUNTARY_HAZARD, 8)}}
    ret = {"comparison": _r(math.exp(-12 * h0))}
    num = den = 0.0
    for pi, p in enumerate(design.PROGRAMS):
        h = design.monthly_hazard(p.retention_12m)
        hazards[p.program_id] = {"voluntary": _r(h, 8), "involuntary": _r(design.INVOLUNTARY_HAZARD, 8)}
        ret[p.program_id] = _r(math.exp(-12 * h))
        n = int(np.sum(live & (enr.program == pi)))
        num += n * math.exp(-12 * h)
        den += n
    ret["coached_pooled"] = _r(num / den) if den else None
    return {
        "time_origin": "comparison hazard from hire date or window start; a coached person's program hazard "
                       "from their enrolment start (intention to treat: withdrawn included)",
        "monthly_hazard": hazards,
        "retention_12m_voluntary": ret,
        "retention_12m_note": "S(12) = exp(-12 x monthly voluntary hazard), involuntary exits censored; "
                              "coached_pooled averages the programs' S(12) over their coached people",
        "involuntary_per_year": design.INVOLUNTARY_PER_YEAR,
        "comparison_note": "the comparison hazard holds for every person-day not yet coached: a Kaplan-Meier "
                           "comparison from a cohort start must keep people coached later and censor them at "
                           "their own start (dropping them removes people known to have stayed until then, "
                           "biasing comparison retention down). Waitlist people were drawn from those employed "
                           f"on {design.WAITLIST_FORMED}, so before that date they cannot leave (a small upward "
                           "bias if kept in).",
    }


def model() -> dict:
    dims = {d.name: {"instrument": d.instrument, "subscale": d.subscale, "latent_mean": d.mean,
                     "stable_sd": d.stable_sd, "team_sd": d.team_sd, "transient_sd": d.transient_sd,
                     "item_noise_sd": d.item_sd, "ref_sd": _r(d.ref_sd, 4),
                     "loadings_G_E_A_C": list(d.loadings)} for d in latent.DIMS}
    return {
        "dimensions": dims,
        "team_climate_loading": latent.TEAM_CLIMATE_LOADING,
        "item_offsets": list(latent.ITEM_OFFSETS),
        "mid_effect_share": design.MID_EFFECT_SHARE,
        "secular_trend": 0.0,
        "effect_units": "latent effect = g x ref_sd of the dimension; g per program x phase in design.EFFECT_G",
        "mc_draws_per_cell": effects.MC_DRAWS,
    }


def selection(gap_sd: dict, gap_raw: dict) -> dict:
    worst = max((abs(v) for v in gap_sd.values() if v is not None), default=0.0)
    return {
        "description": SELECTION_TEXT,
        "selected_on": "stable general trait G (person level), career phase and job level",
        "tilt": design.SELECTION_TILT,
        "phase_weights": design.PHASE_WEIGHTS,
        "level_weights": {t: {lv: w[lv] for lv in LEVELS} for t, w in design.LEVEL_WEIGHTS.items()},
        "baseline_gap_sd": gap_sd,
        "baseline_gap": gap_raw,
        "rtm_warning_expected": bool(worst > 0.2),
    }


def assemble(people, seed, pop, exit_kind, enr, sessions, waves, scores, expected, files, mess_counts,
             coached_share_target, waves_cfg) -> dict:
    """The whole truth.json (layout: docs/synthetic-data.md)."""
    live = enr.live()
    wave_days = [int(design.day(w)) for w in design.WAVE_DATES]
    per_cohort = {}
    for ci, c in enumerate(design.COHORTS):
        rows = enr.cohort == ci
        start, end = programs.cohort_dates(c)
        roles = {}
        for w, d in zip(waves, wave_days):
            if c.waitlist:
                continue
            lo, hi = d, d + design.SUBMISSION_DAYS
            if lo >= start - waves_cfg["baseline_days_before"] and hi <= start + waves_cfg["baseline_days_after"]:
                roles[w.file] = "baseline"
            elif lo >= end - waves_cfg["post_days_around"] and hi <= end + waves_cfg["post_days_around"]:
                roles[w.file] = "post"
            elif lo >= end + waves_cfg["follow_up_days_after"]:
                roles[w.file] = "follow_up"
            elif lo > start + waves_cfg["baseline_days_after"] and hi < end - waves_cfg["post_days_around"]:
                roles[w.file] = "mid"
        statuses = {s: int(np.sum(enr.status[rows] == s)) for s in ("active", "completed", "withdrawn", "waitlist")}
        per_cohort[c.cohort_id] = {
            "program_id": c.program_id, "start_date": str(np.datetime64(start, "D")),
            "end_date": str(np.datetime64(end, "D")), "waitlist": c.waitlist,
            "participants": int(rows.sum()), "statuses": {k: v for k, v in statuses.items() if v},
            "wave_roles": roles,
        }
    coach_counts = np.bincount(enr.coach[live], minlength=enr.n_coaches + 1)[1:]
    coached = int(np.unique(enr.person[live]).size)
    team_sizes = np.bincount(pop.team_index)
    gap_sd, gap_raw = baseline_gap(enr, waves, scores, pop.n)
    under = {m: int(sum(np.sum(np.isnan(s[m])) for s in scores)) for m in scoring.MEASURES}
    mess_counts["scores_under_min_answered"] = under

    ingest = {}
    for name, rows in files.items():
        q = mess_counts["duplicate_submissions_by_file"].get(name, 0)
        ingest[name] = {"rows_in": rows, "rows_quarantined": q, "rows_loaded": rows - q}
    ingest["total"] = {k: sum(v[k] for v in ingest.values()) for k in ("rows_in", "rows_quarantined", "rows_loaded")}

    return {
        "generator": "coachlens synthetic organisation (pipelines/generate), see docs/synthetic-data.md",
        "seed": seed,
        "people": people,
        "window": {"start": design.WINDOW_START, "end": design.WINDOW_END, "extract_date": design.WINDOW_END},
        "survey_waves": [{
            "file": w.file, "date": w.date,
            "submitted_from": w.date,
            "submitted_to": str(np.datetime64(w.date) + np.timedelta64(design.SUBMISSION_DAYS, "D")),
            "invited": w.invited, "responses": int(w.person.size),
            "nonresponse_rate": _r(1 - w.person.size / w.invited, 4),
            "duplicate_submissions": mess_counts["duplicate_submissions_by_file"][w.file],
        } for w in waves],
        "files": files,
        "counts": {
            "people": pop.n,
            "departments": int(np.unique(pop.department).size),
            "teams": pop.n_teams,
            "teams_under_k5": int(np.sum(team_sizes < 5)),
            "team_size_min": int(team_sizes.min()), "team_size_max": int(team_sizes.max()),
            "hired_in_window": int(np.sum(pop.hire >= design.day(design.WINDOW_START))),
            "exits": {"voluntary": int(np.sum(exit_kind == 1)), "involuntary": int(np.sum(exit_kind == 2))},
            "career_phase": {ph: int(np.sum(pop.phase == i)) for i, ph in enumerate(design.PHASES)},
            "coached_people": coached,
            "coached_share": _r(coached / pop.n, 4),
            "coached_share_target": _r(coached_share_target, 4),
            "waitlist_people": int(np.sum(enr.waitlist)),
            "per_program": {p.program_id: int(np.sum(live & (enr.program == pi)))
                            for pi, p in enumerate(design.PROGRAMS)},
            "per_cohort": per_cohort,
            "per_coach": {f"C{i + 1:03d}": int(n) for i, n in enumerate(coach_counts)},
            "enrolment_status": {s: int(np.sum(enr.status == s))
                                 for s in ("active", "completed", "withdrawn", "waitlist")},
            "sessions": int(sessions["row"].size),
        },
        "mess": mess_counts,
        "expected_ingest": ingest,
        "zero_effect_program": design.ZERO_EFFECT_PROGRAM,
        "effects": pooled_effects(expected),
        "selection": selection(gap_sd, gap_raw),
        "retention": retention(enr),
        "model": model(),
    }
