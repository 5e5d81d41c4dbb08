"""`FakeMailRoute`: an in-memory Tastypie 0.15.1 server behind an httpx transport.

It answers like the real server (TASTYPIE.md): the same routes, status codes, headers and
bodies, from fixture schemas and objects, so a client can be tested without a network.
Use it as `Client(transport=fake)`, `AsyncClient(transport=fake)` or as a respx side
effect (`respx.route(...).mock(side_effect=fake)`).

Routing, authentication and the transport live here; HTTP details in `exchange`, the
endpoints in `views`, state and the write cycle in `store` (with `hydrate`, `forms`,
`saving`, `relations`), lists in `query` and `ordering`, failures in `faults`.

What a schema cannot tell comes from the folder's `rules.json` (see `fixtures`): forms,
lengths, one-to-one links, what deletes do, timestamps and reverse relations the server
fills. Beyond that, the fake does not reproduce:
* JSON only: `?format=xml`, `Accept: application/xml` and JSONP answer JSON; XML bodies get 415.
* Rows the real server creates by itself (a new domain's policy, a reseller's branding
  info) do not appear.
* Without `order_by`, rows come in a table scan's order (`database=`; a database may
  walk an index instead). `contains`/`startswith` follow `database=`.
* No throttling, DEBUG tracebacks, nested object creation, MailRoute's nested lists and
  natural-key detail URLs, or query-parameter auth in form bodies. Custom actions are
  served only as `rules.json` declares them (the demo: MailRoute's `regenerate_api_key`,
  `mass_add_aliases`, `mass_resend_welcome`).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from .answers import HttpError, bad_request
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
from .faults import Fault, FaultControls, FaultPlan, fault_answer
from .fixtures import load_fixture
from .query import QueryDict
from .store import Store
from .values import Clock, LookupValueError, string_to_python
from .views import Views

__all__ = ["FakeMailRoute", "SeenRequest", "DEMO_DATA"]

DEMO_DATA = Path(__file__).parent / "demo_data"
_PAGE = ('\n<!doctype html>\n<html lang="en">\n<head>\n  <title>{title}</title>\n</head>\n'
         '<body>\n  <h1>{title}</h1><p>{details}</p>\n</body>\n</html>\n')
NOT_FOUND_PAGE = _PAGE.format(title="Not Found",
                              details="The requested resource was not found on this server.")


@dataclass(frozen=True)
class SeenRequest:
    """One request the fake received: what tests count and inspect."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: bytes
    fault: str | None = None
    status: int | None = None       # None when the transport raised instead of answering

    @property
    def params(self) -> dict[str, str]:
        """The query as a dict (the last value of a repeated parameter)."""
        return dict(self.query)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None



class FakeMailRoute(FaultControls, httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A Tastypie 0.15.1 server in memory, serving a fixture folder.

    `fixtures_dir=None` serves the demo data packaged with mailroute_dyn. The fixture's
    objects are copied, so writes never touch the files; `reset()` goes back to them.
    `fullschema=False` makes `?fullschema=` ignored (the 2013 MailRoute server);
    `always_return_data` names resources whose writes answer with the object (or `True`
    for all); `form_validation` names resources validated by a Django ModelForm, where a
    field that is not `blank` is required even when nullable (MailRoute: email_account,
    domain, customer, reseller). Both default to what the folder's `rules.json` declares
    and, when given, decide for every resource. `time_zone` is the server's TIME_ZONE.
    `database` ("postgresql" or "sqlite") is what the server's database decides: whether
    `contains`/`startswith`/`iexact`... ignore the case of ASCII letters (SQLite's LIKE)
    or compare as PostgreSQL does, the order of tied rows, a table scan's order (key
    order on SQLite; on PostgreSQL an updated row moves to the end), where NULL sorts
    (first on SQLite, last ascending on PostgreSQL) and whether a text longer than its
    `column_length` rule fails (PostgreSQL) or is stored (SQLite). PostgreSQL's order of
    tied rows depends on the sort it picks: order by a unique field last.
    """

    def __init__(self, fixtures_dir: str | Path | None = None, *, login: str = "demo",
                 api_key: str = "demo-key", api_path: str = "/api/v1/",
                 fullschema: bool = True, datetime_format: str = "rfc-2822",
                 max_limit: int = 1000, seed: int = 0,
                 always_return_data: Iterable[str] | bool | None = None,
                 form_validation: Iterable[str] | bool | None = None,
                 time_zone: str = "America/Los_Angeles", database: str = "postgresql"):
        if not api_path.startswith("/") or not api_path.endswith("/"):
            raise ValueError("api_path must start and end with '/'")
        self.fixtures_dir = Path(fixtures_dir) if fixtures_dir is not None else DEMO_DATA
        self.login = login
        self.api_key = api_key
        self.api_path = api_path
        self.fullschema = fullschema
        self.max_limit = max_limit
        self.clock = Clock(time_zone, datetime_format)
        self.store = Store(load_fixture(self.fixtures_dir), self.clock, api_path,
                           always_return_data, form_validation, database)
        self.views = Views(self.store, api_path, max_limit, seed)
        self.requests: list[SeenRequest] = []
        self._seed = seed
        self._plan = FaultPlan(seed)
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return (f"<FakeMailRoute {self.fixtures_dir} {len(self.store.defs)} resources, "
                f"{len(self.requests)} requests seen>")

    # ------------------------------------------------------------ public controls

    @property
    def resources(self) -> list[str]:
        """Every resource served (listed or not)."""
        return sorted(self.store.defs)

    def objects(self, resource: str) -> list[dict[str, Any]]:
        """A copy of a resource's current objects, as stored (for assertions)."""
        with self._lock:
            return [dict(o) for o in self.store.objects(resource)]

    def set_always_return_data(self, resource: str, value: bool = True) -> None:
        """Make writes to `resource` answer with the object (Tastypie's always_return_data)."""
        self.store.defs[resource].always_return_data = value

    def reset(self) -> None:
        """Back to the fixture's objects, with no faults and an empty request log."""
        with self._lock:
            self.store.reset()
            self._plan = FaultPlan(self._seed)
            self.requests.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests were seen, optionally of one method and under a path prefix."""
        return sum(1 for r in self.requests
                   if (method is None or r.method == method.upper())
                   and (path is None or r.path.startswith(path)))

    # ------------------------------------------------------------ transport entry points

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        fault, parsed = self._begin(request)
        if fault is not None and fault.kind == "latency":
            time.sleep(fault.options.get("ms", 100) / 1000)
        return self._finish(request, parsed, fault)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        fault, parsed = self._begin(request)
        if fault is not None and fault.kind == "latency":
            await asyncio.sleep(fault.options.get("ms", 100) / 1000)
        return self._finish(request, parsed, fault)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """respx side effect: `respx.route(host=...).mock(side_effect=fake)`."""
        return self.handle_request(request)

    # ------------------------------------------------------------ request cycle

    def _begin(self, request: httpx.Request) -> tuple[Fault | None, Request]:
        raw_path = request.url.raw_path.decode("ascii", "replace").split("?", 1)[0]
        raw_query = request.url.query.decode("ascii", "replace")
        pairs = tuple(parse_qsl(raw_query, keep_blank_values=True, encoding="utf-8",
                                errors="replace"))
        parsed = Request(request.method.upper(), request.url.path, raw_path, raw_query,
                          QueryDict(pairs), pairs, request.headers, request.content)
        with self._lock:
            fault = self._plan.pick(parsed.method, parsed.path)
        return fault, parsed

    def _finish(self, request: httpx.Request, req: Request, fault: Fault | None
                ) -> httpx.Response:
        kind = fault.kind if fault is not None else None
        with self._lock:
            try:
                reply = self._answer(req) if fault is None or fault.applies_request else None
            except Exception:
                self._record(req, kind, 500)
                raise
            if kind in ("timeout", "connect", "reset"):
                self._record(req, kind, None)
            else:
                reply = self._faulty(fault, reply) if fault is not None else reply
                assert reply is not None
                self._record(req, kind, reply.status)
        if kind == "connect":
            raise httpx.ConnectError("[fake] connection refused", request=request)
        if kind == "timeout":
            raise httpx.ReadTimeout("[fake] timed out waiting for the answer", request=request)
        if kind == "reset":
            raise httpx.RemoteProtocolError(
                "[fake] server disconnected without sending a response", request=request)
        assert reply is not None
        return self._response(request, req, reply)

    def _record(self, req: Request, fault: str | None, status: int | None) -> None:
        self.requests.append(SeenRequest(req.method, req.path, req.pairs, req.body, fault,
                                         status))

    def _faulty(self, fault: Fault, reply: Reply | None) -> Reply:
        if fault.kind == "latency":
            assert reply is not None
            return reply
        status, content_type, body, headers = fault_answer(
            fault, reply.body if reply is not None else None)
        return Reply(status, content_type, body, headers, returned=False)

    def _response(self, request: httpx.Request, req: Request, reply: Reply
                  ) -> httpx.Response:
        headers: list[tuple[str, str]] = []
        if reply.content_type is not None:
            headers.append(("Content-Type", reply.content_type))
        headers += list((reply.headers or {}).items())
        if reply.returned:
            headers.append(("Vary", "Accept"))
            if req.method == "GET" and reply.status == 200:
                headers.append(("Cache-Control", "no-cache"))
        if (req.headers.get("x-requested-with") == "XMLHttpRequest"
                and not any(k == "Cache-Control" for k, _ in headers)):
            headers.append(("Cache-Control", "no-cache"))
        headers.append(("Content-Length", str(len(reply.body))))
        body = b"" if req.method == "HEAD" else reply.body
        return httpx.Response(reply.status, headers=headers, content=body, request=request)

    # ------------------------------------------------------------ routing

    def _route(self, path: str) -> tuple[str, str] | None:
        """The resource a path is under and the rest of the path after its name: the
        longest resource name that fits, so `thesaurus/keywords/1/` is not `thesaurus`'s."""
        if not path.startswith(self.api_path):
            return None
        rest = path[len(self.api_path):]
        names = [n for n in self.store.defs if rest.startswith(f"{n}/")]
        if not names:
            return None
        name = max(names, key=len)
        return name, rest[len(name) + 1:]

    def _resolves(self, path: str) -> bool:
        return path == self.api_path or self._route(path) is not None

    def _answer(self, req: Request) -> Reply:
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
        except HttpError as exc:
            return error_reply(exc)
        except LookupValueError as exc:
            return error_reply(bad_request(exc.message))

    # ------------------------------------------------------------ formats and auth

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
            raise HttpError(401)

    def _top_level(self, req: Request) -> Reply:
        accept = req.headers.get("accept", "*/*")
        if req.query.get("format") not in ("json", "xml") and accept != "*/*" and not (
                accept_parses(accept)):
            return Reply(400, HTML, b"", returned=False)
        full = self.fullschema and bool(string_to_python(req.query.get("fullschema", False)))
        listing = {}
        for name in self.store.listed():
            rdef = self.store.defs[name]
            base = f"{self.api_path}{name}/"
            listing[name] = {"list_endpoint": base,
                             "schema": rdef.schema if full else base + "schema/"}
        return Reply(200, JSON, to_json(listing), returned=False)

    def _schema(self, rdef: ResourceDef, req: Request) -> Reply:
        method_check(req, ["get"])
        self._require_auth(req)
        return ok(req, rdef.schema)

    def _set(self, rdef: ResourceDef, req: Request, ids_text: str) -> Reply:
        method_check(req, ["get"])
        self._require_auth(req)
        return self.views.get_set(rdef, req, ids_text)

    def _action(self, rdef: ResourceDef, req: Request, key_text: str | None,
                name: str) -> Reply:
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
            raise HttpError(501)
        self._require_auth(req)
        if detail:
            assert key_text is not None
            detail_handler: Callable[..., Reply] = getattr(self.views, f"{method}_detail")
            return detail_handler(rdef, req, key_text)
        list_handler: Callable[..., Reply] = getattr(self.views, f"{method}_list")
        return list_handler(rdef, req)

    # -- list endpoint


def _action_route(rdef: ResourceDef, tail: str) -> tuple[str | None, str] | None:
    """(key text or None, action name) when `tail` names one of the resource's actions."""
    parts = tail[:-1].split("/")
    if len(parts) == 1 and rdef.actions.get(parts[0], {}).get("on") == "list":
        return None, parts[0]
    if (len(parts) == 2 and parts[1] in rdef.actions
            and rdef.actions[parts[1]].get("on", "detail") == "detail"):
        return parts[0], parts[1]
    return None


