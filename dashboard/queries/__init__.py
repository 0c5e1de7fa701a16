"""The query layer: one function per view, every number through the anonymity rules and the
statistics of DOMAIN.md. Aggregation runs in DuckDB; only aggregates come back. See docs/query-api.md.

One module a job: `common` (ViewResult, plumbing, filter options, rule 3's guard), `panel` (change and
DiD statistics and their suppressed cross-tabs), `effects` (overview, outcomes, cohorts, coach_impact),
`survival` (retention), `data_quality` (response_rates, quality), and the SQL in the package `sql`.
The views, and the internals that other modules and the tests use, are re-exported here.
"""

from __future__ import annotations

from dashboard.anonymity import AnonymityRefused
from dashboard.filters import FilterOptions, Filters
from dashboard.queries.common import ViewResult, filter_options
from dashboard.queries.data_quality import quality, response_rates
from dashboard.queries.effects import coach_impact, cohorts, outcomes, overview
from dashboard.queries.sql import MEASURES
from dashboard.queries.survival import retention, retention_per_cohort

# internals, re-exported as `name as name` (not part of __all__)
from dashboard.queries.common import ALL as ALL, CHANGE_VALUES as CHANGE_VALUES, COMMON as COMMON
from dashboard.queries.common import DID_VALUES as DID_VALUES
from dashboard.queries.common import _as_of as _as_of, _check_measure as _check_measure, _count as _count
from dashboard.queries.common import _df as _df, _guard as _guard, _maps as _maps, _params as _params
from dashboard.queries.effects import COACHED_STATS as COACHED_STATS, COMPARISON_STATS as COMPARISON_STATS
from dashboard.queries.effects import _coach_groups as _coach_groups, _outcomes_many as _outcomes_many
from dashboard.queries.panel import _crosstab as _crosstab, _crosstabs as _crosstabs, _estimates as _estimates
from dashboard.queries.panel import _notes_change as _notes_change, _panel_multi as _panel_multi
from dashboard.queries.panel import _sort_key as _sort_key
from dashboard.queries.sql import COMPLETION_SQL as COMPLETION_SQL, GROUP_COLUMNS as GROUP_COLUMNS
from dashboard.queries.sql import QUALITY_SQL as QUALITY_SQL, RESPONSE_SQL as RESPONSE_SQL
from dashboard.queries.survival import MONTH_DAYS as MONTH_DAYS

__all__ = ["ViewResult", "AnonymityRefused", "Filters", "FilterOptions", "MEASURES", "filter_options",
           "overview", "outcomes", "cohorts", "retention", "retention_per_cohort", "coach_impact", "response_rates", "quality"]
