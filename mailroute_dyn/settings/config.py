"""Settings from arguments, environment variables and named profiles; the HTTPS policy.

Precedence: an explicit argument, then the profile (named by the caller, else by
`MAILROUTE_PROFILE`), then the `MAILROUTE_*` environment variables, then the config file's
`default_profile`, then the defaults below. Secrets become `Secret` values as soon as they
are read, and the auth kind a profile or the environment names (`auth = "basic"`, ...)
becomes the `httpx.Auth` in `Settings.auth`.

A profile's credentials belong to the server it names (its `base_url`, else the default
URL): they are never merged with a URL from another source. A named profile whose secret
would go to another server is refused; the `default_profile` is not used when the
arguments or the environment name another server (see `resolve_settings`).
"""

from __future__ import annotations

import enum
import math
import os
import warnings
from pathlib import Path
from typing import Any, Final, NamedTuple, TypeAlias
from urllib.parse import urlsplit

import httpx

from ..errors import ConfigurationError, suggest
from .auth import (
    AUTH_KINDS,
    ApiKeyAuth,
    BasicAuth,
    DigestAuth,
    Secret,
    SessionAuth,
    credential_material,
    fingerprint,
    secrets_of,
)
from .keysources import KeySource
from .profiles import (
    APP_NAME,
    PROFILE_ENV,
    SECRETS,
    config_file,
    env_profile,
    file_default,
    profile_settings,
    wrapped,
)
from .urls import base_url_problem, is_loopback, masked_url, origin_of, url_problem

__all__ = [
    "Settings",
    "resolve_settings",
    "checked_settings",
    "ProfileNotUsedWarning",
    "USER_CACHE_DIR",
]

DEFAULT_URL = "https://admin.mailroute.net"
ENV_VARS = {
    "base_url": "MAILROUTE_URL",
    "login": "MAILROUTE_LOGIN",
    "api_key": "MAILROUTE_API_KEY",
    "auth": "MAILROUTE_AUTH",
    "password": "MAILROUTE_PASSWORD",
    "sessionid": "MAILROUTE_SESSIONID",
    "csrftoken": "MAILROUTE_CSRFTOKEN",
}
#: Settings that only choose and feed the auth kind (profiles, environment, command line).
AUTH_SETTINGS = frozenset({"auth", "password", "sessionid", "csrftoken"})


class UserCacheDir(enum.Enum):
    """The type of `USER_CACHE_DIR` (an enum member, so type checkers can narrow it)."""

    USER_CACHE_DIR = "USER_CACHE_DIR"

    def __repr__(self) -> str:
        return self.value


#: `cache_dir` left to its default: the profile's, else the platform's user cache folder
#: (None, by contrast, keeps schemas in memory only).
USER_CACHE_DIR: Final = UserCacheDir.USER_CACHE_DIR
#: What a client's `cache_dir` takes: a folder, None (memory only) or `USER_CACHE_DIR`.
CacheDir: TypeAlias = "str | os.PathLike[str] | UserCacheDir | None"


class ProfileNotUsedWarning(UserWarning):
    """The config file's `default_profile` was left out: its credentials belong to another
    server than the URL the arguments or the environment name, and none were given for it."""


class Settings(NamedTuple):
    """Everything a client needs to talk to one server, immutable (`_replace` makes a
    changed copy). The key never shows in its repr."""

    base_url: str = DEFAULT_URL
    login: str | None = None
    api_key: Secret | None = None
    api_path: str = "/api/v1/"
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    retry_budget: float = 60.0
    page_size: int = 100
    concurrency: int = 8
    cache_ttl: float = 3600.0
    cache_dir: Path | None = None
    allow_insecure: bool = False
    auth: httpx.Auth | None = None
    read_only: bool = False
    max_rate: float | None = None  # writes per second at most (None: no cap)

    @property
    def credentials(self) -> httpx.Auth | None:
        """The `httpx.Auth` every request carries: the one given, else the ApiKey shortcut
        from `login`/`api_key`, else None (no credentials)."""
        if self.auth is not None:
            return self.auth
        if self.login is not None and self.api_key is not None:
            return ApiKeyAuth(self.login, self.api_key)
        return None

    @property
    def secrets(self) -> tuple[Secret, ...]:
        """Every secret these settings hold, as masked values (for output masking)."""
        return secrets_of(self.credentials)

    @property
    def origin(self) -> str:
        """The only server the credentials are ever sent to."""
        return origin_of(self.base_url)

    @property
    def api_url(self) -> str:
        """The API's root URL, as shown to a person (reprs, the command line)."""
        return self.base_url.rstrip("/") + self.api_path

    @property
    def credential_fingerprint(self) -> str | None:
        """A short hash naming the credential, so caches never mix logins; None when the
        auth is a kind whose credential cannot be told apart (then nothing goes to disk)."""
        return fingerprint(credential_material(self.credentials))

    @property
    def credential_key(self) -> bytes | None:
        """A key derived from the credential (for the cache's HMAC), or None as above."""
        material = credential_material(self.credentials)
        return None if material is None else b"mailroute_dyn-cache\0" + material

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in self._fields
            if name not in ("api_key", "auth")
        )
        key = "set" if self.api_key else "unset"
        auth = f", auth=<{type(self.auth).__name__}>" if self.auth is not None else ""
        return f"Settings({shown}, api_key=<{key}>{auth})"


#: What a profile may set (besides where its key comes from).
_PROFILE_SETTINGS = frozenset(Settings._fields) | AUTH_SETTINGS


def resolve_settings(
    profile: str | None = None, *, sources: dict[str, str] | None = None, **given: Any
) -> Settings:
    """Merge arguments, profile and environment into checked `Settings`.

    Arguments left as None fall through to the profile, the environment and the default.
    `cache_dir` is special: leave it out for the user cache dir, pass None for memory only.
    A profile's secrets are bound to its server: a named profile whose secret would go to
    a URL from another source is refused, and the `default_profile` is left out (with a
    `ProfileNotUsedWarning` when no credentials were given instead) when the arguments or
    the environment name another server. `sources`, when given, is filled with where each
    setting that is not a default came from (`mailroute-dyn config` shows it), plus
    `bound_to` (the one server a profile's credentials go to) or `profile_not_used`.
    """
    cache_dir = given.pop("cache_dir", USER_CACHE_DIR)
    allowed = set(Settings._fields) | AUTH_SETTINGS
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ConfigurationError(f"Unknown setting {unknown[0]!r}.{suggest(unknown[0], allowed)}")
    origin: dict[str, str] = {} if sources is None else sources
    values: dict[str, Any] = {}
    bound: dict[str, tuple[str, str]] = {}  # profile label -> (name, its server)

    profile_cache: Any = USER_CACHE_DIR

    def layer(items: dict[str, Any], where: str) -> None:
        nonlocal profile_cache
        if "cache_dir" in items:
            profile_cache = items["cache_dir"]
            origin["cache_dir"] = where
            items = {k: v for k, v in items.items() if k != "cache_dir"}
        values.update({k: wrapped(k, v) for k, v in items.items()})
        origin.update(dict.fromkeys(items, where))

    def layer_profile(name: str, table: dict[str, Any], where: str) -> None:
        server = _bound_server(table)
        if server is not None:
            bound[where] = (name, server)
        layer(table, where)

    named = profile or env_profile()
    fallback = None if named else _usable_default(given, origin)
    if fallback:
        layer_profile(*fallback, f"profile {fallback[0]!r} (default_profile in {config_file()})")
    layer(
        {
            name: wrapped(name, os.environ[env])
            for name, env in ENV_VARS.items()
            if os.environ.get(env)
        },
        "environment",
    )
    for name, env in ENV_VARS.items():
        if origin.get(name) == "environment":
            origin[name] = f"environment {env}"
    if named:
        how = "" if profile else f" (from {PROFILE_ENV})"
        layer_profile(
            named,
            profile_settings(named, _PROFILE_SETTINGS),
            f"profile {named!r}{how} in {config_file()}",
        )
    explicit = {k: wrapped(k, v) for k, v in given.items() if v is not None}
    if isinstance(explicit.get("auth"), httpx.Auth):
        if SECRETS & set(explicit):
            raise ConfigurationError("Give auth=, or the credentials of one kind, not both.")
        for name in SECRETS | {"login"}:  # the environment's or profile's are not meant
            values.pop(name, None)
            origin.pop(name, None)
    layer(explicit, "argument")
    _check_binding(values, origin, bound)  # before a key source is asked for its key
    if cache_dir is USER_CACHE_DIR:
        cache_dir = profile_cache
    else:
        origin["cache_dir"] = "argument"
    if cache_dir is USER_CACHE_DIR:
        import platformdirs

        cache_dir = Path(platformdirs.user_cache_dir(APP_NAME))
    values["cache_dir"] = Path(cache_dir) if cache_dir is not None else None
    values["auth"] = _auth_from(values)
    if isinstance(values.get("api_key"), KeySource):
        values["api_key"] = values["api_key"].fetch(values.get("login"))
    settings = Settings()._replace(**values)
    return _checked(settings)


def checked_settings(**values: Any) -> Settings:
    """`Settings` from these values alone (no profile, no environment), checked: what a
    new profile would hold, before it is written."""
    values = {k: wrapped(k, v) for k, v in values.items()}
    return _checked(Settings()._replace(**values))


def _bound_server(table: dict[str, Any]) -> str | None:
    """The one server a profile's credentials may go to (its base_url, else the default
    URL), or None for a profile that holds no secret."""
    if not any(table.get(name) for name in SECRETS):
        return None
    return _server(table.get("base_url") or DEFAULT_URL, "the profile's base_url")


def _server(url: Any, where: str) -> str:
    """The origin of `url`, or a `ConfigurationError` naming where a bad one came from."""
    try:
        return origin_of(str(url))
    except ValueError:
        raise ConfigurationError(f"The base_url from {where} is not a valid URL.") from None


def _given_url(given: dict[str, Any]) -> tuple[str, str] | None:
    """(where, URL) of a URL the arguments or the environment name, if any."""
    if given.get("base_url") is not None:
        return "argument", str(given["base_url"])
    env = os.environ.get(ENV_VARS["base_url"])
    return (f"environment {ENV_VARS['base_url']}", env) if env else None


def _secret_given(given: dict[str, Any]) -> bool:
    """Whether the arguments or the environment give credentials of their own."""
    return isinstance(given.get("auth"), httpx.Auth) or any(
        given.get(name) is not None or os.environ.get(ENV_VARS[name]) for name in SECRETS
    )


def _usable_default(
    given: dict[str, Any], sources: dict[str, str]
) -> tuple[str, dict[str, Any]] | None:
    """(name, settings) of the `default_profile`, unless its credentials belong to another
    server than the URL the arguments or the environment name: then it is left out."""
    name = file_default()
    if not name:
        return None
    table = profile_settings(name, _PROFILE_SETTINGS)
    server, url = _bound_server(table), _given_url(given)
    if server is None or url is None or _server(url[1], url[0]) == server:
        return name, table
    reason = (
        f"default_profile {name!r} is not used: its credentials belong to {server}, "
        f"and the URL given ({url[0]}) is {_server(url[1], url[0])}"
    )
    sources["profile_not_used"] = reason
    if not _secret_given(given):
        warnings.warn(
            f"{reason}; give the credentials for that server (MAILROUTE_LOGIN "
            "and MAILROUTE_API_KEY) or choose a profile",
            ProfileNotUsedWarning,
            stacklevel=4,
        )
    return None


def _check_binding(
    values: dict[str, Any], origin: dict[str, str], bound: dict[str, tuple[str, str]]
) -> None:
    """Refuse merged settings that would send a profile's secret to another server."""
    target = _server(values.get("base_url") or DEFAULT_URL, origin.get("base_url", "default"))
    for setting in sorted(SECRETS):
        where = origin.get(setting)
        if values.get(setting) is None or where not in bound:
            continue
        name, server = bound[where]
        origin["bound_to"] = f"{server} (the credentials of profile {name!r})"
        if server != target:
            raise ConfigurationError(
                f"Profile {name!r} ({where}) holds credentials for {server} only, but the "
                f"URL given ({origin.get('base_url', 'default')}) is {target}. A "
                "profile's key is never sent to another server: drop the URL, or leave "
                "the profile out and give the credentials for that server."
            )


def _auth_from(values: dict[str, Any]) -> httpx.Auth | None:
    """The auth object the merged settings name; pops the kind-only settings.

    `auth` may be an `httpx.Auth` (used as is) or a kind name: "apikey" (the default:
    `login` + `api_key`), "basic" or "digest" (`login` + `password`), "session"
    (`sessionid` + `csrftoken`)."""
    kind = values.pop("auth", None)
    password = values.pop("password", None)
    sessionid = values.pop("sessionid", None)
    csrftoken = values.pop("csrftoken", None)
    if kind is None or isinstance(kind, httpx.Auth):
        return kind
    if not isinstance(kind, str) or kind.lower() not in AUTH_KINDS:
        raise ConfigurationError(
            f"auth must be an httpx.Auth or one of {', '.join(AUTH_KINDS)}, not {kind!r}"
        )
    kind = kind.lower()
    if kind == "apikey":
        return None  # login + api_key, checked with the other settings
    values.pop("api_key", None)  # another kind: an ApiKey from elsewhere is not meant
    if kind in ("basic", "digest"):
        if not values.get("login") or password is None:
            raise ConfigurationError(
                f"auth={kind!r} needs login and password (MAILROUTE_PASSWORD or the "
                "profile's password)."
            )
        return (BasicAuth if kind == "basic" else DigestAuth)(values["login"], password)
    if sessionid is None or csrftoken is None:
        raise ConfigurationError(
            "auth='session' needs sessionid and csrftoken (MAILROUTE_SESSIONID and "
            "MAILROUTE_CSRFTOKEN, or the profile's): Tastypie refuses writes without the "
            "CSRF token."
        )
    values.pop("login", None)
    return SessionAuth(sessionid, csrftoken)


def _checked(s: Settings) -> Settings:
    problem = url_problem(s.base_url) or base_url_problem(s.base_url)
    if problem:
        raise ConfigurationError(f"base_url {masked_url(s.base_url)!r} is not usable: {problem}")
    parts = urlsplit(s.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL with a host, not {s.base_url!r}")
    if parts.username or parts.password:
        raise ConfigurationError("base_url must not carry credentials; use login and api_key")
    if parts.scheme == "http" and not (s.allow_insecure or is_loopback(parts.hostname)):
        raise ConfigurationError(
            f"Refusing plain http to {parts.hostname}: the API key would travel unencrypted. "
            "Use https, or allow_insecure=True for a trusted test server."
        )
    if s.auth is None and (s.login is None) != (s.api_key is None):
        raise ConfigurationError("Give both login and api_key, or neither.")
    api_path = "/" + s.api_path.strip("/") + "/"
    numbers = {
        "timeout": s.timeout,
        "backoff": s.backoff,
        "cache_ttl": s.cache_ttl,
        "retry_budget": s.retry_budget,
    }
    for name, value in numbers.items():
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or math.isnan(value)
            or value < 0
        ):
            raise ConfigurationError(f"{name} must be a number >= 0, not {value!r}")
    for name in ("timeout", "backoff"):  # a wait without end is no bound
        if math.isinf(numbers[name]):
            raise ConfigurationError(f"{name} must be a finite number of seconds")
    for name in ("retries",):
        if not isinstance(getattr(s, name), int) or getattr(s, name) < 0:
            raise ConfigurationError(f"{name} must be an integer >= 0")
    if not isinstance(s.read_only, bool):
        raise ConfigurationError(f"read_only must be true or false, not {s.read_only!r}")
    for name in ("page_size", "concurrency"):
        if not isinstance(getattr(s, name), int) or getattr(s, name) < 1:
            raise ConfigurationError(f"{name} must be an integer >= 1")
    if s.max_rate is not None and (
        isinstance(s.max_rate, bool)
        or not isinstance(s.max_rate, int | float)
        or not s.max_rate > 0
        or s.max_rate == float("inf")
    ):
        raise ConfigurationError(
            f"max_rate must be a number of writes per second > 0, not {s.max_rate!r}"
        )
    return s._replace(base_url=s.base_url.rstrip("/"), api_path=api_path)
