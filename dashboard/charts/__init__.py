"""Chart builders: pure functions, a query-layer table in, a plotly figure out.

Nothing here computes a statistic or touches the warehouse: every number drawn is a cell of the
table passed in (dashboard.queries), suppressed cells included as "hidden" and never as a
value. Colours come from dashboard.theme. Each builder is safe on an empty or fully suppressed table
(it returns a figure with a message instead of raising), so pages stay thin.

`common` holds the template, labels and formatting; `effects` the change and effect figures
(Overview, Outcomes, Cohorts forest, Coach impact); `trends` trajectories and retention curves;
`quality` the data quality figures. Pages use the names re-exported here.
"""

from dashboard.charts.common import (LOWER_IS_BETTER, FLAG_LABELS, HEADLINE_MEASURES, MEASURES, PHASE_LABELS, ROLE_LABELS, TEMPLATE,
                                     WAVE_LABELS, WAVE_ORDER, _is_suppressed, _label, _missing, empty_figure,
                                     HIDDEN, hidden_reason, not_computable, fmt_ci, fmt_flags, fmt_n, fmt_num, legend_text,
                                     measure_label,
                                     wave_pair_label)
from dashboard.charts.effects import change_heatmap, coach_vs_program, forest, headline_effects
from dashboard.charts.quality import bar_counts, check_shares, response_rates
from dashboard.charts.trends import km_curves, trajectories

__all__ = [
    "LOWER_IS_BETTER", "FLAG_LABELS", "HEADLINE_MEASURES", "MEASURES", "PHASE_LABELS", "ROLE_LABELS", "TEMPLATE", "WAVE_LABELS",
    "WAVE_ORDER", "_is_suppressed", "_label", "_missing", "empty_figure", "HIDDEN", "hidden_reason", "not_computable", "fmt_ci", "fmt_flags",
    "fmt_n", "fmt_num", "legend_text", "measure_label", "wave_pair_label", "change_heatmap", "coach_vs_program", "forest",
    "headline_effects", "bar_counts", "check_shares", "response_rates", "km_curves", "trajectories",
]
