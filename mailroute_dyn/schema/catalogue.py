"""What one client knows of its API's resources beyond each schema: the classes built so
far (by name), the list endpoints and so the resource an object URI belongs to, where
related fields point (learnt from objects where the schema does not say), and the
schemas loaded.

Data and lookups only. The registry (`classes/registry.py`) builds the classes and keeps
them here; resource classes, QuerySets and relations are given the catalogue when they
are made and read it, so none of them reaches back up to the registry for these.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..errors import APIError
from ..operations import Answer, Call, Operation
from ..settings.config import Settings
from ..settings.urls import url_problem
from .definition import Field, ResourceSchema, parse_schema, resource_name_of_uri
from .discovery import Discovery

__all__ = ["Catalogue", "path_of"]

#: (classes' generation, listing, endpoints by resource, endpoints within each base asked)
_EndpointsMemo = tuple[int, Any, dict[str, str], dict[str, tuple[str, ...]]]


def path_of(url: str) -> str | None:
    """The path of a listing's `list_endpoint` (Tastypie sends paths; some send URLs)."""
    return urlsplit(url).path or None


class Catalogue:
    """One client's resource classes by name, and what is known of where URIs and
    relations lead."""

    def __init__(self, settings: Settings, discovery: Discovery):
        self.settings = settings
        self.discovery = discovery
        self.classes: dict[str, Any] = {}  # resource name -> its class (classes/registry.py)
        # one class per resource, whatever the threads: building and updating hold this
        self.lock = threading.RLock()
        # the list endpoints as last worked out, and from what: the listing read and the
        # classes' generation (a page's checks ask for them; they change seldom)
        self._generation = 0
        self._endpoints_memo: _EndpointsMemo | None = None
        self._targets: dict[tuple[str, str], str] = {}  # learnt: (resource, field) -> target
        #: why a resource is not walked by key, by name (none: it may be): its listing
        #: once refused the walk's ordering (query/walk.py notes it, for good)
        self.no_key_walk: dict[str, str] = {}

    def keep(self, name: str, cls: Any) -> None:
        """`cls` is the class of `name` from now on."""
        with self.lock:
            self.classes[name] = cls
            self._generation += 1

    def drop(self, name: str) -> None:
        with self.lock:
            del self.classes[name]
            self._generation += 1

    def built(self, name: str) -> Any | None:
        """The class for `name` if it is built and its schema still cached."""
        cls = self.classes.get(name)
        if cls is not None and cls.typed and self.discovery.cached_schema(name) is None:
            return None
        return cls

    def listed_names(self) -> list[str]:
        """The resource names of the cached top-level listing (none before it is read)."""
        return sorted(self.discovery.cached_listing() or {})

    def loaded_schema(self, name: str) -> ResourceSchema | None:
        cls = self.classes.get(name)
        if cls is not None and cls.typed:
            schema: ResourceSchema = cls._schema
            return schema
        raw = self.discovery.cached_schema(name)
        return parse_schema(name, raw, self.settings.api_path) if raw is not None else None

    def target_of(self, schema: ResourceSchema, f: Field) -> str | None:
        """The resource a related field points at: from the schema, else learnt from an
        object, else a listed resource of the field's name; None when nothing tells."""
        if f.related_resource:
            return f.related_resource
        learned = self._targets.get((schema.name, f.name))
        if learned:
            return learned
        listing = self.discovery.cached_listing() or {}
        return f.name if f.name in listing else None

    def learn_from(self, cls: Any, data: Mapping[str, Any]) -> None:
        """Learn where `cls`'s untargeted related fields point from one of its objects."""
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

    def learn_targets_op(self, cls: Any) -> Operation[None]:
        """Read one object of `cls`'s list to learn where its related fields point (old
        servers' schemas do not say); nothing when there is nothing to learn or the list
        cannot be read."""
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

    def _endpoints(self) -> dict[str, str]:
        """Each known resource's list endpoint path, ending in a slash (worked out again
        only when the classes or the listing changed)."""
        listing = self.discovery.cached_listing()
        memo = self._endpoints_memo
        if memo is not None and memo[0] == self._generation and memo[1] is listing:
            return memo[2]
        generation = self._generation
        found = {name: cls._list_url for name, cls in list(self.classes.items())}
        for name, entry in (listing or {}).items():
            endpoint = entry.get("list_endpoint") if isinstance(entry, dict) else None
            if isinstance(endpoint, str):
                found[name] = path_of(endpoint) or ""
        endpoints = {name: path.rstrip("/") + "/" for name, path in found.items() if path}
        self._endpoints_memo = (generation, listing, endpoints, {})
        return endpoints

    def name_of_uri(self, uri: str) -> str | None:
        """The resource an object URI belongs to: the one whose list endpoint is the
        longest prefix of its path (`thesaurus/keywords/1/` is not `thesaurus`'s), else
        the first part after the API path (a resource the listing does not name); None
        for a URI that cannot be read (a server's malformed `resource_uri`)."""
        if url_problem(uri):
            return None
        path = path_of(uri) or ""
        owners = [
            (len(base), name) for name, base in self._endpoints().items() if path.startswith(base)
        ]
        return max(owners)[1] if owners else resource_name_of_uri(uri, self.settings.api_path)

    def endpoints_within(self, base: str) -> tuple[str, ...]:
        """The list endpoints that extend `base` (`thesaurus/keywords/` for
        `thesaurus/`): URIs under them are not objects of `base`'s resource."""
        endpoints = self._endpoints()
        memo = self._endpoints_memo
        within = memo[3] if memo is not None and memo[2] is endpoints else {}
        found = within.get(base)
        if found is None:  # (once per base and change: every page of a walk asks)
            found = within[base] = tuple(
                e for e in endpoints.values() if e != base and e.startswith(base)
            )
        return found
