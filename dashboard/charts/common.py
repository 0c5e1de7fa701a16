"""What every figure shares: the plotly template, labels of measures, waves, phases, roles and
flags, number formatting, and the empty figure."""

from __future__ import annotations

import math
from typing import Iterable, Mapping

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.queries.sql.common import LOWER_IS_BETTER as LOWER_IS_BETTER   # one list, the query layer's


TEMPLATE = theme.register()

MEASURES: dict[str, str] = {
    "engagement": "Work engagement (0-6)",
    "vigour": "Engagement: vigour",
    "dedication": "Engagement: dedication",
    "absorption": "Engagement: absorption",
    "motivation_sdi": "Motivation index (SDI)",
    "intrinsic": "Motivation: intrinsic",
    "integrated": "Motivation: integrated",
    "identified": "Motivation: identified",
    "introjected": "Motivation: introjected",
    "external": "Motivation: external",
    "amotivation": "Motivation: amotivation",
    "values_alignment": "Values alignment (1-7)",
    "intent_to_stay": "Intent to stay (1-5)",
    "enps_score": "eNPS (-100 to +100)",
}
HEADLINE_MEASURES = ("engagement", "motivation_sdi", "values_alignment", "intent_to_stay", "enps_score")
WAVE_LABELS = {"baseline": "Baseline", "mid": "Mid-program", "post": "Post", "follow_up": "Follow-up"}
WAVE_ORDER = list(WAVE_LABELS)
PHASE_LABELS = {"early": "Early career", "mid": "Mid career", "late": "Late career", "unknown": "Phase unknown"}
ROLE_LABELS = {"coached": "Coached", "comparison": "Comparison group"}
FLAG_LABELS = {
    "indicative": "indicative (n < 30)",
    "implausible": "implausibly large (|g| > 1)",
    "regression_to_mean": "coached started worse: regression to the mean likely",
    "no_comparison": "no comparison group",
}


def wave_pair_label(pair: str) -> str:
    """'baseline-post' -> 'baseline to post'."""
    return " to ".join(WAVE_LABELS.get(w, w).lower() for w in pair.split("-"))


def measure_label(measure: str) -> str:
    return MEASURES.get(measure, str(measure).replace("_", " ").capitalize())


# A suppressed figure reads "hidden" on a chart, with the reason beside it (hover, note, caption): a cell may be
# hidden because it rests on fewer than k people, or because showing it would let such a group be worked out
# from the totals (rules 2 and 3); "fewer than 5" on a group of 40 hidden for the second reason was false,
# and beside a rate it read as "under 5%".
HIDDEN = "hidden"


def hidden_reason(k: int, who: str = "people") -> str:
    """Why a figure is hidden, in the words shown beside it."""
    return f"hidden: fewer than {k} {who}, or it would reveal a group that small"


def not_computable(row, value: str = "estimate") -> str:
    """Why a shown cell has no figure (the query layer leaves it empty), in the words shown beside it."""
    flags = str(row.get("flags") or "") if hasattr(row, "get") else ""
    if value.startswith("did"):
        if "no_comparison" in flags:
            return "not computable: no comparison group here"
        return ("not shown: the DiD rests on the coached people in cohorts with a comparison group here; they "
                "are too few, or they leave out a few of the cell's, whose change could then be worked out")
    return "not computable: too few people with both waves"


# -- small formatting helpers (presentation only) -------------------------------------------------

def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or (
        not isinstance(value, (str, bool)) and pd.isna(value))


def fmt_num(value, digits: int = 2, signed: bool = False, pct: bool = False) -> str:
    if _missing(value):
        return "-"
    v = float(value) * (100 if pct else 1)
    text = f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"
    return text + ("%" if pct else "")


def fmt_ci(low, high, digits: int = 2, pct: bool = False) -> str:
    if _missing(low) or _missing(high):
        return "95% CI not computable"
    return f"95% CI {fmt_num(low, digits, pct=pct)} to {fmt_num(high, digits, pct=pct)}"


def fmt_n(n) -> str:
    return "n -" if _missing(n) else f"n = {int(n):,}"


# the flags in a word or two, written under an estimate on the charts (the hover and the table say them in full)
FLAG_WORDS = {"indicative": "indicative", "implausible": "implausibly large",
              "regression_to_mean": "regression to the mean?", "no_comparison": "no comparison group",
              "short_follow_up": "short follow-up"}


def flag_mark(flags, short: bool = False) -> str:
    """'' without flags, else a second line of text naming them, muted, for a chart's value label; `short`
    (a small panel, where words would be cut at its edges): "flagged", the hover and table say which."""
    if _missing(flags) or not str(flags).strip():
        return ""
    words = [FLAG_WORDS.get(f.strip(), f.strip()) for f in str(flags).split(";") if f.strip()]
    text = "flagged (hover)" if short else ", ".join(words)
    return f"<br><span style='font-size:11px;color:{theme.MUTED}'>{text}</span>"


def fmt_flags(flags) -> str:
    if _missing(flags) or not str(flags).strip():
        return ""
    return "; ".join(FLAG_LABELS.get(f.strip(), f.strip()) for f in str(flags).split(";") if f.strip())


def _is_suppressed(row) -> bool:
    value = row.get("suppressed", False)
    return bool(value) and not _missing(value)


def _label(value, kind: str | None = None, names: Mapping[str, str] | None = None) -> str:
    """A group's label: `names` first (e.g. program names), then the labels of a known kind."""
    if _missing(value):
        return "(none)"
    if names and str(value) in names:
        return names[str(value)]
    if kind == "career_phase":
        return PHASE_LABELS.get(str(value), str(value))
    if kind == "wave":
        return WAVE_LABELS.get(str(value), str(value))
    if kind == "role":
        return ROLE_LABELS.get(str(value), str(value))
    return str(value)


def empty_figure(message: str, height: int = 260) -> go.Figure:
    fig = go.Figure(layout=dict(template=TEMPLATE, height=height))
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=15, color=theme.MUTED))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _title(fig: go.Figure, title: str | None, subtitle: str | None = None) -> None:
    if title:
        text = title if not subtitle else f"{title}<br><sup style='color:{theme.MUTED}'>{subtitle}</sup>"
        fig.update_layout(title=dict(text=text))


def _wrap(text: str, width: int = 48) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "<br>".join(lines)


def legend_text(items: Iterable[str]) -> str:
    return " | ".join(items)
