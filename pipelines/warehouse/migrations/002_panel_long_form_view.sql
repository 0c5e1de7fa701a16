-- mart_response_waves becomes a view over mart_panel's <wave>_rid columns (issue 7: the long form
-- was millions of rows at 250,000 people). Drop the old table and the panel that lacks those
-- columns; the next ingest run rebuilds both (pipelines/marts/03_mart_panel.sql).
DROP TABLE IF EXISTS mart_response_waves;
DROP TABLE IF EXISTS mart_panel;
