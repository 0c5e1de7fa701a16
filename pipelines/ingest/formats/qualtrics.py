"""Qualtrics CSV: row 1 export tags, row 2 question text, row 3 ImportId JSON; data from row 4.

Export tags repeat within one export (Q63, Q64, ... in real files), so a column is best named by
its ImportId (QID14); the tag and the question text also work when they are unique.
"""

from __future__ import annotations

import json

from pipelines.ingest.formats.layout import Layout, cell
from pipelines.ingest.formats.mapping import SourceColumn

NAME = "qualtrics"
METADATA = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
            "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
            "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"]
IDENTIFYING = ["IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
               "LocationLatitude", "LocationLongitude"]


def detect(head: list[list[str]]) -> bool:
    if len(head) < 3 or not head[0]:
        return False
    tags = {c.strip() for c in head[0]}
    import_ids = sum(1 for c in head[2] if c.strip().startswith('{"ImportId"'))
    return bool(import_ids) and ("ResponseId" in tags or {"StartDate", "EndDate"} <= tags or import_ids >= len(head[2]) // 2)


def layout(rows: list[list[str]]) -> Layout:
    tags, texts, meta = rows[0], rows[1] if len(rows) > 1 else [], rows[2] if len(rows) > 2 else []
    width = len(tags)
    while width and not cell(tags, width - 1) and not cell(texts, width - 1):
        width -= 1
    columns = []
    for i in range(width):
        ids = [cell(tags, i)]
        raw = cell(meta, i)
        if raw.startswith("{"):
            try:
                import_id = json.loads(raw).get("ImportId")
            except (ValueError, AttributeError):
                import_id = None
            if import_id:
                ids.append(str(import_id))
        columns.append(SourceColumn(i, [x for x in ids if x], cell(texts, i)))
    return Layout(NAME, columns, data_start=3,
                  roles={"employee_id": ["ExternalReference", "ExternalDataReference"],
                         "submitted_at": ["RecordedDate", "EndDate"]},
                  identifiers=IDENTIFYING)
