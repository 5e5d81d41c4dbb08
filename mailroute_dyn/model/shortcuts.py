"""The class shortcuts of resource classes, on their metaclass: `Domain.filter(...)`.

Every resource class has `filter`, `all`, `get`, `create`, `count`, `first`, `order_by`,
`bulk_*`, ... Living on the metaclass, where an object's attribute lookup never looks,
they never hide a server field of the same name (`obj.count` is the field,
`Domain.count()` the query). They are the siblings of `BaseResourceMeta` (metaclass.py,
what the schema says), as httpx's clients are: each hands over to a QuerySet or runs a
write (Django's `Manager.from_queryset` idea), `ResourceMeta` for a `Client`'s classes
(answers at once) and `AsyncResourceMeta` for an `AsyncClient`'s (answers awaited).
verbs.py lists their verbs once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, TypeVar, cast

from ..operations import Operation
from ..query.habits import BulkResult
from .bulk import RowHook
from .bulkverbs import bulk_create_op, bulk_delete_op, bulk_update_op, journaled_bulk
from .classops import create_obj_op, create_op, get_op, objects_of
from .getorcreate import get_or_create_op
from .metaclass import BaseResourceMeta
from .querysets import AsyncQuerySet, AsyncValuesQuerySet, QuerySet, ValuesQuerySet
from .writes import Writes

__all__ = ["ResourceMeta", "AsyncResourceMeta"]

_T = TypeVar("_T")  # a resource class's instances, as the class API returns them
T = TypeVar("T")


class ResourceMeta(BaseResourceMeta):
    """The class-level API of a `Client`'s resource classes: queries, creation and bulk
    writes, answered at once (`Domain.count()`, `Domain.get(5)`)."""

    def all(meta: type[_T]) -> QuerySet[_T]:
        """Every object, lazily, one page at a time."""
        return _sync(meta)

    def filter(meta: type[_T], **lookups: Any) -> QuerySet[_T]:
        """A QuerySet narrowed by schema-checked filters (see QuerySet.filter)."""
        return _sync(meta).filter(**lookups)

    def order_by(meta: type[_T], *keys: str) -> QuerySet[_T]:
        """Every object in the given order (fields the schema lists as orderable)."""
        return _sync(meta).order_by(*keys)

    def unchecked(meta: type[_T], **params: Any) -> QuerySet[_T]:
        """A QuerySet with parameters the schema does not describe, sent as given."""
        return _sync(meta).unchecked(**params)

    def exclude(meta: type[_T], **lookups: Any) -> QuerySet[_T]:
        """Not available on Tastypie, which has no negated filters: always raises."""
        return _sync(meta).exclude(**lookups)

    def values(meta, *names: str) -> ValuesQuerySet:
        """Every object as a dict of raw values (see QuerySet.values)."""
        return _sync(meta).values(*names)

    def values_list(meta, *names: str, flat: bool = False) -> ValuesQuerySet:
        """Every object as a tuple of raw values (see QuerySet.values_list)."""
        return _sync(meta).values_list(*names, flat=flat)

    def to_pandas(meta, *names: str) -> Any:
        """Every object as a typed DataFrame (see QuerySet.to_pandas; `pandas` extra)."""
        return _sync(meta).to_pandas(*names)

    def to_arrow(meta, *names: str) -> Any:
        """Every object as an Arrow table (see QuerySet.to_arrow; `arrow` extra)."""
        return _sync(meta).to_arrow(*names)

    def count(meta) -> int:
        """How many objects there are (from `total_count`)."""
        return _sync(meta).count()

    def first(meta: type[_T]) -> _T | None:
        """The first object in the server's default order, or None."""
        return cast("_T | None", _sync(meta).first())

    def last(meta: type[_T]) -> _T | None:
        """The last object in the server's default order, or None (see QuerySet.last)."""
        return cast("_T | None", _sync(meta).last())

    def exists(meta) -> bool:
        """Whether there is any object at all (one is fetched)."""
        return _sync(meta).exists()

    def in_bulk(
        meta: type[_T], id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, _T]:
        """`{key: object}` for the given keys (see QuerySet.in_bulk)."""
        return _sync(meta).in_bulk(id_list, field_name=field_name)

    def get(meta: type[_T], key: Any = None, /, **lookups: Any) -> _T:
        """One object by key (`Domain.get(5)`, `EmailAccount.get("a@b.c")`) or by filters."""
        return cast("_T", _run(meta, get_op(meta, key, lookups)))

    def create(
        meta: type[_T],
        *,
        dedupe_on: Iterable[str] | None = None,
        extra: Mapping[str, Any] | None = None,
        check_required: bool | None = None,
        **values: Any,
    ) -> _T:
        """POST a new object and return it.

        `dedupe_on=("localpart", "domain")`: if the POST fails ambiguously (timeout after
        sending, 502/504), look the object up by those fields before trying once more, so a
        retry never makes a duplicate. `extra` carries write-only inputs the schema does not
        describe (MailRoute's `password`); they are sent, never kept.
        `check_required=False` leaves missing fields to the server: MailRoute fills some
        that its schema marks required (wblist `rid`); types, read-only and unknown fields
        are still checked.
        A resource's own field named like one of these options is that field here (field
        names belong to the user); such a resource takes the option through
        `cls(**fields).save(extra=...)`.
        """
        obj, op = create_obj_op(meta, dedupe_on, extra, check_required, values)
        journal = cast(Any, meta)._session.journal
        if journal is not None:  # inside `with client.journal(...)`
            journal.single(meta, "create", obj, op, cast(Any, meta)._session.run)
            return cast("_T", obj)
        return cast("_T", _run(meta, op))

    def bulk_create(
        meta,
        items: Iterable[Mapping[str, Any] | Writes],
        *,
        check_required: bool = True,
        dedupe_on: Iterable[str] = (),
        extra: Mapping[str, Any] | None = None,
        on_row: RowHook | None = None,
        key: Iterable[str] = (),
        on_conflict: str = "skip",
    ) -> BulkResult:
        """Create many objects: one atomic PATCH on the list endpoint where the schema
        allows it, otherwise concurrent POSTs (never retried blindly). Returns a
        `BulkResult`; an object is reported created only when the server said so.
        Created objects get their URI from the answer when the server returns bodies.
        `check_required`, `dedupe_on` (POSTs only: PATCH list is all or nothing) and
        `extra` (sent with every object, never kept) work as in `create()`.

        `key=("localpart", "domain")` makes a re-run safe: each row is looked up by
        those fields first and, when found, reported `exists` (`on_conflict="skip"`) or
        brought to the row's values (`"update"`: `updated`, or `unchanged` when it
        already holds them); `dedupe_on` only guards one call against an ambiguous
        failure.

        `on_row(obj, error, kind)` is called (in the calling thread) as each row
        finishes: error None unless it failed, `kind` what became of it (`created`,
        `exists`, ..., or `failed`). On Ctrl-C no new write starts, the writes in
        flight are awaited, and `Interrupted` (a KeyboardInterrupt) is raised carrying
        the partial result; the same holds for `bulk_update` and `bulk_delete`.
        """

        def send(todo: list[Any], announce: Any, told: Any) -> BulkResult:
            return _run(
                meta,
                bulk_create_op(
                    meta, todo, check_required, dedupe_on, extra, told, announce, key, on_conflict
                ),
            )

        return journaled_bulk(meta, "create", list(items), send, on_row)

    def bulk_update(meta, items: Iterable[Writes], *, on_row: RowHook | None = None) -> BulkResult:
        """Save many changed objects concurrently, each as `save()` would (PATCH of its
        changes, or PUT of the server's current object plus its changes). An object
        whose changes equal what it holds from the server is sent nothing and reported
        `unchanged`.

        Not one PATCH list: Tastypie's PATCH list re-creates an object someone deleted
        (under a new id) and reports success; a detail write reports `DoesNotExist`,
        which lands in `BulkResult.failed`."""

        def send(todo: list[Any], announce: Any, told: Any) -> BulkResult:
            return _run(meta, bulk_update_op(meta, todo, told, announce))

        return journaled_bulk(meta, "update", list(items), send, on_row)

    def bulk_delete(
        meta,
        items: Iterable[Writes | Any],
        *,
        on_row: RowHook | None = None,
        missing_ok: bool = False,
    ) -> BulkResult:
        """Delete the given objects (instances or keys): `deleted_objects` in one PATCH
        list where allowed, else concurrent DELETEs. Only these objects, never a filter.
        With `missing_ok` an object already gone is reported `gone`, not failed."""

        def send(todo: list[Any], announce: Any, told: Any) -> BulkResult:
            return _run(meta, bulk_delete_op(meta, todo, told, announce, missing_ok))

        return journaled_bulk(meta, "delete", objects_of(meta, items), send, on_row)

    def get_or_create(
        meta: type[_T],
        defaults: Mapping[str, Any] | None = None,
        *,
        check_required: bool = True,
        extra: Mapping[str, Any] | None = None,
        **lookups: Any,
    ) -> tuple[_T, bool]:
        """`(object, created)`: the one object matching `lookups`, else a new one made of
        the plain lookups (those without `__`) and `defaults`. A POST that fails
        ambiguously is followed by a lookup, never by a second POST; a uniqueness error
        because someone created it meanwhile gives that object. `MultipleObjectsReturned`
        when the lookups match several."""
        op = get_or_create_op(meta, lookups, defaults, False, extra, check_required)
        return cast("tuple[_T, bool]", _run(meta, op))

    def update_or_create(
        meta: type[_T],
        defaults: Mapping[str, Any] | None = None,
        *,
        check_required: bool = True,
        extra: Mapping[str, Any] | None = None,
        **lookups: Any,
    ) -> tuple[_T, bool]:
        """`(object, created)` as `get_or_create()`, but a found object gets `defaults`
        saved on it (only those fields are sent, as `save()` does)."""
        op = get_or_create_op(meta, lookups, defaults, True, extra, check_required)
        return cast("tuple[_T, bool]", _run(meta, op))


class AsyncResourceMeta(BaseResourceMeta):
    """The class-level API of an `AsyncClient`'s classes: the same names, answers
    awaited (`await Domain.count()`, `await Domain.get(5)`), QuerySets for `async for`."""

    def all(meta: type[_T]) -> AsyncQuerySet[_T]:
        """Every object, lazily (`async for`)."""
        return _async(meta)

    def filter(meta: type[_T], **lookups: Any) -> AsyncQuerySet[_T]:
        """A QuerySet narrowed by schema-checked filters (see QuerySet.filter)."""
        return _async(meta).filter(**lookups)

    def order_by(meta: type[_T], *keys: str) -> AsyncQuerySet[_T]:
        """Every object in the given order (fields the schema lists as orderable)."""
        return _async(meta).order_by(*keys)

    def unchecked(meta: type[_T], **params: Any) -> AsyncQuerySet[_T]:
        """A QuerySet with parameters the schema does not describe, sent as given."""
        return _async(meta).unchecked(**params)

    def exclude(meta: type[_T], **lookups: Any) -> AsyncQuerySet[_T]:
        """Not available on Tastypie, which has no negated filters: always raises."""
        return _async(meta).exclude(**lookups)

    def values(meta, *names: str) -> AsyncValuesQuerySet:
        """Every object as a dict of raw values (see QuerySet.values); awaited answers."""
        return _async(meta).values(*names)

    def values_list(meta, *names: str, flat: bool = False) -> AsyncValuesQuerySet:
        """Every object as a tuple of raw values (see QuerySet.values_list)."""
        return _async(meta).values_list(*names, flat=flat)

    async def to_pandas(meta, *names: str) -> Any:
        """Every object as a typed DataFrame, awaited (see QuerySet.to_pandas)."""
        return await _async(meta).to_pandas(*names)

    async def to_arrow(meta, *names: str) -> Any:
        """Every object as an Arrow table, awaited (see QuerySet.to_arrow)."""
        return await _async(meta).to_arrow(*names)

    async def count(meta) -> int:
        """How many objects there are (from `total_count`)."""
        return await _async(meta).count()

    async def first(meta: type[_T]) -> _T | None:
        """The first object in the server's default order, or None."""
        return await _async(meta).first()

    async def last(meta: type[_T]) -> _T | None:
        """The last object in the server's default order, or None."""
        return await _async(meta).last()

    async def exists(meta) -> bool:
        """Whether there is any object at all (one is fetched)."""
        return await _async(meta).exists()

    async def in_bulk(
        meta: type[_T], id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, _T]:
        """`{key: object}` for the given keys (see QuerySet.in_bulk)."""
        return await _async(meta).in_bulk(id_list, field_name=field_name)

    async def get(meta: type[_T], key: Any = None, /, **lookups: Any) -> _T:
        """One object by key or by filters (see `ResourceMeta.get`)."""
        return cast("_T", await _arun(meta, get_op(meta, key, lookups)))

    async def create(
        meta: type[_T],
        *,
        dedupe_on: Iterable[str] | None = None,
        extra: Mapping[str, Any] | None = None,
        check_required: bool | None = None,
        **values: Any,
    ) -> _T:
        """POST a new object and return it (see `ResourceMeta.create`)."""
        op = create_op(meta, dedupe_on, extra, check_required, values)
        return cast("_T", await _arun(meta, op))

    async def bulk_create(
        meta,
        items: Iterable[Mapping[str, Any] | Writes],
        *,
        check_required: bool = True,
        dedupe_on: Iterable[str] = (),
        extra: Mapping[str, Any] | None = None,
        on_row: RowHook | None = None,
        key: Iterable[str] = (),
        on_conflict: str = "skip",
    ) -> BulkResult:
        """Create many objects (see `ResourceMeta.bulk_create`)."""
        return await _arun(
            meta,
            bulk_create_op(
                meta, items, check_required, dedupe_on, extra, on_row, None, key, on_conflict
            ),
        )

    async def bulk_update(
        meta, items: Iterable[Writes], *, on_row: RowHook | None = None
    ) -> BulkResult:
        """Save many changed objects (see `ResourceMeta.bulk_update`)."""
        return await _arun(meta, bulk_update_op(meta, items, on_row))

    async def bulk_delete(
        meta,
        items: Iterable[Writes | Any],
        *,
        on_row: RowHook | None = None,
        missing_ok: bool = False,
    ) -> BulkResult:
        """Delete the given objects (see `ResourceMeta.bulk_delete`)."""
        return await _arun(
            meta, bulk_delete_op(meta, objects_of(meta, items), on_row, None, missing_ok)
        )

    async def get_or_create(
        meta: type[_T],
        defaults: Mapping[str, Any] | None = None,
        *,
        check_required: bool = True,
        extra: Mapping[str, Any] | None = None,
        **lookups: Any,
    ) -> tuple[_T, bool]:
        """`(object, created)` (see `ResourceMeta.get_or_create`)."""
        op = get_or_create_op(meta, lookups, defaults, False, extra, check_required)
        return cast("tuple[_T, bool]", await _arun(meta, op))

    async def update_or_create(
        meta: type[_T],
        defaults: Mapping[str, Any] | None = None,
        *,
        check_required: bool = True,
        extra: Mapping[str, Any] | None = None,
        **lookups: Any,
    ) -> tuple[_T, bool]:
        """`(object, created)` (see `ResourceMeta.update_or_create`)."""
        op = get_or_create_op(meta, lookups, defaults, True, extra, check_required)
        return cast("tuple[_T, bool]", await _arun(meta, op))


def _sync(cls: Any) -> QuerySet[Any]:
    """A `Client`'s QuerySet over every object of `cls`."""
    return QuerySet(cls)


def _async(cls: Any) -> AsyncQuerySet[Any]:
    """An `AsyncClient`'s QuerySet over every object of `cls`."""
    return AsyncQuerySet(cls)


def _run(cls: Any, op: Operation[T]) -> T:
    """An operation run on a sync client's session: its value."""
    return cast(T, cls._session.run(op))


def _arun(cls: Any, op: Operation[T]) -> Awaitable[T]:
    """An operation run on an async client's session: an awaitable."""
    return cast("Awaitable[T]", cls._session.run(op))
