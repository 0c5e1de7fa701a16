"""Static checks that catch real bugs before a page does: undefined names, unused imports and
variables, syntax errors (pyflakes' rules, run by ruff)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_code_has_no_undefined_or_unused_names():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    out = subprocess.run([ruff, "check", "--no-cache", "--select", "F,E9", "--output-format", "concise",
                          "dashboard", "pipelines", "bench", "tests"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
