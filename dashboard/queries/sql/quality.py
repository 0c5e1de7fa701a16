"""The SQL of the response-rate and data-quality views, and the overview's completion rate."""

from __future__ import annotations

from dashboard.queries.sql.common import COHORT_FILTER, PEOPLE_FILTER

# Per cohort: its enrolled (non-waitlist) people in scope and how many of them answered in each wave
# window, from the panel's chosen responses (mart_panel <wave>_rid). A wave counts for a cohort only
# where a survey was held in its window (someone, coached or comparison, answered then): not yet due,
# or no survey in that window, is not a response rate of 0. tests/test_queries_marts.py checks this
# against the same counts over the long form (mart_response_waves).
RESPONSE_SQL = """
WITH scope_cohorts AS (SELECT c.* FROM cohorts c WHERE """ + COHORT_FILTER + """),
enr AS (
    SELECT DISTINCT mp.cohort_id, c.program_id, mp.pid
    FROM mart_enrolments mp JOIN scope_cohorts c USING (cohort_id)
    WHERE ($f_coach IS NULL OR mp.coach_id = $f_coach) AND """ + PEOPLE_FILTER + """
),
held AS (
    SELECT cohort_id, [count(baseline_rid) > 0, count(mid_rid) > 0, count(post_rid) > 0,
                       count(follow_up_rid) > 0] AS held
    FROM mart_panel WHERE cohort_id IN (SELECT cohort_id FROM scope_cohorts)
    GROUP BY cohort_id
),
per_cohort AS (
    SELECT enr.cohort_id, enr.program_id, count(*) AS n,
           [count(k.baseline_rid), count(k.mid_rid), count(k.post_rid), count(k.follow_up_rid)] AS responded
    FROM enr LEFT JOIN mart_panel k ON k.role = 'coached' AND k.cohort_id = enr.cohort_id AND k.pid = enr.pid
    GROUP BY enr.cohort_id, enr.program_id
),
waves AS (SELECT unnest(['baseline', 'mid', 'post', 'follow_up']) AS wave, unnest([1, 2, 3, 4]) AS o)
SELECT p.cohort_id, p.program_id, waves.wave, p.n, p.responded[waves.o] AS responded
FROM per_cohort p JOIN held h USING (cohort_id) CROSS JOIN waves
WHERE h.held[waves.o]
ORDER BY p.cohort_id, waves.o
"""

# The people in scope of the data-quality checks, as rule 3 counts them (guard_fast_sql's `people`): everyone
# under the people filters, or, with a program, cohort, coach or date filter, the enrolled (non-waitlist)
# people of the cohorts in scope. So a date means a cohort's start date here as on every other page (not
# when a response was submitted), and the differencing check covers the people these counts rest on.
QUALITY_PEOPLE = """
WITH scope_cohorts AS (SELECT c.* FROM cohorts c WHERE """ + COHORT_FILTER + """),
scope_people AS (
    SELECT mp.participant_key, mp.career_phase FROM mart_people mp
    WHERE """ + PEOPLE_FILTER + """
      AND (($f_program IS NULL AND $f_cohort IS NULL AND $f_coach IS NULL AND $f_date_from IS NULL
            AND $f_date_to IS NULL)
           OR mp.participant_key IN (
               SELECT e.participant_key FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
               WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach)))
),
scoped AS (SELECT r.* FROM survey_responses r JOIN scope_people USING (participant_key))
"""

# The missing-score counts: the responses of the people in scope ({missing}: one count a measure, from
# the MEASURE_SQL whitelist), and how many people they come from.
QUALITY_SQL = QUALITY_PEOPLE + """
SELECT count(*) AS responses, count(DISTINCT participant_key) AS people,
       {missing}
FROM scoped r
"""

# How many people in scope answered a survey (the missing-score counts rest on them), for the
# selection's relaxed parents.
RESPONDENTS_SQL = QUALITY_PEOPLE + "SELECT count(DISTINCT participant_key) AS people FROM scoped"

# The people in scope whose career phase is unknown.
PHASE_UNKNOWN_SQL = QUALITY_PEOPLE + """
SELECT count(*) AS n, count(*) FILTER (WHERE career_phase = 'unknown') AS x FROM scope_people
"""

COMPLETION_SQL = ("WITH scope_cohorts AS (SELECT c.* FROM cohorts c WHERE " + COHORT_FILTER + ") "
                  "SELECT count(DISTINCT e.participant_key) FILTER (WHERE e.status IN ('completed', 'withdrawn')) AS n, "
                  "count(DISTINCT e.participant_key) FILTER (WHERE e.status = 'completed') AS x "
                  "FROM enrolments e JOIN scope_cohorts c USING (cohort_id) JOIN mart_people mp USING (participant_key) "
                  "WHERE ($f_coach IS NULL OR e.coach_id = $f_coach) AND " + PEOPLE_FILTER)
