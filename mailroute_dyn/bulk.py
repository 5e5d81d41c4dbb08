"""Bulk writes: many objects in one PATCH list where the schema allows it, otherwise one
request each, concurrently; what each object came to is reported in a `BulkResult`.

The functions take the resource class (`cls`) and its objects; they build operations
(see http.py) and send nothing themselves, so both clients run them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import BadRequest, GuardError, MailRouteError, MethodNotAllowed, ValidationError
from .operations import Answer, Call, Operation, Parallel, error_message
from .query import BulkResult, collection_name
from .schema import check_method
from .values import encode_write_value

__all__ = ["bulk_create_op", "bulk_update_op", "bulk_delete_op", "update_objects_op",
           "patch_list_allowed", "finished"]

_MISSING_COLLECTION = r"missing '(\w+)'"    # compiled by `re` on first use


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
    return ("patch" in cls.allowed_list_methods
            and detail in cls.allowed_detail_methods)


def checked_items(cls: Any, items: Iterable[Any], result: BulkResult,
                   check: Callable[[Any], None]) -> list[Any]:
    kept = []
    for item in items:
        try:
            if isinstance(item, cls):
                obj = item
            elif isinstance(item, Mapping):
                unknown = sorted(set(item) - set(cls.fields))
                if unknown:                                   # raises, naming them
                    cls._validate(cls._encoded_values(item), creating=True,
                                  explicit_readonly=item, check_required=False)
                obj = cls(**item)
            else:
                raise ValidationError(
                    f"{cls.resource_name}: not an object or a mapping: {item!r:.60}", {})
            check(obj)
        except (ValidationError, GuardError, MethodNotAllowed) as exc:
            result.failed.append((item, exc))
            continue
        kept.append(obj)
    return kept


def each_op(items: list[Any], make: Callable[[Any], Operation[Any]],
             result: BulkResult) -> Operation[BulkResult]:
    outcomes = yield Parallel(tuple(make(item) for item in items))
    for item, outcome in zip(items, outcomes, strict=True):
        if isinstance(outcome, MailRouteError):
            result.failed.append((item, outcome))
        else:
            result.succeeded.append(item)
    return result


def patch_list_op(cls: Any, items: list[Any], bodies: list[dict[str, Any]],
                   deleted: list[str], result: BulkResult,
                   extra: Mapping[str, Any] | None = None) -> Operation[BulkResult]:
    sent = [{**body, **encode_write_value(dict(extra))} for body in bodies] if extra \
        else bodies                 # extra inputs are sent with each object, never kept
    while True:
        key = cls._collection
        payload: dict[str, Any] = {key: sent}
        if deleted:
            payload[f"deleted_{key}"] = deleted
        try:
            answer: Answer = yield Call("PATCH", cls._list_url, json=payload)
            break
        except BadRequest as exc:
            # a 400 wrote nothing: name the list as the server asks (collection_name)
            named = _missing_collection(exc)
            if named is None or named == key:
                result.failed += [(item, exc) for item in items]
                return result
            cls._collection = named
        except MailRouteError as exc:
            result.failed += [(item, exc) for item in items]
            return result
    returned = (answer.body.get(collection_name(answer.body) or key)
                if isinstance(answer.body, dict) else None)
    for i, item in enumerate(items):
        if deleted:
            item._deleted = True
        else:
            echo = returned[i] if isinstance(returned, list) and len(returned) == len(
                items) and isinstance(returned[i], dict) else None
            item._adopt(Answer(answer.status, {}, echo, answer.url), bodies[i],
                        tuple(extra or ()))
        result.succeeded.append(item)
    return result


def update_objects_op(cls: Any, objects: list[Any],
                       fields: Mapping[str, Any]) -> Operation[BulkResult]:
    """Set `fields` on `objects` and save them as `bulk_update()` does: each with its own
    detail write, never one PATCH list (which re-creates an object deleted meanwhile)."""
    result = BulkResult()
    kept = []
    for obj in objects:       # a save without a URI or key would create, never update
        if obj.resource_uri is None and obj.pk is None:
            result.failed.append((obj, GuardError(
                f"This {cls.resource_name} came without a URI or key: not updated.")))
        else:
            kept.append(obj)
    objects = kept
    if not objects:
        return result
    for obj in objects:
        for name, value in fields.items():
            obj._set(name, value)
    return (yield from each_op(objects, lambda o: o._save_op({}, False), result))


def bulk_create_op(cls: Any, items: Iterable[Mapping[str, Any] | Any],
                    check_required: bool, dedupe_on: Iterable[str],
                    extra: Mapping[str, Any] | None) -> Operation[BulkResult]:
    result = BulkResult()
    inputs = dict(extra or {})
    dedupe = tuple(dedupe_on)

    def check(obj: Any) -> None:
        check_method(cls._schema, "post", detail=False)
        body = {k: v for k, v in obj._encoded_changes().items()}
        cls._validate(body, creating=True, explicit_readonly=obj._changes,
                      check_required=check_required)
        missing = [name for name in dedupe if name not in body]
        if missing:
            raise ValidationError(
                f"{cls.resource_name}: dedupe_on names {missing}, which this object "
                "does not set", {cls.resource_name: {name: ["Needed by dedupe_on."]
                                                     for name in missing}})
    objs = checked_items(cls, items, result, check)
    if not objs:
        return finished(result)
    if patch_list_allowed(cls):
        return _patch_list_create_op(cls, objs, result, inputs)
    return each_op(objs, lambda o: o._create_op(inputs, dedupe, check_required), result)


def _patch_list_create_op(cls: Any, objs: list[Any], result: BulkResult,
                          inputs: dict[str, Any]) -> Operation[BulkResult]:
    """One PATCH list of new objects, once the related objects given by name are found
    (each object's `_create_op` does that for the single POSTs)."""
    for obj in objs:
        yield from obj._resolve_names_op()
    bodies = [obj._encoded_changes() for obj in objs]
    return (yield from patch_list_op(cls, objs, bodies, [], result, extra=inputs))


def bulk_update_op(cls: Any, items: Iterable[Any]) -> Operation[BulkResult]:
    result = BulkResult()

    def check(obj: Any) -> None:
        if obj.resource_uri is None:
            raise GuardError("bulk_update() takes saved objects; use bulk_create().")
        cls._validate(obj._encoded_changes(), creating=False)
    objs = checked_items(cls, items, result, check)
    if not objs:
        return finished(result)
    return each_op(objs, lambda o: o._save_op({}, False), result)


def bulk_delete_op(cls: Any, items: Iterable[Any]) -> Operation[BulkResult]:
    """`bulk_delete()`: objects only (the caller turns keys into objects)."""
    result = BulkResult()

    def check(obj: Any) -> None:
        check_method(cls._schema, "delete", detail=True)
    objs = checked_items(cls, items, result, check)
    if not objs:
        return finished(result)
    if patch_list_allowed(cls, deleting=True):
        uris = [obj._detail() for obj in objs]
        return patch_list_op(cls, objs, [], uris, result)
    return each_op(objs, lambda o: o._delete_op(), result)
