"""Finding out what the server offers: the top-level listing and each resource's schema.

Both are kept in memory (cachetools, `cache_ttl`) and on disk, so a second process with a
warm cache asks the server nothing. The disk file is per base URL, API path and credential
fingerprint, written atomically with mode 0600 in the client's own 0700 subfolder of
`cache_dir` (which may be shared: its mode is left alone), and signed with an HMAC
keyed by the credential, so a tampered or foreign file is noticed and rewritten. It holds
no secret: only what `/api/v1/` and `/schema/` answered.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cachetools import TLRUCache

from .config import Settings
from .errors import MailRouteError, NotFound, SchemaError
from .http import Answer, Batch, Call, Operation

__all__ = ["Discovery", "ListingEntry", "CACHE_FORMAT"]

log = logging.getLogger("mailroute_dyn")
CACHE_FORMAT = 1
#: The folder inside `cache_dir` that holds the files: the client's own, so `cache_dir`
#: may be a shared folder (even /tmp) whose mode is none of the client's business.
CACHE_SUBDIR = "schemas"
_LISTING = "\0listing"


@dataclass(frozen=True, slots=True)
class ListingEntry:
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
            continue            # e.g. a "meta" key some servers add
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


class DiskCache:
    """One JSON file of listing + schemas per server, login and key."""

    def __init__(self, settings: Settings):
        self.settings = settings
        key = f"{settings.base_url}|{settings.api_path}|{settings.credential_fingerprint}"
        name = hashlib.sha256(key.encode()).hexdigest()[:24] + ".json"
        mac_key = settings.credential_key
        # an auth kind whose credential cannot be named (a custom httpx.Auth) keeps its
        # schemas in memory only: a file could serve them to another login
        folder = settings.cache_dir if mac_key is not None else None
        self.path = folder / CACHE_SUBDIR / name if folder is not None else None
        self._mac_key = mac_key or b""

    def _signature(self, payload: dict[str, Any]) -> str:
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(self._mac_key, canonical, hashlib.sha256).hexdigest()

    def load(self) -> dict[str, Any] | None:
        """The stored payload, or None when absent, corrupt, foreign or tampered with."""
        if self.path is None:
            return None
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            payload, signature = document["payload"], document["signature"]
            ok = (document.get("format") == CACHE_FORMAT
                  and hmac.compare_digest(signature, self._signature(payload))
                  and payload.get("base_url") == self.settings.base_url
                  and payload.get("api_path") == self.settings.api_path
                  and payload.get("fingerprint") == self.settings.credential_fingerprint)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            ok = False
        if not ok:
            log.warning("Ignoring an unreadable or altered schema cache file %s", self.path)
            return None
        return payload  # type: ignore[no-any-return]

    def save(self, listing: dict[str, Any] | None, schemas: dict[str, Any],
             saved_at: float) -> None:
        if self.path is None:
            return
        payload = {"base_url": self.settings.base_url, "api_path": self.settings.api_path,
                   "fingerprint": self.settings.credential_fingerprint, "saved_at": saved_at,
                   "listing": listing, "schemas": schemas}
        document = {"format": CACHE_FORMAT, "payload": payload,
                    "signature": self._signature(payload)}
        try:
            folder = _private_folder(self.path.parent)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(document, handle, sort_keys=True)
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            log.warning("Could not write the schema cache %s: %s", self.path, exc)

    def clear(self) -> None:
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


def _private_folder(folder: Path) -> Path:
    """`folder` (the client's own subfolder of `cache_dir`), made 0700 when the client
    creates it; an existing one is used only when it is this user's and private. Folders
    above it are created if missing but never chmod-ed: they may be shared."""
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        info = folder.lstat()
        mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
        if not stat.S_ISDIR(info.st_mode) or not mine or (
                os.name == "posix" and info.st_mode & 0o077):
            raise OSError(f"{folder} is not a private folder of this user; not used") from None
    else:
        os.chmod(folder, 0o700)     # mkdir's mode is narrowed by the umask, never widened
    return folder


def _expires(_key: Any, value: tuple[float, Any], _now: float) -> float:
    return value[0]


class Discovery:
    """Listing and schemas for one client, from memory, disk or the server, in that order."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.disk = DiskCache(settings)
        self._memory: TLRUCache[str, tuple[float, Any]] = TLRUCache(
            maxsize=10_000, ttu=_expires, timer=time.monotonic)
        self._lock = threading.RLock()    # cachetools caches are not thread-safe
        self.fresh: set[str] = set()      # names fetched from the server by this client
        self.requests = 0                 # listing + schema requests made, for tests and stats
        self._load_disk()

    # -- memory and disk

    def _load_disk(self) -> None:
        payload = self.disk.load()
        if not payload:
            return
        age = time.time() - float(payload.get("saved_at", 0))
        remaining = self.settings.cache_ttl - age
        if remaining <= 0:
            return
        expires = time.monotonic() + remaining
        with self._lock:
            if payload.get("listing") is not None:
                self._memory[_LISTING] = (expires, payload["listing"])
            for name, schema in (payload.get("schemas") or {}).items():
                self._memory[name] = (expires, schema)

    def _remember(self, key: str, value: Any) -> None:
        if self.settings.cache_ttl > 0:
            with self._lock:
                self._memory[key] = (time.monotonic() + self.settings.cache_ttl, value)

    def _persist(self) -> None:
        if self.disk.path is None or self.settings.cache_ttl <= 0:
            return
        listing = None
        schemas: dict[str, Any] = {}
        with self._lock:
            items = [(key, self._memory.get(key)) for key in list(self._memory.keys())]
        for key, item in items:
            if item is None:
                continue
            if key == _LISTING:
                listing = item[1]
            else:
                schemas[key] = item[1]
        self.disk.save(listing, schemas, time.time())

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
        """Drop cached entries (all when `names` is None), in memory and on disk."""
        if names is None:
            with self._lock:
                self._memory.clear()
            self.disk.clear()
            self.fresh.clear()
            return
        for name in names:
            with self._lock:
                self._memory.pop(name, None)
            self.fresh.discard(name)
        self._persist()

    # -- operations

    def listing(self, *, force: bool = False) -> Operation[dict[str, ListingEntry]]:
        """The top-level listing; one request also brings every schema where inlined."""
        raw = None if force else self.cached_listing()
        if raw is None:
            self.requests += 1
            answer: Answer = yield Call("GET", self.settings.api_path,
                                        (("fullschema", "true"),))
            entries, inlined = parse_listing(self.settings, answer.body)
            raw = {name: {"list_endpoint": e.list_endpoint, "schema": e.schema_url}
                   for name, e in entries.items()}
            self._remember(_LISTING, raw)
            for name, schema in inlined.items():
                self._remember(name, schema)
                self.fresh.add(name)
            self.fresh.add(_LISTING)
            self._persist()
        entries, _ = parse_listing(self.settings, raw)
        return entries

    def entry(self, name: str) -> Operation[ListingEntry | None]:
        """The listing entry for `name`, rediscovering once when the cached listing lacks it."""
        entries = yield from self.listing()
        if name not in entries and _LISTING not in self.fresh:
            entries = yield from self.listing(force=True)
        return entries.get(name)

    def schema(self, name: str, *, force: bool = False,
               listed_only: bool = False) -> Operation[dict[str, Any]]:
        """The raw schema of `name`; unlisted resources are tried at their usual URL."""
        raw = None if force else self.cached_schema(name)
        if raw is not None:
            return raw
        entry = yield from self.entry(name)
        if entry is None:
            if listed_only:
                raise NotFound(404, "GET", f"{self.settings.api_path}{name}/", None,
                               f"{name!r} is not in the API listing")
            entry = _entry_for_unlisted(self.settings, name)
        self.requests += 1
        answer: Answer = yield Call("GET", entry.schema_url)
        if not isinstance(answer.body, dict):
            raise SchemaError(f"The schema of {name!r} at {entry.schema_url} is not an object.")
        self._remember(name, answer.body)
        self.fresh.add(name)
        self._persist()
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
                self._remember(entry.name, reply.body)
                self.fresh.add(entry.name)
            self._persist()
        return {name: self.cached_schema(name) or {} for name in entries}
