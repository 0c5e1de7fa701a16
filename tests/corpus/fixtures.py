"""Project-written fixtures: a small organisation, a canonical survey, and the same survey as each
survey tool would export it (layouts from docs/inputs.md; texts are this project's own item texts).

Nothing here is copied from a real export: every file is generated from the frames below.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

from pipelines.config import load_instruments

INSTRUMENTS = load_instruments(env={})
ITEMS = {code: (name, text) for name, spec in INSTRUMENTS.items() for code, text in spec["items"].items()}
SCALES = {code: (INSTRUMENTS[name]["scale_min"], INSTRUMENTS[name]["scale_max"]) for code, (name, _) in ITEMS.items()}

FREQ = ["Never", "Almost never", "Rarely", "Sometimes", "Often", "Very often", "Always"]
AGREE5 = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
AGREE7 = ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
          "Somewhat agree", "Agree", "Strongly agree"]


def label_of(code: str, value: int) -> str:
    lo, hi = SCALES[code]
    if (lo, hi) == (0, 6):
        return FREQ[value]
    if (lo, hi) == (1, 5):
        return AGREE5[value - 1]
    if (lo, hi) == (1, 7):
        return AGREE7[value - 1]
    return str(value)


# --- the organisation ------------------------------------------------------------------------

def people_rows(n: int = 40) -> list[dict]:
    return [{"employee_id": f"E{i:03d}", "department": ["Sales", "Ops", "Finance"][i % 3],
             "team": f"T{i % 5}", "job_level": str(1 + i % 6), "hire_date": "2019-03-01",
             "exit_date": "", "exit_type": "", "years_experience": str(3 + i)} for i in range(1, n + 1)]


def write_csv(path: Path, rows: list[dict] | list[list], header: list[str] | None = None, delimiter: str = ",",
              encoding: str = "utf-8", newline: str = "\n") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    if rows and isinstance(rows[0], dict):
        header = header or list(rows[0])
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    else:
        if header:
            w.writerow(header)
        w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_world(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    programs = write_csv(folder / "programs.csv", [
        {"program_id": "P1", "name": "Alignment coaching", "type": "alignment", "currency": "EUR",
         "cost_per_participant": "2000"}])
    people = write_csv(folder / "people.csv", people_rows())
    enrol = write_csv(folder / "enrolments.csv", [
        {"employee_id": f"E{i:03d}", "program_id": "P1", "cohort_id": "C1", "coach_id": "K1",
         "start_date": "2025-01-15", "end_date": "2025-06-30", "sessions_planned": "6",
         "sessions_attended": "6", "status": "completed"} for i in range(1, 16)])
    return [programs, people, enrol]


# --- the survey ------------------------------------------------------------------------------

def survey_frame(n: int = 12, seed: int = 7) -> list[dict]:
    """Canonical survey rows: employee_id, submitted_at, one column per item (ints or None)."""
    rnd = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        row = {"employee_id": f"E{i:03d}", "submitted_at": dt.datetime(2025, 1, 13 + i, 9 + i % 8, 15, 0)}
        for code in ITEMS:
            lo, hi = SCALES[code]
            row[code] = rnd.randint(lo, hi)
        if i == 3:
            row["eng_abs3"] = None   # one skipped answer
        rows.append(row)
    return rows


def write_canonical_survey(frame: list[dict], path: Path) -> Path:
    header = ["employee_id", "submitted_at", *ITEMS]
    out = []
    for r in frame:
        out.append([r["employee_id"], r["submitted_at"].strftime("%Y-%m-%d %H:%M:%S"),
                    *["" if r[c] is None else str(r[c]) for c in ITEMS]])
    return write_csv(path, out, header)


def _ans(r: dict, code: str, labels: bool) -> str:
    v = r[code]
    if v is None:
        return ""
    return label_of(code, v) if labels else str(v)


QUALTRICS_META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                  "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"]
QUALTRICS_TEXT = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
                  "Finished", "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name",
                  "Recipient Email", "External Data Reference", "Location Latitude", "Location Longitude",
                  "Distribution Channel", "User Language"]


def qualtrics_rows(frame: list[dict], labels: bool = False) -> list[list[str]]:
    codes = list(ITEMS)
    # export tags repeat in real exports; ImportIds do not
    tags = QUALTRICS_META + [f"Q{(k % 30) + 1}" for k in range(len(codes))]
    texts = QUALTRICS_TEXT + [ITEMS[c][1] for c in codes]
    meta_ids = ["startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate",
                "_recordId", "recipientLastName", "recipientFirstName", "recipientEmail", "externalDataReference",
                "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage"]
    ids = [json.dumps({"ImportId": m, **({"timeZone": "Europe/London"} if m.endswith("Date") else {})},
                      separators=(",", ":")) for m in meta_ids]
    ids += [json.dumps({"ImportId": f"QID{k + 101}"}, separators=(",", ":")) for k in range(len(codes))]
    rows = [tags, texts, ids]
    for n, r in enumerate(frame):
        ts = r["submitted_at"].strftime("%Y-%m-%d %H:%M:%S")
        meta = [ts, ts, "IP Address" if labels else "0", f"192.0.2.{n + 1}", "100", "300",
                "True" if labels else "1", ts, f"R_fake{n:04d}", f"Last{n}", f"First{n}",
                f"person{n}@example.com", r["employee_id"], "51.5", "-0.12", "email", "EN"]
        rows.append(meta + [_ans(r, c, labels) for c in codes])
    return rows


QUALTRICS_MAPPING = "\n".join(
    ['format = "qualtrics"', "[columns]", 'employee_id = "ExternalReference"', 'submitted_at = "RecordedDate"', "[items]"]
    + [f'{c} = "QID{k + 101}"' for k, c in enumerate(ITEMS)]) + "\n"


def write_qualtrics(frame, path: Path, labels: bool = False, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    return write_csv(path, qualtrics_rows(frame, labels), delimiter=delimiter, encoding=encoding)


SM_META = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
           "First Name", "Last Name", "Custom Data 1"]
SM_QUESTIONS = {
    "engagement": "How often do you feel this way at work?",
    "motivation": "Why do you do your work?",
    "values_alignment": "How far do you agree?",
    "intent_to_stay": "Thinking about your job:",
    "enps": None,
}


def surveymonkey_rows(frame, labels: bool = True) -> list[list[str]]:
    top, sub, codes = list(SM_META), [""] * len(SM_META), []
    for name, q in SM_QUESTIONS.items():
        item_codes = list(INSTRUMENTS[name]["items"])
        if q is None:   # a single question
            top.append(ITEMS[item_codes[0]][1])
            sub.append("Response")
            codes.append(item_codes[0])
            continue
        for k, code in enumerate(item_codes):
            top.append(q if k == 0 else "")
            sub.append(ITEMS[code][1])
            codes.append(code)
    top.append("Any comments?")
    sub.append("Open-Ended Response")
    rows = [top, sub]
    for n, r in enumerate(frame):
        ts = r["submitted_at"].strftime("%m/%d/%Y %I:%M:%S %p")
        meta = [str(11000000 + n), "4242", ts, ts, f"198.51.100.{n + 1}", f"p{n}@example.com", f"First{n}",
                f"Last{n}", r["employee_id"]]
        rows.append(meta + [_ans(r, c, labels) for c in codes] + ["fine"])
    return rows


SURVEYMONKEY_MAPPING = "\n".join(
    ['format = "surveymonkey"', "[columns]", 'employee_id = "Custom Data 1"', "[items]"]
    + [f'{c} = "{(SM_QUESTIONS[n] + " - " + t) if SM_QUESTIONS[n] else t}"' for c, (n, t) in ITEMS.items()]) + "\n"


def write_xlsx(path: Path, rows: list[list], sheets: dict[str, list[list]] | None = None, as_text: bool = False) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for name, data in ({"Sheet1": rows} | (sheets or {})).items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(data):
            for j, value in enumerate(row):
                if value is None or value == "":
                    continue
                if as_text:
                    ws.write_string(i, j, str(value))
                elif isinstance(value, dt.datetime):
                    ws.write_datetime(i, j, value, wb.add_format({"num_format": "m/d/yyyy h:mm"}))
                elif isinstance(value, (int, float)):
                    ws.write_number(i, j, value)
                else:
                    ws.write_string(i, j, str(value))
    wb.close()
    return path


GRID_Q = "How often do you feel this way at work?"


def google_forms_rows(frame, labels: bool = True) -> list[list[str]]:
    codes = list(ITEMS)
    header = ["Timestamp", "Email address", "Employee ID"]
    for c in codes:
        name, text = ITEMS[c]
        header.append(f"{GRID_Q} [{text}]" if name == "engagement" else text)
    rows = [header]
    for n, r in enumerate(frame):
        t = r["submitted_at"]
        rows.append([f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}:{t.second:02d}", f"p{n}@example.com",
                     r["employee_id"]] + [_ans(r, c, labels) for c in codes])
    return rows


GOOGLE_FORMS_MAPPING = "\n".join(
    ['format = "google_forms"', 'date_order = "monthfirst"', "[columns]", 'employee_id = "Employee ID"', "[items]"]
    + [f'{c} = "{GRID_Q} [{t}]"' if n == "engagement" else f'{c} = "{t}"' for c, (n, t) in ITEMS.items()]) + "\n"


def ms_forms_rows(frame, labels: bool = True) -> list[list]:
    codes = list(ITEMS)
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Employee ID"] + [ITEMS[c][1] for c in codes]
    rows = [header]
    for n, r in enumerate(frame):
        t = r["submitted_at"]
        rows.append([n + 1, t - dt.timedelta(minutes=5), t, f"p{n}@example.com", f"Person {n}", r["employee_id"]]
                    + [_ans(r, c, labels) if labels else r[c] for c in codes])
    return rows


MS_FORMS_MAPPING = "\n".join(
    ['format = "ms_forms"', "[columns]", 'employee_id = "Employee ID"', "[items]"]
    + [f'{c} = "{t}"' for c, (n, t) in ITEMS.items()]) + "\n"
