"""The one place that talks httpx: auth, timeouts, retries, redirects and error mapping.

Everything that decides something is a plain function over data (`build_request`,
`read_answer`, `error_for`, `retry_delay`), shared by `SyncSession` and `AsyncSession`,
which only differ in how they wait. Higher layers describe their work as *operations*:
generators that yield a `Call` (or a `Batch` of calls) and receive the `Answer`. `run` on a
session drives such a generator, so every operation is written once for both clients.
"""

from __future__ import annotations

import email.utils
import html
import json
import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpcore
import httpx

from .config import Settings, origin_of, same_origin
from .errors import (
    AmbiguousWriteError,
    APIError,
    BadRequest,
    Conflict,
    Forbidden,
    MailRouteError,
    MethodNotAllowed,
    NotFound,
    RateLimited,
    ResponseError,
    ServerError,
    TransportError,
    Unauthorized,
    UnreadableWriteAnswer,
)
from .jsondecode import decode

__all__ = [
    "Call", "Batch", "Parallel", "Answer", "Operation", "OriginError", "SyncSession",
    "AsyncSession",
    "build_request", "read_answer", "error_for", "retry_delay", "resolve", "redact_url",
]

log = logging.getLogger("mailroute_dyn")
T = TypeVar("T")
NO_BODY: Any = object()
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# statuses that say the request was not carried out (unlike 502/504, where a gateway lost
# the answer of a server that may have acted): any method may be tried again
REFUSED_UNDONE = frozenset({429, 503})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
USER_AGENT = "mailroute_dyn/0.1 (+httpx)"


class OriginError(ResponseError):
    """A URL on another host: the key is never sent there, so the request is not made."""


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP request as data. `url` may be absolute (same origin) or server-relative."""

    method: str
    url: str
    params: tuple[tuple[str, str], ...] = ()
    json: Any = NO_BODY
    idempotent: bool | None = None   # None: by method (PATCH counts only when the caller says)

    @property
    def retry_safe(self) -> bool:
        if self.idempotent is not None:
            return self.idempotent
        return self.method in IDEMPOTENT


@dataclass(frozen=True, slots=True)
class Batch:
    """Calls that may run concurrently; the operation receives a list of Answer or error."""

    calls: tuple[Call, ...]


@dataclass(frozen=True, slots=True)
class Parallel:
    """Whole operations that may run concurrently; the caller receives a list of their
    results, or of the `MailRouteError` each raised."""

    ops: tuple[Generator[Any, Any, Any], ...]


@dataclass(slots=True)
class Answer:
    """A response read into data: status, lower-cased headers, parsed body, final URL."""

    status: int
    headers: dict[str, str]
    body: Any            # parsed JSON, a str for non-JSON text, None when empty
    url: str
    method: str = "GET"
    attempts: int = 1
    elapsed: float = field(default=0.0, repr=False)


Operation = Generator["Call | Batch | Parallel", Any, T]


# ---------------------------------------------------------------- request building

def resolve(settings: Settings, url: str) -> str:
    """Absolute URL for `url` (relative to the base URL), refused when off-origin."""
    if url[:1] == "/" and url[1:2] != "/" and "#" not in url and "\\" not in url:
        path, mark, query = url.partition("?")     # the usual case: a server-relative path
        if not path.endswith("/"):
            path += "/"
        return f"{settings.base_url}{path}{mark}{query}"
    try:
        on_origin = same_origin(url, settings.origin)
        parts = urlsplit(urljoin(settings.base_url + "/", url))
    except ValueError as exc:           # e.g. a resource_uri "http://[::1" in an answer
        raise ResponseError(f"Not a usable URL: {str(url)[:80]!r} ({exc})") from None
    if not on_origin:
        raise OriginError(
            f"Refusing to send a request to {redact_url(url)}: it is not on "
            f"{settings.origin}, and the API key goes nowhere else."
        )
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def base_headers(settings: Settings) -> dict[str, str]:
    """Headers of every request. Credentials are not among them: the session's
    `httpx.Auth` adds them as httpx sends, so no request built here holds a secret."""
    return {"Accept": "application/json", "User-Agent": USER_AGENT}


def build_request(settings: Settings, call: Call,
                  headers: dict[str, str] | None = None) -> httpx.Request:
    """The httpx request for `call`, refused unless its URL is on our origin (the only
    place httpx will then add the credentials)."""
    url = resolve(settings, call.url)
    headers = dict(headers if headers is not None else base_headers(settings))
    content = None
    if call.json is not NO_BODY:
        headers["Content-Type"] = "application/json"
        content = json.dumps(call.json, separators=(",", ":")).encode()
    if call.params:
        base, _, own = url.partition("?")
        query = parse_qsl(own, keep_blank_values=True) + list(call.params) if own else list(
            call.params)
        url = f"{base}?{urlencode(query)}"
    try:
        return httpx.Request(call.method, url, headers=headers, content=content)
    except httpx.InvalidURL as exc:     # control characters, bad ports, ...
        raise ResponseError(f"Not a usable URL: {url[:80]!r} ({exc})") from None


_SECRET_PARAM = re.compile(r"(?i)((?:api_key|apikey|password|key)=)[^&#]*")


def redact_url(url: str) -> str:
    """The URL as it may be shown: no userinfo, no secret-looking query values."""
    parts = urlsplit(str(url))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = _SECRET_PARAM.sub(r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


# ---------------------------------------------------------------- response reading

def parse_body(content: bytes, content_type: str) -> Any:
    """JSON when it is JSON, the text otherwise, None when empty.

    Tastypie sends JSON without a charset; it is always UTF-8.
    """
    if not content or content.isspace():
        return None
    if "json" in content_type:              # (nesting deeper than the stack: RecursionError)
        return decode(content)              # bytes: UTF-8, as Tastypie always sends
    text = content.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            return decode(text)
        except ValueError:
            if "json" in content_type:
                raise
    return text


def read_answer(response: httpx.Response, content: bytes, method: str, *,
                write: bool = False) -> Answer:
    """An `Answer` from a response, raising `ResponseError` for unreadable success bodies.

    With `write` (a call that is not safe to repeat), an unreadable success is an
    `UnreadableWriteAnswer`: the server says it did the write, so it must not be repeated
    blindly, and `create(dedupe_on=...)` looks the object up instead.
    """
    headers = {k.lower(): v for k, v in response.headers.items()}
    url = str(response.request.url)
    status = response.status_code
    problem = ""
    try:
        body = parse_body(content, headers.get("content-type", ""))
    except (ValueError, RecursionError) as exc:
        body = content.decode("utf-8", errors="replace")
        deep = " (nested too deeply)" if isinstance(exc, RecursionError) else ""
        problem = (f"the body is not valid JSON{deep} ({len(content)} bytes, starting "
                   f"{content[:60]!r})")
    if (not problem and 200 <= status < 300 and method not in ("GET", "HEAD", "OPTIONS")
            and not _usable_location(headers.get("location"))):   # a write's new URI
        problem = f"its Location header is not a usable URL ({headers['location'][:80]!r})"
    if problem and status < 400:
        text = f"{method} {redact_url(url)} -> {status}: {problem}"
        if write and 200 <= status < 300:
            raise UnreadableWriteAnswer(
                f"{text}. The server says the write was carried out: do not repeat it; look "
                "the object up (create(dedupe_on=...) does).")
        raise ResponseError(text)
    return Answer(status, headers, body, url, method)


def _usable_location(location: str | None) -> bool:
    if location is None:
        return True
    try:
        parts = urlsplit(location)
        parts.port      # noqa: B018 - raises for a port out of range
    except ValueError:
        return False
    return not any(ord(c) < 32 or c == "\x7f" for c in location)


def _strip_html(text: str) -> str:
    title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
    if title:
        return html.unescape(title.group(1)).strip()
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text))).strip()


def error_message(body: Any) -> tuple[str, dict[str, dict[str, list[str]]]]:
    """The server's message and field errors, whatever shape its error body had."""
    if body is None:
        return "", {}
    if isinstance(body, str):
        text = _strip_html(body) if "<" in body and ">" in body else body.strip()
        return text[:500], {}
    if isinstance(body, dict):
        for key in ("error", "error_message"):
            if isinstance(body.get(key), str):
                return html.unescape(body[key])[:500], {}
        fields: dict[str, dict[str, list[str]]] = {}
        for resource, errs in body.items():
            if isinstance(errs, dict):
                fields[str(resource)] = {
                    str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
                    for k, v in errs.items()
                }
        if fields:
            parts = [f"{name}: {'; '.join(msgs)}" for errs in fields.values()
                     for name, msgs in errs.items()]
            return "; ".join(parts)[:500], fields
    return json.dumps(body)[:200], {}


def retry_after_seconds(headers: dict[str, str], now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_for(answer: Answer, *, ambiguous: bool = False) -> APIError:
    """The exception for an error answer, carrying the server's message and headers."""
    exc = _error_for(answer, ambiguous)
    exc.headers = dict(answer.headers)
    return exc


def _error_for(answer: Answer, ambiguous: bool) -> APIError:
    message, fields = error_message(answer.body)
    if ambiguous and answer.status in (502, 504):
        message = (message + " " if message else "") + (
            "The request may have been carried out: check before repeating it.")
    url = redact_url(answer.url)
    args = (answer.status, answer.method, url, answer.body, message)
    status = answer.status
    if status == 400:
        return BadRequest(*args, errors=fields)
    if status == 401:
        return Unauthorized(*args[:4], message or "the login or API key was refused")
    if status == 403:
        return Forbidden(*args)
    if status == 404:
        return NotFound(*args)
    if status == 405:
        allowed = [m for m in answer.headers.get("allow", "").split(",") if m.strip()]
        exc = _MethodNotAllowedAPIError(*args)
        exc.allowed = [m.strip().upper() for m in allowed]
        return exc
    if status == 409:
        return Conflict(*args)
    if status == 429:
        return RateLimited(*args, retry_after=retry_after_seconds(answer.headers))
    if status >= 500:
        return ServerError(*args)
    return APIError(*args)


class _MethodNotAllowedAPIError(APIError, MethodNotAllowed):
    """A server 405: both an APIError (status, body) and a MethodNotAllowed."""

    def __init__(self, *args: Any):
        APIError.__init__(self, *args)
        self.method = args[1]
        self.allowed: list[str] = []


# ---------------------------------------------------------------- retries

def retry_delay(call: Call, attempt: int, outcome: Answer | Exception, settings: Settings,
                elapsed: float, rng: random.Random = random._inst) -> float | None:  # type: ignore[attr-defined, unused-ignore]
    """Seconds to wait before another try, or None to stop.

    Idempotent calls retry on connection faults, timeouts, 429 and 502/503/504. Any call
    retries when the request surely never reached the server (connect errors) or when the
    server said 429 or 503 (it refused without acting). Retry-After is honoured; the whole
    sequence stays within `retry_budget` seconds.
    """
    if attempt >= settings.retries:
        return None
    if isinstance(outcome, Answer):
        if outcome.status not in RETRY_STATUSES:
            return None
        if not call.retry_safe and outcome.status not in REFUSED_UNDONE:
            return None
        advised = retry_after_seconds(outcome.headers)
    else:
        never_sent = isinstance(outcome, httpx.ConnectError | httpx.ConnectTimeout)
        if not (call.retry_safe or never_sent):
            return None
        if not isinstance(outcome, httpx.TransportError):
            return None
        advised = None
    base = settings.backoff * (2 ** attempt)
    delay = advised if advised is not None else base / 2 + rng.uniform(0, base / 2)
    if elapsed + delay > settings.retry_budget:
        return None
    return delay


def _transport_error(call: Call, exc: Exception, settings: Settings) -> TransportError:
    url = redact_url(urljoin(settings.base_url + "/", call.url))
    kind = type(exc).__name__
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    if not call.retry_safe and not never_sent:
        return AmbiguousWriteError(
            f"{call.method} {url} failed with {kind} after the request was sent: it may have "
            "been carried out. Look the object up before repeating it (create(dedupe_on=...))."
        )
    return TransportError(f"{call.method} {url} failed: {kind}: {exc}")


def _redirect_target(settings: Settings, call: Call, answer: Answer, hops: int) -> Call | None:
    if answer.status not in (301, 302, 303, 307, 308) or "location" not in answer.headers:
        return None
    if hops >= MAX_REDIRECTS:
        raise ResponseError(f"{call.method} {redact_url(answer.url)}: too many redirects")
    try:
        target = urljoin(answer.url, answer.headers["location"])
        target_origin = origin_of(target)
    except ValueError:                  # "http://[::1", a port past 65535, ...
        raise ResponseError(
            f"{call.method} {redact_url(answer.url)} redirected to an unusable URL "
            f"({answer.headers['location'][:80]!r}); not followed.") from None
    if target_origin != settings.origin:
        raise OriginError(
            f"{call.method} {redact_url(answer.url)} redirected to another host "
            f"({target_origin}); not followed."
        )
    method = "GET" if answer.status == 303 else call.method
    body = NO_BODY if method == "GET" else call.json
    return Call(method, target, (), body, call.idempotent)


def _may_have_acted(outcome: Answer | Exception) -> bool:
    """Whether a failed try may have been carried out before its answer was lost."""
    if isinstance(outcome, Answer):
        return outcome.status in (502, 504)
    return isinstance(outcome, httpx.TransportError) and not isinstance(
        outcome, httpx.ConnectError | httpx.ConnectTimeout)


def _settled(call: Call, outcome: Answer | Exception, acted: bool) -> Answer | Exception:
    """A DELETE retried after a try that may have done it finds nothing: that is success."""
    if (acted and call.method == "DELETE" and isinstance(outcome, Answer)
            and outcome.status == 404):
        return Answer(204, {}, None, outcome.url, call.method)
    return outcome


def _finish(call: Call, outcome: Answer | Exception, settings: Settings) -> Answer:
    if isinstance(outcome, Exception):
        if isinstance(outcome, MailRouteError):
            raise outcome
        raise _transport_error(call, outcome, settings) from None
    if outcome.status >= 400:
        raise error_for(outcome, ambiguous=not call.retry_safe)
    return outcome


class _Tries:
    """One call's way through redirects and retries, decided as data.

    `judge(outcome)` returns the final `Answer`, or the seconds to wait before sending
    `self.call` again (0 after a redirect), or raises the error that ends it.
    """

    def __init__(self, settings: Settings, call: Call):
        self.settings = settings
        self.call = call
        self.started = time.perf_counter()
        self.attempt = self.hops = 0
        self.acted = False      # a failed try may have been carried out already

    def judge(self, outcome: Answer | Exception) -> Answer | float:
        _log(self.call, outcome, self.started, self.attempt)
        if isinstance(outcome, Answer):
            target = _redirect_target(self.settings, self.call, outcome, self.hops)
            if target is not None:
                self.call, self.hops = target, self.hops + 1
                return 0.0
        if isinstance(outcome, MailRouteError):
            raise outcome
        outcome = _settled(self.call, outcome, self.acted)
        self.acted = self.acted or _may_have_acted(outcome)
        delay = retry_delay(self.call, self.attempt, outcome, self.settings,
                            time.perf_counter() - self.started)
        if delay is None:
            answer = _finish(self.call, outcome, self.settings)
            answer.attempts = self.attempt + 1
            return answer
        self.attempt += 1
        return delay


def _log(call: Call, outcome: Answer | Exception, started: float, attempt: int) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    result = outcome.status if isinstance(outcome, Answer) else type(outcome).__name__
    url = call.url        # with its query: the part that matters when a filter misbehaves
    if call.params:
        url += ("&" if "?" in url else "?") + urlencode(call.params)
    log.debug("%s %s -> %s (%.1f ms, try %d)", call.method, redact_url(url), result,
              (time.perf_counter() - started) * 1000, attempt + 1)


# ---------------------------------------------------------------- sessions

def _default_timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(settings.timeout)


def _trust_env(settings: Settings, transport: object) -> bool:
    """Whether httpx may take proxies (and CA settings) from the environment: only for an
    https origin. Through a proxy, https is tunnelled and stays encrypted; plain http would
    hand the proxy every request, credentials included, in clear text."""
    return transport is None and urlsplit(settings.base_url).scheme == "https"


class SyncSession:
    """Sends calls with a blocking `httpx.Client` and drives operations."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self._http = httpx.Client(transport=transport, timeout=_default_timeout(settings),
                                  follow_redirects=False, auth=settings.credentials,
                                  trust_env=_trust_env(settings, transport))
        if transport is None:
            _bound_sockets(self._http)
        self._pool: Any = None          # a ThreadPoolExecutor, made on first concurrent use
        self._headers = base_headers(settings)
        self._lock = threading.Lock()
        self.sleep = time.sleep

    def close(self) -> None:
        self._http.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def _once(self, call: Call) -> Answer | Exception:
        deadline = _deadline(self.settings)
        try:
            request = build_request(self.settings, call, self._headers)
            with _time_limit(deadline):
                response = self._http.send(request, stream=True)
                try:
                    _declared_size(response)
                    content = _read_limited(response.iter_bytes(), response, deadline)
                finally:
                    response.close()
            return read_answer(response, content, call.method, write=not call.retry_safe)
        except (httpx.TransportError, MailRouteError) as exc:
            return exc

    def send(self, call: Call) -> Answer:
        tries = _Tries(self.settings, call)
        while True:
            verdict = tries.judge(self._once(tries.call))
            if isinstance(verdict, Answer):
                return verdict
            if verdict:
                self.sleep(verdict)

    def _concurrently(self, work: Any, items: tuple[Any, ...]) -> list[Any]:
        def one(item: Any) -> Any:
            try:
                return work(item)
            except MailRouteError as exc:
                return exc
        if len(items) <= 1 or self.settings.concurrency <= 1 or _in_worker():
            return [one(i) for i in items]   # a worker waiting on its own pool would deadlock
        return list(self._workers().map(one, items))

    def _workers(self) -> Any:
        with self._lock:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor
                self._pool = ThreadPoolExecutor(self.settings.concurrency,
                                                thread_name_prefix="mailroute_dyn")
        return self._pool

    def stream(self, ops: Iterable[Operation[Any]], window: int) -> Iterator[Any]:
        """Run operations with up to `window` in flight and give their results in order,
        as soon as each next one is ready (a sliding window, not batches)."""
        if window <= 1 or _in_worker():
            for op in ops:
                yield self.run(op)
            return
        pool = self._workers()
        pending: deque[Any] = deque()
        try:
            for op in ops:
                pending.append(pool.submit(self.run, op))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()

    def _step(self, step: Call | Batch | Parallel) -> Any:
        if isinstance(step, Batch):
            return self._concurrently(self.send, step.calls)
        if isinstance(step, Parallel):
            return self._concurrently(self.run, step.ops)
        return self.send(step)

    def run(self, op: Operation[T]) -> T:
        """Drive an operation to its result, sending each call it yields."""
        try:
            step = next(op)
            while True:
                try:
                    reply: Any = self._step(step)
                except MailRouteError as exc:
                    step = op.throw(exc)
                else:
                    step = op.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


class AsyncSession:
    """Sends calls with an `httpx.AsyncClient` and drives the same operations."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._http = httpx.AsyncClient(transport=transport,
                                       timeout=_default_timeout(settings),
                                       follow_redirects=False, auth=settings.credentials,
                                       trust_env=_trust_env(settings, transport))
        self._headers = base_headers(settings)
        import asyncio  # only async clients need it: ~20 ms of start-up for the others
        self._asyncio = asyncio
        self.sleep = asyncio.sleep

    async def close(self) -> None:
        await self._http.aclose()

    async def _once(self, call: Call) -> Answer | Exception:
        deadline = _deadline(self.settings)
        try:
            request = build_request(self.settings, call, self._headers)
            async with self._asyncio.timeout(None if deadline is None else
                                             deadline - time.monotonic()):
                response = await self._http.send(request, stream=True)
                try:
                    _declared_size(response)
                    content = await _read_limited_async(response, deadline)
                finally:
                    await response.aclose()
            return read_answer(response, content, call.method, write=not call.retry_safe)
        except TimeoutError:
            return httpx.ReadTimeout(f"no complete answer within {self.settings.timeout} s")
        except (httpx.TransportError, MailRouteError) as exc:
            return exc

    async def send(self, call: Call) -> Answer:
        tries = _Tries(self.settings, call)
        while True:
            verdict = tries.judge(await self._once(tries.call))
            if isinstance(verdict, Answer):
                return verdict
            if verdict:
                await self.sleep(verdict)

    async def stream(self, ops: Iterable[Operation[Any]], window: int) -> AsyncIterator[Any]:
        """Run operations with up to `window` in flight and give their results in order."""
        pending: deque[Any] = deque()
        try:
            for op in ops:
                pending.append(self._asyncio.ensure_future(self.run(op)))
                if len(pending) >= window:
                    yield await pending.popleft()
            while pending:
                yield await pending.popleft()
        finally:
            for task in pending:
                task.cancel()

    async def _concurrently(self, work: Any, items: tuple[Any, ...]) -> list[Any]:
        asyncio = self._asyncio
        limit = asyncio.Semaphore(self.settings.concurrency)

        async def one(item: Any) -> Any:
            async with limit:
                try:
                    return await work(item)
                except MailRouteError as exc:
                    return exc
        return list(await asyncio.gather(*(one(i) for i in items)))

    async def _step(self, step: Call | Batch | Parallel) -> Any:
        if isinstance(step, Batch):
            return await self._concurrently(self.send, step.calls)
        if isinstance(step, Parallel):
            return await self._concurrently(self.run, step.ops)
        return await self.send(step)

    async def run(self, op: Operation[T]) -> T:
        """Drive an operation to its result, awaiting each call it yields."""
        try:
            step = next(op)
            while True:
                try:
                    reply: Any = await self._step(step)
                except MailRouteError as exc:
                    step = op.throw(exc)
                else:
                    step = op.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


def _in_worker() -> bool:
    return threading.current_thread().name.startswith("mailroute_dyn")


def _too_big(response: httpx.Response) -> ResponseError:
    return ResponseError(
        f"{response.request.method} {redact_url(str(response.request.url))}: the body is larger "
        f"than {_size(MAX_BODY_BYTES)} (decoded); refused."
    )


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def _declared_size(response: httpx.Response) -> int | None:
    """The Content-Length when the server sent one (refused at once when too big; a
    compressed body is still counted as it is decoded)."""
    length = response.headers.get("content-length", "")
    if not length.isdigit():
        return None
    if int(length) > MAX_BODY_BYTES:
        raise _too_big(response)
    return int(length)


def _read_limited(chunks: Iterable[bytes], response: httpx.Response,
                  deadline: float | None) -> bytes:
    """The decoded body, stopped at `MAX_BODY_BYTES` decoded bytes (a gzip bomb never
    inflates further than one chunk past the limit) and at the request's deadline."""
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        if len(buf) > MAX_BODY_BYTES:
            raise _too_big(response)
        if deadline is not None and time.monotonic() > deadline:
            raise _late()
    return bytes(buf)


async def _read_limited_async(response: httpx.Response, deadline: float | None) -> bytes:
    buf = bytearray()
    async for chunk in response.aiter_bytes():
        buf += chunk
        if len(buf) > MAX_BODY_BYTES:
            raise _too_big(response)
        if deadline is not None and time.monotonic() > deadline:
            raise _late()
    return bytes(buf)


# ---------------------------------------------------------------- the whole-request deadline

def _deadline(settings: Settings) -> float | None:
    """When the try starting now must be over (`timeout` bounds it from connect to last
    byte, not each read: a body dripping a byte a second must not outlive it)."""
    return time.monotonic() + settings.timeout if settings.timeout else None


def _late() -> httpx.ReadTimeout:
    return httpx.ReadTimeout("no complete answer within the timeout")


_limit = threading.local()


class _time_limit:  # noqa: N801 - used as a context manager
    """Makes `deadline` the limit of every socket wait of this thread's request (read by
    `_DeadlineBackend`), so even a status line dripping byte by byte ends on time."""

    def __init__(self, deadline: float | None):
        self.deadline = deadline

    def __enter__(self) -> None:
        self.saved = getattr(_limit, "deadline", None)
        _limit.deadline = self.deadline

    def __exit__(self, *exc: object) -> None:
        _limit.deadline = self.saved


def _clamped(timeout: float | None, error: type[Exception]) -> float | None:
    deadline: float | None = getattr(_limit, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("no complete answer within the timeout")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every wait ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(
            ssl_context, server_hostname, _clamped(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own backend, with `_DeadlineStream` sockets."""

    def __init__(self, inner: httpcore.NetworkBackend):
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(
            host, port, _clamped(timeout, httpcore.ConnectTimeout), local_address,
            socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(
            path, _clamped(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _bound_sockets(client: httpx.Client) -> None:
    """Give httpx's own transports (direct and proxy) the deadline-aware socket backend.
    A transport passed by the caller keeps its own; its body is still cut at the deadline."""
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(
                backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
