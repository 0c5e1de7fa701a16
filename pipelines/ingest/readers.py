"""Readers: one file in, one `SourceTable` out (canonical column names, every value as text).

Canonical CSV goes straight to DuckDB's own reader (all columns as VARCHAR, numbered by a
streaming `row_number()`); XLSX and Parquet go through pyarrow. Survey-tool exports have their own
readers in `pipelines.ingest.formats`, which hand over the same `SourceTable`.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipelines.ingest.entity_map import BIRTH_DATE_FIELD, ENTITY_SECTIONS, EntityMap, matches, resolve
from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.identifiers import is_birth_date, is_identifier, normalise_column
from pipelines.ingest.schemas import alias_map, required_columns
from pipelines.ingest.containers import read_parquet, read_xlsx
from pipelines.ingest.sniff import sniff

csv.field_size_limit(1 << 28)  # a very long cell is data, not a reason to stop reading

ENTITIES = ("programs", "people", "enrolments", "sessions", "survey")  # load order
_PREFIXES = {"program": "programs", "people": "people", "person": "people", "employee": "people",
             "hr": "people", "enrolment": "enrolments", "enrollment": "enrolments",
             "session": "sessions", "survey": "survey", "pulse": "survey", "responses": "survey"}




@dataclass
class SourceTable:
    path: Path
    entity: str
    source_format: str
    header: list[str]                 # the file's own column names, in order
    columns: dict[int, str]           # physical position -> canonical name (kept columns only)
    dropped_columns: list[str] = field(default_factory=list)   # identifiers, never stored
    ignored_columns: list[str] = field(default_factory=list)   # not part of the entity
    birth_date_column: int | None = None
    csv_path: Path | None = None      # read with DuckDB: columns named col_0, col_1, ...
    csv_delim: str | None = None
    arrow: pa.Table | None = None     # columns col_0, col_1, ... (strings) and _source_row
    notes: list[str] = field(default_factory=list)
    recodes: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {value (lower): canonical}
    # how the file writes numbers: 'dot' (1,500.5), 'comma' (1.500,5: a ';' CSV) or 'unknown' (a tab
    # or pipe CSV); numbers a workbook or Parquet file stores as numbers reach the loader as dot text
    decimal: str = "dot"
    # how the file was read beyond its own bytes: the mapping that applied to it ('' for none)
    reading: str = ""

    @property
    def sha256(self) -> str:
        """The file's identity in load_batches.file_sha256: the sha256 of its bytes, or, for a file read
        through a mapping, of those and the mapping that applied to it (a file loaded through a mistaken
        mapping is loaded again through the corrected one, not skipped as loaded before)."""
        h = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        if not self.reading:
            return h.hexdigest()
        return hashlib.sha256(f"{h.hexdigest()}\n{self.reading}".encode()).hexdigest()


def detect_entity(path: Path, header_norm: list[str]) -> str:
    stem = normalise_column(path.stem)
    first = stem.split("_", 1)[0]
    for prefix, entity in _PREFIXES.items():
        if first.startswith(prefix):
            return entity
    cols = set(header_norm)
    if "submitted_at" in cols or "timestamp" in cols:
        return "survey"
    if {"program_id", "cohort_id"} <= cols:
        return "enrolments"
    if "duration_minutes" in cols:
        return "sessions"
    if "program_id" in cols and ("type" in cols or "program_type" in cols):
        return "programs"
    if {"department", "team"} <= cols:
        return "people"
    raise RefusedFile(path, "a file name starting with people, programs, enrolments, sessions or survey, "
                      "or the columns of one of them (see docs/data-contract.md)",
                      f"columns {', '.join(header_norm[:8])}", row=1)


def read_canonical(path: Path, item_codes: set[str], workdir: Path | None = None,
                   entity: str | None = None, entity_maps: dict[str, EntityMap] | None = None) -> SourceTable:
    """A canonical file, or an HR / program extract whose columns and values a mapping file's
    `[people]`, `[programs]` ... tables name (`entity_maps`, see pipelines/ingest/entity_map.py)."""
    path = Path(path)
    sniffed = sniff(path, workdir)
    if sniffed.container == "csv":
        delim, header = _csv_header(path, sniffed.path)
        # cells a spreadsheet would run as formulas are guarded in SQL while staging (cl_safe)
        src = SourceTable(path, "", "canonical_csv", header, {}, csv_path=sniffed.path, csv_delim=delim,
                          decimal={",": "dot", ";": "comma"}.get(delim, "unknown"))
        if sniffed.encoding not in ("utf-8", "utf-8-sig"):
            src.notes.append(f"read as {sniffed.encoding}, converted to UTF-8")
        if sniffed.note:
            src.notes.append(sniffed.note)
    elif sniffed.container == "xlsx":
        header, table, note = read_xlsx(path)
        src = SourceTable(path, "", "canonical_xlsx", header, {}, arrow=table)
        if note:
            src.notes.append(note)
    else:
        header, table, nested = read_parquet(path)
        src = SourceTable(path, "", "canonical_parquet", header, {}, arrow=table)
    _map_columns(src, item_codes, entity, entity_maps or {})
    if sniffed.container == "parquet":
        for i, kind in nested.items():
            if i in src.columns:
                raise RefusedFile(path, "one plain value (text, number or date) per cell in a used column",
                                  f"column {header[i]!r} holding {kind} values", row=1, column=header[i])
    handover_csv(src, workdir)
    return src


def handover_csv(src: SourceTable, workdir: Path | None) -> SourceTable:
    """Hand an in-memory table to the loader as a UTF-8 CSV in the run's workdir.

    The loader then reads every source the same way (DuckDB's CSV reader, rows numbered in file
    order), and no Arrow object has to be registered on the run's connection (DuckDB 2.0 refuses
    `register` while a result of that connection is still open). `_source_row` must run 1..n.
    """
    if src.arrow is None or workdir is None:
        return src
    import tempfile

    import pyarrow.csv as pacsv

    table = src.arrow
    rows = table.column("_source_row").to_pylist() if table.num_rows else []
    if rows != list(range(1, len(rows) + 1)):
        return src   # numbering with gaps: keep the Arrow table
    table = table.drop(["_source_row"])
    fh = tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False, dir=workdir,
                                     prefix=src.path.stem[:40] + "-handover-")
    with fh:
        pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    src.csv_path, src.csv_delim, src.arrow = Path(fh.name), ",", None
    src.header = list(src.header) + [""] * (table.num_columns - len(src.header))
    src.header = src.header[: table.num_columns] if len(src.header) > table.num_columns else src.header
    return src


def _csv_header(path: Path, utf8_path: Path) -> tuple[str, list[str]]:
    """The delimiter (the candidate most frequent in the header line, outside quotes) and header."""
    with open(utf8_path, encoding="utf-8-sig", newline="") as fh:
        head = fh.read(1 << 20)
    lines = head.split("\n")
    blank = next((i for i, line in enumerate(lines) if line.strip()), None)
    if blank is None:
        raise RefusedFile(path, "a header row and data rows", "only blank lines", row=1)
    if blank:
        raise RefusedFile(path, "the header on row 1",
                          f"{blank} blank line{'s' if blank > 1 else ''} before it (the header is on row "
                          f"{blank + 1}); delete {'them' if blank > 1 else 'it'}", row=1)
    first = lines[0]
    unquoted = "".join(part for i, part in enumerate(first.split('"')) if i % 2 == 0)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t", "|")}
    delim = max(counts, key=lambda d: (counts[d], d == ","))
    reader = csv.reader(io.StringIO(head), delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        raise RefusedFile(path, "a header row", "no rows", row=1) from None
    except csv.Error as exc:
        raise RefusedFile(path, "a CSV header row", f"text that is not CSV ({exc})", row=1) from None
    try:
        _check_delimiter(path, header, next(reader), delim)
    except StopIteration:
        raise RefusedFile(path, "at least one data row under the header", "a header and no data rows", row=2) from None
    except csv.Error:
        pass  # a malformed data row is the loader's business (quarantined with its row number)
    # trailing empty columns, as Excel leaves them, stay in the header so that the reader expects
    # them in every row; they hold no data and are not reported
    return delim, [h.strip() for h in header]


def _check_delimiter(path: Path, header: list[str], first: list[str], delim: str) -> None:
    """A header split by one delimiter over data rows split by another is a wrong-delimiter file."""
    if len(header) < 2 or len(first) != 1:
        return
    for other in (",", ";", "\t", "|"):
        if other != delim and len(next(csv.reader([first[0]], delimiter=other))) >= max(2, len(header) // 2):
            name = {"\t": "tab"}
            raise RefusedFile(path, f"data rows separated by {name.get(delim, delim)!r} as the header is",
                              f"the first data row separated by {name.get(other, other)!r} "
                              "(is the delimiter right?)", row=1)


def _entity(src: SourceTable, norm: list[str], entity_maps: dict[str, EntityMap]) -> str:
    """The file's entity from its name or columns; failing those, the mapping table whose columns
    are all in the file (an extract named e.g. workday_2026-11.csv), or the mapping's only table
    (so that a column it names and the file lacks is reported as such)."""
    try:
        return detect_entity(src.path, norm)
    except RefusedFile:
        fits = [e for e, em in entity_maps.items() if matches(src.header, em)]
        if len(fits) == 1:
            return fits[0]
        if not fits and len(entity_maps) == 1:
            return next(iter(entity_maps))
        raise


def _map_columns(src: SourceTable, item_codes: set[str], entity: str | None,
                 entity_maps: dict[str, EntityMap]) -> None:
    norm = [normalise_column(h) for h in src.header]
    src.entity = entity or _entity(src, norm, entity_maps)
    aliases = alias_map(src.entity)
    mapped: dict[int, str] = {}
    em = entity_maps.get(src.entity)
    canonical_file = {aliases[n] for n in norm if n in aliases} >= set(required_columns(src.entity))
    # the mapping is for the extract whose columns it names; a canonical file beside it in the same
    # run (people.csv with every required column, none of the mapped ones) is read as it is
    if em is not None and (matches(src.header, em) or not canonical_file):
        mapped = resolve(src.path, src.header, em)
        src.recodes = {name: table for name, table in em.values.items() if name in mapped.values()}
        src.reading = repr(em)
        # a mapped field is taken from its mapped column only, whatever other columns its aliases name
        aliases = {k: v for k, v in aliases.items() if v not in mapped.values()}
    seen: dict[str, int] = {}
    for i, (orig, name) in enumerate(zip(src.header, norm)):
        if name == "":
            if any(h.strip() for h in src.header[i + 1:]):
                src.ignored_columns.append(f"(unnamed column {i + 1})")
            continue
        canonical = mapped[i] if i in mapped else aliases.get(name)
        if canonical == BIRTH_DATE_FIELD:
            src.birth_date_column = i
            src.dropped_columns.append(orig)
            continue
        if canonical is None and src.entity == "survey" and name in item_codes:
            canonical = name
        if canonical is None:
            if is_birth_date(name) and src.entity == "people" and BIRTH_DATE_FIELD not in mapped.values():
                src.birth_date_column = i
                src.dropped_columns.append(orig)
            elif is_identifier(name):
                src.dropped_columns.append(orig)
            else:
                src.ignored_columns.append(orig)
            continue
        if canonical in seen:
            raise RefusedFile(src.path, "each column once",
                              f"{orig!r} (column {i + 1}) repeats {src.header[seen[canonical]]!r} "
                              f"(column {seen[canonical] + 1})", row=1, column=orig)
        seen[canonical] = i
        src.columns[i] = canonical
    missing = [c for c in required_columns(src.entity) if c not in seen]
    if missing:
        hint = (f"; name them in a mapping file's [{src.entity}] table (--mapping, docs/inputs.md)"
                if src.entity in ENTITY_SECTIONS else "")
        if len(src.header) == 1:
            hint = " (the whole header is one column: is the delimiter right?)"
        raise RefusedFile(src.path, f"the {src.entity} columns {', '.join(required_columns(src.entity))}",
                          f"no column for {', '.join(missing)} among {', '.join(src.header[:12])}{hint}",
                          row=1, column=missing[0])
    if src.entity == "survey" and not (set(seen) & item_codes):
        raise RefusedFile(src.path, "item columns named by the instrument config (e.g. eng_vig1, val1, enps)",
                          f"none among {', '.join(src.header[:12])}; for a survey-tool export use a mapping "
                          "(coachlens mapping suggest)", row=1)
