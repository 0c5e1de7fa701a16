"""Which tool wrote a file, from its first rows: qualtrics, surveymonkey, ms_forms, google_forms or canonical."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.formats import google_forms, ms_forms, qualtrics, surveymonkey
from pipelines.ingest.formats.grid import sniff_head

TOOLS = {m.NAME: m for m in (qualtrics, surveymonkey, ms_forms, google_forms)}


def detect_format(path: Path) -> str:
    head = sniff_head(Path(path))
    for name, module in TOOLS.items():
        if module.detect(head):
            return name
    return "canonical"
