"""What a QuerySet asks of the class it yields: filter and ordering checks (a cached
schema read again once for a name it lacks), and the operations of Django's
`get_or_create()`, `update_or_create()` and `QuerySet.update()`. QuerySets call these
private class methods on whatever model they are given; the client's session and
settings they get from the class's registry once, when they are built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import AmbiguousWriteError, BadRequest, Conflict, DoesNotExist, ServerError
from ..operations import Exclusive, Operation
from ..query.habits import BulkResult
from ..query.queryset import BaseQuerySet, queryset_for
from ..schema.rules import check_method
from .bulkverbs import update_objects_op
from .metaclass import BaseResourceMeta
from .writes import Writes

__all__ = ["QueryHooks"]

#: A create that failed so: it may have happened after all (a 5xx, a lost answer), or it
#: lost a race to another client's create of the same object (a uniqueness 400 or 409,
#: or the 500 Tastypie answers when the database's unique constraint refuses the INSERT).
_MAY_EXIST_AFTER = (BadRequest, Conflict, ServerError, AmbiguousWriteError)


class QueryHooks(Writes, metaclass=BaseResourceMeta):
    """The part of `Resource` its QuerySets and its class API call."""

    __slots__ = ()
    #: Why this resource is not walked by key ("" while it may be): its listing once
    #: refused the walk's ordering. Kept on the class, so for the client's lifetime.
    _no_key_walk: ClassVar[str] = ""

    # -- Django's get_or_create / update_or_create and QuerySet.update (see ResourceMeta)

    @classmethod
    def _get_or_create(
        cls,
        lookups: dict[str, Any],
        defaults: Mapping[str, Any] | None,
        update: bool,
        extra: Mapping[str, Any] | None,
        check_required: bool,
        within: BaseQuerySet[Any] | None = None,
    ) -> Operation[tuple[Any, bool]]:
        """Check everything that can be checked before any request, then the operation.
        `within`: the QuerySet looked in (its filters narrow the lookup, not the create)."""
        if not lookups:
            raise TypeError("get_or_create()/update_or_create() need at least one lookup.")
        qs = (within if within is not None else queryset_for(cls)).filter(**lookups)
        defaults = dict(defaults or {})
        values = {k: v for k, v in lookups.items() if "__" not in k}  # as Django does
        wanted = {**values, **defaults}
        if set(wanted) - set(cls.fields):  # raises, naming the unknown ones
            cls._validate(
                cls._encoded_values(wanted),
                creating=True,
                explicit_readonly=wanted,
                check_required=check_required,
            )
        if update and defaults:
            cls._check_update(defaults)
        # after an ambiguous POST failure the object is looked up by its plain lookups
        dedupe = tuple(k for k in values if k not in (cls._schema.primary_key, "resource_uri"))
        op = cls._get_or_create_op(
            qs, wanted, defaults if update else {}, dict(extra or {}), dedupe, check_required
        )
        return _one_at_a_time(_race_key(qs), op)

    @classmethod
    def _get_or_create_op(
        cls,
        qs: BaseQuerySet[Any],
        wanted: dict[str, Any],
        changes: dict[str, Any],
        extra: dict[str, Any],
        dedupe: tuple[str, ...],
        check_required: bool,
    ) -> Operation[tuple[Any, bool]]:
        found = yield from cls._lookup_op(qs)
        if found is None:
            obj = cls(**wanted)
            try:
                yield from obj._create_op(extra, dedupe, check_required)
                return obj, True
            except _MAY_EXIST_AFTER:
                # made by someone else since the lookup, or by this POST after all: look
                # again (never POST again); nothing there means the error stands
                found = yield from cls._lookup_op(qs)
                if found is None:
                    raise
        if changes:
            for name, value in changes.items():
                found._set(name, value)
            yield from found._save_op({}, False)
        return found, False

    @staticmethod
    def _lookup_op(qs: BaseQuerySet[Any]) -> Operation[Any]:
        """The one object `qs` matches, or None (MultipleObjectsReturned when several)."""
        try:
            return (yield from qs._get())
        except DoesNotExist:
            return None

    @classmethod
    def _check_update(cls, fields: Mapping[str, Any]) -> None:
        """Refuse, before anything is read, an update the schema would not take."""
        detail = cls._schema.allowed_detail_methods
        check_method(cls._schema, "patch" if "patch" in detail else "put", detail=True)
        cls._validate(cls._encoded_values(fields), creating=False)

    @classmethod
    def _update_objects_op(
        cls, objects: list[Any], fields: Mapping[str, Any]
    ) -> Operation[BulkResult]:
        """`QuerySet.update()`'s writes (see bulk.update_objects_op)."""
        return update_objects_op(cls, objects, fields)


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
