"""panel_multi_sql: the fast statement of the change and DiD statistics, every measure x grouping set
in one scan of mart_panel."""

from __future__ import annotations

from dashboard.queries.sql.common import COHORT_FILTER, PANEL_ROWS, _check_sets, both_waves, score_col

# Several measures and several grouping sets go into one statement: the heavy aggregates are computed once,
# wide (one column per measure), over the panel rows repeated once per grouping set; the small aggregated
# tables are then cut into one slice per measure and joined exactly as panel_stats_sql joins them, so each
# (measure, set) part of the result equals what panel_stats_sql returns for that measure and set.


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
    # per cohort x role: count, mean and population variance of d and y0, from plain sums (sums aggregate
    # about twice as fast as avg and var_pop; the scores are bounded, so E[x^2] - E[x]^2 loses nothing
    # that shows)
    cst_sums = ",\n           ".join(
        f"count(d_{i}) AS n_{i}, sum(d_{i}) AS s_{i}, sum(d_{i} * d_{i}) AS ss_{i}, "
        f"sum(y0_{i}) AS s0_{i}, sum(y0_{i} * y0_{i}) AS ss0_{i}" for i in I)
    cst_moments = ",\n           ".join(
        f"n_{i}, s_{i} / nullif(n_{i}, 0) AS md_{i}, greatest(ss_{i} / nullif(n_{i}, 0) - (s_{i} / nullif(n_{i}, 0)) ^ 2, 0) AS vd_{i}, "
        f"s0_{i} / nullif(n_{i}, 0) AS m0_{i}, greatest(ss0_{i} / nullif(n_{i}, 0) - (s0_{i} / nullif(n_{i}, 0)) ^ 2, 0) AS v0_{i}"
        for i in I)
    cw = ",\n           ".join(
        f"coalesce(max(n_{i}) FILTER (WHERE coached), 0) AS n1_{i}, max(md_{i}) FILTER (WHERE coached) AS m1_{i}, "
        f"coalesce(max(n_{i}) FILTER (WHERE NOT coached), 0) AS n0_{i}, max(md_{i}) FILTER (WHERE NOT coached) AS m0_{i}"
        for i in I)
    ok = {i: f"n1_{i} >= 2 AND n0_{i} >= 2" for i in I}
    # a cohort's weight: its coached count over the group's (of the cohorts with both roles), the group's
    # total from an aggregate joined back (a window over tens of thousands of groups cost more)
    wtot = ",\n           ".join(f"sum(CASE WHEN {ok[i]} THEN n1_{i} END) AS t1_{i}" for i in I)
    wts = ",\n           ".join(f"CASE WHEN {ok[i]} THEN n1_{i} / t.t1_{i} END AS w_{i}" for i in I)
    wjoin = (" AND ".join(f"t.{c} IS NOT DISTINCT FROM wc.{c}" for c in keys)) if keys else "true"
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
           {cst_moments}
    FROM (SELECT _cohort, {"".join(f"{c}, " for c in kc)}coached,
           {cst_sums}
          FROM p GROUP BY ALL)
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
           {cst_moments}
    FROM (SELECT {K_}_cohort, coached,
           {cst_sums}
          FROM px GROUP BY ALL)
)"""
        with_fac = f"LEFT JOIN fac USING ({K_}_cohort, coached)" if did else ""
    # the grouped sets' person sums; with a set by program and the set of everyone (the ROI's intangibles,
    # the cohorts compared by program), everyone's come from the programs': a cohort's factor differs
    # between the two sets by its program's share of the weights only (w = n1 / the sum of n1 over the
    # set's cohorts), so a person's sum over every cohort is the sum over programs of that share times
    # their sum within the program, one pass over the panel rows instead of two
    grouped = [si for si in range(len(sets)) if si not in by_row]
    derive = (did and by_cohort and len(grouped) == 2 and {tuple(sets[si]) for si in grouped} == {("program_id",), ("_all",)})
    if derive:
        prog_set = next(si for si in grouped if sets[si] == ["program_id"])
        all_set = next(si for si in grouped if sets[si] == ["_all"])
        zero_keys = "".join("0, " if c != "_s" else f"{all_set}, " for c in keys)
        share = ",\n           ".join(f"any_value(a.f_{i} / q.f_{i}) AS r_{i}" for i in I)
        derived_psi = ",\n           ".join([f"sum(r.r_{i} * q.psi_{i}) AS psi_{i}" for i in I]
                                         + ["bit_or(q._has) AS _has" if nm > 1 else "sum(q._has) AS _has"])
        grouped_sql = f"""SELECT * FROM person_prog
    UNION ALL
    SELECT {zero_keys}q.pk,
           {derived_psi}
    FROM person_prog q LEFT JOIN program_share r USING (program_id)
    GROUP BY q.pk"""
        derive_sql = f"""person_prog AS (
    SELECT {K_}px.pid * 2 + px.coached::INTEGER AS pk,
           {psi}
    FROM px {with_fac}
    WHERE px._s = {prog_set}
    GROUP BY ALL
),
program_share AS (
    -- per program: the ratio of a cohort's factor among everyone's cohorts to its factor among its program's
    SELECT sc._program AS program_id,
           {share}
    FROM fac a JOIN fac q ON q._cohort = a._cohort AND q.coached = a.coached
    JOIN scope_cohorts sc ON sc._cohort = a._cohort
    WHERE a._s = {all_set} AND q._s = {prog_set}
    GROUP BY sc._program
),
"""
    else:
        derive_sql = ""
        grouped_sql = f"""SELECT {K_}px.pid * 2 + px.coached::INTEGER AS pk,
           {psi}
    FROM px {with_fac}
    WHERE px._s IN ({", ".join(map(str, grouped))})
    GROUP BY ALL"""
    if not by_row:
        person_sql = grouped_sql
    else:
        rowset = ", ".join(str(si) for si in by_row)
        person_sql = grouped_sql + f"""
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
    # (the grand means per group x role from an aggregate joined back: a window over tens of thousands of
    # groups cost more)
    grand = ",\n           ".join(
        f"sum(n_{i} * md_{i}) / sum(n_{i}) AS gd_{i}, sum(n_{i} * m0_{i}) / sum(n_{i}) AS g0_{i}" for i in I)
    gjoin = " AND ".join(f"g.{c} IS NOT DISTINCT FROM c.{c}" for c in keys + ["coached"])
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
        did_weights = f"""wc AS (
    SELECT {K_}_cohort,
           {cw}
    FROM cst GROUP BY ALL
),
wts AS (
    SELECT wc.*,
           {wts}
    FROM wc JOIN (SELECT {K_}
           {wtot}
          FROM wc GROUP BY ALL) t ON {wjoin}
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
      AND {both_waves(pre, post)}
      AND ({any_d})
),
px AS NOT MATERIALIZED (
    SELECT {pstar}, sets._s{gsel}
    FROM p CROSS JOIN (VALUES {sets_values}) sets(_s)
),
{cst_sql},
{did_weights}{derive_sql}person AS (
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
    FROM (SELECT c.*, g.* EXCLUDE ({K_}coached)
          FROM cst c JOIN (SELECT {K_}coached,
           {grand}
          FROM cst GROUP BY ALL) g ON {gjoin})
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
