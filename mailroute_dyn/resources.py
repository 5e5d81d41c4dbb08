"""The class factory and the Resource base: one Python class per server resource.

`Registry` builds a class with `type()` the first time a resource is used and keeps it as
long as its schema is cached. Instances keep the raw representation the server sent and
the caller's changes apart, so reads show exactly what came and writes send back untouched
fields exactly as they came. Every method that talks to the server is written once as an
operation (see http.py) and run by the client's session, sync or async.
"""

from __future__ import annotations

import functools
import keyword
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, cast
from urllib.parse import quote, unquote, urlsplit

from .bulk import (
    bulk_create_op,
    bulk_delete_op,
    bulk_update_op,
    update_objects_op,
)
from .config import Settings
from .errors import (
    AmbiguousWriteError,
    BadRequest,
    Conflict,
    DoesNotExist,
    FilterError,
    GuardError,
    MailRouteError,
    NotFound,
    OrderingError,
    ResponseError,
    ServerError,
    UnreadableWriteAnswer,
    ValidationError,
    suggest,
)
from .http import NO_BODY, Answer, Call, Operation, error_message
from .query import (
    AsyncQuerySet,
    BulkResult,
    QuerySet,
    ValuesQuerySet,
    queryset_for,
)
from .schema import (
    NO_DEFAULT,
    Field,
    FilterCheck,
    ResourceSchema,
    check_filter,
    check_method,
    check_ordering,
    parse_schema,
    resource_name_of_uri,
)
from .values import encode_write_value, looks_like_uri, typed_value

if TYPE_CHECKING:       # for annotations only: the registry comes later in the data flow
    from .registry import Registry

__all__ = ["Resource", "AsyncResource", "ResourceMeta", "AsyncResourceMeta", "BulkResult",
           "INSTANCE_NAMES", "class_name_for", "attribute_name_for"]

_T = TypeVar("_T")          # a resource class's instances, as the class API returns them
T = TypeVar("T")

_NOT_KEYS = frozenset({"schema"})
_FROM_LIST = "\0list"    # in `_related`: read from a list, detail-only fields may be missing
_SECRET_KEY = re.compile(r"(?i)(pass(word|wd|phrase)?|secret|api_?key|token)")
_ECHO_KEYS = frozenset({"pk"})

# The names an object answers to itself. A server field of the same name is read as
# `obj["name"]` and set as `obj["name"] = value`; every other field is an attribute.
INSTANCE_NAMES = ("save", "delete", "refresh", "fetch", "action", "to_dict", "get_raw",
                  "pk", "id", "resource_uri")
_OWN_METHODS = frozenset(INSTANCE_NAMES) - {"pk", "id", "resource_uri"}


def class_name_for(resource_name: str) -> str:
    """`email_account` -> `EmailAccount`."""
    name = "".join(part.capitalize() for part in re.split(r"[^0-9a-zA-Z]+", resource_name) if part)
    return name if name and not name[0].isdigit() else f"R{name}"


def attribute_name_for(resource_name: str) -> str:
    """`my-notes` -> `my_notes`: the form of a resource name usable as an attribute."""
    name = re.sub(r"\W", "_", resource_name)
    if not name or name[0].isdigit():
        name = f"r_{name}"
    return f"{name}_" if keyword.iskeyword(name) else name


@functools.lru_cache(maxsize=4096)
def _is_secret(key: str) -> bool:
    return bool(_SECRET_KEY.search(key))


def _clean_read(cls: type[Resource], data: Mapping[str, Any]) -> dict[str, Any]:
    """Raw data to keep: everything but secret-looking keys the schema does not describe,
    unless the value is a flag or null (`ssl_cert_passphrase_set: false` is data)."""
    fields = cls.fields
    if type(data) is dict and data.keys() <= fields.keys():
        return dict(data)           # only schema fields: nothing to drop
    return {k: v for k, v in data.items()
            if k in fields or not _is_secret(k) or v is None or isinstance(v, bool)}


def _clean_write_answer(cls: type[Resource], body: Mapping[str, Any],
                        sent_extra: Iterable[str]) -> dict[str, Any]:
    """A write answer minus what it merely echoed (`pk`, write-only inputs, secrets)."""
    fields = cls.fields
    extra = set(sent_extra)
    return {k: v for k, v in body.items()
            if k in fields or not (k in _ECHO_KEYS or k in extra or _is_secret(k))}


class _UnusableKey(GuardError, ValueError):
    """A key that would make a detail URL point at the list (or elsewhere)."""


def _location_path(answer: Answer) -> str | None:
    """The path of a write answer's `Location`, in the server's own form (slashless
    APIs have no trailing slash, and adding one would make it another URI)."""
    location = answer.headers.get("location")
    if not location or _has_dot_segments(location):
        return None
    return urlsplit(location).path or None




def _path_of(url: str) -> str | None:
    """The path of a listing's `list_endpoint` (Tastypie sends paths; some send URLs)."""
    return urlsplit(url).path or None


def _has_dot_segments(uri: str) -> bool:
    """True for `/api/v1/domain/../email_account/5/`: the server resolves such a path to
    another resource than its first part names."""
    return any(part in (".", "..") for part in unquote(urlsplit(uri).path).split("/"))


def _key_from_uri(uri: str) -> Any:
    last = uri.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else last


# ---------------------------------------------------------------- hybrid methods

class _hybrid:
    """A method that is a classmethod on the class and a method on instances."""

    def __init__(self, on_class: Callable[..., Any], on_instance: Callable[..., Any]):
        self.on_class, self.on_instance = on_class, on_instance
        self.__doc__ = on_instance.__doc__

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return partial(self.on_class, owner)
        return partial(self.on_instance, obj)


class ResourceMeta(type):
    """The class-level API of resource classes: queries, creation, bulk writes and what
    the schema says. It lives here, on the metaclass, where an instance's attribute lookup
    never looks, so a server field named `count`, `filter`, `fields` or `get` is the field
    on an object (`obj.count`) while `Domain.count()` stays the query."""

    _schema: ResourceSchema
    _list_url: str
    _json_schema: dict[str, Any]
    _has_schema: bool
    _listed: bool

    def __repr__(cls) -> str:
        name = cls.resource_name
        return f"<resource class {cls.__name__} ({name})>" if name else super().__repr__()

    def __dir__(cls) -> list[str]:
        # the class API lives here, which dir() of a class does not show by itself
        own = {name for name in vars(ResourceMeta) if not name.startswith("_")}
        return sorted(set(super().__dir__()) | own)

    def __await__(cls) -> Any:
        """`await client.resource(name)` also works once the class is loaded (the
        AsyncClient then returns the class itself rather than an awaitable)."""
        return _itself(cls).__await__()

    # -- what the schema says (read-only; a rediscovered schema updates the class)

    @property
    def resource_name(cls) -> str:
        """The resource's name on the server (`email_account`)."""
        return cls._schema.name

    @property
    def fields(cls) -> Mapping[str, Field]:
        """The schema's fields by name."""
        return cls._schema.fields

    @property
    def filtering(cls) -> Mapping[str, Any]:
        """The schema's `filtering`: which lookups each field allows."""
        return cls._schema.filtering

    @property
    def ordering(cls) -> tuple[str, ...]:
        """The fields the server orders by."""
        return cls._schema.ordering

    @property
    def allowed_list_methods(cls) -> tuple[str, ...]:
        """HTTP methods the list endpoint takes (lower case)."""
        return cls._schema.allowed_list_methods

    @property
    def allowed_detail_methods(cls) -> tuple[str, ...]:
        """HTTP methods the detail endpoint takes (lower case)."""
        return cls._schema.allowed_detail_methods

    @property
    def default_limit(cls) -> int:
        """Objects per page when a request names no limit."""
        return cls._schema.default_limit

    @property
    def json_schema(cls) -> dict[str, Any]:
        """A JSON Schema of one object, as written (what validation checks)."""
        return cls._json_schema

    @property
    def list_endpoint(cls) -> str:
        """The list URL, in the server's own form (with or without a trailing slash)."""
        return cls._list_url

    @property
    def typed(cls) -> bool:
        """False for the stand-in class of a resource whose schema is not reachable."""
        return cls._has_schema

    @property
    def listed(cls) -> bool:
        """Whether the API's top-level listing names the resource."""
        return cls._listed

    # -- queries, reads and writes (what a Client's classes answer at once; an
    # AsyncClient's classes have AsyncResourceMeta, whose answers are awaited)

    def all(meta: type[_T]) -> QuerySet[_T]:
        """Every object, lazily, one page at a time."""
        return queryset_for(meta)

    def filter(meta: type[_T], **lookups: Any) -> QuerySet[_T]:
        """A QuerySet narrowed by schema-checked filters (see QuerySet.filter)."""
        return queryset_for(meta).filter(**lookups)

    def order_by(meta: type[_T], *keys: str) -> QuerySet[_T]:
        """Every object in the given order (fields the schema lists as orderable)."""
        return queryset_for(meta).order_by(*keys)

    def unchecked(meta: type[_T], **params: Any) -> QuerySet[_T]:
        """A QuerySet with parameters the schema does not describe, sent as given."""
        return queryset_for(meta).unchecked(**params)

    def exclude(meta: type[_T], **lookups: Any) -> QuerySet[_T]:
        """Not available on Tastypie, which has no negated filters: always raises."""
        return queryset_for(meta).exclude(**lookups)

    def values(meta, *names: str) -> ValuesQuerySet:
        """Every object as a dict of raw values (see QuerySet.values)."""
        return queryset_for(meta).values(*names)

    def values_list(meta, *names: str, flat: bool = False) -> ValuesQuerySet:
        """Every object as a tuple of raw values (see QuerySet.values_list)."""
        return queryset_for(meta).values_list(*names, flat=flat)

    def count(meta) -> int:
        """How many objects there are (from `total_count`)."""
        return queryset_for(meta).count()

    def first(meta: type[_T]) -> _T | None:
        """The first object in the server's default order, or None."""
        return cast("_T | None", queryset_for(meta).first())

    def last(meta: type[_T]) -> _T | None:
        """The last object in the server's default order, or None (see QuerySet.last)."""
        return cast("_T | None", queryset_for(meta).last())

    def exists(meta) -> bool:
        """Whether there is any object at all (one is fetched)."""
        return queryset_for(meta).exists()

    def in_bulk(meta: type[_T], id_list: Iterable[Any] | None = None, *,
                field_name: str = "pk") -> dict[Any, _T]:
        """`{key: object}` for the given keys (see QuerySet.in_bulk)."""
        return queryset_for(meta).in_bulk(id_list, field_name=field_name)

    def detail_url(meta, key: Any) -> str:
        """The detail URL for a primary or natural key (a string key goes in as is), in
        the server's own form: with a trailing slash only where its list URL has one."""
        if isinstance(key, Resource):
            if key.resource_uri:
                return key.resource_uri
            key = key.pk
        text = "" if key is None else str(key)
        if not text or text in (".", ".."):     # the list URL, or a path step: never sent
            raise _UnusableKey(f"Not a usable key for {meta.resource_name}: {key!r}; "
                               "nothing was sent.")
        base = meta._list_url
        slash = "/" if base.endswith("/") else ""
        return f"{base}{'' if slash else '/'}{quote(text, safe='@.+-_~:,;')}{slash}"

    def get(meta: type[_T], key: Any = None, /, **lookups: Any) -> _T:
        """One object by key (`Domain.get(5)`, `EmailAccount.get("a@b.c")`) or by filters."""
        return cast("_T", _run(meta, _get_op(meta, key, lookups)))

    def create(meta: type[_T], *, dedupe_on: Iterable[str] | None = None,
               extra: Mapping[str, Any] | None = None, check_required: bool | None = None,
               **values: Any) -> _T:
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
        op = _create_op(meta, dedupe_on, extra, check_required, values)
        return cast("_T", _run(meta, op))

    def bulk_create(meta, items: Iterable[Mapping[str, Any] | Resource], *,
                    check_required: bool = True, dedupe_on: Iterable[str] = (),
                    extra: Mapping[str, Any] | None = None) -> BulkResult:
        """Create many objects: one atomic PATCH on the list endpoint where the schema
        allows it, otherwise concurrent POSTs (never retried blindly). Returns a
        `BulkResult`; an object is reported created only when the server said so.
        Created objects get their URI from the answer when the server returns bodies.
        `check_required`, `dedupe_on` (POSTs only: PATCH list is all or nothing) and
        `extra` (sent with every object, never kept) work as in `create()`.
        """
        return _run(meta, bulk_create_op(meta, items, check_required, dedupe_on, extra))

    def bulk_update(meta, items: Iterable[Resource]) -> BulkResult:
        """Save many changed objects concurrently, each as `save()` would (PATCH of its
        changes, or PUT of the server's current object plus its changes).

        Not one PATCH list: Tastypie's PATCH list re-creates an object someone deleted
        (under a new id) and reports success; a detail write reports `DoesNotExist`,
        which lands in `BulkResult.failed`."""
        return _run(meta, bulk_update_op(meta, items))

    def bulk_delete(meta, items: Iterable[Resource | Any]) -> BulkResult:
        """Delete the given objects (instances or keys): `deleted_objects` in one PATCH
        list where allowed, else concurrent DELETEs. Only these objects, never a filter."""
        return _run(meta, bulk_delete_op(meta, _objects_of(meta, items)))

    def get_or_create(meta: type[_T], defaults: Mapping[str, Any] | None = None, *,
                      check_required: bool = True, extra: Mapping[str, Any] | None = None,
                      **lookups: Any) -> tuple[_T, bool]:
        """`(object, created)`: the one object matching `lookups`, else a new one made of
        the plain lookups (those without `__`) and `defaults`. A POST that fails
        ambiguously is followed by a lookup, never by a second POST; a uniqueness error
        because someone created it meanwhile gives that object. `MultipleObjectsReturned`
        when the lookups match several."""
        model = cast("type[Resource]", meta)
        op = model._get_or_create(lookups, defaults, False, extra, check_required)
        return cast("tuple[_T, bool]", _run(meta, op))

    def update_or_create(meta: type[_T], defaults: Mapping[str, Any] | None = None, *,
                         check_required: bool = True,
                         extra: Mapping[str, Any] | None = None,
                         **lookups: Any) -> tuple[_T, bool]:
        """`(object, created)` as `get_or_create()`, but a found object gets `defaults`
        saved on it (only those fields are sent, as `save()` does)."""
        model = cast("type[Resource]", meta)
        op = model._get_or_create(lookups, defaults, True, extra, check_required)
        return cast("tuple[_T, bool]", _run(meta, op))


class AsyncResourceMeta(ResourceMeta):
    """The class-level API of an `AsyncClient`'s classes: the same names, answers
    awaited (`await Domain.count()`, `await Domain.get(5)`), QuerySets for `async for`."""

    def all(meta: type[_T]) -> AsyncQuerySet[_T]:
        """Every object, lazily (`async for`)."""
        return AsyncQuerySet(meta)

    def filter(meta: type[_T], **lookups: Any) -> AsyncQuerySet[_T]:
        """A QuerySet narrowed by schema-checked filters (see QuerySet.filter)."""
        return AsyncQuerySet[_T](meta).filter(**lookups)

    def order_by(meta: type[_T], *keys: str) -> AsyncQuerySet[_T]:
        """Every object in the given order (fields the schema lists as orderable)."""
        return AsyncQuerySet[_T](meta).order_by(*keys)

    def unchecked(meta: type[_T], **params: Any) -> AsyncQuerySet[_T]:
        """A QuerySet with parameters the schema does not describe, sent as given."""
        return AsyncQuerySet[_T](meta).unchecked(**params)

    def exclude(meta: type[_T], **lookups: Any) -> AsyncQuerySet[_T]:
        """Not available on Tastypie, which has no negated filters: always raises."""
        return AsyncQuerySet[_T](meta).exclude(**lookups)

    def values(meta, *names: str) -> Any:
        """Every object as a dict of raw values (see QuerySet.values); awaited answers."""
        return AsyncQuerySet[Any](meta).values(*names)

    def values_list(meta, *names: str, flat: bool = False) -> Any:
        """Every object as a tuple of raw values (see QuerySet.values_list)."""
        return AsyncQuerySet[Any](meta).values_list(*names, flat=flat)

    async def count(meta) -> int:               # type: ignore[override]
        """How many objects there are (from `total_count`)."""
        return await AsyncQuerySet[Any](meta).count()

    async def first(meta: type[_T]) -> _T | None:   # type: ignore[override]
        """The first object in the server's default order, or None."""
        return await AsyncQuerySet[_T](meta).first()

    async def last(meta: type[_T]) -> _T | None:    # type: ignore[override]
        """The last object in the server's default order, or None."""
        return await AsyncQuerySet[_T](meta).last()

    async def exists(meta) -> bool:             # type: ignore[override]
        """Whether there is any object at all (one is fetched)."""
        return await AsyncQuerySet[Any](meta).exists()

    async def in_bulk(meta: type[_T], id_list: Iterable[Any] | None = None, *,  # type: ignore[override]
                      field_name: str = "pk") -> dict[Any, _T]:
        """`{key: object}` for the given keys (see QuerySet.in_bulk)."""
        return await AsyncQuerySet[_T](meta).in_bulk(id_list, field_name=field_name)

    async def get(meta: type[_T], key: Any = None, /,  # type: ignore[override]
                  **lookups: Any) -> _T:
        """One object by key or by filters (see `ResourceMeta.get`)."""
        return cast("_T", await _arun(meta, _get_op(meta, key, lookups)))

    async def create(meta: type[_T], *,         # type: ignore[override]
                     dedupe_on: Iterable[str] | None = None,
                     extra: Mapping[str, Any] | None = None,
                     check_required: bool | None = None, **values: Any) -> _T:
        """POST a new object and return it (see `ResourceMeta.create`)."""
        op = _create_op(meta, dedupe_on, extra, check_required, values)
        return cast("_T", await _arun(meta, op))

    async def bulk_create(meta,                 # type: ignore[override]
                          items: Iterable[Mapping[str, Any] | Resource], *,
                          check_required: bool = True, dedupe_on: Iterable[str] = (),
                          extra: Mapping[str, Any] | None = None) -> BulkResult:
        """Create many objects (see `ResourceMeta.bulk_create`)."""
        return await _arun(meta, bulk_create_op(meta, items, check_required, dedupe_on,
                                                 extra))

    async def bulk_update(meta, items: Iterable[Resource]) -> BulkResult:  # type: ignore[override]
        """Save many changed objects (see `ResourceMeta.bulk_update`)."""
        return await _arun(meta, bulk_update_op(meta, items))

    async def bulk_delete(meta, items: Iterable[Resource | Any]) -> BulkResult:  # type: ignore[override]
        """Delete the given objects (see `ResourceMeta.bulk_delete`)."""
        return await _arun(meta, bulk_delete_op(meta, _objects_of(meta, items)))

    async def get_or_create(                    # type: ignore[override]
            meta: type[_T], defaults: Mapping[str, Any] | None = None, *,
            check_required: bool = True, extra: Mapping[str, Any] | None = None,
            **lookups: Any) -> tuple[_T, bool]:
        """`(object, created)` (see `ResourceMeta.get_or_create`)."""
        model = cast("type[Resource]", meta)
        op = model._get_or_create(lookups, defaults, False, extra, check_required)
        return cast("tuple[_T, bool]", await _arun(meta, op))

    async def update_or_create(                 # type: ignore[override]
            meta: type[_T], defaults: Mapping[str, Any] | None = None, *,
            check_required: bool = True, extra: Mapping[str, Any] | None = None,
            **lookups: Any) -> tuple[_T, bool]:
        """`(object, created)` (see `ResourceMeta.update_or_create`)."""
        model = cast("type[Resource]", meta)
        op = model._get_or_create(lookups, defaults, True, extra, check_required)
        return cast("tuple[_T, bool]", await _arun(meta, op))


def _run(cls: Any, op: Operation[T]) -> T:
    """An operation run on a sync client's session: its value."""
    return cast(T, cls._registry.run(op))


def _arun(cls: Any, op: Operation[T]) -> Awaitable[T]:
    """An operation run on an async client's session: an awaitable."""
    return cast("Awaitable[T]", cls._registry.run(op))


def _objects_of(cls: Any, items: Iterable[Any]) -> list[Any]:
    """Objects for `bulk_delete()`: instances as given, keys as objects of `cls`."""
    return [item if isinstance(item, Resource)
            else cls._from_raw({"resource_uri": cls.detail_url(item)}) for item in items]


def _get_op(model: Any, key: Any, lookups: dict[str, Any]) -> Operation[Any]:
    """`get()`'s operation, once its arguments are checked."""
    cls: type[Resource] = model
    if key is not None and lookups:
        raise TypeError("Give a key or lookups, not both.")
    if key is None:
        if not lookups:
            raise TypeError("get() needs a key or at least one lookup.")
        return queryset_for(cls)._get_op(lookups)
    return cls._get_op(key)


def _create_op(model: Any, dedupe_on: Iterable[str] | None,
               extra: Mapping[str, Any] | None, check_required: bool | None,
               values: dict[str, Any]) -> Operation[Any]:
    """`create()`'s operation, once everything that can be checked is checked."""
    cls: type[Resource] = model
    for option, given in (("dedupe_on", dedupe_on), ("extra", extra),
                          ("check_required", check_required)):
        if given is not None and option in cls.fields:
            values[option] = given
    dedupe = () if dedupe_on is None or "dedupe_on" in cls.fields else tuple(dedupe_on)
    inputs = {} if extra is None or "extra" in cls.fields else dict(extra)
    required = check_required is not False or "check_required" in cls.fields
    unknown = set(values) - set(cls.fields)
    if unknown and cls.typed:                     # raises, naming the unknown fields
        cls._validate(cls._encoded_values(values), creating=True,
                      explicit_readonly=values, check_required=required)
    obj = cls(**values)
    return obj._create_op(inputs, dedupe, required)


async def _itself(value: Any) -> Any:
    return value


# ---------------------------------------------------------------- the base class

class Resource(metaclass=ResourceMeta):
    """Base of every resource class. Instances are objects of one resource.

    Read a field as an attribute for its typed view (`obj.created_at` is a datetime,
    `obj.domain` the related object) or as an item for the raw value (`obj["created_at"]`
    is what the server sent). Assign attributes to change fields, then `save()`.
    """

    _schema: ClassVar[ResourceSchema] = ResourceSchema(name="", fields={})
    _json_schema: ClassVar[dict[str, Any]] = {}
    _has_schema: ClassVar[bool] = True
    _listed: ClassVar[bool] = True
    _registry: ClassVar[Registry]
    _list_url: ClassVar[str] = ""
    _validators: ClassVar[dict[bool, Any]]
    _untargeted: ClassVar[set[str]]
    _uri_key: ClassVar[str] = ""    # the field detail URIs carry when not the key (a slug)
    _omitted: ClassVar[set[str]] = set()   # fields missing from details too: not read again
    _collection: ClassVar[str] = "objects"   # the list key of PATCH lists (collection_name)

    __slots__ = ("_raw", "_changes", "_related", "_snapshot", "_deleted", "_unread")
    _raw: dict[str, Any]                 # what the server sent (cleaned of secret extras)
    _changes: dict[str, Any]             # what the caller set since, as Python values
    _related: dict[str, Any]             # related objects fetched or given
    _snapshot: dict[str, Any] | None     # the representation as last read, for conflicts
    _deleted: bool                       # deleted through this client, or found deleted
    _unread: bool                        # written, but the server's answer not yet read

    def __init__(self, **values: Any):
        object.__setattr__(self, "_raw", {})
        object.__setattr__(self, "_changes", {})
        object.__setattr__(self, "_related", {})
        object.__setattr__(self, "_snapshot", None)
        object.__setattr__(self, "_deleted", False)
        object.__setattr__(self, "_unread", False)
        for name, value in values.items():
            self._set(name, value)

    @classmethod
    def _from_raw(cls, data: Mapping[str, Any]) -> Resource:
        obj = object.__new__(cls)
        raw = _clean_read(cls, data)
        put = object.__setattr__         # slots, set past our own __setattr__; a hot path
        put(obj, "_raw", raw)
        put(obj, "_changes", {})
        put(obj, "_related", {})
        put(obj, "_snapshot", raw)
        put(obj, "_deleted", False)
        put(obj, "_unread", False)
        return obj

    # -- reading

    @property
    def resource_uri(self) -> str | None:
        """The object's URI as the server gave it (None before it is saved). Where the
        server sends no URIs (`include_resource_uri = False`), the one it would send."""
        uri = self._raw.get("resource_uri")
        if isinstance(uri, str):
            return uri
        cls = type(self)
        if cls.typed and "resource_uri" not in cls.fields:
            pk_name = cls._schema.primary_key
            key = self._raw.get(pk_name) if pk_name else None
            if key is not None and key != "":
                return cls.detail_url(key)
        return None

    @property
    def pk(self) -> Any:
        """The primary key (from the data, else the last part of the URI when the URI
        carries the key rather than another field such as a slug)."""
        cls = type(self)
        pk_name = cls._schema.primary_key if cls.typed else "id"
        if pk_name is not None and pk_name in self._raw:
            return self._raw[pk_name]
        uri = self._raw.get("resource_uri")
        if not isinstance(uri, str) or cls._uri_key not in ("", pk_name):
            return None
        return _key_from_uri(uri)

    @property
    def id(self) -> Any:
        """The `id` field, or the primary key when the object has none."""
        return self._raw.get("id", self.pk)

    def __getitem__(self, key: str) -> Any:
        if self._unread:
            self._read_back_now()
        if key in self._changes:
            return encode_write_value(self._changes[key])
        return self._raw[key]

    def __contains__(self, key: object) -> bool:
        return key in self._changes or key in self._raw

    def get_raw(self, key: str, default: Any = None) -> Any:
        """The raw value of `key`, or `default` when the object does not have it."""
        return self[key] if key in self else default

    def to_dict(self) -> dict[str, Any]:
        """The representation as the server sent it, with unsaved changes applied."""
        if self._unread:
            self._read_back_now()
        data = dict(self._raw)
        data.update({k: encode_write_value(v) for k, v in self._changes.items()})
        return data

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        fields = type(self).fields
        if name in fields:
            if self._unread:
                self._read_back_now()
            return self._typed(fields[name])
        if name in self._raw:
            return self._raw[name]
        on_class = (f" {name!r} is on the class: type(obj).{name}."
                    if hasattr(ResourceMeta, name) else "")
        if not type(self).typed:
            raise AttributeError(
                f"{type(self).resource_name} object has no key {name!r}.{on_class}")
        raise AttributeError(f"{type(self).__name__} has no field {name!r}."
                             f"{on_class or suggest(name, fields)}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        if name in _OWN_METHODS:
            raise AttributeError(
                f"{name!r} is the object's own method; set a field of that name with "
                f"obj[{name!r}] = value.")
        self._set(name, value)

    def __setitem__(self, key: str, value: Any) -> None:
        """Change field `key`, as assigning the attribute does: the way to set a field
        named like one of the object's own names (`obj["save"] = True`)."""
        self._set(key, value)

    def _set(self, name: str, value: Any) -> None:
        cls = type(self)
        fields = cls.fields
        if cls.typed and name not in fields and cls._refreshed_for(name):
            fields = cls.fields
        if cls.typed and name not in fields:
            raise AttributeError(
                f"{cls.__name__} has no field {name!r}.{suggest(name, fields)} "
                f"Fields: {', '.join(sorted(fields))}")
        self._changes[name] = value
        self._related.pop(name, None)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(type(self).fields) | set(self._raw))

    def __repr__(self) -> str:
        label = self.resource_uri or "unsaved"
        shown = ""
        for key in ("name", "localpart", "email", "username", "server"):
            value = self._changes.get(key, self._raw.get(key))
            if isinstance(value, str):
                shown = f" {key}={value!r}"
                break
        changed = f" changed={sorted(self._changes)}" if self._changes else ""
        return f"<{type(self).__name__} {label}{shown}{changed}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Resource) or self.resource_uri is None:
            return NotImplemented
        return self.resource_uri == other.resource_uri

    def __hash__(self) -> int:
        return hash(self.resource_uri) if self.resource_uri else id(self)

    def _typed(self, f: Field) -> Any:
        if (f.name not in self._raw and _FROM_LIST in self._related
                and f.name not in self._changes and f.name not in self._omitted):
            self._read_missing(f.name)
        if f.is_related:
            if f.name in self._related:
                return self._related[f.name]
            change = self._changes.get(f.name, NO_DEFAULT)
            if isinstance(change, Resource) or (
                    isinstance(change, list) and all(isinstance(c, Resource) for c in change)):
                return change
            if self._registry.is_async:
                raw = self.get_raw(f.name)
                if raw is None or raw == []:
                    return raw
                raise MailRouteError(
                    f"{type(self).__name__}.{f.name} is not fetched yet; on an AsyncClient use "
                    f"'await obj.fetch({f.name!r})'.")
            return self._registry.run(self._fetch_related(f.name))
        raw = self.get_raw(f.name)
        return typed_value(f.type, raw, where=f"{type(self).resource_name}.{f.name}")

    def _read_missing(self, name: str) -> None:
        """A field the schema has but a list representation lacks (`use_in="detail"`):
        read the object's detail once rather than report the field as None."""
        if self.resource_uri is None:
            return
        if self._registry.is_async:
            raise MailRouteError(
                f"{type(self).__name__}.{name} is not in the list representation this "
                "object was read from; on an AsyncClient use 'await obj.refresh()' first.")
        self._registry.run(self._fill_op())
        if name not in self._raw:
            # the detail lacks it too (a server that omits fields, a list-only field):
            # other objects of this class are not read again for it
            type(self)._omitted.add(name)

    def _fill_op(self) -> Operation[None]:
        """Add what the detail representation has and the list one lacked."""
        answer: Answer = yield Call("GET", self._detail())
        if isinstance(answer.body, dict):
            found = {k: v for k, v in _clean_read(type(self), answer.body).items()
                     if k not in self._raw}
            self._raw = {**self._raw, **found}
            self._snapshot = {**(self._snapshot or {}), **found}
        self._related.pop(_FROM_LIST, None)
        return None

    def _fetch_related(self, name: str) -> Operation[Any]:
        f = type(self).fields.get(name)
        if f is None or not f.is_related:
            raise AttributeError(f"{type(self).__name__} has no related field {name!r}.")
        if name in self._related:
            return self._related[name]
        raw = self.get_raw(name)
        if raw is None:
            value: Any = None
        elif f.related_type == "to_many" and isinstance(raw, list):
            value = yield from self._registry.objects_op(raw)
        else:
            value = (yield from self._registry.objects_op([raw]))[0]
        self._related[name] = value
        return value

    def fetch(self, name: str) -> Any:
        """The related object(s) behind field `name`, fetched once (await it when async)."""
        return self._registry.run(self._fetch_related(name))

    # -- class-level queries

    @classmethod
    def _registry_run(cls, op: Operation[Any]) -> Any:
        return cls._registry.run(op)

    @classmethod
    def _is_async(cls) -> bool:
        return cls._registry.is_async

    @classmethod
    def _page_size(cls) -> int:
        return cls._registry.settings.page_size

    @classmethod
    def _registry_stream(cls, ops: Iterable[Operation[Any]], window: int) -> Any:
        return cls._registry.stream(ops, window)

    @classmethod
    def _registry_settings(cls) -> Settings:
        return cls._registry.settings

    @classmethod
    def _check_filter(cls, lookup: str, value: Any) -> FilterCheck:
        try:
            return check_filter(cls._schema, lookup, value, cls._registry.loaded_schema,
                                cls._registry.target_of)
        except FilterError:
            if cls._refreshed_for(lookup.split("__", 1)[0]):
                return cls._check_filter(lookup, value)
            raise

    @classmethod
    def _check_order(cls, key: str) -> str:
        try:
            return check_ordering(cls._schema, key)
        except OrderingError:
            if cls._refreshed_for(key.lstrip("-").split("__", 1)[0]):
                return check_ordering(cls._schema, key)
            raise

    @classmethod
    def _refreshed_for(cls, name: str) -> bool:
        """Read a schema that came from a cache again, once, when the caller names a field
        it does not know or allow: the server may have grown it since."""
        registry = cls._registry
        if (registry.is_async or not cls.typed
                or cls.resource_name in registry.discovery.fresh):
            return False
        raw = registry.run(registry.discovery.schema(cls.resource_name, force=True,
                                                     listed_only=False))
        registry.update(cls, parse_schema(cls.resource_name, raw, registry.settings.api_path))
        return True

    @classmethod
    def _finish_filters(cls, checks: tuple[FilterCheck, ...],
                        raw: tuple[tuple[str, Any], ...]) -> Operation[None]:
        for check in checks:
            pending = check.pending
            while pending is not None:
                target, _rest, _term = pending
                if not target:
                    yield from cls._registry.learn_targets_op(cls)
                yield from cls._registry.schema_op_for_check(cls, check.param)
                again = cls._check_filter(check.param, check.value)
                if again.pending == pending:
                    break               # the target stays unknown: the server will judge
                pending = again.pending
        return None

    @classmethod
    def _learn_uri_key(cls, data: Mapping[str, Any], uri: str | None = None) -> None:
        """Note which field a detail URI carries, when it is not the primary key
        (`detail_uri_name = "slug"`): then the URI's last part is no primary key."""
        uri = uri if uri is not None else data.get("resource_uri")
        if cls._uri_key or not cls.typed or not isinstance(uri, str):
            return
        last = uri.rstrip("/").rsplit("/", 1)[-1]
        pk_name = cls._schema.primary_key
        if pk_name is None or (pk_name in data and str(data[pk_name]) == last):
            return
        for name, value in data.items():
            f = cls.fields.get(name)
            if (f is not None and f.unique and not isinstance(value, dict | list)
                    and str(value) == last):
                cls._uri_key = name       # a detail URI names one object: a unique field
                return

    @classmethod
    def _wrap_page(cls, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        if cls._untargeted and objects:
            cls._registry.learn_from(cls, objects[0])
        if objects and not cls._uri_key:
            cls._learn_uri_key(objects[0])
        own = cls._list_url.rstrip("/") + "/"   # (a slashless list URL is a prefix of more)
        out: list[Any] = []
        for data in objects:
            uri = data.get("resource_uri")
            if not isinstance(uri, str) or uri.startswith(own):
                obj = cls._from_raw(data)
            else:
                other = yield from cls._registry.class_for_uri_op(uri)
                obj = other._from_raw(data)
            if not type(obj).fields.keys() <= obj._raw.keys():   # left out of lists (use_in)
                obj._related[_FROM_LIST] = True
            out.append(obj)
        return out

    @classmethod
    def _get_op(cls, key: Any) -> Operation[Resource]:
        check_method(cls._schema, "get", detail=True)
        if str(key) in _NOT_KEYS:     # Tastypie routes these to the schema, never an object
            raise DoesNotExist(404, "GET", cls.detail_url(key), None,
                               f"no {cls.resource_name} with key {key!r}: "
                               f"{cls._list_url}{key}/ is the resource's schema")
        return (yield from _read_object_op(cls, cls.detail_url(key),
                                           f"no {cls.resource_name} with key {key!r}"))

    # -- writes

    @classmethod
    def _validator(cls, creating: bool) -> Any:
        cache = cls._validators
        if creating not in cache:
            import jsonschema  # on the first write only: it costs ~100 ms of start-up
            schema = cls._schema.json_schema(creating=creating)
            cache[creating] = jsonschema.Draft202012Validator(schema)
        return cache[creating]

    @classmethod
    def _validate(cls, body: Mapping[str, Any], *, creating: bool,
                  explicit_readonly: Iterable[str] = (), check_required: bool = True) -> None:
        errors: dict[str, list[str]] = {}
        fields = cls.fields
        allowed_ro = set(explicit_readonly)
        for key in body:
            f = fields.get(key)
            if f is None:
                errors.setdefault(key, []).append(
                    f"Unknown field.{suggest(key, fields)} Pass write-only inputs the schema "
                    "does not describe through extra={...}.")
            elif f.readonly and not (creating and key in allowed_ro):
                errors.setdefault(key, []).append("This field is read-only.")
            elif not creating and key == cls._schema.primary_key:
                errors.setdefault(key, []).append(
                    "The primary key cannot change: a write with another key would make a "
                    "new object. Create one with the new key instead.")
        known = {k: v for k, v in body.items() if k in fields}
        for err in cls._validator(creating).iter_errors(known):
            if err.validator == "required":
                for name in err.validator_value if check_required else ():
                    messages = errors.setdefault(name, []) if name not in known else []
                    if name not in known and "This field is required." not in messages:
                        messages.append("This field is required.")
                continue
            where = str(err.absolute_path[0]) if err.absolute_path else "__all__"
            errors.setdefault(where, []).append(err.message)
        if errors:
            shaped = {cls.resource_name: errors}
            text = "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(errors.items()))
            raise ValidationError(f"{cls.resource_name} is not valid: {text}", shaped)

    def _encoded_changes(self) -> dict[str, Any]:
        return {k: self._encode_field(k, v) for k, v in self._changes.items()}

    @classmethod
    def _encoded_values(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` as a write would send them (related objects as URIs, times as ISO),
        so validation judges what goes on the wire, never the Python objects. Names the
        schema does not know stay as given, for the error to name them."""
        out = {}
        for name, value in values.items():
            f = cls.fields.get(name)
            if f is not None and f.is_related:
                out[name] = cls._registry.related_value(f, value, cls)
            else:
                out[name] = encode_write_value(value)
        return out

    def _encode_field(self, name: str, value: Any) -> Any:
        f = type(self).fields.get(name)
        if f is not None and f.is_related:
            return self._registry.related_value(f, value, type(self))
        return encode_write_value(value)

    def _adopt(self, answer: Answer, sent: Mapping[str, Any], extra: Iterable[str],
               base: Mapping[str, Any] | None = None) -> bool:
        """Take the server's answer to a write as the new last-read representation.

        True when the answer carried the object; False when it was empty (Tastypie's
        default), and what the instance now holds is only `base` plus what was sent."""
        cls = type(self)
        data = dict(self._raw if base is None else base)
        data.update(sent)
        answered = isinstance(answer.body, dict) and bool(answer.body)
        if answered:
            data.update(_clean_write_answer(cls, answer.body, extra))
        path = _location_path(answer)
        if path and "resource_uri" not in data and (not cls.typed or "resource_uri" in cls.fields):
            data["resource_uri"] = path
        pk_name = cls._schema.primary_key
        if path:
            cls._learn_uri_key(data, path)
        if path and pk_name and pk_name not in data and cls._uri_key in ("", pk_name):
            data[pk_name] = _key_from_uri(path)
        data = _clean_read(cls, data)
        self._raw = data
        self._snapshot = data
        self._changes = {}
        self._related = {}
        self._unread = False
        return answered

    def _adopt_op(self, answer: Answer, sent: Mapping[str, Any], extra: Iterable[str],
                  base: Mapping[str, Any] | None = None) -> Operation[Any]:
        """`_adopt`, then read the object back when the answer had no body: fields the
        server filled (`created_at`, defaults, rows it made) and values it normalised
        then read as stored, and `if_unchanged` compares against what it stored."""
        if self._adopt(answer, sent, extra, base) or self.resource_uri is None:
            return self
        try:
            fresh: Answer = yield Call("GET", self._detail())
        except MailRouteError:
            fresh = Answer(0, {}, None, "")
        if isinstance(fresh.body, dict) and fresh.body:
            self._take(fresh.body)
        else:       # the write happened: never fail it for the read; read on first access
            self._unread = True
        return self

    def _take(self, data: Mapping[str, Any]) -> None:
        """The server's representation as the last read one; unsaved changes stay."""
        raw = _clean_read(type(self), data)
        self._raw = raw
        self._snapshot = raw
        self._related = {}
        self._unread = False

    def _read_back_now(self) -> None:
        """Read an object written without an answer body, before showing any field."""
        if self._registry.is_async:
            raise MailRouteError(
                f"This {type(self).resource_name} was written but the server's answer had no "
                "body, and reading it back failed; on an AsyncClient use "
                "'await obj.refresh()' before reading its fields.")
        self._registry.run(self._current_op(self._detail(), "GET", take=True))

    def _gone(self, method: str, url: str, why: str) -> DoesNotExist:
        self._deleted = True
        return DoesNotExist(404, method, url, None,
                            f"{type(self).resource_name} {url} {why}; a save never re-creates it")

    def _current_op(self, url: str, method: str, take: bool = False) -> Operation[Any]:
        """The object as the server has it now (a 404: it was deleted)."""
        try:
            answer: Answer = yield Call("GET", url)
        except NotFound:
            raise self._gone(method, url, "was deleted") from None
        if not isinstance(answer.body, dict):
            raise ResponseError(f"GET {url}: expected an object, got "
                                f"{type(answer.body).__name__}")
        if take:
            self._take(answer.body)
        return answer.body

    def _create_op(self, extra: Mapping[str, Any], dedupe_on: tuple[str, ...],
                   check_required: bool = True) -> Operation[Any]:
        cls = type(self)
        check_method(cls._schema, "post", detail=False)
        body = {k: v for k, v in self._encoded_changes().items()
                if k not in (cls._schema.assigned_key, "resource_uri")}
        cls._validate(body, creating=True, explicit_readonly=self._changes,
                      check_required=check_required)
        payload = {**body, **encode_write_value(dict(extra))}
        call = Call("POST", cls._list_url, json=payload)
        lookups = 0
        while True:
            try:
                answer: Answer = yield call
                break
            except (AmbiguousWriteError, ServerError) as exc:
                ambiguous = not isinstance(exc, ServerError) or exc.status_code in (502, 504)
                if not (ambiguous and dedupe_on) or lookups > cls._registry.settings.retries:
                    raise
                done = exc if isinstance(exc, UnreadableWriteAnswer) else None
            lookups += 1    # the POST may have worked: look before trying again
            existing = yield from self._find_by(dedupe_on, body)
            if existing is not None:
                self._take(existing._raw)
                self._changes = {}
                return self
            if done is not None:    # the server said it created it: never post it twice
                raise done
        return (yield from self._adopt_op(answer, body, extra))

    def _find_by(self, names: tuple[str, ...], body: Mapping[str, Any]) -> Operation[Any]:
        cls = type(self)
        lookups = {}
        for name in names:
            if name not in body:
                raise ValueError(f"dedupe_on names {name!r}, which the create does not set.")
            value = body[name]
            f = cls.fields.get(name)
            uri = looks_like_uri(value) or (f is not None and f.is_related
                                            and isinstance(value, str) and value[:1] == "/")
            lookups[name] = _key_from_uri(value) if uri else value  # slashless URIs too
        qs = queryset_for(cls).filter(**lookups)
        found = yield from qs._fetch(qs._first_call(limit=2))
        objects = found[1]
        return objects[0] if len(objects) == 1 else None

    def _detail(self) -> str:
        if self.resource_uri:
            return self.resource_uri
        if self.pk is None:
            raise GuardError(f"This {type(self).resource_name} has not been saved: it has no URI.")
        return type(self).detail_url(self.pk)

    def _save_op(self, extra: Mapping[str, Any], if_unchanged: bool,
                 method: str | None = None) -> Operation[Any]:
        cls = type(self)
        if self._raw.get("resource_uri") is None and self.pk is None and not self._deleted:
            return (yield from self._create_op(extra, ()))
        detail = cls._schema.allowed_detail_methods
        if method is None:
            method = "patch" if "patch" in detail else "put"
        method = method.lower()
        if method not in ("patch", "put"):
            raise ValueError("save(method=...) takes 'patch' or 'put'")
        if self._deleted:
            raise self._gone(method.upper(), self._detail(), "was deleted; nothing was sent")
        check_method(cls._schema, method, detail=True)
        if not self._changes and not extra:
            return self
        changes = self._encoded_changes()
        cls._validate(changes, creating=False)
        url = self._detail()
        verb = method.upper()
        fresh: dict[str, Any] = {}
        if method == "put" or if_unchanged:
            # a written object never read back has no snapshot to compare: the read is it
            unread = self._unread
            fresh = yield from self._current_op(url, verb)
            snapshot = fresh if unread else (self._snapshot or {})
            differ = sorted(k for k in snapshot if if_unchanged
                            and k in cls.fields and snapshot.get(k) != fresh.get(k))
            if differ:
                raise Conflict(409, "GET", url, None,
                               f"{type(self).resource_name} changed since it was read "
                               f"(fields: {', '.join(differ)}); nothing was sent")
        extra_body = encode_write_value(dict(extra))
        if method == "patch":
            body = {**changes, **extra_body}
            try:
                answer: Answer = yield Call("PATCH", url, json=body, idempotent=True)
            except NotFound:
                raise self._gone(verb, url, "was deleted") from None
            return (yield from self._adopt_op(answer, changes, extra))
        # PUT replaces the whole object: send what the server has now plus this object's
        # changes, so a field someone else changed since our read is never put back
        current = {f.name: fresh[f.name] for f in cls._schema.writable() if f.name in fresh}
        body = {**current, **changes, **extra_body}
        answer = yield Call("PUT", url, json=body)
        if answer.status == 201:
            # Tastypie's PUT to a missing id creates it: the object was deleted between
            # our read and the PUT. Undo the copy, never report it saved.
            try:
                yield Call("DELETE", url)
            except NotFound:
                pass
            except MailRouteError as exc:
                raise self._gone(verb, url, f"was deleted meanwhile, the PUT re-created it "
                                            f"and removing that copy failed ({exc})") from None
            raise self._gone(verb, url, "was deleted meanwhile (the copy the PUT made was "
                                        "deleted again)")
        return (yield from self._adopt_op(answer, changes, extra, base=fresh))

    def save(self, *, if_unchanged: bool = False, extra: Mapping[str, Any] | None = None,
             method: str | None = None) -> Self:
        """Create the object, or send what changed: PATCH, or where the resource has no
        PATCH, a PUT of the object as the server has it now plus this object's changes
        (read just before), so no field is wiped and none someone else changed since
        this object was read is put back.

        A save never re-creates a deleted object: it raises `DoesNotExist`.
        `if_unchanged=True` reads the object first and raises `Conflict`, sending
        nothing, if anything changed on the server since it was read. `method="put"`
        forces a full PUT where a server lists PATCH but does not take it (MailRoute's
        2013 server).
        """
        return cast(Self, self._registry.run(self._save_op(dict(extra or {}), if_unchanged,
                                                          method)))

    def _refresh_op(self) -> Operation[Any]:
        yield from self._current_op(self._detail(), "GET", take=True)
        self._changes = {}
        return self

    def refresh(self) -> Self:
        """Read the object again; unsaved changes are discarded."""
        return cast(Self, self._registry.run(self._refresh_op()))

    def _delete_op(self) -> Operation[None]:
        check_method(self._schema, "delete", detail=True)
        yield Call("DELETE", self._detail())
        self._deleted = True

    def delete(self) -> None:
        """DELETE this object."""
        self._registry.run(self._delete_op())

    # -- custom actions (not in any schema: MailRoute's regenerate_api_key, move, ...)

    def _action_on_instance(self, name: str, json: Any = None, *, method: str = "POST",
                            params: Mapping[str, Any] | None = None) -> Any:
        """Call a custom action under this object's URL (`{detail}{name}/`)."""
        return self._registry.run(_action_op(self._detail(), name, json, method, params))

    @classmethod
    def _action_on_class(cls, name: str, json: Any = None, *, method: str = "POST",
                         params: Mapping[str, Any] | None = None) -> Any:
        """Call a custom action under the list URL (`{list_endpoint}{name}/`)."""
        return cls._registry.run(_action_op(cls._list_url, name, json, method, params))

    action = _hybrid(_action_on_class.__func__, _action_on_instance)  # type: ignore[attr-defined]

    # -- Django's get_or_create / update_or_create and QuerySet.update (see ResourceMeta)

    @classmethod
    def _get_or_create(cls, lookups: dict[str, Any], defaults: Mapping[str, Any] | None,
                       update: bool, extra: Mapping[str, Any] | None,
                       check_required: bool,
                       within: QuerySet[Any] | None = None) -> Operation[tuple[Any, bool]]:
        """Check everything that can be checked before any request, then the operation.
        `within`: the QuerySet looked in (its filters narrow the lookup, not the create)."""
        if not lookups:
            raise TypeError("get_or_create()/update_or_create() need at least one lookup.")
        qs = (within if within is not None else queryset_for(cls)).filter(**lookups)
        defaults = dict(defaults or {})
        values = {k: v for k, v in lookups.items() if "__" not in k}   # as Django does
        wanted = {**values, **defaults}
        if set(wanted) - set(cls.fields):                 # raises, naming the unknown ones
            cls._validate(cls._encoded_values(wanted), creating=True,
                          explicit_readonly=wanted, check_required=check_required)
        if update and defaults:
            cls._check_update(defaults)
        # after an ambiguous POST failure the object is looked up by its plain lookups
        dedupe = tuple(k for k in values if k not in (cls._schema.primary_key, "resource_uri"))
        return cls._get_or_create_op(qs, wanted, defaults if update else {},
                                     dict(extra or {}), dedupe, check_required)

    @classmethod
    def _get_or_create_op(cls, qs: QuerySet[Any], wanted: dict[str, Any],
                          changes: dict[str, Any], extra: dict[str, Any],
                          dedupe: tuple[str, ...],
                          check_required: bool) -> Operation[tuple[Any, bool]]:
        found = yield from cls._lookup_op(qs)
        if found is None:
            obj = cls(**wanted)
            try:
                yield from obj._create_op(extra, dedupe, check_required)
                return obj, True
            except BadRequest:
                # created by someone else since the lookup (a uniqueness error): use theirs
                found = yield from cls._lookup_op(qs)
                if found is None:
                    raise
        if changes:
            for name, value in changes.items():
                found._set(name, value)
            yield from found._save_op({}, False)
        return found, False

    @staticmethod
    def _lookup_op(qs: QuerySet[Any]) -> Operation[Any]:
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
    def _update_objects_op(cls, objects: list[Any],
                           fields: Mapping[str, Any]) -> Operation[BulkResult]:
        """`QuerySet.update()`'s writes (see bulk.update_objects_op)."""
        return update_objects_op(cls, objects, fields)


def _read_object_op(cls: type[Resource], url: str, missing: str) -> Operation[Resource]:
    """GET one object; a 404 becomes DoesNotExist, a non-object body a ResponseError."""
    try:
        answer: Answer = yield Call("GET", url)
    except NotFound as exc:           # keep what the server said (HTML title, error_message)
        said = error_message(exc.body)[0]
        raise DoesNotExist(exc.status_code, exc.method, exc.url, exc.body,
                           f"{missing}: {said}" if said else missing) from None
    if not isinstance(answer.body, dict):
        raise ResponseError(f"GET {url}: expected an object, got {type(answer.body).__name__}")
    _check_own(cls, answer.body, url)
    return cls._from_raw(answer.body)


def _check_own(cls: type[Resource], body: Mapping[str, Any], url: str) -> None:
    """Refuse to build an answer as `cls` when it is not one of its objects (a schema,
    or another resource's object reached through a URL the server resolved elsewhere)."""
    if not cls.typed or "resource_uri" not in cls.fields:
        return
    uri = body.get("resource_uri")
    owner = resource_name_of_uri(uri, cls._registry.settings.api_path) if isinstance(
        uri, str) else None
    if owner != cls.resource_name:
        what = f"an object of {owner!r}" if owner else "no object (it has no resource_uri)"
        message = f"GET {url}: expected a {cls.resource_name} object, got {what}"
        if owner and isinstance(uri, str):
            raise _NotOwn(message, uri, body)
        raise ResponseError(message)


class _NotOwn(ResponseError):
    """An answer that is another resource's object (its `resource_uri` says which)."""

    def __init__(self, message: str, uri: str, body: Mapping[str, Any]):
        super().__init__(message)
        self.uri = uri
        self.body = body


class AsyncResource(Resource, metaclass=AsyncResourceMeta):
    """Base of an `AsyncClient`'s resource classes: the same objects, writes awaited
    (`await obj.save()`, `await obj.refresh()`, `await obj.fetch("domain")`)."""

    __slots__ = ()

    async def save(self, *, if_unchanged: bool = False,  # type: ignore[override]
                   extra: Mapping[str, Any] | None = None, method: str | None = None) -> Self:
        """Create the object, or send what changed (see `Resource.save`)."""
        op = self._save_op(dict(extra or {}), if_unchanged, method)
        return cast(Self, await _arun(self, op))

    async def refresh(self) -> Self:            # type: ignore[override]
        """Read the object again; unsaved changes are discarded."""
        return cast(Self, await _arun(self, self._refresh_op()))

    async def delete(self) -> None:             # type: ignore[override]
        """DELETE this object."""
        await _arun(self, self._delete_op())

    async def fetch(self, name: str) -> Any:
        """The related object(s) behind field `name`, fetched once."""
        return await _arun(self, self._fetch_related(name))


_ACTION_NAME = re.compile(r"[A-Za-z0-9_\-.~]+")


def _action_op(base: str, name: str, json: Any, method: str,
               params: Mapping[str, Any] | None) -> Operation[Any]:
    if not isinstance(name, str) or not _ACTION_NAME.fullmatch(name) or not name.strip("."):
        # `.`, `..`, `a/b` or `%2F` would resolve to another URL: `action(".",
        # method="DELETE")` would be a DELETE of the whole list
        raise GuardError(f"Not an action name: {name!r}. An action is one plain path "
                         "segment (letters, digits, '_', '-', '.', not only dots); use "
                         "client.request() for other URLs. Nothing was sent.")
    slash = "/" if base.endswith("/") else ""      # the server's own form (slashless APIs)
    url = f"{base.rstrip('/')}/{name}{slash}"
    body = NO_BODY if json is None else encode_write_value(json)
    pairs = tuple((k, str(v)) for k, v in (params or {}).items())
    answer: Answer = yield Call(method.upper(), url, pairs, body)
    return answer.body
