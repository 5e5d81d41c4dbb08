"""The public QuerySets, siblings of `BaseQuerySet` (query/queryset.py) as httpx's clients
are of its `BaseClient`: `QuerySet` for a `Client` (answers at once) and `AsyncQuerySet`
for an `AsyncClient` (answers awaited), and their values() kinds. Each only drives the
base's operations on its client's session. They sit in the model layer, beside the
objects, because Django's habits that write (`update()`, `get_or_create()`,
`update_or_create()`) save objects: those operations are the model's (bulkverbs.py,
getorcreate.py). Their verbs are listed once in verbs.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator
from itertools import chain
from typing import Any, Literal, NoReturn, Self, TypeVar, cast, overload

from ..errors import MailRouteError
from ..operations import Operation
from ..query.build import _Query
from ..query.frames import arrow_table, require
from ..query.habits import BulkResult
from ..query.queryset import BaseQuerySet
from ..query.rows import OBJECT_ROWS, Rows, ValueRows, _Shape
from ..query.views import no_waiting_html
from ..schema.display import rows_html
from .bulkverbs import queryset_update_op
from .getorcreate import get_or_create_op

__all__ = ["QuerySet", "AsyncQuerySet", "ValuesQuerySet", "AsyncValuesQuerySet", "queryset_for"]

R = TypeVar("R")  # what a QuerySet yields: objects of one resource class
T = TypeVar("T")


class QuerySet(BaseQuerySet[R]):
    """A lazy, immutable query of a `Client`: every method returns a new QuerySet or
    sends requests and answers at once (`count() -> int`). An `AsyncClient`'s are
    `AsyncQuerySet`s, whose answers are awaited."""

    def _run(self, op: Operation[T]) -> T:
        """Run an operation on the client's session: its value."""
        return cast(T, self._session.run(op))

    @overload
    def __getitem__(self, key: int) -> R: ...
    @overload
    def __getitem__(self, key: slice) -> Self: ...

    def __getitem__(self, key: int | slice) -> R | Self:
        if isinstance(key, slice):
            return self._sliced(key)
        return self._run(self._index_op(key))

    def __iter__(self) -> Iterator[R]:
        """The objects, a page at a time: chained in C, so an object costs no Python step
        of its own between the page that brought it and the caller."""
        return chain.from_iterable(self._chunks())

    def _chunks(self) -> Iterator[list[R]]:
        # what len() fetched is taken when iteration starts: list(qs) asks for the
        # iterator first and len() second, and must still walk only once
        cached, self._evaluated = self._evaluated, None
        if cached is not None:
            yield cached
        else:
            yield from self._pages()

    def _pages(self) -> Iterator[list[R]]:
        """What each page gives to yield, page by page (a whole list is built a page at
        a time, not an object at a time)."""
        if self._session.is_async:
            raise TypeError("This QuerySet belongs to an AsyncClient: use 'async for'.")
        run = self._session.run
        run(self._prepare())
        walk = self._walk()
        while True:
            calls = walk.first_calls()
            while calls:
                pages = run(self._fetch_walk(walk, calls))
                for page, objects in pages:
                    yield self._shaped(walk.take(page, objects))
                calls = walk.next_calls(pages)
            if walk.streaming:
                stream = self._session.stream(
                    (self._fetch(c) for c in walk.planned()), walk.concurrency
                )
                try:
                    for page, objects in stream:
                        yield self._shaped(walk.take(page, objects))
                        if walk.done or walk.exhausted:
                            break
                finally:
                    stream.close()
            if not walk.again():
                return

    def __aiter__(self) -> NoReturn:
        raise TypeError("This QuerySet belongs to a Client: use a plain 'for'.")

    def __bool__(self) -> bool:
        """Whether anything matches, like `exists()`: one object is asked for (Django
        would fetch them all)."""
        if self._evaluated is not None:
            return bool(self._evaluated)
        return self._run(self._exists())

    def __len__(self) -> int:
        """How many objects iteration yields. As in Django this fetches every match (rows
        Tastypie repeats are counted once) and keeps them for the next iteration, so
        `list(qs)` reads them once; `count()` asks for the number only."""
        if self._evaluated is None:
            found: list[R] = []
            for taken in self._pages():
                found.extend(taken)
            self._evaluated = found
        return len(self._evaluated)

    def count(self) -> int:
        """How many objects match, from `meta.total_count`, without fetching them."""
        return self._run(self._count())

    def first(self) -> R | None:
        """The first object, or None."""
        return self._run(self._first_op())

    def last(self) -> R | None:
        """The last object, or None when nothing matches. With `order_by()` the ordering
        is reversed and the first taken (one request); without one (or on a slice) the
        matches are counted and the one at the last offset fetched (two requests, in the
        server's default order, so give an ordering when "last" must mean something).
        When rows come or go between the count and the fetch, the fetch's own
        `total_count` gives the next try; `ListingChanged` if it changes on every try."""
        return self._run(self._last_op())

    def exists(self) -> bool:
        """Whether anything matches (one object is fetched)."""
        return self._run(self._exists())

    def get(self, **lookups: Any) -> R:
        """The one object matching; `DoesNotExist` or `MultipleObjectsReturned` otherwise."""
        return self._run(self._get_op(lookups))

    def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, R]:
        """`{key: object}` for the given keys (fetched with `<field>__in`, 100 keys a
        request; by the detail URLs, concurrently, when the primary key has no `in`
        filter), or for every match when `id_list` is None. The field must be unique."""
        return self._run(self._in_bulk_op(id_list, field_name))

    def delete(self, *, confirm: bool | Literal["all"] = False) -> int | None:
        """Delete every matching object in one list-level DELETE; returns how many matched.

        Tastypie deletes all rows when no filter is given, so at least one checked filter
        that can narrow the match (not an empty `contains`, a regex matching the empty
        string, ...) and `confirm=True` are required; otherwise nothing is sent. Before
        the DELETE the resource's rows are counted, then the matches: when the filters
        match every row (`email__gte=""`, an `__in` naming every id, ...) the DELETE is
        refused unless `confirm="all"` says that every row is meant. The number returned
        is that count of the matches (Tastypie's answer has none), so it is approximate
        when others write meanwhile; None when the server gives no `total_count`.
        """
        return self._run(self._checked_delete(confirm))

    def update(self, **fields: Any) -> BulkResult:
        """Set `fields` on every match and save them, each with its own detail write
        (`concurrency` at a time; a PATCH list would re-create an object deleted
        meanwhile). Returns a `BulkResult` like `bulk_update()`. Matches are all read
        first, so an update of a field the filter uses skips nothing."""
        return self._run(queryset_update_op(self, fields))

    def get_or_create(
        self,
        defaults: dict[str, Any] | None = None,
        *,
        check_required: bool = True,
        extra: dict[str, Any] | None = None,
        **lookups: Any,
    ) -> tuple[R, bool]:
        """`(object, created)`: as `Resource.get_or_create()`, looking within this
        QuerySet's filters; the object is created from `lookups` and `defaults` only."""
        return self._run(
            get_or_create_op(self._model, lookups, defaults, False, extra, check_required, self)
        )

    def update_or_create(
        self,
        defaults: dict[str, Any] | None = None,
        *,
        check_required: bool = True,
        extra: dict[str, Any] | None = None,
        **lookups: Any,
    ) -> tuple[R, bool]:
        """`(object, created)`: as `Resource.update_or_create()`, within these filters."""
        return self._run(
            get_or_create_op(self._model, lookups, defaults, True, extra, check_required, self)
        )

    def values(self, *names: str) -> ValuesQuerySet:
        """Dicts of raw values as the server sent them (related fields as URIs), without
        building instances: `qs.values("id", "name")`; no names: every schema field."""
        return ValuesQuerySet(self._model, self._q, self._values_rows(names))

    def values_list(self, *names: str, flat: bool = False) -> ValuesQuerySet:
        """Tuples of raw values (`flat=True` with one name: the values themselves)."""
        return ValuesQuerySet(self._model, self._q, self._values_list_rows(names, flat))

    def to_pandas(self, *names: str) -> Any:
        """A DataFrame of every match, typed from the schema (see frames.py): `names`
        as in `values()` (none: every field), `"domain__name"` following a to-one
        relation with one bulk read per page. Rows are read page by page."""
        source = self._frame_source(names)
        return self._frame(source, list(cast(QuerySet[Any], source)))

    def to_arrow(self, *names: str) -> Any:
        """`to_pandas()` as an Arrow table (needs the `pandas` and `arrow` extras)."""
        require("pyarrow", "arrow", "to_arrow()")
        return arrow_table(self.to_pandas(*names))

    def _repr_html_(self) -> str:
        """The first rows as a table and the total. Showing it sends one request (of
        PREVIEW_ROWS objects), as Django's repr evaluates a slice; the note says so."""
        if self._session.is_async:
            return no_waiting_html(self)
        limit = self._preview_limit()
        try:
            page, items = self._run(self._fetch(self._first_call(limit=limit)))
        except MailRouteError as exc:
            return rows_html(repr(self), [], [], f"The rows could not be read: {exc}")
        return self._preview_html(limit, page, items)


class AsyncQuerySet(BaseQuerySet[R]):
    """The QuerySet of an `AsyncClient`: the same lazy chain (`filter()`, `order_by()`,
    slices), answers awaited (`await qs.count()`, `await qs[0]`) and `async for`."""

    def _arun(self, op: Operation[T]) -> Awaitable[T]:
        """Run an operation on the client's session: an awaitable."""
        return cast("Awaitable[T]", self._session.run(op))

    @overload
    def __getitem__(self, key: int) -> Awaitable[R]: ...
    @overload
    def __getitem__(self, key: slice) -> Self: ...

    def __getitem__(self, key: int | slice) -> Awaitable[R] | Self:
        if isinstance(key, slice):
            return self._sliced(key)
        return self._arun(self._index_op(key))

    async def __aiter__(self) -> AsyncIterator[R]:
        if not self._session.is_async:
            raise TypeError("This QuerySet belongs to a Client: use a plain 'for'.")
        run = self._session.run
        await run(self._prepare())
        walk = self._walk()
        while True:
            calls = walk.first_calls()
            while calls:
                pages = await run(self._fetch_walk(walk, calls))
                for page, objects in pages:
                    for obj in self._shaped(walk.take(page, objects)):
                        yield obj
                calls = walk.next_calls(pages)
            if walk.streaming:
                stream = self._session.stream(
                    (self._fetch(c) for c in walk.planned()), walk.concurrency
                )
                try:
                    async for page, objects in stream:
                        for obj in self._shaped(walk.take(page, objects)):
                            yield obj
                        if walk.done or walk.exhausted:
                            break
                finally:
                    await stream.aclose()
            if not walk.again():
                return

    def __iter__(self) -> NoReturn:
        raise TypeError("This QuerySet belongs to an AsyncClient: use 'async for'.")

    def __bool__(self) -> NoReturn:
        raise TypeError("bool() cannot wait for an AsyncClient's answer: use 'await qs.exists()'.")

    def __len__(self) -> NoReturn:
        raise TypeError("len() cannot wait for an AsyncClient's answer: use 'await qs.count()'.")

    async def count(self) -> int:
        """How many objects match, from `meta.total_count`, without fetching them."""
        return await self._arun(self._count())

    async def first(self) -> R | None:
        """The first object, or None."""
        return await self._arun(self._first_op())

    async def last(self) -> R | None:
        """The last object, or None (see `QuerySet.last()`)."""
        return await self._arun(self._last_op())

    async def exists(self) -> bool:
        """Whether anything matches (one object is fetched)."""
        return await self._arun(self._exists())

    async def get(self, **lookups: Any) -> R:
        """The one object matching; `DoesNotExist` or `MultipleObjectsReturned` otherwise."""
        return await self._arun(self._get_op(lookups))

    async def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, R]:
        """`{key: object}` for the given keys (see `QuerySet.in_bulk()`)."""
        return await self._arun(self._in_bulk_op(id_list, field_name))

    async def delete(self, *, confirm: bool | Literal["all"] = False) -> int | None:
        """The list-level DELETE of `QuerySet.delete()`, with the same guards (a filter
        matching every row of the resource needs `confirm="all"`)."""
        return await self._arun(self._checked_delete(confirm))

    async def update(self, **fields: Any) -> BulkResult:
        """Set `fields` on every match and save them (see `QuerySet.update()`)."""
        return await self._arun(queryset_update_op(self, fields))

    async def get_or_create(
        self,
        defaults: dict[str, Any] | None = None,
        *,
        check_required: bool = True,
        extra: dict[str, Any] | None = None,
        **lookups: Any,
    ) -> tuple[R, bool]:
        """`(object, created)`, looking within this QuerySet's filters."""
        return await self._arun(
            get_or_create_op(self._model, lookups, defaults, False, extra, check_required, self)
        )

    async def update_or_create(
        self,
        defaults: dict[str, Any] | None = None,
        *,
        check_required: bool = True,
        extra: dict[str, Any] | None = None,
        **lookups: Any,
    ) -> tuple[R, bool]:
        """`(object, created)`: as `get_or_create()`, saving `defaults` on a found one."""
        return await self._arun(
            get_or_create_op(self._model, lookups, defaults, True, extra, check_required, self)
        )

    def values(self, *names: str) -> AsyncValuesQuerySet:
        """Raw values as dicts (see `QuerySet.values()`): `async for`, answers awaited."""
        return AsyncValuesQuerySet(self._model, self._q, self._values_rows(names))

    def values_list(self, *names: str, flat: bool = False) -> AsyncValuesQuerySet:
        """Raw values as tuples (see `QuerySet.values_list()`); answers awaited."""
        return AsyncValuesQuerySet(self._model, self._q, self._values_list_rows(names, flat))

    async def to_pandas(self, *names: str) -> Any:
        """A typed DataFrame of every match (see `QuerySet.to_pandas()`), awaited."""
        source = cast(AsyncQuerySet[Any], self._frame_source(names))
        return self._frame(source, [row async for row in source])

    async def to_arrow(self, *names: str) -> Any:
        """`await qs.to_pandas()` as an Arrow table."""
        require("pyarrow", "arrow", "to_arrow()")
        return arrow_table(await self.to_pandas(*names))

    def _repr_html_(self) -> str:
        """A note, not rows: a display cannot wait for an AsyncClient's answer."""
        return no_waiting_html(self)


class ValuesQuerySet(QuerySet[Any]):
    """A QuerySet that yields raw values (dicts, tuples or single values) instead of
    instances: what the server sent, read without building objects. Filters, ordering,
    slicing, `first()`, `last()`, `get()` and `count()` work as on any QuerySet; its
    rows (query/rows.ValueRows) hold the shape."""

    def __init__(self, model: Any, query: _Query | None = None, rows: Rows | None = None):
        super().__init__(model, query, rows or _every_field(model))


class AsyncValuesQuerySet(AsyncQuerySet[Any]):
    """`ValuesQuerySet` for an `AsyncClient`: `async for row in qs.values("id")`,
    `await qs.values("id").count()`."""

    def __init__(self, model: Any, query: _Query | None = None, rows: Rows | None = None):
        super().__init__(model, query, rows or _every_field(model))


def _every_field(model: Any) -> ValueRows:
    """The rows of a values QuerySet made without a shape: dicts of every field."""
    return ValueRows(_Shape("dict", tuple(model._schema.fields), every=True))


def queryset_for(
    model: Any, query: _Query | None = None, rows: Rows = OBJECT_ROWS
) -> QuerySet[Any]:
    """A QuerySet over `model` of its client's kind: an `AsyncQuerySet` for an
    `AsyncClient`'s classes, a `QuerySet` for a `Client`'s. (Typed as the sync one for
    the callers that only build on it or run its operations, either kind alike.)"""
    kind = AsyncQuerySet if model._session.is_async else QuerySet
    return cast("QuerySet[Any]", kind(model, query, rows))
