"""generate(): build the synthetic organisation, write the canonical files and truth.json."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from pipelines.config import load_instruments, load_settings
from pipelines.generate import design, effects, latent, mess, population, programs, scoring, surveys, truth
from pipelines.generate.exits import ExitClock
from pipelines.generate.writer import write_csv, write_json

STEPS = ["people", "enrolments", "surveys", "expected effects", "files", "truth"]
STREAMS = ["population", "exits", "programs", "surveys", "effects", "mess"]


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width))


def generate(people: int, seed: int, out: Path, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Write people.csv, programs.csv, enrolments.csv, sessions.csv, survey_<YYYY-MM>.csv (one per wave)
    and truth.json into `out`; return the truth dict. `progress(step, index, total)` is called before
    each step. Same people and seed: byte-identical files."""
    if people < design.MIN_PEOPLE:
        raise ValueError(f"people must be at least {design.MIN_PEOPLE}, got {people}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    step = (lambda name: progress(name, STEPS.index(name), len(STEPS))) if progress else (lambda name: None)
    settings = load_settings(env={})
    layout = latent.item_layout(load_instruments(env={}))
    rng = dict(zip(STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(STREAMS)))))

    step("people")
    cp = settings["career_phase"]
    pop = population.build(people, rng["population"], (cp["years_mid_from"], cp["years_late_from"]))
    clock = ExitClock(pop.hire, rng["exits"])

    step("enrolments")
    picks, coached_share_target = programs.enrol(pop, clock, rng["programs"])
    exit_day, exit_kind = clock.finalise()
    enr, sessions = programs.build(pop, clock, picks, exit_day, rng["programs"])
    live = enr.live()
    c_start = np.full(pop.n, np.inf)
    c_end = np.full(pop.n, np.inf)
    c_start[enr.person[live]] = enr.start[live]
    c_end[enr.person[live]] = enr.end[live]
    planted = effects.person_effects(pop, enr.person[live], enr.program[live])

    step("surveys")
    waves = [surveys.build_wave(j, pop, exit_day, c_start, c_end, planted, layout, settings["waves"], rng["surveys"])
             for j in range(len(design.WAVE_DATES))]
    scores = [scoring.score(w.answers, layout) for w in waves]

    step("expected effects")
    expected = effects.expected(pop, enr.person[live], enr.program[live], layout,
                                lambda t: programs.selection_weight(pop, t), rng["effects"])

    step("files")
    files, mess_counts = _write_files(out, pop, exit_day, exit_kind, enr, sessions, waves, layout, rng["mess"])

    step("truth")
    data = truth.assemble(people, seed, pop, exit_kind, enr, sessions, waves, scores, expected, files,
                          mess_counts, coached_share_target, settings["waves"])
    write_json(out / "truth.json", data)
    return data


def _write_files(out, pop, exit_day, exit_kind, enr, sessions, waves, layout, rng) -> tuple[dict, dict]:
    files, ws, case = {}, {}, {}
    eid = pop.employee_id
    has_exit = exit_kind > 0

    dept, ws["people.csv:department"] = mess.whitespace(pop.department, rng)
    team, ws["people.csv:team"] = mess.whitespace(pop.team, rng)
    level, ws["people.csv:job_level"] = mess.whitespace(np.array(population.LEVELS)[pop.level], rng)
    band, ws["people.csv:salary_band"] = mess.whitespace(pop.salary_band, rng)
    hire, hire_slash = mess.slash_dates(pop.hire, rng)
    exit_str, exit_slash = mess.slash_dates(np.where(has_exit, exit_day, 0).astype(np.int64), rng, valid=has_exit)
    kinds = np.array(["", "voluntary", "involuntary"])[exit_kind]
    exit_type, case["people.csv:exit_type"] = mess.mixed_case(kinds, rng)
    dob = np.where(pop.dob >= 0, mess.iso_dates(np.maximum(pop.dob, 0)), "")
    files["people.csv"] = write_csv(out / "people.csv", {
        "employee_id": eid,
        "email": np.char.add(np.char.add("p", np.char.zfill(np.arange(1, pop.n + 1).astype(str), 7)), "@example.org"),
        "department": dept, "team": team, "job_level": level,
        "hire_date": hire, "exit_date": exit_str, "exit_type": exit_type,
        "years_experience": pop.years, "date_of_birth": dob, "salary_band": band,
    })

    files["programs.csv"] = write_csv(out / "programs.csv", {
        "program_id": np.array([p.program_id for p in design.PROGRAMS]),
        "name": np.array([p.name for p in design.PROGRAMS]),
        "type": np.array([p.type for p in design.PROGRAMS]),
        "cost_per_participant": np.array([f"{p.cost_per_participant:.2f}" for p in design.PROGRAMS]),
        "admin_cost": np.array([f"{p.admin_cost:.2f}" for p in design.PROGRAMS]),
        "currency": np.array([design.CURRENCY] * len(design.PROGRAMS)),
    })

    status, case["enrolments.csv:status"] = mess.mixed_case(enr.status, rng)
    files["enrolments.csv"] = write_csv(out / "enrolments.csv", {
        "employee_id": eid[enr.person],
        "program_id": np.array([p.program_id for p in design.PROGRAMS])[enr.program],
        "cohort_id": np.array([c.cohort_id for c in design.COHORTS])[enr.cohort],
        "coach_id": np.where(enr.coach > 0, _ids("C", enr.coach, 3), ""),
        "start_date": mess.iso_dates(enr.start), "end_date": mess.iso_dates(enr.end),
        "sessions_planned": enr.planned, "sessions_attended": enr.attended, "status": status,
    })

    files["sessions.csv"] = write_csv(out / "sessions.csv", {
        "employee_id": eid[enr.person[sessions["row"]]],
        "coach_id": _ids("C", enr.coach[sessions["row"]], 3),
        "date": mess.iso_dates(sessions["day"]),
        "duration_minutes": sessions["minutes"],
    })

    dups = {}
    for w in waves:
        rows = mess.duplicate_submissions(w.person, w.ts, w.answers, int(design.day(w.date)) * 86400, layout, rng)
        dups[w.file] = rows["count"]
        ids, ws[f"{w.file}:employee_id"] = mess.whitespace(eid[rows["person"]], rng, share=0.003)
        cols = {"employee_id": ids, "submitted_at": rows["ts"].astype("datetime64[s]")}
        cols.update({code: rows["answers"][:, i] for i, code in enumerate(layout.codes)})
        files[w.file] = write_csv(out / w.file, cols)

    counts = {
        "duplicate_submissions": sum(dups.values()),
        "duplicate_submissions_by_file": dups,
        "whitespace_cells": sum(ws.values()),
        "whitespace_cells_by_column": ws,
        "slash_dates": {
            "dayfirst": hire_slash["dayfirst"] + exit_slash["dayfirst"],
            "monthfirst": hire_slash["monthfirst"] + exit_slash["monthfirst"],
            "by_column": {"people.csv:hire_date": hire_slash, "people.csv:exit_date": exit_slash},
        },
        "mixed_case_cells": sum(case.values()),
        "mixed_case_cells_by_column": case,
        "blank_item_cells": sum(w.blank_cells for w in waves),
        "abandoned_responses": sum(w.abandoned for w in waves),
        "date_of_birth_rows": int(np.sum(pop.dob >= 0)),
        "identifier_columns": ["email", "date_of_birth"],
    }
    return files, counts
