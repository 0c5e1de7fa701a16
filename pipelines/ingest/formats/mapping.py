"""The mapping file: which export column is which item or field, and which answer label is which number.

TOML (or YAML with the same layout):

    format = "qualtrics"            # optional: qualtrics, surveymonkey, google_forms, ms_forms
    survey_id = "pulse-2026-q1"     # optional: the administration, for every row
    date_order = "monthfirst"       # optional: how to read slash dates (dayfirst / monthfirst)
    drop = ["Q77"]                  # optional: more columns never to store (reported as dropped)

    [columns]                       # canonical field -> column
    employee_id = "ExternalReference"
    submitted_at = "RecordedDate"
    wave = "Wave"                   # optional
    survey_id = "Survey"            # optional

    [items]                         # item code -> column
    eng_vig1 = "QID14"              # a column id (Qualtrics export tag or ImportId) ...
    eng_vig2 = "At my job, I feel strong*"          # ... a question text, or a pattern with *
    eng_vig3 = "re:^When I get up in the morning"   # ... or a regular expression

    [labels]                        # instrument or item code -> label set
    engagement = "frequency_0_6"    # a shipped set (pipelines/config/labels.toml) ...
    tis3 = { "Yes" = 5, "No" = 1 }  # ... or your own; item entries win over instrument entries

    [people]                        # HR extracts: canonical field -> column (pipelines/ingest/entity_map.py)
    team = "ManagerID"
    [people.values.exit_type]       # the file's value -> canonical value
    "Voluntarily Terminated" = "voluntary"

A column reference is matched, case-insensitively and ignoring repeated spaces, against the
column's ids first (export tag, ImportId), then its question text ("Question - Row" or
"Question [Row]" for a matrix row), then a matrix row label alone; it must pick exactly one column.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from pipelines.config import ConfigError
from pipelines.ingest.entity_map import ENTITY_SECTIONS, EntityMap, parse_section
from pipelines.ingest.formats.errors import MappingError
from pipelines.ingest.formats.labels import default_set_for, label_table, norm_label, shipped_sets

ROLES = ("employee_id", "submitted_at", "wave", "survey_id")
FORMATS = ("qualtrics", "surveymonkey", "google_forms", "ms_forms")


@dataclass
class SourceColumn:
    index: int
    ids: list[str]                 # export tag, ImportId ...
    text: str                      # question text (with the matrix row)
    extra: list[str] = field(default_factory=list)  # a matrix row label alone

    def describe(self) -> str:
        label = self.ids[0] if self.ids else self.text
        return f"{label!r} (column {self.index + 1})"


@dataclass
class Mapping_:
    path: Path | None = None
    fmt: str | None = None
    survey_id: str | None = None
    date_order: str | None = None
    drop: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    labels: dict[str, object] = field(default_factory=dict)
    entities: dict[str, EntityMap] = field(default_factory=dict)   # [people], [programs] ... of HR extracts


def load_mapping(path: Path | None) -> Mapping_:
    if path is None:
        return Mapping_()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MappingError(f"{path}: mapping file not found") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise MappingError(f"{path}: not valid YAML ({exc})") from None
    else:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(f"{path}: not valid TOML ({exc})") from None
    if not isinstance(raw, dict):
        raise MappingError(f"{path}: expected a table of settings")
    known = {"format", "survey_id", "date_order", "drop", "columns", "items", "labels", *ENTITY_SECTIONS}
    unknown = set(raw) - known
    if unknown:
        raise MappingError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    m = Mapping_(path=path, fmt=raw.get("format"), survey_id=raw.get("survey_id"),
                 date_order=raw.get("date_order"), drop=[str(x) for x in raw.get("drop", [])],
                 columns={str(k): str(v) for k, v in (raw.get("columns") or {}).items()},
                 items={str(k): str(v) for k, v in (raw.get("items") or {}).items()},
                 labels=dict(raw.get("labels") or {}))
    for entity in ENTITY_SECTIONS:
        if entity in raw:
            try:
                m.entities[entity] = parse_section(path, entity, raw[entity])
            except ConfigError as exc:
                raise MappingError(str(exc)) from None
    if m.fmt is not None and m.fmt not in FORMATS + ("canonical",):
        raise MappingError(f"{path}: format {m.fmt!r} is not one of {', '.join(FORMATS)}")
    if m.date_order not in (None, "dayfirst", "monthfirst"):
        raise MappingError(f"{path}: date_order must be dayfirst or monthfirst, found {m.date_order!r}")
    bad = set(m.columns) - set(ROLES)
    if bad:
        raise MappingError(f"{path}: [columns] names {', '.join(sorted(bad))}; allowed: {', '.join(ROLES)}")
    return m


def load_mappings(paths) -> Mapping_:
    """One mapping from several files (`--mapping` repeated): at most one maps survey exports, and
    each of [people], [programs] ... comes from one file. A single path or None works too."""
    if paths is None or isinstance(paths, (str, Path)):
        return load_mapping(paths)
    maps = [load_mapping(p) for p in paths]
    if not maps:
        return Mapping_()
    survey = [m for m in maps if m.fmt or m.survey_id or m.date_order or m.drop or m.columns or m.items or m.labels]
    if len(survey) > 1:
        raise MappingError(f"{survey[0].path} and {survey[1].path} both map survey exports; a run takes one "
                           "survey mapping (load the exports in separate runs, or merge the files)")
    out = survey[0] if survey else Mapping_(path=maps[0].path)
    for m in maps:
        for entity, em in m.entities.items():
            if m is not out and entity in out.entities:
                raise MappingError(f"[{entity}] is in both {out.path} and {m.path}; keep one")
            out.entities[entity] = em
    return out


def check_against_instruments(m: Mapping_, instruments: Mapping) -> None:
    codes = {c for spec in instruments.values() for c in spec["items"]}
    unknown = set(m.items) - codes
    if unknown:
        raise MappingError(f"{m.path}: [items] names item codes not in the instrument config: "
                           f"{', '.join(sorted(unknown))}")
    for key, value in m.labels.items():
        if key not in codes and key not in instruments:
            raise MappingError(f"{m.path}: [labels] {key!r} is neither an instrument nor an item code")
        if isinstance(value, str) and value not in shipped_sets():
            raise MappingError(f"{m.path}: [labels] {key} = {value!r}: no such label set; shipped sets: "
                               f"{', '.join(shipped_sets())}")


def labels_for_items(m: Mapping_, instruments: Mapping) -> dict[str, dict[str, float]]:
    """item code -> {normalised label: number}: item entry, else instrument entry, else the default set."""
    out = {}
    for name, spec in instruments.items():
        for code in spec["items"]:
            choice = m.labels.get(code, m.labels.get(name))
            if choice is None:
                choice = default_set_for(spec["scale_min"], spec["scale_max"])
            if choice is None:
                out[code] = {}
            elif isinstance(choice, str):
                out[code] = label_table(shipped_sets()[choice])
            else:
                try:
                    out[code] = label_table(choice)
                except (TypeError, ValueError):
                    raise MappingError(f"{m.path}: [labels] for {code}: each label must map to a number") from None
    return out


def _norm(text: str) -> str:
    return norm_label(text)


def _matches(ref: str, candidate: str) -> bool:
    if not candidate:
        return False
    if ref.startswith("re:"):
        return re.search(ref[3:], candidate, flags=re.IGNORECASE | re.DOTALL) is not None
    if _norm(ref) == _norm(candidate):
        return True     # exact text first: question texts hold ? and [ ] (Google Forms grids)
    if "*" in ref:
        return fnmatch.fnmatchcase(_norm(candidate), _norm(ref).replace("[", "[[]"))
    return False


def find_column(ref: str, columns: list[SourceColumn], what: str, path: Path) -> SourceColumn | None:
    """The one column `ref` names (ids first, then text, then row label); None when none does."""
    from pipelines.ingest.errors import RefusedFile

    if ref.startswith("re:"):
        try:
            re.compile(ref[3:])
        except re.error as exc:
            raise MappingError(f"mapping for {what}: bad regular expression {ref[3:]!r} ({exc})") from None
    for tier in (lambda c: c.ids, lambda c: [c.text], lambda c: c.extra):
        hits = [c for c in columns if any(_matches(ref, k) for k in tier(c))]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise RefusedFile(path, f"the mapping for {what} ({ref!r}) to name one column",
                              f"{len(hits)} columns: {', '.join(h.describe() for h in hits[:5])}; "
                              "use a column id (e.g. the Qualtrics ImportId) or a longer text", row=1)
    return None
