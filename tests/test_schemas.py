"""The pandera schemas and their SQL translation agree: what the loader lets in passes pandera's own
validation, and what it quarantines for a schema check fails it."""

from __future__ import annotations

import duckdb
import pandas as pd
import pandera.pandas as pa
import pytest

from conftest import write_files
from pipelines.ingest.schemas import SCHEMAS

PROGRAMS = """
    program_id,name,type,cost_per_participant,admin_cost,currency
    P1,Alignment,alignment,3000,500,GBP
    P2,Exec,executive_career,6000,0,eur
    P3,Mentoring,mentoring,100,0,GBP
    P4,Team,team,-5,0,GBP
    P5,Leaders,leadership,100,0,pounds
"""


def _check_only(entity: str, columns: list[str]) -> pa.DataFrameSchema:
    """The entity's schema restricted to typed columns (dtype checks aside: SQL typed them)."""
    schema = SCHEMAS[entity]
    return pa.DataFrameSchema({c: pa.Column(None, checks=schema.columns[c].checks,
                                            nullable=schema.columns[c].nullable) for c in columns})


def test_loaded_programs_pass_pandera_and_quarantined_ones_fail(tmp_path, load):
    load(write_files(tmp_path / "in", {"programs.csv": PROGRAMS}))
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    loaded = con.execute("SELECT program_id, program_type, cost_per_participant::DOUBLE AS cost_per_participant, "
                         "currency FROM programs").df()
    quarantined = {r[0] for r in con.execute("SELECT source_row FROM quarantine").fetchall()}
    con.close()
    schema = _check_only("programs", ["program_type", "cost_per_participant", "currency"])
    schema.validate(loaded.drop(columns="program_id"), lazy=True)   # raises if any loaded row fails
    assert sorted(loaded.program_id) == ["P1", "P2"]
    assert quarantined == {3, 4, 5}
    rejected = pd.DataFrame({"program_type": ["mentoring", "team", "leadership"],
                             "cost_per_participant": [100.0, -5.0, 100.0],
                             "currency": ["GBP", "GBP", "POUNDS"]})
    with pytest.raises(pa.errors.SchemaErrors) as info:
        schema.validate(rejected, lazy=True)
    assert sorted(set(info.value.failure_cases["index"])) == [0, 1, 2]


def test_every_schema_check_has_a_sql_translation():
    from pipelines.ingest.schemas import _check_sql

    for entity, schema in SCHEMAS.items():
        for name, col in schema.columns.items():
            for check in col.checks:
                cond, reason = _check_sql(check, f"x_{name}")
                assert cond and reason, (entity, name, check.name)
