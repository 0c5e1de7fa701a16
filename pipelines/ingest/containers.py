"""XLSX workbooks and Parquet files as Arrow tables of text, and the formula guard every reader applies
to every cell. The readers (`pipelines.ingest.readers`, the survey-tool formats) build on these."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa

from pipelines.ingest.errors import RefusedFile

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def neutralise(value):
    """Text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe.

    Every reader applies it to every cell, so such text is stored as plain text (or quarantined
    with its neutralised value) and cannot reach an export able to run. Signed numbers are kept.
    """
    if value is None or not isinstance(value, str):
        return value
    stripped = value.lstrip(" ")
    if stripped.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(stripped.strip()):
        return "'" + value
    return value


def neutralise_array(array) -> pa.ChunkedArray | pa.Array:
    import pyarrow.compute as pc

    text = pc.utf8_ltrim(array, " ")
    risky = pc.and_(pc.match_substring_regex(text, r"^[=+\-@\t\r]"),
                    pc.invert(pc.match_substring_regex(pc.utf8_trim_whitespace(text), _PLAIN_NUMBER.pattern)))
    return pc.if_else(pc.fill_null(risky, False), pc.binary_join_element_wise("'", array, ""), array)


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200]


def cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if (value.hour or value.minute or value.second) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value)
    return text


def open_workbook(path: Path):
    """The workbook opened by its content, not its name: sniff() has seen an XLSX zip, and an XLSX saved
    as results.xls is read as the XLSX it is (by its name calamine takes it for a legacy .xls and fails
    with "Cfb error: Invalid OLE"). A legacy .xls never gets here: sniff() refuses it."""
    from python_calamine import CalamineWorkbook

    try:
        with open(path, "rb") as fh:
            return CalamineWorkbook.from_filelike(fh)
    except Exception as exc:  # calamine raises its own error types
        raise RefusedFile(path, "a readable XLSX workbook", f"a workbook that cannot be opened ({first_line(exc)})") from exc


def read_xlsx(path: Path) -> tuple[list[str], pa.Table, str | None]:
    wb = open_workbook(path)
    sheets = [name for name in wb.sheet_names]
    # the first sheet with a header and a data row under it: a workbook often opens on a notes or
    # instructions sheet (one cell of text), which is not the data
    chosen, rows, header_only = None, [], None
    for name in sheets:
        data = [list(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)]
        while data and all(c in (None, "") for c in data[-1]):      # trailing empty rows
            data.pop()
        if len(data) >= 2:
            chosen, rows = name, data
            break
        if data and header_only is None:
            header_only = name
    if chosen is None:
        if header_only is None:
            raise RefusedFile(path, "a sheet with a header row and data rows", "only empty sheets", row=1)
        raise RefusedFile(path, "at least one data row under the header",
                          f"no sheet with data rows (sheet {header_only!r} holds a header, or one line, and no data rows)",
                          row=2)
    note = None
    if len(sheets) > 1:
        note = f"read sheet {chosen!r}; {len(sheets) - 1} other sheet(s) ignored: {', '.join(s for s in sheets if s != chosen)}"
    header = [str(cell_text(c) or "").strip() for c in rows[0]]
    while header and header[-1] == "":
        header.pop()
    cols = {f"col_{i}": [neutralise(cell_text(r[i])) if i < len(r) else None for r in rows[1:]]
            for i in range(len(header))}
    cols["_source_row"] = list(range(1, len(rows)))
    return header, pa.table(cols), note


def read_parquet(path: Path) -> tuple[list[str], pa.Table, dict[int, str]]:
    """The header, every column as text, and the columns whose values are not one plain value
    (lists, structs, maps: position -> type), read as empty: fine unless a field uses them."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise RefusedFile(path, "a readable Parquet file", f"a damaged Parquet file ({first_line(exc)})") from exc
    header = list(table.column_names)
    arrays, nested = {}, {}
    for i, name in enumerate(header):
        column = table.column(i)
        if pa.types.is_nested(column.type):
            nested[i] = str(column.type)
            arrays[f"col_{i}"] = pa.nulls(table.num_rows, pa.string())
        elif pa.types.is_floating(column.type):
            arrays[f"col_{i}"] = [cell_text(v) for v in column.to_pylist()]
        elif pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            arrays[f"col_{i}"] = [cell_text(v) for v in column.to_pylist()]
        else:
            arrays[f"col_{i}"] = neutralise_array(column.cast(pa.string()))
    arrays["_source_row"] = pa.array(range(1, table.num_rows + 1), pa.int64())
    return header, pa.table(arrays), nested
