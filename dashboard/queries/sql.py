"""The SQL of the query layer. Filter values are always bound parameters ($f_*); the only text ever
formatted into a statement comes from the fixed whitelists below (measure expressions, group columns).
"""

from __future__ import annotations

MEASURE_COLUMNS = ("engagement", "vigour", "dedication", "absorption", "motivation_sdi", "intrinsic",
                   "integrated", "identified", "introjected", "external", "amotivation", "values_alignment",
                   "intent_to_stay")
MEASURES = MEASURE_COLUMNS + ("enps_score",)
ENPS_POINTS = ("CASE WHEN r.enps >= 9 THEN 100.0 WHEN r.enps <= 6 THEN -100.0 "
               "WHEN r.enps IS NOT NULL THEN 0.0 END")
MEASURE_SQL = {**{m: f"r.{m}" for m in MEASURE_COLUMNS}, "enps_score": ENPS_POINTS}

# breakdown name -> column of the panel relation `p`
GROUP_COLUMNS = {"career_phase": "career_phase", "department": "department", "team": "team",
                 "program": "program_id", "cohort": "cohort_id", "coach": "coach_id", "_all": "_all"}


def measure_sql(measure: str) -> str:
    try:
        return MEASURE_SQL[measure]
    except KeyError:
        raise ValueError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}") from None


def group_cols(names) -> list[str]:
    out = []
    for name in names:
        if name not in GROUP_COLUMNS:
            raise ValueError(f"unknown breakdown {name!r}; use one of {', '.join(k for k in GROUP_COLUMNS if k != '_all')}")
        col = GROUP_COLUMNS[name]
        if col not in out:
            out.append(col)
    return out or ["_all"]


PEOPLE_FILTER = """
    ($f_department IS NULL OR mp.department = $f_department)
    AND ($f_team IS NULL OR mp.team_id = $f_team)
    AND ($f_phase IS NULL OR mp.career_phase = $f_phase)"""

COHORT_FILTER = """
    NOT c.is_waitlist
    AND ($f_program IS NULL OR c.program_id = $f_program)
    AND ($f_cohort IS NULL OR c.cohort_id = $f_cohort)
    AND ($f_date_from IS NULL OR c.start_date >= $f_date_from)
    AND ($f_date_to IS NULL OR c.start_date <= $f_date_to)
    AND ($f_coach IS NULL OR c.cohort_id IN (SELECT cohort_id FROM enrolments WHERE coach_id = $f_coach))"""


def panel_cte(measure: str) -> str:
    """CTEs `scope_cohorts`, `resp` (every in-scope response in the two waves) and `p` (the matched
    panel: one row per cohort x person x role with y0, y1, d and the person's groups).
    Parameters: the filters, $pre, $post."""
    m = measure_sql(measure)
    return f"""
WITH scope_cohorts AS (
    SELECT c.* FROM cohorts c WHERE {COHORT_FILTER}
),
resp AS (
    SELECT w.cohort_id, w.program_id, w.participant_key, w.role, w.wave, {m} AS y,
           mp.department, mp.team_id AS team, mp.career_phase, e.coach_id, 'All' AS _all
    FROM mart_response_waves w
    JOIN scope_cohorts c USING (cohort_id)
    JOIN survey_responses r ON r.response_id = w.response_id
    JOIN mart_people mp ON mp.participant_key = w.participant_key
    LEFT JOIN enrolments e ON w.role = 'coached' AND e.participant_key = w.participant_key
                          AND e.cohort_id = w.cohort_id
    WHERE {PEOPLE_FILTER}
      AND ($f_coach IS NULL OR w.role = 'comparison' OR e.coach_id = $f_coach)
      AND y IS NOT NULL
),
p AS (
    SELECT cohort_id, program_id, participant_key, role, department, team, career_phase, coach_id, _all,
           max(y) FILTER (WHERE wave = $pre) AS y0,
           max(y) FILTER (WHERE wave = $post) AS y1,
           y1 - y0 AS d
    FROM resp
    WHERE wave IN ($pre, $post)
    GROUP BY ALL
    HAVING count(*) FILTER (WHERE wave = $pre) > 0 AND count(*) FILTER (WHERE wave = $post) > 0
)"""


def panel_stats_sql(measure: str, groups: list[str]) -> str:
    """Sufficient statistics per group: coached paired change, comparison change, and the pooled DiD
    (coached-panel-size weighted over cohorts) with its person-clustered sandwich variance."""
    g = ", ".join(groups)
    gc = ", ".join(dict.fromkeys(groups + ["cohort_id"]))
    using = ", ".join(groups)
    using_c = ", ".join(dict.fromkeys(groups + ["cohort_id"]))
    return panel_cte(measure) + f""",
cstats AS (
    SELECT {gc},
           count(*) FILTER (WHERE role = 'coached') AS n1, avg(d) FILTER (WHERE role = 'coached') AS m1,
           count(*) FILTER (WHERE role = 'comparison') AS n0, avg(d) FILTER (WHERE role = 'comparison') AS m0
    FROM p GROUP BY ALL
),
wts AS (
    SELECT *, n1 / sum(n1) OVER (PARTITION BY {g}) AS w FROM cstats WHERE n1 >= 2 AND n0 >= 2
),
psi AS (
    -- each person's influence on the pooled DiD, per role; residuals scaled by sqrt(n / (n - 1)) so that
    -- a single cohort gives exactly Welch's variance s1^2/n1 + s0^2/n0
    SELECT {g}, p.participant_key, role,
           sum(w * CASE WHEN role = 'coached' THEN (d - m1) / n1 * sqrt(n1 / (n1 - 1))
                        ELSE -(d - m0) / n0 * sqrt(n0 / (n0 - 1)) END) AS psi
    FROM p JOIN wts USING ({using_c})
    GROUP BY ALL
),
did AS (SELECT {g}, sum(w * (m1 - m0)) AS did, count(*) AS did_cohorts FROM wts GROUP BY ALL),
didvar AS (
    SELECT {g},
           sum(psi * psi) FILTER (WHERE role = 'coached') AS did_var1,
           sum(psi * psi) FILTER (WHERE role = 'comparison') AS did_var0,
           count(*) FILTER (WHERE role = 'coached') AS did_g1,
           count(*) FILTER (WHERE role = 'comparison') AS did_g0
    FROM psi GROUP BY ALL
),
coached AS (
    SELECT {g}, count(DISTINCT participant_key) AS n, count(*) AS n_rows,
           avg(d) AS mean_d, stddev_samp(d) AS sd_d,
           avg(y0) AS mean_pre, stddev_samp(y0) AS sd_pre, avg(y1) AS mean_post
    FROM p WHERE role = 'coached' GROUP BY ALL
),
comp AS (
    SELECT {g}, count(DISTINCT participant_key) AS n_comparison, count(*) AS n0_rows,
           avg(d) AS comparison_change, stddev_samp(d) AS comparison_sd,
           avg(y0) AS comparison_mean_pre, stddev_samp(y0) AS comparison_sd_pre
    FROM p WHERE role = 'comparison' GROUP BY ALL
)
SELECT * FROM coached
FULL JOIN comp USING ({using})
LEFT JOIN did USING ({using})
LEFT JOIN didvar USING ({using})
ORDER BY ALL"""


def trajectory_sql(measure: str, groups: list[str]) -> str:
    g = ", ".join(groups)
    return panel_cte(measure) + f"""
SELECT {g}, role, wave, count(DISTINCT participant_key) AS n, avg(y) AS mean, stddev_samp(y) AS sd
FROM resp GROUP BY ALL ORDER BY ALL"""


GUARD_SELECT = """
SELECT
    (SELECT count(*) FROM mart_people mp WHERE """ + PEOPLE_FILTER + """
        AND (($f_program IS NULL AND $f_cohort IS NULL AND $f_coach IS NULL AND $f_date_from IS NULL
              AND $f_date_to IS NULL)
             OR mp.participant_key IN (SELECT e.participant_key FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
                                       WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach))))
        AS people,
    (SELECT count(DISTINCT e.participant_key) FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
        JOIN mart_people mp ON mp.participant_key = e.participant_key
        WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND """ + PEOPLE_FILTER + """)
        AS coached,
    (SELECT count(DISTINCT participant_key) FROM p WHERE role = 'coached') AS coached_panel,
    (SELECT count(DISTINCT participant_key) FROM p WHERE role = 'comparison') AS comparison_panel
"""


def guard_sql(measure: str) -> str:
    return panel_cte(measure) + GUARD_SELECT


RETENTION_SQL = """
WITH scope_cohorts AS (
    SELECT c.* FROM cohorts c WHERE """ + COHORT_FILTER + """
),
as_of AS (SELECT $as_of::DATE AS as_of),
coached AS (
    SELECT e.participant_key, arg_min(e.start_date, e.start_date) AS entry,
           arg_min(c.program_id, e.start_date) AS program
    FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
    JOIN mart_people mp ON mp.participant_key = e.participant_key
    WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND """ + PEOPLE_FILTER + """
    GROUP BY e.participant_key
),
comparison AS (
    -- each comparison person enters once: at the first in-scope cohort start at which they are employed
    -- and not yet coached (entry depends only on the past, so it carries no information on survival)
    SELECT mp.participant_key, min(c.start_date) AS entry, arg_min(c.program_id, c.start_date) AS program,
           1.0 AS weight, any_value(mp.first_start_date) AS crossover
    FROM scope_cohorts c
    JOIN mart_people mp ON (mp.hire_date IS NULL OR mp.hire_date <= c.start_date)
                       AND (mp.exit_date IS NULL OR mp.exit_date > c.start_date)
                       AND (mp.first_start_date IS NULL OR mp.first_start_date > c.start_date)
    WHERE """ + PEOPLE_FILTER + """
    GROUP BY mp.participant_key{per_program}
),
spells AS (
    SELECT 'coached' AS role, x.participant_key, x.entry, x.program, 1.0 AS weight, NULL::DATE AS crossover
    FROM coached x
    UNION ALL
    SELECT 'comparison', participant_key, entry, program, weight, crossover FROM comparison
),
ends AS (
    SELECT s.*, mp.career_phase, 'All' AS _all,
           least(coalesce(mp.exit_date, a.as_of), a.as_of, coalesce(s.crossover, a.as_of)) AS stop,
           coalesce(mp.exit_type = 'voluntary' AND mp.exit_date <= a.as_of
            AND (s.crossover IS NULL OR mp.exit_date <= s.crossover), false) AS event
    FROM spells s JOIN mart_people mp USING (participant_key) CROSS JOIN as_of a
    WHERE s.entry < a.as_of
)
SELECT {g} AS grp, role, date_diff('day', entry, stop) AS days, event,
       sum(weight) AS weight, count(*) AS rows_, count(DISTINCT participant_key) AS people
FROM ends GROUP BY ALL ORDER BY ALL
"""

RETENTION_PEOPLE_SQL = RETENTION_SQL[:RETENTION_SQL.index("\nSELECT {g} AS grp")] + """
SELECT {g} AS grp, role, count(DISTINCT participant_key) AS n,
       count(DISTINCT participant_key) FILTER (WHERE event) AS exits
FROM ends GROUP BY ALL ORDER BY ALL
"""

AS_OF_SQL = """
SELECT coalesce(
    (SELECT try_cast(value AS DATE) FROM warehouse_meta WHERE key = 'extract_date'),
    greatest((SELECT max(exit_date) FROM people),
             (SELECT max(submitted_at)::DATE FROM survey_responses),
             (SELECT max(start_date) FROM enrolments)))
"""
