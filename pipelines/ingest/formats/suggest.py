"""`coachlens mapping suggest FILE`: a starter mapping, matching question texts to item texts.

Matching is fuzzy (difflib ratio over normalised texts, a matrix row label counted on its own too);
each item gets at most one column and each column at most one item, best pairs first. The file is
for a person to review: every line carries the question text it matched and how well.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Mapping

from pipelines.ingest.formats.detect import TOOLS, detect_format
from pipelines.ingest.formats.grid import read_grid
from pipelines.ingest.formats.labels import label_table, norm_label, shipped_sets
from pipelines.ingest.formats.mapping import find_column
from pipelines.ingest.formats.errors import MappingError

THRESHOLD = 0.6


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _ref(col) -> str:
    if col.ids:
        return col.ids[-1]     # the ImportId for Qualtrics: unique where export tags repeat
    return col.text


def suggest(path: Path, instruments: Mapping, fmt: str | None = None, workdir: Path | None = None,
            entity: str | None = None) -> str:
    """A starter mapping: for a survey-tool export its [columns], [items] and [labels]; for any other
    file (an HR or program extract) its [people] / [programs] / ... table (suggest_extract)."""
    path = Path(path)
    kind = fmt or detect_format(path)
    if entity is not None or (fmt is None and kind == "canonical"):
        from pipelines.ingest.formats.suggest_extract import suggest_extract

        return suggest_extract(path, entity, workdir)
    if kind not in TOOLS:
        raise MappingError(f"{path.name}: not a recognised survey-tool export (found a {kind} file); "
                           f"name the tool with --format ({', '.join(TOOLS)})")
    grid = read_grid(path, workdir)
    lay = TOOLS[kind].layout(grid.rows)
    data = grid.rows[lay.data_start:]
    items = {code: (name, text) for name, spec in instruments.items() for code, text in spec["items"].items()}
    pairs = []
    for col in lay.columns:
        candidates = [t for t in [col.text] + col.extra if t]
        for code, (_, text) in items.items():
            score = max((difflib.SequenceMatcher(None, norm_label(c), norm_label(text)).ratio() for c in candidates),
                        default=0.0)
            if score >= THRESHOLD:
                pairs.append((score, code, col))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2].index))
    chosen, taken = {}, set()
    for score, code, col in pairs:
        if code in chosen or col.index in taken:
            continue
        chosen[code] = (score, col)
        taken.add(col.index)

    out = [f"# Starter mapping for {path.name} ({kind} export), written by `coachlens mapping suggest`.",
           "# REVIEW EVERY LINE: matches are by text similarity only. Delete lines that are wrong;",
           "# add items it missed. Reference: docs/inputs.md.", "",
           f'format = "{kind}"', f"# survey_id = {_toml_str(path.stem)}", "", "[columns]"]
    for role in ("employee_id", "submitted_at", "wave", "survey_id"):
        found, blank = None, None
        for ref in lay.roles.get(role, []) + [role]:
            try:
                found = find_column(ref, lay.columns, role, path)
            except Exception:
                found = None
            if found and not any(found.index < len(r) and str(r[found.index]).strip() for r in data):
                # the tool's default column left empty (an anonymous link: no external reference): every
                # response would be quarantined as having no employee id
                blank, found = found, None
            if found:
                break
        if found:
            out.append(f"{role} = {_toml_str(_ref(found))}")
        elif blank is not None and role in ("employee_id", "submitted_at"):
            out.append(f"# {role} = {_toml_str(_ref(blank))}   # REQUIRED: that column is blank in every row; "
                       "name the column that holds it")
        elif role in ("employee_id", "submitted_at"):
            out.append(f'# {role} = "..."   # REQUIRED: no column found, name it here')
        else:
            out.append(f'# {role} = "..."   # optional')
    out += ["", "[items]"]
    for code in items:
        if code in chosen:
            score, col = chosen[code]
            out.append(f"{code} = {_toml_str(_ref(col))}   # {score:.0%} {_toml_str(col.text[:80])} ~ {_toml_str(items[code][1])}")
    unmatched = [c for c in items if c not in chosen]
    if unmatched:
        out.append(f"# not matched: {', '.join(unmatched)}")
    out += ["", "[labels]", "# instrument or item code -> a shipped label set or your own inline table"]
    sets = shipped_sets()
    by_instrument: dict[str, set[str]] = {}
    for code, (score, col) in chosen.items():
        values = {norm_label(r[col.index]) for r in data if col.index < len(r) and str(r[col.index]).strip()}
        by_instrument.setdefault(items[code][0], set()).update(values)
    for name, values in by_instrument.items():
        text_values = {v for v in values if not v.replace(".", "", 1).lstrip("-").isdigit()}
        if not text_values:
            spec = instruments[name]
            nums = sorted(float(v) for v in values) if values else []
            rng = f"{nums[0]:g}-{nums[-1]:g}" if nums else "none"
            out.append(f"# {name}: numeric answers ({rng}) on a {spec['scale_min']}-{spec['scale_max']} scale"
                       + ("" if not nums or (nums[0] >= spec["scale_min"] and nums[-1] <= spec["scale_max"])
                          else "  <- CHECK: recode, e.g. { \"1\" = 0, \"2\" = 1, ... }"))
            continue
        held = {s: text_values & set(label_table(spec)) for s, spec in sets.items()}
        fits = [s for s in sets if held[s] == text_values]
        if fits:
            out.append(f"{name} = {_toml_str(fits[0])}")
        else:
            # only the labels the closest set lacks: listing every label found hid the one unknown among them
            closest = max(sets, key=lambda s: len(held[s]))
            lacking = sorted(text_values - held[closest])
            out.append(f"# {name}: no shipped set holds every label found; the closest, {closest}, holds "
                       f"{len(held[closest])} of them but not: {', '.join(lacking[:10])}"
                       + (f" and {len(lacking) - 10} more" if len(lacking) > 10 else ""))
    return "\n".join(out) + "\n"
