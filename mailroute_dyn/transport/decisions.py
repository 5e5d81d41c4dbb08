"""Requests built and answers read as plain functions over data, shared by both sessions:
the URL and origin check, the httpx request, the parsed `Answer` and the error for an
error answer. Nothing here waits, sleeps or sends: the sessions in `sessions` do that,
and `tries` decides what follows an answer (a redirect, another try, the end).
"""

from __future__ import annotations

import email.utils
import re
import time
from itertools import chain
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from ..errors import (
    APIError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    OriginError,
    RateLimited,
    ResponseError,
    ServerError,
    Unauthorized,
    UnreadableWriteAnswer,
    _MethodNotAllowedAPIError,
)
from ..jsondecode import decode, encode
from ..operations import NO_BODY, Answer, Call, error_message
from ..settings.config import Settings
from ..settings.urls import same_origin, url_problem
from ..version import user_agent

__all__ = [
    "resolve",
    "base_headers",
    "build_request",
    "query_string",
    "redact_url",
    "parse_body",
    "read_answer",
    "retry_after_seconds",
    "error_for",
]


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
            url = f"{base}?{query_string(query)}"
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


#: What `urlencode` leaves as it is: a query of such keys and values needs no quoting.
_UNQUOTED: Final = re.compile(r"[A-Za-z0-9_.~-]*")


def query_string(pairs: list[tuple[Any, Any]]) -> str:
    """`urlencode(pairs)`; the usual query of a page (`limit=100`, `id__gt=1234`: nothing to
    quote) joined directly, since it is built once per page."""
    try:
        plain = _UNQUOTED.fullmatch("".join(chain.from_iterable(pairs))) is not None
    except TypeError:  # a value that is not a string: urlencode turns it into one
        plain = False
    return "&".join(map("=".join, pairs)) if plain else urlencode(pairs)


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
