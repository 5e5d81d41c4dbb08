"""DESIGN's one-way import rule, read from the source: a module imports only the layers
before it in the data flow, wherever the import statement is (a local import inside a
function counts), so no cycle hides behind a deferred import."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import PACKAGE

PROJECT = Path(__file__).resolve().parents[1]


def _fresh_python(code: str) -> str:
    """What `code` prints in a new interpreter (module loading is per process)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=PACKAGE.parent).stdout.strip()

# The data flow, first to last. A module may import its own layer and earlier ones. A
# module not named here fails the test below: every module has its place in the flow.
LAYERS = [
    ["errors", "vocabulary", "jsondecode", "lazy", "auth", "keysources", "profiles",
     "escaping", "version"],
    ["config"],
    ["operations"],                # the core's steps as data: no httpx, no files
    ["cache_files"],
    ["wire", "limits"],
    ["sockets"],                   # httpcore, loaded when a client is made
    ["sending"],                   # one request through httpx's transport for our origin
    ["interrupts"],                # a Parallel of writes that Ctrl-C stops cleanly
    ["http"],                      # the sessions: the only code that sends
    ["discovery"],
    ["values"],
    ["schema"],
    ["display", "follow", "frames"],  # displays; values() across a relation; DataFrames
    ["fieldread"],                 # one reader per field: what reading it costs, no more
    ["paging"],
    ["querybuild"],                # a QuerySet's filters, ordering, slice and requests
    ["queryrun"],                  # its iteration and one-request answers
    ["queryhabits"],               # Django's habits: last, in_bulk, update, delete, values
    ["query"],                     # the public QuerySet classes, put together
    ["rerun"],                     # keyed creates, nothing-to-send updates, gone deletes
    ["bulk"],
    ["validation"],
    ["detailuri"],                 # which URIs are a resource's detail URIs
    ["naming"],                    # related objects given by name, looked up before a write
    ["writes"],
    ["metaclass"],
    ["pagebuild"],                 # a list page's raw objects as resource objects
    ["related"],                   # related objects, detail-only fields
    ["modelhooks"],                # what QuerySets ask of their class; get_or_create
    ["resources"],
    ["registry"],
    ["journal", "undo"],           # a bulk run's journal (before/after each write, resume)
                                   # and its undo
    ["fake"],                      # the fake Tastypie server: stdlib and httpx only
    ["apidoc"],                    # the OpenAPI document of what the registry knows
    ["client"],
    ["__init__"],                  # the public names
    ["tools"],                     # graph, stubs, schemadiff, capture: over a Client
    ["cli"],
    ["testing"],                   # the testing kit: fake server, plugin, tour
    ["demo", "__main__"],          # entry points
]


def _rank(top: str) -> int:
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"mailroute_dyn.{top} has no place in LAYERS: name its layer")


def _top(dotted: str) -> str:
    """`mailroute_dyn.cli.args` -> `cli`; the package itself -> `__init__`."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(parts), path))
    return out


def _imports(module: str, path: Path) -> set[str]:
    """Every mailroute_dyn module `path` imports, at any depth of the syntax tree."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mailroute_dyn")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("mailroute_dyn"):
                continue
            for alias in node.names:       # `from . import cli` names a module
                sub = f"{target}.{alias.name}"
                as_path = PACKAGE.parent / sub.replace(".", "/")
                found.add(sub if as_path.is_dir() or as_path.with_suffix(".py").exists()
                          else target)
    return found


MODULES = _modules()


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_flow_one_way(module, path):
    """A module that imports a later layer makes a cycle (the client importing the
    testing kit did): the layers then cannot be read, tested or shipped one by one."""
    rank = _rank(_top(module))
    later = sorted(t for t in _imports(module, path) if _rank(_top(t)) > rank)
    assert not later, f"{module} (layer {rank}) imports later layers: {later}"


def test_the_client_does_not_import_the_testing_kit_or_the_command_line():
    client = dict(MODULES)["mailroute_dyn.client"]
    assert not {_top(t) for t in _imports("mailroute_dyn.client", client)} & {
        "testing", "cli", "tools"}


def test_every_module_has_a_layer():
    """A new module must say where it stands in the flow, or the rule checks nothing."""
    for module, _ in MODULES:
        _rank(_top(module))


def test_every_layer_named_exists():
    """A renamed module must not leave the rule checking nothing."""
    tops = {_top(m) for m, _ in MODULES}
    assert {name for names in LAYERS for name in names} <= tops


def test_the_readme_layout_names_only_modules_that_exist():
    """The README's tree of mailroute_dyn/ is how a newcomer finds their way: a moved or
    renamed module must not leave it pointing at nothing."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    block = readme.split("\nmailroute_dyn/\n", 1)[1].split("\n```", 1)[0]
    listed = [line.split()[0] for line in block.splitlines()
              if line.startswith("  ") and not line.startswith("   ")]
    listed = [name for name in listed if not name.startswith(("tests/", "fixtures/"))]
    assert {"cli/", "tools/", "fake/", "testing/", "client.py"} <= set(listed)
    for name in listed:
        assert (PACKAGE / name).exists(), name


def test_importing_the_client_does_not_load_the_fake_server():
    """`Client.demo()` runs on the fake server; a program that never calls it must not pay
    for loading it at every start."""
    code = ("import sys, mailroute_dyn; "
            "print(sorted(m for m in sys.modules if m.startswith('mailroute_dyn.fake.')))")
    assert _fresh_python(code) == "[]"


def test_importing_the_package_defers_what_only_a_client_or_a_command_needs():
    """`import mailroute_dyn` loads the errors only; `from mailroute_dyn import Client` the
    client classes and httpx; the rest loads when first used: the sessions, discovery,
    the schema cache and the model and query layers with the first client, the JSON
    Schema checker with the first write, the decoder with the first answer."""
    deferred = ["httpcore", "cachetools", "jsonschema", "platformdirs", "tomllib", "difflib",
                "msgspec", "asyncio", "concurrent.futures", "hmac", "mailroute_dyn.wire",
                "mailroute_dyn.limits", "mailroute_dyn.sockets", "mailroute_dyn.sending",
                "mailroute_dyn.http", "mailroute_dyn.discovery", "mailroute_dyn.registry",
                "mailroute_dyn.cache_files", "mailroute_dyn.fake", "mailroute_dyn.schema",
                "mailroute_dyn.query", "mailroute_dyn.resources", "mailroute_dyn.cli",
                "mailroute_dyn.tools",
                "mailroute_dyn.testing"]
    code = (f"import sys; from mailroute_dyn import Client; print([m for m in {deferred!r} "
            "if m in sys.modules])")
    assert _fresh_python(code) == "[]"


def test_every_public_name_is_there_however_it_is_imported():
    """Names whose modules load later still answer `from mailroute_dyn import X`,
    `mailroute_dyn.X`, `import *` and `dir()`, and are the classes a client makes; the
    package's modules answer as attributes, as when the package loaded them all."""
    code = ("import mailroute_dyn as m\n"
            "ns = {}\n"
            "exec('from mailroute_dyn import *', ns)\n"
            "missing = [n for n in m.__all__ if n not in ns or getattr(m, n) is not ns[n]]\n"
            "assert not missing, missing\n"
            "assert set(m.__all__) <= set(dir(m))\n"
            "assert m.query.QuerySet is m.QuerySet and callable(m.config.resolve_settings)\n"
            "c = m.Client.demo()\n"
            "assert isinstance(c.domain.all(), m.QuerySet) and issubclass(c.domain, m.Resource)\n"
            "try:\n    m.NoSuchName\nexcept AttributeError as exc:\n    print(exc)\n")
    assert "has no attribute 'NoSuchName'" in _fresh_python(code)


def test_the_pytest_plugin_loads_nothing_until_a_fixture_is_used(tmp_path):
    """pytest loads the plugin in every run where mailroute_dyn is installed (and reads
    every name of it for hooks): a run that never asks for `mailroute` must not pay for
    httpx, the client or the fake server."""
    from importlib.metadata import entry_points
    (tmp_path / "test_plain.py").write_text(
        "import sys\n"
        "def test_plain():\n"
        "    assert 'mailroute_dyn.testing.plugin' in sys.modules\n"
        "    print('LOADED', sorted(m for m in sys.modules if m in ('httpx', "
        "'mailroute_dyn.client', 'mailroute_dyn.fake.server', "
        "'mailroute_dyn.testing.cleanup')))\n", encoding="utf-8")
    registered = any(e.value.startswith("mailroute_dyn.testing.plugin")
                     for e in entry_points(group="pytest11"))
    extra = [] if registered else ["-p", "mailroute_dyn.testing.plugin"]
    # other plugins may import httpx themselves (respx does): only ours are kept out
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                          "-p", "no:respx", *extra, str(tmp_path / "test_plain.py")],
                         capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)})
    assert run.returncode == 0, run.stdout + run.stderr
    loaded = run.stdout.split("LOADED", 1)[1].splitlines()[0].strip()
    assert "mailroute_dyn" not in loaded, loaded


@pytest.mark.parametrize("package", ["mailroute_dyn.testing", "mailroute_dyn.fake"])
def test_the_kits_names_are_there_however_they_are_imported(package):
    code = (f"import importlib\nm = importlib.import_module({package!r})\nns = {{}}\n"
            f"exec('from {package} import *', ns)\n"
            "assert all(getattr(m, n) is ns[n] for n in m.__all__)\n"
            "assert set(m.__all__) <= set(dir(m))\n")
    _fresh_python(code)
