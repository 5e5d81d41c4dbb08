"""Failures the fake server can inject: reproducible random ones and one-shot queued ones.

A fault decides what the client sees for one request: an error status (the request was not
carried out unless `apply=True`), a network error raised by the transport, a cut body, or a
delay. `reset` is the interesting one for writes: the request is carried out, then the answer
is lost, which is how a retry makes a duplicate.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .answers import CANNED

__all__ = ["FAULT_KINDS", "Fault", "FaultPlan", "FaultyTransport", "fault_answer"]

FAULT_KINDS = (
    "500",
    "502",
    "503",
    "504",
    "429",
    "timeout",
    "connect",
    "reset",
    "truncated",
    "html",
    "latency",
)
_OPTIONS = frozenset({"retry_after", "ms", "apply"})


@dataclass(frozen=True)
class Fault:
    """One fault to inject. Options: `retry_after` (429, 503: the Retry-After header),
    `ms` (latency: the delay, default 100), `apply` (status kinds and timeout: carry the
    request out before failing)."""

    kind: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def applies_request(self) -> bool:
        """Whether the request changes the server's state before the fault shows."""
        if self.kind in ("reset", "truncated", "latency"):
            return True
        if self.kind == "connect":
            return False
        return bool(self.options.get("apply", False))


def _check(kind: str, options: dict[str, Any]) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"Unknown fault kind {kind!r}; kinds: {', '.join(FAULT_KINDS)}")
    unknown = set(options) - _OPTIONS
    if unknown:
        raise TypeError(f"Unknown fault options {sorted(unknown)}; options: {sorted(_OPTIONS)}")


class _Scope:
    """Which requests a fault setting applies to: methods and path prefixes or regexes."""

    def __init__(
        self, methods: Iterable[str] | None, paths: Iterable[str | re.Pattern[str]] | None
    ):
        self.methods = None if methods is None else {m.upper() for m in methods}
        self.paths = None if paths is None else list(paths)

    def covers(self, method: str, path: str) -> bool:
        if self.methods is not None and method.upper() not in self.methods:
            return False
        if self.paths is None:
            return True
        for pattern in self.paths:
            if isinstance(pattern, re.Pattern):
                if pattern.search(path):
                    return True
            elif path.startswith(pattern):
                return True
        return False


class FaultPlan:
    """Random faults at a rate (seeded, so a run repeats) plus queued one-shot faults."""

    def __init__(self, seed: int = 0):
        self._seed = seed
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ()
        self._options: dict[str, Any] = {}
        self._scope = _Scope(None, None)
        self._rng = random.Random(seed)
        self._queue: list[tuple[Fault, _Scope]] = []

    def configure(
        self,
        rate: float,
        kinds: Iterable[str],
        *,
        seed: int | None = None,
        methods: Iterable[str] | None = None,
        paths: Iterable[str | re.Pattern[str]] | None = None,
        **options: Any,
    ) -> None:
        kinds = tuple(kinds)
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        if rate and not kinds:
            raise ValueError("kinds must name at least one fault kind")
        for kind in kinds:
            _check(kind, options)
        self._rate, self._kinds, self._options = rate, kinds, options
        self._scope = _Scope(methods, paths)
        self._rng = random.Random(self._seed if seed is None else seed)

    def queue(
        self,
        kind: str,
        count: int,
        methods: Iterable[str] | None,
        paths: Iterable[str | re.Pattern[str]] | None,
        options: dict[str, Any],
    ) -> None:
        _check(kind, options)
        if count < 1:
            raise ValueError("count must be at least 1")
        scope = _Scope(methods, paths)
        self._queue.extend((Fault(kind, dict(options)), scope) for _ in range(count))

    def clear(self) -> None:
        self._rate, self._kinds, self._options = 0.0, (), {}
        self._queue.clear()

    @property
    def pending(self) -> int:
        """Queued one-shot faults not used yet."""
        return len(self._queue)

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any: the first queued one that covers it, else
        a random draw (one draw per covered request, so runs are reproducible)."""
        for i, (fault, scope) in enumerate(self._queue):
            if scope.covers(method, path):
                del self._queue[i]
                return fault
        if self._rate and self._scope.covers(method, path):
            if self._rng.random() < self._rate:
                return Fault(self._rng.choice(self._kinds), dict(self._options))
        return None


# ---------------------------------------------------------------- what a fault answers

_CANNED = json.dumps({"error_message": CANNED}).encode()
_SERVER_ERROR_PAGE = (
    '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)'
    "</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n"
    "</html>\n"
)
_GATEWAY_PAGE = (
    "<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {text}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_GATEWAY_TEXT = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}
_HTML = "text/html; charset=utf-8"
_JSON = "application/json"


def fault_answer(fault: Fault, body: bytes | None = None) -> tuple[int, str, bytes, dict[str, str]]:
    """(status, content type, body, headers) of an answering fault (status kinds,
    `truncated`, `html`); `body` is the real answer a `truncated` fault cuts in half."""
    kind, options = fault.kind, fault.options
    if kind == "truncated":
        whole = (
            body
            or json.dumps({"meta": {"limit": 20, "offset": 0}, "objects": [{"id": 1}]}).encode()
        )
        return 200, _JSON, whole[: max(1, len(whole) // 2)], {}
    if kind == "html":
        return 500, _HTML, _SERVER_ERROR_PAGE.encode(), {}
    if kind == "500":
        return 500, _JSON, _CANNED, {}
    if kind == "429":
        return 429, _HTML, b"", {"Retry-After": str(options.get("retry_after") or 0)}
    if kind not in ("502", "503", "504"):
        raise ValueError(f"fault {kind!r} does not answer")
    code = int(kind)
    headers = {}
    if code == 503 and options.get("retry_after") is not None:
        headers["Retry-After"] = str(options["retry_after"])
    page = _GATEWAY_PAGE.format(code=code, text=_GATEWAY_TEXT[code])
    return code, "text/html", page.encode(), headers


@dataclass(frozen=True)
class SentRequest:
    """One request that went through a `FaultyTransport`, and the fault it met."""

    method: str
    path: str
    fault: str | None
    status: int | None  # None when the transport raised instead of answering


class FaultControls:
    """The fault controls `FakeMailRoute` and `FaultyTransport` share, so a test that
    rehearses failures runs unchanged against either. Needs `_plan`, `_lock`, `_seed`."""

    _plan: FaultPlan
    _lock: Any
    _seed: int

    def faults(
        self,
        rate: float | None = 0.3,
        kinds: Iterable[str] = ("503", "429", "reset", "timeout"),
        *,
        retry_after: float | str | None = 0,
        seed: int | None = None,
        methods: Iterable[str] | None = None,
        paths: Iterable[str | re.Pattern[str]] | None = None,
        **options: Any,
    ) -> None:
        """Inject random faults in `rate` of the requests (reproducibly, from `seed`).

        `methods` and `paths` (prefixes or compiled regexes) narrow which requests may
        fail; `retry_after` is the Retry-After of 429 (and 503) answers; other options are
        those of `Fault`. `faults(None)` turns random faults off.
        """
        with self._lock:
            if rate is None or rate == 0:
                self._plan.configure(0.0, ())
                return
            self._plan.configure(
                rate,
                kinds,
                seed=self._seed if seed is None else seed,
                methods=methods,
                paths=paths,
                retry_after=retry_after,
                **options,
            )

    def fail_next(
        self,
        kind: str,
        count: int = 1,
        *,
        methods: Iterable[str] | None = None,
        paths: Iterable[str | re.Pattern[str]] | None = None,
        **options: Any,
    ) -> None:
        """Queue `count` faults of `kind` for the next requests that `methods`/`paths` cover."""
        with self._lock:
            self._plan.queue(kind, count, methods, paths, options)

    def clear_faults(self) -> None:
        """No more injected faults, random or queued."""
        with self._lock:
            self._plan.clear()

    @property
    def pending_faults(self) -> int:
        """Queued faults no request has met yet."""
        return self._plan.pending


class FaultyTransport(FaultControls, httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Fault injection around any transport: a real server's too.

    The same controls as `FakeMailRoute` (`faults`, `fail_next`, `clear_faults`,
    `pending_faults`, `count`), so a test that rehearses failures runs unchanged against
    the fake or, through this wrapper, against a staging server. A fault that does not
    apply the request never reaches the inner transport; one that does (`reset`,
    `truncated`, `latency`, `apply=True`) sends it and then spoils the answer.
    `inner=None` wraps httpx's own network transports (sync and async).
    """

    def __init__(
        self, inner: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None, *, seed: int = 0
    ):
        self._inner = inner
        self._own_sync: httpx.BaseTransport | None = None
        self._own_async: httpx.AsyncBaseTransport | None = None
        self._seed = seed
        self._plan = FaultPlan(seed)
        self._lock = threading.Lock()
        self.requests: list[SentRequest] = []

    def __repr__(self) -> str:
        return f"<FaultyTransport around {self._inner!r}, {len(self.requests)} requests seen>"

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests went through, optionally of one method and under a path."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path is None or r.path.startswith(path))
        )

    # -- transport

    def _sync_inner(self) -> httpx.BaseTransport:
        if isinstance(self._inner, httpx.BaseTransport):
            return self._inner
        if self._inner is not None:
            raise TypeError(f"{self._inner!r} is not a sync transport")
        if self._own_sync is None:
            self._own_sync = httpx.HTTPTransport()
        return self._own_sync

    def _async_inner(self) -> httpx.AsyncBaseTransport:
        if isinstance(self._inner, httpx.AsyncBaseTransport):
            return self._inner
        if self._inner is not None:
            raise TypeError(f"{self._inner!r} is not an async transport")
        if self._own_async is None:
            self._own_async = httpx.AsyncHTTPTransport()
        return self._own_async

    def _pick(self, request: httpx.Request) -> Fault | None:
        with self._lock:
            return self._plan.pick(request.method, request.url.path)

    def _record(self, request: httpx.Request, fault: Fault | None, status: int | None) -> None:
        with self._lock:
            self.requests.append(
                SentRequest(request.method, request.url.path, fault.kind if fault else None, status)
            )

    def _spoil(
        self, request: httpx.Request, fault: Fault | None, answer: httpx.Response | None
    ) -> httpx.Response:
        """What the client gets: the real answer, or the fault's instead of it."""
        if fault is None or fault.kind == "latency":
            assert answer is not None
            self._record(request, fault, answer.status_code)
            return answer
        if fault.kind in ("timeout", "connect", "reset"):
            self._record(request, fault, None)
            if fault.kind == "connect":
                raise httpx.ConnectError("[fault] connection refused", request=request)
            if fault.kind == "timeout":
                raise httpx.ReadTimeout("[fault] timed out waiting for the answer", request=request)
            raise httpx.RemoteProtocolError(
                "[fault] server disconnected without sending a response", request=request
            )
        status, content_type, body, headers = fault_answer(
            fault, answer.content if answer is not None else None
        )
        self._record(request, fault, status)
        return httpx.Response(
            status, headers={"Content-Type": content_type, **headers}, content=body, request=request
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._pick(request)
        answer = None
        if fault is not None and fault.kind == "latency":
            time.sleep(fault.options.get("ms", 100) / 1000)
        if fault is None or fault.applies_request:
            answer = self._sync_inner().handle_request(request)
            answer.read()
            answer.close()
        return self._spoil(request, fault, answer)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._pick(request)
        answer = None
        if fault is not None and fault.kind == "latency":
            await asyncio.sleep(fault.options.get("ms", 100) / 1000)
        if fault is None or fault.applies_request:
            answer = await self._async_inner().handle_async_request(request)
            await answer.aread()
            await answer.aclose()
        return self._spoil(request, fault, answer)

    def close(self) -> None:
        for transport in (self._inner, self._own_sync):
            if isinstance(transport, httpx.BaseTransport):
                transport.close()

    async def aclose(self) -> None:
        for transport in (self._inner, self._own_async):
            if isinstance(transport, httpx.AsyncBaseTransport):
                await transport.aclose()
