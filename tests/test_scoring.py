"""Scale scores equal hand computation: reverse keying, the 75% rule, SDI, flipped intent to stay."""

from __future__ import annotations

import duckdb
import pytest

from conftest import write_files

ENG = [f"eng_{s}{i}" for s in ("vig", "ded", "abs") for i in (1, 2, 3)]
MOT = [f"mot_{s}{i}" for s in ("int", "ing", "idn", "itj", "ext", "amo") for i in (1, 2, 3)]
TIS = [f"tis{i}" for i in range(1, 7)]
VAL = ["val1", "val2", "val3"]
COLS = ENG + MOT + VAL + TIS + ["enps"]

PEOPLE = "employee_id,department,team\n" + "".join(f"E{i},D,T\n" for i in range(1, 6))


def _row(emp: str, values: dict) -> str:
    return ",".join([emp, "2024-01-10"] + [str(values.get(c, "")) for c in COLS])


def _load(tmp_path, load, rows):
    survey = "employee_id,submitted_at," + ",".join(COLS) + "\n" + "\n".join(rows) + "\n"
    folder = write_files(tmp_path / "in", {"people.csv": PEOPLE, "survey_w1.csv": survey})
    load(folder)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        return con.execute("SELECT * FROM survey_responses ORDER BY submitted_at, response_id").df()
    finally:
        con.close()


def test_scores_equal_hand_computation(tmp_path, load, key):
    full = {c: v for c, v in zip(ENG, [6, 5, 4, 3, 2, 1, 0, 6, 6])}
    mot = dict(zip(MOT, [7, 6, 5, 6, 5, 4, 5, 4, 3, 4, 3, 2, 3, 2, 1, 2, 1, 1]))
    tis = dict(zip(TIS, [2, 1, 4, 2, 5, 1]))  # tis3 and tis5 reverse-keyed on 1-5
    values = {**full, **mot, **tis, "val1": 7, "val2": 6, "val3": 5, "enps": 9}
    df = _load(tmp_path, load, [_row("E1", values)])
    r = df.iloc[0]
    assert r.vigour == pytest.approx(5.0)
    assert r.dedication == pytest.approx(2.0)
    assert r.absorption == pytest.approx(4.0)
    assert r.engagement == pytest.approx(33 / 9)
    sub = {"intrinsic": 6, "integrated": 5, "identified": 4, "introjected": 3, "external": 2, "amotivation": 4 / 3}
    for name, value in sub.items():
        assert r[name] == pytest.approx(value), name
    sdi = 3 * 6 + 2 * 5 + 1 * 4 - 1 * 3 - 2 * 2 - 3 * (4 / 3)
    assert r.motivation_sdi == pytest.approx(sdi)
    assert r.values_alignment == pytest.approx(6.0)
    # turnover intention after reverse keying: 2, 1, (6-4)=2, 2, (6-5)=1, 1 -> mean 1.5; intent to stay = 6 - 1.5
    assert r.intent_to_stay == pytest.approx(4.5)
    assert r.enps == 9
    assert r.items_answered == len(COLS)
    assert r.participant_key == key.participant_key("E1")


def test_the_75_percent_rule(tmp_path, load):
    # engagement: 9 items need ceil(0.75*9) = 7 answered; a subscale of 3 needs ceil(2.25) = 3
    seven = {c: 3 for c in ENG[:7]}
    six = {c: 3 for c in ENG[:6]}
    tis_five = {c: 2 for c in TIS[:5]}  # 6 items need 5 (4.5 rounded up)
    tis_four = {c: 2 for c in TIS[:4]}
    df = _load(tmp_path, load, [_row("E1", {**seven, **tis_five}), _row("E2", {**six, **tis_four})])
    one, two = df.iloc[0], df.iloc[1]
    assert one.engagement == pytest.approx(3.0)
    assert one.vigour == pytest.approx(3.0) and one.dedication == pytest.approx(3.0)
    assert pd_isna(one.absorption)  # only 1 of 3 answered
    assert pd_isna(two.engagement)
    # tis: items 1-5 answered: 2,2,(6-2)=4,2,(6-2)=4 -> mean 2.8 -> intent to stay 3.2
    assert one.intent_to_stay == pytest.approx(6 - 2.8)
    assert pd_isna(two.intent_to_stay)
    assert pd_isna(one.motivation_sdi)


def test_instrument_override_changes_scoring(tmp_path, key, settings):
    from pipelines.config import load_instruments
    from pipelines.ingest.run import ingest

    override = tmp_path / "instruments.toml"
    override.write_text("""
[values_alignment]
label = "Values alignment"
scale_min = 1
scale_max = 7
score = "mean"
min_answered = 1.0
reverse = ["val3"]
[values_alignment.items]
val1 = "a"
val2 = "b"
val3 = "c"
""")
    instruments = load_instruments(override)
    survey = "employee_id,submitted_at,val1,val2,val3\nE1,2024-01-10,7,6,7\nE2,2024-01-10,7,6,\n"
    folder = write_files(tmp_path / "in", {"people.csv": PEOPLE, "survey_w1.csv": survey})
    ingest([folder], tmp_path / "wh.duckdb", key, settings, instruments)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    rows = dict(con.execute("SELECT participant_key, values_alignment FROM survey_responses").fetchall())
    assert rows[key.participant_key("E1")] == pytest.approx((7 + 6 + 1) / 3)
    assert rows[key.participant_key("E2")] is None  # min_answered = 1.0


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_a_file_that_can_never_be_scored_on_a_measure_says_so(tmp_path, load):
    """A file (or an export's mapping) holding 3 of TIS-6's 6 items: no response can reach the 5 answers a score
    needs, so every intent-to-stay score is empty; the load report says so, instead of loading empty scores
    in silence (a Kulas Qualtrics export mapped so). Measures the file holds no item of are not mentioned."""
    cols = ENG + TIS[:3] + ["enps"]
    survey = "employee_id,submitted_at," + ",".join(cols) + "\n" + ",".join(["E1", "2024-01-10"] + ["2"] * len(cols)) + "\n"
    report = load(write_files(tmp_path / "in", {"people.csv": PEOPLE, "survey_w1.csv": survey}))
    notes = next(f for f in report.files if f.file == "survey_w1.csv").notes
    assert ("intent_to_stay: the file holds 3 of its 6 items and a score needs 5 answered, so no response gets a "
            "score") in notes
    assert not any(n.startswith(("engagement", "vigour", "intrinsic", "values_alignment")) for n in notes), notes
