"""Cohorts nest in programs: a program's cell is the sum of its cohorts' cells, and the program and cohort
breakdowns are shown by separate views (Outcomes by program or by cohort, Cohorts compared by cohort or by
program). An anonymity review found that a program's cell minus its shown cohorts gave a hidden cohort of
one person (P004 x Customer Service of the sample: 8 - 7), with no filter at all. The two views now hide
from one run of suppress_nested."""

from __future__ import annotations

import pandas as pd
import pytest

from test_pages import K

from dashboard.anonymity import suppress_nested
from dashboard.filters import Filters


def test_a_lone_small_cohort_takes_a_sibling_with_it_or_its_program():
    # P1: cohorts a (1 person) and b (7); P2: cohort c (20). One column besides the total.
    child = pd.DataFrame([[1, 1], [7, 7], [20, 20], [28, 28]], index=["a", "b", "c", "All"], columns=["x", "All"])
    parent = pd.DataFrame([[8, 8], [20, 20], [28, 28]], index=["P1", "P2", "All"], columns=["x", "All"])
    kids, progs = suppress_nested(child, parent, {"a": "P1", "b": "P1", "c": "P2"}, K)
    # a is small; within P1 the hidden cohorts must hold k: b goes too. Against the total, a and b (8) are
    # enough, so P1 itself (8 people) stays, and P1 - b no longer gives a.
    assert kids.loc["a"].all() and kids.loc["b"].all() and not kids.loc["c"].any()
    assert not progs.to_numpy().any()


def test_a_program_whose_cohorts_cannot_hide_each_other_is_hidden_itself():
    # P1 has one cohort of 3 people: the cohort view hides it, so the program view must hide P1 too (rule 1),
    # and then one more program against the total
    child = pd.DataFrame([[3, 3], [9, 9], [30, 30], [42, 42]], index=["a", "b", "c", "All"], columns=["x", "All"])
    parent = pd.DataFrame([[3, 3], [9, 9], [30, 30], [42, 42]], index=["P1", "P2", "P3", "All"], columns=["x", "All"])
    kids, progs = suppress_nested(child, parent, {"a": "P1", "b": "P2", "c": "P3"}, K)
    assert progs.loc["P1"].all() and kids.loc["a"].all()
    # what one view hides, the other hides too: P2 = b
    assert progs.loc["P2"].all() == kids.loc["b"].all() and progs.loc["P2"].all()


def _leaks(dashboard_db, view: str, opts) -> list:
    """Program cells minus their shown cohorts' cells that give 1..k-1 people, over the sample's filters."""
    from dashboard.db import Reader
    from dashboard.export_cli import run_view
    from dashboard.anonymity import AnonymityRefused
    from dashboard.queries import filter_options
    from pipelines.config import load_settings

    cur, settings = Reader(dashboard_db).cursor(), load_settings()
    fo = filter_options(cur)
    found = []
    for f in [{}] + [{"department": d} for d in fo.departments] + [{"career_phase": p} for p in fo.phases]:
        try:
            by = {level: run_view(cur, view, Filters(**f), settings, **opts(level)).table
                  for level in ("cohort", "program")}
        except AnonymityRefused:
            continue
        a, b = by["cohort"], by["program"]
        a = a.assign(program_id=a["cohort_id"].map(fo.cohort_program))
        across = [c for c in ("department", "career_phase") if c in b.columns]
        for _, prog in b[~b["suppressed"] & (b["program_id"] != "All")].iterrows():
            kids = a[(a["program_id"] == prog["program_id"])]
            for c in across:
                kids = kids[kids[c] == prog[c]]
            rest = prog["n"] - kids.loc[~kids["suppressed"], "n"].sum()
            if 0 < rest < K:
                found.append((f, prog["program_id"], rest))
    return found


@pytest.mark.parametrize("measure", ["engagement", "enps_score"])
def test_outcomes_by_program_minus_by_cohort_gives_no_small_group(dashboard_db, measure):
    assert _leaks(dashboard_db, "outcomes",
                  opts=(lambda level: {"measure": measure, "rows": level, "cols": "department"})) == []


def test_cohorts_compared_by_program_minus_by_cohort_gives_no_small_group(dashboard_db):
    assert _leaks(dashboard_db, "cohorts", opts=lambda level: {"measure": "engagement", "compare": level}) == []


def test_a_margin_hidden_beforehand_stays_hidden_in_the_program_view():
    """Rule 3 hides a margin cell of a filtered program x team table (it differs from its unfiltered cell by
    one person); suppress_nested dropped the margin row of what was hidden beforehand (a second review:
    Finance 07 All, 6 against 5 under career_phase=mid, gave one person's change)."""
    child = pd.DataFrame([[6, 6], [9, 9], [15, 15]], index=["a", "b", "All"], columns=["x", "All"])
    parent = pd.DataFrame([[6, 6], [9, 9], [15, 15]], index=["P1", "P2", "All"], columns=["x", "All"])
    before = pd.DataFrame(False, index=parent.index, columns=parent.columns).to_numpy()
    before[-1, 0] = True
    _, progs = suppress_nested(child, parent, {"a": "P1", "b": "P2"}, K, hidden_parent=before)
    assert progs.loc["All", "x"]


def test_the_reviews_program_by_team_margin_under_a_phase_is_hidden(dashboard_db):
    """The review's case on the sample: Finance 07's margin, 6 people unfiltered and 5 under career_phase=mid."""
    from dashboard.db import Reader
    from dashboard.export_cli import run_view
    from pipelines.config import load_settings

    cur, settings = Reader(dashboard_db).cursor(), load_settings()
    opts = {"measure": "engagement", "rows": "program", "cols": "team"}
    base = run_view(cur, "outcomes", Filters(), settings, **opts).table
    cell = base[(base["program_id"] == "All") & (base["team"] == "Finance / Finance 07")].iloc[0]
    assert not cell["suppressed"] and cell["n"] == 6
    t = run_view(cur, "outcomes", Filters(career_phase="mid"), settings, **opts).table
    assert t[(t["program_id"] == "All") & (t["team"] == "Finance / Finance 07")]["suppressed"].all()


def test_outcomes_by_coach_is_refused_the_coach_page_shows_one_coach(dashboard_db, coachlens_env):
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([str(Path(sys.executable).with_name("coachlens")), "export", "outcomes", "--rows", "coach",
                           "--db", str(dashboard_db)], env=coachlens_env(dashboard_db), capture_output=True, text=True)
    assert done.returncode != 0 and "an export carries what a page shows" in (done.stdout + done.stderr)


@pytest.mark.parametrize("rows, cols", [("department", "program"), ("cohort", "career_phase"), ("career_phase", "none"),
                                        ("team", None)])
def test_export_carries_only_the_outcomes_pages_breakdowns(dashboard_db, coachlens_env, rows, cols):
    """A third review combined breakdowns that no page shows (department x program under a program filter,
    cohort x career phase) with the pages' to work out one person's scores: an export carries what a page
    shows (rule 5)."""
    import subprocess
    import sys
    from pathlib import Path

    args = [str(Path(sys.executable).with_name("coachlens")), "export", "outcomes", "--rows", rows, "--db", str(dashboard_db)]
    if cols:
        args += ["--cols", cols]
    done = subprocess.run(args, env=coachlens_env(dashboard_db), capture_output=True, text=True)
    assert done.returncode == 2 and "an export carries what a page shows" in (done.stdout + done.stderr)
    ok = subprocess.run(args[:3] + ["--rows", "career_phase", "--cols", "team", "--db", str(dashboard_db)],
                        env=coachlens_env(dashboard_db), capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
