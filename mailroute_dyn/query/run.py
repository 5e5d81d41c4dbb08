"""How a QuerySet runs: its requests as operations (see operations.py), the pages of a
walk and the answers of one request or a few: `count()`, `first()`, `exists()`, `get()`
and indexing. The sync and the async QuerySet (query.py) drive these operations.

Pages are followed through `meta.next` (resolved against the request URL, whatever the
parameter order), one page in memory at a time, and objects are deduplicated by
`resource_uri` (Tastypie repeats rows joined through to_many relations).
"""

from __future__ import annotations

from typing import Any, TypeVar

from ..errors import DoesNotExist, MailRouteError, MultipleObjectsReturned, ResponseError
from ..operations import Answer, Batch, Call, Operation
from ..schema.rules import check_method
from .build import QueryBuilder
from .checks import finish_filters_op
from .paging import Page, read_page
from .walk import Walk

__all__ = ["QueryRunner", "GET_SCAN_PAGES"]

GET_SCAN_PAGES = 10  # pages get() reads past rows a join repeats

R = TypeVar("R")  # what a QuerySet yields: objects of one resource class


class QueryRunner(QueryBuilder[R]):
    """The running half of a QuerySet: what is sent for it, and what the answers give,
    as operations. The sync and the async QuerySet (query.py) only drive them."""

    def _index_op(self, key: Any) -> Operation[R]:
        if not isinstance(key, int) or key < 0:
            raise TypeError("QuerySet indices must be non-negative integers or slices")
        return self._emitted(self._one_at(key))

    def _emitted(self, op: Operation[Any]) -> Operation[Any]:
        """`op`, its row turned into what the caller gets (values() gives raw values)."""
        return self._emit((yield from op))

    # -- what is run

    def _prepare(self) -> Operation[None]:
        if self._q.url is None:
            check_method(self._model._schema, "get", detail=False)
        yield from finish_filters_op(self._model, self._q.filters)

    def _fetch(self, call: Call) -> Operation[tuple[Page, list[Any]]]:
        answer: Answer = yield call
        page = read_page(answer)
        objects = yield from self._wrap_page(page.objects)
        return page, objects

    def _wrap_page(self, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        """What a page's raw objects become: the rows of this QuerySet (rows.py)."""
        rows: list[Any] = yield from self._rows.wrap(self._model, objects)
        return rows

    def _one_at(self, index: int) -> Operation[Any]:
        yield from self._prepare()
        page, objects = yield from self._fetch(
            self._first_call(limit=1, offset=self._q.start + index)
        )
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

    def _fetch_walk(self, walk: Walk, calls: list[Call]) -> Operation[list[tuple[Page, list[Any]]]]:
        """`_fetch_all` for a walk, which may ask something else when a request it added
        itself fails (see `Walk.instead_of_failed`)."""
        try:
            return (yield from self._fetch_all(calls))
        except MailRouteError as exc:
            instead = walk.instead_of_failed(calls, exc)
            if instead is None:
                raise
        return (yield from self._fetch_all(instead))

    def _walk(self) -> Walk:
        default = self._session.settings.concurrency if self._session.is_async else 1
        return Walk(self, self._q.concurrency or default)

    def _shaped(self, taken: list[Any]) -> list[Any]:
        """What the caller gets for one page's walked rows (values() gives raw values)."""
        if not self._rows.emits:
            return taken
        emit = self._rows.emit
        return [emit(row) for row in taken]

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

    def _first(self) -> Operation[R | None]:
        yield from self._prepare()
        page, objects = yield from self._fetch(self._first_call(limit=1))
        return objects[0] if objects else None

    def _first_op(self) -> Operation[R | None]:
        row = yield from self._first()
        return None if row is None else self._emit(row)

    def _exists(self) -> Operation[bool]:
        return (yield from self._first()) is not None

    def _get(self) -> Operation[Any]:
        yield from self._prepare()
        page, objects = yield from self._fetch(self._first_call(limit=2))
        unique = _dedupe(objects)
        rows = len(page.objects)
        size = self._q.page_size or self._session.settings.page_size
        stale = 0
        # Tastypie repeats an object once per row of a to-many join ([3, 3, 3, 4]): one
        # distinct object in the first rows proves nothing while more rows follow
        while (
            len(unique) == 1
            and page.objects
            and (page.next_url is not None if page.total_count is None else rows < page.total_count)
        ):
            offset = self._q.start + rows
            if self._q.stop is not None and offset >= self._q.stop:
                break
            page, objects = yield from self._fetch(self._first_call(limit=size, offset=offset))
            if page.objects and page.offset != offset:
                raise ResponseError(
                    f"GET {self._model._list_url}: asked for offset {offset}, the server "
                    f"answered offset {page.offset}; it does not page as it says."
                )
            rows += len(page.objects)
            unique = _dedupe(unique + objects)
            stale += 1
            if len(unique) == 1 and stale >= GET_SCAN_PAGES:
                raise ResponseError(
                    f"GET {self._model._list_url}: {stale} pages repeat one "
                    f"{self._model._schema.name} for {self!r}; stopping before the "
                    f"{page.total_count} rows the server counts."
                )
        if not unique:
            raise DoesNotExist.nothing_matched(self._model._list_url, self._nothing_matched())
        if len(unique) > 1:
            total = page.total_count if page.total_count is not None else len(unique)
            raise MultipleObjectsReturned(
                f"get() found {total} {self._model._schema.name} rows, more than one "
                f"object, for {self!r}"
            )
        return unique[0]

    def _get_op(self, lookups: dict[str, Any]) -> Operation[R]:
        qs = self.filter(**lookups) if lookups else self  # (checked now, not when run)
        return qs._emitted(qs._get())

    def _collect(self) -> Operation[list[Any]]:
        """Every match, walked one page at a time inside one operation (both clients)."""
        yield from self._prepare()
        walk = Walk(self, 1)
        found: list[Any] = []
        while True:  # passes, as in iteration: a change is completed
            calls = walk.first_calls()
            while calls:
                pages = yield from self._fetch_walk(walk, calls)
                for page, objects in pages:
                    found.extend(walk.take(page, objects))
                calls = walk.next_calls(pages)
            if not walk.again():
                return found

    def _emit(self, row: Any) -> Any:
        """What the caller gets for one walked row (values() gives raw values)."""
        return self._rows.emit(row)


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
