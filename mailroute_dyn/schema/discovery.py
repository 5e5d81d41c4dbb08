"""Finding out what the server offers: the top-level listing and each resource's schema.

Both are kept in memory (cachetools, `cache_ttl`). Discovery is plain operations over that
memory: it never touches a file. The session that drives its operations saves what
changed to the disk cache (`cache_files.DiskCache`) after each operation, and a client
starts from what that file held, so a second process with a warm cache asks the server
nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import MailRouteError, NotFound, SchemaError
from ..operations import Answer, Batch, Call, Operation
from ..transport.cache_files import CacheState, fresh_for

if TYPE_CHECKING:
    from ..settings.config import Settings

# DiskCache and CACHE_FORMAT live in .cache_files; named here too for existing importers
__all__ = ["Discovery", "ListingEntry"]

_LISTING = "\0listing"


class ListingEntry(NamedTuple):
    """One resource as the top-level listing names it."""

    name: str
    list_endpoint: str
    schema_url: str
    listed: bool = True


def _entry_for_unlisted(settings: Settings, name: str) -> ListingEntry:
    base = f"{settings.api_path}{name}/"
    return ListingEntry(name, base, base + "schema/", listed=False)


def parse_listing(settings: Settings, body: Any) -> tuple[dict[str, ListingEntry], dict[str, Any]]:
    """Entries and any inlined schemas (`?fullschema=true`) from a top-level answer."""
    if not isinstance(body, dict):
        raise SchemaError(f"The API listing at {settings.api_path} is not a JSON object.")
    entries: dict[str, ListingEntry] = {}
    inlined: dict[str, Any] = {}
    for name, value in body.items():
        if not isinstance(value, dict):
            continue  # e.g. a "meta" key some servers add
        endpoint = value.get("list_endpoint") or f"{settings.api_path}{name}/"
        if not isinstance(endpoint, str):
            raise SchemaError(f"The listing's entry for {name!r} has no usable list_endpoint.")
        schema = value.get("schema")
        if isinstance(schema, dict):
            inlined[name] = schema
            schema_url = f"{endpoint.rstrip('/')}/schema/"
        elif isinstance(schema, str) and schema:
            schema_url = schema
        else:
            schema_url = f"{endpoint.rstrip('/')}/schema/"
        entries[name] = ListingEntry(str(name), endpoint, schema_url)
    if not entries and body:
        raise SchemaError(f"The API listing at {settings.api_path} names no resources.")
    return entries, inlined


def _expires(_key: Any, value: tuple[float, Any], _now: float) -> float:
    return value[0]


class Discovery:
    """Listing and schemas for one client, from memory or the server; `stored` is what
    the disk cache held when the client started (see `unsaved` for the way back)."""

    def __init__(self, settings: Settings, stored: Mapping[str, Any] | None = None):
        self.settings = settings
        from cachetools import TLRUCache  # with the first client, not on import

        self._memory: TLRUCache[str, tuple[float, Any]] = TLRUCache(
            maxsize=10_000, ttu=_expires, timer=time.monotonic
        )
        self._lock = threading.RLock()  # cachetools caches are not thread-safe
        self.fresh: set[str] = set()  # names fetched from the server by this client
        self.requests = 0  # listing + schema requests made, for tests and stats
        self._changed = False  # memory differs from what the disk cache holds
        # some schema read so far has a decimal field: answers must keep long numbers'
        # digits, also where another resource's answer nests such an object
        self.saw_decimal = False
        if stored:
            self._load(stored)

    # -- memory, and the state the disk cache should hold

    def _load(self, payload: Mapping[str, Any]) -> None:
        remaining = fresh_for(payload, self.settings.cache_ttl)
        if remaining <= 0:
            return
        expires = time.monotonic() + remaining
        with self._lock:
            if payload.get("listing") is not None:
                self._memory[_LISTING] = (expires, payload["listing"])
            for name, schema in (payload.get("schemas") or {}).items():
                self._memory[name] = (expires, schema)
                self._note_schema(schema)

    def _note_schema(self, schema: Any) -> None:
        fields = schema.get("fields") if isinstance(schema, dict) else None
        if isinstance(fields, dict) and any(
            isinstance(spec, dict) and spec.get("type") == "decimal" for spec in fields.values()
        ):
            self.saw_decimal = True

    def _remember(self, key: str, value: Any) -> None:
        if self.settings.cache_ttl > 0:
            with self._lock:
                self._memory[key] = (time.monotonic() + self.settings.cache_ttl, value)

    def _note_change(self, *, always: bool = False) -> None:
        if always or self.settings.cache_ttl > 0:
            self._changed = True

    def unsaved(self) -> CacheState | None:
        """What the disk cache should now hold, once per change (None when nothing changed
        since the last call). The session calls it after each operation and writes it, so
        no operation writes a file while it runs."""
        if not self._changed:
            return None
        listing = None
        schemas: dict[str, Any] = {}
        with self._lock:
            self._changed = False
            items = [(key, self._memory.get(key)) for key in list(self._memory.keys())]
        for key, item in items:
            if item is None:
                continue
            if key == _LISTING:
                listing = item[1]
            else:
                schemas[key] = item[1]
        return CacheState(listing, schemas, time.time())

    def cached_listing(self) -> dict[str, Any] | None:
        """The listing as last read, while it is fresh."""
        with self._lock:
            item = self._memory.get(_LISTING)
        return item[1] if item else None

    def cached_schema(self, name: str) -> dict[str, Any] | None:
        """The raw schema of `name` as last read, while it is fresh."""
        with self._lock:
            item = self._memory.get(name)
        return item[1] if item else None

    def forget(self, names: Iterable[str] | None = None) -> None:
        """Drop cached entries (all when `names` is None); the disk cache follows when the
        session next saves (`unsaved`)."""
        if names is None:
            with self._lock:
                self._memory.clear()
            self.fresh.clear()
        else:
            for name in names:
                with self._lock:
                    self._memory.pop(name, None)
                self.fresh.discard(name)
        self._note_change(always=True)

    # -- operations

    def listing(self, *, force: bool = False) -> Operation[dict[str, ListingEntry]]:
        """The top-level listing; one request also brings every schema where inlined."""
        raw = None if force else self.cached_listing()
        if raw is None:
            self.requests += 1
            answer: Answer = yield Call("GET", self.settings.api_path, (("fullschema", "true"),))
            entries, inlined = parse_listing(self.settings, answer.body)
            raw = {
                name: {"list_endpoint": e.list_endpoint, "schema": e.schema_url}
                for name, e in entries.items()
            }
            self._remember(_LISTING, raw)
            for name, schema in inlined.items():
                self._note_schema(schema)
                self._remember(name, schema)
                self.fresh.add(name)
            self.fresh.add(_LISTING)
            self._note_change()
        entries, _ = parse_listing(self.settings, raw)
        return entries

    def entry(self, name: str) -> Operation[ListingEntry | None]:
        """The listing entry for `name`, rediscovering once when the cached listing lacks it."""
        entries = yield from self.listing()
        if name not in entries and _LISTING not in self.fresh:
            entries = yield from self.listing(force=True)
        return entries.get(name)

    def schema(
        self, name: str, *, force: bool = False, listed_only: bool = False
    ) -> Operation[dict[str, Any]]:
        """The raw schema of `name`; unlisted resources are tried at their usual URL."""
        raw = None if force else self.cached_schema(name)
        if raw is not None:
            return raw
        entry = yield from self.entry(name)
        if entry is None:
            if listed_only:
                raise NotFound.refused_by_client(
                    "GET", f"{self.settings.api_path}{name}/", f"{name!r} is not in the API listing"
                )
            entry = _entry_for_unlisted(self.settings, name)
        self.requests += 1
        answer: Answer = yield Call("GET", entry.schema_url)
        if not isinstance(answer.body, dict):
            raise SchemaError(f"The schema of {name!r} at {entry.schema_url} is not an object.")
        self._note_schema(answer.body)
        self._remember(name, answer.body)
        self.fresh.add(name)
        self._note_change()
        return answer.body

    def preload(self) -> Operation[dict[str, dict[str, Any]]]:
        """Every listed schema; the missing ones are fetched concurrently."""
        entries = yield from self.listing()
        missing = [e for name, e in entries.items() if self.cached_schema(name) is None]
        if missing:
            self.requests += len(missing)
            replies = yield Batch(tuple(Call("GET", e.schema_url) for e in missing))
            for entry, reply in zip(missing, replies, strict=True):
                if isinstance(reply, MailRouteError):
                    raise reply
                if not isinstance(reply.body, dict):
                    raise SchemaError(f"The schema of {entry.name!r} is not an object.")
                self._note_schema(reply.body)
                self._remember(entry.name, reply.body)
                self.fresh.add(entry.name)
            self._note_change()
        return {name: self.cached_schema(name) or {} for name in entries}
