"""Filter state: a frozen dataclass of plain strings, validated against the warehouse's known values.

URL query parameters are read as strings and checked; nothing is unpickled or evaluated, and every
value reaches SQL as a bound parameter (see dashboard.queries).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field, fields, replace
from typing import Mapping

WAVES = ("baseline", "mid", "post", "follow_up")
WAVE_PAIRS = tuple(f"{a}-{b}" for i, a in enumerate(WAVES) for b in WAVES[i + 1:])
PHASES = ("early", "mid", "late", "unknown")
DEFAULT_WAVES = "baseline-post"
# what the sidebar calls each filter (the report names a selection with the same words)
FILTER_LABELS = {"program": "Program", "cohort": "Cohort", "coach": "Coach", "department": "Department",
                 "team": "Team", "career_phase": "Career phase", "date_from": "Cohorts starting from",
                 "date_to": "Cohorts starting until", "waves": "Change measured from"}
_ID = re.compile(r"^[^\x00-\x1f]{1,200}$")


def program_label(program_id: str, names: Mapping[str, str]) -> str:
    """A program as charts, the report and its selection line name it: "Values Alignment Coaching
    (P001)"; the id alone when the program has no name."""
    name = names.get(program_id)
    return f"{name} ({program_id})" if name and name != program_id else str(program_id)


class InvalidFilter(ValueError):
    """A filter value is not one the warehouse knows; the message names the parameter."""


@dataclass(frozen=True)
class FilterOptions:
    programs: tuple[str, ...] = ()
    cohorts: tuple[str, ...] = ()
    coaches: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    phases: tuple[str, ...] = PHASES
    waves: tuple[str, ...] = WAVE_PAIRS
    program_names: Mapping[str, str] = field(default_factory=dict)
    cohort_program: Mapping[str, str] = field(default_factory=dict)
    team_department: Mapping[str, str] = field(default_factory=dict)
    date_min: dt.date | None = None
    date_max: dt.date | None = None


_KNOWN = {"program": "programs", "cohort": "cohorts", "coach": "coaches", "department": "departments",
          "team": "teams", "career_phase": "phases"}


@dataclass(frozen=True)
class Filters:
    program: str | None = None
    cohort: str | None = None
    coach: str | None = None
    department: str | None = None
    team: str | None = None
    career_phase: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    waves: str = DEFAULT_WAVES

    def __post_init__(self) -> None:
        if self.waves not in WAVE_PAIRS:
            raise InvalidFilter(f"waves: {self.waves!r} is not a wave pair; use one of {', '.join(WAVE_PAIRS)}")
        if self.career_phase is not None and self.career_phase not in PHASES:
            raise InvalidFilter(f"career_phase: {self.career_phase!r} is not one of {', '.join(PHASES)}")
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dt.date):
                raise InvalidFilter(f"{name}: expected a date, found {value!r}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidFilter("date_from is after date_to")

    @property
    def pre(self) -> str:
        return self.waves.split("-")[0]

    @property
    def post(self) -> str:
        return self.waves.split("-")[1]

    def active(self) -> list[str]:
        """Names of the set filters (the date range counts as one, 'dates')."""
        out = [n for n in _KNOWN if getattr(self, n) is not None]
        if self.date_from or self.date_to:
            out.append("dates")
        return out

    def params(self) -> dict:
        """Bound SQL parameters: every filter, NULL when unset."""
        return {"f_program": self.program, "f_cohort": self.cohort, "f_coach": self.coach,
                "f_department": self.department, "f_team": self.team, "f_phase": self.career_phase,
                "f_date_from": self.date_from, "f_date_to": self.date_to}

    def with_(self, **changes) -> "Filters":
        return replace(self, **changes)

    def to_query_params(self) -> dict[str, str]:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "waves" and value == DEFAULT_WAVES):
                continue
            out[f.name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out

    @classmethod
    def from_query_params(cls, params: Mapping, options: FilterOptions | None = None) -> "Filters":
        values: dict = {}
        for f in fields(cls):
            raw = params.get(f.name)
            if isinstance(raw, (list, tuple)):
                raw = raw[0] if raw else None
            if raw is None or raw == "":
                continue
            if not isinstance(raw, str) or not _ID.match(raw):
                raise InvalidFilter(f"{f.name}: not a plain text value")
            if f.name in ("date_from", "date_to"):
                try:
                    values[f.name] = dt.date.fromisoformat(raw)
                except ValueError:
                    raise InvalidFilter(f"{f.name}: {raw!r} is not an ISO date (YYYY-MM-DD)") from None
                continue
            if options is not None and f.name in _KNOWN and raw not in getattr(options, _KNOWN[f.name]):
                raise InvalidFilter(_unknown(f.name, raw, list(getattr(options, _KNOWN[f.name]))))
            values[f.name] = raw
        return cls(**values)


def cli_filters(cur, **values: str | None) -> "Filters":
    """Filters from command-line options (`--program` ... `--waves`), checked against the warehouse's
    known values like a link's query parameters; options left out are no filter."""
    from dashboard.queries import filter_options

    return Filters.from_query_params({k: v for k, v in values.items() if v}, options=filter_options(cur))


def _unknown(name: str, raw: str, known: list[str]) -> str:
    """What to say of a filter value the warehouse does not hold: the closest known values, else a few."""
    close = difflib.get_close_matches(raw, known, n=3, cutoff=0.6)
    if close:
        return f"{name}: {raw!r} is not a known value; did you mean {' or '.join(map(repr, close))}?"
    if not known:
        return f"{name}: {raw!r} is not a known value; the warehouse holds none"
    some = ", ".join(map(repr, sorted(known)[:5]))
    return f"{name}: {raw!r} is not a known value; {len(known):,} known, e.g. {some}"
