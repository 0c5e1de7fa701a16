"""What a tool reader tells the common builder: the columns, where data starts, tool defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.ingest.formats.mapping import SourceColumn


@dataclass
class Layout:
    fmt: str
    columns: list[SourceColumn]
    data_start: int                                   # index of the first data row in the grid
    roles: dict[str, list[str]] = field(default_factory=dict)  # default column refs per field
    identifiers: list[str] = field(default_factory=list)       # tool metadata columns never stored
    date_order: str | None = None


def cell(row: list[str], i: int) -> str:
    return row[i].strip() if i < len(row) and row[i] is not None else ""
