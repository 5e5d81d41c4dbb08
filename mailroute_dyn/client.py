"""`Client` and `AsyncClient`: settings, a session and a registry of resource classes.

The two differ only in their session (blocking or awaitable) and in what cannot await:
on an `AsyncClient`, `client.domain` needs the schema already loaded (`await
client.preload()` or `await client.resource("domain")`), and related objects are read
with `await obj.fetch("domain")`.
"""

from __future__ import annotations

import builtins
import contextlib
import os
from collections.abc import Awaitable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Self, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from .errors import GuardError, JournalError, MailRouteError, UnknownResource
from .operations import NO_BODY, Call, Operation
from .settings.auth import Secret
from .settings.config import USER_CACHE_DIR, CacheDir, Settings, resolve_settings
from .settings.urls import masked_url, url_problem
from .vocabulary import attribute_name_for

if TYPE_CHECKING:
    from pathlib import Path

    from .model.registry import Registry
    from .model.resources import AsyncResource, Resource
    from .query.queryset import AsyncQuerySet, QuerySet
    from .runs.journal import Journal
    from .runs.undo import UndoStep
    from .schema.discovery import Discovery

# The sessions (with the request and answer code under them), discovery, the schema
# cache file, the registry and with it the model and query layers load with the first
# client (`_setup`), not on import: code that only needs the names (type hints, the
# errors, the pytest plugin of a run that does not use it) does not pay for them.

__all__ = ["Client", "AsyncClient"]


class _Common:
    """What both clients share: settings, discovery, registry, and the URI helpers."""

    settings: Settings
    _registry: Registry
    _discovery: Discovery
    resource: Any  # each client defines it: the class of a resource by name

    @classmethod
    def demo(cls, **kwargs: Any) -> Self:
        """A client on the built-in demo server: a fake Tastypie server holding demo data
        that ships with the package. No credentials, no network, nothing written to disk.

        Keyword arguments go to the client and win over the demo's own (e.g. `page_size=5`,
        or `transport=FakeMailRoute(...)` for a fake you keep a handle on).
        """
        from . import fake  # the demo server loads when a demo is asked for

        settings: dict[str, Any] = {
            "base_url": fake.DEMO_URL,
            "login": fake.DEMO_LOGIN,
            "api_key": fake.DEMO_KEY,
            "cache_dir": None,
            **kwargs,
        }
        if "transport" not in settings:
            settings["transport"] = fake.FakeMailRoute(
                login=settings["login"], api_key=settings["api_key"]
            )
        return cls(**settings)

    def _setup(self, session: Any, is_async: bool, settings: Settings) -> None:
        from .model.registry import Registry
        from .schema.discovery import Discovery
        from .transport.cache_files import CacheKeeper, DiskCache

        self.settings = settings
        disk = DiskCache(settings)
        self._discovery = Discovery(settings, disk.load_fresh())
        session.cache = CacheKeeper(disk, self._discovery.unsaved)
        self._registry = Registry(
            settings,
            self._discovery,
            session.run,
            is_async,
            session.stream,
            session.keep_exact_numbers,
        )

    def __repr__(self) -> str:
        settings = self.__dict__.get("settings")
        if settings is None:  # a constructor that raised: nothing to show
            return f"<{type(self).__name__} (not set up)>"
        who = f" login={settings.login!r}" if settings.login else ""
        return f"<{type(self).__name__} {settings.api_url}{who}>"

    # -- resource classes

    def _resource_op(self, name: str) -> Operation[type[Resource]]:
        cls = self._registry.built(name)
        if cls is not None:
            return cls
        entry = yield from self._discovery.entry(name)
        if entry is None:
            known = (yield from self._discovery.listing()).keys()
            spelled = _listed_as(name, known)
            if spelled is None:
                raise UnknownResource(name, known)
            return (yield from self._resource_op(spelled))
        return (yield from self._registry.resource_op(name))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.resource(name)

    def __dir__(self) -> list[str]:
        listing = self._discovery.cached_listing() or {}
        return sorted(set(super().__dir__()) | {attribute_name_for(n) for n in listing})

    # -- any URI

    def _get_op(self, uri: str) -> Operation[Any]:
        _check_given_url(uri, "get")
        return (yield from self._registry.get_op(uri))

    def _list_op(self, uri: str) -> QuerySet[Any]:
        # The URI's own offset and limit (e.g. a saved meta.next link) become the
        # QuerySet's start and page size, so iteration begins where the URI points.
        _check_given_url(uri, "list")
        parts = urlsplit(uri)
        query = parse_qsl(parts.query, keep_blank_values=True)
        paging = {k: v for k, v in query if k in ("limit", "offset")}
        url = urlunsplit(
            parts._replace(
                query=urlencode([(k, v) for k, v in query if k not in ("limit", "offset")])
            )
        )
        start = int(paging["offset"]) if paging.get("offset", "").isdigit() else 0
        limit = int(paging["limit"]) if paging.get("limit", "").isdigit() else 0
        return self._registry.any_list(url, start, limit or None)

    def _request_op(
        self,
        method: str,
        url: str,
        json: Any,
        params: Mapping[str, Any] | None,
        idempotent: bool | None,
    ) -> Operation[Any]:
        _check_given_url(url, "request")
        pairs: list[tuple[str, str]] = []
        for key, value in (params or {}).items():
            values = value if isinstance(value, list | tuple) else [value]
            pairs += [(str(key), str(v)) for v in values]
        body = NO_BODY if json is None else json
        answer = yield Call(method.upper(), url, tuple(pairs), body, idempotent)
        return answer.body

    def _openapi_op(
        self, actions: Iterable[str], nested: Iterable[str]
    ) -> Operation[dict[str, Any]]:
        from .apidoc import describe_op, parse_extras

        extras = parse_extras(actions, nested)
        return (yield from describe_op(self.settings, self._discovery, self._registry, extras))


def _check_given_url(url: Any, where: str) -> None:
    """Refuse a URL the caller gave that cannot be sent (an open bracket, a bad port, a
    control character), as a library error before anything is sent."""
    problem = url_problem(url)
    if problem:
        shown = repr(masked_url(url)) if isinstance(url, str) else type(url).__name__
        raise GuardError(
            f"client.{where}(): {shown} is not a usable URL ({problem}); nothing was sent."
        )


def _listed_as(name: str, listed: Any) -> str | None:
    """The listed resource whose attribute form is `name` (`my_notes` -> `my-notes`)."""
    spelled = [n for n in listed if n != name and attribute_name_for(n) == name]
    return spelled[0] if len(spelled) == 1 else None


class Client(_Common):
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
        settings = resolve_settings(
            profile,
            base_url=base_url,
            login=login,
            api_key=api_key,
            api_path=api_path,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            retry_budget=retry_budget,
            page_size=page_size,
            concurrency=concurrency,
            cache_ttl=cache_ttl,
            cache_dir=cache_dir,
            auth=auth,
            allow_insecure=allow_insecure,
            read_only=read_only,
            max_rate=max_rate,
        )
        from .transport.sessions import SyncSession

        self._session = SyncSession(settings, transport)
        self._setup(self._session, False, settings)

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

        if self._registry.journal is not None:
            raise JournalError("a journal is already open on this client")
        journal = Journal(path, resume=resume)
        self._registry.journal = journal
        try:
            yield journal
        finally:
            self._registry.journal = None
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


class AsyncClient(_Common):
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
        settings = resolve_settings(
            profile,
            base_url=base_url,
            login=login,
            api_key=api_key,
            api_path=api_path,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            retry_budget=retry_budget,
            page_size=page_size,
            concurrency=concurrency,
            cache_ttl=cache_ttl,
            cache_dir=cache_dir,
            auth=auth,
            allow_insecure=allow_insecure,
            read_only=read_only,
            max_rate=max_rate,
        )
        from .transport.sessions import AsyncSession

        self._session = AsyncSession(settings, transport)
        self._setup(self._session, True, settings)

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
        spelled = _listed_as(name, listing or ())
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
