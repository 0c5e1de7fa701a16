"""A survey-tool export as a grid of text cells, whatever its container and encoding.

CSV goes through `sniff()` (UTF-8 with or without BOM, UTF-16, cp1252, mixed lines) and its
delimiter (`,` `;` or tab) is read from the first line; XLSX is read with calamine (the first sheet
holding data). Trailing empty rows and columns are dropped, as Excel leaves them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.sniff import sniff

csv.field_size_limit(1 << 28)


@dataclass
class Grid:
    path: Path
    rows: list[list[str]]
    container: str                # csv / xlsx
    notes: list[str] = field(default_factory=list)


def _blank(cell) -> bool:
    return cell is None or str(cell).strip() == ""


def delimiter_of(first_line: str) -> str:
    counts = {d: _outside_quotes_count(first_line, d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _outside_quotes_count(line: str, delim: str) -> int:
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delim and not quoted:
            n += 1
    return n


def read_grid(path: Path, workdir: Path | None = None) -> Grid:
    sniffed = sniff(path, workdir)
    notes = []
    if sniffed.container == "csv":
        with open(sniffed.path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
        if sniffed.encoding not in ("utf-8", "utf-8-sig"):
            notes.append(f"read as {sniffed.encoding}, converted to UTF-8")
        first = text.split("\n", 1)[0]
        delim = delimiter_of(first)
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delim, strict=False))
        except csv.Error as exc:
            raise RefusedFile(path, "a CSV file", f"text the CSV reader cannot split ({exc})") from exc
        container = "csv"
    elif sniffed.container == "xlsx":
        rows, note = _xlsx_rows(path)
        if note:
            notes.append(note)
        container = "xlsx"
    else:
        raise RefusedFile(path, "a survey-tool export (CSV or XLSX)", f"a {sniffed.container} file")
    while rows and all(_blank(c) for c in rows[-1]):
        rows.pop()
    return Grid(path, rows, container, notes)


def _xlsx_rows(path: Path) -> tuple[list[list[str]], str | None]:
    from pipelines.ingest.containers import cell_text, open_workbook

    wb = open_workbook(path)
    sheets = list(wb.sheet_names)
    for name in sheets:
        data = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if any(any(not _blank(c) for c in r) for r in data):
            rows = [[cell_text(c) or "" for c in r] for r in data]
            note = None
            if len(sheets) > 1:
                note = (f"read sheet {name!r}; {len(sheets) - 1} other sheet(s) ignored: "
                        f"{', '.join(s for s in sheets if s != name)}")
            return rows, note
    raise RefusedFile(path, "a sheet with a header row and data rows", "only empty sheets", row=1)


def sniff_head(path: Path, limit: int = 65536) -> list[list[str]]:
    """The first few rows, cheaply, for detection (no temporary copies)."""
    from pipelines.ingest.sniff import _OLE

    with open(path, "rb") as fh:
        raw = fh.read(limit)
    if raw.startswith(b"PK\x03\x04"):
        try:
            return _xlsx_rows(path)[0][:5]
        except RefusedFile:
            return []
    if raw.startswith(b"PAR1") or raw.startswith(_OLE):
        return []
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        text = raw[: len(raw) // 2 * 2].decode("utf-16", errors="replace")
    else:
        text = raw.decode("utf-8", errors="replace")
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        return []
    delim = delimiter_of(text.split("\n", 1)[0])
    rows = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delim, strict=False):
            rows.append(row)
            if len(rows) == 5:
                break
    except csv.Error:
        pass
    return rows
