"""Arguments that several command groups share, and the `add` each group's `register` gets
to create its sub-commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, Protocol

__all__ = ["AddCommand", "positive", "add_format", "add_resource", "add_writes", "add_select"]


class AddCommand(Protocol):
    """Creates one sub-command: its name, the function that runs it, a one-line help and
    a longer description; returns its parser for the command's own arguments."""

    def __call__(
        self, name: str, run: Callable[[Any], int], help_text: str, description: str = ""
    ) -> argparse.ArgumentParser: ...


def positive(text: str) -> int:
    """An argparse type for counts: a page size or limit of 0 would never end or mean
    nothing, so it is refused at parse time."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_format(p: argparse.ArgumentParser, choices: Sequence[str], default: str) -> None:
    """`--format`, worded alike on every command that prints."""
    p.add_argument(
        "--format", choices=choices, default=default, help=f"output format (default {default})"
    )


def add_resource(p: argparse.ArgumentParser) -> None:
    """The RES argument (its name is what TAB completion looks for)."""
    p.add_argument("resource", metavar="RES", help="resource name, e.g. domain")


def add_writes(p: argparse.ArgumentParser) -> None:
    """The values a write sends (`FIELD=VALUE`, `--data`) and how it shows the result,
    the same for create and update."""
    p.add_argument(
        "values",
        nargs="*",
        metavar="FIELD=VALUE",
        help="typed by the schema: priority=8, active=no, domain=5 or "
        "domain=acme.com (an id, a URI or a unique name), note=null",
    )
    p.add_argument(
        "--data",
        metavar="JSON|@FILE",
        help="inline JSON, @file or @- (stdin): one JSON object, or for create "
        "many (a JSON array, JSON Lines, CSV); FIELD=VALUE wins",
    )
    p.add_argument(
        "--data-format",
        choices=("auto", "json", "jsonl", "csv"),
        default="auto",
        help="how --data is written (default: by the file's suffix, else JSON or JSON Lines)",
    )
    add_format(p, ("table", "json", "jsonl", "csv", "yaml"), "table")
    p.add_argument("--fields", metavar="A,B", help="show only these fields")


def add_select(p: argparse.ArgumentParser, several: str | None) -> None:
    """A key, or `--filter` (one match, or every match with --all)."""
    p.add_argument(
        "key",
        nargs="?",
        metavar="ID|URI|NAME",
        help="an id, a URI, or a unique name (domain acme.com); or --filter",
    )
    p.add_argument(
        "--filter",
        action="append",
        metavar="FIELD__TERM=VALUE",
        help="select by filter instead of a key (repeatable); exactly one object "
        "must match" + (f", unless --all ({several})" if several else ""),
    )
    if several:
        p.add_argument(
            "--all", action="store_true", help=f"act on every object --filter matches ({several})"
        )
