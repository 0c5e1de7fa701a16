"""The one error a file can end a run with."""

from __future__ import annotations

from pathlib import Path


class RefusedFile(ValueError):
    """A file is not what it claims to be. Nothing of the run is loaded.

    The message names the file, the row and column where reading went wrong (when there is one),
    what was expected and what was found, so a user can fix the file without guessing.
    """

    def __init__(self, path: str | Path, expected: str, found: str, row: int | None = None,
                 column: str | None = None):
        self.path = Path(path)
        self.row = row
        self.column = column
        self.expected = expected
        self.found = found
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        place = f" ({', '.join(where)})" if where else ""
        super().__init__(f"{self.path.name}{place}: expected {expected}, found {found}")
