"""Scale scores from item answers, as SQL built from the instrument config."""

from pipelines.scoring.score import MEASURE_COLUMNS, item_problem_sql, score_sql, unscorable  # noqa: F401
