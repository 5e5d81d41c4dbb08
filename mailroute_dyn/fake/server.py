"""`FakeMailRoute`: an in-memory Tastypie 0.15.1 server behind an httpx transport.

It answers like the real server (TASTYPIE.md): the same routes, status codes, headers and
bodies, from fixture schemas and objects, so a client can be tested without a network.
Use it as `Client(transport=fake)`, `AsyncClient(transport=fake)` or as a respx side
effect (`respx.route(...).mock(side_effect=fake)`).

The transport and the request log live here; routing and authentication in `routes`,
HTTP details in `exchange`, the endpoints in `views`, the tables in `tables` and the
write cycle in `store` (with `hydrate`, `forms`, `saving`, `relations`), lists in
`query` and `ordering`, failures in `faults`.

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
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from .exchange import Reply, Request
from .faults import Fault, FaultControls, FaultPlan, fault_answer
from .fixtures import load_fixture
from .query import QueryDict
from .routes import Routes
from .store import Store
from .values import Clock
from .views import Views

__all__ = ["FakeMailRoute", "SeenRequest", "DEMO_DATA"]

DEMO_DATA = Path(__file__).parent / "demo_data"


@dataclass(frozen=True)
class SeenRequest:
    """One request the fake received: what tests count and inspect."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: bytes
    fault: str | None = None
    status: int | None = None  # None when the transport raised instead of answering

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

    def __init__(
        self,
        fixtures_dir: str | Path | None = None,
        *,
        login: str = "demo",
        api_key: str = "demo-key",
        api_path: str = "/api/v1/",
        fullschema: bool = True,
        datetime_format: str = "rfc-2822",
        max_limit: int = 1000,
        seed: int = 0,
        always_return_data: Iterable[str] | bool | None = None,
        form_validation: Iterable[str] | bool | None = None,
        time_zone: str = "America/Los_Angeles",
        database: str = "postgresql",
    ):
        if not api_path.startswith("/") or not api_path.endswith("/"):
            raise ValueError("api_path must start and end with '/'")
        self.fixtures_dir = Path(fixtures_dir) if fixtures_dir is not None else DEMO_DATA
        self.login = login
        self.api_key = api_key
        self.api_path = api_path
        self.fullschema = fullschema
        self.max_limit = max_limit
        self.clock = Clock(time_zone, datetime_format)
        self.store = Store(
            load_fixture(self.fixtures_dir),
            self.clock,
            api_path,
            always_return_data,
            form_validation,
            database,
        )
        self.views = Views(self.store, api_path, max_limit, seed)
        self.routes = Routes(self.store, self.views, api_path, login, api_key, fullschema)
        self.requests: list[SeenRequest] = []
        self._seed = seed
        self._plan = FaultPlan(seed)
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return (
            f"<FakeMailRoute {self.fixtures_dir} {len(self.store.defs)} resources, "
            f"{len(self.requests)} requests seen>"
        )

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
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path is None or r.path.startswith(path))
        )

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
        pairs = tuple(
            parse_qsl(raw_query, keep_blank_values=True, encoding="utf-8", errors="replace")
        )
        parsed = Request(
            request.method.upper(),
            request.url.path,
            raw_path,
            raw_query,
            QueryDict(pairs),
            pairs,
            request.headers,
            request.content,
        )
        with self._lock:
            fault = self._plan.pick(parsed.method, parsed.path)
        return fault, parsed

    def _finish(self, request: httpx.Request, req: Request, fault: Fault | None) -> httpx.Response:
        kind = fault.kind if fault is not None else None
        with self._lock:
            try:
                reply = self.routes.answer(req) if fault is None or fault.applies_request else None
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
                "[fake] server disconnected without sending a response", request=request
            )
        assert reply is not None
        return self._response(request, req, reply)

    def _record(self, req: Request, fault: str | None, status: int | None) -> None:
        self.requests.append(SeenRequest(req.method, req.path, req.pairs, req.body, fault, status))

    def _faulty(self, fault: Fault, reply: Reply | None) -> Reply:
        if fault.kind == "latency":
            assert reply is not None
            return reply
        status, content_type, body, headers = fault_answer(
            fault, reply.body if reply is not None else None
        )
        return Reply(status, content_type, body, headers, returned=False)

    def _response(self, request: httpx.Request, req: Request, reply: Reply) -> httpx.Response:
        headers: list[tuple[str, str]] = []
        if reply.content_type is not None:
            headers.append(("Content-Type", reply.content_type))
        headers += list((reply.headers or {}).items())
        if reply.returned:
            headers.append(("Vary", "Accept"))
            if req.method == "GET" and reply.status == 200:
                headers.append(("Cache-Control", "no-cache"))
        if req.headers.get("x-requested-with") == "XMLHttpRequest" and not any(
            k == "Cache-Control" for k, _ in headers
        ):
            headers.append(("Cache-Control", "no-cache"))
        headers.append(("Content-Length", str(len(reply.body))))
        body = b"" if req.method == "HEAD" else reply.body
        return httpx.Response(reply.status, headers=headers, content=body, request=request)
