"""The writing commands: `create`, `update` and `delete`, for one object or many.

Values are typed by the schema and natural keys looked up before anything is sent (see
the `values` and `keys` modules); the library then validates each write against the resource's
JSON Schema, as it does for any caller. Many objects go through the library's bulk
operations (`bulk_create`, `bulk_update`, `bulk_delete`, journaled: see `runs`), and a bulk command
prints every row as it finishes (see `rows`) and exits 1 when any failed, 130 when
interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ..errors import APIError, CommandFailed, CommandUsageError, Interrupted, NotFound, suggest
from ..escaping import terminal_text
from ..model.querysets import QuerySet
from ..model.rerun import has_nothing_to_send
from ..model.resources import Resource
from ..query.habits import BulkResult
from .context import Context
from .keys import Related, describe_filters, select_one, selection
from .options import AddCommand, add_format, add_resource, add_select, add_writes
from .output import RECORD_FORMATS, write_record
from .plan import plan_create, plan_delete, plan_update
from .precheck import checked_rows
from .read import show
from .rows import RowPrinter
from .runs import add_journal, journaled, planned_objects

__all__ = ["register", "cmd_create", "cmd_update", "cmd_delete"]


def _explained(exc: APIError, related: Related) -> CommandFailed:
    """A write the server refused while related values were given by key: say which
    values, so a 404 names the input that caused it."""
    given = related.given
    if not given or exc.status_code not in (400, 404):
        raise exc
    listed = ", ".join(f"{where}={text} ({uri})" for where, text, uri in given)
    return CommandFailed(f"{exc} (related values given: {listed})")


def _run_rows(
    ctx: Context,
    verb: str,
    cls: type[Resource],
    objects: list[Resource],
    write: Callable[..., BulkResult],
) -> int:
    """A bulk write with each row printed as it finishes; on Ctrl-C (or SIGTERM) the
    writes in flight finish, then the summary says what was done and not started."""
    printer = RowPrinter(ctx, verb, cls, objects)
    with journaled(ctx, verb_of(verb), cls):
        try:
            result = write(objects, on_row=printer)
        except Interrupted as stop:
            if stop.result is not None:
                printer.skipped(stop.result.skipped)
            return printer.interrupted(stop)
        printer.skipped(result.skipped)
        return printer.finish()


def verb_of(done: str) -> str:
    """ "created" -> "create": the journal's name for a run."""
    return {"created": "create", "updated": "update", "deleted": "delete"}[done]


def cmd_create(ctx: Context) -> int:
    """POST a new object (printed as the server answered), or many from `--data` (an
    array, JSON Lines or CSV) through `bulk_create`, reported row by row."""
    cls = ctx.resource(ctx.args.resource)
    related = Related(ctx, cls)
    rows, several = checked_rows(ctx, cls, related, creating=True)
    key, on_conflict = _keyed(ctx, cls)
    if ctx.args.dry_run:
        return plan_create(ctx, cls, rows, key, on_conflict)
    if key:

        def write(objects: list[Resource], on_row: Any) -> BulkResult:
            return cls.bulk_create(
                objects, on_row=on_row, key=key, on_conflict=on_conflict or "skip"
            )

        return _run_rows(ctx, "created", cls, [cls(**row) for row in rows], write)
    if not several:
        try:
            obj = cls.create(**rows[0])
        except APIError as exc:
            raise _explained(exc, related) from None
        show(ctx, obj)
        return 0
    return _run_rows(ctx, "created", cls, [cls(**row) for row in rows], cls.bulk_create)


def _keyed(ctx: Context, cls: type[Resource]) -> tuple[tuple[str, ...], str | None]:
    """`--key` and what to do with a row it finds: `--skip-existing` or `--upsert`."""
    a = ctx.args
    if a.skip_existing and a.upsert:
        raise CommandUsageError("--skip-existing or --upsert, not both")
    key = tuple(n.strip() for n in (a.key or "").split(",") if n.strip())
    if (a.skip_existing or a.upsert) and not key:
        raise CommandUsageError(
            "--skip-existing and --upsert need --key FIELD[,FIELD]: the fields "
            "that find a row's object (e.g. --key localpart,domain)"
        )
    if key and not (a.skip_existing or a.upsert):
        raise CommandUsageError("--key goes with --skip-existing or --upsert")
    unknown = [n for n in key if n not in cls.fields]
    if unknown:
        raise CommandUsageError(
            f"--key: {cls.resource_name} has no field {unknown[0]!r}."
            f"{suggest(unknown[0], cls.fields)}"
        )
    return key, ("update" if a.upsert else "skip") if key else None


def cmd_update(ctx: Context) -> int:
    """Change some fields of one object (PATCH where allowed, else a no-wipe PUT), or of
    every object `--filter … --all` matches (`bulk_update`, reported row by row)."""
    cls = ctx.resource(ctx.args.resource)
    related = Related(ctx, cls)
    if ctx.args.all:
        _refuse_unasked(ctx, "update every match")
    rows, several = checked_rows(ctx, cls, related, creating=False)
    if several:
        raise CommandUsageError("update takes one set of values: --data must hold one JSON object")
    values = rows[0]
    key, qs = selection(ctx, cls)
    if qs is None or not ctx.args.all:
        obj = select_one(ctx, cls)
        if ctx.args.dry_run:
            return plan_update(ctx, cls, [obj], values)
        for name, value in values.items():
            setattr(obj, name, value)
        if has_nothing_to_send(obj):
            show(ctx, obj)
            ctx.note("unchanged: the object already holds these values; nothing sent")
            return 0
        try:
            obj.save()
        except APIError as exc:
            raise _explained(exc, related) from None
        show(ctx, obj)
        return 0
    objs = planned_objects(ctx, "update", cls)
    if objs is None:
        objs = list(qs)
    filters = describe_filters(ctx.args.filter)
    if not objs:
        raise CommandFailed(f"no {cls.resource_name} matches {filters}")
    if ctx.args.dry_run:
        return plan_update(ctx, cls, objs, values)
    if not ctx.args.yes and not _confirm(
        ctx, f"Update {len(objs)} {cls.resource_name} objects matching {filters}?"
    ):
        ctx.note("not updated")
        return 1
    for obj in objs:
        for name, value in values.items():
            setattr(obj, name, value)
    return _run_rows(ctx, "updated", cls, objs, cls.bulk_update)


def _refuse_unasked(ctx: Context, what: str) -> None:
    """A question nobody can answer is a refusal: without a terminal, --yes is needed
    (a dry run asks nothing)."""
    if not ctx.args.yes and not ctx.args.dry_run and not sys.stdin.isatty():
        raise CommandUsageError(
            f"refusing to {what} without confirmation: stdin is not a "
            f"terminal; pass --yes to {what} anyway (or --dry-run to see the "
            "plan)"
        )


def _confirm(ctx: Context, question: str) -> bool:
    ctx.err.write(f"{terminal_text(question)} [y/N] ")
    ctx.err.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def cmd_delete(ctx: Context) -> int:
    """DELETE one object (by key, or the one `--filter` matches), after a y/N question
    unless --yes; with `--filter … --all`, every match read, then those objects deleted."""
    _refuse_unasked(ctx, "delete")
    if ctx.args.everything and not ctx.args.all:
        raise CommandUsageError(
            "--everything goes with --filter … --all: it allows a delete "
            "whose filter matches every object of the resource"
        )
    cls = ctx.resource(ctx.args.resource)
    key, qs = selection(ctx, cls)
    try:
        if qs is not None and ctx.args.all:
            return _delete_matches(ctx, cls, qs)
        obj = select_one(ctx, cls)
    except (NotFound, CommandFailed) as exc:
        if (
            not ctx.args.ignore_not_found
            or isinstance(exc, CommandFailed)
            and "matches" not in str(exc)
        ):
            raise
        ctx.note(f"nothing to delete ({exc})")
        return 0
    if ctx.args.dry_run:
        return plan_delete(ctx, cls, [obj])
    label = obj.resource_uri or f"{cls.resource_name} {key}"
    if not ctx.args.yes and not _confirm(ctx, f"Delete {label} ({obj!r})?"):
        ctx.note("not deleted")
        return 1
    obj.delete()
    if ctx.args.format == "table":
        print(terminal_text(f"deleted {label}"), file=ctx.out)
    else:  # the record a bulk delete prints for each row
        record = {
            "row": 1,
            "ok": True,
            "result": "deleted",
            "key": obj.pk,
            "resource_uri": obj.resource_uri,
        }
        write_record(ctx.out, record, ctx.args.format, list(record))
    return 0


def _delete_matches(ctx: Context, cls: type[Resource], qs: QuerySet[Resource]) -> int:
    """`delete --filter … --all`: every match is read, then exactly those objects are
    deleted (`bulk_delete`, journaled), never rows that appear after the read. A filter
    matching every object (by its form, like `name__startswith=`, or by the counts, like
    `name__gte=`) is refused before any question unless --everything. `--resume` deletes
    what the first run read and has not deleted yet."""
    filters = describe_filters(ctx.args.filter)
    objs = planned_objects(ctx, "delete", cls)
    if objs is None:
        objs = list(qs)
        if not objs:
            raise CommandFailed(f"no {cls.resource_name} matches {filters}")
        _refuse_everything(ctx, cls, qs, filters, len(objs))
    if ctx.args.dry_run:
        return plan_delete(ctx, cls, objs)
    whole = ctx.args.everything
    what = f"every {cls.resource_name}" + ("" if whole else f" matching {filters}")
    if not ctx.args.yes and not _confirm(ctx, f"Delete {what} ({len(objs)} now)?"):
        ctx.note("not deleted")
        return 1

    def write(objects: list[Resource], on_row: Any) -> BulkResult:
        return cls.bulk_delete(objects, on_row=on_row, missing_ok=ctx.args.ignore_not_found)

    return _run_rows(ctx, "deleted", cls, objs, write)


def _refuse_everything(
    ctx: Context, cls: type[Resource], qs: QuerySet[Resource], filters: str, count: int
) -> None:
    """The list DELETE's guards, kept for the delete of what the filter read: a filter
    that matches every row by construction is refused even with --everything, one that
    matches every row by the counts unless --everything."""
    if count >= cls.all().count() and not ctx.args.everything:
        raise CommandUsageError(
            f"{filters} matches every {cls.resource_name} ({count}): refusing "
            "a delete that would empty the resource; add --everything if that "
            "is what you mean"
        )
    checked = qs._q.filters  # the QuerySet's checked filters
    if checked and all(c.matches_all for c in checked):
        why = "; ".join(f"{c.param}: {c.matches_all}" for c in checked)
        raise CommandUsageError(
            f"refusing a delete whose filters match every row by construction "
            f"({why}); nothing was sent"
        )


def register(add: AddCommand) -> None:
    """The sub-parsers of create, update and delete."""
    p = add(
        "create",
        cmd_create,
        "create an object, or many from a file",
        "Create an object. Values are typed by the schema; a related object may be\n"
        "named by id, URI or a unique name. --data with a JSON array, JSON Lines or\n"
        "CSV creates many (bulk), prints one line per row and exits 1 if any failed.\n\n"
        "  mailroute-dyn create email_account localpart=office domain=acme-002.com "
        "priority=8\n"
        "  mailroute-dyn create email_account domain=5 --data "
        '\'[{"localpart": "a"}, {"localpart": "b"}]\'\n'
        "  mailroute-dyn create email_account --data @accounts.csv   "
        "# or .jsonl, .json; @- is stdin",
    )
    add_resource(p)
    add_writes(p)
    add_journal(p)
    p.add_argument(
        "--key",
        metavar="FIELD[,FIELD]",
        help="the fields that find a row's object when it exists already",
    )
    p.add_argument(
        "--skip-existing",
        action="store_true",
        help="with --key: a row whose object exists is left alone (exists)",
    )
    p.add_argument(
        "--upsert",
        action="store_true",
        help="with --key: a row whose object exists updates it (updated, or "
        "unchanged when it already holds the values)",
    )

    p = add(
        "update",
        cmd_update,
        "change fields of an object, or of every filter match",
        "Change some fields; the others are never touched.\n\n"
        "  mailroute-dyn update email_account 12 priority=9 create_opt=yes\n"
        "  mailroute-dyn update domain acme-003.com hold_email=yes\n"
        "  mailroute-dyn update email_account --filter domain=acme-002.com --all "
        "priority=3 --dry-run\n"
        "  mailroute-dyn update email_account --filter domain=acme-002.com --all "
        "priority=3 --yes",
    )
    add_resource(p)
    add_select(p, "bulk_update, one line per object; asks first with the count")
    add_writes(p)
    add_journal(p)
    p.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="with --all: do not ask (needed when stdin is not a terminal)",
    )

    p = add(
        "delete",
        cmd_delete,
        "delete an object, or every filter match (asks first)",
        "Delete one object, or with --filter ... --all every match: the matches are\n"
        "read, then exactly those objects deleted (journaled). Asks first unless\n"
        "--yes. A filter that matches every object of the resource is refused unless\n"
        "--everything.\n\n"
        "  mailroute-dyn delete wblist 1 --yes\n"
        "  mailroute-dyn delete wblist --filter wb=w --all --yes\n"
        "  mailroute-dyn delete contact_domain --filter email__gte= --all --everything "
        "--yes",
    )
    add_resource(p)
    add_select(p, "each object read, deleted and journaled")
    add_format(p, RECORD_FORMATS, "table")
    add_journal(p)
    p.add_argument(
        "--ignore-not-found",
        action="store_true",
        help="an object already gone is not an error (reported gone)",
    )
    p.add_argument(
        "--everything",
        action="store_true",
        help="with --filter … --all: allow a filter that matches every object "
        "of the resource (the delete then empties it)",
    )
    p.add_argument(
        "--yes", "-y", action="store_true", help="do not ask (needed when stdin is not a terminal)"
    )
