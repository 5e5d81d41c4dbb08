"""Credentials: a `Secret` that never shows itself, and the `httpx.Auth` kinds Tastypie knows.

Tastypie APIs authenticate with `ApiKeyAuthentication` (`Authorization: ApiKey login:key`,
MailRoute's), `BasicAuthentication`, `DigestAuthentication`, `SessionAuthentication` (the
Django session cookie, plus the CSRF token on writes) or something of their own. Each kind
here keeps its secrets in `Secret` values and writes the header only inside `auth_flow`,
the last step before httpx sends a request, so no frame of this library holds a credential
as a plain string: a traceback with locals (`pytest -l`, rich, Sentry) shows `***`.
Any other `httpx.Auth` works too; httpx only ever runs it for requests the client has
already checked to be on the configured origin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from typing import Any

import httpx

from ..errors import ConfigurationError

__all__ = [
    "Secret",
    "ApiKeyAuth",
    "BasicAuth",
    "DigestAuth",
    "SessionAuth",
    "AUTH_KINDS",
    "credential_material",
    "secrets_of",
]

#: The names profiles, environment variables and the command line use for each kind.
AUTH_KINDS = ("apikey", "basic", "digest", "session")
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Secret:
    """A credential as a value that shows as `***` in every repr, str and format, so a
    traceback with locals, a log line or an f-string never prints it. `reveal()` is the
    one way to the text, and only the auth classes call it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret):
        text = value.reveal() if isinstance(value, Secret) else value
        if not isinstance(text, str):
            raise TypeError(f"a secret must be a string, not {type(text).__name__}")
        self._value = text

    @classmethod
    def of(cls, value: str | Secret | None) -> Secret | None:
        """`value` as a Secret (None and Secret pass through)."""
        if value is None or isinstance(value, Secret):
            return value
        return cls(value)

    def reveal(self) -> str:
        """The secret text: for building a header, never for showing."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            other = other._value
        if not isinstance(other, str):
            return NotImplemented
        import hmac  # on first comparison: most programs never compare a secret

        return hmac.compare_digest(self._value.encode(), other.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: Any) -> Secret:
        return self

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled: it would leave the process in clear text")


def _header_safe(what: str, text: str) -> None:
    """Refuse a credential that goes into a header as text but holds a control character
    (a CR from a file with Windows line ends, a second line a key command printed): httpx
    would refuse the header quoting it whole, key included. The value is never shown."""
    if any(ord(c) < 32 or c == "\x7f" for c in text):
        raise ConfigurationError(
            f"The {what} holds a control character (a line end?), which no HTTP header "
            "can carry; check where it comes from (a file saved with Windows line ends, a "
            "command that prints more than the key)."
        )


class _Credential(httpx.Auth):
    """An auth kind of this library: it can name its credential for cache keys without
    revealing it, and lists its secrets so the command line can mask them."""

    kind = ""

    def _material(self) -> bytes:
        raise NotImplementedError

    def _secrets(self) -> tuple[Secret, ...]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} ***>"


class ApiKeyAuth(_Credential):
    """Tastypie's `ApiKeyAuthentication` (MailRoute's): `Authorization: ApiKey login:key`.
    `Client(login=..., api_key=...)` is a shortcut for `auth=ApiKeyAuth(login, api_key)`."""

    kind = "apikey"

    def __init__(self, login: str, api_key: str | Secret):
        self.login = login
        self._key = Secret(api_key)
        _header_safe("login", str(login))
        _header_safe("API key", self._key.reveal())

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"ApiKey {self.login}:{self._key.reveal()}"
        yield request

    def _material(self) -> bytes:
        return f"{self.login}\0{self._key.reveal()}".encode()  # as before `auth` existed

    def _secrets(self) -> tuple[Secret, ...]:
        return (self._key,)

    def __repr__(self) -> str:
        return f"<ApiKeyAuth login={self.login!r} key=***>"


class _PasswordCredential(_Credential):
    """A login and a password (Basic, Digest): one credential, told apart by its kind."""

    def __init__(self, login: str, password: str | Secret):
        self.login = login
        self._password = Secret(password)

    def _material(self) -> bytes:
        return f"{self.kind}\0{self.login}\0{self._password.reveal()}".encode()

    def _secrets(self) -> tuple[Secret, ...]:
        return (self._password,)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} login={self.login!r} password=***>"


class BasicAuth(_PasswordCredential):
    """Tastypie's `BasicAuthentication`: HTTP Basic with a Django user's password."""

    kind = "basic"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield from httpx.BasicAuth(self.login, self._password.reveal()).auth_flow(request)


class DigestAuth(_PasswordCredential):
    """Tastypie's `DigestAuthentication`: HTTP Digest (the password never travels; the
    first request of a client is answered 401 with the challenge, then retried by httpx)."""

    kind = "digest"

    def __init__(self, login: str, password: str | Secret):
        super().__init__(login, password)
        self._digest: httpx.DigestAuth | None = None  # keeps the server's nonce

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._digest is None:
            self._digest = httpx.DigestAuth(self.login, self._password.reveal())
        yield from self._digest.auth_flow(request)


class SessionAuth(_Credential):
    """Tastypie's `SessionAuthentication`: a logged-in Django session.

    Every request carries the session cookie; writes (POST, PUT, PATCH, DELETE) also carry
    the CSRF token, as the `csrftoken` cookie and the `X-CSRFToken` header Django compares
    it with, and a same-origin `Referer` (Django requires one over https).
    """

    kind = "session"

    def __init__(
        self,
        sessionid: str | Secret,
        csrftoken: str | Secret | None = None,
        *,
        session_cookie: str = "sessionid",
        csrf_cookie: str = "csrftoken",
        csrf_header: str = "X-CSRFToken",
    ):
        self._session = Secret(sessionid)
        self._csrf = Secret.of(csrftoken)
        _header_safe("session id", self._session.reveal())
        _header_safe("CSRF token", self._csrf.reveal() if self._csrf is not None else "")
        self.session_cookie = session_cookie
        self.csrf_cookie = csrf_cookie
        self.csrf_header = csrf_header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        cookies = {self.session_cookie: self._session}
        if self._csrf is not None:
            cookies[self.csrf_cookie] = self._csrf
        request.headers["Cookie"] = "; ".join(f"{k}={v.reveal()}" for k, v in cookies.items())
        if request.method in _UNSAFE and self._csrf is not None:
            request.headers[self.csrf_header] = self._csrf.reveal()
            request.headers.setdefault(
                "Referer", f"{request.url.scheme}://{request.url.netloc.decode('ascii')}/"
            )
        yield request

    def _material(self) -> bytes:
        csrf = self._csrf.reveal() if self._csrf is not None else ""
        return f"session\0{self._session.reveal()}\0{csrf}".encode()

    def _secrets(self) -> tuple[Secret, ...]:
        return (self._session,) + ((self._csrf,) if self._csrf is not None else ())

    def __repr__(self) -> str:
        return "<SessionAuth sessionid=*** csrftoken=***>"


def credential_material(auth: httpx.Auth | None) -> bytes | None:
    """Bytes that name the credential (hashed into cache names and keys, never stored),
    or None for an auth kind whose credential cannot be told apart (a custom class)."""
    if auth is None:
        return b"\0"
    if isinstance(auth, _Credential):
        return auth._material()
    if isinstance(auth, httpx.BasicAuth):
        return b"httpx-basic\0" + auth._auth_header.encode()
    if isinstance(auth, httpx.DigestAuth):
        return b"httpx-digest\0" + auth._username + b"\0" + auth._password
    return None


def secrets_of(auth: httpx.Auth | None) -> tuple[Secret, ...]:
    """The secrets an auth holds, for masking output (empty for other kinds)."""
    return auth._secrets() if isinstance(auth, _Credential) else ()


def fingerprint(material: bytes | None) -> str | None:
    """A short hash naming a credential, so caches never mix logins."""
    if material is None:
        return None
    return hashlib.sha256(material).hexdigest()[:16]
