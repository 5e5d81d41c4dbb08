"""`FakeMailRoute`: an in-memory Tastypie 0.15.1 server behind an httpx transport.

It answers like the real server (TASTYPIE.md): the same routes, status codes, headers and
bodies, from fixture schemas and objects, so a client can be tested without a network.
Use it as `Client(transport=fake)`, `AsyncClient(transport=fake)` or as a respx side
effect (`respx.route(...).mock(side_effect=fake)`).

Routing and HTTP details live here; state and writes in `store`, lists in `query`,
failures in `faults`.

What a schema cannot tell, the fake does not reproduce:
* JSON only: `?format=xml`, `Accept: application/xml` and JSONP answer JSON; XML bodies get 415.
* Rows the real server creates by itself (a new domain's policy, a reseller's branding
  info) do not appear; such read-only links of new objects stay null.
* Validation is the schema's, on every resource: required fields, strict JSON types
  (a FormValidation resource would coerce `"8"` or `"false"`), unique fields; plus what
  the fixture's `rules.json` declares (unique_together, min/max, choices, values the
  server fills in). Nothing else of a model's validation; decimals are not quantized.
* Deletes cascade by a guess: writable or required links cascade, optional read-only
  links are cleared. Links the schema hides (MailRoute's string-typed `admins.customer`)
  are neither followed nor filterable as foreign keys.
* Without `order_by`, rows come in primary-key order (a database may walk an index).
  `contains`/`startswith` are case-sensitive, as Django documents (SQLite's LIKE is not).
* No throttling, DEBUG tracebacks, nested object creation, MailRoute's nested lists and
  natural-key detail URLs, or query-parameter auth in form bodies. Custom actions are
  served only as `rules.json` declares them (the demo: MailRoute's `regenerate_api_key`,
  `mass_add_aliases`, `mass_resend_welcome`).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from .faults import Fault, FaultControls, FaultPlan, fault_answer
from .fixtures import load_fixture
from .query import (
    QueryDict,
    apply_ordering,
    page_bounds,
    page_meta,
    parse_filters,
    select,
)
from .store import HttpError, ResourceDef, Store, bad_request, canned
from .values import Clock, LookupValueError, string_to_python

__all__ = ["FakeMailRoute", "SeenRequest", "DEMO_DATA"]

DEMO_DATA = Path(__file__).parent / "demo_data"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
_PAGE = ('\n<!doctype html>\n<html lang="en">\n<head>\n  <title>{title}</title>\n</head>\n'
         '<body>\n  <h1>{title}</h1><p>{details}</p>\n</body>\n</html>\n')
NOT_FOUND_PAGE = _PAGE.format(title="Not Found",
                              details="The requested resource was not found on this server.")
_BODY_FORMATS = {"application/json"}


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


@dataclass
class _Reply:
    status: int
    content_type: str | None = None
    body: bytes = b""
    headers: dict[str, str] | None = None
    returned: bool = True       # a view's own answer (gets Vary) rather than a raised one


@dataclass
class _Request:
    method: str
    path: str
    raw_path: str
    raw_query: str
    query: QueryDict
    pairs: tuple[tuple[str, str], ...]
    headers: httpx.Headers
    body: bytes


def _json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _error(exc: HttpError) -> _Reply:
    if exc.text is not None:
        return _Reply(exc.status, HTML, exc.text.encode(), exc.headers, returned=False)
    if exc.body is None:
        return _Reply(exc.status, HTML, b"", exc.headers, returned=False)
    return _Reply(exc.status, JSON, _json(exc.body), exc.headers, returned=False)


class FakeMailRoute(FaultControls, httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A Tastypie 0.15.1 server in memory, serving a fixture folder.

    `fixtures_dir=None` serves the demo data packaged with mailroute_dyn. The fixture's
    objects are copied, so writes never touch the files; `reset()` goes back to them.
    `fullschema=False` makes `?fullschema=` ignored (the 2013 MailRoute server);
    `always_return_data` names resources whose writes answer with the object (or `True`
    for all); `form_validation` names resources validated by a Django ModelForm, where a
    field that is not `blank` is required even when nullable (MailRoute: email_account,
    domain, customer, reseller); `time_zone` is the server's TIME_ZONE.
    """

    def __init__(self, fixtures_dir: str | Path | None = None, *, login: str = "demo",
                 api_key: str = "demo-key", api_path: str = "/api/v1/",
                 fullschema: bool = True, datetime_format: str = "rfc-2822",
                 max_limit: int = 1000, seed: int = 0,
                 always_return_data: Iterable[str] | bool = (),
                 form_validation: Iterable[str] | bool = (),
                 time_zone: str = "America/Los_Angeles"):
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
                           always_return_data, form_validation)
        self.requests: list[SeenRequest] = []
        self._seed = seed
        self._plan = FaultPlan(seed)
        self._tokens = random.Random(seed)
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

    def _begin(self, request: httpx.Request) -> tuple[Fault | None, _Request]:
        raw_path = request.url.raw_path.decode("ascii", "replace").split("?", 1)[0]
        raw_query = request.url.query.decode("ascii", "replace")
        pairs = tuple(parse_qsl(raw_query, keep_blank_values=True, encoding="utf-8",
                                errors="replace"))
        parsed = _Request(request.method.upper(), request.url.path, raw_path, raw_query,
                          QueryDict(pairs), pairs, request.headers, request.content)
        with self._lock:
            fault = self._plan.pick(parsed.method, parsed.path)
        return fault, parsed

    def _finish(self, request: httpx.Request, req: _Request, fault: Fault | None
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

    def _record(self, req: _Request, fault: str | None, status: int | None) -> None:
        self.requests.append(SeenRequest(req.method, req.path, req.pairs, req.body, fault,
                                         status))

    def _faulty(self, fault: Fault, reply: _Reply | None) -> _Reply:
        if fault.kind == "latency":
            assert reply is not None
            return reply
        status, content_type, body, headers = fault_answer(
            fault, reply.body if reply is not None else None)
        return _Reply(status, content_type, body, headers, returned=False)

    def _response(self, request: httpx.Request, req: _Request, reply: _Reply
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

    def _resolves(self, path: str) -> bool:
        if path == self.api_path:
            return True
        if not path.startswith(self.api_path):
            return False
        name, slash, _ = path[len(self.api_path):].partition("/")
        return bool(slash) and name in self.store.defs

    def _answer(self, req: _Request) -> _Reply:
        path = req.path
        if not path.endswith("/"):
            if self._resolves(path + "/"):
                location = req.raw_path + "/" + (f"?{req.raw_query}" if req.raw_query else "")
                return _Reply(301, HTML, b"", {"Location": location}, returned=False)
            return _Reply(404, HTML, NOT_FOUND_PAGE.encode(), returned=False)
        if path == self.api_path:
            return self._top_level(req)
        if not self._resolves(path):
            return _Reply(404, HTML, NOT_FOUND_PAGE.encode(), returned=False)
        name, _, tail = path[len(self.api_path):].partition("/")
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
            return _error(exc)
        except LookupValueError as exc:
            return _error(bad_request(exc.message))

    # ------------------------------------------------------------ formats and auth

    def _negotiate(self, req: _Request) -> None:
        """`determine_format`: only an unparsable Accept header is an error (the fake
        always answers JSON)."""
        if req.query.get("format") in ("json", "xml"):
            return
        accept = req.headers.get("accept", "*/*")
        if accept != "*/*" and not _accept_parses(accept):
            raise bad_request("Invalid Accept header")

    def _ok(self, req: _Request, data: Any, status: int = 200,
            headers: dict[str, str] | None = None) -> _Reply:
        self._negotiate(req)
        return _Reply(status, JSON, _json(data), headers)

    def _authenticated(self, req: _Request) -> bool:
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

    def _require_auth(self, req: _Request) -> None:
        if not self._authenticated(req):
            raise HttpError(401)

    @staticmethod
    def _method_check(req: _Request, allowed: list[str], method: str | None = None) -> str:
        method = (method or req.method).lower()
        allows = ",".join(m.upper() for m in allowed)
        if method == "options":
            raise HttpError(200, text=allows, headers={"Allow": allows})
        if method not in allowed:
            raise HttpError(405, text=allows, headers={"Allow": allows})
        return method

    def _body(self, req: _Request) -> Any:
        """`deserialize`: JSON only (XML bodies get 415 here), invalid JSON is a 400."""
        content_type = req.headers.get("content-type", "application/json").split(";")[0]
        if content_type not in _BODY_FORMATS:
            raise canned(415)
        try:
            text = req.body.decode("utf-8")
        except UnicodeDecodeError:
            raise canned(500) from None
        try:
            return json.loads(text)
        except ValueError:
            raise bad_request("Request is not valid JSON.") from None

    # ------------------------------------------------------------ views

    def _top_level(self, req: _Request) -> _Reply:
        accept = req.headers.get("accept", "*/*")
        if req.query.get("format") not in ("json", "xml") and accept != "*/*" and not (
                _accept_parses(accept)):
            return _Reply(400, HTML, b"", returned=False)
        full = self.fullschema and bool(string_to_python(req.query.get("fullschema", False)))
        listing = {}
        for name in self.store.listed():
            rdef = self.store.defs[name]
            base = f"{self.api_path}{name}/"
            listing[name] = {"list_endpoint": base,
                             "schema": rdef.schema if full else base + "schema/"}
        return _Reply(200, JSON, _json(listing), returned=False)

    def _schema(self, rdef: ResourceDef, req: _Request) -> _Reply:
        self._method_check(req, ["get"])
        self._require_auth(req)
        return self._ok(req, rdef.schema)

    def _set(self, rdef: ResourceDef, req: _Request, ids_text: str) -> _Reply:
        self._method_check(req, ["get"])
        self._require_auth(req)
        ids = ids_text.split(";")
        try:
            keys = [rdef.pk_from_text(i) for i in ids]
        except ValueError:
            raise canned(500) from None
        found = {str(k): self.store.get(rdef.name, k) for k in keys}
        objects, missing = [], []
        for ident in ids:
            obj = found.get(ident)
            if obj is None:
                missing.append(ident)
            else:
                objects.append(self.store.render(rdef, obj))
        data: dict[str, Any] = {"objects": objects}
        if missing:
            data["not_found"] = missing
        return self._ok(req, data)

    def _action(self, rdef: ResourceDef, req: _Request, key_text: str | None,
                name: str) -> _Reply:
        """A custom route from rules.json (MailRoute's `regenerate_api_key`, `mass_*`)."""
        self._method_check(req, ["post"])
        self._require_auth(req)
        if key_text is not None and self.store.get(rdef.name, self._key(rdef, key_text)) is None:
            return _Reply(404, HTML)
        spec = rdef.actions[name]
        answer = spec.get("answer")
        status = int(spec.get("status", 200))
        if answer is None:
            return _Reply(status, HTML, b"")
        return _Reply(status, JSON, _json(self._fresh_tokens(answer)))

    def _fresh_tokens(self, value: Any) -> Any:
        if value == "$token":
            return f"{self._tokens.getrandbits(160):040x}"
        if isinstance(value, dict):
            return {k: self._fresh_tokens(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._fresh_tokens(v) for v in value]
        return value

    def _dispatch(self, rdef: ResourceDef, req: _Request, key_text: str | None) -> _Reply:
        detail = key_text is not None
        allowed = rdef.detail_methods if detail else rdef.list_methods
        override = req.headers.get("x-http-method-override")
        method = self._method_check(req, allowed, override)
        if method not in ("get", "post", "put", "patch", "delete"):
            raise HttpError(501)
        self._require_auth(req)
        if detail:
            assert key_text is not None
            detail_handler: Callable[..., _Reply] = getattr(self, f"_{method}_detail")
            return detail_handler(rdef, req, key_text)
        list_handler: Callable[..., _Reply] = getattr(self, f"_{method}_list")
        return list_handler(rdef, req)

    # -- list endpoint

    def _get_list(self, rdef: ResourceDef, req: _Request) -> _Reply:
        conditions = parse_filters(self.store, rdef, req.query)
        rows = list(select(self.store, rdef, conditions))
        rows = apply_ordering(self.store, rdef, rows, req.query)
        limit, offset = page_bounds(req.query, rdef.default_limit, self.max_limit)
        page = rows[offset:offset + limit] if limit else rows[offset:]
        meta = page_meta(f"{self.api_path}{rdef.name}/", req.query, limit, offset, len(rows))
        return self._ok(req, {"meta": meta,
                              "objects": [self.store.render(rdef, o) for o in page]})

    def _post_list(self, rdef: ResourceDef, req: _Request) -> _Reply:
        body = self._body(req)
        obj = self.store.create(rdef, body)
        location = {"Location": obj["resource_uri"]}
        if rdef.always_return_data:
            return self._ok(req, self.store.render(rdef, obj), 201, location)
        return _Reply(201, HTML, b"", location)

    def _matching(self, rdef: ResourceDef, req: _Request) -> list[Any]:
        """Keys of the objects the query's filters select (once each)."""
        conditions = parse_filters(self.store, rdef, req.query)
        return list(dict.fromkeys(o.get(rdef.pk) for o in select(self.store, rdef, conditions)))

    def _delete_list(self, rdef: ResourceDef, req: _Request) -> _Reply:
        self.store.delete(rdef, *self._matching(rdef, req))
        return _Reply(204)

    def _put_list(self, rdef: ResourceDef, req: _Request) -> _Reply:
        body = self._body(req)
        if not isinstance(body, dict) or "objects" not in body:
            raise bad_request("Invalid data sent: missing 'objects'")
        if not isinstance(body["objects"], list):
            raise canned(500)
        self.store.delete(rdef, *self._matching(rdef, req))
        created: list[dict[str, Any]] = []
        for item in body["objects"]:
            try:
                created.append(self.store.create(rdef, item))
            except HttpError as exc:
                if exc.status == 400 and isinstance(exc.body, dict) and rdef.name in exc.body:
                    # Tastypie's rollback deletes the rows this request created
                    self.store.delete(rdef, *(obj[rdef.pk] for obj in created))
                raise
        if rdef.always_return_data:
            return self._ok(req, {"objects": [self.store.render(rdef, o) for o in created]})
        return _Reply(204)

    def _patch_list(self, rdef: ResourceDef, req: _Request) -> _Reply:
        body = self._body(req)
        if not isinstance(body, dict) or "objects" not in body:
            raise bad_request("Invalid data sent: missing 'objects'")
        items = body["objects"]
        if not isinstance(items, list):
            raise canned(500)
        if items and "put" not in rdef.detail_methods:
            raise HttpError(405)
        state = self.store.snapshot()
        try:
            seen = []
            for item in items:
                if not isinstance(item, dict):
                    raise canned(500)
                data = dict(item)
                if "resource_uri" in data:
                    uri = data.pop("resource_uri")
                    key = self.store.key_via_uri(rdef, uri) if isinstance(uri, str) else None
                    if key is None:
                        raise canned(500)
                    current = self.store.get(rdef.name, key)
                    if current is not None:
                        seen.append(self.store.update(rdef, current, data, patch=True))
                        continue
                seen.append(self.store.create(rdef, data))
            deleted = body.get("deleted_objects") or []
            if deleted:
                if "delete" not in rdef.detail_methods:
                    raise HttpError(405)
                for uri in deleted:
                    key = self.store.key_via_uri(rdef, uri) if isinstance(uri, str) else None
                    if key is None:
                        raise canned(500)
                    if self.store.get(rdef.name, key) is None:
                        raise canned(404)
                    self.store.delete(rdef, key)
        except (HttpError, LookupValueError):
            self.store.restore(state)
            raise
        if rdef.always_return_data:
            return self._ok(req, {"objects": [self.store.render(rdef, o) for o in seen]}, 202)
        return _Reply(202, HTML, b"")

    # -- detail endpoint

    def _key(self, rdef: ResourceDef, text: str) -> Any:
        try:
            return rdef.pk_from_text(text)
        except ValueError:
            raise canned(404) from None

    def _get_detail(self, rdef: ResourceDef, req: _Request, text: str) -> _Reply:
        obj = self.store.get(rdef.name, self._key(rdef, text))
        if obj is None:
            return _Reply(404, HTML)
        return self._ok(req, self.store.render(rdef, obj))

    def _post_detail(self, rdef: ResourceDef, req: _Request, text: str) -> _Reply:
        return _Reply(501, HTML)

    def _put_detail(self, rdef: ResourceDef, req: _Request, text: str) -> _Reply:
        body = self._body(req)
        try:
            key = rdef.pk_from_text(text)
        except ValueError:
            key = None
        current = self.store.get(rdef.name, key) if key is not None else None
        if current is not None:
            obj = self.store.update(rdef, current, body, patch=False)
            if rdef.always_return_data:
                return self._ok(req, self.store.render(rdef, obj))
            return _Reply(204)
        if key is None and not (isinstance(body, dict) and body.get(rdef.pk) is not None):
            raise canned(500)
        obj = self.store.create(rdef, body, key)
        location = {"Location": obj["resource_uri"]}
        if rdef.always_return_data:
            return self._ok(req, self.store.render(rdef, obj), 201, location)
        return _Reply(201, HTML, b"", location)

    def _patch_detail(self, rdef: ResourceDef, req: _Request, text: str) -> _Reply:
        current = self.store.get(rdef.name, self._key(rdef, text))
        if current is None:
            return _Reply(404, HTML)
        body = self._body(req)
        obj = self.store.update(rdef, current, body, patch=True, bump=False)
        if rdef.always_return_data:
            return self._ok(req, self.store.render(rdef, obj), 202)
        return _Reply(202, HTML, b"")

    def _delete_detail(self, rdef: ResourceDef, req: _Request, text: str) -> _Reply:
        try:
            key = rdef.pk_from_text(text)
        except ValueError:
            return _Reply(404, HTML)
        if self.store.get(rdef.name, key) is None:
            return _Reply(404, HTML)
        self.store.delete(rdef, key)
        return _Reply(204)


def _action_route(rdef: ResourceDef, tail: str) -> tuple[str | None, str] | None:
    """(key text or None, action name) when `tail` names one of the resource's actions."""
    parts = tail[:-1].split("/")
    if len(parts) == 1 and rdef.actions.get(parts[0], {}).get("on") == "list":
        return None, parts[0]
    if (len(parts) == 2 and parts[1] in rdef.actions
            and rdef.actions[parts[1]].get("on", "detail") == "detail"):
        return parts[0], parts[1]
    return None


def _accept_parses(accept: str) -> bool:
    """Whether python-mimeparse can read an Accept header (Tastypie 400s otherwise)."""
    for media_range in accept.split(","):
        if not media_range.strip():
            continue
        full_type = media_range.split(";")[0].strip()
        if full_type == "*":
            continue
        if "/" not in full_type or len(full_type.split("/")) > 2:
            return False
    return True
