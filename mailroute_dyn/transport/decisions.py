"""Requests built and answers read as plain functions over data, shared by both sessions:
the URL and origin check, the httpx request, the parsed `Answer`, the error for an error
answer, and the decisions about redirects and retries (`Tries`). Nothing here waits,
sleeps or sends: the sessions in `sessions` do that.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from ..errors import (
    AmbiguousWriteError,
    APIError,
    BadRequest,
    Conflict,
    Forbidden,
    MailRouteError,
    NotFound,
    OriginError,
    RateLimited,
    ResponseError,
    ServerError,
    TransportError,
    Unauthorized,
    UnreadableWriteAnswer,
    _MethodNotAllowedAPIError,
)
from ..escaping import library_log
from ..jsondecode import decode, encode
from ..operations import NO_BODY, Answer, Call, error_message
from ..settings.config import Settings
from ..settings.urls import origin_of, same_origin, url_problem
from ..version import user_agent

__all__ = [
    "resolve",
    "base_headers",
    "build_request",
    "redact_url",
    "parse_body",
    "read_answer",
    "retry_after_seconds",
    "error_for",
    "retry_delay",
    "Tries",
]

log = library_log()
MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# statuses that say the request was not carried out (unlike 502/504, where a gateway lost
# the answer of a server that may have acted): any method may be tried again
REFUSED_UNDONE = frozenset({429, 503})
_JITTER = random.Random()  # the retry jitter's own generator, not `random`'s private one


# ---------------------------------------------------------------- request building


def resolve(settings: Settings, url: str) -> str:
    """Absolute URL for `url` (relative to the base URL), refused when off-origin."""
    if url[:1] == "/" and url[1:2] != "/" and "#" not in url and "\\" not in url:
        path, mark, query = url.partition("?")  # the usual case: a server-relative path
        if not path.endswith("/"):
            path += "/"
        return f"{settings.base_url}{path}{mark}{query}"
    problem = url_problem(url)
    if problem:  # e.g. a resource_uri "http://[::1" in an answer
        raise ResponseError(f"Not a usable URL: {str(url)[:80]!r} ({problem})")
    on_origin = same_origin(url, settings.origin)
    parts = urlsplit(urljoin(settings.base_url + "/", url))
    if not on_origin:
        raise OriginError(
            f"Refusing to send a request to {redact_url(url)}: it is not on "
            f"{settings.origin}, and the API key goes nowhere else."
        )
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def base_headers(settings: Settings) -> dict[str, str]:
    """Headers of every request. Credentials are not among them: the session's
    `httpx.Auth` adds them as httpx sends, so no request built here holds a secret.
    A server that compresses (Django's GZipMiddleware) may send a page gzipped, as to any
    HTTP client; the body limit counts the bytes it inflates to."""
    return {
        "Accept": "application/json",
        "Accept-Encoding": "gzip, deflate",
        "User-Agent": user_agent(),
    }


def build_request(
    settings: Settings,
    call: Call,
    headers: httpx.Headers | dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> httpx.Request:
    """The httpx request for `call`, refused unless its URL is on our origin (the only
    place httpx will then add the credentials)."""
    url = resolve(settings, call.url)
    content = None
    if call.json is not NO_BODY:
        content = encode(call.json)  # strict JSON: no NaN, exact RawNumbers
    try:
        if call.params:
            base, _, own = url.partition("?")
            query = parse_qsl(own, keep_blank_values=True) + list(call.params)
            url = f"{base}?{urlencode(query)}"
        request = httpx.Request(
            call.method,
            url,
            content=content,
            extensions=extensions,
            headers=headers if headers is not None else base_headers(settings),
        )
    except (httpx.InvalidURL, ValueError) as exc:  # control characters, lone surrogates
        raise ResponseError(f"Not a usable URL: {url[:80]!r} ({exc})") from None
    if content is not None:
        request.headers["Content-Type"] = "application/json"
    return request


_SECRET_PARAM = r"(?i)((?:api_key|apikey|password|key)=)[^&#]*"  # compiled on first use


def redact_url(url: str) -> str:
    """The URL as it may be shown: no userinfo, no secret-looking query values."""
    parts = urlsplit(str(url))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = re.sub(_SECRET_PARAM, r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


# ---------------------------------------------------------------- response reading


def parse_body(content: bytes, content_type: str, exact_numbers: bool = False) -> Any:
    """JSON when it is JSON, the text otherwise, None when empty (`exact_numbers`: see
    `jsondecode.decode`).

    Tastypie sends JSON without a charset; it is always UTF-8.
    """
    if not content or content.isspace():
        return None
    if "json" in content_type:  # (nesting deeper than the stack: RecursionError)
        return decode(content, exact_numbers)  # bytes: UTF-8, as Tastypie always sends
    text = content.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            return decode(text, exact_numbers)
        except ValueError:
            if "json" in content_type:
                raise
    return text


def _header_dict(headers: httpx.Headers) -> dict[str, str]:
    """Lower-cased names to values, a repeated header's values joined with ", ": what
    `httpx.Headers.items()` gives, decoded once for the whole set rather than per item
    (the answer of every request passes here)."""
    encoding = headers.encoding
    out: dict[str, str] = {}
    for raw_key, raw_value in headers.raw:
        key, value = raw_key.decode(encoding).lower(), raw_value.decode(encoding)
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def read_answer(
    response: httpx.Response,
    content: bytes,
    method: str,
    *,
    write: bool = False,
    exact_numbers: bool = False,
) -> Answer:
    """An `Answer` from a response, raising `ResponseError` for unreadable success bodies.

    With `write` (a call that is not safe to repeat), an unreadable success is an
    `UnreadableWriteAnswer`: the server says it did the write, so it must not be repeated
    blindly, and `create(dedupe_on=...)` looks the object up instead.
    """
    headers = _header_dict(response.headers)
    url = str(response.request.url)
    status = response.status_code
    problem = ""
    try:
        body = parse_body(content, headers.get("content-type", ""), exact_numbers)
    except (ValueError, RecursionError) as exc:
        body = content.decode("utf-8", errors="replace")
        deep = " (nested too deeply)" if isinstance(exc, RecursionError) else ""
        problem = (
            f"the body is not valid JSON{deep} ({len(content)} bytes, starting {content[:60]!r})"
        )
    if (
        not problem
        and 200 <= status < 300
        and method not in ("GET", "HEAD", "OPTIONS")
        and url_problem(headers.get("location", ""))
    ):  # a write's new URI
        problem = f"its Location header is not a usable URL ({headers['location'][:80]!r})"
    if problem and status < 400:
        text = f"{method} {redact_url(url)} -> {status}: {problem}"
        if write and 200 <= status < 300:
            raise UnreadableWriteAnswer(
                f"{text}. The server says the write was carried out: do not repeat it; look "
                "the object up (create(dedupe_on=...) does)."
            )
        raise ResponseError(text)
    return Answer(status, headers, body, url, method)


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
            "The request may have been carried out: check before repeating it."
        )
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


# ---------------------------------------------------------------- retries


def retry_delay(
    call: Call,
    attempt: int,
    outcome: Answer | Exception,
    settings: Settings,
    elapsed: float,
    rng: random.Random | None = None,
) -> float | None:
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
    base = settings.backoff * (2**attempt)
    if advised is not None:
        delay = advised
    else:
        delay = base / 2 + (rng or _JITTER).uniform(0, base / 2)
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


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
FOLLOWED_METHODS = frozenset({"GET", "HEAD"})  # a redirected write could land on a list


def _redirect_target(settings: Settings, call: Call, answer: Answer, hops: int) -> Call | None:
    """The call a redirect leads to, or None when `answer` is no redirect.

    Only reads are followed, and only on our origin with the query they had: a write
    answered with a redirect raises (its Location could name the list, and a list
    DELETE removes every row), and so does a redirect that would drop or change a
    list's filters (the read would widen to rows the caller never asked for)."""
    if answer.status not in REDIRECT_STATUSES:
        return None
    location = answer.headers.get("location")
    if call.method not in FOLLOWED_METHODS:
        raise _refused_write_redirect(call, answer, location)
    if location is None:
        raise ResponseError(
            f"{call.method} {redact_url(answer.url)} -> {answer.status} "
            "without a Location header: nowhere to go."
        )
    if hops >= MAX_REDIRECTS:
        raise ResponseError(f"{call.method} {redact_url(answer.url)}: too many redirects")
    target = _redirect_url(settings, call, answer, location)
    if _query_pairs(target) != _query_pairs(call_url(call)):
        raise ResponseError(
            f"{call.method} {redact_url(answer.url)} redirected to {redact_url(target)}, "
            "which does not carry the request's query unchanged; not followed (a list "
            "would lose its filters)."
        )
    method = "GET" if answer.status == 303 else call.method
    return Call(method, target, (), NO_BODY, call.idempotent)


def _redirect_url(settings: Settings, call: Call, answer: Answer, location: str) -> str:
    """The absolute URL `location` names, refused when unusable or on another host."""
    problem = url_problem(location)
    try:
        target = urljoin(answer.url, location)
        target_origin = origin_of(target)
    except ValueError as exc:  # "http://[::1", a port past 65535, ...
        problem = problem or str(exc)
    if problem:
        raise ResponseError(
            f"{call.method} {redact_url(answer.url)} redirected to an unusable URL "
            f"({location[:80]!r}: {problem}); not followed."
        ) from None
    if target_origin != settings.origin:
        raise OriginError(
            f"{call.method} {redact_url(answer.url)} redirected to another host "
            f"({target_origin}); not followed."
        )
    return target


def _refused_write_redirect(call: Call, answer: Answer, location: str | None) -> ResponseError:
    """The error for a write answered with a redirect, which is never followed."""
    where = "no Location"
    if location is not None:
        where = (
            f"Location {redact_url(location)[:120]!r}"
            if not url_problem(location)
            else f"Location {location[:80]!r}"
        )
    text = (
        f"{call.method} {redact_url(answer.url)} -> {answer.status} with {where}: a "
        "write is never redirected (the new URL could name the list, or another "
        "object); nothing more was sent."
    )
    if answer.status == 303 and not call.retry_safe:
        # "See Other" says the write was carried out: it must not be posted again
        return UnreadableWriteAnswer(
            f"{text} The server says it was carried out: do not repeat it; look the object up."
        )
    return ResponseError(f"{text} Use the URL the server's own URIs give.")


def call_url(call: Call) -> str:
    """The call's URL with its parameters in the query, as it is sent."""
    if not call.params:
        return call.url
    return call.url + ("&" if "?" in call.url else "?") + urlencode(call.params)


def _query_pairs(url: str) -> list[tuple[str, str]]:
    return sorted(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _may_have_acted(outcome: Answer | Exception) -> bool:
    """Whether a failed try may have been carried out before its answer was lost."""
    if isinstance(outcome, Answer):
        return outcome.status in (502, 504)
    return isinstance(outcome, httpx.TransportError) and not isinstance(
        outcome, httpx.ConnectError | httpx.ConnectTimeout
    )


def _settled(call: Call, outcome: Answer | Exception, acted: bool) -> Answer | Exception:
    """A DELETE retried after a try that may have done it finds nothing: that is success."""
    if acted and call.method == "DELETE" and isinstance(outcome, Answer) and outcome.status == 404:
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


class Tries:
    """One call's way through redirects and retries, decided as data.

    `judge(outcome)` returns the final `Answer`, or the seconds to wait before sending
    `self.call` again (0 after a redirect), or raises the error that ends it.
    """

    def __init__(self, settings: Settings, call: Call):
        self.settings = settings
        self.call = call
        self.started = time.perf_counter()
        self.attempt = self.hops = 0
        self.acted = False  # a failed try may have been carried out already

    def judge(self, outcome: Answer | Exception) -> Answer | float:
        """The final answer, or the seconds to wait before the next try (see the class)."""
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
        delay = retry_delay(
            self.call, self.attempt, outcome, self.settings, time.perf_counter() - self.started
        )
        if delay is None:
            return _finish(self.call, outcome, self.settings)
        self.attempt += 1
        return delay


def _log(call: Call, outcome: Answer | Exception, started: float, attempt: int) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    result = outcome.status if isinstance(outcome, Answer) else type(outcome).__name__
    url = call_url(call)  # with its query: the part that matters when a filter misbehaves
    log.debug(
        "%s %s -> %s (%.1f ms, try %d)",
        call.method,
        redact_url(url),
        result,
        (time.perf_counter() - started) * 1000,
        attempt + 1,
    )
