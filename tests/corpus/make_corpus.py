"""Write the corpus of bad and awkward input files, each with its expected outcome.

    python tests/corpus/make_corpus.py OUT_DIR      # writes OUT_DIR/<entry>/<file> (+ mapping.toml)

Every entry is loaded (by tests/test_corpus.py) into a copy of a warehouse that already holds the
small organisation of fixtures.write_world() (people E001-E040, program P1, cohort C1 of E001-E015).
`expect` is either {"refused": "<message substring>"} or the load outcome: rows_in, loaded,
quarantined, and reasons {"<reason substring>": count}. The 50 MB file is generated only on demand
(`slow=True`).
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).parent))
import fixtures as fx  # noqa: E402

PEOPLE_HEADER = "employee_id,department,team,job_level,hire_date,exit_date,exit_type,years_experience\n"
ITEM_CODES = list(fx.ITEMS)


def people(*rows: str, header: str = PEOPLE_HEADER) -> bytes:
    return (header + "".join(r + "\n" for r in rows)).encode()


def survey_csv(rows: list[dict], extra_cols: list[str] = ()) -> bytes:
    """Canonical survey: employee_id, submitted_at, every item (defaults 3, 0-10 item 7)."""
    header = ["employee_id", "submitted_at", *ITEM_CODES, *extra_cols]
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    for r in rows:
        vals = []
        for h in header:
            if h in r:
                vals.append(str(r[h]))
            elif h in fx.SCALES:
                vals.append("7" if h == "enps" else "3")
            else:
                vals.append("")
        buf.write(",".join(_q(v) for v in vals) + "\n")
    return buf.getvalue().encode()


def _q(v: str) -> str:
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v


def resp(emp: str, when: str = "2025-01-20 10:00:00", **items) -> dict:
    return {"employee_id": emp, "submitted_at": when, **items}


def xlsx_bytes(rows, sheets=None, as_text=False) -> Callable[[Path], None]:
    return lambda p: fx.write_xlsx(p, rows, sheets=sheets, as_text=as_text)


def encrypted_xlsx(path: Path) -> None:
    import msoffcrypto.format.ooxml

    plain = path.with_suffix(".plain.xlsx")
    fx.write_xlsx(plain, [PEOPLE_HEADER.strip().split(","), ["E001", "Sales", "T1", "2", "2019-03-01", "", "", "4"]])
    with open(plain, "rb") as src, open(path, "wb") as dst:
        msoffcrypto.format.ooxml.OOXMLFile(src).encrypt("secret", dst)
    plain.unlink()


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("people.csv", PEOPLE_HEADER + "E001,Sales,T1,2,2019-03-01,,,4\n")
    return buf.getvalue()


def big_people(path: Path, target_bytes: int = 50 * 1024 * 1024) -> int:
    """A 50 MB people extract (about 800k rows): generated, never stored."""
    line = "X{:07d},Department {:02d},Team {:03d},{},2015-06-{:02d},,,{}\n"
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(PEOPLE_HEADER)
        size = len(PEOPLE_HEADER)
        chunk = []
        while size < target_bytes:
            s = line.format(n, n % 40, n % 400, 1 + n % 6, 1 + n % 28, n % 35)
            chunk.append(s)
            size += len(s)
            n += 1
            if len(chunk) == 10000:
                fh.write("".join(chunk))
                chunk = []
        fh.write("".join(chunk))
    return n


@dataclass
class Entry:
    name: str
    file: str
    content: bytes | Callable[[Path], object]
    expect: dict
    mapping: str | None = None
    slow: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)   # checks a test makes beyond counts

    def write(self, folder: Path) -> tuple[Path, Path | None]:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.file
        if isinstance(self.content, bytes):
            path.write_bytes(self.content)
        else:
            self.content(path)
        mp = None
        if self.mapping is not None:
            mp = folder / "mapping.toml"
            mp.write_text(self.mapping)
        return path, mp


def loaded(rows_in, loaded_, quarantined=0, **reasons) -> dict:
    return {"rows_in": rows_in, "loaded": loaded_, "quarantined": quarantined,
            "reasons": {k.replace("_", " "): v for k, v in reasons.items()}}


def reasons(rows_in, loaded_, quarantined, table: dict) -> dict:
    return {"rows_in": rows_in, "loaded": loaded_, "quarantined": quarantined, "reasons": table}


def _qualtrics(frame=None, labels=True, mutate=None, encoding="utf-8") -> Callable[[Path], None]:
    def write(p: Path) -> None:
        rows = fx.qualtrics_rows(fx.survey_frame() if frame is None else frame, labels=labels)
        if mutate:
            mutate(rows)
        fx.write_csv(p, rows, encoding=encoding)
    return write


def _set(r, c, v):
    def f(rows):
        rows[3 + r - 1][17 + c] = v
    return f


GOOD = "E001,Sales,T1,2,2019-03-01,,,4"
MIXED = ("employee_id;department;team\n".encode() + "E001;Ventes;équipe A\n".encode("utf-8")
         + "E002;Ventes;équipe B\n".encode("cp1252") + "E003;Zürich;T\n".encode("utf-8"))

ENTRIES: list[Entry] = [
    # --- refused: the file is not what it claims ------------------------------------------
    Entry("empty", "people.csv", b"", {"refused": "empty file (0 bytes)"}),
    Entry("header_only", "people.csv", people(), {"refused": "a header and no data rows"}),
    Entry("whitespace_only", "people.csv", b"\n\n  \n", {"refused": "found only blank lines"}),
    Entry("wrong_delimiter", "people.csv", people("E001,Sales,T1,2,2019-03-01,,,4", "E002,Ops,T2,2,2019-03-01,,,4",
                                                   header=PEOPLE_HEADER.replace(",", ";")),
          {"refused": "is the delimiter right?"}),
    Entry("pipe_delimiter_detected", "people.csv", people("E001|Sales|T1|2|2019-03-01|||4",
                                                           header=PEOPLE_HEADER.replace(",", "|")), loaded(1, 1)),
    Entry("missing_required_column", "people.csv",
          b"employee_id,department,hire_date\nE001,Sales,2019-03-01\n", {"refused": "no column for team"}),
    Entry("duplicate_column_names", "people.csv",
          b"employee_id,department,team,department\nE001,Sales,T1,Ops\n", {"refused": "repeats"}),
    Entry("binary_garbage", "people.csv", bytes(range(256)) * 64, {"refused": "binary data"}),
    Entry("zip_renamed_csv", "people.csv", zip_bytes(), {"refused": "a zip archive"}),
    Entry("password_protected_xlsx", "people.xlsx", encrypted_xlsx, {"refused": "password-protected"}),
    Entry("damaged_parquet", "people.parquet", b"PAR1" + b"\x00garbage" * 50, {"refused": "damaged Parquet"}),
    Entry("unknown_entity", "things.csv", b"alpha,beta\n1,2\n", {"refused": "a file name starting with people"}),
    Entry("survey_without_items", "survey_x.csv", b"employee_id,submitted_at,colour\nE001,2025-01-20,red\n",
          {"refused": "item columns"}),
    Entry("xlsx_all_sheets_empty", "people.xlsx", xlsx_bytes([], sheets={"Other": []}), {"refused": "only empty sheets"}),
    Entry("qualtrics_header_rows_only", "export.csv", _qualtrics(frame=[]), {"refused": "no data rows"},
          mapping=fx.QUALTRICS_MAPPING),
    Entry("qualtrics_mapping_names_missing_column", "export.csv", _qualtrics(),
          {"refused": "'EmployeeNumber'"}, mapping=fx.QUALTRICS_MAPPING.replace('"ExternalReference"', '"EmployeeNumber"')),
    Entry("qualtrics_row_with_extra_fields", "export.csv",
          _qualtrics(mutate=lambda rows: rows[3 + 4].append("stray")), {"refused": "(row 5, column 'column 55'): expected 54 fields"},
          mapping=fx.QUALTRICS_MAPPING),
    Entry("google_forms_no_item_mapped", "Pulse (Responses) - Form Responses 1.csv",
          lambda p: fx.write_csv(p, [["Timestamp", "Employee ID", "Favourite colour"], ["1/20/2025 10:00:00", "E001", "red"]]),
          {"refused": "no item column"}),
    Entry("mapping_item_column_twice", "export.csv", _qualtrics(), {"refused": "mapped to both"},
          mapping=fx.QUALTRICS_MAPPING.replace('eng_vig2 = "QID102"', 'eng_vig2 = "QID101"')),

    # --- loaded, with rows quarantined for a reason ---------------------------------------
    Entry("unknown_items_ignored", "survey_unknown.csv",
          survey_csv([resp("E001"), resp("E002")], extra_cols=["eng_vig9", "mood"]), loaded(2, 2),
          extra={"ignored": ["eng_vig9", "mood"]}),
    Entry("values_out_of_scale", "survey_scale.csv",
          survey_csv([resp("E001", eng_vig1=9), resp("E002", tis1=0), resp("E003"), resp("E004", enps=11)]),
          reasons(4, 1, 3, {"outside the scale 0-6": 1, "outside the scale 1-5": 1, "outside the scale 0-10": 1})),
    Entry("labels_not_in_map", "export.csv",
          _qualtrics(mutate=lambda rows: (_set(2, 0, "Most days")(rows), _set(6, 0, "Most days")(rows),
                                          _set(7, 3, "Hardly")(rows))),
          reasons(12, 9, 3, {'"Most days"': 2, '"Hardly"': 1}), mapping=fx.QUALTRICS_MAPPING),
    Entry("text_in_number_column", "survey_text.csv", survey_csv([resp("E001", eng_vig1="three"), resp("E002")]),
          reasons(2, 1, 1, {"not a number on the 0-6 scale": 1})),
    Entry("duplicate_submissions", "survey_dups.csv",
          survey_csv([resp("E001", "2025-01-20 10:00"), resp("E001", "2025-01-21 10:00"), resp("E002", "2025-01-22 09:00"),
                      resp("E002", "2025-01-20 09:00"), resp("E002", "2025-01-21 09:00"), resp("E003")]),
          reasons(6, 3, 3, {"duplicate submission": 3}), extra={"kept_latest": True}),
    Entry("dates_in_the_future", "survey_future.csv",
          survey_csv([resp("E001", "2031-01-01 10:00"), resp("E002")]), reasons(2, 1, 1, {"date in the future": 1})),
    Entry("exit_before_hire", "people.csv", people(GOOD, "E002,Ops,T2,2,2021-05-01,2020-01-01,voluntary,3"),
          reasons(2, 1, 1, {"exit_date is before hire_date": 1})),
    Entry("enrolment_unknown_person", "enrolments.csv",
          b"employee_id,program_id,cohort_id,start_date,end_date,status\n"
          b"E001,P1,C2,2025-02-01,2025-05-01,active\nZ999,P1,C2,2025-02-01,2025-05-01,active\n",
          reasons(2, 1, 1, {"employee_id not found in the people data": 1})),
    Entry("enrolment_unknown_program", "enrolments.csv",
          b"employee_id,program_id,cohort_id,start_date,end_date,status\nE001,P9,C2,2025-02-01,2025-05-01,active\n",
          reasons(1, 0, 1, {"program_id not found in programs": 1})),
    Entry("survey_unknown_person", "survey_who.csv", survey_csv([resp("Z999"), resp("E001")]),
          reasons(2, 1, 1, {"employee_id not found": 1})),
    Entry("blank_employee_id", "survey_blank.csv", survey_csv([resp(""), resp("E001")]),
          reasons(2, 1, 1, {"employee_id is required but blank": 1})),
    Entry("no_item_answered", "survey_empty_answers.csv",
          survey_csv([{"employee_id": "E001", "submitted_at": "2025-01-20", **{c: "" for c in ITEM_CODES}}, resp("E002")]),
          reasons(2, 1, 1, {"no item answered": 1})),
    Entry("ambiguous_dates", "survey_dates.csv", survey_csv([resp("E001", "03/04/2025"), resp("E002", "05/06/2025")]),
          reasons(2, 0, 2, {"ambiguous date": 2})),
    Entry("impossible_date", "people.csv", people(GOOD, "E002,Ops,T2,2,2021-13-45,,,3"), reasons(2, 1, 1, {"not a date": 1})),
    Entry("bad_enumeration", "programs.csv", b"program_id,name,type,currency\nP7,Mentoring,mentoring,EUR\nP8,Exec,executive_career,EUR\n",
          reasons(2, 1, 1, {"expected one of": 1})),
    Entry("end_before_start", "enrolments.csv",
          b"employee_id,program_id,cohort_id,start_date,end_date,status\nE002,P1,C3,2025-05-01,2025-02-01,active\n",
          reasons(1, 0, 1, {"end_date is before start_date": 1})),
    Entry("session_in_future", "sessions.csv", b"employee_id,date,duration_minutes\nE001,2030-01-01,60\nE001,2025-02-01,60\n",
          reasons(2, 1, 1, {"date in the future": 1})),
    Entry("ragged_rows", "people.csv", people(GOOD, "E002,Ops,T2,2,2021-05-01,,,3,extra,fields", "E003,Ops,T2,2,2021-05-01,,,3"),
          reasons(3, 2, 1, {"more fields than the header": 1})),
    Entry("formula_cells_people", "people.csv",
          people("E001,=HYPERLINK(\"http://x\"),+SUM(1;2),2,2019-03-01,,,4", "E002,@cmd,-2+3,2,2019-03-01,,,4",
                 "E003,Sales,-Ops-,2,2019-03-01,,,-4"),
          reasons(3, 2, 1, {"expected a value from 0 to 70": 1}),
          extra={"formula_safe": ["'=HYPERLINK(\"http://x\")", "'+SUM(1;2)", "'@cmd", "'-2+3"]}),
    Entry("formula_cells_survey", "survey_formula.csv",
          survey_csv([resp("E001", eng_vig1="=1+2"), resp("E002", eng_vig2="@SUM(A1)"), resp("E003", eng_vig3="-1")]),
          reasons(3, 0, 3, {"not a number on the 0-6 scale": 2, "outside the scale 0-6": 1}),
          extra={"formula_safe": ["'=1+2", "'@SUM(A1)"]}),
    Entry("formula_cells_qualtrics", "export.csv", _qualtrics(mutate=_set(1, 0, "=cmd|' /C calc'!A0")),
          reasons(12, 11, 1, {"not a number on the 0-6 scale": 1}), mapping=fx.QUALTRICS_MAPPING,
          extra={"formula_safe": ["'=cmd|' /C calc'!A0"]}),

    # --- loaded cleanly: awkward but valid ------------------------------------------------
    Entry("very_long_cell", "people.csv", people(GOOD, "E002,Ops," + "T" * 300_000 + ",2,2021-05-01,,,3"), loaded(2, 2)),
    Entry("utf8_bom_crlf", "people.csv", codecs.BOM_UTF8 + people(GOOD, "E002,Opérations,T2,2,2021-05-01,,,3").replace(b"\n", b"\r\n"),
          loaded(2, 2)),
    Entry("utf16_tab_unicode_text", "people.txt",
          ("\ufeff" + (PEOPLE_HEADER + GOOD + "\nE002,Opérations,T2,2,2021-05-01,,,3\n").replace(",", "\t")).encode("utf-16-le"),
          loaded(2, 2)),
    Entry("cp1252_semicolon", "people.csv",
          (PEOPLE_HEADER + GOOD + "\nE002,Opérations,Zürich,2,15/05/2021,,,3\n").replace(",", ";").encode("cp1252"),
          loaded(2, 2), extra={"note": "read as cp1252"}),
    Entry("mixed_encodings", "people.csv", MIXED, loaded(3, 3), extra={"note": "read as mixed"}),
    Entry("trailing_empty_rows_and_columns", "people.csv",
          (PEOPLE_HEADER.strip() + ",,\n" + GOOD + ",,\nE002,Ops,T2,2,2021-05-01,,,3,,\n,,,,,,,,,\n,,,,,,,,,\n").encode(),
          loaded(2, 2)),
    Entry("quoted_newlines", "people.csv", people(GOOD, 'E002,"Ops\nand more",T2,2,2021-05-01,,,3', "E003,Ops,T3,2,2021-05-01,,,3"),
          loaded(3, 3)),
    Entry("xlsx_several_sheets", "people.xlsx",
          xlsx_bytes([PEOPLE_HEADER.strip().split(","), ["E001", "Sales", "T1", 2, dt.datetime(2019, 3, 1), None, None, 4],
                      ["E002", "Ops", "T2", 3, dt.datetime(2020, 3, 1), None, None, 7]],
                     sheets={"Notes": [["this sheet is not data"]], "Pivot": [["x", "y"], [1, 2]]}),
          loaded(2, 2), extra={"note": "other sheet(s) ignored"}),
    # a workbook that opens on a one-cell notes sheet: the data sheet after it is read
    Entry("xlsx_notes_sheet_first", "people.xlsx",
          xlsx_bytes([["README: the people extract is on the next sheet"]],
                     sheets={"data": [PEOPLE_HEADER.strip().split(","),
                                      ["E001", "Sales", "T1", 2, dt.datetime(2019, 3, 1), None, None, 4],
                                      ["E002", "Ops", "T2", 3, dt.datetime(2020, 3, 1), None, None, 7]]}),
          loaded(2, 2), extra={"note": "read sheet 'data'"}),
    Entry("xlsx_numbers_and_dates_as_text", "people.xlsx",
          xlsx_bytes([PEOPLE_HEADER.strip().split(","), ["00042", "Sales", "T1", "2", "21/03/2019", "", "", "4"],
                      ["E002", "Ops", "T2", "3", "2020-03-15", "", "", "7.0"], [], []], as_text=True),
          loaded(2, 2)),
    Entry("identifier_columns_dropped", "people.csv",
          b"employee_id,first_name,email,phone,date_of_birth,department,team\nE001,Ann,a@example.com,0123,1980-05-05,Sales,T1\n",
          loaded(1, 1), extra={"dropped": ["first_name", "email", "phone", "date_of_birth"]}),
    Entry("qualtrics_utf16_tab_labels", "export.tsv",
          lambda p: fx.write_csv(p, fx.qualtrics_rows(fx.survey_frame(), labels=True), delimiter="\t", encoding="utf-16"),
          loaded(12, 12), mapping=fx.QUALTRICS_MAPPING),
    Entry("surveymonkey_xlsx", "Excel_export.xlsx", xlsx_bytes(fx.surveymonkey_rows(fx.survey_frame())), loaded(12, 12),
          mapping=fx.SURVEYMONKEY_MAPPING),
    Entry("ms_forms_identifiers", "Pulse.xlsx", xlsx_bytes(fx.ms_forms_rows(fx.survey_frame())), loaded(12, 12),
          mapping=fx.MS_FORMS_MAPPING, extra={"dropped": ["Email", "Name"]}),
    Entry("big_50mb", "people_big.csv", big_people, {"rows_in": None, "quarantined": 0, "reasons": {}}, slow=True),
]


def main(out: Path, include_slow: bool = False) -> None:
    for e in ENTRIES:
        if e.slow and not include_slow:
            continue
        e.write(out / e.name)
        print(f"{e.name}/{e.file}: {e.expect}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "corpus_out"), include_slow="--slow" in sys.argv)
