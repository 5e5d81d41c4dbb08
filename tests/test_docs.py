"""The docs site builds without a warning and names every public name of the package, so
a renamed class, a new command or a broken link cannot slip out of the documentation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import mailroute_dyn
import mailroute_dyn.errors
import mailroute_dyn.testing
from mailroute_dyn.cli.args import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDE = "\n".join(
    path.read_text(encoding="utf-8") for path in sorted(DOCS.glob("*.md")) if path.name != "api.md"
)
API_PAGE = (DOCS / "api.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_site_builds_without_a_warning(tmp_path):
    """`mkdocs build --strict` fails on a broken link or anchor, a page missing from the
    navigation, or an API reference entry that no longer resolves."""
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = built.stdout + built.stderr
    assert built.returncode == 0, output
    assert "WARNING" not in output, output
    assert (tmp_path / "site" / "api" / "index.html").is_file()


def _named_in_the_guide(name: str) -> bool:
    return re.search(rf"`{re.escape(name)}[`(.\[ ]", GUIDE) is not None


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


@pytest.mark.parametrize(
    "name", sorted(set(mailroute_dyn.__all__) | set(mailroute_dyn.testing.__all__))
)
def test_every_public_name_is_documented(name):
    assert _named_in_the_guide(name), f"{name} is public but no docs page names it"


def test_every_exception_class_is_on_the_errors_page():
    page = (DOCS / "errors.md").read_text(encoding="utf-8")
    classes = [
        name
        for name in mailroute_dyn.errors.__all__
        if isinstance(getattr(mailroute_dyn.errors, name), type)
    ]
    assert len(classes) > 20
    missing = [name for name in classes if f"`{name}`" not in page]
    assert not missing, missing


def test_every_command_has_a_row_on_the_command_line_page():
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = _commands()
    assert {"list", "create", "undo", "completion"} <= set(commands)
    missing = [c for c in commands if not re.search(rf"^\| `{c}[ `]", page, re.M)]
    assert not missing, missing


def test_every_public_class_has_an_api_reference_entry():
    """The reference renders what `mailroute_dyn` exports; the exceptions come whole
    with `mailroute_dyn.errors`."""
    errors = set(mailroute_dyn.errors.__all__)
    wanted = [f"mailroute_dyn.{name}" for name in mailroute_dyn.__all__ if name not in errors]
    missing = [name for name in wanted if f"::: {name}\n" not in API_PAGE]
    assert not missing, missing
    assert "::: mailroute_dyn.errors\n" in API_PAGE


def _run_document() -> dict[str, object]:
    """The shape `python -m benchmarks` writes to results/latest.json, with one target."""
    meta = {
        "when": "2026-01-02T03:04:05+00:00",
        "mode": "quick",
        "elapsed_s": 120.0,
        "cpus": 2,
        "load_average": (0.5, 0.25, 0.125),
        "python": "3.11.7",
        "httpx": "0.28.1",
        "argv": ["--quick", "--write-docs"],
    }
    target = {
        "name": "1. detail GET ratio vs httpx (in-process)",
        "measured": 0.875,
        "unit": "x",
        "limit": 1.05,
        "higher_is_better": False,
        "passed": True,
        "margin": "",
        "detail": "",
    }
    return {"meta": meta, "results": {}, "targets": [target]}


def test_the_benchmark_writes_its_figures_into_the_performance_page(tmp_path):
    """`--write-docs` rewrites only the marked block of docs/performance.md, with the
    command and the time of the run; the page's own text stays as written."""
    from benchmarks import docs as writer

    assert writer.PAGE == DOCS / "performance.md"
    page = tmp_path / "performance.md"
    original = writer.PAGE.read_text(encoding="utf-8")
    page.write_text(original, encoding="utf-8")
    writer.write_page(_run_document(), page)
    written = page.read_text(encoding="utf-8")
    before, rest = original.split(writer.BEGIN, 1)
    after = rest.split(writer.END, 1)[1]
    assert written.startswith(before) and written.endswith(after)
    block = written[len(before) : len(written) - len(after)]
    assert "Run of 2026-01-02T03:04:05+00:00 (quick sizes, 2 min)" in block
    assert "```sh\npython -m benchmarks --quick --write-docs\n```" in block
    assert "| 1. detail GET ratio vs httpx (in-process) | 0.88 x | ≤ 1.05 x | pass |" in block


def test_the_published_figures_are_a_block_the_benchmark_wrote():
    """One marked block on the performance page, none left in the README."""
    from benchmarks import docs as writer

    page = (DOCS / "performance.md").read_text(encoding="utf-8")
    assert page.count(writer.BEGIN) == 1 and page.count(writer.END) == 1
    block = page.split(writer.BEGIN, 1)[1].split(writer.END, 1)[0]
    assert re.search(r"^Run of \d{4}-\d\d-\d\dT[\d:]+\+00:00 \(", block, re.M)
    assert "```sh\npython -m benchmarks " in block
    assert writer.BEGIN not in (ROOT / "README.md").read_text(encoding="utf-8")
