"""Pieces every page uses: the warehouse reader, the cached query call, sidebar filters mirrored in
the URL, the chart + table + download block, empty states.

Pages read like a short script:

    f = components.sidebar_filters()
    res = components.run_view("outcomes", f, measure=..., rows=..., cols=...)
    components.chart_and_table(charts.change_heatmap(res.table, ...), res.table, "outcomes", res)

Every number comes from dashboard.queries (which enforces the anonymity rules); nothing here
computes one. Query results are cached with st.cache_data keyed on the view, the filters, the
options and the warehouse's data version, so a new `coachlens ingest` shows up on the next
interaction without a restart, and the cache never serves numbers from a replaced file.

One module a job: `data` (reader, settings, cached queries), `frame` (header, empty states,
refusals), `url_filters` (sidebar filters in the URL), `tables` (chart, table and downloads),
`headline` (the Overview's figures). Pages use the names re-exported here.
"""

from dashboard.components.common import ALL, WAVE_PAIR_LABELS
from dashboard.components.data import (Refused, _reader, _settings, db_path, filter_options, group_names, k,
                                       measures, prime_filters, query, reader, settings, version)
from dashboard.components.frame import (empty_state, empty_state_no_warehouse, freshness_caption, notes,
                                        older_warehouse, page_header, refused, require_warehouse, run_view)
from dashboard.components.headline import headline_metrics, headline_sentence, metric_card, retention_sentence
from dashboard.components.tables import (chart_and_table, display_frame, plot, safe_frame, table_and_downloads,
                                         to_csv_bytes, to_xlsx_bytes)
from dashboard.components.url_filters import sidebar_filters, url_date, url_multiselect, url_select

__all__ = [
    "ALL", "WAVE_PAIR_LABELS", "Refused", "_reader", "_settings", "db_path", "filter_options", "group_names",
    "k", "measures", "prime_filters", "query", "reader", "settings", "version", "empty_state", "empty_state_no_warehouse",
    "freshness_caption", "notes", "older_warehouse", "page_header", "refused", "require_warehouse", "run_view", "headline_metrics",
    "headline_sentence", "metric_card", "retention_sentence", "chart_and_table", "display_frame", "plot",
    "safe_frame", "table_and_downloads", "to_csv_bytes", "to_xlsx_bytes", "sidebar_filters", "url_date",
    "url_multiselect", "url_select",
]
