"""SurveyMonkey CSV or XLSX: two header rows; data from row 3.

Row 1 holds the question once, blank over the 2nd..nth columns of a matrix or multi-choice
question; row 2 holds "Response" / "Open-Ended Response" or the matrix row (option) label. A matrix
column is named "Question - Row label" (and the row label alone, when unique).
"""

from __future__ import annotations

from pipelines.ingest.formats.layout import Layout, cell
from pipelines.ingest.formats.mapping import SourceColumn

NAME = "surveymonkey"
METADATA = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
            "First Name", "Last Name", "Custom Data 1"]
IDENTIFYING = ["IP Address", "Email Address", "First Name", "Last Name"]
_PLAIN = {"response", "open-ended response", ""}


def detect(head: list[list[str]]) -> bool:
    if len(head) < 2 or not head[0]:
        return False
    first = [c.strip().lower() for c in head[0]]
    second = {c.strip().lower() for c in head[1]}
    return ("respondent id" in first and "collector id" in first) or (
        "respondent id" in first and bool(second & {"response", "open-ended response"}))


def layout(rows: list[list[str]]) -> Layout:
    top, sub = rows[0], rows[1] if len(rows) > 1 else []
    width = max(len(top), len(sub))
    while width and not cell(top, width - 1) and not cell(sub, width - 1):
        width -= 1
    columns, question = [], ""
    for i in range(width):
        q, s = cell(top, i), cell(sub, i)
        if q:
            question = q
        if s.lower() in _PLAIN:
            columns.append(SourceColumn(i, [], question))
        elif s.lower() == "other (please specify)":
            columns.append(SourceColumn(i, [], f"{question} - {s}"))
        else:
            columns.append(SourceColumn(i, [], f"{question} - {s}", extra=[s]))
    return Layout(NAME, columns, data_start=2,
                  roles={"employee_id": ["Custom Data 1", "employee_id", "Employee ID"],
                         "submitted_at": ["End Date"]},
                  identifiers=IDENTIFYING, date_order="monthfirst")
