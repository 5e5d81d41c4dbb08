"""One client's resource classes: built from the schemas discovery provides, one class
per resource whatever the threads, updated in place when a schema is read again; and
which class an object URI belongs to.

The classes are made from the bases the client gives (`ClassBases`: `Resource` or
`AsyncResource`, from the top of the model layer, as values), so the code that builds
them sits below the code they run. `ResourceClasses` is the base of the `Registry`
(registry.py), which adds what relations need; each class it builds holds the registry
as its `_registry`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import (
    Forbidden,
    MailRouteError,
    MethodNotAllowed,
    NotFound,
    ResponseError,
    SchemaError,
    Unauthorized,
)
from ..escaping import library_log
from ..operations import Operation
from ..schema.catalogue import Catalogue, path_of
from ..schema.definition import ResourceSchema, parse_schema
from ..schema.discovery import Discovery
from ..schema.display import describe
from ..settings.config import Settings
from ..settings.urls import masked_url
from ..vocabulary import class_name_for
from .fieldread import field_readers, place_readers

if TYPE_CHECKING:
    from ..operations import Session

__all__ = ["ResourceClasses", "ClassBases", "UNREACHABLE"]

#: The errors that say a schema cannot be had: its objects are read untyped instead.
UNREACHABLE = (NotFound, Unauthorized, Forbidden, SchemaError, MethodNotAllowed)
log = library_log()


class ClassBases(NamedTuple):
    """What a client's resource classes are made from: the base class and its metaclass
    (sync or async), and the names help() lists as their class API and instance API."""

    base: type
    meta: type
    class_api: tuple[str, ...]
    instance_names: tuple[str, ...]


class ResourceClasses:
    """The classes of one client, built from schemas that discovery provides."""

    def __init__(
        self, settings: Settings, discovery: Discovery, session: Session, bases: ClassBases
    ):
        self.settings = settings
        self.bases = bases
        self.discovery = discovery
        self.session = session  # given to every class built: what its objects run on
        self.run: Callable[[Operation[Any]], Any] = session.run
        self.is_async = session.is_async
        # the classes and what is known of URIs and relations, given to every class built
        self.catalogue = Catalogue(settings, discovery)
        self._classes: dict[str, Any] = self.catalogue.classes
        self._lock = self.catalogue.lock

    def forget(self) -> None:
        """Drop the stand-in classes of unreachable schemas. Typed classes stay, so
        objects read before a refresh keep their class; rediscovery updates it in place."""
        with self._lock:
            for name, cls in list(self._classes.items()):
                if not cls.typed:
                    self.catalogue.drop(name)

    def built(self, name: str) -> Any:
        """The class for `name` if it is built and its schema still cached."""
        return self.catalogue.built(name)

    def _schema_attrs(self, schema: ResourceSchema, list_url: str) -> dict[str, Any]:
        """The class attributes that come from a schema (said in the log when the client
        could not read a part of it: that part allows nothing, the rest works)."""
        for part, why in schema.unread.items():
            log.warning(
                "The schema of %r: %r is %s; it is taken as allowing nothing "
                "(filters through .unchecked() only).",
                schema.name,
                part,
                why,
            )
        if self.discovery.saw_decimal or any(f.type == "decimal" for f in schema.fields.values()):
            # (before any answer this class reads) the session reads numbers a float would
            # change as RawNumbers from now on (see jsondecode)
            self.session.keep_exact_numbers()
        return {
            "_json_schema": schema.json_schema(),
            "_schema": schema,
            "_readers": field_readers(schema),
            "_validators": {},
            "_omitted": set(),
            "_untargeted": {
                f.name for f in schema.fields.values() if f.is_related and not f.related_resource
            },
            "__doc__": describe(schema, list_url, self.bases.class_api, self.bases.instance_names),
        }

    def build(
        self, schema: ResourceSchema, listed: bool = True, list_url: str | None = None
    ) -> Any:
        """The class of `schema.name`: made once per client, later schemas update it in
        place (threads that race here all get the same class). `list_url` is the
        listing's `list_endpoint`, kept in the server's own form (slashless or not)."""
        with self._lock:
            existing = self._classes.get(schema.name)
            if existing is not None and existing.typed:
                self.update(existing, schema)
                existing._listed = listed
                return existing
            return self._make(schema, listed, list_url)

    def _make(self, schema: ResourceSchema, listed: bool, list_url: str | None = None) -> Any:
        name = schema.name
        list_url = list_url or f"{self.settings.api_path}{name}/"
        attrs: dict[str, Any] = {
            "_listed": listed,
            "_registry": self,
            "_session": self.session,
            "_catalogue": self.catalogue,
            "_list_url": list_url,
            "__module__": "mailroute_dyn.model.resources",
            "__slots__": (),
            **self._schema_attrs(schema, list_url),
        }
        cls: Any = self.bases.meta(class_name_for(name), (self.bases.base,), attrs)
        place_readers(cls, cls._readers)
        self.catalogue.keep(name, cls)
        return cls

    def update(self, cls: Any, schema: ResourceSchema) -> None:
        """Give an existing class a newer schema, so references users hold stay valid."""
        with self._lock:
            for key, value in self._schema_attrs(schema, cls._list_url).items():
                setattr(cls, key, value)
            place_readers(cls, cls._readers)
            self.catalogue.keep(schema.name, cls)

    def reread_schema(self, cls: Any) -> bool:
        """Read `cls`'s schema again, once, when it came from a cache (the server may have
        grown a field since); True when it was read. Blocking clients only."""
        if self.is_async or cls.resource_name in self.discovery.fresh:
            return False
        raw = self.run(self.discovery.schema(cls.resource_name, force=True, listed_only=False))
        self.update(cls, parse_schema(cls.resource_name, raw, self.settings.api_path))
        return True

    def untyped(self, name: str) -> Any:
        """A class for objects whose schema cannot be had: readable, keys as given."""
        empty = ResourceSchema(name=name, fields={})
        with self._lock:
            existing = self._classes.get(name)
            if existing is not None:
                return existing  # a typed class is never replaced by a stand-in
            cls = self._make(empty, listed=False)
            cls._has_schema = False
        cls.__doc__ = f"Objects of {name!r}, whose schema is not reachable: keys as sent."
        return cls

    def resource_op(
        self, name: str, *, listed_only: bool = True, force: bool = False
    ) -> Operation[Any]:
        cls = None if force else self.built(name)
        if cls is not None:
            return cls
        raw = yield from self.discovery.schema(name, listed_only=listed_only, force=force)
        entries = self.discovery.cached_listing() or {}
        entry = entries.get(name)
        endpoint = entry.get("list_endpoint") if isinstance(entry, dict) else None
        return self.build(
            parse_schema(name, raw, self.settings.api_path),
            name in entries,
            path_of(endpoint) if isinstance(endpoint, str) else None,
        )

    def class_named(self, name: str) -> Any:
        """The class of resource `name`, built on first use (an AsyncClient, which cannot
        wait here, needs it loaded: `await client.resource(name)` or `preload()`)."""
        built = self.built(name)
        if built is not None:
            return built
        if self.is_async:
            raise MailRouteError(
                f"The class of {name!r} is not loaded yet; on an "
                f"AsyncClient use 'await client.resource({name!r})' first."
            )
        return self.run(self.resource_op(name, listed_only=False))

    def class_for_uri_op(self, uri: str) -> Operation[Any]:
        name = self.catalogue.name_of_uri(uri)
        if name is None:
            raise ResponseError(f"{masked_url(uri)!r} is not a URI under {self.settings.api_path}")
        cls = self.built(name)
        if cls is not None:
            return cls
        try:
            return (yield from self.resource_op(name, listed_only=False))
        except UNREACHABLE:
            return self.untyped(name)
