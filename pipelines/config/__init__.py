"""Configuration: shipped TOML defaults merged with a user's override file.

Everything a user may want to change (k, career-phase thresholds, wave windows, instruments, ROI
assumptions) lives in TOML, not in code. `load_settings()` and `load_instruments()` are the only
readers; both take an explicit path or fall back to an environment variable, so tests can inject.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

CONFIG_DIR = Path(__file__).parent
DEFAULT_DB = Path("data") / "coachlens.duckdb"


class ConfigError(ValueError):
    """A configuration file or value is not usable; the message says which and why."""


def _merge(base: dict, override: Mapping) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


# the settings tables whose keys are the user's own (job levels, salary bands): any key may be added
_OPEN_TABLES = {("career_phase", "job_level"), ("roi", "turnover_multiplier"), ("roi", "salary_band")}


def _check_keys(base: Mapping, override: Mapping, source: Path, at: tuple = ()) -> None:
    """Every key of a user's settings file is one coachlens has: a misspelt table or key ([anonimity],
    kk = 3) would otherwise be ignored, and the shipped value used without a word."""
    for key, value in override.items():
        where = ".".join(at + (key,))
        if key not in base:
            if at in _OPEN_TABLES:
                continue
            known = ", ".join(sorted(base)) if at else ", ".join(f"[{k}]" for k in sorted(base))
            raise ConfigError(f"{source}: unknown setting {where!r}; known {'keys of [' + '.'.join(at) + ']' if at else 'tables'}: {known}")
        if isinstance(value, Mapping) and isinstance(base[key], Mapping):
            _check_keys(base[key], value, source, at + (key,))


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> dict:
    """Shipped settings.toml, overlaid with `path` or $COACHLENS_CONFIG when given (a key coachlens does not
    have is refused, naming the file and the key)."""
    env = os.environ if env is None else env
    settings = _read_toml(CONFIG_DIR / "settings.toml")
    user = path or env.get("COACHLENS_CONFIG")
    if user:
        override = _read_toml(Path(user))
        _check_keys(settings, override, Path(user))
        settings = _merge(settings, override)
    k = settings["anonymity"]["k"]
    if not isinstance(k, int) or k < 3:
        raise ConfigError(f"anonymity.k must be a whole number of at least 3, found {k!r}")
    return settings


def load_instruments(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> dict:
    """Shipped instruments.toml; a user file replaces the instruments it names."""
    env = os.environ if env is None else env
    instruments = _read_toml(CONFIG_DIR / "instruments.toml")
    user = path or env.get("COACHLENS_INSTRUMENTS")
    mine: dict = {}
    if user:
        mine = _read_toml(Path(user))
        instruments.update(mine)
    for name, spec in instruments.items():
        try:
            _check_instrument(name, spec)
        except ConfigError as exc:
            raise ConfigError(f"{user if name in mine else CONFIG_DIR / 'instruments.toml'}: {exc}") from None
    return instruments


def _check_instrument(name: str, spec: Mapping[str, Any]) -> None:
    for key in ("scale_min", "scale_max", "items", "score"):
        if key not in spec:
            raise ConfigError(f"instrument {name!r}: missing {key!r}")
    items = set(spec["items"])
    for sub, codes in spec.get("subscales", {}).items():
        unknown = set(codes) - items
        if unknown:
            raise ConfigError(f"instrument {name!r}: subscale {sub!r} names unknown items {sorted(unknown)}")
    unknown = set(spec.get("reverse", [])) - items
    if unknown:
        raise ConfigError(f"instrument {name!r}: reverse-keyed items not in items: {sorted(unknown)}")
    share = spec.get("min_answered", 0.75)
    if not 0 < share <= 1:
        raise ConfigError(f"instrument {name!r}: min_answered must be in (0, 1], found {share}")


def all_item_codes(instruments: Mapping[str, Any]) -> list[str]:
    return [code for spec in instruments.values() for code in spec["items"]]


@dataclass(frozen=True)
class Paths:
    """Where the warehouse and the pseudonymisation key live (from flags, then environment)."""

    db: Path
    key_file: Path
    secret_from_env: str | None = field(default=None, repr=False)

    @classmethod
    def resolve(cls, db: str | Path | None = None, env: Mapping[str, str] | None = None) -> "Paths":
        env = os.environ if env is None else env
        db_path = Path(db or env.get("COACHLENS_DB") or DEFAULT_DB)
        key_file = env.get("COACHLENS_KEY_FILE")
        if not key_file:
            base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
            key_file = str(Path(base) / "coachlens" / "secret.key")
        return cls(db=db_path, key_file=Path(key_file), secret_from_env=env.get("COACHLENS_SECRET") or None)
