-- name: costs
-- Fully loaded costs and the coached headcount per group (Phillips ROI, DOMAIN.md).
-- Every value is a bound parameter ($f_* filters, $session_hours). The only text formatted in is
-- {cohort_filter} / {people_filter} (the query layer's constant filter clauses, dashboard.queries.sql),
-- {g}, a column name from the whitelist in dashboard/roi/view.py, and {sets(...)}: the grouping sets,
-- ((_g, ...), (...)) for a breakdown (its groups and the total row "All" in one statement), ((_g, ...))
-- without one (then _g is the constant 'All').
-- Read from mart_enrolments (pipelines/marts/04_mart_enrolments.sql: one row a non-waitlist enrolment,
-- with the person's integer key and groups under mart_people's column names, so {people_filter} applies
-- to it as `mp`, and the hours logged within the enrolment's dates).
-- Fees: programs.cost_per_participant per enrolment, else programs.total_cost shared equally over
-- the program's non-waitlist enrolments. Program admin: programs.admin_cost shared the same way.
-- Hours: the participant's logged sessions within the enrolment's dates; where none are logged,
-- sessions attended (else planned) x $session_hours.
WITH scope_cohorts AS (
    SELECT c.* FROM cohorts c WHERE {cohort_filter}
),
program_enrolments AS (
    SELECT program_id, count(*) AS enrolments_all
    FROM enrolments WHERE status <> 'waitlist'
    GROUP BY program_id
),
priced AS (
    SELECT mp.pid, mp.cohort_id, mp.program_id, mp.career_phase, 'All' AS _all,
           coalesce(mp.hours_logged, mp.sessions_n * $session_hours::DOUBLE) AS hours,
           mp.hours_logged IS NOT NULL AS hours_logged,
           coalesce(pr.cost_per_participant::DOUBLE, pr.total_cost::DOUBLE / pe.enrolments_all, 0.0) AS fee,
           coalesce(pr.admin_cost::DOUBLE, 0.0) / pe.enrolments_all AS program_admin,
           upper(pr.currency) AS currency
    FROM mart_enrolments mp
    JOIN scope_cohorts c USING (cohort_id)
    JOIN programs pr ON pr.program_id = mp.program_id
    JOIN program_enrolments pe ON pe.program_id = mp.program_id
    WHERE ($f_coach IS NULL OR mp.coach_id = $f_coach)
      AND {people_filter}
)
SELECT CASE WHEN grouping(_g) = 1 THEN 'All' ELSE _g END AS grp,
       count(DISTINCT pid) AS headcount,
       count(*) AS enrolments,
       sum(fee) AS coaching_fees,
       sum(hours) AS session_hours,
       sum(program_admin) AS program_admin_cost,
       count(*) FILTER (WHERE hours_logged) AS enrolments_hours_logged,
       list(DISTINCT currency ORDER BY currency) AS currencies
FROM (SELECT *, {g}::VARCHAR AS _g FROM priced)
GROUP BY GROUPING SETS {sets()}
ORDER BY grouping(_g), grp;

-- name: salary_mix
-- The coached headcount of each group by job level and salary band, to price one exit. Internal
-- only: never shown or exported, only the group's mean cost of an exit is. From mart_enrolments, as
-- costs.
WITH scope_cohorts AS (
    SELECT c.* FROM cohorts c WHERE {cohort_filter}
),
enr AS (
    SELECT {g}::VARCHAR AS _g, mp.pid, mp.job_level, mp.salary_band
    FROM (SELECT *, 'All' AS _all FROM mart_enrolments) mp
    JOIN scope_cohorts c USING (cohort_id)
    WHERE ($f_coach IS NULL OR mp.coach_id = $f_coach)
      AND {people_filter}
)
-- a person's job level and salary band are the person's (mart_people), so the distinct people of a
-- group x level x band are its distinct keys
SELECT CASE WHEN grouping(_g) = 1 THEN 'All' ELSE _g END AS grp, job_level, salary_band,
       count(DISTINCT pid) AS people
FROM enr
GROUP BY GROUPING SETS {sets(job_level, salary_band)}
ORDER BY grouping(_g), grp, job_level, salary_band;

-- name: baseline
-- Baseline comparability: coached vs comparison baseline level of intent to stay and engagement,
-- per group (the comparison people of the group's cohorts over the same calendar window).
-- Read from mart_panel (one row per cohort x person x role, baseline scores as columns; it carries the
-- person's groups under mart_people's column names, so {people_filter} applies to it as `mp`).
-- Means and SDs are over the panel rows; the counts are of distinct people (a comparison person is in
-- the panel of every cohort they serve): the bits set in a bitstring over the integer person key.
WITH scope_cohorts AS (
    SELECT c.* FROM cohorts c WHERE {cohort_filter}
),
b AS (
    SELECT mp.role = 'coached' AS coached, mp.pid, {g}::VARCHAR AS _g,
           mp.baseline_intent_to_stay AS intent_to_stay, mp.baseline_engagement AS engagement
    FROM (SELECT *, 'All' AS _all FROM mart_panel) mp
    WHERE mp.cohort_id IN (SELECT cohort_id FROM scope_cohorts)
      -- baseline_rid: implied by either score, but pushed into the scan, which skips the row groups of
      -- mart_panel without a baseline (the panel is stored by which waves a row has)
      AND mp.baseline_rid IS NOT NULL
      AND (mp.baseline_intent_to_stay IS NOT NULL OR mp.baseline_engagement IS NOT NULL)
      AND {people_filter}
      AND ($f_coach IS NULL OR mp.role = 'comparison' OR mp.coach_id = $f_coach)
),
-- per group x role first (distinct people as a bitstring, the moments as plain sums), then the groups and
-- the total row from those few rows: a person's bits are OR-ed across groups, so the total counts each
-- person once. Grouping the panel rows by sets directly fans every row out once per set (0.077 s against
-- 0.047 s at 250,000 people).
per AS (
    SELECT _g, coached,
           bitstring_agg(pid) FILTER (WHERE intent_to_stay IS NOT NULL) AS p_stay,
           count(intent_to_stay) AS k_stay, sum(intent_to_stay) AS s_stay,
           sum(intent_to_stay * intent_to_stay) AS ss_stay,
           bitstring_agg(pid) FILTER (WHERE engagement IS NOT NULL) AS p_eng,
           count(engagement) AS k_eng, sum(engagement) AS s_eng, sum(engagement * engagement) AS ss_eng
    FROM b
    GROUP BY _g, coached
)
-- the SDs from the sums: the scores are bounded, so sum(x^2) - sum(x)^2 / n loses nothing that shows
SELECT CASE WHEN grouping(_g) = 1 THEN 'All' ELSE _g END AS grp,
       CASE WHEN coached THEN 'coached' ELSE 'comparison' END AS role,
       coalesce(bit_count(bit_or(p_stay)), 0) AS n_stay,
       sum(s_stay) / nullif(sum(k_stay), 0) AS mean_stay,
       CASE WHEN sum(k_stay) > 1
            THEN sqrt(greatest(sum(ss_stay) - sum(s_stay) ^ 2 / sum(k_stay), 0) / (sum(k_stay) - 1)) END AS sd_stay,
       coalesce(bit_count(bit_or(p_eng)), 0) AS n_eng,
       sum(s_eng) / nullif(sum(k_eng), 0) AS mean_eng,
       CASE WHEN sum(k_eng) > 1
            THEN sqrt(greatest(sum(ss_eng) - sum(s_eng) ^ 2 / sum(k_eng), 0) / (sum(k_eng) - 1)) END AS sd_eng
FROM per
GROUP BY GROUPING SETS {sets(coached)}
ORDER BY grouping(_g), grp, role;
