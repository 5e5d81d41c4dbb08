"""The resource bases: one Python class per server resource derives from `Resource` (a
`Client`'s) or `AsyncResource` (an `AsyncClient`'s), siblings of `BaseResource`.

BaseResource is put together by job over the object's state (classes/instances.py):
identity.py (its URI, key and equality), related.py (related objects and detail-only
fields), writes.py (the operations of every write). This module holds the typed reads,
and the two siblings the verbs that send (`save()`, `refresh()`, `delete()`, `fetch()`:
listed in verbs.py), the sync one answering at once, the async one awaited.

`Registry` builds a class with `type()` the first time a resource is used and keeps it as
long as its schema is cached. Instances keep the raw representation the server sent and
the caller's changes apart, so reads show exactly what came and writes send back untouched
fields exactly as they came. Every method that talks to the server is written once as an
operation (see transport/sessions.py) and run by the client's session, sync or async.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import MethodType
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from ..classes.adopt import check_own, read_body_op
from ..classes.fieldread import UNCHANGED, Reader, sync_view
from ..classes.instances import FROM_LIST, LAZY_STATE, STATE_SLOTS
from ..classes.registry import Registry
from ..errors import DoesNotExist, ValidationError, suggest
from ..operations import Operation
from ..query.build import QueryModel
from ..query.checks import refreshed_for
from ..schema.conversions import encode_write_value, typed_value
from ..schema.definition import Field, ResourceSchema
from ..schema.display import object_html
from ..schema.rules import check_method
from ..verbs import INSTANCE, verbs_on
from ..vocabulary import attribute_name_for, looks_secret
from .classops import action_op
from .identity import Identity
from .metaclass import BaseResourceMeta
from .related import RelatedReads
from .shortcuts import AsyncResourceMeta, ResourceMeta, _arun

if TYPE_CHECKING:
    from ..operations import Session
    from ..schema.catalogue import Catalogue

__all__ = ["BaseResource", "Resource", "AsyncResource", "INSTANCE_NAMES"]


_NOT_KEYS = frozenset({"schema"})

# The names an object answers to itself: the verbs of the table (verbs.py) and what
# BaseResource reads without sending. A server field of the same name is read as
# `obj["name"]` and set as `obj["name"] = value`; every other field is an attribute.
INSTANCE_NAMES = (
    *verbs_on(INSTANCE),
    "action",
    "to_dict",
    "get_raw",
    "related",
    "pk",
    "id",
    "resource_uri",
)
_OWN_METHODS = frozenset(INSTANCE_NAMES) - {"pk", "id", "resource_uri"}
_STATE = STATE_SLOTS  # an object's state: its only `_` names
_VIEW_STATE = frozenset({"_raw", "_changes", "_unread"})  # what the view follows


# ---------------------------------------------------------------- hybrid methods


class _hybrid:
    """A method that is a classmethod on the class and a method on instances."""

    def __init__(self, on_class: Callable[..., Any], on_instance: Callable[..., Any]):
        self.on_class, self.on_instance = on_class, on_instance
        self.__doc__ = on_instance.__doc__

    def __get__(self, obj: Any, owner: type) -> Any:
        # bound methods (not partials), so help() and IPython show a method with its doc
        if obj is None:
            return MethodType(self.on_class, owner)
        return MethodType(self.on_instance, obj)


# ---------------------------------------------------------------- the base class


class BaseResource(Identity, RelatedReads, metaclass=BaseResourceMeta):
    """Base of every resource class, sync or async: everything an object is and reads
    without sending anything. Its two siblings, `Resource` (a `Client`'s) and
    `AsyncResource` (an `AsyncClient`'s), add the verbs that send (verbs.py lists them).

    Read a field as an attribute for its typed view (`obj.created_at` is a datetime,
    `obj.domain` the related object) or as an item for the raw value (`obj["created_at"]`
    is what the server sent). Assign attributes to change fields, then `save()`.
    """

    _schema: ClassVar[ResourceSchema] = ResourceSchema(name="", fields={})
    _json_schema: ClassVar[dict[str, Any]] = {}
    _has_schema: ClassVar[bool] = True
    _listed: ClassVar[bool] = True
    _registry: ClassVar[Registry]
    _session: ClassVar[Session]  # what the client's operations run on (given when built)
    _catalogue: ClassVar[Catalogue]  # the client's classes, URIs and relation targets
    _list_url: ClassVar[str] = ""
    _validators: ClassVar[dict[bool, Any]]
    _untargeted: ClassVar[set[str]]
    _uri_key: ClassVar[str] = ""  # the field detail URIs carry when not the key (a slug)
    _omitted: ClassVar[set[str]] = set()  # fields missing from details too: not read again
    _collection: ClassVar[str] = "objects"  # the list key of PATCH lists (collection_name)
    _readers: ClassVar[dict[str, Reader]] = {}  # each field's reader (fieldread.py)

    __slots__ = ()  # the state's slots are in classes/instances.ObjectState
    _raw: dict[str, Any]  # what the server sent (cleaned of secret extras)
    _changes: dict[str, Any]  # what the caller set since, as Python values
    _related: dict[str, Any]  # related objects fetched or given
    _snapshot: dict[str, Any] | None  # the representation as last read, for conflicts
    _deleted: bool  # deleted through this client, or found deleted
    _unread: bool  # written, but the server's answer not yet read

    def __init__(self, **values: Any):
        object.__setattr__(self, "_raw", {})
        object.__setattr__(self, "_changes", {})
        object.__setattr__(self, "_related", {})
        object.__setattr__(self, "_snapshot", None)
        object.__setattr__(self, "_deleted", False)
        object.__setattr__(self, "_unread", False)
        for name, value in values.items():
            self._set(name, value)

    # -- reading

    def __getitem__(self, key: str) -> Any:
        view = self.__dict__  # as read (fieldread.py): the server's value
        if key in view:
            return view[key]
        if self._changes is UNCHANGED:
            return self._raw[key]
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
        reader = type(self)._readers.get(name)
        if reader is not None:  # a field: what reading it costs, no more
            return reader(self)
        if name.startswith("_"):
            if name in LAZY_STATE:  # fresh from a page: made now
                return self._make_slot(name)
            raise AttributeError(name)
        fields = type(self).fields
        if name in fields:  # a field whose reader is not made (yet)
            return self._typed(fields[name])
        if name in self._raw:
            return self._raw[name]
        on_class = (
            f" {name!r} is on the class: type(obj).{name}." if hasattr(ResourceMeta, name) else ""
        )
        if not type(self).typed:
            raise AttributeError(
                f"{type(self).resource_name} object has no key {name!r}.{on_class}"
            )
        raise AttributeError(
            f"{type(self).__name__} has no field {name!r}."
            f"{on_class or _reverse_hint(self, name) or suggest(name, fields)}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            if name not in _STATE:  # would land in the attribute view, the raw dict
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            object.__setattr__(self, name, value)
            if name in _VIEW_STATE:
                sync_view(self)
            return
        if name in _OWN_METHODS:
            raise AttributeError(
                f"{name!r} is the object's own method; set a field of that name with "
                f"obj[{name!r}] = value."
            )
        self._set(name, value)

    def __setitem__(self, key: str, value: Any) -> None:
        """Change field `key`, as assigning the attribute does: the way to set a field
        named like one of the object's own names (`obj["save"] = True`)."""
        self._set(key, value)

    def _set(self, name: str, value: Any) -> None:
        cls = type(self)
        fields = cls.fields
        if cls.typed and name not in fields and refreshed_for(cls, name):
            fields = cls.fields
        if cls.typed and name not in fields:
            raise AttributeError(
                f"{cls.__name__} has no field {name!r}.{suggest(name, fields)} "
                f"Fields: {', '.join(sorted(fields))}"
            )
        if cls.typed and fields[name].readonly and self._raw:
            raise _read_only_field(cls, name)
        if self._changes is UNCHANGED:  # the object's first change
            self._changes = {}
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

    def _object_html(self) -> str:
        """A notebook's view of the object: its fields with types and raw values."""
        return object_html(repr(self), type(self).fields, self.to_dict(), self._changes)

    # the class's own view (ResourceMeta._repr_html_) when read from the class, so
    # IPython finds a bound method there, as `get_real_method` wants
    _repr_html_ = _hybrid(BaseResourceMeta._repr_html_, _object_html)

    def __rich_repr__(self) -> Iterator[Any]:
        """What rich's pretty printer shows: the URI, then each field's raw value."""
        yield "resource_uri", self.resource_uri
        for name, value in self.to_dict().items():
            if name != "resource_uri":
                yield name, "***" if value is not None and looks_secret(name) else value

    def _typed(self, f: Field) -> Any:
        """The typed view of field `f`, by the general path (see fieldread.py)."""
        if self._unread:
            self._read_back_now()
        if (
            f.name not in self._raw
            and FROM_LIST in self._related
            and f.name not in self._changes
            and f.name not in self._omitted
        ):
            self._read_missing(f.name)
        if f.is_related:
            return self._related_value(f)
        raw = self.get_raw(f.name)
        return typed_value(f.type, raw, where=f"{type(self).resource_name}.{f.name}")

    @classmethod
    def _get_op(cls, key: Any) -> Operation[BaseResource]:
        check_method(cls._schema, "get", detail=True)
        if str(key) in _NOT_KEYS:  # Tastypie routes these to the schema, never an object
            raise DoesNotExist.refused_by_client(
                "GET",
                cls.detail_url(key),
                f"no {cls.resource_name} with key {key!r}: "
                f"{cls._list_url}{key}/ is the resource's schema",
            )
        return (
            yield from _read_object_op(
                cls, cls.detail_url(key), f"no {cls.resource_name} with key {key!r}"
            )
        )

    # -- custom actions (not in any schema: MailRoute's regenerate_api_key, move, ...)

    def _action_on_instance(
        self,
        name: str,
        json: Any = None,
        *,
        method: str = "POST",
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call a custom action under this object's URL (`{detail}{name}/`)."""
        return self._session.run(action_op(self._detail(), name, json, method, params))

    @classmethod
    def _action_on_class(
        cls,
        name: str,
        json: Any = None,
        *,
        method: str = "POST",
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call a custom action under the list URL (`{list_endpoint}{name}/`)."""
        return cls._session.run(action_op(cls._list_url, name, json, method, params))

    action = _hybrid(_action_on_class.__func__, _action_on_instance)  # type: ignore[attr-defined]


def _reverse_hint(obj: BaseResource, name: str) -> str:
    """For `dom.email_account_set` (Django's name for a reverse relation): the way here."""
    resource = name.removesuffix("_set")
    listed = {attribute_name_for(n): n for n in type(obj)._catalogue.listed_names()}
    if resource not in listed:
        return ""
    return (
        f" Objects of {listed[resource]!r} that point at this one: "
        f"obj.related({listed[resource]!r})."
    )


def _read_only_field(cls: type[BaseResource], name: str) -> ValidationError:
    """The refusal of a change to a read-only field of an object the server has: no
    write would ever store it, so it is refused now rather than at `save()`."""
    return ValidationError(
        f"{cls.resource_name}.{name} is read-only: the server sets it, and no save of "
        f"this object would change it. (A new object takes it: {cls.__name__}({name}=...) "
        f"or create({name}=...), sent as given.)",
        {cls.resource_name: {name: ["This field is read-only."]}},
    )


def _read_object_op(cls: type[BaseResource], url: str, missing: str) -> Operation[BaseResource]:
    """GET one object of `cls` (see `read_body_op`); another resource's object is a
    ResponseError (`check_own`)."""
    body = yield from read_body_op(url, missing)
    check_own(cls, body, url)
    return cls._from_raw(body)


class Resource(BaseResource, metaclass=ResourceMeta):
    """Base of a `Client`'s resource classes. Instances are objects of one resource.

    Read a field as an attribute for its typed view (`obj.created_at` is a datetime,
    `obj.domain` the related object) or as an item for the raw value (`obj["created_at"]`
    is what the server sent). Assign attributes to change fields, then `save()`.
    """

    __slots__ = ()

    def save(
        self,
        *,
        if_unchanged: bool = False,
        extra: Mapping[str, Any] | None = None,
        method: str | None = None,
    ) -> Self:
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
        op = self._save_op(dict(extra or {}), if_unchanged, method)
        journal = self._session.journal
        if journal is not None:  # inside `with client.journal(...)`
            creating = self._raw.get("resource_uri") is None and self.pk is None
            journal.single(
                type(self), "create" if creating else "update", self, op, self._session.run
            )
            return self
        return cast(Self, self._session.run(op))

    def refresh(self) -> Self:
        """Read the object again; unsaved changes are discarded."""
        return cast(Self, self._session.run(self._refresh_op()))

    def delete(self) -> None:
        """DELETE this object."""
        journal = self._session.journal
        if journal is not None:  # inside `with client.journal(...)`
            journal.single(type(self), "delete", self, self._delete_op(), self._session.run)
            return
        self._session.run(self._delete_op())

    def fetch(self, name: str) -> Any:
        """The related object(s) behind field `name`, fetched once."""
        return self._session.run(self._fetch_related(name))


class AsyncResource(BaseResource, metaclass=AsyncResourceMeta):
    """Base of an `AsyncClient`'s resource classes: the same objects, writes awaited
    (`await obj.save()`, `await obj.refresh()`, `await obj.fetch("domain")`)."""

    __slots__ = ()

    async def save(
        self,
        *,
        if_unchanged: bool = False,
        extra: Mapping[str, Any] | None = None,
        method: str | None = None,
    ) -> Self:
        """Create the object, or send what changed (see `Resource.save`)."""
        op = self._save_op(dict(extra or {}), if_unchanged, method)
        return cast(Self, await _arun(self, op))

    async def refresh(self) -> Self:
        """Read the object again; unsaved changes are discarded."""
        return cast(Self, await _arun(self, self._refresh_op()))

    async def delete(self) -> None:
        """DELETE this object."""
        await _arun(self, self._delete_op())

    async def fetch(self, name: str) -> Any:
        """The related object(s) behind field `name`, fetched once."""
        return await _arun(self, self._fetch_related(name))


if TYPE_CHECKING:  # the classes are what a QuerySet asks of its model (query/build.py)
    _QUERY_MODEL: QueryModel = Resource
    _ASYNC_QUERY_MODEL: QueryModel = AsyncResource
