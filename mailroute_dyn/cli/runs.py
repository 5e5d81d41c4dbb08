"""The run journal on the command line: `--journal FILE`, `--resume JOURNAL`, and the
default file in the user state folder. Every bulk write is journaled; the path is
printed at the end (see `mailroute_dyn.runs.journal`)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import CommandUsageError, JournalError, NotFound
from ..escaping import terminal_text
from ..model.resources import Resource
from ..runs.journal import default_journal_path, journal_events
from .context import Context
from .options import AddCommand, add_format
from .output import RECORD_FORMATS, write_objects

__all__ = ["add_journal", "journaled", "planned_objects", "register", "cmd_undo"]


def add_journal(p: argparse.ArgumentParser) -> None:
    """`--dry-run`, and `--journal FILE` and `--resume JOURNAL` for the bulk forms of a
    write."""
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be sent (reads only, no write) and a summary",
    )
    p.add_argument(
        "--journal",
        metavar="FILE",
        help="journal a bulk write into FILE (default: a new file in the user "
        "state folder; the path is printed at the end)",
    )
    p.add_argument(
        "--resume",
        metavar="JOURNAL",
        help="run the same bulk write again, skipping the rows JOURNAL shows done "
        "and looking up rows it shows started",
    )


@contextlib.contextmanager
def journaled(ctx: Context, verb: str, cls: type[Resource]) -> Iterator[Path]:
    """The client's journal open around a bulk write; says where it is at the end,
    whatever the end."""
    resume = getattr(ctx.args, "resume", None)
    chosen = getattr(ctx.args, "journal", None)
    if resume and chosen:
        raise CommandUsageError(
            "give --journal or --resume, not both: --resume appends to its journal"
        )
    path = Path(resume or chosen or default_journal_path(verb, cls.resource_name))
    with ctx.client.journal(path, resume=bool(resume)):
        try:
            yield path
        finally:
            ctx.note(f"journal: {path}")


def planned_objects(ctx: Context, verb: str, cls: type[Resource]) -> list[Resource] | None:
    """For `--resume` of an update or delete: the objects the first run read (its plan),
    never a new read of the filter, so rows that appeared since are left alone. Rows
    done are stand-ins (they are skipped); the others are read again."""
    resume = getattr(ctx.args, "resume", None)
    if not resume:
        return None
    events = list(journal_events(resume))
    head = next((e for e in events if e.get("event") == "job" and e.get("job") == 1), None)
    if head is None or head.get("verb") != verb or head.get("resource") != cls.resource_name:
        raise JournalError(f"{resume} is not the journal of a {verb} of {cls.resource_name}")
    done = {e.get("row") for e in events if e.get("event") == "done" and e.get("ok")}
    objects: list[Resource] = []
    for uri in head.get("plan") or []:
        if uri in done:
            objects.append(_stand_in(cls, uri))
            continue
        try:
            objects.append(ctx.client.get(uri))
        except NotFound:
            if verb != "delete":
                raise
            objects.append(_stand_in(cls, uri))  # gone: the delete looks it up
    return objects


def _stand_in(cls: type[Resource], uri: Any) -> Resource:
    stand_in: Resource = cls._from_raw({"resource_uri": uri})
    return stand_in


def cmd_undo(ctx: Context) -> int:
    """Take a journaled run back; `--dry-run` prints the plan and sends no write. Exit 1
    when a row could not be undone (changed since the run, or an error)."""
    from ..runs.undo import plan_line

    if not ctx.args.dry_run and not ctx.args.yes:
        if not sys.stdin.isatty():
            raise CommandUsageError(
                "refusing to undo without confirmation: stdin is not a "
                "terminal; pass --yes, or --dry-run to see the plan"
            )
        ctx.err.write(f"Undo the run journaled in {ctx.args.journal_file}? [y/N] ")
        ctx.err.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            ctx.note("not undone")
            return 1
    steps, undo_journal = ctx.client.undo(
        ctx.args.journal_file, dry_run=ctx.args.dry_run, journal_to=ctx.args.journal
    )
    if ctx.args.format != "table":
        records = [
            {
                "job": step.job,
                "row": step.row,
                "method": step.method,
                "uri": step.uri,
                "result": step.result,
                "detail": step.detail,
                "changes": {k: list(v) for k, v in step.changes.items()},
            }
            for step in steps
        ]
        write_objects(
            ctx.out,
            records,
            ctx.args.format,
            list(records[0]) if records else ["job", "row", "method", "uri", "result", "detail"],
        )
    for step in steps if ctx.args.format == "table" else ():
        tail = f"  ({step.result}{': ' + step.detail if step.detail else ''})"
        print(terminal_text(plan_line(step) + tail), file=ctx.out)
    bad = [s for s in steps if s.result in ("skipped", "failed")]
    done = len(steps) - len(bad)
    ctx.note(
        ("would undo" if ctx.args.dry_run else "undid")
        + f" {done} rows"
        + (f", {len(bad)} not undone (see above)" if bad else "")
    )
    if undo_journal is not None:
        ctx.note(f"journal: {undo_journal}")
    return 1 if bad else 0


def register(add: AddCommand) -> None:
    """The `undo` sub-command."""
    p = add(
        "undo",
        cmd_undo,
        "take a journaled bulk run back",
        "Undo a run from its journal: created objects are deleted, updated fields put\n"
        "back, deleted objects created again (same key where the server allows a PUT).\n"
        "A row changed since the run is left alone and reported. The undo is journaled\n"
        "too. Asks first unless --yes.\n\n"
        "  mailroute-dyn undo run.jsonl --dry-run\n"
        "  mailroute-dyn undo run.jsonl --yes",
    )
    p.add_argument("journal_file", metavar="JOURNAL", help="the run's journal file")
    p.add_argument("--dry-run", action="store_true", help="print the plan (reads only, no write)")
    p.add_argument(
        "--journal",
        metavar="FILE",
        help="the undo's own journal (default: JOURNAL with .undo.jsonl)",
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask")
    add_format(p, RECORD_FORMATS, "table")
