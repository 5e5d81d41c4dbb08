"""The fake server's URL conf: which view a path and method go to (Tastypie's
`prepend_urls` and `base_urls`), after ApiKey authentication, and the answers that need
no view (the top-level listing, the slash redirect, Django's 404 page).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import FakeHttpError, FakeLookupValueError
from .answers import bad_request
from .defs import ResourceDef
from .exchange import (
    HTML,
    JSON,
    Reply,
    Request,
    accept_parses,
    error_reply,
    method_check,
    ok,
    to_json,
)
from .store import Store
from .values import string_to_python
from .views import Views

__all__ = ["Routes", "NOT_FOUND_PAGE"]

_PAGE = (
    '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>{title}</title>\n</head>\n'
    "<body>\n  <h1>{title}</h1><p>{details}</p>\n</body>\n</html>\n"
)
NOT_FOUND_PAGE = _PAGE.format(
    title="Not Found", details="The requested resource was not found on this server."
)


class Routes:
    """Paths to views, for one fake server: its store and views, its API path, the one
    login and key it accepts, and whether it inlines schemas in the listing."""

    def __init__(
        self, store: Store, views: Views, api_path: str, login: str, api_key: str, fullschema: bool
    ):
        self.store = store
        self.views = views
        self.api_path = api_path
        self.login = login
        self.api_key = api_key
        self.fullschema = fullschema

    def _route(self, path: str) -> tuple[str, str] | None:
        """The resource a path is under and the rest of the path after its name: the
        longest resource name that fits, so `thesaurus/keywords/1/` is not `thesaurus`'s."""
        if not path.startswith(self.api_path):
            return None
        rest = path[len(self.api_path) :]
        names = [n for n in self.store.defs if rest.startswith(f"{n}/")]
        if not names:
            return None
        name = max(names, key=len)
        return name, rest[len(name) + 1 :]

    def _resolves(self, path: str) -> bool:
        return path == self.api_path or self._route(path) is not None

    def answer(self, req: Request) -> Reply:
        """The server's answer to `req`: a redirect to the slashed path, a 404 page, the
        top-level listing, or what the resource's view answers (its errors included)."""
        path = req.path
        if not path.endswith("/"):
            if self._resolves(path + "/"):
                location = req.raw_path + "/" + (f"?{req.raw_query}" if req.raw_query else "")
                return Reply(301, HTML, b"", {"Location": location}, returned=False)
            return Reply(404, HTML, NOT_FOUND_PAGE.encode(), returned=False)
        if path == self.api_path:
            return self._top_level(req)
        route = self._route(path)
        if route is None:
            return Reply(404, HTML, NOT_FOUND_PAGE.encode(), returned=False)
        name, tail = route
        rdef = self.store.defs[name]
        try:
            if tail == "":
                return self._dispatch(rdef, req, None)
            if tail == "schema/":
                return self._schema(rdef, req)
            match = re.fullmatch(r"set/(.*?)/", tail, re.S)
            if match:
                return self._set(rdef, req, match.group(1))
            action = _action_route(rdef, tail)
            if action is not None:
                return self._action(rdef, req, *action)
            return self._dispatch(rdef, req, tail[:-1])
        except FakeHttpError as exc:
            return error_reply(exc)
        except FakeLookupValueError as exc:
            return error_reply(bad_request(exc.message))

    def _authenticated(self, req: Request) -> bool:
        """ApiKeyAuthentication: the header, else `?username=&api_key=`."""
        header = req.headers.get("authorization", "")
        creds: tuple[str, str] | None = None
        if header and " " in header:
            scheme, data = header.split(" ", 1)
            if scheme.lower() == "apikey":
                if ":" not in data:
                    return False
                login, key = data.split(":", 1)
                creds = (login, key)
        if creds is None:
            creds = (req.query.get("username") or "", req.query.get("api_key") or "")
        login, key = creds
        return bool(login and key) and login == self.login and key == self.api_key

    def _require_auth(self, req: Request) -> None:
        if not self._authenticated(req):
            raise FakeHttpError(401)

    def _top_level(self, req: Request) -> Reply:
        accept = req.headers.get("accept", "*/*")
        if (
            req.query.get("format") not in ("json", "xml")
            and accept != "*/*"
            and not (accept_parses(accept))
        ):
            return Reply(400, HTML, b"", returned=False)
        full = self.fullschema and bool(string_to_python(req.query.get("fullschema", False)))
        listing = {}
        for name in self.store.listed():
            rdef = self.store.defs[name]
            base = f"{self.api_path}{name}/"
            listing[name] = {
                "list_endpoint": base,
                "schema": rdef.schema if full else base + "schema/",
            }
        return Reply(200, JSON, to_json(listing), returned=False)

    def _schema(self, rdef: ResourceDef, req: Request) -> Reply:
        method_check(req, ["get"])
        self._require_auth(req)
        return ok(req, rdef.schema)

    def _set(self, rdef: ResourceDef, req: Request, ids_text: str) -> Reply:
        method_check(req, ["get"])
        self._require_auth(req)
        return self.views.get_set(rdef, req, ids_text)

    def _action(self, rdef: ResourceDef, req: Request, key_text: str | None, name: str) -> Reply:
        """A custom route from rules.json (MailRoute's `regenerate_api_key`, `mass_*`)."""
        method_check(req, ["post"])
        self._require_auth(req)
        return self.views.action(rdef, req, key_text, name)

    def _dispatch(self, rdef: ResourceDef, req: Request, key_text: str | None) -> Reply:
        detail = key_text is not None
        allowed = rdef.detail_methods if detail else rdef.list_methods
        override = req.headers.get("x-http-method-override")
        method = method_check(req, allowed, override)
        if method not in ("get", "post", "put", "patch", "delete"):
            raise FakeHttpError(501)
        self._require_auth(req)
        if detail:
            assert key_text is not None
            detail_handler: Callable[..., Reply] = getattr(self.views, f"{method}_detail")
            return detail_handler(rdef, req, key_text)
        list_handler: Callable[..., Reply] = getattr(self.views, f"{method}_list")
        return list_handler(rdef, req)


def _action_route(rdef: ResourceDef, tail: str) -> tuple[str | None, str] | None:
    """(key text or None, action name) when `tail` names one of the resource's actions."""
    parts = tail[:-1].split("/")
    if len(parts) == 1 and rdef.actions.get(parts[0], {}).get("on") == "list":
        return None, parts[0]
    if (
        len(parts) == 2
        and parts[1] in rdef.actions
        and rdef.actions[parts[1]].get("on", "detail") == "detail"
    ):
        return parts[0], parts[1]
    return None
