"""Planted effects: per person on the latent scale, and their expected size on the reported scale.

Rounding and clipping make the change in a reported score differ from the latent shift, so the truth
is computed by Monte Carlo through the same pipeline: the program's realised coached people of one
career phase (their stable traits and team intercepts, tiled to MC_DRAWS rows), fresh transient and
item noise, answers with and without the effect (common random numbers), scored as the product scores.
expected_change = mean(score with effect - score without), i.e. E[post - baseline] for those people.
"""

from __future__ import annotations

import numpy as np

from pipelines.generate import design, latent, scoring
from pipelines.generate.latent import DIM_INDEX, ItemLayout
from pipelines.generate.population import Population

MC_DRAWS = 40_000
MEASURES = scoring.MEASURES + ["enps_score"]


def latent_effects(program_id: str, phase: str) -> np.ndarray:
    """Latent shift per dimension (scale units) for a coached person of this program and phase."""
    g = design.EFFECT_G[program_id][phase]
    return np.array([g[d.name] * d.ref_sd for d in latent.DIMS])


def person_effects(pop: Population, person: np.ndarray, program: np.ndarray) -> np.ndarray:
    """n x dims: each coached person's planted latent effect (zero for everyone else)."""
    table = np.array([[latent_effects(p.program_id, ph) for ph in design.PHASES] for p in design.PROGRAMS])
    out = np.zeros((pop.n, latent.N_DIMS))
    out[person] = table[program, pop.phase[person]]
    return out


def latent_measures(eff: np.ndarray, layout: ItemLayout) -> dict[str, float | None]:
    """The latent effect expressed per reported measure (before rounding and clipping)."""
    def d(name: str) -> float:
        return float(eff[DIM_INDEX[name]])
    mot = layout.instruments["motivation"]["sdi_weights"]
    out = {
        "engagement": (d("vigour") + d("dedication") + d("absorption")) / 3,
        "vigour": d("vigour"), "dedication": d("dedication"), "absorption": d("absorption"),
        "motivation_sdi": sum(float(w) * d(s) for s, w in mot.items()),
        **{s: d(s) for s in mot},
        "values_alignment": d("values"), "intent_to_stay": -d("turnover"), "enps": d("enps"),
        "enps_score": None,
    }
    return out


def _enps_points(x: np.ndarray) -> np.ndarray:
    return 100.0 * ((x >= 9).astype(float) - (x <= 6))


def simulate(base: np.ndarray, eff: np.ndarray, layout: ItemLayout, rng: np.random.Generator) -> dict:
    """base: people x dims person-level latent (tiled to MC_DRAWS). Expected changes at full and half effect."""
    rows = base[np.arange(MC_DRAWS) % base.shape[0]]
    z, _ = latent.draw_factor_z(MC_DRAWS, rng)
    noise = rng.standard_normal((MC_DRAWS, len(layout.codes)))
    x0 = latent.item_signal(rows + latent.TRANSIENT_SD * z, noise, layout)   # same noise in all three
    shift = eff[layout.dim]
    s0, s1, sh = (scoring.score(latent.answers_from_signal(x0 + f * shift, layout), layout)
                  for f in (0.0, 1.0, design.MID_EFFECT_SHARE))
    out = {"full": {}, "mid": {}, "baseline_mean": {}, "baseline_var": {}}
    for m in scoring.MEASURES:
        out["full"][m] = float(np.mean(s1[m] - s0[m]))
        out["mid"][m] = float(np.mean(sh[m] - s0[m]))
        out["baseline_mean"][m] = float(np.mean(s0[m]))
        out["baseline_var"][m] = float(np.var(s0[m]))
    e0, e1, eh = (_enps_points(s["enps"]) for s in (s0, s1, sh))
    out["full"]["enps_score"] = float(np.mean(e1 - e0))
    out["mid"]["enps_score"] = float(np.mean(eh - e0))
    out["baseline_mean"]["enps_score"] = float(np.mean(e0))
    out["baseline_var"]["enps_score"] = float("nan")
    return out


def expected(pop: Population, person: np.ndarray, program: np.ndarray, layout: ItemLayout,
             weight_fn, rng: np.random.Generator) -> dict:
    """Per program_id: counts by phase and, per phase and measure, latent / expected_change / mid."""
    result = {}
    level = latent.person_level(pop.stable_z, pop.team_z)
    for pi, prog in enumerate(design.PROGRAMS):
        mine = person[program == pi]
        phases, pooled_w, sims = {}, {}, {}
        for ph_i, ph in enumerate(design.PHASES):
            eff = latent_effects(prog.program_id, ph)
            who = mine[pop.phase[mine] == ph_i]
            pooled_w[ph] = int(who.size)
            lat = latent_measures(eff, layout)
            if not np.any(eff):
                sim = None
            else:
                if who.size == 0:       # nobody of this phase coached: draw as selection would
                    pool = np.flatnonzero(pop.phase == ph_i)
                    pool = pool if pool.size else np.arange(pop.n)
                    w = weight_fn(prog.type)[pool]
                    who = rng.choice(pool, size=min(MC_DRAWS, 5000), p=w / w.sum())
                sim = simulate(level[who], eff, layout, rng)
            sims[ph] = sim
            phases[ph] = {m: {"latent": _r(lat[m]),
                              "expected_change": _r(sim["full"][m] if sim else 0.0),
                              "expected_change_mid": _r(sim["mid"][m] if sim else 0.0)} for m in MEASURES}
        result[prog.program_id] = {"phases": phases, "phase_counts": pooled_w, "sims": sims}
    return result


def _r(x, nd: int = 6):
    return None if x is None else round(float(x), nd) + 0.0
