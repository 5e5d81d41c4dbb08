"""Bulk writes: many objects in one PATCH list where the schema allows it, otherwise one
request each, concurrently; what each object came to is reported in a `BulkResult`.

The functions take the resource class (`cls`) and its objects; they build operations
(see transport/sessions.py) and send nothing themselves, so both clients run them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import (
    BadRequest,
    GuardError,
    Interrupted,
    MailRouteError,
    MethodNotAllowed,
    ValidationError,
)
from ..operations import NOT_STARTED, Answer, Call, Operation, Parallel, error_message
from ..query.habits import BulkResult
from ..query.paging import collection_name
from ..schema.conversions import encode_write_value
from ..schema.rules import check_method
from .rerun import Became, check_key, has_nothing_to_send, keyed_create_op, missing_ok_op

__all__ = [
    "bulk_create_op",
    "bulk_update_op",
    "bulk_delete_op",
    "update_objects_op",
    "patch_list_allowed",
    "finished",
    "RowHook",
    "Announce",
    "announced",
    "journaled_bulk",
    "as_objects",
]

#: Told of each row as it finishes: the object (or the input refused before sending), its
#: error (None when it did not fail) and what became of it (one of `ROW_KINDS`, or
#: "failed"). Lets a caller print rows as they come.
RowHook = Callable[[Any, MailRouteError | None, str], None]

#: Told of a row just before its first write is sent (a journal records it then).
Announce = Callable[[Any], None]


def announced(op: Operation[Any], announce: Callable[[], None]) -> Operation[Any]:
    """`op`, with `announce()` called once, just before its first write goes out."""
    told_once = False
    try:
        step = next(op)
        while True:
            if not told_once and _is_write(step):
                announce()
                told_once = True
            try:
                reply = yield step
            except (MailRouteError, Interrupted) as exc:
                step = op.throw(exc)
            else:
                step = op.send(reply)
    except StopIteration as stop:
        return stop.value


def _is_write(step: Any) -> bool:
    return not isinstance(step, Call) or step.method not in ("GET", "HEAD", "OPTIONS")


_MISSING_COLLECTION = r"missing '(\w+)'"  # compiled by `re` on first use


def _missing_collection(exc: BadRequest) -> str | None:
    """The list key a Tastypie 400 asks for: `Invalid data sent: missing 'items'`."""
    said = error_message(exc.body)[0]
    match = re.search(_MISSING_COLLECTION, said or "")
    return match.group(1) if match else None


def finished(value: Any) -> Operation[Any]:
    """An operation that sends nothing: so async callers can still await the result."""
    return value
    yield  # pragma: no cover  (makes this a generator)


def patch_list_allowed(cls: Any, *, deleting: bool = False) -> bool:
    """Tastypie's PATCH list needs `patch` on the list and `put` (or `delete` for
    deleted_objects) on the detail endpoint."""
    detail = "delete" if deleting else "put"
    return "patch" in cls.allowed_list_methods and detail in cls.allowed_detail_methods


def _tell(
    on_row: RowHook | None, item: Any, error: MailRouteError | None, kind: str = "failed"
) -> None:
    if on_row is not None:
        on_row(item, error, "failed" if error is not None else kind)


def _kind_of(outcome: Any, kind: str) -> str:
    return outcome.kind if isinstance(outcome, Became) else kind


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
            _tell(on_row, item, exc)
            continue
        kept.append(obj)
    return kept


def each_op(
    items: list[Any],
    make: Callable[[Any], Operation[Any]],
    result: BulkResult,
    on_row: RowHook | None = None,
    announce: Announce | None = None,
    kind: str = "created",
) -> Operation[BulkResult]:
    """One operation per item, concurrently; `announce` hears of each just before its
    first write, `on_row` as it finishes (a row that did not fail became `kind`, unless
    its operation says otherwise with `Became`). On Ctrl-C the session sends no new
    write and throws `Interrupted` in here: it leaves again carrying the partial
    result."""

    def done(index: int, outcome: Any) -> None:
        error = outcome if isinstance(outcome, MailRouteError) else None
        _tell(on_row, items[index], error, _kind_of(outcome, kind))

    def op_for(item: Any) -> Operation[Any]:
        if announce is None:
            return make(item)
        return announced(make(item), lambda: announce(item))

    try:
        outcomes = yield Parallel(tuple(op_for(item) for item in items), done)
    except Interrupted as stop:
        _fill(result, items, stop.outcomes, kind)
        raise Interrupted(result, stop.outcomes) from None
    _fill(result, items, outcomes, kind)
    return result


def _fill(result: BulkResult, items: list[Any], outcomes: list[Any], kind: str) -> None:
    """Sort each item by its outcome, in the input's order."""
    for item, outcome in zip(items, outcomes, strict=True):
        if outcome is NOT_STARTED:
            result.not_started.append(item)
        elif isinstance(outcome, MailRouteError):
            result.failed.append((item, outcome))
        else:
            result.add(item, _kind_of(outcome, kind))


def _sent_awaited(call: Call) -> Operation[Answer]:
    """One write that Ctrl-C does not cut in half: run as a `Parallel` of one, so the
    session awaits it; an interruption is raised again after its answer is in."""

    def alone() -> Operation[Answer]:
        answer: Answer = yield call
        return answer

    try:
        outcomes = yield Parallel((alone(),))
    except Interrupted as stop:
        outcome = stop.outcomes[0]
        if outcome is NOT_STARTED or isinstance(outcome, MailRouteError):
            raise
        raise Interrupted(outcome, stop.outcomes) from None  # finished: done, then stop
    if isinstance(outcomes[0], MailRouteError):
        raise outcomes[0]
    return outcomes[0]  # type: ignore[no-any-return]


def patch_list_op(
    cls: Any,
    items: list[Any],
    bodies: list[dict[str, Any]],
    deleted: list[str],
    result: BulkResult,
    extra: Mapping[str, Any] | None = None,
    on_row: RowHook | None = None,
    announce: Announce | None = None,
) -> Operation[BulkResult]:
    """The whole list in one PATCH (all or nothing); on Ctrl-C it is awaited, reported,
    then `Interrupted` is raised with the result."""
    if announce is not None:
        for item in items:
            announce(item)
    try:
        return (yield from _patch_list(cls, items, bodies, deleted, result, extra, on_row))
    except Interrupted as stop:
        answer = stop.result
        if isinstance(answer, Answer):
            _patch_list_done(cls, items, bodies, deleted, result, extra, on_row, answer)
        else:
            outcome = stop.outcomes[0] if stop.outcomes else NOT_STARTED
            _all_failed(result, items, outcome, on_row)
        raise Interrupted(result, stop.outcomes) from None


def _all_failed(result: BulkResult, items: list[Any], outcome: Any, on_row: RowHook | None) -> None:
    if outcome is NOT_STARTED:
        result.not_started += items
        return
    for item in items:
        result.failed.append((item, outcome))
        _tell(on_row, item, outcome)


def _patch_list(
    cls: Any,
    items: list[Any],
    bodies: list[dict[str, Any]],
    deleted: list[str],
    result: BulkResult,
    extra: Mapping[str, Any] | None,
    on_row: RowHook | None,
) -> Operation[BulkResult]:
    sent = (
        [{**body, **encode_write_value(dict(extra))} for body in bodies] if extra else bodies
    )  # extra inputs are sent with each object, never kept
    while True:
        key = cls._collection
        payload: dict[str, Any] = {key: sent}
        if deleted:
            payload[f"deleted_{key}"] = deleted
        try:
            answer = yield from _sent_awaited(Call("PATCH", cls._list_url, json=payload))
            break
        except BadRequest as exc:
            # a 400 wrote nothing: name the list as the server asks (collection_name)
            named = _missing_collection(exc)
            if named is None or named == key:
                _all_failed(result, items, exc, on_row)
                return result
            cls._collection = named
        except MailRouteError as exc:
            _all_failed(result, items, exc, on_row)
            return result
    _patch_list_done(cls, items, bodies, deleted, result, extra, on_row, answer)
    return result


def _patch_list_done(
    cls: Any,
    items: list[Any],
    bodies: list[dict[str, Any]],
    deleted: list[str],
    result: BulkResult,
    extra: Mapping[str, Any] | None,
    on_row: RowHook | None,
    answer: Answer,
) -> None:
    """Every item succeeded: adopt what the answer echoed."""
    key = cls._collection
    returned = (
        answer.body.get(collection_name(answer.body) or key)
        if isinstance(answer.body, dict)
        else None
    )
    for i, item in enumerate(items):
        if deleted:
            item._deleted = True
        else:
            echo = (
                returned[i]
                if isinstance(returned, list)
                and len(returned) == len(items)
                and isinstance(returned[i], dict)
                else None
            )
            item._adopt(Answer(answer.status, {}, echo, answer.url), bodies[i], tuple(extra or ()))
        result.add(item, "deleted" if deleted else "created")
        _tell(on_row, item, None, "deleted" if deleted else "created")


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
        _tell(on_row, obj, None, "unchanged")
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
    journal = cls._registry.journal
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
