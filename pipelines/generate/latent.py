"""The latent model: twelve dimensions, their variance components, and items drawn from them.

latent[person, wave, dim] = mean + stable_sd * stable_z + team_sd * team_z + transient_sd * transient_z
                           + effect * (0, 0.5 at mid, 1 from post on)
item = clip(round(latent + item_offset + item_noise_sd * e), scale_min, scale_max); reverse-keyed items
are written reversed, (min + max) - item. stable_z, team_z and transient_z are standard normal with
correlations across dimensions from a small factor model (general G, engagement E, autonomous A,
controlled C); G of the stable part is what selection into coaching tilts on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.config import load_instruments


@dataclass(frozen=True)
class Dim:
    name: str
    instrument: str
    subscale: str | None      # None: all the instrument's items
    mean: float
    stable_sd: float
    team_sd: float
    transient_sd: float
    item_sd: float
    loadings: tuple[float, float, float, float]   # G, E, A, C

    @property
    def ref_sd(self) -> float:
        """SD of a 3-item mean of this dimension: the unit of the planted effects (design.EFFECT_G)."""
        return float(np.sqrt(self.stable_sd**2 + self.team_sd**2 + self.transient_sd**2 + self.item_sd**2 / 3))


DIMS = [
    Dim("vigour", "engagement", "vigour", 3.7, 0.75, 0.25, 0.40, 0.70, (0.65, 0.55, 0.0, 0.0)),
    Dim("dedication", "engagement", "dedication", 3.9, 0.80, 0.25, 0.40, 0.70, (0.70, 0.50, 0.0, 0.0)),
    Dim("absorption", "engagement", "absorption", 3.5, 0.75, 0.20, 0.40, 0.75, (0.55, 0.55, 0.0, 0.0)),
    Dim("intrinsic", "motivation", "intrinsic", 4.8, 0.90, 0.20, 0.45, 0.80, (0.55, 0.0, 0.55, 0.0)),
    Dim("integrated", "motivation", "integrated", 4.3, 0.90, 0.20, 0.45, 0.80, (0.50, 0.0, 0.60, 0.0)),
    Dim("identified", "motivation", "identified", 4.6, 0.85, 0.20, 0.45, 0.80, (0.45, 0.0, 0.50, 0.20)),
    Dim("introjected", "motivation", "introjected", 4.2, 0.85, 0.15, 0.45, 0.85, (0.15, 0.0, 0.20, 0.60)),
    Dim("external", "motivation", "external", 4.0, 0.85, 0.15, 0.45, 0.85, (-0.10, 0.0, 0.0, 0.60)),
    Dim("amotivation", "motivation", "amotivation", 2.9, 0.85, 0.20, 0.45, 0.80, (-0.55, 0.0, -0.30, 0.10)),
    Dim("values", "values_alignment", None, 4.6, 0.90, 0.30, 0.45, 0.75, (0.65, 0.0, 0.15, 0.0)),
    Dim("turnover", "intent_to_stay", None, 2.6, 0.60, 0.20, 0.35, 0.60, (-0.60, 0.0, 0.0, 0.0)),
    Dim("enps", "enps", None, 6.6, 1.50, 0.50, 0.90, 1.20, (0.65, 0.0, 0.0, 0.0)),
]
DIM_INDEX = {d.name: i for i, d in enumerate(DIMS)}
N_DIMS = len(DIMS)
TEAM_CLIMATE_LOADING = 0.7      # team intercepts share one climate factor
ITEM_OFFSETS = (0.15, 0.0, -0.15)

_L = np.array([d.loadings for d in DIMS])
_UNIQUE = np.sqrt(1.0 - (_L**2).sum(axis=1))
MEAN = np.array([d.mean for d in DIMS])
STABLE_SD = np.array([d.stable_sd for d in DIMS])
TEAM_SD = np.array([d.team_sd for d in DIMS])
TRANSIENT_SD = np.array([d.transient_sd for d in DIMS])


def draw_factor_z(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n x 12 correlated standard normals, and the n general-factor values G."""
    f = rng.standard_normal((n, _L.shape[1]))
    u = rng.standard_normal((n, N_DIMS))
    return f @ _L.T + u * _UNIQUE, f[:, 0]


def draw_team_z(n: int, rng: np.random.Generator) -> np.ndarray:
    g = rng.standard_normal((n, 1))
    u = rng.standard_normal((n, N_DIMS))
    return TEAM_CLIMATE_LOADING * g + np.sqrt(1 - TEAM_CLIMATE_LOADING**2) * u


def person_level(stable_z: np.ndarray, team_z: np.ndarray) -> np.ndarray:
    """The part of the latent that does not change between waves (scale units)."""
    return MEAN + STABLE_SD * stable_z + TEAM_SD * team_z


@dataclass(frozen=True)
class ItemLayout:
    """Item columns in file order and, per item, its dimension, scale, offset and reverse key."""

    codes: list[str]
    dim: np.ndarray          # int index into DIMS
    lo: np.ndarray
    hi: np.ndarray
    offset: np.ndarray
    noise_sd: np.ndarray
    reverse: np.ndarray      # bool
    instruments: dict


def item_layout(instruments: dict | None = None) -> ItemLayout:
    """Items of the shipped instruments (not a user's override: the generator writes the shipped set)."""
    instruments = instruments or load_instruments(env={})
    codes, dim, lo, hi, offset, noise, rev = [], [], [], [], [], [], []
    for name, spec in instruments.items():
        subs = spec.get("subscales", {})
        for code in spec["items"]:
            owner = next((s for s, cs in subs.items() if code in cs), None)
            match = [i for i, d in enumerate(DIMS) if d.instrument == name and (d.subscale in (None, owner))]
            if len(match) != 1:
                raise ValueError(f"item {code!r} of {name!r} maps to no single latent dimension")
            i = match[0]
            siblings = [c for c in spec["items"] if _dim_of(name, c, subs) == _dim_of(name, code, subs)]
            codes.append(code)
            dim.append(i)
            lo.append(spec["scale_min"])
            hi.append(spec["scale_max"])
            offset.append(ITEM_OFFSETS[siblings.index(code) % 3] if len(siblings) > 1 else 0.0)
            noise.append(DIMS[i].item_sd)
            rev.append(code in spec.get("reverse", []))
    return ItemLayout(codes, np.array(dim), np.array(lo, float), np.array(hi, float), np.array(offset),
                      np.array(noise), np.array(rev), instruments)


def _dim_of(name: str, code: str, subs: dict) -> str | None:
    return next((s for s, cs in subs.items() if code in cs), None)


def item_signal(latent: np.ndarray, noise: np.ndarray, layout: ItemLayout) -> np.ndarray:
    """Continuous item responses before rounding: latent of the item's dimension + offset + noise."""
    return latent[:, layout.dim] + layout.offset + noise * layout.noise_sd


def answers_from_signal(x: np.ndarray, layout: ItemLayout) -> np.ndarray:
    """Round and clip to the scale; reverse-keyed items written reversed. Float, whole numbers."""
    x = np.clip(np.rint(x), layout.lo, layout.hi)
    return np.where(layout.reverse, layout.lo + layout.hi - x, x)


def items_from_latent(latent: np.ndarray, noise: np.ndarray, layout: ItemLayout) -> np.ndarray:
    """Answers as written in the file: n x items. `noise` is standard normal."""
    return answers_from_signal(item_signal(latent, noise, layout), layout)
