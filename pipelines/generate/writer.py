"""Write canonical CSV files (UTF-8, comma, LF, header, no quoting) and truth.json, byte-stable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv


def column(values) -> pa.Array:
    """numpy -> arrow: strings as strings ('' stays empty), whole-number floats with NaN as nullable int."""
    if isinstance(values, pa.Array):
        return values
    values = np.asarray(values)
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        return pa.array(np.where(missing, 0, values).astype(np.int64), mask=missing)
    if values.dtype.kind in "iubM":
        return pa.array(values)
    return pa.array(values, type=pa.string())


def write_csv(path: Path, columns: dict) -> int:
    table = pa.table({name: column(v) for name, v in columns.items()})
    options = pacsv.WriteOptions(quoting_style="none", quoting_header="none", batch_size=65536)
    pacsv.write_csv(table, str(path), options)
    return table.num_rows


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
