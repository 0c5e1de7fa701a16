"""Realistic mess that must still load: resubmitted surveys, stray whitespace, slash dates, mixed case.

Every function returns what it changed and how many cells or rows, for truth.json.
"""

from __future__ import annotations

import numpy as np

from pipelines.generate.latent import ItemLayout

DUPLICATE_SHARE = (0.008, 0.015)     # per wave, drawn
WHITESPACE_SHARE = 0.01
DAYFIRST_SHARE = 0.05                # of dates whose day is above 12
MONTHFIRST_SHARE = 0.04
MIXED_CASE_SHARE = 0.06
_PADS = np.array(["  {}", "{} ", " {}  ", "{}  "])


def iso_dates(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D")


def slash_dates(days: np.ndarray, rng: np.random.Generator, valid: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """ISO strings, some written DD/MM/YYYY or MM/DD/YYYY, only where the day is above 12 (unambiguous).
    Where `valid` is False the cell is empty."""
    valid = np.ones(days.size, bool) if valid is None else valid
    iso = iso_dates(np.where(valid, days, 0)).astype("<U10")
    n = iso.size
    chars = iso.view("<U1").reshape(n, 10)
    day_gt_12 = (chars[:, 8].astype(np.int64) * 10 + chars[:, 9].astype(np.int64)) > 12
    u = rng.random(n)
    dayfirst = valid & day_gt_12 & (u < DAYFIRST_SHARE)
    monthfirst = valid & day_gt_12 & (u >= DAYFIRST_SHARE) & (u < DAYFIRST_SHARE + MONTHFIRST_SHARE)
    slash = np.full((n, 1), "/")

    def fmt(order: list) -> np.ndarray:
        parts = [chars[:, i:i + 1] if isinstance(i, int) else slash for i in order]
        return np.ascontiguousarray(np.concatenate(parts, axis=1)).view("<U10").ravel()

    out = iso.astype(object)
    out[dayfirst] = fmt([8, 9, "/", 5, 6, "/", 0, 1, 2, 3])[dayfirst]
    out[monthfirst] = fmt([5, 6, "/", 8, 9, "/", 0, 1, 2, 3])[monthfirst]
    out[~valid] = ""
    return out, {"dayfirst": int(dayfirst.sum()), "monthfirst": int(monthfirst.sum())}


def whitespace(values: np.ndarray, rng: np.random.Generator, share: float = WHITESPACE_SHARE) -> tuple[np.ndarray, int]:
    """Pad a share of the (non-empty) cells with stray spaces: '  Sales ', 'Sales  '."""
    values = values.astype(object)
    hit = (rng.random(values.size) < share) & (values != "")
    pads = _PADS[rng.integers(0, len(_PADS), int(hit.sum()))]
    values[hit] = [p.format(v) for p, v in zip(pads, values[hit])]
    return values, int(hit.sum())


def mixed_case(values: np.ndarray, rng: np.random.Generator, share: float = MIXED_CASE_SHARE) -> tuple[np.ndarray, int]:
    """'Voluntary', 'COMPLETED': a share of the non-empty cells capitalised or upper-cased."""
    values = values.astype(object)
    hit = (rng.random(values.size) < share) & (values != "")
    upper = rng.random(values.size) < 0.3
    values[hit & upper] = [str(v).upper() for v in values[hit & upper]]
    values[hit & ~upper] = [str(v).capitalize() for v in values[hit & ~upper]]
    return values, int(hit.sum())


def duplicate_submissions(person: np.ndarray, ts: np.ndarray, answers: np.ndarray, wave_start_s: int,
                          layout: ItemLayout, rng: np.random.Generator) -> dict:
    """Earlier, superseded submissions of a few responses (same person and wave, minutes to two days
    before the kept one): half abandoned part-way, half with a few answers changed by one point.
    Returns all rows (kept + superseded) in submission order, with a `superseded` flag."""
    k = person.size
    share = rng.uniform(*DUPLICATE_SHARE)
    room = ts - wave_start_s
    pick = (rng.random(k) < share) & (room > 3600)
    idx = np.flatnonzero(pick)
    longest = np.minimum(2 * 86400, room[idx] - 60)
    gap = 600 + np.floor(rng.random(idx.size) * (longest - 600)).astype(np.int64)
    early_ts = ts[idx] - gap
    early = answers[idx].copy()
    n_items = answers.shape[1]
    partial = rng.random(idx.size) < 0.5
    cut = rng.integers(5, n_items, idx.size)
    early[partial[:, None] & (np.arange(n_items) >= cut[:, None])] = np.nan
    change = (~partial[:, None]) & (rng.random(early.shape) < 0.1)
    shifted = np.clip(early + rng.choice([-1.0, 1.0], early.shape), layout.lo, layout.hi)
    early = np.where(change & ~np.isnan(early), shifted, early)

    all_person = np.concatenate([person, person[idx]])
    all_ts = np.concatenate([ts, early_ts])
    all_answers = np.concatenate([answers, early])
    superseded = np.concatenate([np.zeros(k, bool), np.ones(idx.size, bool)])
    order = np.lexsort((superseded.astype(np.int8) * -1, all_person, all_ts))
    return {"person": all_person[order], "ts": all_ts[order], "answers": all_answers[order],
            "superseded": superseded[order], "count": int(idx.size)}
