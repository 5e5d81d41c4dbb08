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
    MailRouteError,
    MultipleObjectsReturned,
    ResponseError,
)
from .http import Answer, Batch, Call, Operation
from .schema import FilterCheck, ResourceSchema, allowed_terms, check_method
from .values import encode_filter_value

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
    def _registry_settings(cls) -> Any: ...
    @classmethod
    def _registry_stream(cls, ops: Any, window: int) -> Any: ...
    @classmethod
    def _check_filter(cls, lookup: str, value: Any) -> FilterCheck: ...
    @classmethod
    def _check_order(cls, key: str) -> str: ...
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


def collection_name(body: Any) -> str | None:
    """The key holding a list answer's objects: `objects`, or the one other list beside
    `meta` (a resource's `Meta.collection_name`)."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("objects"), list):
        return "objects"
    lists = [k for k, v in body.items() if k != "meta" and isinstance(v, list)]
    return lists[0] if len(lists) == 1 else None


def read_page(answer: Answer) -> Page:
    """A `Page` from a list answer; `ResponseError` when it is not a Tastypie list."""
    body = answer.body
    if isinstance(body, list):          # a bare list: take it as the only page
        body = {"objects": body}
    objects = body.get(collection_name(body) or "objects") if isinstance(body, dict) else None
    if not isinstance(objects, list):
        raise ResponseError(f"GET {answer.url}: expected a list with 'objects', got "
                            f"{type(body).__name__}")
    for item in objects:
        if not isinstance(item, dict):
            raise ResponseError(f"GET {answer.url}: a list item is not an object: {item!r:.80}")
    meta: dict[str, Any] = body["meta"] if isinstance(body.get("meta"), dict) else {}
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
    concurrency: int | None = None              # pages in flight; None: 1 sync, N async


class QuerySet:
    """A lazy, immutable query. Every method returns a new QuerySet or sends requests."""

    def __init__(self, model: Any, query: _Query | None = None):
        # `model` is a resource class: anything with the `Model` protocol above
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
        """This QuerySet (for Django-style chains)."""
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
            self._model._check_order(key)
        return self._clone(order=tuple(keys))

    def page_size(self, size: int) -> QuerySet:
        """Objects asked for per request (the server may cap it; pages follow `meta`)."""
        if not isinstance(size, int) or size < 1:
            raise ValueError("page_size must be a positive integer")
        return self._clone(page_size=size)

    def concurrently(self, pages: int | None = None) -> QuerySet:
        """Fetch pages `pages` at a time (default: the client's `concurrency`) once the
        first page tells the total. Objects still come in order, each once. Async clients
        do this by default; `concurrently(1)` walks one page at a time."""
        pages = pages or self._model._registry_settings().concurrency
        if not isinstance(pages, int) or pages < 1:
            raise ValueError("concurrently() takes a positive number of pages")
        return self._clone(concurrency=pages)

    def _keyset_field(self) -> tuple[str, bool] | None:
        """(field, descending) when pages can be walked by key instead of offset: a unique
        integer or string field that is orderable and filterable with gt/lt, so rows
        inserted or deleted during the walk shift nothing."""
        if self._q.url is not None:
            return None
        schema = self._model._schema
        if len(self._q.order) > 1:
            return None
        candidates = [schema.primary_key] + sorted(schema.fields)
        for name in candidates:
            f = schema.fields.get(name)
            if (f is None or not f.unique or f.nullable or f.type not in ("integer", "string")
                    or name not in schema.ordering):
                continue                # (gt never matches NULL: such rows would be lost)
            terms = allowed_terms(schema, f)
            if not {"gt", "lt"} <= terms:
                continue
            if any(c.param.split("__")[0] == name for c in self._q.filters):
                continue
            if self._q.order:
                key = self._q.order[0]
                if key.lstrip("-") != name:
                    continue
                return name, key.startswith("-")
            return name, False
        return None

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
            params += [(name, _plain_value(v)) for v in values]
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

    def _fetch_all(self, calls: list[Call]) -> Operation[list[tuple[Page, list[Any]]]]:
        if len(calls) == 1:
            return [(yield from self._fetch(calls[0]))]
        replies = yield Batch(tuple(calls))
        pages = []
        for reply in replies:
            if isinstance(reply, MailRouteError):
                raise reply
            page = read_page(reply)
            pages.append((page, (yield from self._model._wrap_page(page.objects))))
        return pages

    def _walk(self) -> _Walk:
        default = self._model._registry_settings().concurrency if self._model._is_async() else 1
        return _Walk(self, self._q.concurrency or default)

    def __iter__(self) -> Iterator[Any]:
        if self._model._is_async():
            raise TypeError("This QuerySet belongs to an AsyncClient: use 'async for'.")
        run = self._model._registry_run
        run(self._prepare())
        walk = self._walk()
        calls = walk.first_calls()
        while calls and not walk.streaming:
            pages = run(self._fetch_all(calls))
            for _page, objects in pages:
                yield from walk.take(objects)
            calls = walk.next_calls(pages)
        if calls:
            stream = self._model._registry_stream((self._fetch(c) for c in calls),
                                                  walk.concurrency)
            for _page, objects in stream:
                yield from walk.take(objects)
                if walk.done:
                    stream.close()
                    return

    async def __aiter__(self) -> AsyncIterator[Any]:
        if not self._model._is_async():
            raise TypeError("This QuerySet belongs to a Client: use a plain 'for'.")
        run = self._model._registry_run
        await run(self._prepare())
        walk = self._walk()
        calls = walk.first_calls()
        while calls and not walk.streaming:
            pages = await run(self._fetch_all(calls))
            for _page, objects in pages:
                for obj in walk.take(objects):
                    yield obj
            calls = walk.next_calls(pages)
        if calls:
            stream = self._model._registry_stream((self._fetch(c) for c in calls),
                                                  walk.concurrency)
            try:
                async for _page, objects in stream:
                    for obj in walk.take(objects):
                        yield obj
                    if walk.done:
                        return
            finally:
                await stream.aclose()

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
        """Whether anything matches (one object is fetched)."""
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


def _in_key_order(keys: list[Any], descending: bool) -> bool:
    """Whether a page came sorted by its key, as a database may sort it (strings with or
    without case)."""
    if any(k is None for k in keys):
        return False
    forms = [keys]
    if all(isinstance(k, str) for k in keys):
        forms.append([k.casefold() for k in keys])
    try:
        return any(all((a >= b) if descending else (a <= b) for a, b in zip(f, f[1:], strict=False))
                   for f in forms)
    except TypeError:
        return False


def _plain_value(value: Any) -> str:
    return encode_filter_value("exact", value)


class _Walk:
    """Where one iteration stands: what was seen, how many are left, which pages next.

    Three ways to walk: by key (`field__gt=<last>`, safe against inserts and deletes
    during the walk), by offsets fetched concurrently once the first page gives the total,
    or by following `meta.next` (anything else, including lists of unknown shape).
    """

    def __init__(self, qs: QuerySet, concurrency: int):
        self.qs = qs
        self.concurrency = concurrency
        self.left = None if qs._q.stop is None else qs._q.stop - qs._q.start
        self.seen: set[str] = set()
        self.keyset = qs._keyset_field() if concurrency <= 1 else None
        self.streaming = False          # offsets known: the rest goes to a sliding window
        self.last_raw: Any = None
        self.visited: set[str] = set()
        self.fresh = 0                  # objects the latest pages brought that were new
        first = qs._first_call()
        if self.keyset and not qs._q.order:
            first = Call(first.method, first.url, _with(first.params, "order_by",
                                                        self.keyset[0]))
        self.first = first

    def first_calls(self) -> list[Call]:
        return [self.first]

    @property
    def done(self) -> bool:
        return self.left is not None and self.left <= 0

    def take(self, objects: list[Any]) -> Iterator[Any]:
        if self.keyset and objects:     # only the page's last key matters for the next one
            if _in_key_order([o.get_raw(self.keyset[0]) for o in objects], self.keyset[1]):
                self.last_raw = objects[-1].get_raw(self.keyset[0])
                # the next page starts strictly after this key, so a row repeated by a join
                # can only repeat within this page: remembering one page keeps memory flat
                self.seen = set()
            else:
                # the server did not sort by the key: "after the last key" would skip rows,
                # so the rest of the walk follows meta.next (offsets within this filter)
                self.keyset = None
        seen = self.seen
        for obj in objects:
            if self.left is not None and self.left <= 0:
                return
            uri = obj.resource_uri
            if uri is not None:
                if uri in seen:
                    continue
                seen.add(uri)
            self.fresh += 1
            if self.left is not None:
                self.left -= 1
            yield obj

    def next_calls(self, pages: list[tuple[Page, list[Any]]]) -> list[Call]:
        last = pages[-1][0]
        if (self.left is not None and self.left <= 0) or not last.objects:
            return []
        if self.concurrency > 1 and last.total_count is not None:
            size = last.limit or len(last.objects)
            end = last.total_count
            if self.left is not None:
                end = min(end, last.offset + len(last.objects) + self.left)
            self.streaming = True
            return [Call("GET", self.first.url, _with(self.first.params, "offset", str(o)))
                    for o in range(last.offset + size, end, size)]
        if not last.next_url:
            return []
        fresh, self.fresh = self.fresh, 0
        if self.keyset and self.last_raw is not None:
            if not fresh:
                raise ResponseError(
                    f"GET {self.first.url}: the server answered a key-ordered page with "
                    "nothing new; it does not seem to honour the filter. Stopping here.")
            name, descending = self.keyset
            params = _with(self.first.params, "offset", "0")
            params += ((f"{name}__{'lt' if descending else 'gt'}", _plain_value(self.last_raw)),)
            return [Call("GET", self.first.url, params)]
        if last.next_url in self.visited:
            raise ResponseError(f"The list at {self.first.url} links back to a page it "
                                "already gave (meta.next loops); stopping.")
        self.visited.add(last.next_url)
        return [Call("GET", last.next_url)]


def _with(params: tuple[tuple[str, str], ...], name: str,
          value: str) -> tuple[tuple[str, str], ...]:
    """`params` with `name` set to `value` (replacing it, or added before limit/offset)."""
    if any(k == name for k, _ in params):
        return tuple((k, value if k == name else v) for k, v in params)
    head = tuple(p for p in params if p[0] not in ("limit", "offset"))
    tail = tuple(p for p in params if p[0] in ("limit", "offset"))
    return head + ((name, value),) + tail
