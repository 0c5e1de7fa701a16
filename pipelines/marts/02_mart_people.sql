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

-- participant_key -> pid, a small integer surrogate (ordered by participant_key), with the person's
-- groups and the dates retention needs: distinct counts and per-person aggregation in the query
-- layer and the panel mart (03_mart_panel.sql) run on integers.
CREATE OR REPLACE TABLE mart_person_ids AS
SELECT participant_key, (row_number() OVER (ORDER BY participant_key))::INTEGER AS pid,
       department, team_id, career_phase, hire_date, exit_date, exit_type, first_start_date
FROM mart_people;
