"""The suite's own shape: shared fixtures live in conftest.py and shared helpers in
tests/helpers.py, so a test module never imports another one (which runs that module's
imports and autouse fixtures where nobody looks for them) and a fixture name means one
thing in the whole suite (the `client` fixture once had two types in five modules)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
TEST_MODULES = sorted(TESTS.glob("test_*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imported_modules(tree: ast.Module) -> set[str]:
    """Every module an import statement names, at any depth (`from . import x` as `.x`)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.add(base)
            found |= {
                f"{base.rstrip('.')}.{alias.name}" if node.module else base + alias.name
                for alias in node.names
            }
    return found


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute | ast.Name) and (
        getattr(target, "attr", None) == "fixture" or getattr(target, "id", None) == "fixture"
    )


def fixture_names(tree: ast.Module) -> set[str]:
    """The fixtures a module defines (a `name=` given to the decorator counts)."""
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in filter(_is_fixture, node.decorator_list):
            given = [k.value for k in getattr(decorator, "keywords", []) if k.arg == "name"]
            names.add(given[0].value if given and isinstance(given[0], ast.Constant) else node.name)
    return names


def imported_test_modules(path: Path) -> list[str]:
    """The test modules `path` imports."""
    return sorted(
        name
        for name in _imported_modules(_tree(path))
        if name.rsplit(".", 1)[-1].startswith("test_")
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", TEST_MODULES, ids=[p.name for p in TEST_MODULES])
def test_no_test_module_imports_another(path):
    assert imported_test_modules(path) == []


def test_the_import_check_sees_every_form_of_import(tmp_path):
    """The check above must not pass because it cannot see an import."""
    forms = [
        "from tests.test_cli import run",
        "from .test_cli import run",
        "import tests.test_cli",
        "from tests import test_cli",
        "import test_cli",
        "def f():\n    from test_plan import WRITES",
    ]
    for number, form in enumerate(forms):
        module = tmp_path / f"test_form_{number}.py"
        module.write_text(form + "\n", encoding="utf-8")
        assert imported_test_modules(module), form


@pytest.mark.slow
@pytest.mark.parametrize("path", TEST_MODULES, ids=[p.name for p in TEST_MODULES])
def test_no_test_module_redefines_a_conftest_fixture(path):
    """A module's own `client` beside conftest's gave one name two meanings: a test
    moved between modules silently got another object."""
    shared = fixture_names(_tree(TESTS / "conftest.py"))
    assert "client" in shared
    assert fixture_names(_tree(path)) & shared == set()
