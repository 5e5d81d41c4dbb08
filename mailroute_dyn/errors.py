"""One exception hierarchy for everything the client refuses or the server answers badly.

Client-side errors are raised before any request is sent; server-side errors carry the
status, method, URL and body of the answer. No message ever contains a credential: URLs
in messages are stripped of their query string's `api_key` and of any userinfo. A refusal
the client makes without a server answer keeps its class (`DoesNotExist` is a `NotFound`,
an `if_unchanged` conflict a `Conflict`) and carries `status_code=None`.

Every exception class of the package lives here (warnings aside), the command line's and
the fake server's included. The tree (`+` names a further base; tests/test_errors.py
checks this drawing against the classes):

    MailRouteError
        ConfigurationError
        UnknownResource + AttributeError, KeyError
        FilterError + ValueError
        OrderingError + ValueError
        MethodNotAllowed
        ValidationError + ValueError
        SchemaError
        GuardError
            _UnusableKey + ValueError
        ResponseError
            ListingChanged
            OriginError
        APIError
            BadRequest
            Unauthorized
            Forbidden
            NotFound
                DoesNotExist
            Conflict
            RateLimited
            ServerError
            _MethodNotAllowedAPIError + MethodNotAllowed
        TransportError
            AmbiguousWriteError
                UnreadableWriteAnswer + ResponseError
        MultipleObjectsReturned
        CassetteError
        JournalError
        CommandLineError
            CommandUsageError
                NoMatchingObject
            CommandFailed
    FakeServerException
        FakeHttpError
        FakeLookupValueError
        FakeFieldValueError
        _FakeFormFieldError
    Interrupted (a KeyboardInterrupt)

`FakeServerException` is no `MailRouteError`: its classes are raised and caught inside
the fake server, each ending a request with an answer whose text goes into the body as
written; a caller of the package never sees one. `Interrupted` is the user's Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Self

__all__ = [
    "MailRouteError",
    "ConfigurationError",
    "UnknownResource",
    "FilterError",
    "OrderingError",
    "MethodNotAllowed",
    "ValidationError",
    "SchemaError",
    "GuardError",
    "ListingChanged",
    "ResponseError",
    "APIError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "DoesNotExist",
    "Conflict",
    "RateLimited",
    "ServerError",
    "TransportError",
    "AmbiguousWriteError",
    "UnreadableWriteAnswer",
    "MultipleObjectsReturned",
    "CassetteError",
    "Interrupted",
    "JournalError",
    "OriginError",
    "CommandLineError",
    "CommandUsageError",
    "NoMatchingObject",
    "CommandFailed",
    "FakeServerException",
    "FakeHttpError",
    "FakeLookupValueError",
    "FakeFieldValueError",
    "suggest",
    "visible",
]


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(char: str) -> str:
    """One non-printable character as the escape Python's `repr` would show."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """`text` with every non-printable character (`str.isprintable()`: C0 and C1
    controls, line separators, bidi and other format characters) as its visible escape
    (`\\x1b`, `\\n`, `\\u202e`), so it can neither move the cursor, retitle the
    window nor start a new line. It lives here because every error message quoting a
    server goes through it; `escaping.terminal_text` is the same rule."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _visible(c) for c in text)


def suggest(name: str, choices: Iterable[str]) -> str:
    """A ' Did you mean …?' tail naming the closest choice, or '' when nothing is close."""
    import difflib  # only when a name is wrong: not on every import

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def _listing(choices: Iterable[str]) -> str:
    names = sorted(choices)
    return ", ".join(names) if names else "(none)"


class MailRouteError(Exception):
    """Base of every error this package raises. Its text is printable (`visible`): a
    message quoting a server's page, names or values cannot drive a terminal that shows
    the traceback; `args` keep the text as it was."""

    def __str__(self) -> str:
        return visible(super().__str__())


class ConfigurationError(MailRouteError):
    """Settings that cannot work: a missing URL, plain http to a remote host, a bad profile."""


class UnknownResource(MailRouteError, AttributeError, KeyError):
    """A resource name the server does not list (also an AttributeError for `client.nosuch`)."""

    def __init__(self, name: str, known: Iterable[str]):
        known = list(known)
        self.name = name
        self.known = known
        super().__init__(
            f"Unknown resource {name!r}.{suggest(name, known)} Known: {_listing(known)}"
        )

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return visible(str(self.args[0]))


class FilterError(MailRouteError, ValueError):
    """A filter the schema does not allow; the server would ignore or refuse it."""


class OrderingError(MailRouteError, ValueError):
    """An ordering on a field the schema does not list as orderable."""


class MethodNotAllowed(MailRouteError):
    """The schema (or the server's 405) says this HTTP method is not allowed here."""

    def __init__(self, message: str, *, method: str = "", allowed: Iterable[str] = ()):
        self.method = method.upper()
        self.allowed = [m.upper() for m in allowed]
        super().__init__(message)


class ValidationError(MailRouteError, ValueError):
    """A write body that fails the resource's JSON Schema; nothing was sent.

    `errors` has the server's 400 shape: `{resource_name: {field: [messages]}}`.
    """

    def __init__(self, message: str, errors: dict[str, dict[str, list[str]]]):
        self.errors = errors
        super().__init__(message)


class SchemaError(MailRouteError):
    """A schema or listing the client cannot make sense of."""


class GuardError(MailRouteError):
    """A dangerous operation refused by the client: nothing was written (a list DELETE
    may have read the counts it is refused on)."""


class _UnusableKey(GuardError, ValueError):
    """A key that would make a detail URL point at the list (or elsewhere)."""


class ResponseError(MailRouteError):
    """A success status with a body the client cannot read (bad JSON, missing keys)."""


class ListingChanged(ResponseError):
    """A list kept changing while it was walked by offset, pass after pass: some objects
    present all along may not have been yielded (the ones yielded are each yielded once).
    Also `last()`, when every fetch found a total other than its count's."""


class OriginError(ResponseError):
    """A URL on another host: the key is never sent there, so the request is not made."""


class APIError(MailRouteError):
    """The server answered with an error status.

    `headers` holds the answer's headers (lower-cased names), e.g. MailRoute's
    `x-sentry-id` on a 500, to quote when reporting the error. `status_code` is None for
    a refusal the client made in this class's terms without a server answer
    (`refused_by_client`).
    """

    headers: dict[str, str]

    def __init__(
        self, status_code: int | None, method: str, url: str, body: Any, message: str = ""
    ):
        self.status_code = status_code
        self.method = method
        self.url = url
        self.body = body
        self.headers = {}
        detail = f": {message}" if message else ""
        answered = "" if status_code is None else f" -> {status_code}"
        super().__init__(f"{method} {url}{answered}{detail}")

    @classmethod
    def refused_by_client(cls, method: str, url: str, message: str) -> Self:
        """The client's own refusal, raised as this class so that `except NotFound` or
        `except Conflict` catches it too: `status_code` is None and the text quotes no
        status, since no server sent one."""
        return cls(None, method, url, None, message)


class BadRequest(APIError):
    """400. `errors` holds field errors in the server's shape when it sent them."""

    def __init__(
        self,
        status_code: int,
        method: str,
        url: str,
        body: Any,
        message: str = "",
        errors: dict[str, dict[str, list[str]]] | None = None,
    ):
        self.errors = errors or {}
        super().__init__(status_code, method, url, body, message)


class Unauthorized(APIError):
    """401: the login or key was refused (Tastypie sends an empty body)."""


class Forbidden(APIError):
    """403."""


class NotFound(APIError):
    """404."""


class DoesNotExist(NotFound):
    """No object matched a `get()`; also raised for a 404 on a detail URL. When no
    server answered 404 (an empty list answer, an object this client saw deleted, a PUT
    that re-created a deleted object), `status_code` is None."""

    @classmethod
    def nothing_matched(cls, url: str, message: str) -> DoesNotExist:
        """A lookup whose list answer (a 200) held no rows: the message says what was
        looked for; `status_code` is None, as no server answered 404."""
        exc = cls.refused_by_client("GET", url, message)
        exc.args = (message,)
        return exc


class Conflict(APIError):
    """409, or `save(if_unchanged=True)` finding the object changed since it was read
    (then `status_code` is None: the client refused, nothing was sent)."""


class RateLimited(APIError):
    """429. `retry_after` is the server's advice in seconds, when it gave one."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any):
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(APIError):
    """5xx."""


class _MethodNotAllowedAPIError(APIError, MethodNotAllowed):
    """A server 405: both an APIError (status, body) and a MethodNotAllowed."""

    def __init__(self, *args: Any):
        APIError.__init__(self, *args)
        self.method = args[1]
        self.allowed: list[str] = []


class TransportError(MailRouteError):
    """The request did not get an answer: connection refused or reset, timeout, bad TLS."""


class AmbiguousWriteError(TransportError):
    """A non-idempotent write whose outcome is unknown: the object may have been created.

    It is never retried blindly; `create(..., dedupe_on=...)` looks the object up first.
    """


class UnreadableWriteAnswer(AmbiguousWriteError, ResponseError):
    """A write the server says it carried out (2xx) whose answer cannot be read (broken
    JSON, an unusable `Location`): the object exists, but the client cannot tell which.

    Never repeated; `create(..., dedupe_on=...)` looks the object up and returns it, and
    raises this error (without posting again) when the lookup finds nothing.
    """


class MultipleObjectsReturned(MailRouteError):
    """`get()` matched more than one object."""


class CassetteError(MailRouteError):
    """A replayed test asked for an exchange its recorded cassette does not hold (or the
    cassette cannot be read): the test does something the recording never saw."""


class JournalError(MailRouteError):
    """A run journal that cannot be used as asked: a new journal over an existing file,
    a resume of another run's journal, an unreadable file, a row it cannot settle."""


class CommandLineError(MailRouteError):
    """What the command line (`mailroute-dyn`) refuses or fails at outside the API."""


class CommandUsageError(CommandLineError):
    """The command line cannot be used as typed: exit status 2, nothing was sent.
    `details` are more lines under the message (one per bad row of a file), each printed
    as a line of its own."""

    def __init__(self, message: str, details: list[str] | tuple[str, ...] = ()):
        super().__init__(message)
        self.details = tuple(details)


class NoMatchingObject(CommandUsageError):
    """A value that names no object: refused before a write (exit 2)."""


class CommandFailed(CommandLineError):
    """The command could not do its job for a reason outside the API (a file that cannot
    be written): exit status 1."""


class FakeServerException(Exception):
    """Raised and caught inside the fake server only: each ends a request with an answer
    in Tastypie's shape. Not a `MailRouteError`, whose text is made printable: the fake
    puts this text into answer bodies exactly as the real server would."""


class FakeHttpError(FakeServerException):
    """An answer that ends the fake's request early (Tastypie's raised responses)."""

    def __init__(
        self,
        status: int,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        text: str | None = None,
    ):
        super().__init__(status)
        self.status = status
        self.body = body  # JSON-able, or None for an empty body
        self.text = text  # a plain-text body instead (405's method list)
        self.headers = dict(headers or {})


class FakeLookupValueError(FakeServerException):
    """A filter value Django refuses: `message` is the 400 `error` text (before escaping)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class FakeFieldValueError(FakeServerException):
    """A write value the fake's form would refuse: the message goes under the field's
    name."""


class _FakeFormFieldError(FakeServerException):
    """One field's error message in the fake's form cleaning."""


class Interrupted(KeyboardInterrupt):
    """A bulk write stopped by Ctrl-C (or SIGTERM in the command line): no write started
    after the signal, the writes in flight were awaited (each bounded by the timeout), and
    `result` is the partial `BulkResult`: `succeeded` and `failed` as far as they went,
    `not_started` for the rest.

    A `KeyboardInterrupt`, not a `MailRouteError`, on purpose: `except Exception` or
    `except MailRouteError` must not swallow the user's Ctrl-C. `outcomes` holds each
    operation's answer, error or `NOT_STARTED` (the session's view, before the bulk call
    turns it into `result`).
    """

    def __init__(self, result: Any = None, outcomes: list[Any] | None = None):
        super().__init__("interrupted")
        self.result = result
        self.outcomes: list[Any] = [] if outcomes is None else outcomes
