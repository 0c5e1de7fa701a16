"""Answer label sets: label text -> number, shipped in pipelines/config/labels.toml."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Mapping

LABELS_FILE = Path(__file__).resolve().parents[2] / "config" / "labels.toml"


def norm_label(text: str) -> str:
    """How labels are compared: case-folded, spaces collapsed, curly quotes straightened."""
    text = str(text).replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip().casefold()


@lru_cache(maxsize=1)
def shipped_sets() -> dict[str, dict]:
    with open(LABELS_FILE, "rb") as fh:
        return tomllib.load(fh)


def label_table(spec: Mapping) -> dict[str, float]:
    """A label set as {normalised label: number} (the `scale` entry is metadata, not a label)."""
    return {norm_label(k): float(v) for k, v in spec.items() if k != "scale"}


def default_set_for(scale_min: float, scale_max: float) -> str | None:
    """The shipped set whose range is the instrument's scale (agree_5 for 1-5, ...)."""
    for name, spec in shipped_sets().items():
        if list(spec.get("scale", [])) == [scale_min, scale_max]:
            return name
    return None


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
