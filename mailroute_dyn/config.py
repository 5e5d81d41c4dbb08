"""Settings from arguments, environment variables and named profiles; URL and HTTPS policy.

Precedence: an explicit argument, then the profile (if one is named), then the
`MAILROUTE_*` environment variables, then the defaults below.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from .errors import ConfigurationError

__all__ = ["Settings", "resolve_settings", "origin_of", "same_origin", "config_file"]

APP_NAME = "mailroute_dyn"
DEFAULT_URL = "https://admin.mailroute.net"
ENV_VARS = {"base_url": "MAILROUTE_URL", "login": "MAILROUTE_LOGIN", "api_key": "MAILROUTE_API_KEY"}
_DEFAULT_CACHE = object()


@dataclass(frozen=True)
class Settings:
    """Everything a client needs to talk to one server. The key never shows in its repr."""

    base_url: str = DEFAULT_URL
    login: str | None = None
    api_key: str | None = field(default=None, repr=False)
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

    @property
    def origin(self) -> str:
        return origin_of(self.base_url)

    @property
    def api_url(self) -> str:
        return self.base_url.rstrip("/") + self.api_path

    @property
    def credential_fingerprint(self) -> str:
        """A short hash naming the login and key, so caches never mix credentials."""
        material = f"{self.login or ''}\0{self.api_key or ''}".encode()
        return hashlib.sha256(material).hexdigest()[:16]

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr
        )
        key = "set" if self.api_key else "unset"
        return f"Settings({shown}, api_key=<{key}>)"


def config_file() -> Path:
    """Where named profiles live: `<user config dir>/mailroute_dyn/config.toml`."""
    override = os.environ.get("MAILROUTE_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def _load_profile(name: str) -> dict[str, Any]:
    path = config_file()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"Profile {name!r} asked for; {path} does not exist.") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"Cannot read profiles from {path}: {exc}") from None
    profiles = data.get("profiles", data)
    if name not in profiles or not isinstance(profiles[name], dict):
        known = sorted(k for k, v in profiles.items() if isinstance(v, dict))
        raise ConfigurationError(f"No profile {name!r} in {path}. Profiles: {', '.join(known)}")
    allowed = {f.name for f in fields(Settings)}
    unknown = set(profiles[name]) - allowed
    if unknown:
        raise ConfigurationError(f"Profile {name!r} has unknown settings: {sorted(unknown)}")
    return dict(profiles[name])


def _is_loopback(host: str) -> bool:
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin_of(url: str) -> str:
    """scheme://host[:port], lower-cased, default ports dropped: what 'same server' means."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def same_origin(url: str, origin: str) -> bool:
    """True for a relative URL or one on `origin`: the only places the key may go."""
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return True
    return origin_of(url) == origin


def resolve_settings(profile: str | None = None, **given: Any) -> Settings:
    """Merge arguments, profile and environment into checked `Settings`.

    Arguments left as None fall through to the profile, the environment and the default.
    `cache_dir` is special: leave it out for the user cache dir, pass None for memory only.
    """
    cache_dir = given.pop("cache_dir", _DEFAULT_CACHE)
    allowed = {f.name for f in fields(Settings)}
    unknown = set(given) - allowed
    if unknown:
        raise ConfigurationError(f"Unknown settings: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, env in ENV_VARS.items():
        if os.environ.get(env):
            values[name] = os.environ[env]
    if profile:
        prof = _load_profile(profile)
        if "cache_dir" in prof and cache_dir is _DEFAULT_CACHE:
            cache_dir = prof.pop("cache_dir")
        values.update(prof)
    values.update({k: v for k, v in given.items() if v is not None})
    if cache_dir is _DEFAULT_CACHE:
        cache_dir = Path(platformdirs.user_cache_dir(APP_NAME))
    values["cache_dir"] = Path(cache_dir) if cache_dir is not None else None
    settings = replace(Settings(), **values)
    return _checked(settings)


def _checked(s: Settings) -> Settings:
    parts = urlsplit(s.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url must be an http(s) URL with a host, not {s.base_url!r}"
        )
    if parts.username or parts.password:
        raise ConfigurationError("base_url must not carry credentials; use login and api_key")
    if parts.scheme == "http" and not (s.allow_insecure or _is_loopback(parts.hostname)):
        raise ConfigurationError(
            f"Refusing plain http to {parts.hostname}: the API key would travel unencrypted. "
            "Use https, or allow_insecure=True for a trusted test server."
        )
    if (s.login is None) != (s.api_key is None):
        raise ConfigurationError("Give both login and api_key, or neither.")
    api_path = "/" + s.api_path.strip("/") + "/"
    numbers = {"timeout": s.timeout, "backoff": s.backoff, "cache_ttl": s.cache_ttl,
               "retry_budget": s.retry_budget}
    for name, value in numbers.items():
        if not isinstance(value, int | float) or value < 0:
            raise ConfigurationError(f"{name} must be a number >= 0, not {value!r}")
    for name in ("retries",):
        if not isinstance(getattr(s, name), int) or getattr(s, name) < 0:
            raise ConfigurationError(f"{name} must be an integer >= 0")
    for name in ("page_size", "concurrency"):
        if not isinstance(getattr(s, name), int) or getattr(s, name) < 1:
            raise ConfigurationError(f"{name} must be an integer >= 1")
    return replace(s, base_url=s.base_url.rstrip("/"), api_path=api_path)
