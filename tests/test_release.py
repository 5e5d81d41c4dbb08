"""The version is written once, in pyproject.toml: the package, the command line and the
User-Agent of every request read it from the installed distribution's metadata."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import mailroute_dyn
from mailroute_dyn import version as version_module
from mailroute_dyn.cli import main
from tests.conftest import BASE

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(mailroute_dyn.__file__).resolve().parent


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
    pattern = re.compile(rf"__version__\s*=|[\"'/]({declared}|{short})[\"' ]")
    copies = [f"{path.relative_to(PACKAGE)}:{n}"
              for path in sorted(PACKAGE.rglob("*.py"))
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if pattern.search(line)]
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
        f"mailroute-dyn {importlib.metadata.version('mailroute-dyn')}\n")


def test_a_checkout_nobody_installed_reports_an_unknown_version(monkeypatch):
    """Imported from a source tree without an install, the package still imports and says
    plainly that its version is unknown."""
    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)
    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert version_module.package_version.__wrapped__() == "0+unknown"
