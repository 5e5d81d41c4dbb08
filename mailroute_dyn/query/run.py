"""How a QuerySet runs: its requests as operations (see operations.py), the walk over
every page (sync and async iteration) and the answers of one request or a few: `count()`,
`first()`, `exists()`, `get()` and indexing.

Pages are followed through `meta.next` (resolved against the request URL, whatever the
parameter order), one page in memory at a time, and objects are deduplicated by
`resource_uri` (Tastypie repeats rows joined through to_many relations).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator
from itertools import chain
from typing import Any, Self, TypeVar, cast, overload

from ..errors import DoesNotExist, MailRouteError, MultipleObjectsReturned, ResponseError
from ..operations import Answer, Batch, Call, Operation
from ..schema.rules import check_method
from .build import QueryBuilder
from .paging import Page, _Walk, read_page

__all__ = ["QueryRunner", "GET_SCAN_PAGES"]

GET_SCAN_PAGES = 10      # pages get() reads past rows a join repeats

R = TypeVar("R")        # what a QuerySet yields: objects of one resource class
T = TypeVar("T")


class QueryRunner(QueryBuilder[R]):
    """The running half of a QuerySet: what is sent for it, and what the answers give."""

    def _run(self, op: Operation[T]) -> T:
        """Run an operation on the client's session: its value (a sync client's)."""
        return cast(T, self._model._registry_run(op))

    def _arun(self, op: Operation[T]) -> Awaitable[T]:
        """Run an operation on the client's session: an awaitable (an async client's)."""
        return cast("Awaitable[T]", self._model._registry_run(op))

    @overload
    def __getitem__(self, key: int) -> R: ...
    @overload
    def __getitem__(self, key: slice) -> Self: ...

    def __getitem__(self, key: int | slice) -> R | Self:
        if isinstance(key, slice):
            return self._sliced(key)
        return self._run(self._index_op(key))

    def _index_op(self, key: Any) -> Operation[R]:
        if not isinstance(key, int) or key < 0:
            raise TypeError("QuerySet indices must be non-negative integers or slices")
        return self._one_at(key)

    # -- what is run

    def _prepare(self) -> Operation[None]:
        if self._q.url is None:
            check_method(self._model._schema, "get", detail=False)
        yield from self._model._finish_filters(self._q.filters, self._q.raw_params)

    def _fetch(self, call: Call) -> Operation[tuple[Page, list[Any]]]:
        answer: Answer = yield call
        page = read_page(answer)
        objects = yield from self._wrap_page(page.objects)
        return page, objects

    def _wrap_page(self, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        """What a page's raw objects become: instances of the model (values() keeps rows)."""
        objects_: list[Any] = yield from self._model._wrap_page(objects)
        return objects_

    def _one_at(self, index: int) -> Operation[Any]:
        yield from self._prepare()
        page, objects = yield from self._fetch(self._first_call(limit=1,
                                                                offset=self._q.start + index))
        if not objects or (self._q.stop is not None and self._q.start + index >= self._q.stop):
            raise IndexError("QuerySet index out of range")
        return objects[0]

    def _fetch_all(self, calls: list[Call]) -> Operation[list[tuple[Page, list[Any]]]]:
        if len(calls) == 1:
            return [(yield from self._fetch(calls[0]))]
        replies = yield Batch(tuple(calls))
        pages = []
        for reply in replies:
            if isinstance(reply, MailRouteError):
                raise reply
            page = read_page(reply)
            pages.append((page, (yield from self._wrap_page(page.objects))))
        return pages

    def _fetch_walk(self, walk: _Walk,
                    calls: list[Call]) -> Operation[list[tuple[Page, list[Any]]]]:
        """`_fetch_all` for a walk, which may ask something else when a request it added
        itself fails (see `_Walk.instead_of_failed`)."""
        try:
            return (yield from self._fetch_all(calls))
        except MailRouteError as exc:
            instead = walk.instead_of_failed(calls, exc)
            if instead is None:
                raise
        return (yield from self._fetch_all(instead))

    def _walk(self) -> _Walk:
        default = self._model._registry_settings().concurrency if self._model._is_async() else 1
        return _Walk(self, self._q.concurrency or default)

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
        if self._model._is_async():
            raise TypeError("This QuerySet belongs to an AsyncClient: use 'async for'.")
        run = self._model._registry_run
        run(self._prepare())
        walk = self._walk()
        while True:
            calls = walk.first_calls()
            while calls:
                pages = run(self._fetch_walk(walk, calls))
                for page, objects in pages:
                    yield walk.take(page, objects)
                calls = walk.next_calls(pages)
            if walk.streaming:
                stream = self._model._registry_stream(
                    (self._fetch(c) for c in walk.planned()), walk.concurrency)
                try:
                    for page, objects in stream:
                        yield walk.take(page, objects)
                        if walk.done or walk.exhausted:
                            break
                finally:
                    stream.close()
            if not walk.again():
                return

    async def __aiter__(self) -> AsyncIterator[R]:
        if not self._model._is_async():
            raise TypeError("This QuerySet belongs to a Client: use a plain 'for'.")
        run = self._model._registry_run
        await run(self._prepare())
        walk = self._walk()
        while True:
            calls = walk.first_calls()
            while calls:
                pages = await run(self._fetch_walk(walk, calls))
                for page, objects in pages:
                    for obj in walk.take(page, objects):
                        yield obj
                calls = walk.next_calls(pages)
            if walk.streaming:
                stream = self._model._registry_stream(
                    (self._fetch(c) for c in walk.planned()), walk.concurrency)
                try:
                    async for page, objects in stream:
                        for obj in walk.take(page, objects):
                            yield obj
                        if walk.done or walk.exhausted:
                            break
                finally:
                    await stream.aclose()
            if not walk.again():
                return

    # -- answers

    def _total(self) -> Operation[int]:
        """How many rows the listing holds before any slice, from one limit=1 request
        (without `total_count`: the rows that page shows)."""
        yield from self._prepare()
        answer: Answer = yield self._first_call(limit=1, offset=0)
        page = read_page(answer)
        return page.total_count if page.total_count is not None else len(page.objects)

    def _count(self) -> Operation[int]:
        return self._window((yield from self._total()))

    def _window(self, total: int) -> int:
        """How many of a listing's `total` rows this QuerySet's slice covers."""
        rows = max(0, total - self._q.start)
        return rows if self._q.stop is None else min(rows, self._q.stop - self._q.start)

    def count(self) -> int:
        """How many objects match, from `meta.total_count`, without fetching them."""
        return self._run(self._count())

    def _first(self) -> Operation[R | None]:
        yield from self._prepare()
        page, objects = yield from self._fetch(self._first_call(limit=1))
        return objects[0] if objects else None

    def first(self) -> R | None:
        """The first object, or None."""
        return self._run(self._first())

    def _exists(self) -> Operation[bool]:
        return (yield from QueryRunner._first(self)) is not None

    def exists(self) -> bool:
        """Whether anything matches (one object is fetched)."""
        return self._run(self._exists())

    def _get(self) -> Operation[Any]:
        yield from self._prepare()
        page, objects = yield from self._fetch(self._first_call(limit=2))
        unique = _dedupe(objects)
        rows = len(page.objects)
        size = self._q.page_size or self._model._page_size()
        stale = 0
        # Tastypie repeats an object once per row of a to-many join ([3, 3, 3, 4]): one
        # distinct object in the first rows proves nothing while more rows follow
        while len(unique) == 1 and page.objects and (
                page.next_url is not None if page.total_count is None
                else rows < page.total_count):
            offset = self._q.start + rows
            if self._q.stop is not None and offset >= self._q.stop:
                break
            page, objects = yield from self._fetch(self._first_call(limit=size, offset=offset))
            if page.objects and page.offset != offset:
                raise ResponseError(
                    f"GET {self._model._list_url}: asked for offset {offset}, the server "
                    f"answered offset {page.offset}; it does not page as it says.")
            rows += len(page.objects)
            unique = _dedupe(unique + objects)
            stale += 1
            if len(unique) == 1 and stale >= GET_SCAN_PAGES:
                raise ResponseError(
                    f"GET {self._model._list_url}: {stale} pages repeat one "
                    f"{self._model._schema.name} for {self!r}; stopping before the "
                    f"{page.total_count} rows the server counts.")
        if not unique:
            raise DoesNotExist.nothing_matched(self._model._list_url, self._nothing_matched())
        if len(unique) > 1:
            total = page.total_count if page.total_count is not None else len(unique)
            raise MultipleObjectsReturned(
                f"get() found {total} {self._model._schema.name} rows, more than one "
                f"object, for {self!r}")
        return unique[0]

    def get(self, **lookups: Any) -> R:
        """The one object matching; `DoesNotExist` or `MultipleObjectsReturned` otherwise."""
        return self._run(self._get_op(lookups))

    def _get_op(self, lookups: dict[str, Any]) -> Operation[R]:
        qs = self.filter(**lookups) if lookups else self
        return qs._get()

    def _collect(self) -> Operation[list[Any]]:
        """Every match, walked one page at a time inside one operation (both clients)."""
        yield from self._prepare()
        walk = _Walk(self, 1)
        found: list[Any] = []
        while True:                     # passes, as in iteration: a change is completed
            calls = walk.first_calls()
            while calls:
                pages = yield from self._fetch_walk(walk, calls)
                for page, objects in pages:
                    found.extend(walk.take(page, objects))
                calls = walk.next_calls(pages)
            if not walk.again():
                return found


    def _emit(self, obj: Any) -> Any:
        """What the caller gets for one walked object (values() gives raw values)."""
        return obj



def _dedupe(objects: list[Any]) -> list[Any]:
    seen: set[str] = set()
    kept = []
    for obj in objects:
        uri = getattr(obj, "resource_uri", None)
        if isinstance(uri, str):
            if uri in seen:
                continue
            seen.add(uri)
        kept.append(obj)
    return kept

