"""Google Forms (Sheets) CSV: one header row, Timestamp first, then the question text per column.

A grid (matrix) question is one column per row, headed "Question [Row]". Timestamps are written in
the sheet's locale (8/20/2014 15:33:45 in a US sheet): set date_order in the mapping if the column
does not settle it.
"""

from __future__ import annotations

import re

from pipelines.ingest.formats.layout import Layout, cell
from pipelines.ingest.formats.mapping import SourceColumn

NAME = "google_forms"
_GRID = re.compile(r"^(.*\S)\s*\[([^\]]+)\]\s*$", re.DOTALL)


def detect(head: list[list[str]]) -> bool:
    return bool(head) and bool(head[0]) and head[0][0].strip().lstrip("\ufeff").lower() in ("timestamp", "marca temporal", "horodateur", "zeitstempel")


def layout(rows: list[list[str]]) -> Layout:
    top = rows[0]
    width = len(top)
    while width and not cell(top, width - 1):
        width -= 1
    columns = []
    for i in range(width):
        text = cell(top, i)
        m = _GRID.match(text)
        columns.append(SourceColumn(i, [], text, extra=[m.group(2).strip()] if m else []))
    return Layout(NAME, columns, data_start=1,
                  roles={"employee_id": ["employee_id", "Employee ID", "Employee number", "Staff ID"],
                         "submitted_at": ["Timestamp"]},
                  identifiers=["Email address", "Email Address", "Name", "Your name"])
