"""Pseudonymisation: participant_key = HMAC-SHA256(secret, normalised employee_id).

The secret comes from $COACHLENS_SECRET or a key file outside the database (created by
`coachlens init`, mode 0600). It never enters the database: the HMAC runs in SQL with the key's
inner and outer pads bound as query parameters, and only a fingerprint (an HMAC of a fixed
label) is stored, so a run with a different key is refused instead of silently splitting people.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import Paths

_FINGERPRINT_LABEL = b"coachlens-key-fingerprint-v1"


class KeyMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Key:
    secret: bytes

    @property
    def pads(self) -> dict[str, bytes]:
        """Named query parameters for the SQL HMAC: $ipad and $opad."""
        k = self.secret
        if len(k) > 64:
            k = hashlib.sha256(k).digest()
        k = k.ljust(64, b"\0")
        return {"ipad": bytes(b ^ 0x36 for b in k), "opad": bytes(b ^ 0x5C for b in k)}

    @property
    def fingerprint(self) -> str:
        return hmac.new(self.secret, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]

    def participant_key(self, employee_id: str) -> str:
        """The same function in Python, for tests and small look-ups."""
        return hmac.new(self.secret, normalise_id(employee_id).encode(), hashlib.sha256).hexdigest()


# What an id is trimmed of at either end, in Python and in SQL alike: spaces, tabs, line breaks,
# vertical tab, form feed and the no-break space (a tab pasted after an id made a second person).
ID_WHITESPACE = " \t\n\r\x0b\x0c\xa0"
_ID_WHITESPACE_SQL = " || ".join(f"chr({ord(c)})" for c in ID_WHITESPACE)
MIN_SECRET = 16


def normalise_id(employee_id: str) -> str:
    """Trimmed of ID_WHITESPACE, lower-cased; an all-digit id loses its leading zeros (00123 == 123)."""
    s = str(employee_id).strip(ID_WHITESPACE).lower()
    if s.isdigit():
        s = s.lstrip("0") or "0"
    return s


# The SQL twin of normalise_id(); `{col}` is a column name chosen by the loader, never user text.
TRIM_ID_SQL = "trim({col}, " + _ID_WHITESPACE_SQL + ")"
NORMALISE_SQL = (
    "CASE WHEN regexp_full_match(lower(" + TRIM_ID_SQL + "), '[0-9]+') "
    "THEN coalesce(nullif(ltrim(" + TRIM_ID_SQL + ", '0'), ''), '0') ELSE lower(" + TRIM_ID_SQL + ") END"
)
HMAC_SQL = "sha256($opad::BLOB || unhex(sha256($ipad::BLOB || encode(" + NORMALISE_SQL + "))))"


def init_key(paths: Paths) -> tuple[Path, bool]:
    """Create the key file (mode 0600) if it does not exist. Returns (path, created)."""
    path = paths.key_file
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
    return path, True


def load_key(paths: Paths) -> Key:
    if paths.secret_from_env:
        if len(paths.secret_from_env.strip()) < MIN_SECRET:
            raise KeyMissing(f"COACHLENS_SECRET is too short (at least {MIN_SECRET} characters, as for a key file); "
                             "set a longer secret, or unset it and run `coachlens init` to create a key file")
        return Key(paths.secret_from_env.encode())
    path = paths.key_file
    if not path.exists():
        raise KeyMissing(
            f"no pseudonymisation key: set COACHLENS_SECRET or run `coachlens init` to create {path}"
        )
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeyMissing(f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`")
    secret = path.read_text().strip().encode()
    if len(secret) < MIN_SECRET:
        raise KeyMissing(f"{path}: the key is too short (at least {MIN_SECRET} characters)")
    return Key(secret)
