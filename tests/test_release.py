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
    monkeypatch.setattr(sys, "path", [])  # no metadata folder to read either
    assert version_module.package_version.__wrapped__() == "0+unknown"


def _metadata_folder(where: Path, folder: str, version: str, headers: str = "METADATA") -> None:
    (where / folder).mkdir(parents=True)
    (where / folder / headers).write_text(
        f"Metadata-Version: 2.1\nName: mailroute_dyn\nVersion: {version}\n\nbody\n",
        encoding="utf-8",
    )


def _importlib_says(path: list[str]) -> str | None:
    found = list(importlib.metadata.distributions(name="mailroute_dyn", path=path))
    return found[0].version if found else None


def test_the_version_read_without_importlib_metadata_is_the_one_it_reads():
    """The version is read from the metadata folder itself (importing
    `importlib.metadata` costs about 10 ms of a client's start): on this install, the
    same answer as `importlib.metadata`."""
    assert version_module._dist_info_version(sys.path) == importlib.metadata.version(
        "mailroute-dyn"
    )


@pytest.mark.parametrize(
    "layout", ["wheel", "egg-info folder", "spelled otherwise", "first folder wins", "nothing here"]
)
def test_the_metadata_folder_found_is_the_one_importlib_metadata_finds(tmp_path, layout):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    if layout == "wheel":
        _metadata_folder(second, "mailroute_dyn-7.1.dist-info", "7.1")
    elif layout == "egg-info folder":
        _metadata_folder(second, "mailroute_dyn.egg-info", "7.2", "PKG-INFO")
    elif layout == "spelled otherwise":
        _metadata_folder(second, "Mailroute.Dyn-7.3.dist-info", "7.3")
    elif layout == "first folder wins":
        _metadata_folder(first, "mailroute_dyn-7.4.dist-info", "7.4")
        _metadata_folder(second, "mailroute_dyn-1.0.dist-info", "1.0")
    path = [str(tmp_path / "missing"), str(first), str(second)]
    assert version_module._dist_info_version(path) == _importlib_says(path)


@pytest.mark.parametrize("layout", ["two candidates", "egg-info file", "zip on the path"])
def test_where_the_metadata_is_not_plain_importlib_metadata_decides(tmp_path, layout):
    """Layouts whose reading `importlib.metadata` knows best: the quick read steps aside."""
    if layout == "two candidates":
        _metadata_folder(tmp_path, "mailroute_dyn-1.0.dist-info", "1.0")
        _metadata_folder(tmp_path, "mailroute_dyn-2.0.dist-info", "2.0")
    elif layout == "egg-info file":
        (tmp_path / "mailroute_dyn.egg-info").write_text("Version: 3.0\n", encoding="utf-8")
    else:
        (tmp_path / "packages.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    entry = tmp_path / "packages.zip" if layout == "zip on the path" else tmp_path
    assert version_module._dist_info_version([str(entry)]) is None


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
