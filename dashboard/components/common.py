"""Labels the component modules share."""

from __future__ import annotations

from dashboard import charts
from dashboard.filters import WAVE_PAIRS

ALL = "All"
WAVE_PAIR_LABELS = {
    p: " to ".join(charts.WAVE_LABELS[w].lower() for w in p.split("-")) for p in WAVE_PAIRS
}

