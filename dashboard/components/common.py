"""Labels the component modules share."""

from __future__ import annotations

from dashboard import charts
from dashboard.filters import WAVE_PAIRS

ALL = "All"
WAVE_PAIR_LABELS = {p: charts.wave_pair_label(p) for p in WAVE_PAIRS}

