"""Microsoft Forms Excel: one header row: ID, Start time, Completion time, Email, Name, [Total points,
Quiz feedback], [Last modified time], then the question text per column (quizzes add "Points - Q"
and "Feedback - Q" columns). A Likert question is one column per statement, headed "Question.Statement"
in some exports and by the statement alone in others; both are matched by text.
"""

from __future__ import annotations

from pipelines.ingest.formats.layout import Layout, cell
from pipelines.ingest.formats.mapping import SourceColumn

NAME = "ms_forms"
IDENTIFYING = ["Email", "Name"]


def detect(head: list[list[str]]) -> bool:
    if not head or len(head[0]) < 3:
        return False
    first = [c.strip().lower().lstrip("\ufeff") for c in head[0][:3]]
    return first == ["id", "start time", "completion time"]


def layout(rows: list[list[str]]) -> Layout:
    top = rows[0]
    width = len(top)
    while width and not cell(top, width - 1):
        width -= 1
    columns = [SourceColumn(i, [], cell(top, i)) for i in range(width)]
    return Layout(NAME, columns, data_start=1,
                  roles={"employee_id": ["employee_id", "Employee ID", "Employee number", "Staff ID"],
                         "submitted_at": ["Completion time"]},
                  identifiers=IDENTIFYING)
