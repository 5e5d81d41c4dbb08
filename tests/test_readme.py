"""The README and the docs pages stay true: every `mailroute-dyn --demo` command in them
runs, the Mermaid diagram is what `graph` draws today, every test they name exists, and
the README stays a short front page."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

from mailroute_dyn.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = {
    path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md"))
}


def _demo_commands(text: str) -> list[str]:
    return [
        line.split("#", 1)[0].split("|", 1)[0].strip()
        for line in text.splitlines()
        if line.startswith("mailroute-dyn --demo ")
    ]


DEMO_COMMANDS = sorted(
    {line for text in [README, *PAGES.values()] for line in _demo_commands(text)}
)


@pytest.mark.slow
@pytest.mark.parametrize("line", DEMO_COMMANDS)
def test_readme_demo_command_runs(line, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(line)[1:]
    if argv[1] == "shell":
        monkeypatch.setattr("sys.stdin", io.StringIO("print(client)\n"))
    assert main(argv) == 0, capsys.readouterr().err


def test_there_are_demo_commands_to_check():
    """The README shows a few; the command line's page shows the rest."""
    assert len(_demo_commands(README)) >= 5
    assert len(_demo_commands(PAGES["cli.md"])) >= 10


def test_readme_diagram_is_what_graph_draws(capsys):
    block = re.search(r"```mermaid\n(.*?)```", PAGES["cli.md"], re.S)
    assert block is not None, "the data model diagram left docs/cli.md"
    assert main(["--demo", "graph", "--format", "mermaid"]) == 0
    drawn = capsys.readouterr().out
    assert drawn.strip() == block.group(1).strip()


def test_the_readme_is_a_short_front_page():
    """What it is, install, the two commands, a tour and links: the rest lives in docs/."""
    lines = README.splitlines()
    assert len(lines) <= 200, len(lines)
    long = [n for n, line in enumerate(lines, 1) if len(line) > 120]
    assert not long, f"README lines over 120 characters: {long}"
    assert "python -m pip install -e '.[test]' && python -m mailroute_dyn.demo" in README
    assert "\npython -m pytest -q\n" in README


def test_every_link_of_the_readme_into_the_docs_leads_to_a_page():
    linked = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", README)
    assert len(linked) >= 10, linked
    missing = [path for path in linked if not (ROOT / path).is_file()]
    assert not missing, missing


def test_every_test_the_docs_name_exists():
    """The Safety page proves each rule by naming tests (`tests/test_x.py::test_y`): a
    renamed or misspelt test would leave a rule unproven while the docs still claim it.
    The README, the CHANGELOG and every page of docs/ are read."""
    texts = [README, (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), *PAGES.values()]
    docs = "\n".join(texts)
    named = set(re.findall(r"(?:tests/)?(test_\w+\.py)::(test_\w+)", docs))
    assert len(named) > 50, "the docs name no tests: has the Safety page moved?"
    files = set(re.findall(r"tests/(test_\w+\.py)\b", docs))
    sources = {}
    missing = []
    for module in sorted(files | {module for module, _ in named}):
        path = ROOT / "tests" / module
        if path.is_file():
            sources[module] = path.read_text(encoding="utf-8")
        else:
            missing.append(f"{module} (no such file)")
    for module, name in sorted(named):
        if module in sources and not re.search(
            rf"^\s*(?:async )?def {name}\(", sources[module], re.M
        ):
            missing.append(f"{module}::{name}")
    assert not missing, f"the docs name tests that do not exist: {missing}"


def test_every_safety_rule_names_a_test():
    """A guarantee on the Safety page without a test proving it is only a claim."""
    page = PAGES["safety.md"]
    rules = re.split(r"(?m)^### ", page.split("\n## The guarantees\n", 1)[1])[1:]
    assert len(rules) >= 30, len(rules)
    unproven = [rule.splitlines()[0] for rule in rules if "`tests/test_" not in rule]
    assert not unproven, unproven
