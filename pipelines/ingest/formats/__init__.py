"""Readers for survey-tool exports (Qualtrics, SurveyMonkey, Google Forms, Microsoft Forms).

`make_reader(mapping, fmt)` gives the reader callable `ingest(..., reader=...)` takes: each file is
detected (or forced with `fmt`) and read either as a tool export through the mapping file, or, for
canonical files (people.csv, a canonical survey ...), by the canonical reader, so one run may mix
both. See docs/inputs.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

from pipelines.ingest.readers import SourceTable, read_canonical

FORMAT_NAMES = ("canonical", "qualtrics", "surveymonkey", "google_forms", "ms_forms")
_OTHER_ENTITIES = ("people", "person", "employee", "hr", "program", "enrol", "session")


def read_export(path: Path, item_codes: set[str], workdir: Path | None, mapping=None, fmt: str | None = None,
                instruments: Mapping | None = None) -> SourceTable:
    from pipelines.config import load_instruments
    from pipelines.ingest.formats.build import build
    from pipelines.ingest.formats.detect import TOOLS, detect_format
    from pipelines.ingest.formats.grid import read_grid
    from pipelines.ingest.formats.mapping import Mapping_, load_mapping

    m = mapping if isinstance(mapping, Mapping_) else load_mapping(mapping)
    instruments = instruments if instruments is not None else load_instruments()
    path = Path(path)
    forced = fmt or m.fmt
    kind = forced or detect_format(path)
    if kind != "canonical" and forced and (path.stem.lower().startswith(_OTHER_ENTITIES)
                                           or _canonical_file(path, m.entities)):
        # --format (or the mapping's format line) names the survey exports: HR files, extracts the
        # mapping's [people], [enrolments] ... tables describe, and canonical survey files beside them
        # in the same run stay canonical
        kind = "canonical"
    if kind == "canonical":
        return read_canonical(path, item_codes, workdir, entity_maps=m.entities)
    if kind not in TOOLS:
        from pipelines.ingest.formats.errors import MappingError

        raise MappingError(f"unknown format {kind!r}; one of {', '.join(FORMAT_NAMES)}")
    grid = read_grid(path, workdir)
    src = build(grid, TOOLS[kind].layout(grid.rows), m, item_codes, instruments, workdir)
    # the export's reading: its tool and the mapping's survey part (part of its identity, see SourceTable.sha256)
    src.reading = repr((kind, m.survey_id, m.date_order, m.drop, m.columns, m.items, m.labels))
    return src


def _canonical_file(path: Path, entities: Mapping) -> bool:
    """A canonical survey file (its header names employee_id and submitted_at), which no tool writes, or
    an extract holding every column of one of the mapping's entity tables (hris_extract.csv, whose
    name says nothing, beside a Qualtrics export in the same run)."""
    from pipelines.ingest.entity_map import matches
    from pipelines.ingest.formats.grid import sniff_head
    from pipelines.ingest.identifiers import normalise_column

    head = sniff_head(path)
    if not head:
        return False
    return ({"employee_id", "submitted_at"} <= {normalise_column(c) for c in head[0]}
            or any(matches(head[0], em) for em in entities.values()))


def make_reader(mapping: Path | list[Path] | None = None, fmt: str | None = None,
                instruments: Mapping | None = None) -> Callable[[Path, set, Path], SourceTable]:
    """The reader for one run. Mapping and format problems surface here, before anything is read."""
    from pipelines.config import load_instruments
    from pipelines.ingest.formats.errors import MappingError
    from pipelines.ingest.formats.mapping import check_against_instruments, load_mappings

    if fmt not in (None, "auto") and fmt not in FORMAT_NAMES:
        raise MappingError(f"--format {fmt!r}: expected one of {', '.join(FORMAT_NAMES)}")
    m = load_mappings(mapping)
    instr = instruments if instruments is not None else load_instruments()
    check_against_instruments(m, instr)
    forced = None if fmt in (None, "auto") else fmt

    def read(path: Path, item_codes: set, workdir: Path | None = None) -> SourceTable:
        return read_export(path, item_codes, workdir, mapping=m, fmt=forced, instruments=instr)

    return read
