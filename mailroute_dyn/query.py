"""QuerySet: Django's lazy, immutable query surface over a Tastypie list endpoint.

A QuerySet holds checked filters, orderings and a slice; nothing is sent until it is
iterated, counted or asked for an object. Pages are followed through `meta.next` (resolved
against the request URL, whatever the parameter order), one page in memory at a time, and
objects are deduplicated by `resource_uri` (Tastypie repeats rows joined through to_many
relations). The class it yields (the *model*) comes from `resources.py`; this module only
relies on the small protocol below, so it does not import what comes after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import parse_qsl, urljoin, urlsplit

from .errors import (
    DoesNotExist,
    FilterError,
    GuardError,
    MultipleObjectsReturned,
    ResponseError,
)
from .http import Answer, Call, Operation
from .schema import FilterCheck, ResourceSchema, check_method, check_ordering

__all__ = ["QuerySet", "Page", "read_page"]

RESERVED_PARAMS = frozenset({"limit", "offset", "order_by", "format", "username", "api_key"})


class Model(Protocol):
    """What a QuerySet needs from the class it yields (see resources.Resource)."""

    resource_name: str
    _schema: ResourceSchema
    _list_url: str

    @classmethod
    def _registry_run(cls, op: Operation[Any]) -> Any: ...
    @classmethod
    def _is_async(cls) -> bool: ...
    @classmethod
    def _page_size(cls) -> int: ...
    @classmethod
    def _check_filter(cls, lookup: str, value: Any) -> FilterCheck: ...
    @classmethod
    def _finish_filters(cls, checks: tuple[FilterCheck, ...],
                        raw: tuple[tuple[str, Any], ...]) -> Operation[None]: ...
    @classmethod
    def _wrap_page(cls, objects: list[dict[str, Any]]) -> Operation[list[Any]]: ...


@dataclass(frozen=True, slots=True)
class Page:
    """One list answer: the raw objects and where the next page is."""

    objects: list[dict[str, Any]]
    next_url: str | None
    total_count: int | None
    limit: int | None
    offset: int


def read_page(answer: Answer) -> Page:
    """A `Page` from a list answer; `ResponseError` when it is not a Tastypie list."""
    body = answer.body
    if isinstance(body, list):          # a bare list: take it as the only page
        body = {"objects": body}
    if not isinstance(body, dict) or not isinstance(body.get("objects"), list):
        raise ResponseError(f"GET {answer.url}: expected a list with 'objects', got "
                            f"{type(body).__name__}")
    objects = body["objects"]
    for item in objects:
        if not isinstance(item, dict):
            raise ResponseError(f"GET {answer.url}: a list item is not an object: {item!r:.80}")
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    nxt = meta.get("next")
    next_url = urljoin(answer.url, nxt) if isinstance(nxt, str) and nxt else None

    def number(key: str) -> int | None:
        value = meta.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    total = number("total_count")
    return Page(objects, next_url, total, number("limit"), number("offset") or 0)


@dataclass(frozen=True)
class _Query:
    filters: tuple[FilterCheck, ...] = ()
    raw_params: tuple[tuple[str, Any], ...] = ()
    order: tuple[str, ...] = ()
    start: int = 0
    stop: int | None = None
    page_size: int | None = None
    url: str | None = None                      # client.list(uri): a list URL of its own


class QuerySet:
    """A lazy, immutable query. Every method returns a new QuerySet or sends requests."""

    def __init__(self, model: type[Model], query: _Query | None = None):
        self._model = model
        self._q = query or _Query()

    def _clone(self, **changes: Any) -> QuerySet:
        return QuerySet(self._model, replace(self._q, **changes))

    def __repr__(self) -> str:
        parts = [f"{c.param}={c.value!r}" for c in self._q.filters]
        parts += [f"{k}={v!r}" for k, v in self._q.raw_params]
        if self._q.order:
            parts.append(f"order_by={list(self._q.order)}")
        if self._q.start or self._q.stop is not None:
            parts.append(f"[{self._q.start}:{'' if self._q.stop is None else self._q.stop}]")
        return f"<QuerySet {self._model.resource_name} {' '.join(parts)}>".replace(" >", ">")

    # -- building

    def all(self) -> QuerySet:
        return self

    def filter(self, **lookups: Any) -> QuerySet:
        """Narrow by `field[__relation…][__term]=value`, checked against the schema now."""
        checks = tuple(self._model._check_filter(k, v) for k, v in lookups.items())
        return self._clone(filters=self._q.filters + checks)

    def unchecked(self, **params: Any) -> QuerySet:
        """Parameters the schema does not describe (MailRoute's `q`, natural-key filters),
        sent as given. The server ignores names it does not know, so check them yourself."""
        bad = RESERVED_PARAMS & params.keys()
        if bad:
            raise FilterError(f"{sorted(bad)} are set by the query itself (use slicing, "
                              "order_by() or page_size()).")
        return self._clone(raw_params=self._q.raw_params + tuple(params.items()))

    def order_by(self, *keys: str) -> QuerySet:
        """Order by fields the schema lists as orderable; `-name` for descending."""
        for key in keys:
            check_ordering(self._model._schema, key)
        return self._clone(order=tuple(keys))

    def page_size(self, size: int) -> QuerySet:
        """Objects asked for per request (the server may cap it; pages follow `meta`)."""
        if not isinstance(size, int) or size < 1:
            raise ValueError("page_size must be a positive integer")
        return self._clone(page_size=size)

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise ValueError("QuerySet slicing does not support a step")
            start, stop = key.start or 0, key.stop
            if start < 0 or (stop is not None and stop < 0):
                raise ValueError("QuerySet slicing does not support negative indices")
            new_start = self._q.start + start
            new_stop = self._q.stop if stop is None else self._q.start + stop
            if self._q.stop is not None and new_stop is not None:
                new_stop = min(new_stop, self._q.stop)
            if new_stop is not None:
                new_stop = max(new_stop, new_start)
            return self._clone(start=new_start, stop=new_stop)
        if not isinstance(key, int) or key < 0:
            raise TypeError("QuerySet indices must be non-negative integers or slices")
        return self._model._registry_run(self._one_at(key))

    # -- what is sent

    def _params(self, limit: int, offset: int) -> tuple[tuple[str, str], ...]:
        params = [(c.param, c.value) for c in self._q.filters]
        for name, value in self._q.raw_params:
            values = value if isinstance(value, list | tuple) else [value]
            params += [(name, _plain(v)) for v in values]
        params += [("order_by", key) for key in self._q.order]
        params += [("limit", str(limit)), ("offset", str(offset))]
        return tuple(params)

    def _first_call(self, limit: int | None = None, offset: int | None = None) -> Call:
        size = self._q.page_size or self._model._page_size()
        if self._q.stop is not None:
            size = max(1, min(size, self._q.stop - self._q.start))
        size = limit if limit is not None else size
        start = self._q.start if offset is None else offset
        if self._q.url is None:
            return Call("GET", self._model._list_url, self._params(size, start))
        parts = urlsplit(self._q.url)
        own = tuple((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                    if k not in ("limit", "offset"))
        path = parts._replace(query="").geturl()
        return Call("GET", path, own + self._params(size, start))

    def _prepare(self) -> Operation[None]:
        if self._q.url is None:
            check_method(self._model._schema, "get", detail=False)
        yield from self._model._finish_filters(self._q.filters, self._q.raw_params)

    def _fetch(self, call: Call) -> Operation[tuple[Page, list[Any]]]:
        answer: Answer = yield call
        page = read_page(answer)
        objects = yield from self._model._wrap_page(page.objects)
        return page, objects

    def _one_at(self, index: int) -> Operation[Any]:
        yield from self._prepare()
        page, objects = yield from self._fetch(self._first_call(limit=1,
                                                                offset=self._q.start + index))
        if not objects or (self._q.stop is not None and self._q.start + index >= self._q.stop):
            raise IndexError("QuerySet index out of range")
        return objects[0]

    def __iter__(self) -> Iterator[Any]:
        if self._model._is_async():
            raise TypeError("This QuerySet belongs to an AsyncClient: use 'async for'.")
        run = self._model._registry_run
        run(self._prepare())
        walk = _Walk(self)
        call: Call | None = walk.first
        while call is not None:
            page, objects = run(self._fetch(call))
            yield from walk.take(objects)
            call = walk.next_call(page)

    async def __aiter__(self) -> AsyncIterator[Any]:
        if not self._model._is_async():
            raise TypeError("This QuerySet belongs to a Client: use a plain 'for'.")
        run = self._model._registry_run
        await run(self._prepare())
        walk = _Walk(self)
        call: Call | None = walk.first
        while call is not None:
            page, objects = await run(self._fetch(call))
            for obj in walk.take(objects):
                yield obj
            call = walk.next_call(page)

    # -- answers

    def _count(self) -> Operation[int]:
        yield from self._prepare()
        answer: Answer = yield self._first_call(limit=1, offset=0)
        page = read_page(answer)
        total = page.total_count if page.total_count is not None else len(page.objects)
        total = max(0, total - self._q.start)
        return total if self._q.stop is None else min(total, self._q.stop - self._q.start)

    def count(self) -> Any:
        """How many objects match, from `meta.total_count`, without fetching them."""
        return self._model._registry_run(self._count())

    def _first(self) -> Operation[Any]:
        yield from self._prepare()
        page, objects = yield from self._fetch(self._first_call(limit=1))
        return objects[0] if objects else None

    def first(self) -> Any:
        """The first object, or None."""
        return self._model._registry_run(self._first())

    def _exists(self) -> Operation[bool]:
        return (yield from self._first()) is not None

    def exists(self) -> Any:
        return self._model._registry_run(self._exists())

    def _get(self) -> Operation[Any]:
        yield from self._prepare()
        page, objects = yield from self._fetch(self._first_call(limit=2))
        unique = {id(o): o for o in _dedupe(objects)}
        if not unique:
            raise DoesNotExist(404, "GET", self._model._list_url, None,
                               f"no {self._model.resource_name} matches {self!r}")
        if len(unique) > 1:
            total = page.total_count if page.total_count is not None else len(unique)
            raise MultipleObjectsReturned(
                f"get() found {total} {self._model.resource_name} objects for {self!r}")
        return next(iter(unique.values()))

    def get(self, **lookups: Any) -> Any:
        """The one object matching; `DoesNotExist` or `MultipleObjectsReturned` otherwise."""
        qs = self.filter(**lookups) if lookups else self
        return self._model._registry_run(qs._get())

    def _delete(self) -> Operation[None]:
        check_method(self._model._schema, "delete", detail=False)
        yield from self._prepare()
        params = self._params(0, 0)[:-2]
        yield Call("DELETE", self._model._list_url, params)

    def delete(self, *, confirm: bool = False) -> Any:
        """Delete every matching object in one list-level DELETE.

        Tastypie deletes all rows when no filter is given, so at least one checked filter
        and `confirm=True` are required; otherwise nothing is sent.
        """
        if not self._q.filters:
            raise GuardError(
                "Refusing a list-level DELETE without a filter: Tastypie would delete every "
                f"{self._model.resource_name}. Add a filter() (unchecked() does not count).")
        if not confirm:
            raise GuardError("A list-level DELETE needs confirm=True; nothing was sent.")
        if self._q.start or self._q.stop is not None or self._q.order:
            raise GuardError("A list-level DELETE ignores slicing and ordering; refusing a "
                             "sliced or ordered QuerySet so no more is deleted than was meant.")
        return self._model._registry_run(self._delete())


def _plain(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "None"
    return str(value)


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


class _Walk:
    """Position of one iteration: what was seen, how many are left, the next call."""

    def __init__(self, qs: QuerySet):
        self.qs = qs
        self.first = qs._first_call()
        self.left = None if qs._q.stop is None else qs._q.stop - qs._q.start
        self.seen: set[str] = set()
        self.calls = 1

    def take(self, objects: list[Any]) -> Iterator[Any]:
        for obj in objects:
            if self.left is not None and self.left <= 0:
                return
            uri = getattr(obj, "resource_uri", None)
            if isinstance(uri, str):
                if uri in self.seen:
                    continue
                self.seen.add(uri)
            if self.left is not None:
                self.left -= 1
            yield obj

    def next_call(self, page: Page) -> Call | None:
        if (self.left is not None and self.left <= 0) or not page.next_url or not page.objects:
            return None
        self.calls += 1
        return Call("GET", page.next_url)

