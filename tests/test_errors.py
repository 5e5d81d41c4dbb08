"""Every exception class of the package lives in `mailroute_dyn/errors.py`, and the tree
drawn in its docstring is the tree of the real classes: a class added, moved or given
another base without its drawing fails here."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import mailroute_dyn
from mailroute_dyn import errors

PACKAGE = Path(mailroute_dyn.__file__).parent
_DRAWN_LINE = re.compile(
    r"^(?P<indent> *)(?P<name>\w+)(?: \+ (?P<also>[\w, ]+))?"
    r"(?: \(a (?P<builtin>\w+)\))?$"
)


def _drawn_tree() -> dict[str, tuple[str, ...]]:
    """Each drawn class -> the names of its bases, as the docstring draws them: the
    parent a line is indented under first, then the names after `+`."""
    block = errors.__doc__.split("checks this drawing against the classes):\n\n", 1)[1]
    block = block.split("\n\n", 1)[0]
    drawn: dict[str, tuple[str, ...]] = {}
    parents: list[tuple[int, str]] = []
    for line in block.splitlines():
        match = _DRAWN_LINE.match(line)
        assert match, f"not a line of the tree: {line!r}"
        depth = len(match["indent"])
        parents = [(d, n) for d, n in parents if d < depth]
        first = parents[-1][1] if parents else (match["builtin"] or "Exception")
        also = tuple(n.strip() for n in (match["also"] or "").split(",") if n.strip())
        drawn[match["name"]] = (first, *also)
        parents.append((depth, match["name"]))
    return drawn


def _exception_classes() -> dict[str, type[BaseException]]:
    """The exception classes errors.py defines (warnings aside)."""
    return {
        name: obj
        for name, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and not issubclass(obj, Warning)
        and obj.__module__ == errors.__name__
    }


def test_the_drawn_tree_is_the_tree_of_the_classes():
    drawn = _drawn_tree()
    real = {
        name: tuple(base.__name__ for base in cls.__bases__)
        for name, cls in _exception_classes().items()
    }
    assert drawn == real


def test_the_drawing_checker_notices_a_wrong_parent():
    """The check above can fail: a drawing with a class under the wrong parent differs."""
    drawn = _drawn_tree()
    assert drawn["DoesNotExist"] == ("NotFound",)
    assert drawn["UnreadableWriteAnswer"] == ("AmbiguousWriteError", "ResponseError")
    assert drawn["Interrupted"] == ("KeyboardInterrupt",)


def test_the_command_lines_errors_are_mailroute_errors_and_the_fakes_are_not():
    """`except MailRouteError` catches what the command line refuses; the fake server's
    own signals never leave it, and their text goes into answer bodies unescaped."""
    for name in ("CommandUsageError", "NoMatchingObject", "CommandFailed"):
        assert issubclass(getattr(errors, name), errors.MailRouteError)
    for name in ("FakeHttpError", "FakeLookupValueError", "FakeFieldValueError"):
        assert not issubclass(getattr(errors, name), errors.MailRouteError)
    assert str(errors.FakeFieldValueError("“a\nb” is not valid")) == "“a\nb” is not valid"


def _exception_names() -> set[str]:
    """Names a class statement may derive an exception from: the builtins (warnings
    aside) and every class of errors.py."""
    names = {
        name
        for name, obj in vars(builtins).items()
        if inspect.isclass(obj) and issubclass(obj, BaseException) and not issubclass(obj, Warning)
    }
    return names | set(_exception_classes())


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _classes_deriving_exceptions(source: str) -> list[str]:
    exception_names = _exception_names()
    return [
        node.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef)
        and any(_base_name(b) in exception_names for b in node.bases)
    ]


@pytest.mark.slow
def test_no_module_outside_errors_defines_an_exception_class():
    """Read from the source (a class inside a function counts too)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "errors.py":
            continue
        named = _classes_deriving_exceptions(path.read_text(encoding="utf-8"))
        if named:
            found[str(path.relative_to(PACKAGE))] = named
    assert found == {}


def test_the_source_check_finds_an_exception_class():
    """The check above can fail: each way of deriving one is found."""
    source = (
        "class A(ValueError): pass\nclass B(errors.GuardError): pass\n"
        "def f():\n    class C(MailRouteError): pass\nclass W(UserWarning): pass\n"
    )
    assert _classes_deriving_exceptions(source) == ["A", "B", "C"]


def test_no_loaded_module_outside_errors_defines_an_exception_class():
    """The same rule, asked of the classes Python knows once every module is loaded."""
    for info in pkgutil.walk_packages(mailroute_dyn.__path__, "mailroute_dyn."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    stray = []
    pending: list[type[BaseException]] = [BaseException]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if (
            cls.__module__.startswith("mailroute_dyn")
            and cls.__module__ != errors.__name__
            and not issubclass(cls, Warning)
        ):
            stray.append(f"{cls.__module__}.{cls.__qualname__}")
    assert stray == []
