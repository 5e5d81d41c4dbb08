"""The `cli` extra (rich, argcomplete) and the command line without it: completion from
the cached schema, tables and progress bars on a terminal, and the plain fallbacks."""

# ruff: noqa: F811  (fixtures shared with test_cli are imported, then requested by name)
from __future__ import annotations

import argparse
import io
import os
import sys
from typing import Any

import pytest

from mailroute_dyn.cli import complete as cli_complete
from mailroute_dyn.cli.args import build_parser
from mailroute_dyn.cli.output import progress, write_table
from tests.helpers import Terminal, fake, run

pytestmark = pytest.mark.usefixtures("isolated")


def demo_args(**more: object) -> argparse.Namespace:
    return argparse.Namespace(demo=True, **more)


def test_completers_offer_what_the_schema_allows():
    assert cli_complete.complete_resource("email_", demo_args()) == ["email_account"]
    args = demo_args(resource="email_account")
    assert cli_complete.complete_fields("id,loc", args) == ["id,localpart"]
    lookups = cli_complete.complete_filter("", args)
    assert "localpart__startswith=" in lookups and "id__in=" in lookups
    assert "id=" not in lookups and "priority=" not in lookups  # not allowed filters
    assert cli_complete.complete_order("-pri", args) == ["-priority"]
    writes = cli_complete.complete_assignment("", args)
    assert "localpart=" in writes and "created_at=" not in writes  # read-only left out


def test_completion_reads_the_disk_cache_and_sends_nothing(capsys, profile, fixtures):
    args = argparse.Namespace(
        demo=False, profile="fake", url=None, login=None, api_key=None, resource="domain"
    )
    assert cli_complete.complete_resource("", args) == []  # nothing cached yet
    assert run(capsys, "--profile", "fake", "resources", transport=fake(fixtures))[0] == 0
    assert "domain" in cli_complete.complete_resource("", args)
    assert cli_complete.complete_filter("na", args) == sorted(
        w for w in cli_complete.complete_filter("", args) if w.startswith("na")
    )
    assert "name__startswith=" in cli_complete.complete_filter("na", args)


def test_argcomplete_answers_a_tab_press(monkeypatch):
    argcomplete = pytest.importorskip("argcomplete")
    line = "mailroute-dyn --demo list email_account --filter local"
    monkeypatch.setenv("_ARGCOMPLETE", "1")
    monkeypatch.setenv("_ARGCOMPLETE_IFS", "\n")
    monkeypatch.setenv("COMP_LINE", line)
    monkeypatch.setenv("COMP_POINT", str(len(line)))
    real_fdopen = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        if fd in (8, 9):  # argcomplete's channels to the shell: not ours in a test run
            raise OSError(fd, "not a completion run")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen)
    answer = io.StringIO()
    argcomplete.autocomplete(build_parser(), output_stream=answer, exit_method=lambda _: None)
    offered = answer.getvalue().split("\n")
    assert "localpart__startswith=" in offered and "localpart=" in offered


def test_completion_command_with_and_without_argcomplete(capsys, monkeypatch):
    if cli_complete.shell_code("bash") is not None:
        code, out, _ = run(capsys, "completion", "bash")
        assert code == 0 and "mailroute-dyn" in out
    monkeypatch.setitem(sys.modules, "argcomplete", None)
    code, out, err = run(capsys, "completion", "bash")
    assert code == 1 and out == "" and "pip install 'mailroute_dyn[cli]'" in err


def test_rich_draws_tables_on_a_terminal_and_never_reads_markup():
    pytest.importorskip("rich")
    screen = Terminal()
    write_table(screen, ["id", "name"], [["1", "[bold]acme[/bold]"], ["2", "b.example"]])
    drawn = screen.getvalue()
    assert "[bold]acme[/bold]" in drawn and "b.example" in drawn and "─" in drawn


def test_plain_tables_without_rich_or_without_a_terminal(monkeypatch):
    expected = "id  name\n1   acme\n"
    piped = io.StringIO()
    write_table(piped, ["id", "name"], [["1", "acme"]])
    assert piped.getvalue() == expected
    monkeypatch.setitem(sys.modules, "rich", None)
    screen = Terminal()
    write_table(screen, ["id", "name"], [["1", "acme"]])
    assert screen.getvalue() == expected


def test_progress_with_rich_and_the_plain_bar_without(monkeypatch):
    pytest.importorskip("rich")
    screen = Terminal()
    assert list(progress(screen, "domain", 30, 10, range(30))) == list(range(30))
    assert "30/30" in screen.getvalue()
    monkeypatch.setitem(sys.modules, "rich", None)
    screen = Terminal()
    assert list(progress(screen, "domain", 30, 10, range(30))) == list(range(30))
    assert "domain [" in screen.getvalue() and "30/30" in screen.getvalue()


def test_each_command_group_registers_its_own_commands():
    """Adding a command touches one module: its group's `register`, nothing central."""
    from mailroute_dyn.cli.args import COMMAND_GROUPS, build_parser

    owners: dict[str, str] = {}
    for group in COMMAND_GROUPS:

        def add(name, run, help_text, description="", _group=group):
            assert run.__module__ == _group.__name__, name  # the group runs its own
            owners[name] = _group.__name__
            return argparse.ArgumentParser(prog=name)

        group.register(add)
    assert len(owners) == 17 and len(set(owners.values())) == 8
    for name in (
        "resources",
        "shell",
        "stubs",
        "cache",
        "graph",
        "openapi",
        "config",
        "diff",
        "completion",
    ):  # the real parser dispatches to the same owner
        assert build_parser().parse_args([name]).run.__module__ == owners[name]
