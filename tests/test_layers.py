"""DESIGN's one-way import rule, read from the source: a module imports only the layers
before it in the data flow, wherever the import statement is (a local import inside a
function counts), so no cycle hides behind a deferred import."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import PACKAGE

PROJECT = Path(__file__).resolve().parents[1]


def _fresh_python(code: str) -> str:
    """What `code` prints in a new interpreter (module loading is per process)."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent
    ).stdout.strip()


# The data flow, first to last, as the tree shows it: a part of the package (a subpackage
# such as `transport`) holds consecutive layers, and its modules keep their order inside it.
# A module may import its own layer and earlier ones. An entry names a module or a package
# (then every module inside it shares the layer); a module's layer is that of the longest
# entry naming it or a package holding it. A module not named here fails the test below.
LAYERS = [
    # leaves: the errors, Tastypie's vocabulary, JSON decoding, escaping of server names
    ["errors", "vocabulary", "jsondecode", "lazy", "escaping", "verbs", "version"],
    # settings: auth classes, key sources, profiles, then their resolution
    ["settings", "settings.urls", "settings.auth"],
    ["settings.keysources"],
    ["settings.profiles"],
    ["settings.config"],
    ["operations"],  # the core's steps as data: no httpx, no files
    # transport: a request as data -> bytes on the wire -> an answer as data
    ["transport", "transport.cache_files"],  # the schema cache on disk, written by sessions
    ["transport.decisions", "transport.limits"],  # requests built, answers read; rate limits
    ["transport.tries"],  # redirect and retry rules: one call's way to its answer
    ["transport.sockets"],  # httpcore, loaded when a client is made
    ["transport.sending"],  # one request through httpx for our origin
    ["transport.interrupts"],  # a Parallel of writes that Ctrl-C stops cleanly
    ["transport.sessions"],  # the sessions: the only code that sends
    # schema: what the server says its resources are
    ["schema", "schema.discovery"],
    ["schema.conversions"],  # values between JSON and Python
    ["schema.definition"],  # one resource's schema as data
    ["schema.rules"],  # the filters, orderings, methods it allows
    ["schema.catalogue"],  # one client's classes by name, URIs' resources, relation targets
    ["schema.display"],  # how schemas, classes, objects and rows show (text and HTML)
    # classes: the resource classes' machinery, built from schemas
    ["classes", "classes.validation", "classes.detailuri", "classes.fieldread"],
    ["classes.adopt"],  # what an object keeps of an answer
    ["classes.instances"],  # an object's state, made from what the server sent
    ["classes.resourceclasses"],  # one client's classes, built from the bases it gives
    ["classes.registry"],  # ... and what relations need from them
    # query: Django's QuerySet over a list endpoint
    ["query", "query.follow", "query.frames", "query.checks"],
    ["query.paging"],  # one list answer as a Page
    ["query.rows"],  # what a row becomes: an instance or raw values
    ["query.build"],  # filters, ordering, slices and their requests
    ["query.walk"],  # the walk over a listing: by key, offsets or meta.next
    ["query.run"],  # iteration and one-request answers
    ["query.habits"],  # last, in_bulk, delete, update's matches, values rows
    ["query.views"],  # how a QuerySet shows: notebook, rich, pandas
    ["query.queryset"],  # BaseQuerySet: all of the above, without I/O
    # model: one class per resource, its objects and its writes
    ["model", "model.naming"],  # related objects given by name
    ["model.writes"],  # one object's writes as operations
    ["model.getorcreate"],  # get_or_create / update_or_create
    ["model.rerun"],  # keyed creates, nothing-to-send updates
    ["model.bulk"],  # how a bulk write goes out: one request each, or a PATCH list
    ["model.bulkverbs"],  # bulk_create, bulk_update, bulk_delete, update: rows checked
    ["model.classops"],  # get() by key, create(), actions: built
    ["model.querysets"],  # the public QuerySets, sync and async siblings
    ["model.metaclass"],  # what a resource class says of itself
    ["model.shortcuts"],  # the class shortcuts, sync and async
    ["model.identity"],  # an object's URI, key and equality
    ["model.related"],  # related objects, detail-only fields
    ["model.resources"],
    ["model.assemble"],  # a client's class bases, and client.list(uri)'s model
    ["runs"],  # a bulk run's journal and its undo
    # the fake Tastypie server: stdlib and httpx only
    ["fake.fixtures", "fake.answers", "fake.values"],  # its leaves
    ["fake.defs"],  # resources from schemas and rules
    ["fake.tables"],  # the rows and their reads
    ["fake.query"],  # filters and pages
    ["fake.ordering"],
    ["fake.hydrate", "fake.forms", "fake.relations"],  # a body onto an object; deletes
    ["fake.saving"],  # the database's conversions and constraints
    ["fake.store"],  # the write cycle over the tables
    ["fake.exchange"],  # HTTP details
    ["fake.views", "fake.faults"],  # the endpoints; fault injection
    ["fake.routes"],
    ["fake.server", "fake"],  # FakeMailRoute; the package's names
    ["apidoc"],  # the OpenAPI document of what a registry knows
    ["clientbase"],  # what both clients share: setup and their operations
    ["client"],
    ["__init__"],  # the public names
    ["tools.stubverbs"],  # a stub's verbs, from the table of verbs
    ["tools.stubtypes"],  # a stub's class names, field and lookup types
    ["tools"],  # graph, stubs, schemadiff, capture
    ["cli"],
    ["testing"],  # the testing kit: fake server, plugin, tour
    ["demo", "__main__"],  # entry points
]


def _rank(name: str) -> int:
    """The layer of `name`, a module path under the package (`transport.sessions`)."""
    parts = name.split(".")
    for length in range(len(parts), 0, -1):
        prefix = ".".join(parts[:length])
        for rank, names in enumerate(LAYERS):
            if prefix in names:
                return rank
    raise AssertionError(f"mailroute_dyn.{name} has no place in LAYERS: name its layer")


def _top(dotted: str) -> str:
    """`mailroute_dyn.cli.args` -> `cli.args`; the package itself -> `__init__`."""
    parts = dotted.split(".")
    return ".".join(parts[1:]) if len(parts) > 1 else "__init__"


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
            for alias in node.names:  # `from . import cli` names a module
                sub = f"{target}.{alias.name}"
                as_path = PACKAGE.parent / sub.replace(".", "/")
                found.add(
                    sub if as_path.is_dir() or as_path.with_suffix(".py").exists() else target
                )
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
    assert not {_top(t).split(".")[0] for t in _imports("mailroute_dyn.client", client)} & {
        "testing",
        "cli",
        "tools",
    }


def test_every_module_has_a_layer():
    """A new module must say where it stands in the flow, or the rule checks nothing."""
    for module, _ in MODULES:
        _rank(_top(module))


def test_every_layer_named_exists():
    """A renamed module must not leave the rule checking nothing."""
    tops = {_top(m) for m, _ in MODULES}
    assert {name for names in LAYERS for name in names} <= tops


LAYOUT_PAGE = PROJECT / "docs" / "layout.md"
_ENTRY = re.compile(r"^((?:  )+)([\w.]+(?:/|\.py))(?:\s|$)")


def _layout_paths(page: str) -> list[str]:
    """The paths the layout page's tree of `mailroute_dyn/` names, relative to the
    package: an entry is indented two spaces per level and names a module (`x.py`) or a
    folder (`x/`); the description's continuation lines, indented further, are skipped."""
    block = page.split("```text\nmailroute_dyn/\n", 1)[1].split("\n```", 1)[0]
    parents: list[str] = []
    paths = []
    for line in block.splitlines():
        entry = _ENTRY.match(line)
        if entry is None or len(entry.group(1)) // 2 > len(parents) + 1:
            continue
        depth = len(entry.group(1)) // 2 - 1
        parents = parents[:depth]
        name = entry.group(2)
        paths.append("".join(parents) + name)
        if name.endswith("/"):
            parents.append(name)
    return paths


def _package_tree() -> set[str]:
    """Every subpackage (`x/`) and module of mailroute_dyn, as read from disk now."""
    tree = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if "__pycache__" in relative.parts:
            continue
        if path.name != "__init__.py":
            tree.add(relative.as_posix())
        elif relative.parent != Path("."):
            tree.add(relative.parent.as_posix() + "/")
    return tree


def test_the_layout_page_and_the_tree_match():
    """docs/layout.md is how a newcomer finds their way: every package and module on disk
    has its line there, and every path it names exists, whatever the tree looks like."""
    named = _layout_paths(LAYOUT_PAGE.read_text(encoding="utf-8"))
    assert len(named) == len(set(named)), sorted(p for p in named if named.count(p) > 1)
    unnamed = sorted(_package_tree() - set(named))
    assert not unnamed, f"modules on disk that docs/layout.md does not name: {unnamed}"
    gone = sorted(p for p in named if not (PACKAGE / p).exists())
    assert not gone, f"docs/layout.md names paths that do not exist: {gone}"


def test_the_layout_reader_sees_nesting_and_skips_descriptions():
    page = (
        "```text\nmailroute_dyn/\n  a.py     one\n                 more/ words.py\n"
        "  sub/     two\n    b.py   three\n  c.py     four\n```\n"
    )
    assert _layout_paths(page) == ["a.py", "sub/", "sub/b.py", "c.py"]


def test_importing_the_client_does_not_load_the_fake_server():
    """`Client.demo()` runs on the fake server; a program that never calls it must not pay
    for loading it at every start."""
    code = (
        "import sys, mailroute_dyn; "
        "print(sorted(m for m in sys.modules if m.startswith('mailroute_dyn.fake.')))"
    )
    assert _fresh_python(code) == "[]"


@pytest.mark.slow
def test_importing_the_package_defers_what_only_a_client_or_a_command_needs():
    """`import mailroute_dyn` loads the errors only; `from mailroute_dyn import Client` the
    client classes and httpx; the rest loads when first used: the sessions, discovery,
    the schema cache and the model and query layers with the first client, the JSON
    Schema checker with the first write, the decoder with the first answer, `subprocess`
    when a profile's key command runs."""
    deferred = [
        "httpcore",
        "cachetools",
        "jsonschema",
        "platformdirs",
        "tomllib",
        "difflib",
        "msgspec",
        "asyncio",
        "concurrent.futures",
        "hmac",
        "subprocess",  # for a profile's api_key_command, when one runs
        "mailroute_dyn.transport.decisions",
        "mailroute_dyn.transport.tries",
        "mailroute_dyn.transport.limits",
        "mailroute_dyn.transport.sockets",
        "mailroute_dyn.transport.sending",
        "mailroute_dyn.transport.sessions",
        "mailroute_dyn.transport.cache_files",
        "mailroute_dyn.schema",
        "mailroute_dyn.query",
        "mailroute_dyn.model",
        "mailroute_dyn.runs",
        "mailroute_dyn.fake",
        "mailroute_dyn.cli",
        "mailroute_dyn.tools",
        "mailroute_dyn.testing",
    ]
    code = (
        f"import sys; from mailroute_dyn import Client; print([m for m in {deferred!r} "
        "if m in sys.modules])"
    )
    assert _fresh_python(code) == "[]"


@pytest.mark.slow
def test_every_public_name_is_there_however_it_is_imported():
    """Names whose modules load later still answer `from mailroute_dyn import X`,
    `mailroute_dyn.X`, `import *` and `dir()`, and are the classes a client makes; the
    package's modules answer as attributes, as when the package loaded them all."""
    code = (
        "import mailroute_dyn as m\n"
        "ns = {}\n"
        "exec('from mailroute_dyn import *', ns)\n"
        "missing = [n for n in m.__all__ if n not in ns or getattr(m, n) is not ns[n]]\n"
        "assert not missing, missing\n"
        "assert set(m.__all__) <= set(dir(m))\n"
        "assert m.model.querysets.QuerySet is m.QuerySet\n"
        "assert callable(m.settings.config.resolve_settings)\n"
        "c = m.Client.demo()\n"
        "assert isinstance(c.domain.all(), m.QuerySet) and issubclass(c.domain, m.Resource)\n"
        "try:\n    m.NoSuchName\nexcept AttributeError as exc:\n    print(exc)\n"
    )
    assert "has no attribute 'NoSuchName'" in _fresh_python(code)


@pytest.mark.slow
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
        "'mailroute_dyn.testing.cleanup')))\n",
        encoding="utf-8",
    )
    registered = any(
        e.value.startswith("mailroute_dyn.testing.plugin") for e in entry_points(group="pytest11")
    )
    extra = [] if registered else ["-p", "mailroute_dyn.testing.plugin"]
    # other plugins may import httpx themselves (respx does): only ours are kept out
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:respx",
            *extra,
            str(tmp_path / "test_plain.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    loaded = run.stdout.split("LOADED", 1)[1].splitlines()[0].strip()
    assert "mailroute_dyn" not in loaded, loaded


@pytest.mark.slow
@pytest.mark.parametrize("package", ["mailroute_dyn.testing", "mailroute_dyn.fake"])
def test_the_kits_names_are_there_however_they_are_imported(package):
    code = (
        f"import importlib\nm = importlib.import_module({package!r})\nns = {{}}\n"
        f"exec('from {package} import *', ns)\n"
        "assert all(getattr(m, n) is ns[n] for n in m.__all__)\n"
        "assert set(m.__all__) <= set(dir(m))\n"
    )
    _fresh_python(code)
