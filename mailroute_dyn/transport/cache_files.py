"""The schema cache's file: one JSON document of listing + schemas per server, login and key.

Written atomically with mode 0600 in the client's own 0700 subfolder of `cache_dir` (which
may be shared: its mode is left alone), and signed with an HMAC keyed by the credential, so
a tampered or foreign file is noticed and rewritten. It holds no secret: only what
`/api/v1/` and `/schema/` answered. Only the sessions (and the command line's cache
commands) read and write it; discovery itself keeps to memory and never touches a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import math
import os
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..escaping import library_log

if TYPE_CHECKING:
    from ..settings.config import Settings

__all__ = ["DiskCache", "CacheState", "CacheKeeper", "CACHE_FORMAT", "CACHE_SUBDIR", "fresh_for"]

log = library_log()
CACHE_FORMAT = 1
#: The folder inside `cache_dir` that holds the files: the client's own, so `cache_dir`
#: may be a shared folder (even /tmp) whose mode is none of the client's business.
CACHE_SUBDIR = "schemas"


def fresh_for(payload: Mapping[str, Any], ttl: float, now: float | None = None) -> float:
    """Seconds a cached payload stays fresh; 0 when stale. With `ttl` 0 nothing is ever
    fresh, and a payload stamped in the future (saved while the clock ran ahead, then
    stepped back) is stale: its age cannot be known, so it is refetched, not trusted."""
    now = time.time() if now is None else now
    try:
        saved = float(payload.get("saved_at", 0))
    except (TypeError, ValueError):
        return 0.0
    if ttl <= 0 or not math.isfinite(saved) or saved > now:
        return 0.0
    return max(0.0, ttl - (now - saved))


class CacheState(NamedTuple):
    """What the file should now hold: the listing and schemas known at `saved_at`."""

    listing: dict[str, Any] | None
    schemas: dict[str, Any]
    saved_at: float


class CacheKeeper:
    """Writes what discovery learned to the file between operations: a session calls
    `save` after each one, so an operation never writes a file while it runs."""

    def __init__(self, disk: DiskCache, unsaved: Callable[[], CacheState | None]):
        self.disk = disk
        self.unsaved = unsaved

    def save(self) -> None:
        """Write the state discovery holds, when it changed since the last write."""
        state = self.unsaved()
        if state is not None:
            self.disk.save(state.listing, state.schemas, state.saved_at)


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
            ok = (
                document.get("format") == CACHE_FORMAT
                and hmac.compare_digest(signature, self._signature(payload))
                and payload.get("base_url") == self.settings.base_url
                and payload.get("api_path") == self.settings.api_path
                and payload.get("fingerprint") == self.settings.credential_fingerprint
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            ok = False
        if not ok:
            log.warning("Ignoring an unreadable or altered schema cache file %s", self.path)
            return None
        return payload  # type: ignore[no-any-return]

    def load_fresh(self) -> dict[str, Any] | None:
        """The stored payload while it is fresh (see `fresh_for`), else None; with
        `cache_ttl` 0 the file is not even read."""
        if self.settings.cache_ttl <= 0:
            return None
        payload = self.load()
        if payload is None or not fresh_for(payload, self.settings.cache_ttl):
            return None
        return payload

    def save(
        self, listing: dict[str, Any] | None, schemas: dict[str, Any], saved_at: float
    ) -> None:
        """Replace the file with this state; a state with nothing in it removes the file."""
        if self.path is None:
            return
        if listing is None and not schemas:
            self.clear()
            return
        payload = {
            "base_url": self.settings.base_url,
            "api_path": self.settings.api_path,
            "fingerprint": self.settings.credential_fingerprint,
            "saved_at": saved_at,
            "listing": listing,
            "schemas": schemas,
        }
        document = {
            "format": CACHE_FORMAT,
            "payload": payload,
            "signature": self._signature(payload),
        }
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
        """Remove the file (a later `load` finds nothing)."""
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
        if (
            not stat.S_ISDIR(info.st_mode)
            or not mine
            or (os.name == "posix" and info.st_mode & 0o077)
        ):
            raise OSError(f"{folder} is not a private folder of this user; not used") from None
    else:
        os.chmod(folder, 0o700)  # mkdir's mode is narrowed by the umask, never widened
    return folder
