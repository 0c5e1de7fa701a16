"""The sponsor report: one self-contained HTML file (plotly inlined, no CDN, no web fonts, no network
request) with the headline ROI, its charts, the method, the assumptions used and the anonymity rules
applied; and the same report as PDF through Debian's headless chromium.

    html = build_report(cur, filters, settings)            # str
    write_report(html, Path("roi.html"), pdf=Path("roi.pdf"))

Every number comes from the roi view (dashboard.roi.view.roi), which applies the k rules; this module
only formats what that view returns, so a suppressed group reads "hidden" (with why) here too.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from dashboard.charts import HIDDEN, hidden_reason
from dashboard.filters import FILTER_LABELS, Filters, program_label
from dashboard.roi import charts as rc
from dashboard.roi.assumptions import Assumptions

CHROMIUM = "/usr/bin/chromium"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}

FLAG_TEXT = {
    "small_comparison": "comparison group under 30 people",
    "not_comparable": "groups differed at baseline by more than 0.2 SD",
    "indicative": "fewer than 30 coached (indicative)",
    "short_follow_up": "not everyone followed for 12 months yet",
    "no_break_even": "no retention gain: never breaks even",
    "break_even_out_of_reach": "does not pay back even with all of the retention gain credited to coaching",
    "mixed_currency": "programs priced in different currencies",
}


class ChromiumMissing(RuntimeError):
    """The PDF needs Debian's chromium; the message says how to install it."""


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _num(v, fmt: str) -> str:
    return "-" if _missing(v) else format(v, fmt)


def _prob(p) -> str:
    if _missing(p):
        return "-"
    return "under 1%" if 0 < p < 0.005 else ("over 99%" if 0.995 < p < 1 else f"{p:.0%}")


def _flags(value) -> str:
    if _missing(value) or not value:
        return ""
    return "; ".join(FLAG_TEXT.get(f, f) for f in str(value).split(";") if f)


CSS = """
body { font-family: 'Segoe UI', Helvetica, Arial, sans-serif; color: #1F2933; margin: 2rem auto; max-width: 62rem;
       line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
border-bottom: 1px solid #E6E9EE; padding-bottom: .2rem; }
.muted { color: #5F6B7A; font-size: .9rem; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid #D9DEE5; border-radius: 6px; padding: .7rem 1rem; min-width: 12rem; flex: 1; }
.card .v { font-size: 1.6rem; font-weight: 600; } .card .l { color: #5F6B7A; font-size: .85rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .6rem 0; }
th, td { border-bottom: 1px solid #E6E9EE; padding: .3rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; } td.l { text-align: left; }
.suppressed td { color: #555555; background: #F2F2F2; }
.warn { border-left: 4px solid #E69F00; background: #FFF8EB; padding: .5rem .8rem; margin: .6rem 0; }
.chart { page-break-inside: avoid; }
@media print { body { margin: 0 auto; } h2 { page-break-after: avoid; } }
"""


def build_report(cur, filters: Filters | None, settings, assumptions: Assumptions | None = None,
                 by: str = "program", today: dt.date | None = None) -> str:
    """The report as one HTML string. Raises AnonymityRefused for a refused selection."""
    from dashboard.roi.view import GROUP_COLUMN, roi, shown_total

    f = filters or Filters()
    a = assumptions or Assumptions.from_settings(settings)
    res = roi(cur, f, settings, a, by=by)
    key = GROUP_COLUMN[by]
    k = res.k
    t = res.table
    head = shown_total(res)   # None: suppressed, and the report shows only that (as the page)
    cur_ = a.currency if head is None or _missing(head.get("currency")) else str(head["currency"])
    program_names = dict(cur.execute("SELECT program_id, name FROM programs").fetchall())
    names = program_names if by == "program" else {}
    as_of = _as_of(cur)
    figs = []

    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
             "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:\">",
             f"<title>Coaching ROI report</title><style>{CSS}</style></head><body>",
             "<h1>Does our coaching spend pay back?</h1>",
             f"<p class='muted'>Return on investment of coaching (Phillips ROI Methodology). Generated "
             f"{_e((today or dt.date.today()).isoformat())}; data as of {_e(as_of)}. Selection: "
             f"{_e(_selection(f, program_names))}. Every figure rests on at least {k} people.</p>"]

    # -- headline
    parts.append("<h2>Headline</h2>")
    if head is None:
        parts.append(f"<p class='warn'>The ROI for this selection is not shown: it rests on fewer than {k} people "
                     "(coached, or in the comparison group). Widen the selection.</p>")
    else:
        parts.append(_cards(head, cur_))
        parts.append(_sentence(head, cur_))
        for note in res.notes:
            if note.startswith("Warning"):
                parts.append(f"<p class='warn'>{_e(note)}</p>")
        figs.append(("From costs to net benefit", rc.waterfall(res.waterfall, key, "All", cur_)))
        figs.append(("Sensitivity", rc.tornado(res.tornado, key, "All")))

    if head is None:
        # as on the page: no group, chart or intangible for a selection whose ROI is not shown (rule 5)
        parts.append("</body></html>")
        return "\n".join(parts)

    # -- charts
    for i, (_, fig) in enumerate(figs):
        parts.append("<div class='chart'>" + fig.to_html(full_html=False, include_plotlyjs=(i == 0),
                                                        config=PLOTLY_CONFIG) + "</div>")
    plotly_inlined = bool(figs)

    # -- by group
    label = {"program": "program", "cohort": "cohort", "career_phase": "career phase"}.get(by, "group")
    parts.append(f"<h2>By {label}</h2>")
    if len(t) > 1:
        disp = t.copy()
        if names:
            disp[key] = [program_label(v, names) if v != "All" else "All programs" for v in disp[key]]
        fig = rc.roi_by_group(disp, key, k, title=None)
        parts.append("<div class='chart'>" + fig.to_html(full_html=False, include_plotlyjs=not plotly_inlined,
                                                        config=PLOTLY_CONFIG) + "</div>")
        plotly_inlined = True
    parts.append(_group_table(t, key, k, cur_, names))

    # -- intangibles
    parts.append("<h2>Beside the ROI: engagement, motivation, values alignment</h2>")
    parts.append("<p>Not turned into money. Change of coached people between the survey waves, and that change "
                 "minus the comparison group's over the same months (difference in differences, DiD), with 95% "
                 "intervals.</p>")
    parts.append(_intangibles_table(res.intangibles, key, k))

    # -- method, assumptions, anonymity
    parts.append("<h2>Method</h2>")
    for note in res.notes:
        if not note.startswith("Warning"):
            parts.append(f"<p>{_e(note)}</p>")
    parts.append("<h2>Assumptions used</h2>")
    parts.append(_assumptions_table(res.assumptions))
    parts.append("<h2>Anonymity rules applied</h2>")
    hidden = int(t["suppressed"].sum())
    parts.append(
        "<ul>"
        f"<li>k = {k}: no figure in this report rests on fewer than {k} people; a group under k, or a group that "
        f"would reveal one, reads \"{HIDDEN}\".</li>"
        "<li>Complementary suppression: where a group is hidden and the total is shown, the next-smallest group is "
        "hidden too, so the hidden group cannot be worked out by subtraction.</li>"
        "<li>Differencing: a selection whose complement holds 1 to k-1 people is refused.</li>"
        "<li>No row-level data: only aggregates; people are pseudonymised at ingestion.</li>"
        f"<li>In this report: {hidden} of {len(t)} rows hidden.</li></ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _as_of(cur) -> str:
    from dashboard.queries.sql import AS_OF_SQL

    try:
        return str(cur.execute(AS_OF_SQL).fetchone()[0])
    except Exception:  # noqa: BLE001 - a missing date must not stop the report
        return "unknown"


def _selection(f: Filters, program_names: dict | None = None) -> str:
    """The selection in the sidebar's words: 'Career phase: Mid career; Program: Name (P001)'."""
    from dashboard.charts import PHASE_LABELS, wave_pair_label

    def shown(key: str, value: str) -> str:
        if key == "career_phase":
            return PHASE_LABELS.get(value, value)
        if key == "waves":
            return wave_pair_label(value)
        if key == "program" and program_names:
            return program_label(value, program_names)
        return value

    p = f.to_query_params()
    return "; ".join(f"{FILTER_LABELS.get(k, k)}: {shown(k, v)}" for k, v in p.items()) or "everyone in scope"


def _cards(r, currency: str) -> str:
    cards = [
        ("ROI", _num(r["estimate"], "+.0f") + "%",
         f"95% interval {_num(r['ci_low'], '+.0f')}% to {_num(r['ci_high'], '+.0f')}%"),
        ("Benefit-cost ratio", _num(r["bcr"], ".2f"), f"95% interval {_num(r['bcr_low'], '.2f')} to {_num(r['bcr_high'], '.2f')}"),
        ("Chance ROI > 0", _prob(r["p_roi_positive"]), "share of Monte Carlo draws"),
        ("Net benefit", rc.money(r["net_benefit"], currency),
         f"benefits {rc.money(r['benefits'], currency)} - costs {rc.money(r['costs'], currency)}"),
    ]
    return "<div class='cards'>" + "".join(
        f"<div class='card'><div class='l'>{_e(l)}</div><div class='v'>{_e(v)}</div><div class='l'>{_e(s)}</div></div>"
        for l, v, s in cards) + "</div>"


def _sentence(r, currency: str) -> str:
    be = r["break_even_attribution"]
    if _missing(be):
        be_text = "Coaching never breaks even on retention here: coached people did not leave less often."
    elif be > 1:
        be_text = ("Even crediting all of the retention difference to coaching would not cover its costs "
                   f"(break-even would need {be:.0%}).")
    else:
        be_text = (f"It breaks even if {be:.0%} of the retention difference is credited to coaching "
                   f"(the report assumes {r['attribution_share']:.0%}).")
    return (f"<p>{int(r['n'])} coached people; 12-month voluntary attrition {r['attrition_coached']:.1%} against "
            f"{r['attrition_comparison']:.1%} in the comparison group ({int(r['n_comparison'])} people), "
            f"so about {r['avoided_exits']:.1f} exits avoided, each costing about "
            f"{_e(rc.money(r['cost_per_exit'], currency))}. {_e(be_text)}</p>")


def _group_table(t: pd.DataFrame, key: str, k: int, currency: str, names: dict) -> str:
    head = ["", "coached", "comparison", "attrition coached", "attrition comparison", f"benefits ({currency})",
            f"costs ({currency})", "ROI %", "95% interval", "BCR", "P(ROI>0)", "notes"]
    rows = []
    for _, r in t.iterrows():
        name = str(r[key])
        label = "All" if name == "All" else program_label(name, names)
        if bool(r["suppressed"]):
            rows.append(f"<tr class='suppressed'><td>{_e(label)}</td><td colspan='{len(head) - 1}' class='l'>"
                        f"{_e(hidden_reason(k))}</td></tr>")
            continue
        cells = [str(int(r["n"])), str(int(r["n_comparison"])), _num(r["attrition_coached"], ".1%"),
                 _num(r["attrition_comparison"], ".1%"), rc.money(r["benefits"]), rc.money(r["costs"]),
                 _num(r["estimate"], "+.0f"), f"{_num(r['ci_low'], '+.0f')} to {_num(r['ci_high'], '+.0f')}",
                 _num(r["bcr"], ".2f"), _prob(r["p_roi_positive"]), _flags(r["flags"])]
        rows.append(f"<tr><td>{_e(label)}</td>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _intangibles_table(t: pd.DataFrame, key: str, k: int) -> str:
    from dashboard.charts import measure_label

    if t is None or t.empty:
        return "<p class='muted'>No survey change for this selection.</p>"
    head = ["", "construct", "coached n", "change", "95% CI", "DiD", "95% CI"]
    rows = []
    for _, r in t.iterrows():
        lab = [str(r[key]), measure_label(r["measure"])]
        if bool(r["suppressed"]):
            rows.append(f"<tr class='suppressed'><td>{_e(lab[0])}</td><td class='l'>{_e(lab[1])}</td>"
                        f"<td colspan='5' class='l'>{_e(hidden_reason(k))}</td></tr>")
            continue
        did_shown = not _missing(r["did"])
        cells = [str(int(r["n"])), _num(r["estimate"], "+.2f"),
                 f"{_num(r['ci_low'], '+.2f')} to {_num(r['ci_high'], '+.2f')}",
                 _num(r["did"], "+.2f") if did_shown else HIDDEN,
                 f"{_num(r['did_ci_low'], '+.2f')} to {_num(r['did_ci_high'], '+.2f')}" if did_shown else ""]
        rows.append(f"<tr><td>{_e(lab[0])}</td><td class='l'>{_e(lab[1])}</td>"
                    + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _assumptions_table(t: pd.DataFrame) -> str:
    rows = []
    for _, r in t.iterrows():
        rng = "" if _missing(r["range_low"]) else f"{r['range_low']:g} to {r['range_high']:g}"
        v = r["value"]
        v = f"{v:g}" if isinstance(v, float) else str(v)
        rows.append(f"<tr><td>{_e(r['assumption'])}</td><td>{_e(v)}</td><td>{_e(rng)}</td>"
                    f"<td class='l'>{_e(r['meaning'])}</td></tr>")
    return ("<table><thead><tr><th>assumption</th><th>value</th><th>range</th><th>meaning</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


# -- files -------------------------------------------------------------------------------------------------

def write_pdf(html_file: Path, pdf_file: Path, chromium: str = CHROMIUM, timeout: int = 90) -> Path:
    """Print the HTML file to PDF with headless chromium (no network: the file is self-contained)."""
    exe = chromium if Path(chromium).exists() else shutil.which("chromium")
    if not exe:
        raise ChromiumMissing(
            f"The PDF needs chromium at {chromium}, and there is none. Install it with "
            "`apt-get update && apt-get install -y chromium` (Debian), or leave out --pdf: the HTML report "
            "prints to PDF from any browser.")
    pdf_file = Path(pdf_file).resolve()
    with tempfile.TemporaryDirectory(prefix="coachlens-pdf-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--no-first-run", "--no-default-browser-check", f"--user-data-dir={profile}",
               "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000",
               "--no-pdf-header-footer", f"--print-to-pdf={pdf_file}", Path(html_file).resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if not pdf_file.exists() or pdf_file.stat().st_size == 0:
        raise RuntimeError(f"chromium did not write {pdf_file} (exit {proc.returncode}): {proc.stderr[-500:]}")
    return pdf_file


def write_report(html_text: str, out: Path, pdf: Path | None = None) -> tuple[Path, Path | None]:
    out = Path(out)
    out.write_text(html_text, encoding="utf-8")
    return out, (write_pdf(out, pdf) if pdf else None)
