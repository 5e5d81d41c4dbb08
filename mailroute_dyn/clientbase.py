"""What `Client` and `AsyncClient` share, written once: their setup (settings, discovery,
the registry of classes), the demo constructor, attribute access to resource classes,
and the operations behind a resource by name, any URI, a raw request and the OpenAPI
document. Operations do not wait, so each client runs them with its own session
(blocking or awaiting); keeping them here leaves `client` with the two public surfaces
only, readable side by side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import GuardError, UnknownResource
from .operations import NO_BODY, Call, Operation
from .settings.config import Settings, resolve_settings
from .settings.urls import masked_url, url_problem
from .vocabulary import attribute_name_for

if TYPE_CHECKING:
    from .classes.registry import Registry
    from .model.querysets import QuerySet
    from .model.resources import Resource
    from .schema.discovery import Discovery

# The sessions (with the request and answer code under them), discovery, the schema
# cache file, the registry and with it the model and query layers load with the first
# client (`_setup`), not on import: code that only needs the names (type hints, the
# errors, the pytest plugin of a run that does not use it) does not pay for them.

__all__ = ["ClientBase", "listed_as", "settings_from"]


def settings_from(arguments: dict[str, Any]) -> Settings:
    """The settings a client's constructor arguments (its `locals()`) ask for: each one
    but `self` and `transport` goes to `resolve_settings` by its own name, so the two
    clients' signatures, written out for their types, share one call."""
    options = {k: v for k, v in arguments.items() if k not in ("self", "transport", "profile")}
    return resolve_settings(arguments["profile"], **options)


class ClientBase:
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

    def _setup(self, session: Any, settings: Settings) -> None:
        from .model.assemble import client_registry
        from .schema.discovery import Discovery
        from .transport.cache_files import CacheKeeper, DiskCache

        self.settings = settings
        disk = DiskCache(settings)
        self._discovery = Discovery(settings, disk.load_fresh())
        session.cache = CacheKeeper(disk, self._discovery.unsaved)
        self._registry = client_registry(settings, self._discovery, session)

    def __repr__(self) -> str:
        settings = self.__dict__.get("settings")
        if settings is None:  # a constructor that raised: nothing to show
            return f"<{type(self).__name__} (not set up)>"
        who = f" login={settings.login!r}" if settings.login else ""
        return f"<{type(self).__name__} {settings.api_url}{who}>"

    # -- resource classes

    def _resource_op(self, name: str) -> Operation[type[Resource]]:
        cls: type[Resource] | None = self._registry.built(name)
        if cls is not None:
            return cls
        entry = yield from self._discovery.entry(name)
        if entry is None:
            known = (yield from self._discovery.listing()).keys()
            spelled = listed_as(name, known)
            if spelled is None:
                raise UnknownResource(name, known)
            return (yield from self._resource_op(spelled))
        built: type[Resource] = yield from self._registry.resource_op(name)
        return built

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
        from .model.assemble import any_list

        return any_list(self._registry, url, start, limit or None)

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


def listed_as(name: str, listed: Any) -> str | None:
    """The listed resource whose attribute form is `name` (`my_notes` -> `my-notes`)."""
    spelled = [n for n in listed if n != name and attribute_name_for(n) == name]
    return spelled[0] if len(spelled) == 1 else None
