"""The retention statements: the reference RETENTION_SQL and RETENTION_PEOPLE_SQL on the base marts and
the fast retention_fast_sql on mart_person_ids."""

from __future__ import annotations

from dashboard.queries.sql.common import COHORT_FILTER, PEOPLE_FILTER

RETENTION_SQL = """
WITH scope_cohorts AS (
    SELECT c.* FROM cohorts c WHERE """ + COHORT_FILTER + """
),
as_of AS (SELECT $as_of::DATE AS as_of),
coached AS (
    SELECT e.participant_key, arg_min(e.start_date, e.start_date) AS entry,
           arg_min(c.program_id, e.start_date) AS program
    FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
    JOIN mart_people mp ON mp.participant_key = e.participant_key
    WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND """ + PEOPLE_FILTER + """
    GROUP BY e.participant_key
),
comparison AS (
    -- each comparison person enters once: at the first in-scope cohort start at which they are employed
    -- and not yet coached (entry depends only on the past, so it carries no information on survival)
    SELECT mp.participant_key, min(c.start_date) AS entry, arg_min(c.program_id, c.start_date) AS program,
           1.0 AS weight, any_value(mp.first_start_date) AS crossover
    FROM scope_cohorts c
    JOIN mart_people mp ON (mp.hire_date IS NULL OR mp.hire_date <= c.start_date)
                       AND (mp.exit_date IS NULL OR mp.exit_date > c.start_date)
                       AND (mp.first_start_date IS NULL OR mp.first_start_date > c.start_date)
    WHERE """ + PEOPLE_FILTER + """
    GROUP BY mp.participant_key{per_program}
),
spells AS (
    SELECT 'coached' AS role, x.participant_key, x.entry, x.program, 1.0 AS weight, NULL::DATE AS crossover
    FROM coached x
    UNION ALL
    SELECT 'comparison', participant_key, entry, program, weight, crossover FROM comparison
),
ends AS (
    SELECT s.*, mp.career_phase, 'All' AS _all,
           least(coalesce(mp.exit_date, a.as_of), a.as_of, coalesce(s.crossover, a.as_of)) AS stop,
           coalesce(mp.exit_type = 'voluntary' AND mp.exit_date <= a.as_of
            AND (s.crossover IS NULL OR mp.exit_date <= s.crossover), false) AS event
    FROM spells s JOIN mart_people mp USING (participant_key) CROSS JOIN as_of a
    WHERE s.entry < a.as_of
)
SELECT {g} AS grp, role, date_diff('day', entry, stop) AS days, event,
       sum(weight) AS weight, count(*) AS rows_, count(DISTINCT participant_key) AS people
FROM ends GROUP BY ALL ORDER BY ALL
"""

RETENTION_PEOPLE_SQL = RETENTION_SQL[:RETENTION_SQL.index("\nSELECT {g} AS grp")] + """
SELECT {g} AS grp, role, count(DISTINCT participant_key) AS n,
       count(DISTINCT participant_key) FILTER (WHERE event) AS exits
FROM ends GROUP BY ALL ORDER BY ALL
"""

# the end of a spell (exit, the as-of date, or the comparison person's coaching start) and whether it ended
# in a voluntary exit; `s` a spell row with exit_date, exit_type and crossover, `a` the as-of date
_STOP_EVENT = """least(coalesce(s.exit_date, a.as_of), a.as_of, coalesce(s.crossover, a.as_of)) AS stop,
           coalesce(s.exit_type = 'voluntary' AND s.exit_date <= a.as_of
            AND (s.crossover IS NULL OR s.exit_date <= s.crossover), false) AS event"""

# the people in scope, and per spell-defining tuple the first in-scope cohort start on or after the hire date
_PERSONS_FIRST_START = f"""
WITH scope_cohorts AS (
    SELECT c.* FROM cohorts c WHERE {COHORT_FILTER}
),
as_of AS (SELECT $as_of::DATE AS as_of),
persons AS (
    SELECT mp.pid, coalesce(mp.hire_date, DATE '0001-01-01') AS from_date, mp.exit_date, mp.exit_type,
           mp.first_start_date, mp.career_phase
    FROM mart_person_ids mp WHERE {PEOPLE_FILTER}
),
first_start AS (
    -- the first in-scope cohort start on or after the hire date, people counted per spell-defining tuple
    SELECT c.start_date AS bstart, c.program_id AS bprogram, mp.exit_date, mp.exit_type, mp.first_start_date,
           mp.career_phase, count(*) AS cnt
    FROM persons mp ASOF JOIN scope_cohorts c ON mp.from_date <= c.start_date
    GROUP BY ALL
),"""

# summary rows of the spells in `ends` (grp, role, entry, stop, event, cnt): kind 'agg' (grp, role, days,
# event, weight, as RETENTION_SQL) and kind 'people' (grp, role, n, exits, as RETENTION_PEOPLE_SQL). Every
# spell set holds one person per row and count (per program where the entry is once per program, and then
# grp is the program; per cohort where grp is the cohort), so the sum of the counts is the number of
# distinct people of the group
_SUMMARY = """
SELECT 'agg' AS kind, grp, role, date_diff('day', entry, stop) AS days, event, sum(cnt)::DOUBLE AS weight,
       NULL::BIGINT AS n, NULL::BIGINT AS exits
FROM ends GROUP BY ALL
UNION ALL
SELECT 'people', grp, role, NULL, NULL, NULL, sum(cnt)::BIGINT, coalesce(sum(cnt) FILTER (WHERE event), 0)::BIGINT
FROM ends GROUP BY grp, role
ORDER BY ALL"""


def _qualifies(entry: str) -> str:
    """A comparison spell qualifies at `entry` when the person (a first_start row `s`) has neither left nor
    been coached by then."""
    return (f"(s.exit_date IS NULL OR s.exit_date > {entry}) "
            f"AND (s.first_start_date IS NULL OR s.first_start_date > {entry})")


def _coached(per_cohort: bool) -> str:
    """The coached spells: a person's first in-scope enrolment start (per cohort: the enrolment's)."""
    return f"""coached AS (
    SELECT {"e.cohort_id AS grp, " if per_cohort else ""}'coached' AS role, min(e.start_date) AS entry,
           arg_min(c.program_id, e.start_date) AS program, 1 AS cnt, NULL::DATE AS crossover,
           any_value(mp.exit_date) AS exit_date, any_value(mp.exit_type) AS exit_type,
           any_value(mp.career_phase) AS career_phase
    FROM mart_enrolments e JOIN scope_cohorts c USING (cohort_id)
    JOIN mart_person_ids mp ON mp.pid = e.pid
    WHERE ($f_coach IS NULL OR e.coach_id = $f_coach) AND {PEOPLE_FILTER}
    GROUP BY {"e.cohort_id, " if per_cohort else ""}mp.pid
)"""


def retention_fast_sql(groupings: list[tuple[str, bool]]) -> str:
    """RETENTION_SQL and RETENTION_PEOPLE_SQL in one statement, for one or more (group column,
    comparison entry once per program) pairs. Rows with kind 'agg': grp, role, days, event, weight
    (as RETENTION_SQL); rows with kind 'people': grp, role, n, exits (as RETENTION_PEOPLE_SQL).

    The comparison group's entry is found with an ASOF join (the first in-scope cohort start on or after
    the hire date; it qualifies when the person has neither left nor been coached by then, and then no
    later start can qualify either, both being upper bounds), not by joining every person to every cohort.
    A comparison spell depends only on that first start (and its cohort's program), the exit date and
    type, the first coaching start and the career phase, so the people are counted per such tuple first
    (`cnt`: a few tens of thousands of rows at 250,000 people) and every later step runs on the tuples,
    each weighing `cnt` people. Entry once per program: the program's first in-scope cohort start on or
    after that first start (no in-scope cohort starts between the hire date and it), a small lookup."""
    for g, _ in groupings:
        if g not in ("program", "career_phase", "_all"):
            raise ValueError(f"unknown retention group {g!r}")
    variants = sorted({pp for _, pp in groupings})
    comp = []
    for pp in variants:
        if pp:
            comp.append(f"""comparison_pp AS (
    SELECT 'comparison' AS role, pe.entry, pe.program_id AS program, s.cnt, s.first_start_date AS crossover,
           s.exit_date, s.exit_type, s.career_phase
    FROM first_start s JOIN program_entry pe USING (bstart)
    WHERE {_qualifies("pe.entry")}
)""")
        else:
            comp.append(f"""comparison_once AS (
    SELECT 'comparison' AS role, s.bstart AS entry, s.bprogram AS program, s.cnt, s.first_start_date AS crossover,
           s.exit_date, s.exit_type, s.career_phase
    FROM first_start s
    WHERE {_qualifies("s.bstart")}
)""")
    ends = []
    for g, pp in groupings:
        col = {"program": "s.program", "career_phase": "s.career_phase", "_all": "'All'"}[g]
        spells = "comparison_pp" if pp else "comparison_once"
        ends.append(f"""SELECT {col} AS grp, s.role, s.entry, s.cnt,
           {_STOP_EVENT}
    FROM (SELECT * FROM coached UNION ALL SELECT * FROM {spells}) s CROSS JOIN as_of a
    WHERE s.entry < a.as_of""")
    comp_sql = ",\n".join(comp)
    ends_sql = "\n    UNION ALL\n    ".join(ends)
    program_entry = """
program_entry AS (
    -- per first start: each program's first in-scope cohort start on or after it
    SELECT b.bstart, c.program_id, min(c.start_date) AS entry
    FROM (SELECT DISTINCT bstart FROM first_start) b JOIN scope_cohorts c ON c.start_date >= b.bstart
    GROUP BY ALL
),""" if True in variants else ""
    return f"""{_PERSONS_FIRST_START}{program_entry}
{_coached(False)},
{comp_sql},
ends AS (
    {ends_sql}
){_SUMMARY}"""


def retention_cohorts_sql() -> str:
    """retention_fast_sql's rows (grouping '_all') for each in-scope cohort as if the filters chose that one
    cohort, grp being the cohort: its coached people from their enrolment start, and its comparison group,
    everyone in scope employed and not yet coached at the cohort's start, entering then. One statement
    for what a cohort filter gives cohort by cohort (the ROI by cohort).

    A person is employed at a cohort's start when hired by then (the first in-scope start on or after the
    hire date is on or before it) and has neither left nor been coached by then."""
    return f"""{_PERSONS_FIRST_START}
{_coached(True)},
comparison AS (
    SELECT c.cohort_id AS grp, 'comparison' AS role, c.start_date AS entry, s.cnt,
           s.first_start_date AS crossover, s.exit_date, s.exit_type
    FROM first_start s JOIN scope_cohorts c ON s.bstart <= c.start_date
    WHERE {_qualifies("c.start_date")}
),
ends AS (
    SELECT s.grp, s.role, s.entry, s.cnt,
           {_STOP_EVENT}
    FROM (SELECT grp, role, entry, cnt, crossover, exit_date, exit_type FROM coached
          UNION ALL SELECT * FROM comparison) s CROSS JOIN as_of a
    WHERE s.entry < a.as_of
){_SUMMARY}"""


# The coached people and their voluntary exits per value of one filter's dimension (the whitelisted column
# of mart_enrolments `x`), under a filter's parent: the line that rule 2 across the filter's values protects
# (survival._exit_lines). A person counts under a value from their first in-scope enrolment start with it,
# as the retention of that value's filter counts them.
EXIT_LINE_COLUMNS = {"program": "program_id", "cohort": "cohort_id", "coach": "coach_id",
                     "department": "department", "team": "team_id", "career_phase": "career_phase"}


def exit_lines_sql(dim: str) -> str:
    if dim not in EXIT_LINE_COLUMNS:
        raise ValueError(f"unknown dimension {dim!r}")
    x = EXIT_LINE_COLUMNS[dim]
    return f"""
WITH scope_cohorts AS (
    SELECT c.* FROM cohorts c WHERE {COHORT_FILTER}
),
firsts AS (
    SELECT mp.pid, mp.{x}::VARCHAR AS x, min(mp.start_date) AS start
    FROM mart_enrolments mp JOIN scope_cohorts c USING (cohort_id)
    WHERE {PEOPLE_FILTER}
      AND ($f_coach IS NULL OR mp.coach_id = $f_coach)
    GROUP BY ALL
)
SELECT f.x, count(*) AS n,
       count(*) FILTER (WHERE p.exit_type = 'voluntary' AND p.exit_date >= f.start
                        AND p.exit_date <= $as_of::DATE) AS exits
FROM firsts f JOIN mart_person_ids p USING (pid)
GROUP BY f.x ORDER BY f.x
"""
