"""Mapping an HR or program extract onto a canonical entity: which of the file's columns is which
field, and which of its values is which canonical value.

A mapping file's `[people]`, `[programs]`, `[enrolments]` or `[sessions]` table names columns:

    [people]
    employee_id = "EmpID"
    team = "ManagerID"                  # a team is a manager's reports
    exit_type = "EmploymentStatus"
    date_of_birth = "DOB"               # read only to compute an age band, never stored

    [people.values.exit_type]           # the file's value -> the canonical value ("" = blank)
    "Voluntarily Terminated" = "voluntary"
    "Terminated for Cause" = "involuntary"
    "Active" = ""

Columns are matched by name ignoring case, spaces and punctuation; values ignoring case and
surrounding spaces. A mapped column wins over the built-in aliases. A column that looks like a name,
email or other identifier can only be mapped to the employee id (which is pseudonymised): coachlens
never stores identifiers, so `team = "ManagerName"` is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.config import ConfigError
from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.identifiers import is_identifier, normalise_column
from pipelines.ingest.schemas import SCHEMAS

ENTITY_SECTIONS = ("people", "programs", "enrolments", "sessions")
BIRTH_DATE_FIELD = "date_of_birth"   # people only: read to compute an age, then dropped


@dataclass
class EntityMap:
    entity: str
    fields: dict[str, str] = field(default_factory=dict)             # canonical field -> column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {value (lower): canonical}


def allowed_fields(entity: str) -> list[str]:
    names = list(SCHEMAS[entity].columns)
    return names + [BIRTH_DATE_FIELD] if entity == "people" else names


def allowed_values(entity: str, name: str) -> list[str] | None:
    """The values a field takes when they are a fixed set (exit_type, status ...), else None."""
    for check in SCHEMAS[entity].columns[name].checks:
        if check.name == "isin":
            return [str(v) for v in check.statistics["allowed_values"]]
    return None


def parse_section(path: Path | None, entity: str, raw) -> EntityMap:
    """One `[entity]` table of a mapping file; a ConfigError names the file and the setting."""
    where = f"{path}: [{entity}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table of field = \"column\" entries")
    em = EntityMap(entity)
    allowed = allowed_fields(entity)
    for name, value in raw.items():
        if name == "values":
            continue
        if name not in allowed:
            raise ConfigError(f"{where} names {name!r}, not a {entity} field; fields: {', '.join(allowed)}")
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where} {name}: expected a column name in quotes, found {value!r}")
        em.fields[name] = value
    values = raw.get("values") or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{where}.values: expected one table per field, e.g. [{entity}.values.exit_type]")
    for name, table in values.items():
        if name not in SCHEMAS[entity].columns or SCHEMAS[entity].columns[name].metadata["parse"] == "id":
            raise ConfigError(f"{where}.values.{name}: values can be recoded for the fields "
                              f"{', '.join(n for n in SCHEMAS[entity].columns if n != 'employee_id')}")
        if not isinstance(table, dict) or not table:
            raise ConfigError(f"{where}.values.{name}: expected \"file value\" = \"canonical value\" entries")
        ok = allowed_values(entity, name)
        recode: dict[str, str] = {}
        for source, target in table.items():
            target = "" if target is None else str(target).strip()
            if ok is not None and target and target.lower() not in ok:
                raise ConfigError(f"{where}.values.{name}: {source!r} = {target!r}: expected one of "
                                  f"{', '.join(ok)}, or \"\" for blank")
            key = str(source).strip().lower()
            if key in recode and recode[key] != target:
                raise ConfigError(f"{where}.values.{name}: {source!r} is given twice (values match "
                                  "ignoring case and surrounding spaces)")
            recode[key] = target
        em.values[name] = recode
    return em


def resolve(path: Path, header: list[str], em: EntityMap) -> dict[int, str]:
    """Column position -> canonical field for each mapped field; a RefusedFile names the file and
    the column when a mapped column is missing, named twice, or an identifier."""
    norm = [normalise_column(h) for h in header]
    out: dict[int, str] = {}
    for name, ref in em.fields.items():
        hits = [i for i, h in enumerate(norm) if h and h == normalise_column(ref)]
        what = f"the column {ref!r} that the mapping's [{em.entity}] names for {name}"
        if not hits:
            raise RefusedFile(path, what, f"no such column among {', '.join(h for h in header[:15] if h)}",
                              row=1, column=ref)
        if len(hits) > 1:
            raise RefusedFile(path, f"{what} to be one column", f"{len(hits)} columns named so "
                              f"(columns {', '.join(str(i + 1) for i in hits)})", row=1, column=ref)
        i = hits[0]
        if i in out:
            raise RefusedFile(path, "each column mapped to one field", f"{header[i]!r} mapped to both "
                              f"{out[i]} and {name}", row=1, column=header[i])
        parse = SCHEMAS[em.entity].columns[name].metadata["parse"] if name in SCHEMAS[em.entity].columns else None
        if parse != "id" and name != BIRTH_DATE_FIELD and is_identifier(header[i]):
            raise RefusedFile(path, f"a column that does not identify a person for {name}",
                              f"{header[i]!r}, which looks like a name, email or other identifier; "
                              "coachlens never stores identifiers: map a code instead (e.g. a manager's or "
                              "unit's id)", row=1, column=header[i])
        out[i] = name
    return out


def matches(header: list[str], em: EntityMap) -> bool:
    """Whether every column the map names is in `header` (to recognise an extract by its mapping)."""
    norm = {normalise_column(h) for h in header}
    return bool(em.fields) and all(normalise_column(ref) in norm for ref in em.fields.values())
