-- One row a person: where they sit, their career phase, and whether and when they were coached.
-- depends on: people, enrolments
CREATE OR REPLACE TABLE mart_people AS
WITH first_enrolment AS (
    SELECT participant_key,
           arg_min(cohort_id, start_date)  AS first_cohort_id,
           arg_min(program_id, start_date) AS first_program_id,
           min(start_date)                 AS first_start_date
    FROM enrolments
    WHERE status <> 'waitlist'
    GROUP BY participant_key
)
SELECT p.participant_key,
       p.department,
       p.team,
       p.team_id,
       p.job_level,
       p.career_phase,
       p.salary_band,
       p.hire_date,
       p.exit_date,
       p.exit_type,
       f.participant_key IS NOT NULL AS coached,
       f.first_cohort_id,
       f.first_program_id,
       f.first_start_date
FROM people p
LEFT JOIN first_enrolment f USING (participant_key);
