"""The SQL shared by every family: the measure and breakdown whitelists, the filter clauses, the data's
as-of date, and the columns and filters of the precomputed panel mart_panel."""

from __future__ import annotations

MEASURE_COLUMNS = ("engagement", "vigour", "dedication", "absorption", "motivation_sdi", "intrinsic",
                   "integrated", "identified", "introjected", "external", "amotivation", "values_alignment",
                   "intent_to_stay")
MEASURES = MEASURE_COLUMNS + ("enps_score",)
ENPS_POINTS = ("CASE WHEN r.enps >= 9 THEN 100.0 WHEN r.enps <= 6 THEN -100.0 "
               "WHEN r.enps IS NOT NULL THEN 0.0 END")
MEASURE_SQL = {**{m: f"r.{m}" for m in MEASURE_COLUMNS}, "enps_score": ENPS_POINTS}
# A measure's range when its definition fixes it whatever the instruments file says: eNPS points are
# -100, 0 or +100, so a level lies in [-100, 100], a change in [-200, 200] and a DiD in [-400, 400]. A t
# interval on a few people can reach beyond that; it is cut to the range (an interval is never wider
# than what is possible).
MEASURE_RANGE = {"enps_score": (-100.0, 100.0)}
# Measures where less is better: the controlled and absent motivation that the self-determination index
# weighs negatively. A fall is an improvement there, and a coached group starting higher, not lower, is the
# one that may drift back towards the average.
LOWER_IS_BETTER = ("introjected", "external", "amotivation")

# breakdown name -> column of the panel relation `p`
GROUP_COLUMNS = {"career_phase": "career_phase", "department": "department", "team": "team",
                 "program": "program_id", "cohort": "cohort_id", "coach": "coach_id", "_all": "_all"}


def measure_sql(measure: str) -> str:
    try:
        return MEASURE_SQL[measure]
    except KeyError:
        raise ValueError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}") from None


def group_cols(names) -> list[str]:
    out = []
    for name in names:
        if name not in GROUP_COLUMNS:
            raise ValueError(f"unknown breakdown {name!r}; use one of {', '.join(k for k in GROUP_COLUMNS if k != '_all')}")
        col = GROUP_COLUMNS[name]
        if col not in out:
            out.append(col)
    return out or ["_all"]


PEOPLE_FILTER = """
    ($f_department IS NULL OR mp.department = $f_department)
    AND ($f_team IS NULL OR mp.team_id = $f_team)
    AND ($f_phase IS NULL OR mp.career_phase = $f_phase)"""

COHORT_FILTER = """
    NOT c.is_waitlist
    AND ($f_program IS NULL OR c.program_id = $f_program)
    AND ($f_cohort IS NULL OR c.cohort_id = $f_cohort)
    AND ($f_date_from IS NULL OR c.start_date >= $f_date_from)
    AND ($f_date_to IS NULL OR c.start_date <= $f_date_to)
    AND ($f_coach IS NULL OR c.cohort_id IN (SELECT cohort_id FROM enrolments WHERE coach_id = $f_coach))"""

# the in-scope cohorts, in start order
SCOPE_COHORTS_SQL = "SELECT c.cohort_id FROM cohorts c WHERE " + COHORT_FILTER + "\nORDER BY c.start_date, c.cohort_id"

# The date the data runs to (retention censors everyone still employed there): the people extract's date
# recorded at ingest (`coachlens ingest --extract-date`), else the latest event the data shows. An
# exit date, or an enrolment start, counts only if it had come by the latest load (and the start only of
# a coached, not waitlist, enrolment): a planned leaver's exit date, a waitlist or planned cohort's start
# is a plan, and following everyone up to it counted days with no data as days survived.
AS_OF_SQL = """
SELECT coalesce(
    (SELECT try_cast(value AS DATE) FROM warehouse_meta WHERE key = 'extract_date'),
    greatest((SELECT max(exit_date) FROM people
              WHERE exit_date <= coalesce((SELECT max(started_at)::DATE FROM load_batches), current_date)),
             (SELECT max(submitted_at)::DATE FROM survey_responses),
             (SELECT max(start_date) FROM enrolments
              WHERE status <> 'waitlist'
                AND start_date <= coalesce((SELECT max(started_at)::DATE FROM load_batches), current_date))))
"""


# -- the fast path (issue 7) ----------------------------------------------------------------------------
# The fast statements read the precomputed panel mart_panel (pipelines/marts/03_mart_panel.sql: one row per
# cohort x person x role, every measure's score in every wave as a column <wave>_<measure>, `pid` an
# integer person key) instead of joining mart_response_waves, survey_responses, mart_people and
# enrolments on 64-character keys. Below: its wave names, group columns and filters.

WAVE_NAMES = ("baseline", "mid", "post", "follow_up")
# group columns of the panel relation `p`, in a fixed order (the values of GROUP_COLUMNS)
PANEL_GROUPS = ("career_phase", "department", "team", "program_id", "cohort_id", "coach_id", "_all")

PANEL_PEOPLE_FILTER = """
    ($f_department IS NULL OR k.department = $f_department)
    AND ($f_team IS NULL OR k.team_id = $f_team)
    AND ($f_phase IS NULL OR k.career_phase = $f_phase)"""

# the panel rows of the people in scope (the comparison people of a coach's cohorts stay)
PANEL_ROWS = PANEL_PEOPLE_FILTER + """
    AND ($f_coach IS NULL OR k.role = 'comparison' OR k.coach_id = $f_coach)"""

PANEL_SCOPE = """
    k.cohort_id IN (SELECT cohort_id FROM scope_cohorts)
    AND """ + PANEL_ROWS


def score_col(wave: str, measure: str) -> str:
    """Column of mart_panel holding `measure` in `wave` (both from the fixed whitelists)."""
    if wave not in WAVE_NAMES:
        raise ValueError(f"unknown wave {wave!r}")
    measure_sql(measure)
    return f"{wave}_{measure}"


def rid_col(wave: str) -> str:
    """Column of mart_panel holding the id of the response chosen for `wave` (NULL: none in the window)."""
    if wave not in WAVE_NAMES:
        raise ValueError(f"unknown wave {wave!r}")
    return f"{wave}_rid"


def both_waves(pre: str, post: str) -> str:
    """`k` has a response in both waves. Implied wherever a score in each wave is required (a score is there
    only with its response), but a plain IS NOT NULL on two columns is pushed into the scan, which then
    skips the row groups of mart_panel (stored by which waves a row has, 03_mart_panel.sql) where either
    wave is missing throughout."""
    return f"k.{rid_col(pre)} IS NOT NULL AND k.{rid_col(post)} IS NOT NULL"


def _check_sets(sets: list[list[str]]) -> list[str]:
    for s in sets:
        for col in s:
            if col not in PANEL_GROUPS:
                raise ValueError(f"unknown group column {col!r}")
    return [c for c in PANEL_GROUPS if any(c in s for s in sets)]
