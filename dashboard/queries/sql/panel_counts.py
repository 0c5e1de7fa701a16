"""panel_counts_sql: the matched-panel head counts alone, which rule 3's parent cells compare a breakdown
with (no moments, no DiD)."""

from __future__ import annotations

from dashboard.queries.sql.common import COHORT_FILTER, PANEL_SCOPE, _check_sets, both_waves, score_col


def panel_counts_sql(measures: list[str], sets: list[list[str]], pre: str, post: str) -> str:
    """The matched-panel head counts of panel_multi_sql alone, for rule 3's parent cells (which need only
    counts): one row per set (`_s`, index into `sets`) x group, every group column used by any set present
    ('All' where a set does not group by it), and per measure index i `n_<i>` (coached people with both
    waves of the measure) and `n_comparison_<i>` (comparison people), as panel_multi_sql counts its n and
    n_comparison. A group where no one has a pair of any measure has no row."""
    used = _check_sets(sets)
    if len(measures) > 62:
        raise ValueError("at most 62 measures in one statement")
    keys = [c for c in used if c != "_all"]
    pair = [f"k.{score_col(pre, m)} IS NOT NULL AND k.{score_col(post, m)} IS NOT NULL" for m in measures]
    has = " + ".join(f"({b})::BIGINT * {1 << i}" for i, b in enumerate(pair))
    any_pair = " OR ".join(f"({b})" for b in pair)
    gsel = "".join(
        ",\n           CASE " + " ".join(f"WHEN sets._s = {si} THEN p.{c}" for si, s in enumerate(sets) if c in s)
        + f" ELSE 'All' END AS {c}" for c in keys)
    counts = ",\n       ".join(
        f"count(*) FILTER (WHERE coached AND _has & {1 << i} <> 0) AS n_{i}, "
        f"count(*) FILTER (WHERE NOT coached AND _has & {1 << i} <> 0) AS n_comparison_{i}"
        for i in range(len(measures)))
    sets_values = ", ".join(f"({i})" for i in range(len(sets)))
    return f"""
WITH scope_cohorts AS (
    SELECT c.cohort_id FROM cohorts c WHERE {COHORT_FILTER}
),
p AS (
    SELECT k.cohort_id, k.program_id, k.pid, k.role = 'coached' AS coached, k.department, k.team_id AS team,
           k.career_phase, k.coach_id, {has} AS _has
    FROM mart_panel k
    WHERE {PANEL_SCOPE}
      AND {both_waves(pre, post)}
      AND ({any_pair})
),
person AS (
    -- one row per set x group x person x role: the measures the person has a pair in, as bits
    SELECT sets._s{gsel}, p.pid, p.coached, bit_or(p._has) AS _has
    FROM p CROSS JOIN (VALUES {sets_values}) sets(_s)
    GROUP BY ALL
)
SELECT _s{"".join(f", {c}" for c in keys)},
       {counts}
FROM person GROUP BY ALL
ORDER BY ALL"""
