"""One call's way through redirects and retries, decided as data (`Tries`): which
redirect is followed and where to, how long to wait before another try and when to stop,
and the error that ends a call. Both sessions send the same call the same way only if
these rules live once, apart from the sessions' waiting and sending; they are a concept
of their own, distinct from building a request and reading one answer (`decisions`).
"""

from __future__ import annotations

import logging
import random
import time
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx

from ..errors import (
    AmbiguousWriteError,
    MailRouteError,
    OriginError,
    ResponseError,
    TransportError,
    UnreadableWriteAnswer,
)
from ..escaping import library_log
from ..operations import NO_BODY, Answer, Call
from ..settings.config import Settings
from ..settings.urls import origin_of, url_problem
from .decisions import error_for, redact_url, retry_after_seconds

__all__ = ["retry_delay", "call_url", "Tries"]

log = library_log()
MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# statuses that say the request was not carried out (unlike 502/504, where a gateway lost
# the answer of a server that may have acted): any method may be tried again
REFUSED_UNDONE = frozenset({429, 503})
_JITTER = random.Random()  # the retry jitter's own generator, not `random`'s private one

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
