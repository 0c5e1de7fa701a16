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
    SELECT DISTINCT e.cohort_id, c.program_id, mp.pid
    FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
    JOIN mart_person_ids mp ON mp.participant_key = e.participant_key
    WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND """ + PEOPLE_FILTER + """
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

QUALITY_SQL = """
WITH scoped AS (
    SELECT r.* FROM survey_responses r JOIN mart_people mp USING (participant_key)
    WHERE """ + PEOPLE_FILTER + """
      AND ($f_date_from IS NULL OR r.submitted_at::DATE >= $f_date_from)
      AND ($f_date_to IS NULL OR r.submitted_at::DATE <= $f_date_to)
)
SELECT count(*) AS responses, count(DISTINCT participant_key) AS people,
       {missing}
FROM scoped r
"""

COMPLETION_SQL = ("WITH scope_cohorts AS (SELECT c.* FROM cohorts c WHERE " + COHORT_FILTER + ") "
                  "SELECT count(DISTINCT e.participant_key) FILTER (WHERE e.status IN ('completed', 'withdrawn')) AS n, "
                  "count(DISTINCT e.participant_key) FILTER (WHERE e.status = 'completed') AS x "
                  "FROM enrolments e JOIN scope_cohorts c USING (cohort_id) JOIN mart_people mp USING (participant_key) "
                  "WHERE ($f_coach IS NULL OR e.coach_id = $f_coach) AND " + PEOPLE_FILTER)
