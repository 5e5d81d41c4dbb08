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


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "ruff", "check", "--config", "pyproject.toml", ".", *OUTSIDE],
        # the one mypy run: the settings in pyproject.toml (strict), nothing added here, so a
        # stub that exists only on one machine cannot make it pass there and fail elsewhere
        # (the installed package by name: a path into site-packages makes it a source folder)
        pytest.param(
            [
                sys.executable,
                "-m",
                "mypy",
                *(["-p", "mailroute_dyn"] if INSTALLED else [str(PACKAGE)]),
                "--cache-dir",
                "{tmp}",
            ],
            marks=pytest.mark.slow,
        ),
    ],
    ids=["ruff", "mypy"],
)
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


# "Each readable in one sitting" (DESIGN, issue 19): no class over 250 lines, no module
# over 450, the fake server and the testing kit included. Named here are the ones still
# over it while they are restructured (issue 19); a name can only leave this list.
MAX_CLASS_LINES = 250
MAX_MODULE_LINES = 450
STILL_OVER: set[str] = set()


def _sizes(path: Path) -> dict[str, int]:
    """Lines of the module `path` and of each class in it (nested classes too)."""
    import ast

    text = path.read_text(encoding="utf-8")
    where = path.relative_to(PACKAGE).as_posix()
    sizes = {where: text.count("\n")}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            sizes[f"{where}:{node.name}"] = node.end_lineno - node.lineno + 1
    return sizes


def _too_long(sizes: dict[str, int]) -> list[str]:
    return sorted(
        f"{name} ({lines} lines)"
        for name, lines in sizes.items()
        if name not in STILL_OVER and lines > (MAX_CLASS_LINES if ":" in name else MAX_MODULE_LINES)
    )


@pytest.mark.slow
def test_no_class_or_module_is_too_long_to_read_in_one_sitting():
    sizes: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):  # the package under test, wherever it is
        sizes |= _sizes(path)
    assert "client.py" in sizes and "errors.py" in sizes  # (an empty walk checks nothing)
    assert _too_long(sizes) == []


def test_the_size_check_finds_a_long_class_and_a_long_module():
    assert _too_long({"x.py": 451, "x.py:Big": 251, "y.py": 450, "y.py:Fine": 250}) == [
        "x.py (451 lines)",
        "x.py:Big (251 lines)",
    ]


def _exported_but_not_defined(text: str) -> list[str]:
    """Names a module's `__all__` lists that it does not define itself (it imports them)."""
    import ast

    defined: set[str] = set()
    exported: list[str] = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            defined |= names
            if "__all__" in names and node.value is not None:
                exported = list(ast.literal_eval(node.value))
    return [name for name in exported if name not in defined]


@pytest.mark.slow
def test_a_module_exports_only_what_it_defines():
    """A split module leaves no shim behind (issue 19): each name has one home, and its
    importers name that home. Only a package's `__init__` gathers names from elsewhere."""
    shims = {}
    for path in sorted((ROOT / "mailroute_dyn").rglob("*.py")):
        if path.name != "__init__.py":
            names = _exported_but_not_defined(path.read_text(encoding="utf-8"))
            if names:
                shims[path.relative_to(ROOT).as_posix()] = names
    assert shims == {}


def test_the_export_check_finds_an_imported_name():
    text = "from .a import moved\n__all__ = ['moved', 'kept', 'K']\ndef kept(): ...\nK: int = 1\n"
    assert _exported_but_not_defined(text) == ["moved"]
