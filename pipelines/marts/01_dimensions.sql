-- Dimensions derived from the loaded facts, rebuilt after every ingest run.
-- depends on: people, enrolments, sessions

DELETE FROM teams;
INSERT INTO teams
SELECT DISTINCT team_id, department, team FROM people;

DELETE FROM coaches;
INSERT INTO coaches
SELECT coach_id FROM enrolments WHERE coach_id IS NOT NULL
UNION
SELECT coach_id FROM sessions WHERE coach_id IS NOT NULL;

DELETE FROM cohorts;
INSERT INTO cohorts
SELECT cohort_id,
       any_value(program_id ORDER BY start_date),   -- a cohort belongs to one program
       min(start_date),
       max(end_date),
       bool_and(status = 'waitlist'),
       count(DISTINCT participant_key)
FROM enrolments
GROUP BY cohort_id;

DELETE FROM employment_events;
INSERT INTO employment_events
SELECT participant_key, 'hire', hire_date, NULL FROM people WHERE hire_date IS NOT NULL
UNION ALL
SELECT participant_key, 'exit', exit_date, exit_type FROM people WHERE exit_date IS NOT NULL;
