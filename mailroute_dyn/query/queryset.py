"""QuerySet: Django's lazy, immutable query surface over a Tastypie list endpoint.

A QuerySet holds checked filters, orderings and a slice; nothing is sent until it is
iterated, counted or asked for an object. Its jobs live in the modules before this one,
in the order data flows: querybuild.py (filters, ordering, slices, the requests they
make), queryrun.py (iteration and the one-request answers), queryhabits.py (Django's
habits: last, in_bulk, update, delete, values rows). This module puts them together as
the public classes. The class a QuerySet yields (the *model*) comes from `resources.py`,
which this module does not import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator
from typing import Any, Literal, Self, TypeVar, cast, overload

from ..errors import GuardError, MailRouteError
from ..operations import Operation
from ..vocabulary import looks_secret
from .build import RESERVED_PARAMS
from .build import _Query as _Query  # client.list() builds one
from .display import PREVIEW_ROWS, rows_html
from .follow import follow_op, followed_field, split_followed
from .frames import arrow_table, frame, require
from .habits import BulkResult, DjangoHabits, _Row, _Shape, shape_of
from .paging import Page, collection_name, read_page
from .run import GET_SCAN_PAGES

__all__ = ["QuerySet", "AsyncQuerySet", "ValuesQuerySet", "BulkResult", "queryset_for",
           "Page", "read_page", "collection_name",      # these three: from paging.py
           "GET_SCAN_PAGES", "RESERVED_PARAMS"]

R = TypeVar("R")        # what a QuerySet yields: objects of one resource class


class QuerySet(DjangoHabits[R]):
    """A lazy, immutable query. Every method returns a new QuerySet or sends requests.

    A `Client`'s QuerySets answer at once (`count() -> int`); an `AsyncClient`'s are
    `AsyncQuerySet`s, whose answers are awaited."""

    def values(self, *names: str) -> ValuesQuerySet:
        """Dicts of raw values as the server sent them (related fields as URIs), without
        building instances: `qs.values("id", "name")`; no names: every schema field."""
        return ValuesQuerySet(self._model, self._q, shape_of(self._model, "dict", names, False))

    def values_list(self, *names: str, flat: bool = False) -> ValuesQuerySet:
        """Tuples of raw values (`flat=True` with one name: the values themselves)."""
        if flat and len(names) != 1:
            raise TypeError("values_list(flat=True) takes exactly one field name.")
        return ValuesQuerySet(self._model, self._q, shape_of(self._model, "tuple", names, flat))

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

    # -- how it shows in a notebook (Jupyter, IPython) and in rich

    def _repr_html_(self) -> str:
        """The first rows as a table and the total. Showing it sends one request (of
        PREVIEW_ROWS objects), as Django's repr evaluates a slice; the note says so."""
        title = repr(self)
        if self._model._is_async():
            return rows_html(title, [], [], "An AsyncClient cannot wait inside a display: "
                             "await qs[:10] (or async for) to see the rows.")
        limit = PREVIEW_ROWS
        if self._q.stop is not None:
            limit = max(0, min(limit, self._q.stop - self._q.start))
        try:
            page, items = self._run(self._fetch(self._first_call(limit=limit)))
        except MailRouteError as exc:
            return rows_html(title, [], [], f"The rows could not be read: {exc}")
        rows = [self._display_row(item) for item in items]
        total = "?" if page.total_count is None else page.total_count
        note = (f"{len(rows)} shown of {total} matching. Showing this sent one request "
                f"(limit={limit}), as Django's repr evaluates a slice; iterate, or use "
                "values() or to_pandas(), for every row.")
        return rows_html(title, self._display_columns(rows), rows, note)

    def _display_row(self, item: Any) -> dict[str, Any]:
        return dict(item.to_dict())

    # -- into pandas and Arrow (the `pandas` and `arrow` extras)

    def to_pandas(self, *names: str) -> Any:
        """A DataFrame of every match, typed from the schema (see frames.py): `names`
        as in `values()` (none: every field), `"domain__name"` following a to-one
        relation with one bulk read per page. Rows are read page by page."""
        source = self._frame_source(names)
        return self._frame(source, list(source))

    def to_arrow(self, *names: str) -> Any:
        """`to_pandas()` as an Arrow table (needs the `pandas` and `arrow` extras)."""
        require("pyarrow", "arrow", "to_arrow()")
        return arrow_table(self.to_pandas(*names))

    def _frame_source(self, names: tuple[str, ...]) -> ValuesQuerySet:
        require("pandas", "pandas", "to_pandas()")      # before any request
        return queryset_for(self._model, self._q).values(*names)

    def _frame(self, source: ValuesQuerySet, rows: list[dict[str, Any]]) -> Any:
        model = self._model
        fields = {name: model._schema.fields.get(name) or (
            followed_field(model, name) if split_followed(name) else None)
            for name in source._shape.names}
        return frame(model._schema.name, source._shape.names, rows, fields)

    def _display_columns(self, rows: list[dict[str, Any]]) -> list[str]:
        fields = list(self._model._schema.fields)
        extra = [k for row in rows for k in row if k not in fields]
        return fields + list(dict.fromkeys(extra)) if fields else list(dict.fromkeys(extra))

    def __rich_repr__(self) -> Iterator[Any]:
        """What rich's pretty printer shows: the resource and the query (no request)."""
        yield self._model._schema.name
        for check in self._q.filters:
            yield check.param, check.value
        for key, value in self._q.raw_params:
            yield key, "***" if looks_secret(key) else value
        if self._q.order:
            yield "order_by", list(self._q.order)

    def update(self, **fields: Any) -> BulkResult:
        """Set `fields` on every match and save them: one PATCH list where the schema
        allows it (Tastypie applies it atomically), else one save() each, `concurrency`
        at a time. Returns a `BulkResult` like `bulk_update()`. Matches are all read
        first, so an update of a field the filter uses skips nothing."""
        return self._run(self._checked_update(fields))



class ValuesQuerySet(QuerySet[Any]):
    """A QuerySet that yields raw values (dicts, tuples or single values) instead of
    instances: what the server sent, read without building objects. Filters, ordering,
    slicing, `first()`, `last()`, `get()` and `count()` work as on any QuerySet."""

    def __init__(self, model: Any, query: _Query | None = None, shape: _Shape | None = None):
        super().__init__(model, query)
        self._shape = shape or _Shape("dict", tuple(model._schema.fields), every=True)

    def _clone(self, **changes: Any) -> Self:
        return type(self)(self._model, self._q._replace(**changes), self._shape)

    def __repr__(self) -> str:
        kind = "values" if self._shape.kind == "dict" else "values_list"
        names = "" if self._shape.every else ", ".join(self._shape.names)
        return f"{super().__repr__()[:-1]} {kind}({names})>"

    def _display_row(self, item: Any) -> dict[str, Any]:
        return dict(item.data)

    def _frame_source(self, names: tuple[str, ...]) -> ValuesQuerySet:
        shape = self._shape
        return super()._frame_source(names or (() if shape.every else shape.names))

    def _display_columns(self, rows: list[dict[str, Any]]) -> list[str]:
        if self._shape.every:
            return super()._display_columns(rows)
        return list(self._shape.names)

    def _wrap_page(self, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        followed = [name for name in self._shape.names if split_followed(name)
                    and name not in self._model._schema.fields]
        if followed:        # `domain__name`: this page's related objects, in bulk
            objects = yield from follow_op(self._model, followed, objects)
        return [_Row(data) for data in objects]

    def _emit(self, row: Any) -> Any:
        data = row.data
        shape = self._shape
        names = [n for n in shape.names if n in data] if shape.every else shape.names
        if shape.kind == "dict":
            return {name: data.get(name) for name in names}
        if shape.flat:
            return data.get(names[0])
        return tuple(data.get(name) for name in names)

    def _pages(self) -> Iterator[list[Any]]:
        emit = self._emit
        for taken in super()._pages():
            yield [emit(row) for row in taken]

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

    async def delete(self, *,                   # type: ignore[override]
                     confirm: bool | Literal["all"] = False) -> int | None:
        """The list-level DELETE of `QuerySet.delete()`, with the same guards (a filter
        matching every row of the resource needs `confirm="all"`)."""
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

    async def to_pandas(self, *names: str) -> Any:
        """A typed DataFrame of every match (see `QuerySet.to_pandas()`), awaited."""
        source = self._frame_source(names)
        return self._frame(source, [row async for row in source])

    async def to_arrow(self, *names: str) -> Any:
        """`await qs.to_pandas()` as an Arrow table."""
        require("pyarrow", "arrow", "to_arrow()")
        return arrow_table(await self.to_pandas(*names))

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
