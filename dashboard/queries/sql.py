"""The SQL of the query layer. Filter values are always bound parameters ($f_*); the only text ever
formatted into a statement comes from the fixed whitelists below (measure expressions, group columns,
wave names).

The views run the fast statements at the end of this module (panel_multi_sql, trajectory_fast_sql,
guard_fast_sql, retention_fast_sql), which read the precomputed panel mart_panel and mart_person_ids
(pipelines/marts/03_mart_panel.sql). The statements above them (panel_cte, panel_stats_sql,
trajectory_sql, guard_sql, RETENTION_SQL, RETENTION_PEOPLE_SQL) are the definitions on the base marts;
they are kept as the reference that tests/test_queries_marts.py checks the fast statements against.
"""

from __future__ import annotations

MEASURE_COLUMNS = ("engagement", "vigour", "dedication", "absorption", "motivation_sdi", "intrinsic",
                   "integrated", "identified", "introjected", "external", "amotivation", "values_alignment",
                   "intent_to_stay")
MEASURES = MEASURE_COLUMNS + ("enps_score",)
ENPS_POINTS = ("CASE WHEN r.enps >= 9 THEN 100.0 WHEN r.enps <= 6 THEN -100.0 "
               "WHEN r.enps IS NOT NULL THEN 0.0 END")
MEASURE_SQL = {**{m: f"r.{m}" for m in MEASURE_COLUMNS}, "enps_score": ENPS_POINTS}

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


def panel_cte(measure: str) -> str:
    """CTEs `scope_cohorts`, `resp` (every in-scope response in the two waves) and `p` (the matched
    panel: one row per cohort x person x role with y0, y1, d and the person's groups).
    Parameters: the filters, $pre, $post."""
    m = measure_sql(measure)
    return f"""
WITH scope_cohorts AS (
    SELECT c.* FROM cohorts c WHERE {COHORT_FILTER}
),
resp AS (
    SELECT w.cohort_id, w.program_id, w.participant_key, w.role, w.wave, {m} AS y,
           mp.department, mp.team_id AS team, mp.career_phase, e.coach_id, 'All' AS _all
    FROM mart_response_waves w
    JOIN scope_cohorts c USING (cohort_id)
    JOIN survey_responses r ON r.response_id = w.response_id
    JOIN mart_people mp ON mp.participant_key = w.participant_key
    LEFT JOIN enrolments e ON w.role = 'coached' AND e.participant_key = w.participant_key
                          AND e.cohort_id = w.cohort_id
    WHERE {PEOPLE_FILTER}
      AND ($f_coach IS NULL OR w.role = 'comparison' OR e.coach_id = $f_coach)
      AND y IS NOT NULL
),
p AS (
    SELECT cohort_id, program_id, participant_key, role, department, team, career_phase, coach_id, _all,
           max(y) FILTER (WHERE wave = $pre) AS y0,
           max(y) FILTER (WHERE wave = $post) AS y1,
           y1 - y0 AS d
    FROM resp
    WHERE wave IN ($pre, $post)
    GROUP BY ALL
    HAVING count(*) FILTER (WHERE wave = $pre) > 0 AND count(*) FILTER (WHERE wave = $post) > 0
)"""


def panel_stats_sql(measure: str, groups: list[str]) -> str:
    """Sufficient statistics per group: coached paired change, comparison change, and the pooled DiD
    (coached-panel-size weighted over cohorts) with its person-clustered sandwich variance."""
    g = ", ".join(groups)
    gc = ", ".join(dict.fromkeys(groups + ["cohort_id"]))
    using = ", ".join(groups)
    using_c = ", ".join(dict.fromkeys(groups + ["cohort_id"]))
    return panel_cte(measure) + f""",
cstats AS (
    SELECT {gc},
           count(*) FILTER (WHERE role = 'coached') AS n1, avg(d) FILTER (WHERE role = 'coached') AS m1,
           count(*) FILTER (WHERE role = 'comparison') AS n0, avg(d) FILTER (WHERE role = 'comparison') AS m0
    FROM p GROUP BY ALL
),
wts AS (
    SELECT *, n1 / sum(n1) OVER (PARTITION BY {g}) AS w FROM cstats WHERE n1 >= 2 AND n0 >= 2
),
psi AS (
    -- each person's influence on the pooled DiD, per role; residuals scaled by sqrt(n / (n - 1)) so that
    -- a single cohort gives exactly Welch's variance s1^2/n1 + s0^2/n0
    SELECT {g}, p.participant_key, role,
           sum(w * CASE WHEN role = 'coached' THEN (d - m1) / n1 * sqrt(n1 / (n1 - 1))
                        ELSE -(d - m0) / n0 * sqrt(n0 / (n0 - 1)) END) AS psi
    FROM p JOIN wts USING ({using_c})
    GROUP BY ALL
),
did AS (SELECT {g}, sum(w * (m1 - m0)) AS did, count(*) AS did_cohorts FROM wts GROUP BY ALL),
didvar AS (
    SELECT {g},
           sum(psi * psi) FILTER (WHERE role = 'coached') AS did_var1,
           sum(psi * psi) FILTER (WHERE role = 'comparison') AS did_var0,
           count(*) FILTER (WHERE role = 'coached') AS did_g1,
           count(*) FILTER (WHERE role = 'comparison') AS did_g0
    FROM psi GROUP BY ALL
),
coached AS (
    SELECT {g}, count(DISTINCT participant_key) AS n, count(*) AS n_rows,
           avg(d) AS mean_d, stddev_samp(d) AS sd_d,
           avg(y0) AS mean_pre, stddev_samp(y0) AS sd_pre, avg(y1) AS mean_post
    FROM p WHERE role = 'coached' GROUP BY ALL
),
comp AS (
    SELECT {g}, count(DISTINCT participant_key) AS n_comparison, count(*) AS n0_rows,
           avg(d) AS comparison_change, stddev_samp(d) AS comparison_sd,
           avg(y0) AS comparison_mean_pre, stddev_samp(y0) AS comparison_sd_pre
    FROM p WHERE role = 'comparison' GROUP BY ALL
)
SELECT * FROM coached
FULL JOIN comp USING ({using})
LEFT JOIN did USING ({using})
LEFT JOIN didvar USING ({using})
ORDER BY ALL"""


def trajectory_sql(measure: str, groups: list[str]) -> str:
    g = ", ".join(groups)
    return panel_cte(measure) + f"""
SELECT {g}, role, wave, count(DISTINCT participant_key) AS n, avg(y) AS mean, stddev_samp(y) AS sd
FROM resp GROUP BY ALL ORDER BY ALL"""


GUARD_SELECT = """
SELECT
    (SELECT count(*) FROM mart_people mp WHERE """ + PEOPLE_FILTER + """
        AND (($f_program IS NULL AND $f_cohort IS NULL AND $f_coach IS NULL AND $f_date_from IS NULL
              AND $f_date_to IS NULL)
             OR mp.participant_key IN (SELECT e.participant_key FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
                                       WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach))))
        AS people,
    (SELECT count(DISTINCT e.participant_key) FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
        JOIN mart_people mp ON mp.participant_key = e.participant_key
        WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND """ + PEOPLE_FILTER + """)
        AS coached,
    (SELECT count(DISTINCT participant_key) FROM p WHERE role = 'coached') AS coached_panel,
    (SELECT count(DISTINCT participant_key) FROM p WHERE role = 'comparison') AS comparison_panel
"""


def guard_sql(measure: str) -> str:
    return panel_cte(measure) + GUARD_SELECT


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

AS_OF_SQL = """
SELECT coalesce(
    (SELECT try_cast(value AS DATE) FROM warehouse_meta WHERE key = 'extract_date'),
    greatest((SELECT max(exit_date) FROM people),
             (SELECT max(submitted_at)::DATE FROM survey_responses),
             (SELECT max(start_date) FROM enrolments)))
"""



# -- the fast path (issue 7) ----------------------------------------------------------------------------
# Everything below reads the precomputed panel mart_panel (pipelines/marts/03_mart_panel.sql: one row per
# cohort x person x role, every measure's score in every wave as a column <wave>_<measure>, `pid` an
# integer person key) instead of joining mart_response_waves, survey_responses, mart_people and
# enrolments on 64-character keys. Several measures and several grouping sets go into one statement:
# the heavy aggregates are computed once, wide (one column per measure), over the panel rows repeated
# once per grouping set; the small aggregated tables are then cut into one slice per measure and
# joined exactly as panel_stats_sql joins them, so each (measure, set) part of the result equals what
# panel_stats_sql returns for that measure and set.

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


def _check_sets(sets: list[list[str]]) -> list[str]:
    for s in sets:
        for col in s:
            if col not in PANEL_GROUPS:
                raise ValueError(f"unknown group column {col!r}")
    return [c for c in PANEL_GROUPS if any(c in s for s in sets)]


def panel_multi_sql(measures: list[str], sets: list[list[str]], pre: str, post: str, did: bool = True) -> str:
    """Sufficient statistics per measure (`_m`, index into `measures`) x grouping set (`_s`, index into
    `sets`) x group: the columns of panel_stats_sql; every group column used by any set is present
    (named as in `p`), holding 'All' on the rows of a set that does not group by it.

    One scan of mart_panel (rows repeated once per set): per set x group x cohort x role the counts,
    means and population variances of d and y0 of every measure (the per-role moments over the cohorts
    are combined from these exactly as a parallel aggregate combines its partial states; the mean of y1
    over the panel is the mean of y0 plus the mean of d, so y1 is not aggregated; sets grouping only by
    program or cohort share the per-cohort statistics, aggregated once, and carry integer keys), and one
    pass per set x group x person x role for the distinct counts and the clustered DiD variance.

    did=False: no DiD (did, did_cohorts, did_var1, did_var0, did_g1, did_g0 empty), for a view that shows
    none: the person pass then only counts, with no weights, factors or influence terms."""
    used = _check_sets(sets)
    nm = len(measures)
    I = range(nm)
    # grouping keys: the set (when there are several) and the non-constant group columns ('_all' is 'All')
    keys = (["_s"] if len(sets) > 1 else []) + [c for c in used if c != "_all"]
    K = ", ".join(keys)
    K_ = "".join(f"{c}, " for c in keys)          # as a prefix of a key list
    part = f"PARTITION BY {K}" if keys else ""
    out_cols = ", ".join([("_s" if "_s" in keys else "0 AS _s")] + [("'All' AS _all" if c == "_all" else c) for c in used])
    # grouping only by program and cohort: their keys are small integers (0 standing for 'All') until the end
    ints = all(c in ("program_id", "cohort_id", "_all") for c in used)
    group_ids = "sc._cohort AS cohort_id, sc._program AS program_id" if ints else "k.cohort_id, k.program_id"
    gsel = "".join(
        ",\n           CASE " + " ".join(f"WHEN sets._s = {si} THEN {'p.' + c if c in s else ('0' if ints else repr('All'))}"
                                         for si, s in enumerate(sets)) + f" END AS {c}"
        for c in used if c != "_all")
    excl = [c for c in used if c != "_all"]
    pstar = f"p.* EXCLUDE ({', '.join(excl)})" if excl else "p.*"
    cols = ",\n           ".join(
        f"k.{score_col(post, m)} - k.{score_col(pre, m)} AS d_{i}, "
        f"CASE WHEN d_{i} IS NOT NULL THEN k.{score_col(pre, m)} END AS y0_{i}" for i, m in enumerate(measures))
    # a row with any change: both scores of some measure (on the stored columns, before any arithmetic)
    any_d = " OR ".join(f"(k.{score_col(pre, m)} IS NOT NULL AND k.{score_col(post, m)} IS NOT NULL)"
                        for m in measures)
    sets_values = ", ".join(f"({i})" for i in range(len(sets)))
    cst = ",\n           ".join(
        f"count(d_{i}) AS n_{i}, avg(d_{i}) AS md_{i}, var_pop(d_{i}) AS vd_{i}, "
        f"avg(y0_{i}) AS m0_{i}, var_pop(y0_{i}) AS v0_{i}" for i in I)
    cw = ",\n           ".join(
        f"coalesce(max(n_{i}) FILTER (WHERE coached), 0) AS n1_{i}, max(md_{i}) FILTER (WHERE coached) AS m1_{i}, "
        f"coalesce(max(n_{i}) FILTER (WHERE NOT coached), 0) AS n0_{i}, max(md_{i}) FILTER (WHERE NOT coached) AS m0_{i}"
        for i in I)
    ok = {i: f"n1_{i} >= 2 AND n0_{i} >= 2" for i in I}
    wts = ",\n           ".join(
        f"CASE WHEN {ok[i]} THEN n1_{i} / sum(CASE WHEN {ok[i]} THEN n1_{i} END) OVER ({part}) END AS w_{i}"
        for i in I)
    # a row's term of its person's influence: f * (d - the cohort x role mean), the factor f (weight, role
    # sign, 1 / n and the sqrt(n / (n - 1)) scaling) worked out once per cohort x role in `fac`
    fac = ",\n           ".join(
        f"w_{i} * sqrt(c.n_{i} / (c.n_{i} - 1)) / c.n_{i} * CASE WHEN c.coached THEN 1 ELSE -1 END AS f_{i}, "
        f"c.md_{i} AS mu_{i}" for i in I)
    term = {i: f"f_{i} * (d_{i} - mu_{i})" for i in I}
    # which measures a person has a change in: with several measures one bit each (one aggregate instead of
    # a count per measure), with one a count
    if nm > 62:
        raise ValueError("at most 62 measures in one statement")
    has = " + ".join(f"(d_{i} IS NOT NULL)::BIGINT * {1 << i}" for i in I) if nm > 1 else "(d_0 IS NOT NULL)::BIGINT"
    has_i = {i: f"_has & {1 << i} <> 0" if nm > 1 else "_has > 0" for i in I}
    psi = ",\n           ".join([f"sum({term[i]}) AS psi_{i}" for i in I if did]
                                + [f"bit_or({has}) AS _has" if nm > 1 else "count(d_0) AS _has"])
    # a set grouping by cohort has one panel row per group x person x role (mart_panel is unique on
    # cohort x person x role): there the person's sums are the row's own terms, no aggregation needed
    by_row = [si for si, s in enumerate(sets) if "cohort_id" in s]
    psi_row = ",\n           ".join([f"{term[i]} AS psi_{i}" for i in I if did] + [f"{has} AS _has"])
    # sets grouping only by columns of the cohort (program, cohort): a cohort's rows are the same in every
    # set, so its statistics are aggregated once, from p, and repeated per set; and the set and the cohort
    # find a row's factor
    by_cohort = ints and len(sets) > 1
    if by_cohort:
        kc = [c for c in used if c != "_all"]
        cst_sql = f"""cst0 AS (
    SELECT _cohort, {"".join(f"{c}, " for c in kc)}coached,
           {cst}
    FROM p GROUP BY ALL
),
cst AS (
    SELECT sets._s{gsel.replace("p.", "c.")}, c.* EXCLUDE ({", ".join(kc)})
    FROM cst0 c CROSS JOIN (VALUES {sets_values}) sets(_s)
)"""
        fac_cols = ", ".join(f"f_{i}, mu_{i}" for i in I)
        with_fac = f"LEFT JOIN (SELECT _s, _cohort, coached, {fac_cols} FROM fac) USING (_s, _cohort, coached)" if did else ""
    else:
        cst_sql = f"""cst AS (
    SELECT {K_}_cohort, coached,
           {cst}
    FROM px GROUP BY ALL
)"""
        with_fac = f"LEFT JOIN fac USING ({K_}_cohort, coached)" if did else ""
    if not by_row:
        person_sql = f"""SELECT {K_}px.pid * 2 + px.coached::INTEGER AS pk,
           {psi}
    FROM px {with_fac}
    GROUP BY ALL"""
    else:
        rowset = ", ".join(str(si) for si in by_row)
        person_sql = f"""SELECT {K_}px.pid * 2 + px.coached::INTEGER AS pk,
           {psi}
    FROM px {with_fac}
    WHERE px._s NOT IN ({rowset})
    GROUP BY ALL
    UNION ALL
    SELECT {K_}px.pid * 2 + px.coached::INTEGER AS pk,
           {psi_row}
    FROM px {with_fac}
    WHERE px._s IN ({rowset})"""
    per_role = ",\n           ".join(
        f"count(*) FILTER (WHERE {has_i[i]}) AS n_{i}, "
        + (f"sum(psi_{i} * psi_{i}) AS var_{i}, count(psi_{i}) AS g_{i}" if did else f"NULL::DOUBLE AS var_{i}, 0 AS g_{i}")
        for i in I)
    # per role: combine the cohorts' (count, mean, population variance) into the role's moments
    grand = ",\n           ".join(
        f"sum(n_{i} * md_{i}) OVER r / sum(n_{i}) OVER r AS gd_{i}, sum(n_{i} * m0_{i}) OVER r / sum(n_{i}) OVER r AS g0_{i}"
        for i in I)
    moments = ",\n           ".join(
        f"sum(n_{i}) AS rows_{i}, any_value(gd_{i}) AS mean_d_{i}, "
        f"CASE WHEN sum(n_{i}) > 1 THEN sqrt(sum(n_{i} * vd_{i} + n_{i} * (md_{i} - gd_{i}) ^ 2) / (sum(n_{i}) - 1)) END AS sd_d_{i}, "
        f"any_value(g0_{i}) AS mean_pre_{i}, "
        f"CASE WHEN sum(n_{i}) > 1 THEN sqrt(sum(n_{i} * v0_{i} + n_{i} * (m0_{i} - g0_{i}) ^ 2) / (sum(n_{i}) - 1)) END AS sd_pre_{i}, "
        f"any_value(g0_{i}) + any_value(gd_{i}) AS mean_post_{i}"
        for i in I)
    on = " AND ".join(f"m.{c} IS NOT DISTINCT FROM r.{c}" for c in keys + ["coached"])
    xk = f", {K}" if keys else ""
    rng = f"unnest(range({nm}))"

    def lst(name: str) -> str:
        return "unnest([" + ", ".join(f"{name}_{i}" for i in I) + "])"

    def named(select: str) -> str:
        """The final rows in order, with integer program and cohort keys back to their ids (0: 'All')."""
        ks = [c for c in keys if c != "_s"] if ints else []
        if not ks:
            return select + "\nORDER BY ALL"
        key_of = {"program_id": "_program", "cohort_id": "_cohort"}
        ids = ", ".join(f"coalesce(n_{c}._name, 'All') AS {c}" for c in ks)
        joins = "".join(f"\nLEFT JOIN (SELECT DISTINCT {key_of[c]} AS _id, {c} AS _name FROM scope_cohorts) n_{c} "
                        f"ON n_{c}._id = r.{c}" for c in ks)
        return f"SELECT r.* REPLACE ({ids})\nFROM ({select}) r{joins}\nORDER BY ALL"

    didw = ",\n                     ".join(f"sum(w_{i} * (m1_{i} - m0_{i})) AS did_{i}, count(w_{i}) AS dc_{i}" for i in I)
    if did:
        final = named(f"""SELECT _m, {out_cols}, * EXCLUDE (_m{xk}) FROM coached
FULL JOIN comp USING (_m{xk})
LEFT JOIN did USING (_m{xk})
LEFT JOIN didvar USING (_m{xk})""")
        did_weights = f"""wts AS (
    SELECT *,
           {wts}
    FROM (SELECT {K_}_cohort,
           {cw}
          FROM cst GROUP BY ALL)
),
fac AS (
    SELECT {K_}_cohort, c.coached,
           {fac}
    FROM cst c JOIN wts USING ({K_}_cohort)
),
"""
        did_final = f""",
did AS (
    SELECT _m{xk}, did, did_cohorts FROM (
        SELECT {K_}{rng} AS _m, {lst("did")} AS did, {lst("dc")} AS did_cohorts
        FROM (SELECT {K_}
                     {didw}
              FROM wts GROUP BY ALL))
    WHERE did_cohorts > 0
),
didvar AS (
    SELECT _m{xk},
           sum(var_) FILTER (WHERE coached) AS did_var1,
           sum(var_) FILTER (WHERE NOT coached) AS did_var0,
           coalesce(sum(g_) FILTER (WHERE coached), 0)::BIGINT AS did_g1,
           coalesce(sum(g_) FILTER (WHERE NOT coached), 0)::BIGINT AS did_g0
    FROM roles_l WHERE g_ > 0 GROUP BY ALL
)
{final}"""
    else:
        did_weights = ""
        did_final = "\n" + named(f"""SELECT _m, {out_cols}, * EXCLUDE (_m{xk}), NULL::DOUBLE AS did, NULL::BIGINT AS did_cohorts,
       NULL::DOUBLE AS did_var1, NULL::DOUBLE AS did_var0, NULL::BIGINT AS did_g1, NULL::BIGINT AS did_g0
FROM (SELECT * FROM coached FULL JOIN comp USING (_m{xk}))""")
    return f"""
WITH scope_cohorts AS (
    -- _cohort: a small integer per cohort in scope, the key of the per-cohort statistics and weights
    -- (and _program one per program, in the order of their ids)
    SELECT c.cohort_id, c.program_id, (row_number() OVER (ORDER BY c.cohort_id))::SMALLINT AS _cohort,
           dense_rank() OVER (ORDER BY c.program_id)::SMALLINT AS _program
    FROM cohorts c WHERE {COHORT_FILTER}
),
p AS (
    SELECT sc._cohort, {group_ids}, k.pid, k.role = 'coached' AS coached, k.department,
           k.team_id AS team, k.career_phase, k.coach_id,
           {cols}
    FROM mart_panel k JOIN scope_cohorts sc ON sc.cohort_id = k.cohort_id
    WHERE {PANEL_ROWS}
      AND ({any_d})
),
px AS NOT MATERIALIZED (
    SELECT {pstar}, sets._s{gsel}
    FROM p CROSS JOIN (VALUES {sets_values}) sets(_s)
),
{cst_sql},
{did_weights}person AS (
    {person_sql}
),
person_role AS (
    SELECT {K_}pk % 2 = 1 AS coached,
           {per_role}
    FROM person GROUP BY ALL
),
role_moments AS (
    SELECT {K_}coached,
           {moments}
    FROM (SELECT *,
           {grand}
          FROM cst WINDOW r AS (PARTITION BY {K_}coached))
    GROUP BY ALL
),
roles_l AS (
    SELECT {", ".join(f"m.{c}" for c in keys + ["coached"])}, {rng} AS _m, {lst("rows")} AS rows_, {lst("n")} AS n_,
           {lst("mean_d")} AS mean_d_, {lst("sd_d")} AS sd_d_, {lst("mean_pre")} AS mean_pre_,
           {lst("sd_pre")} AS sd_pre_, {lst("mean_post")} AS mean_post_, {lst("var")} AS var_, {lst("g")} AS g_
    FROM role_moments m JOIN person_role r ON {on}
),
coached AS (
    SELECT _m{xk}, n_ AS n, rows_::BIGINT AS n_rows, mean_d_ AS mean_d, sd_d_ AS sd_d, mean_pre_ AS mean_pre,
           sd_pre_ AS sd_pre, mean_post_ AS mean_post
    FROM roles_l WHERE coached AND rows_ > 0
),
comp AS (
    SELECT _m{xk}, n_ AS n_comparison, rows_::BIGINT AS n0_rows, mean_d_ AS comparison_change,
           sd_d_ AS comparison_sd, mean_pre_ AS comparison_mean_pre, sd_pre_ AS comparison_sd_pre
    FROM roles_l WHERE NOT coached AND rows_ > 0
){did_final}"""


def trajectory_fast_sql(measure: str, groups: list[str]) -> str:
    """trajectory_sql on mart_panel: respondents' mean level per group x role x wave."""
    _check_sets([groups])
    g = ", ".join(groups)
    waves = ", ".join(f"k.{score_col(w, measure)} AS {w}" for w in WAVE_NAMES)
    # by cohort a person has one row per role and wave (mart_panel is unique on cohort x person x role)
    n = "count(*)" if "cohort_id" in groups else "count(DISTINCT pid)"
    return f"""
WITH scope_cohorts AS (
    SELECT c.cohort_id FROM cohorts c WHERE {COHORT_FILTER}
),
resp AS (
    UNPIVOT (
        SELECT k.cohort_id, k.program_id, k.pid, k.role, k.department, k.team_id AS team, k.career_phase,
               k.coach_id, 'All' AS _all, {waves}
        FROM mart_panel k
        WHERE {PANEL_SCOPE}
    ) ON {", ".join(WAVE_NAMES)} INTO NAME wave VALUE y
)
SELECT {g}, role, wave, {n} AS n, avg(y) AS mean, stddev_samp(y) AS sd
FROM resp GROUP BY ALL ORDER BY ALL"""


def guard_fast_sql(measure: str, pre: str, post: str, panel: bool = True, completion: bool = False) -> str:
    """guard_sql with the panel counts from mart_panel (panel=False: people and coached only).
    completion=True: also completion_n and completion_x, the people with a completed or withdrawn
    enrolment and with a completed one (the overview's completion rate), from the same enrolments."""
    y0, y1 = score_col(pre, measure), score_col(post, measure)
    done = (",\n           count(DISTINCT mp.pid) FILTER (WHERE mp.status IN ('completed', 'withdrawn'))"
            " AS completion_n,\n           count(DISTINCT mp.pid) FILTER (WHERE mp.status = 'completed')"
            " AS completion_x") if completion else ""
    return f"""
WITH scope_cohorts AS (
    SELECT c.* FROM cohorts c WHERE {COHORT_FILTER}
),
enrolled AS (
    SELECT mp.pid, e.status, mp.department, mp.team_id, mp.career_phase
    FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
    JOIN mart_person_ids mp ON mp.participant_key = e.participant_key
    WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach)
),
base AS (
    SELECT count(DISTINCT mp.pid) AS coached{done}
    FROM enrolled mp WHERE {PEOPLE_FILTER}
),
panel AS (
    -- distinct people: the bits set in a bitstring over the integer person key
    SELECT coalesce(bit_count(bitstring_agg(pid) FILTER (WHERE role = 'coached')), 0) AS coached_panel,
           coalesce(bit_count(bitstring_agg(pid) FILTER (WHERE role = 'comparison')), 0) AS comparison_panel
    FROM mart_panel k
    WHERE {PANEL_SCOPE} AND k.{y0} IS NOT NULL AND k.{y1} IS NOT NULL
)
SELECT
    CASE WHEN $f_program IS NULL AND $f_cohort IS NULL AND $f_coach IS NULL AND $f_date_from IS NULL
              AND $f_date_to IS NULL
         THEN (SELECT count(*) FROM mart_people mp WHERE {PEOPLE_FILTER})
         ELSE base.coached END AS people,
    base.*{", panel.coached_panel, panel.comparison_panel" if panel else ""}
FROM base{" CROSS JOIN panel" if panel else ""}"""


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
    qualifies = ("(s.exit_date IS NULL OR s.exit_date > {e}) AND (s.first_start_date IS NULL OR s.first_start_date > {e})")
    comp = []
    for pp in variants:
        if pp:
            comp.append(f"""comparison_pp AS (
    SELECT 'comparison' AS role, pe.entry, pe.program_id AS program, s.cnt, s.first_start_date AS crossover,
           s.exit_date, s.exit_type, s.career_phase
    FROM first_start s JOIN program_entry pe USING (bstart)
    WHERE {qualifies.format(e="pe.entry")}
)""")
        else:
            comp.append(f"""comparison_once AS (
    SELECT 'comparison' AS role, s.bstart AS entry, s.bprogram AS program, s.cnt, s.first_start_date AS crossover,
           s.exit_date, s.exit_type, s.career_phase
    FROM first_start s
    WHERE {qualifies.format(e="s.bstart")}
)""")
    ends = []
    for g, pp in groupings:
        col = {"program": "s.program", "career_phase": "s.career_phase", "_all": "'All'"}[g]
        spells = "comparison_pp" if pp else "comparison_once"
        ends.append(f"""SELECT {col} AS grp, s.role, s.entry, s.cnt,
           least(coalesce(s.exit_date, a.as_of), a.as_of, coalesce(s.crossover, a.as_of)) AS stop,
           coalesce(s.exit_type = 'voluntary' AND s.exit_date <= a.as_of
            AND (s.crossover IS NULL OR s.exit_date <= s.crossover), false) AS event
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
    return f"""
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
),{program_entry}
coached AS (
    SELECT 'coached' AS role, min(e.start_date) AS entry, arg_min(c.program_id, e.start_date) AS program,
           1 AS cnt, NULL::DATE AS crossover, any_value(mp.exit_date) AS exit_date,
           any_value(mp.exit_type) AS exit_type, any_value(mp.career_phase) AS career_phase
    FROM enrolments e JOIN scope_cohorts c USING (cohort_id)
    JOIN mart_person_ids mp ON mp.participant_key = e.participant_key
    WHERE e.status <> 'waitlist' AND ($f_coach IS NULL OR e.coach_id = $f_coach) AND {PEOPLE_FILTER}
    GROUP BY mp.pid
),
{comp_sql},
ends AS (
    {ends_sql}
)
SELECT 'agg' AS kind, grp, role, date_diff('day', entry, stop) AS days, event, sum(cnt)::DOUBLE AS weight,
       NULL::BIGINT AS n, NULL::BIGINT AS exits
FROM ends GROUP BY ALL
UNION ALL
-- every spell set holds one person per row and count (per program where the entry is once per program,
-- and then grp is the program), so the sum of the counts is the number of distinct people of the group
SELECT 'people', grp, role, NULL, NULL, NULL, sum(cnt)::BIGINT, coalesce(sum(cnt) FILTER (WHERE event), 0)::BIGINT
FROM ends GROUP BY grp, role
ORDER BY ALL"""
