"""Response rates list only the waves a survey was held in, per cohort (as the generator planned)."""

from __future__ import annotations

import json

from conftest import SAMPLE


def test_response_rates_cover_exactly_the_waves_held(sample_warehouse, settings):
    from dashboard import queries as q
    from dashboard.db import Reader
    from dashboard.filters import Filters

    truth = json.loads((SAMPLE / "truth.json").read_text())
    want = {(cohort, role) for cohort, c in truth["counts"]["per_cohort"].items() if not c["waitlist"]
            for role in c["wave_roles"].values()}
    table = q.response_rates(Reader(sample_warehouse).cursor(), Filters(), settings).table
    got = set(zip(table["cohort_id"], table["wave"]))
    assert got == want
    shown = table[~table["suppressed"]]
    assert (shown["estimate"] > 0.25).all()   # not 0% for waves not yet due (exits and withdrawals lower it)
