"""Limits on one request: the size of its body and the deadline of the whole exchange,
down to each socket wait of httpx's own transports. Used by the sessions in `sessions`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

import httpx

from ..errors import ResponseError
from ..settings.config import Settings
from .decisions import redact_url

__all__ = [
    "MAX_BODY_BYTES",
    "check_declared_size",
    "read_limited",
    "read_limited_async",
    "deadline_for",
    "time_limit",
    "clamped",
    "WritePacer",
]

#: The largest body read (decoded): a bigger answer is refused, not buffered.
MAX_BODY_BYTES = 64 * 1024 * 1024


def _too_big(response: httpx.Response) -> ResponseError:
    return ResponseError(
        f"{response.request.method} {redact_url(str(response.request.url))}: the body is larger "
        f"than {_size(MAX_BODY_BYTES)} (decoded); refused."
    )


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def check_declared_size(response: httpx.Response) -> int | None:
    """The Content-Length when the server sent one (refused at once when too big; a
    compressed body is still counted as it is decoded)."""
    length = response.headers.get("content-length", "")
    if not length.isdigit():
        return None
    if int(length) > MAX_BODY_BYTES:
        raise _too_big(response)
    return int(length)


class _Body:
    """A body as it streams in, refused past `MAX_BODY_BYTES` decoded bytes (a gzip bomb
    never inflates further than one chunk past the limit) or past the deadline."""

    def __init__(self, response: httpx.Response, deadline: float | None):
        self.response, self.deadline = response, deadline
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.size += len(chunk)
        if self.size > MAX_BODY_BYTES:
            raise _too_big(self.response)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise _late()

    def content(self) -> bytes:
        """The body, copied once (not at all when it came in one chunk)."""
        chunks = self.chunks
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_limited(
    chunks: Iterable[bytes], response: httpx.Response, deadline: float | None
) -> bytes:
    """The decoded body of a blocking response, within the size limit and the deadline."""
    body = _Body(response, deadline)
    for chunk in chunks:
        body.add(chunk)
    return body.content()


async def read_limited_async(response: httpx.Response, deadline: float | None) -> bytes:
    """`read_limited` for an async response."""
    body = _Body(response, deadline)
    async for chunk in response.aiter_bytes():
        body.add(chunk)
    return body.content()


# ---------------------------------------------------------------- the whole-request deadline


def deadline_for(settings: Settings) -> float | None:
    """When the try starting now must be over (`timeout` bounds it from connect to last
    byte, not each read: a body dripping a byte a second must not outlive it)."""
    return time.monotonic() + settings.timeout if settings.timeout else None


def _late() -> httpx.ReadTimeout:
    return httpx.ReadTimeout("no complete answer within the timeout")


_limit = threading.local()


class time_limit:  # noqa: N801 - used as a context manager
    """Makes `deadline` the limit of every socket wait of this thread's request (read by
    `_DeadlineBackend`), so even a status line dripping byte by byte ends on time."""

    def __init__(self, deadline: float | None):
        self.deadline = deadline

    def __enter__(self) -> None:
        self.saved = getattr(_limit, "deadline", None)
        _limit.deadline = self.deadline

    def __exit__(self, *exc: object) -> None:
        _limit.deadline = self.saved


def clamped(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` shortened to what is left of the request's deadline (`error` when none
    is left); `timeout` itself outside a `time_limit`."""
    deadline: float | None = getattr(_limit, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("no complete answer within the timeout")
    return left if timeout is None else min(timeout, left)


class WritePacer:
    """`max_rate`: writes spaced at least 1/max_rate seconds apart, across all threads
    and tasks of one client (each try of a write counts). `delay()` books the next slot
    and says how long to wait for it."""

    def __init__(self, max_rate: float | None):
        self._interval = 0.0 if max_rate is None else 1.0 / max_rate
        self._next = 0.0
        self._lock = threading.Lock()

    def delay(self, method: str) -> float:
        """Seconds to wait before sending a `method` request (0 for reads)."""
        if not self._interval or method in ("GET", "HEAD", "OPTIONS"):
            return 0.0
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        return slot - now
