-- The query layer's panel, precomputed (issue 7): one row per cohort x person x role of
-- mart_response_waves, with the person's groups, the enrolment's coach and every measure's score in
-- every wave pivoted wide (column <wave>_<measure>; NULL = no response in that wave or no score).
-- A view's matched panel for a measure and a wave pair is then one scan of two columns of one table,
-- without joins. `pid` is a small integer surrogate of participant_key (mart_person_ids) so that
-- distinct counts and per-person aggregation run on integers.

CREATE OR REPLACE TABLE mart_person_ids AS
SELECT participant_key, (row_number() OVER (ORDER BY participant_key))::INTEGER AS pid
FROM mart_people;

CREATE OR REPLACE TABLE mart_panel AS
WITH scored AS (
    SELECT w.cohort_id, w.program_id, w.role, ids.pid, mp.department, mp.team_id, mp.career_phase,
           e.coach_id, w.wave,
           r.engagement, r.vigour, r.dedication, r.absorption, r.motivation_sdi, r.intrinsic, r.integrated,
           r.identified, r.introjected, r.external, r.amotivation, r.values_alignment, r.intent_to_stay,
           CASE WHEN r.enps >= 9 THEN 100.0 WHEN r.enps <= 6 THEN -100.0
                WHEN r.enps IS NOT NULL THEN 0.0 END AS enps_score
    FROM mart_response_waves w
    JOIN survey_responses r ON r.response_id = w.response_id
    JOIN mart_people mp ON mp.participant_key = w.participant_key
    JOIN mart_person_ids ids ON ids.participant_key = w.participant_key
    LEFT JOIN enrolments e ON w.role = 'coached' AND e.participant_key = w.participant_key
                          AND e.cohort_id = w.cohort_id
),
wide AS (
    PIVOT scored ON wave IN ('baseline', 'mid', 'post', 'follow_up')
    USING max(engagement) AS engagement, max(vigour) AS vigour, max(dedication) AS dedication,
          max(absorption) AS absorption, max(motivation_sdi) AS motivation_sdi, max(intrinsic) AS intrinsic,
          max(integrated) AS integrated, max(identified) AS identified, max(introjected) AS introjected,
          max(external) AS external, max(amotivation) AS amotivation,
          max(values_alignment) AS values_alignment, max(intent_to_stay) AS intent_to_stay,
          max(enps_score) AS enps_score
    GROUP BY cohort_id, program_id, role, pid, department, team_id, career_phase, coach_id
)
SELECT * FROM wide
ORDER BY role, cohort_id, pid;
