"""Organisation-wide survey waves: who is invited, who answers when, and what they answer.

Everyone employed on the wave date is invited; answers arrive over the following two weeks (earlier
days busier) and only from people still employed on the day they answer. A fixed share does not answer
(design.NONRESPONSE, exact per wave), chosen with a mild tilt towards the stable general trait.
Answers come from the latent model (latent.py) plus the planted effect for coached people: full
from the post window on (submitted on or after end - 45 days), half between baseline and post (mid).
Blank cells: about 1% completely at random (some respondents skip items), and a few responses
abandoned part-way (every item from a random position on is blank), which pushes later scales under
the 75% rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.generate import design, latent
from pipelines.generate.latent import ItemLayout
from pipelines.generate.population import Population

SKIPPER_SHARE = 0.15        # respondents who leave some items blank ...
SKIP_PROBABILITY = 0.07     # ... each item with this chance (about 1% of all cells)
ABANDONED_SHARE = 0.012
FIRST_ABANDON_ITEM = 9      # abandoned responses keep at least the engagement block


@dataclass
class Wave:
    index: int
    date: str
    file: str
    invited: int
    person: np.ndarray        # respondent rows (one true response each), by submission time
    ts: np.ndarray            # submitted_at, seconds since 1970-01-01
    answers: np.ndarray       # respondents x items as written, NaN = blank
    multiplier: np.ndarray    # share of the planted effect in this answer (0, 0.5 or 1)
    abandoned: int
    blank_cells: int


def effect_multiplier(sub_day: np.ndarray, start: np.ndarray, end: np.ndarray, waves: dict) -> np.ndarray:
    """0 before and in the baseline window, 0.5 between baseline and post, 1 from the post window on."""
    full = sub_day >= end - waves["post_days_around"]
    mid = sub_day > start + waves["baseline_days_after"]
    return np.where(full, 1.0, np.where(mid, design.MID_EFFECT_SHARE, 0.0))


def build_wave(j: int, pop: Population, exit_day: np.ndarray, coached_start: np.ndarray, coached_end: np.ndarray,
               effect: np.ndarray, layout: ItemLayout, waves_cfg: dict, rng: np.random.Generator) -> Wave:
    iso = design.WAVE_DATES[j]
    wd = int(design.day(iso))
    invited = (pop.hire <= wd) & (exit_day > wd)
    n_invited = int(invited.sum())
    # day within the two weeks (early days busier), time of day around working hours
    offset_day = np.floor(rng.beta(1.1, 2.2, pop.n) * design.SUBMISSION_DAYS).astype(np.int64)
    tod = 6 * 3600 + np.floor(rng.beta(2.2, 2.6, pop.n) * 17.5 * 3600).astype(np.int64)
    ts = (wd + offset_day) * 86400 + tod
    able = invited & (ts // 86400 < exit_day)
    k = min(int(round((1.0 - design.NONRESPONSE[j]) * n_invited)), int(able.sum()))
    key = np.where(able, design.RESPONSE_TILT * pop.g + rng.gumbel(size=pop.n), -np.inf)
    who = np.sort(np.argpartition(-key, k - 1)[:k])
    who = who[np.lexsort((who, ts[who]))]
    ts = ts[who]

    mult = effect_multiplier(ts // 86400, coached_start[who], coached_end[who], waves_cfg)
    z, _ = latent.draw_factor_z(k, rng)
    lat = latent.person_level(pop.stable_z[who], pop.team_z[who]) + latent.TRANSIENT_SD * z
    lat += effect[who] * mult[:, None]
    answers = latent.items_from_latent(lat, rng.standard_normal((k, len(layout.codes))), layout)

    skipper = rng.random(k) < SKIPPER_SHARE
    blank = skipper[:, None] & (rng.random(answers.shape) < SKIP_PROBABILITY)
    abandon = rng.random(k) < ABANDONED_SHARE
    cut = rng.integers(FIRST_ABANDON_ITEM, len(layout.codes), k)
    blank |= abandon[:, None] & (np.arange(len(layout.codes)) >= cut[:, None])
    answers[blank] = np.nan
    return Wave(index=j, date=iso, file=design.wave_file(iso), invited=n_invited, person=who, ts=ts,
                answers=answers, multiplier=mult, abandoned=int(abandon.sum()), blank_cells=int(blank.sum()))
