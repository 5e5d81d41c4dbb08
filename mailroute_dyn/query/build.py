"""What a QuerySet is and what it sends: the checked filters, orderings and slice it
holds, and the list requests they become. Nothing here runs a request.

The class a QuerySet yields (the *model*) comes from the model layer, which this module
does not import: a QuerySet reads only its data (`QueryModel`, declared here, which the
resource classes satisfy: mypy checks it where they are defined), and what a page's
objects become is its rows' (rows.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, Self, TypeVar
from urllib.parse import parse_qsl, quote, urlsplit

from ..errors import FilterError, _UnusableKey
from ..operations import Call
from ..schema.conversions import encode_filter_value
from ..schema.definition import ResourceSchema
from ..schema.rules import FilterCheck, allowed_terms
from ..vocabulary import looks_secret
from .checks import filter_check, order_check
from .rows import OBJECT_ROWS, Rows

if TYPE_CHECKING:
    from ..operations import Session
    from ..schema.catalogue import Catalogue

__all__ = ["QueryBuilder", "QueryModel", "RESERVED_PARAMS", "key_url", "plain_value"]

#: The parameters a list request sets itself (the page window, and `order_by` where the
#: query is ordered or walked by key): `unchecked()` refuses only these. Credentials never
#: go in the query (they travel in the `Authorization` header or the auth's own way), so
#: `username=` or `api_key=` are free for an API's own filters.
RESERVED_PARAMS = frozenset({"limit", "offset", "order_by"})

R = TypeVar("R")  # what a QuerySet yields: objects of one resource class


class QueryModel(Protocol):
    """What a QuerySet reads of the class it yields (a resource class, later in the data
    flow, satisfies it): data only, given to the class when it is made."""

    # (class attributes only: the resource's name is `_schema.name`)
    _schema: ResourceSchema
    _list_url: str
    _session: Session  # what its QuerySets run on (the client's session)
    _catalogue: Catalogue  # the client's classes, URIs and relation targets


def key_url(list_url: str, key: Any, resource: str) -> str:
    """The detail URL of a primary or natural key (a string key goes in as is), in the
    server's own form: with a trailing slash only where its list URL has one."""
    text = "" if key is None else str(key)
    if not text or text in (".", ".."):  # the list URL, or a path step: never sent
        raise _UnusableKey(f"Not a usable key for {resource}: {key!r}; nothing was sent.")
    slash = "/" if list_url.endswith("/") else ""
    return f"{list_url}{'' if slash else '/'}{quote(text, safe='@.+-_~:,;')}{slash}"


def plain_value(value: Any) -> str:
    """A parameter's value as a filter sends it (`unchecked()`'s, a walk's last key)."""
    return encode_filter_value("exact", value)


class _Query(NamedTuple):
    filters: tuple[FilterCheck, ...] = ()
    raw_params: tuple[tuple[str, Any], ...] = ()
    order: tuple[str, ...] = ()
    start: int = 0
    stop: int | None = None
    page_size: int | None = None
    url: str | None = None  # client.list(uri): a list URL of its own
    concurrency: int | None = None  # pages in flight; None: 1 sync, N async


class QueryBuilder(Generic[R]):
    """The building half of a QuerySet: every method returns a new one (nothing is sent),
    and `_first_call()` says what the first list request is."""

    def __init__(self, model: Any, query: _Query | None = None, rows: Rows = OBJECT_ROWS):
        # `model` is a resource class (resources.Resource or a subclass)
        self._model: QueryModel = model
        self._session: Session = model._session  # where its operations run
        self._q = query or _Query()
        self._rows = rows  # what each walked object becomes
        self._evaluated: list[Any] | None = None  # what len() fetched, for the next walk

    def _clone(self, **changes: Any) -> Self:
        return type(self)(self._model, self._q._replace(**changes), self._rows)

    def __repr__(self) -> str:
        parts = [f"{c.param}={c.value!r}" for c in self._q.filters]
        parts += [f"{k}={'***' if looks_secret(k) else repr(v)}" for k, v in self._q.raw_params]
        if self._q.order:
            parts.append(f"order_by={list(self._q.order)}")
        if self._q.start or self._q.stop is not None:
            parts.append(f"[{self._q.start}:{'' if self._q.stop is None else self._q.stop}]")
        text = f"<QuerySet {self._model._schema.name} {' '.join(parts)}>".replace(" >", ">")
        return f"{text[:-1]}{self._rows.describe()}>"

    # -- building

    def all(self) -> Self:
        """This QuerySet (for Django-style chains)."""
        return self

    def filter(self, **lookups: Any) -> Self:
        """Narrow by `field[__relation…][__term]=value`, checked against the schema now."""
        sent = {c.param: c for c in self._q.filters}
        for check in (filter_check(self._model, k, v) for k, v in lookups.items()):
            other = sent.setdefault(check.param, check)
            if other.value != check.value:
                # Tastypie reads one value per parameter (the last), or joins every `in`
                # list into one: either way wider than both filters together
                raise FilterError(
                    f"Two filters send {check.param} ({other.value!r} and {check.value!r}); "
                    "Tastypie would keep one of them or join them, not match both. Combine "
                    "them into one filter."
                )
        return self._clone(filters=tuple(sent.values()))

    def unchecked(self, **params: Any) -> Self:
        """Parameters the schema does not describe (MailRoute's `q`, natural-key filters),
        sent as given. The server ignores names it does not know, so check them yourself."""
        bad = RESERVED_PARAMS & params.keys()
        if bad:
            raise FilterError(
                f"{sorted(bad)} are set by the query itself (use slicing, "
                "order_by() or page_size())."
            )
        return self._clone(raw_params=self._q.raw_params + tuple(params.items()))

    def order_by(self, *keys: str) -> Self:
        """Order by fields the schema lists as orderable; `-name` for descending."""
        for key in keys:
            order_check(self._model, key)
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
        pages = pages or self._session.settings.concurrency
        if not isinstance(pages, int) or pages < 1:
            raise ValueError("concurrently() takes a positive number of pages")
        return self._clone(concurrency=pages)

    def _keyset_field(self) -> tuple[str, bool] | None:
        """(field, descending) when pages can be walked by key instead of offset: a unique
        integer or string field that is orderable and filterable with gt/lt, so rows
        inserted or deleted during the walk shift nothing."""
        model = self._model
        if self._q.url is not None or model._schema.name in model._catalogue.no_key_walk:
            return None
        schema = self._model._schema
        if len(self._q.order) > 1:
            return None
        candidates = [schema.primary_key or ""] + sorted(schema.fields)  # "": no field
        for name in candidates:
            f = schema.fields.get(name)
            if (
                f is None
                or not f.unique
                or f.nullable
                or f.type not in ("integer", "string")
                or name not in schema.ordering
            ):
                continue  # (gt never matches NULL: such rows would be lost)
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

    def _sliced(self, key: slice) -> Self:
        """The QuerySet of `qs[key]`: a narrower window, nothing sent."""
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

    # -- what is sent

    def _params(self, limit: int, offset: int) -> tuple[tuple[str, str], ...]:
        params = [(c.param, c.value) for c in self._q.filters]
        for name, value in self._q.raw_params:
            values = value if isinstance(value, list | tuple) else [value]
            params += [(name, plain_value(v)) for v in values]
        params += [("order_by", key) for key in self._q.order]
        params += [("limit", str(limit)), ("offset", str(offset))]
        return tuple(params)

    def _first_call(self, limit: int | None = None, offset: int | None = None) -> Call:
        size = self._q.page_size or self._session.settings.page_size
        if self._q.stop is not None:
            size = max(1, min(size, self._q.stop - self._q.start))
        size = limit if limit is not None else size
        start = self._q.start if offset is None else offset
        if self._q.url is None:
            return Call("GET", self._model._list_url, self._params(size, start))
        parts = urlsplit(self._q.url)
        own = tuple(
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in ("limit", "offset")
        )
        path = parts._replace(query="").geturl()
        return Call("GET", path, own + self._params(size, start))

    def _nothing_matched(self) -> str:
        """What a lookup asked for, for the error when no row matched it."""
        asked = [f"{c.param}={c.value}" for c in self._q.filters]
        asked += [f"{k}={v}" for k, v in self._q.raw_params]
        where = f" with {', '.join(asked)}" if asked else ""
        window = ""
        if self._q.start or self._q.stop is not None:
            window = f" in [{self._q.start}:{'' if self._q.stop is None else self._q.stop}]"
        return (
            f"No {self._model._schema.name} found{where}{window}: the server listed "
            "no matching object."
        )

    def _plain(self) -> bool:
        """Whether this QuerySet is every object of its resource (no filter or window)."""
        q = self._q
        return (
            not q.filters and not q.raw_params and q.url is None and not q.start and q.stop is None
        )
