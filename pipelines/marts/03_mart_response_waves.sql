-- Which response is each person's baseline / mid / post / follow_up, relative to each cohort.
-- depends on: people, enrolments, survey
-- Coached people: their own enrolment dates. Comparison group: the cohort's dates, for people never
-- coached or not coached until after the cohort's post window, employed at the cohort's start.
-- Parameters: $baseline_before, $baseline_after, $post_around, $follow_up_after (days).
--
-- At 250,000 people this table holds millions of rows (every comparison person, every cohort), so
-- the joins and the grouping run on small integers (person, cohort, wave, role) and the names are
-- joined back once at the end.
CREATE OR REPLACE TEMP TABLE _mrw_person AS
SELECT participant_key, (row_number() OVER ())::INTEGER AS pid, hire_date, exit_date FROM people;

CREATE OR REPLACE TEMP TABLE _mrw_response AS
SELECT r.response_id, p.pid, r.submitted_at, r.submitted_at::DATE AS d,
       list_position(['baseline', 'mid', 'post', 'follow_up'], r.wave_reported)::TINYINT AS w_reported
FROM survey_responses r JOIN _mrw_person p USING (participant_key);

CREATE OR REPLACE TEMP TABLE _mrw_cohort AS
SELECT cohort_id, program_id, start_date, end_date, (row_number() OVER (ORDER BY cohort_id))::SMALLINT AS cidx
FROM cohorts WHERE NOT is_waitlist;

CREATE OR REPLACE TEMP TABLE _mrw_enrolled AS
SELECT p.pid, c.cidx, e.start_date, e.end_date, e.status
FROM enrolments e
JOIN _mrw_person p USING (participant_key)
LEFT JOIN _mrw_cohort c USING (cohort_id);

CREATE OR REPLACE TABLE mart_response_waves AS
WITH first_coached AS (
    SELECT pid, min(start_date) AS first_start FROM _mrw_enrolled WHERE status <> 'waitlist' GROUP BY pid
),
anchors AS (
    -- coached: one anchor pair per enrolment
    SELECT e.cidx, e.pid, true AS coached, e.start_date, e.end_date
    FROM _mrw_enrolled e
    WHERE e.status <> 'waitlist' AND e.cidx IS NOT NULL
    UNION ALL
    -- comparison: the cohort's own dates
    SELECT c.cidx, p.pid, false, c.start_date, c.end_date
    FROM _mrw_cohort c
    JOIN _mrw_person p
      ON (p.hire_date IS NULL OR p.hire_date <= c.start_date)
     AND (p.exit_date IS NULL OR p.exit_date > c.start_date)
    LEFT JOIN first_coached f ON f.pid = p.pid
    WHERE f.first_start IS NULL
       OR f.first_start > c.end_date + to_days($post_around::INTEGER)
),
classified AS (
    SELECT a.cidx, a.pid, a.coached, r.response_id, r.submitted_at,
           CASE
               WHEN a.coached AND r.w_reported IS NOT NULL THEN r.w_reported
               WHEN r.d BETWEEN a.start_date - to_days($baseline_before::INTEGER)
                            AND a.start_date + to_days($baseline_after::INTEGER) THEN 1
               WHEN r.d BETWEEN a.end_date - to_days($post_around::INTEGER)
                            AND a.end_date + to_days($post_around::INTEGER) THEN 3
               WHEN r.d >= a.end_date + to_days($follow_up_after::INTEGER) THEN 4
               WHEN r.d > a.start_date + to_days($baseline_after::INTEGER)
                AND r.d < a.end_date - to_days($post_around::INTEGER) THEN 2
           END::TINYINT AS w,
           -- which response wins when several fall in one window: the closest to the wave's anchor
           -- (in days), then the earliest; one BIGINT, because arg_min over a struct is slow
           CASE
               WHEN r.d <= a.start_date + to_days($baseline_after::INTEGER) THEN abs(date_diff('day', a.start_date, r.d))
               ELSE abs(date_diff('day', a.end_date, r.d))
           END::BIGINT * 10000000000 + epoch(r.submitted_at)::BIGINT AS pick
    FROM anchors a
    JOIN _mrw_response r USING (pid)
),
chosen AS (
    SELECT cidx, pid, coached, w,
           arg_min(response_id, pick) AS response_id,
           arg_min(submitted_at, pick) AS submitted_at
    FROM classified
    WHERE w IS NOT NULL
    GROUP BY cidx, pid, coached, w
)
SELECT c.cohort_id, c.program_id, p.participant_key,
       CASE WHEN x.coached THEN 'coached' ELSE 'comparison' END AS role,
       ['baseline', 'mid', 'post', 'follow_up'][x.w] AS wave,
       x.response_id, x.submitted_at,
       e.status AS enrolment_status
FROM chosen x
JOIN _mrw_cohort c USING (cidx)
JOIN _mrw_person p USING (pid)
LEFT JOIN _mrw_enrolled e ON x.coached AND e.pid = x.pid AND e.cidx = x.cidx;

DROP TABLE _mrw_enrolled;
DROP TABLE _mrw_cohort;
DROP TABLE _mrw_response;
DROP TABLE _mrw_person;
