"""`scripts/check` (lint, format, types, layers) fails when any step fails, and names it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import PACKAGE

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check"

pytestmark = pytest.mark.skipif(
    os.name == "nt" or not shutil.which("bash"), reason="scripts/check is a bash script"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what the lint and layer steps read: the package under test, the tests,
    the benchmarks and the settings."""
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PACKAGE, copy / "mailroute_dyn", ignore=ignore)
    for folder in ("tests", "benchmarks", "scripts", "docs"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    return copy


def _check(project: Path, *steps: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(project / "scripts" / "check"), *steps],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHON": sys.executable},
    )


@pytest.mark.slow
def test_the_lint_and_layer_steps_pass_on_the_code_and_fail_on_a_break(project):
    assert _check(project, "lint", "layers").returncode == 0
    errors = project / "mailroute_dyn" / "errors.py"
    errors.write_text(
        errors.read_text(encoding="utf-8")  # an import going back up
        + "\n\ndef _up() -> None:\n    from .client import Client  # noqa: F401\n",
        encoding="utf-8",
    )
    broken = _check(project, "lint", "layers")
    assert broken.returncode == 1
    assert "FAILED: layers" in broken.stderr
    (project / "tests" / "helpers.py").write_text("import os\n", encoding="utf-8")  # unused
    broken = _check(project, "lint", "layers")
    assert broken.returncode == 1 and "FAILED: lint layers" in broken.stderr


def test_an_unknown_step_is_refused():
    done = subprocess.run(
        ["bash", str(SCRIPT), "speling"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert done.returncode == 2 and "unknown step 'speling'" in done.stderr
