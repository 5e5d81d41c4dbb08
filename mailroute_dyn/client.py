"""`Client` and `AsyncClient`: settings, a session and a registry of resource classes.

The two differ only in their session (blocking or awaitable) and in what cannot await:
on an `AsyncClient`, `client.domain` needs the schema already loaded (`await
client.preload()` or `await client.resource("domain")`), and related objects are read
with `await obj.fetch("domain")`. What they share is in `clientbase`.
"""

from __future__ import annotations

import builtins
import contextlib
import os
from collections.abc import Awaitable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx

from .clientbase import ClientBase, listed_as, settings_from
from .errors import JournalError, MailRouteError, UnknownResource
from .settings.auth import Secret
from .settings.config import USER_CACHE_DIR, CacheDir

if TYPE_CHECKING:
    from pathlib import Path

    from .model.querysets import AsyncQuerySet, QuerySet
    from .model.resources import AsyncResource, Resource
    from .runs.journal import Journal
    from .runs.undo import UndoStep

# The sessions, the journal and the undo load when first used, not on import (see
# `clientbase`).

__all__ = ["Client", "AsyncClient"]


class Client(ClientBase):
    """A blocking client. Every argument is optional; `MAILROUTE_*` variables fill gaps.

    `login`/`api_key` log in with Tastypie's ApiKey; `auth=` takes any `httpx.Auth`
    (`BasicAuth`, `DigestAuth`, `SessionAuth` or your own) or a kind name whose secrets
    come from the profile or the environment. `timeout` bounds each request as a whole.
    `read_only=True` (or a profile's `read_only = true`) refuses every write before it is
    sent, with `GuardError`: for exploring with a production key.

    >>> client = Client(base_url="https://admin.mailroute.net", login="me", api_key="…")
    >>> client.domain.filter(name__startswith="test").count()
    """

    def __init__(
        self,
        base_url: str | None = None,
        login: str | None = None,
        api_key: str | Secret | None = None,
        *,
        api_path: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        retry_budget: float | None = None,
        page_size: int | None = None,
        concurrency: int | None = None,
        cache_ttl: float | None = None,
        cache_dir: CacheDir = USER_CACHE_DIR,
        transport: httpx.BaseTransport | None = None,
        auth: httpx.Auth | str | None = None,
        allow_insecure: bool | None = None,
        profile: str | None = None,
        read_only: bool | None = None,
        max_rate: float | None = None,
    ):
        api_key = Secret.of(api_key)  # from here on no frame holds the key as text
        settings = settings_from(locals())  # every argument but transport, by name
        from .transport.sessions import SyncSession

        self._session = SyncSession(settings, transport)
        self._setup(self._session, settings)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._session.close()

    def resource(self, name: str) -> type[Resource]:
        """The class of resource `name`, built from its schema on first use."""
        return self._session.run(self._resource_op(name))

    def __getitem__(self, name: str) -> type[Resource]:
        return self.resource(name)

    def _names(self) -> dict[str, Any]:
        return self._session.run(self._discovery.listing())

    def __contains__(self, name: object) -> bool:
        listing = self._discovery.cached_listing()
        return name in (listing if listing is not None else self._names())

    @property
    def resources(self) -> list[str]:
        """Sorted resource names from the top-level listing."""
        return sorted(self._names())

    def preload(self) -> list[str]:
        """Fetch every listed schema now (concurrently) and build every class."""
        schemas = self._session.run(self._discovery.preload())
        for name in schemas:
            self.resource(name)
        return sorted(schemas)

    def refresh(self) -> None:
        """Forget cached listing and schemas (memory and disk) and rediscover on next use."""
        self._discovery.forget()
        self._registry.forget()
        self._session.save_cache()

    def get(self, uri: str) -> Resource:
        """Any object by URI, as an instance of its resource's class (also unlisted ones)."""
        return cast("Resource", self._session.run(self._get_op(uri)))

    def list(self, uri: str) -> QuerySet[Resource]:
        """Any list URI (nested lists too), iterated lazily; its own query is kept."""
        return self._list_op(uri)

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Any request, with auth, retries, error mapping and the origin check; the parsed
        body comes back (None when empty). POST is retried only when nothing was sent."""
        return self._session.run(self._request_op(method, url, json, params, idempotent))

    def openapi(self, *, actions: Iterable[str] = (), nested: Iterable[str] = ()) -> dict[str, Any]:
        """An OpenAPI 3.1 document of the live API (the one `mailroute-dyn openapi` writes).
        `actions` (`"email_account/{pk}/regenerate_api_key"`, `"wblist/mass_add"`) and
        `nested` (`"reseller/{pk}/contacts=contact_reseller"`) add what schemas cannot tell."""
        return self._session.run(self._openapi_op(actions, nested))

    @contextlib.contextmanager
    def journal(self, path: str | os.PathLike[str], *, resume: bool = False) -> Iterator[Journal]:
        """Journal the `bulk_create`/`bulk_update`/`bulk_delete` calls made inside the
        `with` block into the JSON Lines file `path` (0600; see docs/admin-runs.md).
        With `resume=True` the same calls, made again in the same order, skip the rows the
        journal shows done and look up rows it shows started without an outcome."""
        from .runs.journal import Journal

        if self._session.journal is not None:
            raise JournalError("a journal is already open on this client")
        journal = Journal(path, resume=resume)
        self._session.journal = journal
        try:
            yield journal
        finally:
            self._session.journal = None
            journal.close()

    def undo(
        self,
        journal: str | os.PathLike[str],
        *,
        dry_run: bool = False,
        journal_to: str | os.PathLike[str] | None = None,
    ) -> tuple[builtins.list[UndoStep], Path | None]:
        """Take back the run journaled in `journal`: created objects deleted, updated
        fields put back, deleted objects created again (see docs/admin-runs.md). A row
        changed since the run is left alone and reported. Returns each row's `UndoStep`
        and the undo's own journal (`journal_to`, default `<journal>.undo.jsonl`; None
        with `dry_run`, which sends no write)."""
        from .runs.undo import undo_run

        return undo_run(self, journal, dry_run=dry_run, journal=journal_to)


class AsyncClient(ClientBase):
    """The same surface with `await` / `async for` / `async with`."""

    def __init__(
        self,
        base_url: str | None = None,
        login: str | None = None,
        api_key: str | Secret | None = None,
        *,
        api_path: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        retry_budget: float | None = None,
        page_size: int | None = None,
        concurrency: int | None = None,
        cache_ttl: float | None = None,
        cache_dir: CacheDir = USER_CACHE_DIR,
        transport: httpx.AsyncBaseTransport | None = None,
        auth: httpx.Auth | str | None = None,
        allow_insecure: bool | None = None,
        profile: str | None = None,
        read_only: bool | None = None,
        max_rate: float | None = None,
    ):
        api_key = Secret.of(api_key)  # from here on no frame holds the key as text
        settings = settings_from(locals())  # every argument but transport, by name
        from .transport.sessions import AsyncSession

        self._session = AsyncSession(settings, transport)
        self._setup(self._session, settings)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._session.close()

    def resource(self, name: str) -> Awaitable[type[AsyncResource]]:
        """The class of `name`, to await (`Domain = await client.resource("domain")`).
        Once its schema is loaded the class itself comes back, which is awaitable too
        and usable at once (`client.resource("domain").filter(...)`)."""
        cls = self._registry.built(name)
        if cls is not None:
            return cast("Awaitable[type[AsyncResource]]", cls)
        return cast("Awaitable[type[AsyncResource]]", self._session.run(self._resource_op(name)))

    def __getitem__(self, name: str) -> Awaitable[type[AsyncResource]]:
        return self.resource(name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        cls = self._registry.built(name)
        if cls is not None:
            return cls
        listing = self._discovery.cached_listing()
        spelled = listed_as(name, listing or ())
        if spelled is not None and name not in (listing or ()):
            return self.__getattr__(spelled)
        if listing is not None and name not in listing:
            raise UnknownResource(name, listing)
        raise MailRouteError(
            f"The schema of {name!r} is not loaded yet: use 'await client.preload()' once, "
            f"or 'await client.resource({name!r})'."
        )

    async def _names(self) -> dict[str, Any]:
        return await self._session.run(self._discovery.listing())

    async def discover(self) -> list[str]:
        """The sorted resource names (fetches the listing when not cached)."""
        return sorted(await self._names())

    @property
    def resources(self) -> list[str]:
        """Resource names from the cached listing (after `await client.discover()`)."""
        listing = self._discovery.cached_listing()
        if listing is None:
            raise MailRouteError("Use 'await client.discover()' first on an AsyncClient.")
        return sorted(listing)

    def __contains__(self, name: object) -> bool:
        listing = self._discovery.cached_listing()
        if listing is None:
            raise MailRouteError("Use 'await client.discover()' first on an AsyncClient.")
        return name in listing

    async def preload(self) -> list[str]:
        """Fetch every listed schema concurrently and build every class."""
        schemas = await self._session.run(self._discovery.preload())
        for name in schemas:
            await self._session.run(self._resource_op(name))
        return sorted(schemas)

    def refresh(self) -> None:
        """Forget cached listing and schemas (memory and disk); rediscover on next use."""
        self._discovery.forget()
        self._registry.forget()
        self._session.save_cache()

    async def get(self, uri: str) -> AsyncResource:
        """Any object by URI, as an instance of its resource's class."""
        return cast("AsyncResource", await self._session.run(self._get_op(uri)))

    def list(self, uri: str) -> AsyncQuerySet[AsyncResource]:
        """Any list URI, iterated with `async for`; its own query is kept."""
        return cast("AsyncQuerySet[AsyncResource]", self._list_op(uri))

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Any request with auth, retries, error mapping and the origin check."""
        return await self._session.run(self._request_op(method, url, json, params, idempotent))

    async def openapi(
        self, *, actions: Iterable[str] = (), nested: Iterable[str] = ()
    ) -> dict[str, Any]:
        """The OpenAPI 3.1 document of the live API, as `Client.openapi()`."""
        return cast("dict[str, Any]", await self._session.run(self._openapi_op(actions, nested)))
