-- Which response is each person's baseline / mid / post / follow_up, relative to each cohort.
-- Coached people: their own enrolment dates. Comparison group: the cohort's dates, for people never
-- coached or not coached until after the cohort's post window, employed at the cohort's start.
-- Parameters: $baseline_before, $baseline_after, $post_around, $follow_up_after (days).
CREATE OR REPLACE TABLE mart_response_waves AS
WITH live_cohorts AS (
    SELECT * FROM cohorts WHERE NOT is_waitlist
),
first_coached AS (
    SELECT participant_key, min(start_date) AS first_start
    FROM enrolments WHERE status <> 'waitlist'
    GROUP BY participant_key
),
anchors AS (
    -- coached: one anchor pair per enrolment
    SELECT e.cohort_id, c.program_id, e.participant_key, 'coached' AS role,
           e.start_date, e.end_date, e.status AS enrolment_status
    FROM enrolments e
    JOIN live_cohorts c USING (cohort_id)
    WHERE e.status <> 'waitlist'
    UNION ALL
    -- comparison: the cohort's own dates
    SELECT c.cohort_id, c.program_id, p.participant_key, 'comparison',
           c.start_date, c.end_date, NULL
    FROM live_cohorts c
    JOIN people p
      ON (p.hire_date IS NULL OR p.hire_date <= c.start_date)
     AND (p.exit_date IS NULL OR p.exit_date > c.start_date)
    LEFT JOIN first_coached f ON f.participant_key = p.participant_key
    WHERE f.first_start IS NULL
       OR f.first_start > c.end_date + to_days($post_around::INTEGER)
),
classified AS (
    SELECT a.cohort_id, a.program_id, a.participant_key, a.role, a.enrolment_status,
           r.response_id, r.submitted_at,
           CASE
               WHEN a.role = 'coached' AND r.wave_reported IS NOT NULL THEN r.wave_reported
               WHEN r.submitted_at::DATE BETWEEN a.start_date - to_days($baseline_before::INTEGER)
                                             AND a.start_date + to_days($baseline_after::INTEGER) THEN 'baseline'
               WHEN r.submitted_at::DATE BETWEEN a.end_date - to_days($post_around::INTEGER)
                                             AND a.end_date + to_days($post_around::INTEGER) THEN 'post'
               WHEN r.submitted_at::DATE >= a.end_date + to_days($follow_up_after::INTEGER) THEN 'follow_up'
               WHEN r.submitted_at::DATE > a.start_date + to_days($baseline_after::INTEGER)
                AND r.submitted_at::DATE < a.end_date - to_days($post_around::INTEGER) THEN 'mid'
           END AS wave,
           -- distance to the wave's anchor, to choose one response when several fall in a window
           CASE
               WHEN r.submitted_at::DATE <= a.start_date + to_days($baseline_after::INTEGER)
                   THEN abs(date_diff('day', a.start_date, r.submitted_at::DATE))
               ELSE abs(date_diff('day', a.end_date, r.submitted_at::DATE))
           END AS distance
    FROM anchors a
    JOIN survey_responses r USING (participant_key)
)
SELECT cohort_id, program_id, participant_key, role, wave,
       arg_min(response_id, (distance, submitted_at)) AS response_id,
       arg_min(submitted_at, (distance, submitted_at)) AS submitted_at,
       any_value(enrolment_status) AS enrolment_status
FROM classified
WHERE wave IS NOT NULL
GROUP BY cohort_id, program_id, participant_key, role, wave;
