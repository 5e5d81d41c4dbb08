"""Django's `get_or_create()` and `update_or_create()` as one operation: the object
looked up within a QuerySet, else created once; after a create that may have happened
anyway (a lost answer, a race lost to another client) it is looked up again, never
POSTed again. The class shortcuts, the QuerySets and keyed bulk creates all run it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import (
    AmbiguousWriteError,
    BadRequest,
    Conflict,
    DoesNotExist,
    GuardError,
    ServerError,
)
from ..operations import Exclusive, Operation
from ..query.checks import update_check
from ..query.queryset import BaseQuerySet

__all__ = ["get_or_create_op"]

#: A create that failed so: it may have happened after all (a 5xx, a lost answer), or it
#: lost a race to another client's create of the same object (a uniqueness 400 or 409,
#: or the 500 Tastypie answers when the database's unique constraint refuses the INSERT).
_MAY_EXIST_AFTER = (BadRequest, Conflict, ServerError, AmbiguousWriteError)


def get_or_create_op(
    model: Any,
    lookups: dict[str, Any],
    defaults: Mapping[str, Any] | None,
    update: bool,
    extra: Mapping[str, Any] | None,
    check_required: bool,
    within: BaseQuerySet[Any] | None = None,
) -> Operation[tuple[Any, bool]]:
    """`(object, created)` for the one object of `model` matching `lookups`, made of the
    plain lookups and `defaults` when none does (`update`: a found one gets `defaults`
    saved). Everything that can be checked is checked now, before any request. `within`:
    the QuerySet looked in (its filters narrow the lookup, not the create)."""
    if not lookups:
        raise TypeError("get_or_create()/update_or_create() need at least one lookup.")
    window = within is not None and (within._q.start or within._q.stop is not None)
    if within is not None and (within._q.url is not None or window):
        raise GuardError(
            "get_or_create() looks in a resource's QuerySet: not in a slice or a client.list()."
        )
    qs = (within if within is not None else BaseQuerySet(model)).filter(**lookups)
    defaults = dict(defaults or {})
    values = {k: v for k, v in lookups.items() if "__" not in k}  # as Django does
    wanted = {**values, **defaults}
    if set(wanted) - set(model._schema.fields):  # raises, naming the unknown ones
        model._validate(
            model._encoded_values(wanted),
            creating=True,
            explicit_readonly=wanted,
            check_required=check_required,
        )
    if update and defaults:
        update_check(model, defaults)
    # after an ambiguous POST failure the object is looked up by its plain lookups
    dedupe = tuple(k for k in values if k not in (model._schema.primary_key, "resource_uri"))
    op = _found_or_made(
        model, qs, wanted, defaults if update else {}, dict(extra or {}), dedupe, check_required
    )
    return _one_at_a_time(_race_key(qs), op)


def _found_or_made(
    model: Any,
    qs: BaseQuerySet[Any],
    wanted: dict[str, Any],
    changes: dict[str, Any],
    extra: dict[str, Any],
    dedupe: tuple[str, ...],
    check_required: bool,
) -> Operation[tuple[Any, bool]]:
    found = yield from _lookup_op(qs)
    if found is None:
        obj = model(**wanted)
        try:
            yield from obj._create_op(extra, dedupe, check_required)
            return obj, True
        except _MAY_EXIST_AFTER:
            # made by someone else since the lookup, or by this POST after all: look
            # again (never POST again); nothing there means the error stands
            found = yield from _lookup_op(qs)
            if found is None:
                raise
    if changes:
        for name, value in changes.items():
            found._set(name, value)
        yield from found._save_op({}, False)
    return found, False


def _lookup_op(qs: BaseQuerySet[Any]) -> Operation[Any]:
    """The one object `qs` matches, or None (MultipleObjectsReturned when several)."""
    try:
        return (yield from qs._get())
    except DoesNotExist:
        return None


def _race_key(qs: BaseQuerySet[Any]) -> tuple[str, ...]:
    """What identifies one get_or_create's object in a session: its resource's list URL
    and the lookup's query (without the window)."""
    call = qs._first_call(limit=1, offset=0)
    query = sorted(f"{k}={v}" for k, v in call.params if k not in ("limit", "offset"))
    return ("get_or_create", call.url, *query)


def _one_at_a_time(
    key: tuple[str, ...], op: Operation[tuple[Any, bool]]
) -> Operation[tuple[Any, bool]]:
    """`op` while no other get_or_create of the same key runs on this client: threads
    (or tasks) asking for one object at once would each find nothing and each create it."""
    result: tuple[Any, bool] = yield Exclusive(key, op)
    return result
