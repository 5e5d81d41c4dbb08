"""A release: the version is written once, in pyproject.toml (the package, the command line
and the User-Agent read it from the installed distribution's metadata); `python -m build`
makes a wheel with the package, its data and entry points, and an sdist whose install
passes this suite; the suite tests the package that is installed."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import mailroute_dyn
from mailroute_dyn import version as version_module
from mailroute_dyn.cli import main
from tests.conftest import BASE
from tests.helpers import PACKAGE

ROOT = Path(__file__).resolve().parent.parent


def _declared_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def test_the_package_reports_the_version_pyproject_declares():
    """Stale metadata (an install made before the version changed) shows here."""
    installed = importlib.metadata.version("mailroute-dyn")
    assert mailroute_dyn.__version__ == installed == _declared_version()


def test_no_module_writes_a_version_of_its_own():
    """A second copy of the version drifts at the next release (0.1 stayed in the
    User-Agent after 0.1.0 moved on)."""
    declared = re.escape(_declared_version())
    short = re.escape(_declared_version().rsplit(".", 1)[0])
    pattern = re.compile(rf"__version__\s*=|[\"'/]{declared}[\"' ]|/{short}[ \"']")
    copies = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not copies


def test_a_request_names_the_installed_version_in_its_user_agent(api, client):
    client.domain.get(1)
    sent = api.requests(f"{BASE}/api/v1/")
    assert sent
    expected = f"mailroute_dyn/{importlib.metadata.version('mailroute-dyn')} (+httpx)"
    assert {r.headers["User-Agent"] for r in sent} == {expected}


def test_the_command_line_prints_the_installed_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == (
        f"mailroute-dyn {importlib.metadata.version('mailroute-dyn')}\n"
    )


def test_a_checkout_nobody_installed_reports_an_unknown_version(monkeypatch):
    """Imported from a source tree without an install, the package still imports and says
    plainly that its version is unknown."""

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert version_module.package_version.__wrapped__() == "0+unknown"


# ---------------------------------------------------------------- what is tested, what is built


def test_the_package_under_test_is_the_installed_one():
    """CI runs the suite on the installed wheel (`.ci/run`): a copy of the package beside
    the tests (the checkout, the sdist) must not shadow it unnoticed. An editable install
    is its source folder, so there the source is what is tested."""
    dist = importlib.metadata.distribution("mailroute-dyn")
    origin = json.loads(dist.read_text("direct_url.json") or "{}")
    if origin.get("dir_info", {}).get("editable"):
        source = Path(urllib.request.url2pathname(urlsplit(origin["url"]).path))
        assert PACKAGE == (source / "mailroute_dyn").resolve()
    else:
        assert (
            PACKAGE / "__init__.py"
            == Path(str(dist.locate_file("mailroute_dyn/__init__.py"))).resolve()
        )


def _project_files() -> list[str]:
    """The project's files beside the package: git's list in a clone; in an unpacked sdist
    (CI) every file of the tree, less what building and running tools added."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        files = [name for name in listed if (ROOT / name).is_file()]
    else:
        made = ("PKG-INFO", "setup.cfg", "mailroute_dyn.egg-info/", "build/", "dist/")
        files = [
            path.relative_to(ROOT).as_posix()
            for path in ROOT.rglob("*")
            if path.is_file()
            and "__pycache__" not in path.parts
            and not path.relative_to(ROOT).as_posix().startswith(made)
            and not (
                path.relative_to(ROOT).parts[0].startswith(".")  # tool caches
                and path.relative_to(ROOT).parts[0] != ".ci"
            )
        ]
    return [name for name in files if not name.startswith("mailroute_dyn/")]


def _package_files() -> list[str]:
    """The package under test's files, as the release holds them (CI: the installed wheel,
    built from the same sources; the unpacked sdist has no copy of its own)."""
    return [
        f"mailroute_dyn/{path.relative_to(PACKAGE).as_posix()}"
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]


#: in a clone, only files no user or CI run needs stay out of the sdist
NOT_IN_THE_SDIST = {".gitignore"}
#: what the installed sdist needs to pass the suite (checked in a clone and in an sdist)
SUITE_NEEDS = [
    "pyproject.toml",
    "README.md",
    "CHANGELOG.md",
    "tests/conftest.py",
    "tests/helpers.py",
    "fixtures/listing.json",
    "benchmarks/__main__.py",
    "tests/tastypie_site/__init__.py",
    ".ci/run",
    "scripts/check",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[zipfile.ZipFile, list[str]]:
    """The wheel (opened) and the sdist's file names, built by `python -m build` from a
    copy of the source (the build writes egg-info beside it). Offline, so without build
    isolation: the backend of this environment builds (pyproject.toml's requires)."""
    pytest.importorskip("build")
    source = tmp_path_factory.mktemp("source")
    for name in _project_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "mailroute_dyn", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    return zipfile.ZipFile(wheel), names


@pytest.mark.slow
def test_the_wheel_holds_the_package_its_data_and_its_entry_points(built):
    wheel, _ = built
    names = set(wheel.namelist())
    assert "mailroute_dyn/py.typed" in names
    assert any(n.startswith("mailroute_dyn/fake/demo_data/schemas/") for n in names)
    assert sorted(set(_package_files()) - names) == []  # every module and data file
    assert not [n for n in names if n.startswith(("tests/", "fixtures/", "benchmarks/"))]
    [info] = {n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA")}
    metadata = wheel.read(f"{info}/METADATA").decode()
    assert f"\nVersion: {_declared_version()}\n" in metadata
    entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert "mailroute = mailroute_dyn.testing.plugin" in entry_points  # pytest11
    assert "mailroute-dyn = mailroute_dyn.cli:main" in entry_points


@pytest.mark.slow
def test_the_sdist_holds_what_its_install_needs_to_pass_the_suite(built):
    _, names = built
    assert sorted(set(SUITE_NEEDS) - set(names)) == []
    expected = set(_project_files() + _package_files()) - NOT_IN_THE_SDIST
    assert sorted(expected - set(names)) == []
