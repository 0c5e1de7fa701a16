"""Settings and instruments files: what a user's override may say, and how a mistake in it is reported
(the file and the setting named, never ignored)."""

from __future__ import annotations

import pytest

from pipelines.config import ConfigError, load_instruments, load_settings


def _write(tmp_path, text: str, name: str = "mine.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_an_override_changes_only_what_it_names(tmp_path):
    s = load_settings(_write(tmp_path, "[anonymity]\nk = 7\n[career_phase.job_level]\nL9 = \"late\"\n"), env={})
    assert s["anonymity"]["k"] == 7 and s["anonymity"]["comment_k"] == 10
    # job levels (and salary bands, exit multipliers) are the organisation's own: new keys are welcome
    assert s["career_phase"]["job_level"]["L9"] == "late" and s["career_phase"]["job_level"]["junior"] == "early"


@pytest.mark.parametrize("text, named", [
    ("[anonimity]\nk = 3\n", "unknown setting 'anonimity'; known tables: [anonymity]"),   # k stayed 5, silently
    ("[anonymity]\nkk = 3\n", "unknown setting 'anonymity.kk'; known keys of [anonymity]: comment_k, k"),
    ("[waves]\nbaseline_days_befor = 10\n", "unknown setting 'waves.baseline_days_befor'"),
])
def test_a_misspelt_setting_is_refused_naming_the_file_and_the_key(tmp_path, text, named):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_settings(path, env={})
    assert str(exc.value).startswith(f"{path}: ") and named in str(exc.value)


def test_an_instrument_mistake_names_its_file(tmp_path):
    path = _write(tmp_path, "[engagement]\nscale_min = 0\nitems = [\"a\"]\nscore = \"mean\"\n", "instr.toml")
    with pytest.raises(ConfigError) as exc:
        load_instruments(path, env={})
    assert str(exc.value) == f"{path}: instrument 'engagement': missing 'scale_max'"
