"""Recognise columns that directly identify a person, so they are never stored.

Matching is on the normalised column name (lower case, non-alphanumerics as `_`). The employee id
column is not in this list: it is pseudonymised, not dropped.
"""

from __future__ import annotations

import re

_PATTERNS = [
    r"(^|_)(first|last|full|given|family|sur|middle|maiden|employee|emp|recipient|manager|preferred)_?name$",
    r"^name$",
    r"^names?_",
    r"e_?mail",
    r"phone|mobile|telephone|^tel$|^fax$",
    r"address|street|postcode|post_code|zip(_code)?$|^zip$|^city$",
    r"national_?id|^ssn$|social_security|ni_?number|national_insurance|passport|tax_?id",
    r"ip_?address|^ipaddress$",
    r"latitude|longitude|^lat$|^lon$|^lng$",
    r"date_?of_?birth|^dob$|birth_?date|^birthday$",
]
_COMPILED = [re.compile(p) for p in _PATTERNS]
BIRTH_DATE = re.compile(r"date_?of_?birth|^dob$|birth_?date|^birthday$")


def normalise_column(name: str) -> str:
    out = re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")
    return out


def is_identifier(name: str) -> bool:
    norm = normalise_column(name)
    return any(p.search(norm) for p in _COMPILED)


def is_birth_date(name: str) -> bool:
    return bool(BIRTH_DATE.search(normalise_column(name)))
