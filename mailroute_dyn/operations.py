"""Operations as data: what to send (`Call`, `Batch`, `Parallel`), what to run alone
(`Exclusive`) and what came back (`Answer`).

Everything that talks to the server is written once as an *operation*: a generator that
yields one of these steps and receives the answer. A session
(`transport.sessions.SyncSession` or `AsyncSession`; `Session` here is what the code above
sees of either) drives it; this module knows nothing of httpx, sockets or files, so the
logic of discovery, queries and writes can be read and tested without any of them.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Generator, Hashable, Iterable
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol, TypeVar

if TYPE_CHECKING:
    from .settings.config import Settings

__all__ = [
    "Call",
    "Batch",
    "Parallel",
    "Exclusive",
    "Answer",
    "Operation",
    "Session",
    "NO_BODY",
    "NOT_STARTED",
    "IDEMPOTENT",
    "error_message",
]

T = TypeVar("T")

#: Methods that may be repeated without changing the result (PATCH only when said so).
IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class _NoBody(enum.Enum):
    NO_BODY = "NO_BODY"

    def __repr__(self) -> str:
        return self.value


#: A call without a body (distinct from a JSON `null` body, which is `None`).
NO_BODY: Final = _NoBody.NO_BODY


class _NotStarted(enum.Enum):
    NOT_STARTED = "NOT_STARTED"

    def __repr__(self) -> str:
        return self.value


#: The outcome of an operation of a `Parallel` that an interruption kept from starting.
NOT_STARTED: Final = _NotStarted.NOT_STARTED


class Call(NamedTuple):
    """One HTTP request as data. `url` may be absolute (same origin) or server-relative."""

    method: str
    url: str
    params: tuple[tuple[str, str], ...] = ()
    json: Any = NO_BODY
    idempotent: bool | None = None  # None: by method (PATCH counts only when the caller says)

    @property
    def retry_safe(self) -> bool:
        """Whether sending it twice does no more than sending it once."""
        if self.idempotent is not None:
            return self.idempotent
        return self.method in IDEMPOTENT


class Batch(NamedTuple):
    """Calls that may run concurrently; the operation receives a list of Answer or error."""

    calls: tuple[Call, ...]


class Parallel(NamedTuple):
    """Whole operations that may run concurrently; the caller receives a list of their
    results, or of the `MailRouteError` each raised. `on_done(index, outcome)` is told
    of each as it finishes (so a caller can report rows as they come). The sync session
    stops starting new ones on Ctrl-C, awaits those in flight and throws `Interrupted`
    (whose `outcomes` mark the others `NOT_STARTED`) into the operation."""

    ops: tuple[Generator[Any, Any, Any], ...]
    on_done: Callable[[int, Any], None] | None = None


class Exclusive(NamedTuple):
    """A whole operation run while no other `Exclusive` with an equal `key` runs in the
    same session (threads of one `Client`, tasks of one `AsyncClient`); the caller
    receives its result. What a lookup-then-create needs: two of them for one object
    would both see nothing and both create it."""

    key: Hashable
    op: Generator[Any, Any, Any]


class Answer(NamedTuple):
    """A response read into data: status, lower-cased headers, parsed body, final URL."""

    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON, a str for non-JSON text, None when empty
    url: str
    method: str = "GET"


#: A generator that yields steps and returns its result: written once for both clients.
Operation = Generator["Call | Batch | Parallel | Exclusive", Any, T]


class Session(Protocol):
    """A client's `SyncSession` or `AsyncSession` as the code that shares one runs it
    (resource classes and QuerySets are given it when they are made): the same
    operations, whose results a sync session returns and an async one as awaitables."""

    settings: Settings
    is_async: bool
    journal: Any  # the client's open run journal, or None

    def run(self, op: Operation[Any]) -> Any: ...
    def stream(self, ops: Iterable[Operation[Any]], window: int) -> Any: ...
    def keep_exact_numbers(self) -> None: ...


# ---------------------------------------------------------------- error bodies


def _strip_html(text: str) -> str:
    import html  # error pages only

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
                import html

                return html.unescape(body[key])[:500], {}
        fields: dict[str, dict[str, list[str]]] = {}
        for resource, errs in body.items():
            if isinstance(errs, dict):
                fields[str(resource)] = {
                    str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
                    for k, v in errs.items()
                }
        if fields:
            parts = [
                f"{name}: {'; '.join(msgs)}"
                for errs in fields.values()
                for name, msgs in errs.items()
            ]
            return "; ".join(parts)[:500], fields
    return json.dumps(body)[:200], {}
