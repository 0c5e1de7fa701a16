-- depends on: people, enrolments, survey
-- The query layer's panel, precomputed (issue 7). One row per cohort x person x role of
-- mart_response_waves: the person's groups (department, team, career phase), the enrolment's coach
-- (coached rows) and every measure's score in every wave, wide: column <wave>_<measure>, NULL when
-- the person has no response in that wave or the response has no score (enps_score: eNPS points,
-- +100 promoter 9-10, 0 passive, -100 detractor 0-6). A view's matched panel for a measure and a wave
-- pair is then a scan of two columns of one table, where it joined mart_response_waves,
-- survey_responses, mart_people and enrolments on 64-character keys. `pid` is a small integer
-- surrogate of participant_key (mart_person_ids, which also carries the person's groups and the
-- dates retention needs), so that distinct counts and per-person aggregation run on integers.
-- Column names and the eNPS points follow dashboard/queries/sql.py (MEASURES, ENPS_POINTS);
-- tests/test_queries_marts.py checks this mart against the slow path.

CREATE OR REPLACE TABLE mart_person_ids AS
SELECT participant_key, (row_number() OVER (ORDER BY participant_key))::INTEGER AS pid,
       department, team_id, career_phase, hire_date, exit_date, exit_type, first_start_date
FROM mart_people;

CREATE OR REPLACE TABLE mart_panel AS
WITH keyed AS (
    SELECT w.cohort_id, w.program_id, w.role, ids.pid, w.wave, w.response_id
    FROM mart_response_waves w
    JOIN mart_person_ids ids ON ids.participant_key = w.participant_key
),
panel AS (
    SELECT cohort_id, role, pid, any_value(program_id) AS program_id,
           max(response_id) FILTER (WHERE wave = 'baseline') AS baseline_rid,
           max(response_id) FILTER (WHERE wave = 'mid') AS mid_rid,
           max(response_id) FILTER (WHERE wave = 'post') AS post_rid,
           max(response_id) FILTER (WHERE wave = 'follow_up') AS follow_up_rid
    FROM keyed
    GROUP BY cohort_id, role, pid
),
coach AS (
    SELECT e.cohort_id, ids.pid, e.coach_id
    FROM enrolments e JOIN mart_person_ids ids ON ids.participant_key = e.participant_key
)
SELECT k.cohort_id, k.program_id, k.role, k.pid, ids.department, ids.team_id, ids.career_phase, coach.coach_id,
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
       CASE WHEN b.enps >= 9 THEN 100.0 WHEN b.enps <= 6 THEN -100.0
            WHEN b.enps IS NOT NULL THEN 0.0 END AS baseline_enps_score,
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
       CASE WHEN m.enps >= 9 THEN 100.0 WHEN m.enps <= 6 THEN -100.0
            WHEN m.enps IS NOT NULL THEN 0.0 END AS mid_enps_score,
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
       CASE WHEN p.enps >= 9 THEN 100.0 WHEN p.enps <= 6 THEN -100.0
            WHEN p.enps IS NOT NULL THEN 0.0 END AS post_enps_score,
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
       CASE WHEN f.enps >= 9 THEN 100.0 WHEN f.enps <= 6 THEN -100.0
            WHEN f.enps IS NOT NULL THEN 0.0 END AS follow_up_enps_score
FROM panel k
JOIN mart_person_ids ids ON ids.pid = k.pid
LEFT JOIN coach ON k.role = 'coached' AND coach.cohort_id = k.cohort_id AND coach.pid = k.pid
LEFT JOIN survey_responses b ON b.response_id = k.baseline_rid
LEFT JOIN survey_responses m ON m.response_id = k.mid_rid
LEFT JOIN survey_responses p ON p.response_id = k.post_rid
LEFT JOIN survey_responses f ON f.response_id = k.follow_up_rid;
