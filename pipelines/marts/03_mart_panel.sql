-- depends on: people, enrolments, survey
-- The query layer's panel (issue 7): which response is each person's baseline / mid / post /
-- follow_up relative to each cohort, and every measure's score in each of those waves, wide.
--
-- Coached people: their own enrolment dates; a wave column in the survey file overrides them for the
-- enrolment whose span (its baseline window up to the next enrolment's) holds the response. Comparison
-- group: the cohort's dates, for people never coached or not coached until after the cohort's post
-- window, employed at the cohort's start; their responses from their own coaching start on are in no wave.
-- Parameters: $baseline_before, $baseline_after, $post_around, $follow_up_after (days).
--
-- pid: the small integer surrogate of participant_key from mart_person_ids (02_mart_people.sql).
-- mart_panel: one row per cohort x person x role; columns <wave>_rid (the chosen response) and
-- <wave>_<measure>, NULL when the person has no response in that wave or the response has no score
-- (enps_score: eNPS points, +100 promoter 9-10, 0 passive, -100 detractor 0-6). A view's matched
-- panel for a measure and a wave pair is a scan of two columns of one table.
-- mart_response_waves: a view, one row per (cohort, person, role, wave) with a response in the
-- wave's window; the long form of mart_panel's <wave>_rid columns.
--
-- At 250,000 people the panel holds millions of comparison rows (every comparison person, every
-- cohort), so the classification, the grouping and the joins run on small integers (person, cohort,
-- wave) and names are joined on once, at the end; the long form is not stored.
-- Column names and the eNPS points follow dashboard/queries/sql/common.py (MEASURES, ENPS_POINTS);
-- tests/test_queries_marts.py checks the panel against the slow path over mart_response_waves.

CREATE OR REPLACE TEMP TABLE _mp_person AS
SELECT pid, hire_date, exit_date FROM mart_person_ids;

-- dates as day numbers (days since 1970-01-01) and the submission time as epoch seconds: the
-- classification below compares every anchor with every response of the person, and plain integers
-- compare faster than dates shifted by intervals (which DuckDB compares as timestamps)
CREATE OR REPLACE TEMP TABLE _mp_response AS
SELECT r.response_id, ids.pid, (r.submitted_at::DATE - DATE '1970-01-01')::INTEGER AS day,
       epoch(r.submitted_at)::BIGINT AS ep,
       list_position(['baseline', 'mid', 'post', 'follow_up'], r.wave_reported)::TINYINT AS w_reported
FROM survey_responses r JOIN mart_person_ids ids USING (participant_key);

-- each response's measures, narrow: the wide panel joins it four times (once per wave)
CREATE OR REPLACE TEMP TABLE _mp_score AS
SELECT response_id, engagement, vigour, dedication, absorption, motivation_sdi, intrinsic, integrated,
       identified, introjected, external, amotivation, values_alignment, intent_to_stay,
       CASE WHEN enps >= 9 THEN 100.0 WHEN enps <= 6 THEN -100.0
            WHEN enps IS NOT NULL THEN 0.0 END AS enps_score
FROM survey_responses;

CREATE OR REPLACE TEMP TABLE _mp_cohort AS
SELECT cohort_id, program_id, start_date, end_date, (row_number() OVER (ORDER BY cohort_id))::SMALLINT AS cidx
FROM cohorts WHERE NOT is_waitlist;

CREATE OR REPLACE TEMP TABLE _mp_enrolled AS
SELECT ids.pid, c.cidx, e.start_date, e.end_date, e.status, e.coach_id
FROM enrolments e
JOIN mart_person_ids ids USING (participant_key)
LEFT JOIN _mp_cohort c USING (cohort_id);

-- The chosen responses first, stored, then the wide join: one statement doing both took 6.0 s at
-- 250,000 people, the two steps 3.5 s (the planner builds the joins better on a stored input).
CREATE OR REPLACE TEMP TABLE _mp_panel AS
WITH first_coached AS (
    SELECT pid, min(start_date) AS first_start FROM _mp_enrolled WHERE status <> 'waitlist' GROUP BY pid
),
coached AS (
    SELECT e.cidx, e.pid, (e.start_date - DATE '1970-01-01')::INTEGER AS start_day,
           (e.end_date - DATE '1970-01-01')::INTEGER AS end_day
    FROM _mp_enrolled e
    WHERE e.status <> 'waitlist' AND e.cidx IS NOT NULL
),
anchors AS (
    -- coached: one anchor pair per enrolment. until_day: the baseline window of the person's next
    -- (later-starting) enrolment opens there; a reported wave from then on belongs to that enrolment,
    -- not this one (NULL: the last enrolment, open-ended)
    SELECT cidx, pid, true AS coached, start_day, end_day,
           min(start_day) OVER (PARTITION BY pid ORDER BY start_day
                                RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) - $baseline_before::INTEGER AS until_day
    FROM coached
    UNION ALL
    -- comparison: the cohort's own dates. until_day: the person's own first coaching start (NULL: never
    -- coached); from then on their responses are a coached person's, not a comparison's. (until_day
    -- and its two tests below cost no measurable time at 250,000 people: this file's CPU time was
    -- 7.2-7.5 s with and without them, on day numbers as the rest.)
    SELECT c.cidx, p.pid, false, (c.start_date - DATE '1970-01-01')::INTEGER, (c.end_date - DATE '1970-01-01')::INTEGER,
           (f.first_start - DATE '1970-01-01')::INTEGER
    FROM _mp_cohort c
    JOIN _mp_person p
      ON (p.hire_date IS NULL OR p.hire_date <= c.start_date)
     AND (p.exit_date IS NULL OR p.exit_date > c.start_date)
    LEFT JOIN first_coached f ON f.pid = p.pid
    WHERE f.first_start IS NULL
       OR f.first_start > c.end_date + $post_around::INTEGER
),
classified AS (
    SELECT a.cidx, a.pid, a.coached, r.response_id,
           CASE
               -- a comparison person's response once their own coaching has begun: in no wave
               WHEN NOT a.coached AND r.day >= a.until_day THEN NULL
               -- a wave column in the file, for the enrolment whose span holds the response (from its
               -- baseline window to the next enrolment's): a person in two cohorts reports "baseline"
               -- twice, and the first must not become the second cohort's baseline
               WHEN a.coached AND r.w_reported IS NOT NULL AND r.day >= a.start_day - $baseline_before::INTEGER
                    AND (a.until_day IS NULL OR r.day < a.until_day) THEN r.w_reported
               WHEN r.day BETWEEN a.start_day - $baseline_before::INTEGER AND a.start_day + $baseline_after::INTEGER THEN 1
               WHEN r.day BETWEEN a.end_day - $post_around::INTEGER AND a.end_day + $post_around::INTEGER THEN 3
               WHEN r.day >= a.end_day + $follow_up_after::INTEGER THEN 4
               WHEN r.day > a.start_day + $baseline_after::INTEGER AND r.day < a.end_day - $post_around::INTEGER THEN 2
           END::TINYINT AS w,
           -- which response wins when several fall in one window: the closest to the wave's anchor
           -- (in days), then the earliest; one BIGINT, because arg_min over a struct is slow
           CASE
               WHEN r.day <= a.start_day + $baseline_after::INTEGER THEN abs(r.day - a.start_day)
               ELSE abs(r.day - a.end_day)
           END::BIGINT * 10000000000 + r.ep AS pick
    FROM anchors a
    JOIN _mp_response r USING (pid)
),
panel AS (
    -- one row per cohort x person x role: the chosen response of each wave
    SELECT cidx, coached, pid,
           arg_min(response_id, pick) FILTER (WHERE w = 1) AS baseline_rid,
           arg_min(response_id, pick) FILTER (WHERE w = 2) AS mid_rid,
           arg_min(response_id, pick) FILTER (WHERE w = 3) AS post_rid,
           arg_min(response_id, pick) FILTER (WHERE w = 4) AS follow_up_rid
    FROM classified
    WHERE w IS NOT NULL
    GROUP BY cidx, coached, pid
)
-- Stored by which waves a row has (baseline and post first): the wide join below keeps this order
-- (insertion order is preserved), so a view's `<pre>_rid IS NOT NULL AND <post>_rid IS NOT NULL`
-- skips whole row groups of mart_panel. For the default baseline -> post pair at 250,000 people
-- the overview's statement took 25% less; the sort costs no measurable build time (it is on ids).
SELECT * FROM panel
ORDER BY baseline_rid IS NULL, post_rid IS NULL, follow_up_rid IS NULL, mid_rid IS NULL;

CREATE OR REPLACE TABLE mart_panel AS
SELECT c.cohort_id, c.program_id, CASE WHEN k.coached THEN 'coached' ELSE 'comparison' END AS role, k.pid,
       ids.department, ids.team_id, ids.career_phase, e.coach_id,
       k.baseline_rid, k.mid_rid, k.post_rid, k.follow_up_rid,
       b.engagement AS baseline_engagement,
       b.vigour AS baseline_vigour,
       b.dedication AS baseline_dedication,
       b.absorption AS baseline_absorption,
       b.motivation_sdi AS baseline_motivation_sdi,
       b.intrinsic AS baseline_intrinsic,
       b.integrated AS baseline_integrated,
       b.identified AS baseline_identified,
       b.introjected AS baseline_introjected,
       b.external AS baseline_external,
       b.amotivation AS baseline_amotivation,
       b.values_alignment AS baseline_values_alignment,
       b.intent_to_stay AS baseline_intent_to_stay,
       b.enps_score AS baseline_enps_score,
       m.engagement AS mid_engagement,
       m.vigour AS mid_vigour,
       m.dedication AS mid_dedication,
       m.absorption AS mid_absorption,
       m.motivation_sdi AS mid_motivation_sdi,
       m.intrinsic AS mid_intrinsic,
       m.integrated AS mid_integrated,
       m.identified AS mid_identified,
       m.introjected AS mid_introjected,
       m.external AS mid_external,
       m.amotivation AS mid_amotivation,
       m.values_alignment AS mid_values_alignment,
       m.intent_to_stay AS mid_intent_to_stay,
       m.enps_score AS mid_enps_score,
       p.engagement AS post_engagement,
       p.vigour AS post_vigour,
       p.dedication AS post_dedication,
       p.absorption AS post_absorption,
       p.motivation_sdi AS post_motivation_sdi,
       p.intrinsic AS post_intrinsic,
       p.integrated AS post_integrated,
       p.identified AS post_identified,
       p.introjected AS post_introjected,
       p.external AS post_external,
       p.amotivation AS post_amotivation,
       p.values_alignment AS post_values_alignment,
       p.intent_to_stay AS post_intent_to_stay,
       p.enps_score AS post_enps_score,
       f.engagement AS follow_up_engagement,
       f.vigour AS follow_up_vigour,
       f.dedication AS follow_up_dedication,
       f.absorption AS follow_up_absorption,
       f.motivation_sdi AS follow_up_motivation_sdi,
       f.intrinsic AS follow_up_intrinsic,
       f.integrated AS follow_up_integrated,
       f.identified AS follow_up_identified,
       f.introjected AS follow_up_introjected,
       f.external AS follow_up_external,
       f.amotivation AS follow_up_amotivation,
       f.values_alignment AS follow_up_values_alignment,
       f.intent_to_stay AS follow_up_intent_to_stay,
       f.enps_score AS follow_up_enps_score
FROM _mp_panel k
JOIN _mp_cohort c USING (cidx)
JOIN mart_person_ids ids ON ids.pid = k.pid
LEFT JOIN _mp_enrolled e ON k.coached AND e.cidx = k.cidx AND e.pid = k.pid
LEFT JOIN _mp_score b ON b.response_id = k.baseline_rid
LEFT JOIN _mp_score m ON m.response_id = k.mid_rid
LEFT JOIN _mp_score p ON p.response_id = k.post_rid
LEFT JOIN _mp_score f ON f.response_id = k.follow_up_rid;

CREATE OR REPLACE VIEW mart_response_waves AS
WITH long AS (
    SELECT cohort_id, program_id, role, pid, 'baseline' AS wave, baseline_rid AS response_id FROM mart_panel WHERE baseline_rid IS NOT NULL
    UNION ALL
    SELECT cohort_id, program_id, role, pid, 'mid', mid_rid FROM mart_panel WHERE mid_rid IS NOT NULL
    UNION ALL
    SELECT cohort_id, program_id, role, pid, 'post', post_rid FROM mart_panel WHERE post_rid IS NOT NULL
    UNION ALL
    SELECT cohort_id, program_id, role, pid, 'follow_up', follow_up_rid FROM mart_panel WHERE follow_up_rid IS NOT NULL
)
SELECT l.cohort_id, l.program_id, ids.participant_key, l.role, l.wave, l.response_id, r.submitted_at,
       e.status AS enrolment_status
FROM long l
JOIN mart_person_ids ids USING (pid)
JOIN survey_responses r USING (response_id)
LEFT JOIN enrolments e ON l.role = 'coached' AND e.participant_key = ids.participant_key AND e.cohort_id = l.cohort_id;

DROP TABLE _mp_panel;
DROP TABLE _mp_score;
DROP TABLE _mp_enrolled;
DROP TABLE _mp_cohort;
DROP TABLE _mp_response;
DROP TABLE _mp_person;
