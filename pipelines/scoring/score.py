"""Turn the instrument config into SQL that scores a whole survey file at once.

For every instrument: answers outside the scale are problems (the row is quarantined); reverse-keyed
items become (min + max) - answer; a subscale or overall mean exists only when at least
`min_answered` of its items were answered (default 75%, rounded up to whole items); the motivation
self-determination index is the weighted sum of its six subscale means; intent to stay is reported
flipped, (min + max) - mean turnover intention. Item codes are checked against a strict pattern, so
the SQL is assembled from config identifiers only, never from file contents.

The warehouse stores one column per measure (see migrations/001_core.sql); `MEASURE_COLUMNS` is that
list and a config whose measures do not fit it is refused.
"""

from __future__ import annotations

import math
import re
from typing import Mapping

from pipelines.config import ConfigError

MEASURE_COLUMNS = [
    "engagement", "vigour", "dedication", "absorption",
    "motivation_sdi", "intrinsic", "integrated", "identified", "introjected", "external", "amotivation",
    "values_alignment", "intent_to_stay", "enps",
]
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def _item(code: str) -> str:
    if not _CODE.match(code):
        raise ConfigError(f"item code {code!r} must be lower-case letters, digits and _ (max 41)")
    return f"i_{code}"


def _keyed(code: str, spec: Mapping) -> str:
    col = _item(code)
    if code in spec.get("reverse", []):
        return f"({spec['scale_min'] + spec['scale_max']} - {col})"
    return col


def _mean(codes: list[str], spec: Mapping) -> str:
    need = _need(codes, spec)
    answered = " + ".join(f"({_item(c)} IS NOT NULL)::INTEGER" for c in codes)
    total = " + ".join(f"coalesce({_keyed(c, spec)}, 0)" for c in codes)
    # the mean of the answered items (plain arithmetic: list functions cost more per row)
    return f"CASE WHEN ({answered}) >= {need} THEN ({total}) / ({answered}) END"


def _need(codes: list[str], spec: Mapping) -> int:
    """How many of `codes` a response must answer for their mean (min_answered, rounded up to whole items)."""
    return max(1, math.ceil(spec.get("min_answered", 0.75) * len(codes) - 1e-9))


def unscorable(instruments: Mapping[str, Mapping], present: set[str]) -> list[str]:
    """What a survey file can never be scored on: each measure (an instrument's mean or a subscale) of which
    it holds some items but fewer than a score needs answered, so that every response's score is empty (a
    mapping naming 3 of TIS-6's 6 items). Measures it holds no item of are simply not in the file."""
    out = []
    for name, spec in instruments.items():
        groups = dict(spec.get("subscales", {}))
        if spec["score"] == "mean":
            groups[name] = list(spec["items"])
        for measure, codes in groups.items():
            held = [c for c in codes if c in present]
            need = _need(list(codes), spec)
            if held and len(held) < need:
                out.append(f"{measure}: the file holds {len(held)} of its {len(codes)} items and a score needs "
                           f"{need} answered, so no response gets a score")
    return out


def score_sql(instruments: Mapping[str, Mapping]) -> dict[str, str]:
    """Measure column -> SQL expression over the typed item columns i_<code> of the checked table."""
    out: dict[str, str] = {}
    for name, spec in instruments.items():
        codes = list(spec["items"])
        subs = spec.get("subscales", {})
        for sub, sub_codes in subs.items():
            out[sub] = _mean(list(sub_codes), spec)
        kind = spec["score"]
        if kind == "mean":
            expr = _mean(codes, spec)
            if spec.get("flip"):
                expr = f"({spec['scale_min'] + spec['scale_max']} - {expr})"
            out[name] = expr
        elif kind == "sdi":
            weights = spec.get("sdi_weights", {})
            if set(weights) != set(subs):
                raise ConfigError(f"instrument {name!r}: sdi_weights must name each subscale once")
            out[f"{name}_sdi"] = " + ".join(f"({float(w)} * ({out[s]}))" for s, w in weights.items())
        elif kind == "enps":
            if len(codes) != 1:
                raise ConfigError(f"instrument {name!r}: an enps score takes exactly one item")
            out[name] = _item(codes[0])
        else:
            raise ConfigError(f"instrument {name!r}: unknown score {kind!r} (mean, sdi or enps)")
    unknown = set(out) - set(MEASURE_COLUMNS)
    if unknown:
        raise ConfigError(f"instrument config defines measures the warehouse does not hold: {sorted(unknown)}; "
                          f"measures are {', '.join(MEASURE_COLUMNS)}")
    return out


def item_problem_sql(instruments: Mapping[str, Mapping], present: set[str],
                     numeric: bool = False, decimal: str = "dot") -> tuple[dict, dict, list]:
    """SQL for the answers of a survey file, in three parts:

    * `numbers`: n_<code> -> the answer as a number, computed once per cell over staged text s.<code>;
    * `typed`: i_<code> -> the answer when it lies on the scale (over the n_<code> columns);
    * `problems`: the checks (pipelines.ingest.schemas.Problem), over the same columns.

    With `numeric`, the stage already holds n_<code> as numbers (cast by the CSV reader, which
    rejected what was not a number), so there is no text to parse or to check. `decimal` is the
    file's number convention (cl_number). An answer must be a whole number on the scale.
    """
    if decimal not in ("dot", "comma", "unknown"):
        raise ValueError(f"decimal convention {decimal!r}")
    from pipelines.ingest.schemas import Problem

    numbers, typed, problems = {}, {}, []
    for spec in instruments.values():
        lo, hi = spec["scale_min"], spec["scale_max"]
        for code in spec["items"]:
            col = _item(code)
            if code not in present:
                typed[col] = "NULL::DOUBLE"
                continue
            raw, num = f"s.{code}", f"s.n_{code}"
            # the answer as it is: a row with an answer off the scale or not whole is quarantined whole
            # (its `_bad`), so only loaded rows' answers are scored, and those passed the check below
            typed[col] = num
            # one check per answer for off the scale and not whole (the OR over every check runs on every
            # row), the reason told apart only for the rows it flags
            off = (f"CASE WHEN {num} NOT BETWEEN {lo} AND {hi} THEN 'outside the scale {lo}-{hi}' "
                   f"ELSE 'not a whole number on the {lo}-{hi} scale' END")
            off_cond = f"({num} NOT BETWEEN {lo} AND {hi} OR {num} <> round({num}))"
            if numeric:
                # the value as the file wrote it, as near as the cast number tells: 12, not 12.0
                shown = f"CASE WHEN {num} = round({num}) THEN ({num})::BIGINT::VARCHAR ELSE ({num})::VARCHAR END"
                problems.append(Problem(off_cond, code, shown, off))
                continue
            numbers[f"n_{code}"] = f"cl_number({raw}, '{decimal}')"
            problems.append(Problem(
                f"{num} IS NULL AND NOT cl_blank({raw})", code, raw,
                f"'not a number on the {lo}-{hi} scale, nor a label in its label set: \"' || left(trim({raw}), 60) || '\"'"))
            problems.append(Problem(off_cond, code, raw, off))
    return numbers, typed, problems
