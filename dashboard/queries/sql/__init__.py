"""The SQL of the query layer. Filter values are always bound parameters ($f_*); the only text ever
formatted into a statement comes from the fixed whitelists of `common` (measure expressions, group
columns, wave names).

The views run the fast statements (panel_multi_sql, trajectory_fast_sql, guard_fast_sql,
retention_fast_sql), which read the precomputed panel mart_panel and mart_person_ids
(pipelines/marts/03_mart_panel.sql). The reference statements (panel_cte, panel_stats_sql,
trajectory_sql, guard_sql, RETENTION_SQL, RETENTION_PEOPLE_SQL) are the definitions on the base marts;
they are kept as the reference that tests/test_queries_marts.py checks the fast statements against.

One module a family: `common` (whitelists, filter clauses, the as-of date, mart_panel's columns),
`panel` (panel, trajectory and guard statements), `panel_multi` (panel_multi_sql), `panel_counts`
(panel_counts_sql), `retention`, and `quality` (response rates, data quality, completion). Every name is
re-exported here.
"""

from __future__ import annotations

from dashboard.queries.sql.common import (AS_OF_SQL, COHORT_FILTER, ENPS_POINTS, GROUP_COLUMNS, MEASURE_COLUMNS,
                                          MEASURE_SQL, MEASURES, PANEL_GROUPS, PANEL_PEOPLE_FILTER, PANEL_ROWS,
                                          PANEL_SCOPE, PEOPLE_FILTER, SCOPE_COHORTS_SQL, WAVE_NAMES, group_cols,
                                          measure_sql, both_waves, rid_col, score_col)
from dashboard.queries.sql.common import _check_sets as _check_sets
from dashboard.queries.sql.panel import (GUARD_DIMENSIONS, GUARD_SELECT, PERSON_DIMENSIONS, guard_fast_sql, guard_sql,
                                         panel_cte, panel_stats_sql, trajectory_fast_sql, trajectory_sql)
from dashboard.queries.sql.panel_counts import panel_counts_sql
from dashboard.queries.sql.panel_multi import panel_multi_sql
from dashboard.queries.sql.quality import COMPLETION_SQL, QUALITY_SQL, RESPONSE_SQL
from dashboard.queries.sql.retention import (RETENTION_PEOPLE_SQL, RETENTION_SQL, retention_cohorts_sql,
                                             retention_fast_sql)

__all__ = ["AS_OF_SQL", "COHORT_FILTER", "ENPS_POINTS", "GROUP_COLUMNS", "MEASURE_COLUMNS", "MEASURE_SQL",
           "MEASURES", "PANEL_GROUPS", "PANEL_PEOPLE_FILTER", "PANEL_ROWS", "PANEL_SCOPE", "PEOPLE_FILTER",
           "SCOPE_COHORTS_SQL", "WAVE_NAMES", "group_cols", "measure_sql", "both_waves", "rid_col", "score_col",
           "GUARD_DIMENSIONS", "GUARD_SELECT", "PERSON_DIMENSIONS", "guard_fast_sql", "guard_sql", "panel_cte", "panel_stats_sql", "trajectory_fast_sql",
           "trajectory_sql", "panel_counts_sql", "panel_multi_sql", "COMPLETION_SQL", "QUALITY_SQL", "RESPONSE_SQL",
           "RETENTION_PEOPLE_SQL", "RETENTION_SQL", "retention_cohorts_sql", "retention_fast_sql"]
