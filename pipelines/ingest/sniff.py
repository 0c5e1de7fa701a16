"""What a file really is: its container (text, xlsx, parquet, ...) and, for text, its encoding.

Survey tools and spreadsheets save CSV as UTF-8 (with or without a byte-order mark), UTF-16
("Unicode text") or cp1252. DuckDB reads UTF-8 only, so anything else is transcoded line by line
to a temporary UTF-8 file first; a file that mixes UTF-8 and cp1252 lines is read line by line too.
"""

from __future__ import annotations

import codecs
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.errors import RefusedFile

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Sniffed:
    path: Path            # the file to read (a UTF-8 temporary copy when transcoded)
    container: str        # csv / xlsx / parquet
    encoding: str         # utf-8, utf-8-sig, utf-16, cp1252, mixed, binary
    note: str | None = None   # what was done to the text to read it (for the load report)


def sniff(path: Path, workdir: Path | None = None) -> Sniffed:
    if not path.exists():
        raise RefusedFile(path, "a readable file", "no such file")
    size = path.stat().st_size
    if size == 0:
        raise RefusedFile(path, "a header row and data rows", "an empty file (0 bytes)", row=1)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):
        return Sniffed(path, "parquet", "binary")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile as exc:
            raise RefusedFile(path, "a CSV, XLSX or Parquet file", "a damaged zip archive") from exc
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return Sniffed(path, "xlsx", "binary")
        raise RefusedFile(path, "a CSV, XLSX or Parquet file",
                          f"a zip archive holding {', '.join(sorted(names)[:3]) or 'nothing'}; unzip it first")
    if head.startswith(_OLE):
        raise RefusedFile(path, "a CSV, XLSX or Parquet file",
                          "an encrypted (password-protected) workbook or a legacy .xls file; "
                          "save it without a password as .xlsx or CSV")
    return _text(path, workdir)


def _text(path: Path, workdir: Path | None) -> Sniffed:
    raw = path.read_bytes()
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        text = raw.decode("utf-16")
        return Sniffed(_write_utf8(path, text, workdir), "csv", "utf-16")
    if b"\x00" in raw[:65536]:
        raise RefusedFile(path, "text (CSV)", "binary data (NUL bytes), not text (check that it is the file you meant)", row=1)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        encoding = "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
        if _mixed_newlines(raw):
            # DuckDB's reader takes one line ending per file and fails on the other
            fh = tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False, dir=workdir,
                                             prefix=path.stem[:40] + "-lf-")
            with fh:
                fh.write(raw.replace(b"\r\n", b"\n"))
            return Sniffed(Path(fh.name), "csv", encoding, note=_MIXED_NOTE)
        return Sniffed(path, "csv", encoding)
    lines = raw.splitlines(keepends=True)
    out, kinds = [], set()
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
            if not line.isascii():
                kinds.add("utf-8")   # plain ASCII lines read the same in both: they decide nothing
        except UnicodeDecodeError:
            out.append(line.decode("cp1252", errors="replace"))
            kinds.add("cp1252")
    text = "".join(out)
    if _looks_binary(text):
        raise RefusedFile(path, "text (CSV)", "binary data that is not text in any common encoding", row=1)
    encoding = "mixed" if "utf-8" in kinds else "cp1252"
    return Sniffed(_write_utf8(path, text, workdir), "csv", encoding)


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    control = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\r\n\t") or ch == "\ufffd")
    return control / len(sample) > 0.05


_MIXED_NOTE = "mixed line endings (LF and CRLF): read with every line ending as LF"


def _mixed_newlines(raw: bytes) -> bool:
    crlf = raw.count(b"\r\n")
    return 0 < crlf < raw.count(b"\n")


def _write_utf8(path: Path, text: str, workdir: Path | None) -> Path:
    text = text.lstrip("\ufeff")
    if 0 < text.count("\r\n") < text.count("\n"):
        text = text.replace("\r\n", "\n")
    fh = tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".csv", delete=False, dir=workdir,
                                     prefix=path.stem[:40] + "-", newline="")
    with fh:
        fh.write(text)
    return Path(fh.name)
