"""Synthetic data generator: a realistic organisation with coaching programs and a known truth.

`generate(people, seed, out)` writes the canonical files of docs/data-contract.md plus truth.json
(documented in docs/synthetic-data.md). One module per job: design (the fixed design), population,
exits, programs (cohorts, selection, coaches, sessions), latent (the measurement model), surveys,
scoring (the product's scoring, in numpy), effects (planted effects and their Monte Carlo truth),
mess, truth, writer, generator (the orchestration).
"""

from pipelines.generate.generator import generate

__all__ = ["generate"]
