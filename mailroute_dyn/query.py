"""QuerySet: Django's lazy, immutable query surface over a Tastypie list endpoint.

A QuerySet holds checked filters, orderings and a slice; nothing is sent until it is
iterated, counted or asked for an object. Pages are followed through `meta.next` (resolved
against the request URL, whatever the parameter order), one page in memory at a time, and
objects are deduplicated by `resource_uri` (Tastypie repeats rows joined through to_many
relations). The class it yields (the *model*) comes from `resources.py`, which this module
does not import: it calls the model's private class methods (`_check_filter`,
`_wrap_page`, ...) on whatever class it is given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Self, TypeVar, cast, overload
from urllib.parse import parse_qsl, urlsplit

from .errors import (
    DoesNotExist,
    FilterError,
    GuardError,
    MailRouteError,
    MultipleObjectsReturned,
    NotFound,
    ResponseError,
    suggest,
)
from .operations import Answer, Batch, Call, Operation
from .paging import Page, _plain_value, _Walk, collection_name, read_page
from .schema import (
    FilterCheck,
    allowed_terms,
    check_method,
)

__all__ = ["QuerySet", "AsyncQuerySet", "ValuesQuerySet", "BulkResult", "queryset_for",
           "Page", "read_page", "collection_name"]      # the last three: from paging.py

GET_SCAN_PAGES = 10      # pages get() reads past rows a join repeats

RESERVED_PARAMS = frozenset({"limit", "offset", "order_by", "format", "username", "api_key"})

R = TypeVar("R")        # what a QuerySet yields: objects of one resource class
T = TypeVar("T")


@dataclass
class BulkResult:
    """What a bulk write did, object by object."""

    succeeded: list[Any] = field(default_factory=list)
    failed: list[tuple[Any, MailRouteError]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def raise_first(self) -> None:
        """Raise the first failure's error, if any."""
        if self.failed:
            raise self.failed[0][1]

    def __repr__(self) -> str:
        return f"<BulkResult {len(self.succeeded)} succeeded, {len(self.failed)} failed>"


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


class QuerySet(Generic[R]):
    """A lazy, immutable query. Every method returns a new QuerySet or sends requests.

    A `Client`'s QuerySets answer at once (`count() -> int`); an `AsyncClient`'s are
    `AsyncQuerySet`s, whose answers are awaited."""

    def __init__(self, model: Any, query: _Query | None = None):
        # `model` is a resource class (resources.Resource or a subclass)
        self._model = model
        self._q = query or _Query()
        self._evaluated: list[Any] | None = None    # what len() fetched, for the next walk

    def _clone(self, **changes: Any) -> Self:
        return type(self)(self._model, replace(self._q, **changes))

    def _run(self, op: Operation[T]) -> T:
        """Run an operation on the client's session: its value (a sync client's)."""
        return cast(T, self._model._registry_run(op))

    def _arun(self, op: Operation[T]) -> Awaitable[T]:
        """Run an operation on the client's session: an awaitable (an async client's)."""
        return cast("Awaitable[T]", self._model._registry_run(op))

    def __repr__(self) -> str:
        parts = [f"{c.param}={c.value!r}" for c in self._q.filters]
        parts += [f"{k}={v!r}" for k, v in self._q.raw_params]
        if self._q.order:
            parts.append(f"order_by={list(self._q.order)}")
        if self._q.start or self._q.stop is not None:
            parts.append(f"[{self._q.start}:{'' if self._q.stop is None else self._q.stop}]")
        return f"<QuerySet {self._model.resource_name} {' '.join(parts)}>".replace(" >", ">")

    # -- building

    def all(self) -> Self:
        """This QuerySet (for Django-style chains)."""
        return self

    def filter(self, **lookups: Any) -> Self:
        """Narrow by `field[__relation…][__term]=value`, checked against the schema now."""
        sent = {c.param: c for c in self._q.filters}
        for check in (self._model._check_filter(k, v) for k, v in lookups.items()):
            other = sent.setdefault(check.param, check)
            if other.value != check.value:
                # Tastypie reads one value per parameter (the last), or joins every `in`
                # list into one: either way wider than both filters together
                raise FilterError(
                    f"Two filters send {check.param} ({other.value!r} and {check.value!r}); "
                    "Tastypie would keep one of them or join them, not match both. Combine "
                    "them into one filter.")
        return self._clone(filters=tuple(sent.values()))

    def unchecked(self, **params: Any) -> Self:
        """Parameters the schema does not describe (MailRoute's `q`, natural-key filters),
        sent as given. The server ignores names it does not know, so check them yourself."""
        bad = RESERVED_PARAMS & params.keys()
        if bad:
            raise FilterError(f"{sorted(bad)} are set by the query itself (use slicing, "
                              "order_by() or page_size()).")
        return self._clone(raw_params=self._q.raw_params + tuple(params.items()))

    def order_by(self, *keys: str) -> Self:
        """Order by fields the schema lists as orderable; `-name` for descending."""
        for key in keys:
            self._model._check_order(key)
        return self._clone(order=tuple(keys))

    def page_size(self, size: int) -> Self:
        """Objects asked for per request (the server may cap it; pages follow `meta`)."""
        if not isinstance(size, int) or size < 1:
            raise ValueError("page_size must be a positive integer")
        return self._clone(page_size=size)

    def concurrently(self, pages: int | None = None) -> Self:
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

    @overload
    def __getitem__(self, key: int) -> R: ...
    @overload
    def __getitem__(self, key: slice) -> Self: ...

    def __getitem__(self, key: int | slice) -> R | Self:
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
        return self._run(self._index_op(key))

    def _index_op(self, key: Any) -> Operation[R]:
        if not isinstance(key, int) or key < 0:
            raise TypeError("QuerySet indices must be non-negative integers or slices")
        return self._one_at(key)

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

    def _walk(self) -> _Walk:
        default = self._model._registry_settings().concurrency if self._model._is_async() else 1
        return _Walk(self, self._q.concurrency or default)

    def __iter__(self) -> Iterator[R]:
        # what len() fetched is taken when iteration starts: list(qs) asks for the
        # iterator first and len() second, and must still walk only once
        cached, self._evaluated = self._evaluated, None
        if cached is not None:
            yield from cached
        else:
            yield from self._objects()

    def _objects(self) -> Iterator[R]:
        if self._model._is_async():
            raise TypeError("This QuerySet belongs to an AsyncClient: use 'async for'.")
        run = self._model._registry_run
        run(self._prepare())
        walk = self._walk()
        while True:
            calls = walk.first_calls()
            while calls:
                pages = run(self._fetch_all(calls))
                for page, objects in pages:
                    yield from walk.take(page, objects)
                calls = walk.next_calls(pages)
            if walk.streaming:
                stream = self._model._registry_stream(
                    (self._fetch(c) for c in walk.planned()), walk.concurrency)
                try:
                    for page, objects in stream:
                        yield from walk.take(page, objects)
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
                pages = await run(self._fetch_all(calls))
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

    def _count(self) -> Operation[int]:
        yield from self._prepare()
        answer: Answer = yield self._first_call(limit=1, offset=0)
        page = read_page(answer)
        total = page.total_count if page.total_count is not None else len(page.objects)
        total = max(0, total - self._q.start)
        return total if self._q.stop is None else min(total, self._q.stop - self._q.start)

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
        return (yield from QuerySet._first(self)) is not None

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
                    f"{self._model.resource_name} for {self!r}; stopping before the "
                    f"{page.total_count} rows the server counts.")
        if not unique:
            raise DoesNotExist.nothing_matched(self._model._list_url, self._nothing_matched())
        if len(unique) > 1:
            total = page.total_count if page.total_count is not None else len(unique)
            raise MultipleObjectsReturned(
                f"get() found {total} {self._model.resource_name} rows, more than one "
                f"object, for {self!r}")
        return unique[0]

    def _nothing_matched(self) -> str:
        """What a lookup asked for, for the error when no row matched it."""
        asked = [f"{c.param}={c.value}" for c in self._q.filters]
        asked += [f"{k}={v}" for k, v in self._q.raw_params]
        where = f" with {', '.join(asked)}" if asked else ""
        window = ""
        if self._q.start or self._q.stop is not None:
            window = f" in [{self._q.start}:{'' if self._q.stop is None else self._q.stop}]"
        return (f"No {self._model.resource_name} found{where}{window}: the server listed "
                "no matching object.")

    def get(self, **lookups: Any) -> R:
        """The one object matching; `DoesNotExist` or `MultipleObjectsReturned` otherwise."""
        return self._run(self._get_op(lookups))

    def _get_op(self, lookups: dict[str, Any]) -> Operation[R]:
        qs = self.filter(**lookups) if lookups else self
        return qs._get()

    def _delete(self) -> Operation[int | None]:
        check_method(self._model._schema, "delete", detail=False)
        yield from self._prepare()
        # Tastypie's list DELETE answers 204 with no count: count the same filters first
        counted: Answer = yield self._first_call(limit=1, offset=0)
        total = read_page(counted).total_count
        params = self._params(0, 0)[:-2]
        yield Call("DELETE", self._model._list_url, params)
        return total

    def delete(self, *, confirm: bool = False) -> int | None:
        """Delete every matching object in one list-level DELETE; returns how many matched.

        Tastypie deletes all rows when no filter is given, so at least one checked filter
        that can narrow the match (not an empty `contains`, a regex matching the empty
        string, ...) and `confirm=True` are required; otherwise nothing is sent. The number
        comes from a count of the same filters sent just before the DELETE (Tastypie's
        answer has none), so it is approximate when others write meanwhile; None when the
        server gives no `total_count`.
        """
        return self._run(self._checked_delete(confirm))

    def _checked_delete(self, confirm: bool) -> Operation[int | None]:
        """The list-level DELETE, once every guard has passed (else nothing is sent)."""
        if not self._q.filters:
            raise GuardError(
                "Refusing a list-level DELETE without a filter: Tastypie would delete every "
                f"{self._model.resource_name}. Add a filter() (unchecked() does not count).")
        if all(c.matches_all for c in self._q.filters):
            why = "; ".join(f"{c.param}: {c.matches_all}" for c in self._q.filters)
            raise GuardError(
                "Refusing a list-level DELETE whose filters match every row by construction "
                f"({why}): Tastypie would delete every {self._model.resource_name}. "
                "Nothing was sent.")
        if not confirm:
            raise GuardError("A list-level DELETE needs confirm=True; nothing was sent.")
        if self._q.start or self._q.stop is not None or self._q.order:
            raise GuardError("A list-level DELETE ignores slicing and ordering; refusing a "
                             "sliced or ordered QuerySet so no more is deleted than was meant.")
        return self._delete()

    # -- Django's habits, where Tastypie allows them

    def __bool__(self) -> bool:
        """Whether anything matches, like `exists()`: one object is asked for (Django
        would fetch them all). An AsyncClient cannot answer here: `await qs.exists()`."""
        if self._model._is_async():
            raise TypeError("bool() cannot wait for an AsyncClient's answer: use "
                            "'await qs.exists()'.")
        if self._evaluated is not None:
            return bool(self._evaluated)
        return bool(self._model._registry_run(self._exists()))

    def __len__(self) -> int:
        """How many objects iteration yields. As in Django this fetches every match (rows
        Tastypie repeats are counted once) and keeps them for the next iteration, so
        `list(qs)` reads them once; `count()` asks for the number only."""
        if self._model._is_async():
            raise TypeError("len() cannot wait for an AsyncClient's answer: use "
                            "'await qs.count()'.")
        if self._evaluated is None:
            self._evaluated = list(self._objects())
        return len(self._evaluated)

    def _collect(self) -> Operation[list[Any]]:
        """Every match, walked one page at a time inside one operation (both clients)."""
        yield from self._prepare()
        walk = _Walk(self, 1)
        found: list[Any] = []
        while True:                     # passes, as in iteration: a change is completed
            calls = walk.first_calls()
            while calls:
                pages = yield from self._fetch_all(calls)
                for page, objects in pages:
                    found.extend(walk.take(page, objects))
                calls = walk.next_calls(pages)
            if not walk.again():
                return found

    def _last(self) -> Operation[R | None]:
        if self._q.order and not self._q.start and self._q.stop is None:
            flipped = tuple(k[1:] if k.startswith("-") else f"-{k}" for k in self._q.order)
            return (yield from QuerySet._first(self._clone(order=flipped)))
        total = yield from self._count()
        if not total:
            return None
        page, objects = yield from self._fetch(
            self._first_call(limit=1, offset=self._q.start + total - 1))
        return objects[0] if objects else None

    def last(self) -> R | None:
        """The last object, or None. With `order_by()` the ordering is reversed and the
        first taken (one request); without one (or on a slice) the matches are counted
        and the one at the last offset fetched (two requests, in the server's default
        order, so give an ordering when "last" must mean something)."""
        return self._run(self._last())

    def exclude(self, **lookups: Any) -> Self:
        """Not available: Tastypie has no negated filters, and sending `exclude` terms
        would be ignored by the server (matching everything). Always raises."""
        raise FilterError(
            f"exclude({', '.join(lookups)}) has no Tastypie equivalent: the server has no "
            "negated filters. Filter for what you want instead (e.g. active=False, "
            "name__in=[...]), or drop objects in Python: [o for o in qs if ...].")

    def values(self, *names: str) -> ValuesQuerySet:
        """Dicts of raw values as the server sent them (related fields as URIs), without
        building instances: `qs.values("id", "name")`; no names: every schema field."""
        return self._shaped("dict", names, False)

    def values_list(self, *names: str, flat: bool = False) -> ValuesQuerySet:
        """Tuples of raw values (`flat=True` with one name: the values themselves)."""
        if flat and len(names) != 1:
            raise TypeError("values_list(flat=True) takes exactly one field name.")
        return self._shaped("tuple", names, flat)

    def _shaped(self, kind: str, names: tuple[str, ...], flat: bool) -> ValuesQuerySet:
        fields = self._model._schema.fields
        if not names and not fields:
            raise FilterError(f"{self._model.resource_name} has no schema: name the keys "
                              "values() should give.")
        if fields:
            for name in names:
                if name not in fields:
                    hint = (" Related objects' fields are not in the list answer; values() "
                            "gives the related URI.") if "__" in name else ""
                    raise FilterError(
                        f"{self._model.resource_name} has no field {name!r}."
                        f"{suggest(name, fields)}{hint} Fields: {', '.join(sorted(fields))}")
        shape = _Shape(kind, names or tuple(fields), flat, not names)
        return ValuesQuerySet(self._model, self._q, shape)

    def in_bulk(self, id_list: Iterable[Any] | None = None, *,
                field_name: str = "pk") -> dict[Any, R]:
        """`{key: object}` for the given keys (fetched with `<field>__in`, 100 keys a
        request; by the detail URLs, concurrently, when the primary key has no `in`
        filter), or for every match when `id_list` is None. The field must be unique."""
        return self._run(self._in_bulk_op(id_list, field_name))

    def _in_bulk_op(self, id_list: Iterable[Any] | None,
                    field_name: str) -> Operation[dict[Any, R]]:
        schema = self._model._schema
        name = schema.primary_key if field_name == "pk" else field_name
        f = schema.fields.get(name)
        if name != schema.primary_key and (f is None or not f.unique):
            raise FilterError(f"in_bulk() needs a unique field; {name!r} is not one of "
                              f"{self._model.resource_name}'s.")
        if id_list is None:
            parts = [self]
        else:
            keys = list(dict.fromkeys(id_list))
            if (name == schema.primary_key and self._plain()
                    and (f is None or "in" not in allowed_terms(schema, f))):
                # no `pk__in` filter (MailRoute's domain): the detail URLs, concurrently
                return self._in_bulk_by_detail(keys)
            parts = [self.filter(**{f"{name}__in": keys[i:i + 100]})
                     for i in range(0, len(keys), 100)]
        return self._in_bulk(parts, name)

    def _plain(self) -> bool:
        """Whether this QuerySet is every object of its resource (no filter or window)."""
        q = self._q
        return (not q.filters and not q.raw_params and q.url is None and not q.start
                and q.stop is None)

    def _in_bulk_by_detail(self, keys: list[Any]) -> Operation[dict[Any, R]]:
        check_method(self._model._schema, "get", detail=True)
        if not keys:
            return {}
        calls = tuple(Call("GET", self._model.detail_url(key)) for key in keys)
        replies = yield Batch(calls)
        found: dict[Any, R] = {}
        for key, reply in zip(keys, replies, strict=True):
            if isinstance(reply, NotFound):
                continue                    # absent keys are absent, as in Django
            if isinstance(reply, MailRouteError):
                raise reply
            if not isinstance(reply.body, dict):
                raise ResponseError(f"GET {reply.url}: expected an object")
            obj = (yield from self._wrap_page([reply.body]))[0]
            found[obj.get_raw(self._model._schema.primary_key, key)] = self._emit(obj)
        return found

    @staticmethod
    def _in_bulk(parts: list[QuerySet[R]], name: str) -> Operation[dict[Any, R]]:
        found: dict[Any, R] = {}
        for qs in parts:
            for obj in (yield from qs._collect()):
                found[obj.get_raw(name)] = qs._emit(obj)
        return found

    def _emit(self, obj: Any) -> Any:
        """What the caller gets for one walked object (values() gives raw values)."""
        return obj

    def get_or_create(self, defaults: dict[str, Any] | None = None, *,
                      check_required: bool = True, extra: dict[str, Any] | None = None,
                      **lookups: Any) -> tuple[R, bool]:
        """`(object, created)`: as `Resource.get_or_create()`, looking within this
        QuerySet's filters; the object is created from `lookups` and `defaults` only."""
        return cast("tuple[R, bool]", self._run(self._model._get_or_create(
            lookups, defaults, False, extra, check_required, self._for_lookup())))

    def update_or_create(self, defaults: dict[str, Any] | None = None, *,
                         check_required: bool = True, extra: dict[str, Any] | None = None,
                         **lookups: Any) -> tuple[R, bool]:
        """`(object, created)`: as `Resource.update_or_create()`, within these filters."""
        return cast("tuple[R, bool]", self._run(self._model._get_or_create(
            lookups, defaults, True, extra, check_required, self._for_lookup())))

    def _for_lookup(self) -> QuerySet[R]:
        if self._q.url is not None or self._q.start or self._q.stop is not None:
            raise GuardError("get_or_create() looks in a resource's QuerySet: not in a "
                             "slice or a client.list().")
        return queryset_for(self._model, self._q)

    def update(self, **fields: Any) -> BulkResult:
        """Set `fields` on every match and save them: one PATCH list where the schema
        allows it (Tastypie applies it atomically), else one save() each, `concurrency`
        at a time. Returns a `BulkResult` like `bulk_update()`. Matches are all read
        first, so an update of a field the filter uses skips nothing."""
        return self._run(self._checked_update(fields))

    def _checked_update(self, fields: dict[str, Any]) -> Operation[BulkResult]:
        if not fields:
            raise TypeError("update() needs at least one field=value.")
        if self._q.url is not None:
            raise GuardError("update() works on a resource's QuerySet, not client.list().")
        self._model._check_update(fields)
        return self._update(fields)

    def _update(self, fields: dict[str, Any]) -> Operation[BulkResult]:
        objects = yield from self._collect()
        result: BulkResult = yield from self._model._update_objects_op(objects, fields)
        return result


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


@dataclass(frozen=True, slots=True)
class _Shape:
    """What values()/values_list() give for each row."""

    kind: str                       # "dict" or "tuple"
    names: tuple[str, ...]
    flat: bool = False
    every: bool = False             # no names given: the schema's fields each row has


class _Row:
    """A raw list object as walks need it (its URI and raw keys), without an instance."""

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any]):
        self.data = data

    @property
    def resource_uri(self) -> str | None:
        uri = self.data.get("resource_uri")
        return uri if isinstance(uri, str) else None

    def get_raw(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


class ValuesQuerySet(QuerySet[Any]):
    """A QuerySet that yields raw values (dicts, tuples or single values) instead of
    instances: what the server sent, read without building objects. Filters, ordering,
    slicing, `first()`, `last()`, `get()` and `count()` work as on any QuerySet."""

    def __init__(self, model: Any, query: _Query | None = None, shape: _Shape | None = None):
        super().__init__(model, query)
        self._shape = shape or _Shape("dict", tuple(model._schema.fields), every=True)

    def _clone(self, **changes: Any) -> Self:
        return type(self)(self._model, replace(self._q, **changes), self._shape)

    def __repr__(self) -> str:
        kind = "values" if self._shape.kind == "dict" else "values_list"
        names = "" if self._shape.every else ", ".join(self._shape.names)
        return f"{super().__repr__()[:-1]} {kind}({names})>"

    def _wrap_page(self, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        return [_Row(data) for data in objects]
        yield  # pragma: no cover  (makes this a generator)

    def _emit(self, row: Any) -> Any:
        data = row.data
        shape = self._shape
        names = [n for n in shape.names if n in data] if shape.every else shape.names
        if shape.kind == "dict":
            return {name: data.get(name) for name in names}
        if shape.flat:
            return data.get(names[0])
        return tuple(data.get(name) for name in names)

    def _objects(self) -> Iterator[Any]:
        for row in super()._objects():
            yield self._emit(row)

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for row in super().__aiter__():
            yield self._emit(row)

    def _first(self) -> Operation[Any]:
        row = yield from super()._first()
        return None if row is None else self._emit(row)

    def _last(self) -> Operation[Any]:
        row = yield from super()._last()
        return None if row is None else self._emit(row)

    def _get(self) -> Operation[Any]:
        return self._emit((yield from super()._get()))

    def _one_at(self, index: int) -> Operation[Any]:
        return self._emit((yield from super()._one_at(index)))

    def update(self, **fields: Any) -> Any:
        """As `QuerySet.update()`: the objects are read and saved as instances."""
        return queryset_for(self._model, self._q).update(**fields)


class AsyncQuerySet(QuerySet[R]):
    """The QuerySet of an `AsyncClient`: the same lazy chain (`filter()`, `order_by()`,
    slices), answers awaited (`await qs.count()`, `await qs[0]`) and `async for`."""

    @overload                                   # type: ignore[override]
    def __getitem__(self, key: int) -> Awaitable[R]: ...
    @overload
    def __getitem__(self, key: slice) -> Self: ...

    def __getitem__(self, key: int | slice) -> Awaitable[R] | Self:
        if isinstance(key, slice):
            return super().__getitem__(key)
        return self._arun(self._index_op(key))

    async def count(self) -> int:               # type: ignore[override]
        """How many objects match, from `meta.total_count`, without fetching them."""
        return await self._arun(self._count())

    async def first(self) -> R | None:          # type: ignore[override]
        """The first object, or None."""
        return await self._arun(self._first())

    async def last(self) -> R | None:           # type: ignore[override]
        """The last object, or None (see `QuerySet.last()`)."""
        return await self._arun(self._last())

    async def exists(self) -> bool:             # type: ignore[override]
        """Whether anything matches (one object is fetched)."""
        return await self._arun(self._exists())

    async def get(self, **lookups: Any) -> R:   # type: ignore[override]
        """The one object matching; `DoesNotExist` or `MultipleObjectsReturned` otherwise."""
        return await self._arun(self._get_op(lookups))

    async def delete(self, *, confirm: bool = False) -> int | None:  # type: ignore[override]
        """The list-level DELETE of `QuerySet.delete()`, with the same guards."""
        return await self._arun(self._checked_delete(confirm))

    async def in_bulk(self, id_list: Iterable[Any] | None = None, *,  # type: ignore[override]
                      field_name: str = "pk") -> dict[Any, R]:
        """`{key: object}` for the given keys (see `QuerySet.in_bulk()`)."""
        return await self._arun(self._in_bulk_op(id_list, field_name))

    async def get_or_create(                    # type: ignore[override]
            self, defaults: dict[str, Any] | None = None, *, check_required: bool = True,
            extra: dict[str, Any] | None = None, **lookups: Any) -> tuple[R, bool]:
        """`(object, created)`, looking within this QuerySet's filters."""
        return await self._arun(self._model._get_or_create(
            lookups, defaults, False, extra, check_required, self._for_lookup()))

    async def update_or_create(                 # type: ignore[override]
            self, defaults: dict[str, Any] | None = None, *, check_required: bool = True,
            extra: dict[str, Any] | None = None, **lookups: Any) -> tuple[R, bool]:
        """`(object, created)`: as `get_or_create()`, saving `defaults` on a found one."""
        return await self._arun(self._model._get_or_create(
            lookups, defaults, True, extra, check_required, self._for_lookup()))

    async def update(self, **fields: Any) -> BulkResult:  # type: ignore[override]
        """Set `fields` on every match and save them (see `QuerySet.update()`)."""
        return await self._arun(self._checked_update(fields))

    def values(self, *names: str) -> Any:
        """Raw values as dicts (see `QuerySet.values()`); its answers are awaited."""
        return super().values(*names)

    def values_list(self, *names: str, flat: bool = False) -> Any:
        """Raw values as tuples (see `QuerySet.values_list()`); answers are awaited."""
        return super().values_list(*names, flat=flat)


def queryset_for(model: Any, query: _Query | None = None) -> QuerySet[Any]:
    """A QuerySet over `model` of its client's kind: an `AsyncQuerySet` for an
    `AsyncClient`'s classes, a `QuerySet` for a `Client`'s."""
    kind = AsyncQuerySet if model._is_async() else QuerySet
    return kind(model, query)
