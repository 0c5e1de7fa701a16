"""Score written answers exactly as the product reports them (numpy twin of pipelines/scoring).

Reverse-keyed items are turned back, (min + max) - answer; a mean exists only when at least
ceil(min_answered * items) are answered; motivation_sdi is the weighted sum of subscale means;
intent_to_stay is (min + max) - mean turnover intention; enps is the 0-10 answer.
"""

from __future__ import annotations

import math

import numpy as np

from pipelines.generate.latent import ItemLayout

MEASURES = [
    "engagement", "vigour", "dedication", "absorption",
    "motivation_sdi", "intrinsic", "integrated", "identified", "introjected", "external", "amotivation",
    "values_alignment", "intent_to_stay", "enps",
]


def _mean(x: np.ndarray, share: float) -> np.ndarray:
    need = max(1, math.ceil(share * x.shape[1] - 1e-9))
    answered = (~np.isnan(x)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.nansum(x, axis=1) / answered
    return np.where(answered >= need, m, np.nan)


def score(answers: np.ndarray, layout: ItemLayout) -> dict[str, np.ndarray]:
    """answers: n x items as written (NaN = blank). Returns measure -> n scores (NaN = no score)."""
    keyed = np.where(layout.reverse, layout.lo + layout.hi - answers, answers)
    col = {c: i for i, c in enumerate(layout.codes)}
    out: dict[str, np.ndarray] = {}
    for name, spec in layout.instruments.items():
        share = spec.get("min_answered", 0.75)
        idx = [col[c] for c in spec["items"]]
        subs = spec.get("subscales", {})
        for sub, codes in subs.items():
            out[sub] = _mean(keyed[:, [col[c] for c in codes]], share)
        if spec["score"] == "mean":
            m = _mean(keyed[:, idx], share)
            out[name] = (spec["scale_min"] + spec["scale_max"] - m) if spec.get("flip") else m
        elif spec["score"] == "sdi":
            out[f"{name}_sdi"] = sum(float(w) * out[s] for s, w in spec["sdi_weights"].items())
        elif spec["score"] == "enps":
            out[name] = keyed[:, idx[0]]
    return {m: out[m] for m in MEASURES}


def enps_points(answers: np.ndarray) -> float:
    """eNPS of a group: % answering 9-10 minus % answering 0-6 (answers without blanks)."""
    answers = answers[~np.isnan(answers)]
    if answers.size == 0:
        return float("nan")
    return 100.0 * (float((answers >= 9).mean()) - float((answers <= 6).mean()))
