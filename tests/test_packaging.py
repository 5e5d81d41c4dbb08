"""Installing the package as the docs say, in a fresh virtual environment: the editable
install must be one that mypy follows, or the docs' stubs + `mypy --strict` recipe fails
with "Cannot find implementation or library stub for module named 'mailroute_dyn'"."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import PACKAGE

ROOT = Path(__file__).resolve().parent.parent
_BACKEND_CHECK = (
    "import importlib.util, setuptools\n"
    "from setuptools.command import editable_wheel\n"
    "version = tuple(int(p) for p in setuptools.__version__.split('.')[:2])\n"
    "assert version >= (77, 0), setuptools.__version__\n"
    "import pip\n"
)


def _readme_typing_recipe() -> str:
    """The stubs + `mypy --strict` recipe of the command line's docs page."""
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    match = re.search(
        r"checks scripts written against your server:\n\n```python\n(.*?)```", text, re.S
    )
    assert match, "the docs' stubs + mypy recipe (docs/cli.md, Typing stubs) moved"
    return match.group(1)


def _env_without_checkout() -> dict[str, str]:
    """The environment minus any PYTHONPATH entry that would find the checkout without
    the install."""
    env = dict(os.environ)
    paths = [
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p).resolve() != ROOT
    ]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("MAILROUTE_URL", None)
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_readme_typing_recipe_passes_mypy_strict_after_an_editable_install(tmp_path):
    env = _env_without_checkout()
    venv = tmp_path / "venv"
    made = _run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        tmp_path,
        env,
    )
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if made.returncode != 0 or not python.exists():
        pytest.skip(f"cannot create a virtual environment here: {made.stderr.strip()[-300:]}")
    backend = _run([str(python), "-c", _BACKEND_CHECK], tmp_path, env)
    if backend.returncode != 0:
        pytest.skip(
            "an offline editable install needs setuptools>=77 (pyproject.toml's "
            "license form) and pip: `pip install -e '.[test]'` brings them "
            f"({backend.stderr.strip().splitlines()[-1:]})"
        )
    checkout = tmp_path / "checkout"  # the build writes egg-info next to the sources
    checkout.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, checkout / name)
    shutil.copytree(
        PACKAGE, checkout / "mailroute_dyn", ignore=shutil.ignore_patterns("__pycache__")
    )
    install = _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-build-isolation",
            "--no-index",
            "--no-deps",
            "-e",
            str(checkout),
        ],
        tmp_path,
        env,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    stubs = _run(
        [str(python), "-m", "mailroute_dyn", "--demo", "stubs", "-o", "typings/mailroute_api.pyi"],
        tmp_path,
        env,
    )
    assert stubs.returncode == 0, stubs.stdout + stubs.stderr
    script = tmp_path / "script.py"
    script.write_text(_readme_typing_recipe(), encoding="utf-8")
    checked = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--python-executable",
            str(python),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(script),
        ],
        tmp_path,
        {**env, "MYPYPATH": str(tmp_path / "typings")},
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    script.write_text(
        _readme_typing_recipe() + "client.email_account.filter(priority=3)\n", encoding="utf-8"
    )
    refused = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--python-executable",
            str(python),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(script),
        ],
        tmp_path,
        {**env, "MYPYPATH": str(tmp_path / "typings")},
    )
    assert 'Unexpected keyword argument "priority"' in refused.stdout, refused.stdout
