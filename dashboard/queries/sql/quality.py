"""The SQL of the response-rate and data-quality views, and the overview's completion rate."""

from __future__ import annotations

from dashboard.queries.sql.common import COHORT_FILTER, PEOPLE_FILTER

RESPONSE_SQL = """
WITH scope_cohorts AS (SELECT c.* FROM cohorts c WHERE """ + COHORT_FILTER + """),
enr AS (
    SELECT e.cohort_id, c.program_id, e.participant_key
    FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
    JOIN mart_people mp ON mp.participant_key = e.participant_key
    WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND """ + PEOPLE_FILTER + """
),
waves AS (SELECT unnest(['baseline', 'mid', 'post', 'follow_up']) AS wave, unnest([0, 1, 2, 3]) AS o),
-- a wave counts for a cohort only where a survey was held in its window (someone, coached or
-- comparison, answered then): not yet due, or no survey in that window, is not a response rate of 0
held AS (SELECT DISTINCT cohort_id, wave FROM mart_response_waves)
SELECT enr.cohort_id, enr.program_id, waves.wave, count(DISTINCT enr.participant_key) AS n,
       count(DISTINCT w.participant_key) AS responded
FROM enr CROSS JOIN waves
JOIN held h ON h.cohort_id = enr.cohort_id AND h.wave = waves.wave
LEFT JOIN mart_response_waves w ON w.cohort_id = enr.cohort_id AND w.participant_key = enr.participant_key
     AND w.role = 'coached' AND w.wave = waves.wave
GROUP BY enr.cohort_id, enr.program_id, waves.wave, waves.o
ORDER BY enr.cohort_id, waves.o
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
