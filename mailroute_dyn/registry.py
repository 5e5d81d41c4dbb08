"""The registry of one client's resource classes: built from the schemas discovery
provides, one class per resource whatever the threads, updated in place when a schema is
read again; and what relations need from it (related objects, relation targets, write
values of related fields)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from .config import Settings, masked_url, url_problem
from .detailuri import detail_uri_problem, has_dot_segments
from .discovery import Discovery
from .display import describe
from .errors import (
    APIError,
    Forbidden,
    GuardError,
    MailRouteError,
    MethodNotAllowed,
    NotFound,
    ResponseError,
    SchemaError,
    Unauthorized,
    ValidationError,
)
from .escaping import library_log
from .fieldread import field_readers, place_readers
from .operations import Answer, Batch, Call, Operation
from .query import QuerySet, _Query, queryset_for
from .resources import (
    INSTANCE_NAMES,
    AsyncResource,
    AsyncResourceMeta,
    BaseResource,
    BaseResourceMeta,
    Resource,
    ResourceMeta,
    _check_own,
    _other_owner,
    _path_of,
    _read_body_op,
    class_name_for,
)
from .schema import Field, ResourceSchema, parse_schema, resource_name_of_uri
from .values import encode_write_value

#: What help() of a resource class lists as its class API (dir() of the class shows it).
CLASS_API = tuple(name for name in dir(Resource) if name not in INSTANCE_NAMES)

__all__ = ["Registry", "describe"]

_UNREACHABLE = (NotFound, Unauthorized, Forbidden, SchemaError, MethodNotAllowed)
log = library_log()


class Registry:
    """The classes of one client, built from schemas that discovery provides."""

    def __init__(self, settings: Settings, discovery: Discovery,
                 run: Callable[[Operation[Any]], Any], is_async: bool,
                 stream: Callable[[Iterable[Operation[Any]], int], Any],
                 keep_exact_numbers: Callable[[], None] = lambda: None):
        self.settings = settings
        self.discovery = discovery
        self.run = run
        self.stream = stream
        self.is_async = is_async
        # called when a schema has a decimal field: the session then reads numbers a
        # float would change as RawNumbers (see jsondecode)
        self._keep_exact_numbers = keep_exact_numbers
        self.journal: Any = None       # the sync client's open run journal (client.journal)
        self._classes: dict[str, type[Resource]] = {}
        self._targets: dict[tuple[str, str], str] = {}
        # one class per resource, whatever the threads: building and updating hold this
        self._lock = threading.RLock()

    def forget(self) -> None:
        """Drop the stand-in classes of unreachable schemas. Typed classes stay, so
        objects read before a refresh keep their class; rediscovery updates it in place."""
        with self._lock:
            for name, cls in list(self._classes.items()):
                if not cls.typed:
                    del self._classes[name]

    def built(self, name: str) -> type[Resource] | None:
        """The class for `name` if it is built and its schema still cached."""
        cls = self._classes.get(name)
        if cls is not None and cls.typed and self.discovery.cached_schema(name) is None:
            return None
        return cls

    def _schema_attrs(self, schema: ResourceSchema, list_url: str) -> dict[str, Any]:
        """The class attributes that come from a schema (said in the log when the client
        could not read a part of it: that part allows nothing, the rest works)."""
        for part, why in schema.unread.items():
            log.warning("The schema of %r: %r is %s; it is taken as allowing nothing "
                        "(filters through .unchecked() only).", schema.name, part, why)
        if self.discovery.saw_decimal or any(f.type == "decimal"
                                             for f in schema.fields.values()):
            self._keep_exact_numbers()      # (before any answer this class reads)
        return {
            "_json_schema": schema.json_schema(),
            "_schema": schema,
            "_readers": field_readers(schema),
            "_validators": {},
            "_omitted": set(),
            "_untargeted": {f.name for f in schema.fields.values()
                            if f.is_related and not f.related_resource},
            "__doc__": describe(schema, list_url, CLASS_API, INSTANCE_NAMES),
        }

    def build(self, schema: ResourceSchema, listed: bool = True,
              list_url: str | None = None) -> type[Resource]:
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

    def _make(self, schema: ResourceSchema, listed: bool,
              list_url: str | None = None) -> type[Resource]:
        name = schema.name
        list_url = list_url or f"{self.settings.api_path}{name}/"
        attrs: dict[str, Any] = {
            "_listed": listed,
            "_registry": self,
            "_list_url": list_url,
            "__module__": "mailroute_dyn.resources",
            "__slots__": (),
            **self._schema_attrs(schema, list_url),
        }
        base: type[BaseResource] = AsyncResource if self.is_async else Resource
        meta: type[BaseResourceMeta] = AsyncResourceMeta if self.is_async else ResourceMeta
        cls = cast("type[Resource]", meta(class_name_for(name), (base,), attrs))
        place_readers(cls, cls._readers)
        self._classes[name] = cls
        return cls

    def update(self, cls: type[Resource], schema: ResourceSchema) -> None:
        """Give an existing class a newer schema, so references users hold stay valid."""
        with self._lock:
            for key, value in self._schema_attrs(schema, cls._list_url).items():
                setattr(cls, key, value)
            place_readers(cls, cls._readers)
            self._classes[schema.name] = cls

    def reread_schema(self, cls: type[Resource]) -> bool:
        """Read `cls`'s schema again, once, when it came from a cache (the server may have
        grown a field since); True when it was read. Blocking clients only."""
        if self.is_async or cls.resource_name in self.discovery.fresh:
            return False
        raw = self.run(self.discovery.schema(cls.resource_name, force=True,
                                             listed_only=False))
        self.update(cls, parse_schema(cls.resource_name, raw, self.settings.api_path))
        return True

    def any_list(self, url: str, start: int, page_size: int | None) -> QuerySet[Any]:
        """The QuerySet of `client.list(uri)`: any list URL, each object read as the class
        of its own URI."""
        return queryset_for(_AnyList.bind(self, url),
                            _Query(url=url, start=start, page_size=page_size))

    def untyped(self, name: str) -> type[Resource]:
        """A class for objects whose schema cannot be had: readable, keys as given."""
        empty = ResourceSchema(name=name, fields={})
        with self._lock:
            existing = self._classes.get(name)
            if existing is not None:
                return existing         # a typed class is never replaced by a stand-in
            cls = self._make(empty, listed=False)
            cls._has_schema = False
        cls.__doc__ = f"Objects of {name!r}, whose schema is not reachable: keys as sent."
        return cls

    def resource_op(self, name: str, *, listed_only: bool = True,
                    force: bool = False) -> Operation[type[Resource]]:
        cls = None if force else self.built(name)
        if cls is not None:
            return cls
        raw = yield from self.discovery.schema(name, listed_only=listed_only, force=force)
        entries = self.discovery.cached_listing() or {}
        entry = entries.get(name)
        endpoint = entry.get("list_endpoint") if isinstance(entry, dict) else None
        return self.build(parse_schema(name, raw, self.settings.api_path), name in entries,
                          _path_of(endpoint) if isinstance(endpoint, str) else None)

    def _endpoints(self) -> dict[str, str]:
        """Each known resource's list endpoint path, ending in a slash."""
        found = {name: cls._list_url for name, cls in list(self._classes.items())}
        for name, entry in (self.discovery.cached_listing() or {}).items():
            endpoint = entry.get("list_endpoint") if isinstance(entry, dict) else None
            if isinstance(endpoint, str):
                found[name] = _path_of(endpoint) or ""
        return {name: path.rstrip("/") + "/" for name, path in found.items() if path}

    def name_of_uri(self, uri: str) -> str | None:
        """The resource an object URI belongs to: the one whose list endpoint is the
        longest prefix of its path (`thesaurus/keywords/1/` is not `thesaurus`'s), else
        the first part after the API path (a resource the listing does not name); None
        for a URI that cannot be read (a server's malformed `resource_uri`)."""
        if url_problem(uri):
            return None
        path = _path_of(uri) or ""
        owners = [(len(base), name) for name, base in self._endpoints().items()
                  if path.startswith(base)]
        return max(owners)[1] if owners else resource_name_of_uri(uri, self.settings.api_path)

    def endpoints_within(self, base: str) -> tuple[str, ...]:
        """The list endpoints that extend `base` (`thesaurus/keywords/` for
        `thesaurus/`): URIs under them are not objects of `base`'s resource."""
        return tuple(e for e in self._endpoints().values() if e != base and e.startswith(base))

    def class_for_uri_op(self, uri: str) -> Operation[type[Resource]]:
        name = self.name_of_uri(uri)
        if name is None:
            raise ResponseError(f"{masked_url(uri)!r} is not a URI under {self.settings.api_path}")
        cls = self.built(name)
        if cls is not None:
            return cls
        try:
            return (yield from self.resource_op(name, listed_only=False))
        except _UNREACHABLE:
            return self.untyped(name)

    def objects_op(self, values: list[Any],
                   target: str | None = None) -> Operation[list[Resource | dict[str, Any]]]:
        """Instances for related values: nested objects as they are, URIs fetched
        (concurrently when there are several). A nested object without a URI
        (`include_resource_uri = False`) is an object of `target`, the field's resource,
        or a plain dict when that resource's schema cannot be had; never dropped."""
        out: list[Resource | dict[str, Any] | None] = [None] * len(values)
        to_fetch: list[tuple[int, str]] = []
        for i, value in enumerate(values):
            if isinstance(value, dict):
                uri = value.get("resource_uri")
                if isinstance(uri, str):
                    out[i] = (yield from self.class_for_uri_op(uri))._from_raw(value)
                else:
                    out[i] = yield from self._nested_op(value, target)
            elif isinstance(value, str):
                to_fetch.append((i, value))
            else:
                raise ResponseError(f"Not a related value: {value!r:.80}")
        if len(to_fetch) == 1:
            i, uri = to_fetch[0]
            out[i] = yield from self.get_op(uri)
        elif to_fetch:
            classes = []
            for _, uri in to_fetch:
                classes.append((yield from self.class_for_uri_op(uri)))
            replies = yield Batch(tuple(Call("GET", uri) for _, uri in to_fetch))
            for (i, uri), cls, reply in zip(to_fetch, classes, replies, strict=True):
                if isinstance(reply, MailRouteError):
                    raise reply
                if not isinstance(reply.body, dict):
                    raise ResponseError(f"GET {uri}: expected an object")
                out[i] = cls._from_raw(reply.body)
        return [o for o in out if o is not None]

    def _nested_op(self, value: dict[str, Any],
                   target: str | None) -> Operation[Resource | dict[str, Any]]:
        """A nested object without a URI, typed from `target`'s schema where it can be had."""
        if target is None:
            return dict(value)
        try:
            cls = yield from self.resource_op(target, listed_only=False)
        except _UNREACHABLE:
            return dict(value)
        return cls._from_raw(value) if cls.typed else dict(value)

    def get_op(self, uri: str) -> Operation[Resource]:
        """Any object by URI, as an instance of its own resource's class."""
        if has_dot_segments(uri):
            raise GuardError(f"Refusing {uri!r}: a URI with '.' or '..' segments may name "
                             "another resource than it seems to; give the object's own URI.")
        cls = yield from self.class_for_uri_op(uri)
        body = yield from _read_body_op(uri, f"nothing at {uri}")
        if _other_owner(cls, body):     # e.g. redirected: build it as what it says it is
            cls = yield from self.class_for_uri_op(body["resource_uri"])
        _check_own(cls, body, uri)
        return cls._from_raw(body)

    # -- relation targets (which resource a related field points at)

    def loaded_schema(self, name: str) -> ResourceSchema | None:
        cls = self._classes.get(name)
        if cls is not None and cls.typed:
            return cls._schema
        raw = self.discovery.cached_schema(name)
        return parse_schema(name, raw, self.settings.api_path) if raw is not None else None

    def target_of(self, schema: ResourceSchema, f: Field) -> str | None:
        if f.related_resource:
            return f.related_resource
        learned = self._targets.get((schema.name, f.name))
        if learned:
            return learned
        listing = self.discovery.cached_listing() or {}
        return f.name if f.name in listing else None

    def foreign_value(self, target: str, value: Any) -> str:
        """Why `value`, given for a relation to `target`, is not of that resource ('' when
        it is, or is a plain key, or `target` is "" and nothing tells): an object carries
        its own resource, a URI must be a detail URI under the target's list endpoint.
        Tastypie filters a relation by the key alone, so another resource's object would
        match the target's object that has the same key."""
        if isinstance(value, BaseResource):
            if value.pk is None:
                return f"{value!r} is not saved: it has no key to filter by"
            own = type(value)._schema.name
            if not target or own == target:
                return ""
            return (f"{value!r} is a {own} object (Tastypie would match the {target} whose "
                    f"key is {value.pk!r})")
        if not (target and isinstance(value, str) and (value[:1] == "/" or "://" in value)):
            return ""
        built = self._classes.get(target)
        list_url = built._list_url if built is not None else f"{self.settings.api_path}{target}/"
        problem = detail_uri_problem(list_url, value, ())
        return f"{masked_url(value)!r} is not a {target} URI ({problem})" if problem else ""

    def learn_from(self, cls: type[Resource], data: Mapping[str, Any]) -> None:
        for name in list(cls._untargeted):
            value = data.get(name)
            sample = value[0] if isinstance(value, list) and value else value
            if isinstance(sample, dict):
                sample = sample.get("resource_uri")
            if isinstance(sample, str):
                target = self.name_of_uri(sample)
                if target:
                    self._targets[(cls.resource_name, name)] = target
                    cls._untargeted.discard(name)

    def class_named(self, name: str) -> type[Resource]:
        """The class of resource `name`, built on first use (an AsyncClient, which cannot
        wait here, needs it loaded: `await client.resource(name)` or `preload()`)."""
        built = self.built(name)
        if built is not None:
            return built
        if self.is_async:
            raise MailRouteError(f"The class of {name!r} is not loaded yet; on an "
                                 f"AsyncClient use 'await client.resource({name!r})' first.")
        return cast("type[Resource]", self.run(self.resource_op(name, listed_only=False)))

    def learn_targets(self, cls: type[Resource]) -> None:
        """`learn_targets_op` now, where the client can wait (not on an AsyncClient)."""
        if not self.is_async:
            self.run(self.learn_targets_op(cls))

    def listed_names(self) -> list[str]:
        """The resource names of the cached top-level listing (none before it is read)."""
        return sorted(self.discovery.cached_listing() or {})

    def learn_targets_op(self, cls: type[Resource]) -> Operation[None]:
        """Read one object to learn where related fields point (old servers omit it)."""
        if not cls._untargeted:
            return None
        try:
            answer: Answer = yield Call("GET", cls._list_url, (("limit", "1"),))
        except APIError:
            return None
        objects = answer.body.get("objects") if isinstance(answer.body, dict) else None
        if objects and isinstance(objects[0], dict):
            self.learn_from(cls, objects[0])
        return None

    def schema_op_for_check(self, cls: type[Resource], lookup: str) -> Operation[None]:
        """Load the schemas a relation lookup passes through."""
        schema = cls._schema
        for part in lookup.split("__")[:-1]:
            f = schema.fields.get(part)
            if f is None or not f.is_related:
                return None
            target = self.target_of(schema, f)
            if target is None:
                return None
            target_cls = yield from self.resource_op(target, listed_only=False)
            if not target_cls.typed:
                return None
            yield from self.learn_targets_op(target_cls)
            schema = target_cls._schema
        return None

    def related_value(self, f: Field, value: Any, owner: type[Resource]) -> Any:
        """A related field's value as Tastypie takes it on write: URIs."""
        if value is None:
            return None
        if f.related_type == "to_many" and isinstance(value, list | tuple):
            return [self._one_related(f, v, owner) for v in value]
        return self._one_related(f, value, owner)

    def _one_related(self, f: Field, value: Any, owner: type[Resource]) -> Any:
        if isinstance(value, BaseResource):
            if value.resource_uri is None:
                raise ValidationError(
                    f"{owner.resource_name}.{f.name}: the related object is not saved yet",
                    {owner.resource_name: {f.name: ["The related object has no URI yet."]}})
            return value.resource_uri
        if isinstance(value, str | dict):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            target = self.target_of(owner._schema, f)
            if target is None:
                raise ValidationError(
                    f"{owner.resource_name}.{f.name}: give an object or a URI (the target "
                    "resource is not known, so a bare key cannot be turned into one)",
                    {owner.resource_name: {f.name: ["Expected a URI or an object."]}})
            built = self._classes.get(target)
            if built is not None and built.typed:
                return built.detail_url(value)      # the target's own URI form
            return f"{self.settings.api_path}{target}/{value}/"
        return encode_write_value(value)


class _AnyList(Resource):
    """The model of `client.list(uri)`: each object takes the class of its own URI."""

    __slots__ = ()
    _has_schema = False

    @classmethod
    def bind(cls, registry: Registry, uri: str) -> type[Resource]:
        return type("AnyList", (cls,), {
            "_registry": registry, "_list_url": uri,
            "_schema": ResourceSchema(name=uri, fields={}, allowed_list_methods=("get",)),
            "_untargeted": set(), "_validators": {}, "_omitted": set(), "__slots__": (),
        })

    @classmethod
    def _wrap_page(cls, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        out = []
        for data in objects:
            uri = data.get("resource_uri")
            if isinstance(uri, str):
                target = yield from cls._registry.class_for_uri_op(uri)
            else:
                target = cls._registry.untyped("(unknown)")
            out.append(target._from_raw(data))
        return out

    @classmethod
    def _check_filter(cls, lookup: str, value: Any) -> Any:
        raise MailRouteError("Filters on client.list(uri) are not schema-checked: put them "
                             "in the URI's query, or use .unchecked().")
