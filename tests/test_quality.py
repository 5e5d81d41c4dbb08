"""The code stays ruff-clean and type-checks: run in the suite so CI holds the line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import INSTALLED, PACKAGE

ROOT = Path(__file__).resolve().parent.parent
# the package under test, when it is not under ROOT (CI tests the installed wheel)
OUTSIDE = [] if PACKAGE.is_relative_to(ROOT) else [str(PACKAGE)]


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "ruff", "check", "--config", "pyproject.toml", ".", *OUTSIDE],
    # the one mypy run: the settings in pyproject.toml (strict), nothing added here, so a
    # stub that exists only on one machine cannot make it pass there and fail elsewhere
    # (the installed package by name: a path into site-packages makes it a source folder)
    pytest.param([sys.executable, "-m", "mypy", *(["-p", "mailroute_dyn"] if INSTALLED
                                                  else [str(PACKAGE)]),
                  "--cache-dir", "{tmp}"], marks=pytest.mark.slow),
], ids=["ruff", "mypy"])
def test_tool_is_clean(command, tmp_path):
    argv = [part.replace("{tmp}", str(tmp_path)) for part in command]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr


def test_public_names_are_listed_and_documented():
    import mailroute_dyn
    for name in mailroute_dyn.__all__:
        obj = getattr(mailroute_dyn, name)
        assert obj.__doc__, f"{name} has no docstring"
    assert (PACKAGE / "py.typed").exists()


def test_public_methods_are_documented():
    import inspect

    from mailroute_dyn import AsyncClient, BulkResult, Client, QuerySet, Resource
    missing = []
    for cls in (Client, AsyncClient, Resource, QuerySet, BulkResult):
        for name, member in inspect.getmembers(cls):
            static = inspect.getattr_static(cls, name)
            if name.startswith("_") or not (callable(member) or isinstance(static, property)):
                continue
            doc = static.__doc__ if isinstance(static, property) else inspect.getdoc(member)
            if not doc or doc == inspect.getdoc(object):
                missing.append(f"{cls.__name__}.{name}")
    assert not missing, f"undocumented: {missing}"
