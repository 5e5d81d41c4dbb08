"""The bulk verbs as operations: `bulk_create()`, `bulk_update()`, `bulk_delete()` and a
QuerySet's `update()`. Each checks its rows first (a refused row is reported and never
sent), then picks the way they go out (bulk.py): a lookup per row for keyed creates, one
PATCH list where the schema allows it, else one request per object; a sync call goes
through the client's open journal when there is one.

The functions take the resource class (`cls`) and its objects, and send nothing
themselves, so both clients run them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import GuardError, MailRouteError, MethodNotAllowed, ValidationError
from ..operations import Operation
from ..query.habits import BulkResult
from ..schema.rules import check_method
from .bulk import Announce, RowHook, each_op, patch_list_allowed, patch_list_op, tell
from .rerun import check_key, has_nothing_to_send, keyed_create_op, missing_ok_op

__all__ = [
    "bulk_create_op",
    "bulk_update_op",
    "bulk_delete_op",
    "update_objects_op",
    "queryset_update_op",
    "finished",
    "journaled_bulk",
    "as_objects",
]


def finished(value: Any) -> Operation[Any]:
    """An operation that sends nothing: so async callers can still await the result."""
    return value
    yield  # pragma: no cover  (makes this a generator)


def checked_items(
    cls: Any,
    items: Iterable[Any],
    result: BulkResult,
    check: Callable[[Any], None],
    on_row: RowHook | None = None,
) -> list[Any]:
    kept = []
    for item in items:
        try:
            if isinstance(item, cls):
                obj = item
            elif isinstance(item, Mapping):
                unknown = sorted(set(item) - set(cls.fields))
                if unknown:  # raises, naming them
                    cls._validate(
                        cls._encoded_values(item),
                        creating=True,
                        explicit_readonly=item,
                        check_required=False,
                    )
                obj = cls(**item)
            else:
                raise ValidationError(
                    f"{cls.resource_name}: not an object or a mapping: {item!r:.60}", {}
                )
            check(obj)
        except (ValidationError, GuardError, MethodNotAllowed) as exc:
            result.failed.append((item, exc))
            tell(on_row, item, exc)
            continue
        kept.append(obj)
    return kept


def queryset_update_op(qs: Any, fields: Mapping[str, Any]) -> Operation[BulkResult]:
    """A QuerySet's `update(**fields)`: its matches read whole (once everything that can
    be checked is checked, now), then updated as `update_objects_op` does."""
    matches = qs._update_matches(fields)
    return _update_read_op(qs._model, matches, fields)


def _update_read_op(
    cls: Any, matches: Operation[list[Any]], fields: Mapping[str, Any]
) -> Operation[BulkResult]:
    objects = yield from matches
    return (yield from update_objects_op(cls, objects, fields))


def update_objects_op(
    cls: Any, objects: list[Any], fields: Mapping[str, Any]
) -> Operation[BulkResult]:
    """Set `fields` on `objects` and save them as `bulk_update()` does: each with its own
    detail write, never one PATCH list (which re-creates an object deleted meanwhile)."""
    result = BulkResult()
    kept = []
    for obj in objects:  # a save without a URI or key would create, never update
        if obj.resource_uri is None and obj.pk is None:
            result.failed.append(
                (
                    obj,
                    GuardError(f"This {cls.resource_name} came without a URI or key: not updated."),
                )
            )
        else:
            kept.append(obj)
    objects = kept
    if not objects:
        return result
    for obj in objects:
        for name, value in fields.items():
            obj._set(name, value)
    return (yield from each_op(objects, lambda o: o._save_op({}, False), result, kind="updated"))


def bulk_create_op(
    cls: Any,
    items: Iterable[Mapping[str, Any] | Any],
    check_required: bool,
    dedupe_on: Iterable[str],
    extra: Mapping[str, Any] | None,
    on_row: RowHook | None = None,
    announce: Announce | None = None,
    key: Iterable[str] = (),
    on_conflict: str = "skip",
) -> Operation[BulkResult]:
    result = BulkResult()
    inputs = dict(extra or {})
    dedupe = tuple(dedupe_on)

    def check(obj: Any) -> None:
        check_method(cls._schema, "post", detail=False)
        body = {k: v for k, v in obj._encoded_changes().items()}
        cls._validate(
            body, creating=True, explicit_readonly=obj._changes, check_required=check_required
        )
        missing = [name for name in dedupe if name not in body]
        if missing:
            raise ValidationError(
                f"{cls.resource_name}: dedupe_on names {missing}, which this object does not set",
                {cls.resource_name: {name: ["Needed by dedupe_on."] for name in missing}},
            )
        if keyed:
            check_key(cls, keyed, on_conflict, body)

    keyed = tuple(key)
    objs = checked_items(cls, items, result, check, on_row)
    if not objs:
        return finished(result)
    if keyed:  # a lookup per row: never one PATCH list
        return each_op(
            objs,
            lambda o: keyed_create_op(cls, o, keyed, on_conflict, inputs, check_required),
            result,
            on_row,
            announce,
        )
    if patch_list_allowed(cls):
        return _patch_list_create_op(cls, objs, result, inputs, on_row, announce)
    return each_op(
        objs, lambda o: o._create_op(inputs, dedupe, check_required), result, on_row, announce
    )


def _patch_list_create_op(
    cls: Any,
    objs: list[Any],
    result: BulkResult,
    inputs: dict[str, Any],
    on_row: RowHook | None,
    announce: Announce | None,
) -> Operation[BulkResult]:
    """One PATCH list of new objects, once the related objects given by name are found
    (each object's `_create_op` does that for the single POSTs)."""
    for obj in objs:
        yield from obj._resolve_names_op()
    bodies = [obj._encoded_changes() for obj in objs]
    return (yield from patch_list_op(cls, objs, bodies, [], result, inputs, on_row, announce))


def bulk_update_op(
    cls: Any, items: Iterable[Any], on_row: RowHook | None = None, announce: Announce | None = None
) -> Operation[BulkResult]:
    result = BulkResult()

    def check(obj: Any) -> None:
        if obj.resource_uri is None:
            raise GuardError("bulk_update() takes saved objects; use bulk_create().")
        cls._validate(obj._encoded_changes(), creating=False)

    objs = checked_items(cls, items, result, check, on_row)
    for obj in [o for o in objs if has_nothing_to_send(o)]:  # already so: nothing sent
        objs.remove(obj)
        obj._changes.clear()
        result.add(obj, "unchanged")
        tell(on_row, obj, None, "unchanged")
    if not objs:
        return finished(result)
    return each_op(objs, lambda o: o._save_op({}, False), result, on_row, announce, "updated")


def bulk_delete_op(
    cls: Any,
    items: Iterable[Any],
    on_row: RowHook | None = None,
    announce: Announce | None = None,
    missing_ok: bool = False,
) -> Operation[BulkResult]:
    """`bulk_delete()`: objects only (the caller turns keys into objects). With
    `missing_ok` an object already gone is reported `gone` (one DELETE each then: a
    PATCH list would fail whole)."""
    result = BulkResult()

    def check(obj: Any) -> None:
        check_method(cls._schema, "delete", detail=True)

    objs = checked_items(cls, items, result, check, on_row)
    if not objs:
        return finished(result)
    if patch_list_allowed(cls, deleting=True) and not missing_ok:
        uris = [obj._detail() for obj in objs]
        return patch_list_op(cls, objs, [], uris, result, None, on_row, announce)
    if missing_ok:
        return each_op(
            objs, lambda o: missing_ok_op(o._delete_op()), result, on_row, announce, "deleted"
        )
    return each_op(objs, lambda o: o._delete_op(), result, on_row, announce, "deleted")


def journaled_bulk(
    cls: Any, verb: str, items: list[Any], send: Any, on_row: RowHook | None
) -> BulkResult:
    """A sync bulk call, through the client's open journal when there is one
    (`client.journal()`), else sent as it is."""
    journal = cls._session.journal
    if journal is None:
        result: BulkResult = send(items, None, on_row)
        return result
    if verb == "create":
        items = as_objects(cls, items)
    journaled: BulkResult = journal.bulk(cls, verb, items, send, on_row)
    return journaled


def as_objects(cls: Any, items: Iterable[Any]) -> list[Any]:
    """Rows as objects where they can be made (a journal follows each object); a row
    that cannot be is kept as given and refused, reported, by the bulk call."""
    out = []
    for item in items:
        if isinstance(item, Mapping) and not set(item) - set(cls.fields):
            try:
                item = cls(**item)
            except MailRouteError:
                pass
        out.append(item)
    return out
