"""Turn a tool export (grid + layout) into the loader's `SourceTable` through a mapping.

Fields (employee_id, submitted_at, wave, survey_id) and items are found through the mapping or the
tool's defaults; answer labels become numbers through the item's label set (a label not in the set
is passed on as it is, so the row is quarantined with the label named); tool metadata that identifies
a person is dropped and reported; every other column is listed as not used.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Mapping

import pyarrow as pa

from pipelines.ingest.errors import RefusedFile
from pipelines.ingest.formats.grid import Grid
from pipelines.ingest.formats.labels import norm_label, number_text
from pipelines.ingest.formats.layout import Layout
from pipelines.ingest.formats.mapping import ROLES, Mapping_, SourceColumn, find_column, labels_for_items
from pipelines.ingest.identifiers import is_identifier
from pipelines.ingest.containers import neutralise
from pipelines.ingest.readers import SourceTable, handover_csv

_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")
_TIME = re.compile(r"^[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?\s*$")
_SLASH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(.*)$", re.DOTALL)


def build(grid: Grid, lay: Layout, m: Mapping_, item_codes: set[str], instruments: Mapping,
          workdir: Path | None = None) -> SourceTable:
    path, rows = grid.path, grid.rows
    n_header = lay.data_start
    if len(rows) <= n_header:
        raise RefusedFile(path, f"data rows under the {n_header} header row(s) of a {lay.fmt} export",
                          "no data rows" if rows else "no rows at all", row=n_header + 1)
    columns = lay.columns
    used: dict[int, str] = {}          # source column index -> canonical name

    def claim(col: SourceColumn, name: str) -> None:
        if col.index in used:
            raise RefusedFile(path, "each column mapped once",
                              f"{col.describe()} mapped to both {used[col.index]} and {name}", row=1,
                              column=col.ids[0] if col.ids else col.text[:60])
        if name in used.values():
            other = next(columns[i] for i, n in used.items() if n == name)
            raise RefusedFile(path, f"one column for {name}",
                              f"{other.describe()} and {col.describe()}", row=1, column=name)
        used[col.index] = name

    for role in ROLES:
        ref = m.columns.get(role)
        if ref is not None:
            col = find_column(ref, columns, role, path)
            if col is None:
                raise RefusedFile(path, f"a column {ref!r} for {role} (named in the mapping)",
                                  f"no such column among {_names(columns)}", row=1, column=ref)
            claim(col, role)
            continue
        for ref in lay.roles.get(role, []) + [role]:
            col = find_column(ref, columns, role, path)
            if col is not None and col.index not in used:
                claim(col, role)
                break
    for role in ("employee_id", "submitted_at"):
        if role not in used.values():
            raise RefusedFile(path, f"a column for {role} (name it in the mapping: [columns] {role} = \"...\")",
                              f"none among {_names(columns)}", row=1, column=role)

    missing_items = []
    for code in sorted(item_codes):
        ref = m.items.get(code)
        col = find_column(ref, columns, code, path) if ref is not None else _exact(code, columns)
        if col is None:
            if ref is not None:
                missing_items.append(f"{code} ({ref!r})")
            continue
        claim(col, code)
    items_found = [n for n in used.values() if n in item_codes]
    if not items_found:
        raise RefusedFile(path, "question columns mapped to item codes (a mapping file: coachlens mapping suggest)",
                          f"no item column among {_names(columns)}", row=1)

    drop_refs = [norm_label(x) for x in lay.identifiers + m.drop]
    dropped, ignored = [], []
    for col in columns:
        if col.index in used:
            continue
        label = col.ids[0] if col.ids else col.text
        keys = [norm_label(k) for k in col.ids + [col.text]]
        short = [k for k in col.ids + [col.text] if k and len(k) <= 40]
        if any(k in drop_refs for k in keys) or any(is_identifier(k) for k in short):
            dropped.append(label)
        elif label:
            ignored.append(label)

    labels = labels_for_items(m, instruments)
    order = m.date_order or lay.date_order
    width = len(columns)
    data = rows[n_header:]
    for r, row in enumerate(data, start=1):
        extra = [c for c in row[width:] if c is not None and str(c).strip()]
        if extra:
            raise RefusedFile(path, f"{width} fields as in the header", f"{len(row)} fields (extra value {extra[0][:40]!r})",
                              row=r, column=f"column {width + 1}")
    arrays, names = {}, []
    unmapped: Counter = Counter()
    for j, (i, name) in enumerate(sorted(used.items())):
        values = [row[i] if i < len(row) else None for row in data]
        if name in item_codes:
            table = labels.get(name, {})
            values = [_item_value(v, table, name, unmapped) for v in values]
        elif name == "submitted_at" and order:
            values = [_iso_date(v, order) for v in values]
        arrays[f"col_{j}"] = pa.array([neutralise(v) for v in values], pa.string())
        names.append(name)
    if m.survey_id and "survey_id" not in names:
        arrays[f"col_{len(names)}"] = pa.array([m.survey_id] * len(data), pa.string())
        names.append("survey_id")
    arrays["_source_row"] = pa.array(range(1, len(data) + 1), pa.int64())
    src = SourceTable(path, "survey", f"{lay.fmt}_{grid.container}", names, dict(enumerate(names)),
                      dropped_columns=dropped, ignored_columns=ignored, arrow=pa.table(arrays),
                      notes=list(grid.notes))
    if n_header > 1:
        src.notes.append(f"{n_header} header rows; row numbers count data rows from the first under them")
    for code in missing_items:
        src.notes.append(f"mapping for item {code} matched no column")
    for (code, label), n in sorted(unmapped.items()):
        src.notes.append(f"{code}: label {label!r} is not in its label set ({n} row(s) quarantined)")
    return handover_csv(src, workdir)


def _names(columns: list[SourceColumn]) -> str:
    shown = [(c.ids[0] if c.ids else c.text)[:40] for c in columns[:12]]
    more = f" and {len(columns) - 12} more" if len(columns) > 12 else ""
    return ", ".join(repr(s) for s in shown) + more


def _exact(code: str, columns: list[SourceColumn]) -> SourceColumn | None:
    hits = [c for c in columns if code in [norm_label(k) for k in c.ids + [c.text]]]
    return hits[0] if len(hits) == 1 else None


def _item_value(value, table: dict[str, float], code: str, unmapped: Counter):
    if value is None:
        return None
    text = str(value).strip()
    if text == "":
        return None
    key = norm_label(text)
    if key in table:
        return number_text(table[key])
    if _NUMBER.match(text):
        return text
    unmapped[(code, text[:60])] += 1
    return text


def _iso_date(value, order: str):
    if value is None:
        return None
    m = _SLASH.match(str(value).strip())
    if not m:
        return value
    a, b, y, rest = m.groups()
    day, month = (a, b) if order == "dayfirst" else (b, a)
    date = f"{y}-{int(month):02d}-{int(day):02d}"
    t = _TIME.match(rest)
    if not rest.strip():
        return date
    if not t:
        return value
    h, mi, sec, ampm = t.groups()
    h = int(h)
    if ampm:
        h = h % 12 + (12 if ampm.lower() == "pm" else 0)
    return f"{date} {h:02d}:{mi}:{sec or '00'}"
