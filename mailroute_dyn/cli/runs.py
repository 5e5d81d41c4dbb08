"""The run journal on the command line: `--journal FILE`, `--resume JOURNAL`, and the
default file in the user state folder. Every bulk write is journaled; the path is
printed at the end (see `mailroute_dyn.journal`)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import JournalError, NotFound
from ..journal import default_journal_path, journal_events
from ..resources import Resource
from .context import Context, UsageError

__all__ = ["add_journal", "journaled", "planned_objects"]


def add_journal(p: argparse.ArgumentParser) -> None:
    """`--journal FILE` and `--resume JOURNAL`, for the bulk forms of a write."""
    p.add_argument("--journal", metavar="FILE",
                   help="journal a bulk write into FILE (default: a new file in the user "
                        "state folder; the path is printed at the end)")
    p.add_argument("--resume", metavar="JOURNAL",
                   help="run the same bulk write again, skipping the rows JOURNAL shows done "
                        "and looking up rows it shows started")


@contextlib.contextmanager
def journaled(ctx: Context, verb: str, cls: type[Resource]) -> Iterator[Path]:
    """The client's journal open around a bulk write; says where it is at the end,
    whatever the end."""
    resume = getattr(ctx.args, "resume", None)
    chosen = getattr(ctx.args, "journal", None)
    if resume and chosen:
        raise UsageError("give --journal or --resume, not both: --resume appends to its "
                         "journal")
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
            objects.append(_stand_in(cls, uri))   # gone: the delete looks it up
    return objects


def _stand_in(cls: type[Resource], uri: Any) -> Resource:
    stand_in: Resource = cls._from_raw({"resource_uri": uri})
    return stand_in
