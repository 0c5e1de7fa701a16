"""`coachlens mapping suggest EXTRACT.csv`: a starter `[people]` (or `[programs]`, `[enrolments]`,
`[sessions]`) mapping for an HR or program extract in its own columns.

Each field gets the column whose normalised name is the field, one of its aliases, or close to one
of the names HR systems commonly use for it; a column that looks like a name or other identifier is
only ever proposed for the employee id. For fields with a fixed set of values (exit_type, status,
program_type, career_phase) the column's distinct values are listed with a guessed canonical value
each, to be checked. The file is for a person to review, as the survey suggestion is.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from pathlib import Path

from pipelines.ingest.entity_map import ENTITY_SECTIONS, allowed_fields, allowed_values
from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.formats.errors import MappingError
from pipelines.ingest.formats.grid import read_grid
from pipelines.ingest.formats.suggest import _toml_str
from pipelines.ingest.identifiers import is_birth_date, is_identifier, normalise_column
from pipelines.ingest.readers import detect_entity
from pipelines.ingest.schemas import SCHEMAS

THRESHOLD = 0.85
MAX_VALUES = 25

# Names HR, LMS and finance systems use, beyond the schema's own aliases (normalised form).
COMMON_NAMES = {
    "employee_id": ["employee_number", "staff_number", "person_number", "worker_id", "personnel_number",
                    "employee_no", "emp_no", "associate_id", "employee_code"],
    "department": ["dept_name", "department_name", "business_unit", "function", "org_unit", "organisation",
                   "organization"],
    "team": ["team_code", "team_id", "manager_id", "supervisor_id", "reports_to_id", "cost_centre",
             "cost_center", "sub_department", "group"],
    "job_level": ["job_level", "job_grade", "pay_grade", "band", "career_level", "management_level"],
    "hire_date": ["hire_date", "date_hired", "original_hire_date", "start_date", "join_date", "joining_date",
                  "seniority_date"],
    "exit_date": ["exit_date", "termination_date", "term_date", "leave_date", "leaving_date", "end_date",
                  "separation_date"],
    "exit_type": ["termination_type", "term_type", "exit_reason_type", "separation_type", "employment_status",
                  "leaver_type", "voluntary_involuntary"],
    "years_experience": ["years_of_experience", "total_experience", "experience_years", "total_working_years"],
    "age": ["age_years", "current_age"],
    "date_of_birth": ["dob", "birth_date", "date_of_birth", "birthdate"],
    "salary_band": ["salary_grade", "pay_band", "salary_range"],
    "career_phase": ["career_stage", "career_phase"],
    "program_id": ["programme_id", "programme", "program_code", "course_id", "course_code"],
    "cohort_id": ["cohort_code", "cohort_name", "intake", "class_id", "group_id"],
    "coach_id": ["coach_code", "coach_name_id", "facilitator_id", "mentor_id"],
    "start_date": ["start", "begin_date", "enrolment_date", "enrollment_date"],
    "end_date": ["end", "completion_date", "finish_date"],
    "status": ["enrolment_status", "enrollment_status", "completion_status", "state"],
    "session_date": ["session_date", "date_of_session", "meeting_date"],
    "duration_minutes": ["duration_min", "length_minutes", "session_minutes"],
}

# Words in a status value, and the canonical value they suggest (first match wins).
VALUE_HINTS = {
    "exit_type": [("involunt", "involuntary"), ("cause", "involuntary"), ("dismiss", "involuntary"),
                  ("layoff", "involuntary"), ("redundan", "involuntary"), ("fired", "involuntary"),
                  ("volunt", "voluntary"), ("resign", "voluntary"), ("quit", "voluntary"),
                  ("retire", "voluntary"), ("active", ""), ("employed", "")],   # never "leave": on leave or a leaver?
    "status": [("wait", "waitlist"), ("withdr", "withdrawn"), ("drop", "withdrawn"), ("cancel", "withdrawn"),
               ("complet", "completed"), ("finish", "completed"), ("done", "completed"),
               ("progress", "active"), ("active", "active"), ("ongoing", "active"), ("enrol", "active")],
    "career_phase": [("early", "early"), ("junior", "early"), ("mid", "mid"), ("late", "late"),
                     ("senior", "late")],
    "program_type": [("align", "alignment"), ("value", "alignment"), ("career", "executive_career"),
                     ("lead", "leadership"), ("team", "team")],
}


def _names(field: str, entity: str) -> list[str]:
    col = SCHEMAS[entity].columns.get(field)
    own = [field] + (list(col.metadata["aliases"]) if col is not None else [])
    return own + COMMON_NAMES.get(field, [])


def _entity(path: Path, header: list[str], entity: str | None) -> str:
    if entity:
        if entity not in ENTITY_SECTIONS:
            raise MappingError(f"--entity {entity!r}: expected one of {', '.join(ENTITY_SECTIONS)}")
        return entity
    try:
        found = detect_entity(path, [normalise_column(h) for h in header])
    except RefusedFile:
        found = None
    if found == "survey":
        raise MappingError(f"{path.name}: a survey file, but not one of a known tool's export layouts; a canonical "
                           "survey file needs no mapping, and a tool's export is named with --format "
                           "(qualtrics, surveymonkey, google_forms, ms_forms)")
    if found is not None:
        return found

    def fit(e: str) -> tuple[int, int, bool]:
        matched = _match(header, e)
        required = [n for n, c in SCHEMAS[e].columns.items() if c.metadata["required"]]
        return sum(n in matched for n in required), len(matched), e == "people"

    # the entity whose fields the columns name best; people (the usual extract) on a tie
    return max(ENTITY_SECTIONS, key=fit)


def _match(header: list[str], entity: str) -> dict[str, tuple[int, float]]:
    """field -> (column index, score), each column used once, exact names first."""
    norm = [normalise_column(h) for h in header]
    pairs = []
    for field in allowed_fields(entity):
        for i, h in enumerate(norm):
            if not h:
                continue
            if field == "date_of_birth":
                ok = is_birth_date(header[i])
            elif SCHEMAS[entity].columns[field].metadata["parse"] == "id":
                ok = True
            else:
                ok = not is_identifier(header[i])
            if not ok:
                continue
            flat = h.replace("_", "")
            score = max(1.0 if flat == n.replace("_", "") else
                        difflib.SequenceMatcher(None, flat, n.replace("_", "")).ratio() for n in _names(field, entity))
            if score >= THRESHOLD:
                pairs.append((score, field, i))
    pairs.sort(key=lambda p: (-p[0], allowed_fields(entity).index(p[1]), p[2]))
    chosen: dict[str, tuple[int, float]] = {}
    taken: set[int] = set()
    for score, field, i in pairs:
        if field not in chosen and i not in taken:
            chosen[field] = (i, score)
            taken.add(i)
    return chosen


# words that turn a hint around ("Inactive", "Unemployed", "Not active"): no guess, a person decides
_NEGATED = re.compile(r"\b(in|un|non|not|no)[ -]?(active|employed)")


def _guess(field: str, value: str) -> str | None:
    low = value.strip().lower()
    if _NEGATED.search(low):
        return None
    for word, target in VALUE_HINTS.get(field, []):
        if word in low:
            return target
    return None


def _choices(field: str, allowed: list[str]) -> str:
    """What a person decides between for a value with no guess; a blank exit type is someone still employed."""
    blank = '"" (still employed)' if field == "exit_type" else '"" (blank)'
    return ", ".join(_toml_str(a) for a in allowed) + f" or {blank}"


def suggest_extract(path: Path, entity: str | None = None, workdir: Path | None = None) -> str:
    path = Path(path)
    grid = read_grid(path, workdir)
    if not grid.rows:
        raise RefusedFile(path, "a header row", "no rows", row=1)
    header = [str(h).strip() for h in grid.rows[0]]
    data = grid.rows[1:]
    entity = _entity(path, header, entity)
    chosen = _match(header, entity)
    if not chosen:
        raise MappingError(f"{path.name}: no column looks like a {entity} field (e.g. {', '.join(allowed_fields(entity)[:3])}), "
                           "nor is the file a known survey-tool export; name the tool with --format, or the "
                           "entity with --entity, or write the mapping by hand (docs/inputs.md)")
    required = {n for n, c in SCHEMAS[entity].columns.items() if c.metadata["required"]}
    out = [f"# Starter mapping for {path.name} ({entity} extract), written by `coachlens mapping suggest`.",
           "# REVIEW EVERY LINE: columns are matched by name only, values by keyword. Reference: docs/inputs.md.",
           "", f"[{entity}]"]
    for field in allowed_fields(entity):
        if field in chosen:
            i, score = chosen[field]
            note = "" if score == 1.0 else f"   # {score:.0%} match"
            if field == "date_of_birth":
                note = "   # read for an age band, never stored"
            out.append(f"{field} = {_toml_str(header[i])}{note}")
        elif field in required:
            out.append(f'# {field} = "..."   # REQUIRED: no column found, name it here'
                       + ("  (a team code or a manager\'s id; never a name)" if field == "team" else ""))
    for field in allowed_fields(entity):
        if field not in chosen or field not in VALUE_HINTS:
            continue
        i, _ = chosen[field]
        counts = Counter(str(r[i]).strip() for r in data if i < len(r) and str(r[i]).strip())
        allowed = allowed_values(entity, field) or []
        values = [v for v, _ in counts.most_common(MAX_VALUES) if v.lower() not in allowed]
        if not values:
            continue
        out += ["", f"[{entity}.values.{field}]   # the file's value -> one of {', '.join(allowed)}, or \"\" for blank"]
        for value in values:
            guess = _guess(field, value)
            if guess is None:
                # left commented, the value's rows are quarantined with the value named, never loaded on a guess
                out.append(f"# {_toml_str(value)} = \"...\"   # {counts[value]} rows: decide: {_choices(field, allowed)}")
            else:
                out.append(f"{_toml_str(value)} = {_toml_str(guess)}   # {counts[value]} rows")
        if len(counts) > MAX_VALUES:
            out.append(f"# ... and {len(counts) - MAX_VALUES} more values")
    unused = [h for j, h in enumerate(header) if h and j not in {i for i, _ in chosen.values()}]
    if unused:
        out += ["", "# columns not mapped (identifiers among them are dropped at load): " + ", ".join(unused)]
    return "\n".join(out) + "\n"
