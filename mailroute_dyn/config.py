"""Settings from arguments, environment variables and named profiles; URL and HTTPS policy.

Precedence: an explicit argument, then the profile (named by the caller, else by
`MAILROUTE_PROFILE`), then the `MAILROUTE_*` environment variables, then the config file's
`default_profile`, then the defaults below.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import stat
import tomllib
import warnings
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from .errors import ConfigurationError, suggest

__all__ = ["Settings", "resolve_settings", "origin_of", "same_origin", "config_file",
           "InsecureConfigWarning", "PROFILE_ENV"]

APP_NAME = "mailroute_dyn"
DEFAULT_URL = "https://admin.mailroute.net"
ENV_VARS = {"base_url": "MAILROUTE_URL", "login": "MAILROUTE_LOGIN", "api_key": "MAILROUTE_API_KEY"}
PROFILE_ENV = "MAILROUTE_PROFILE"
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


class InsecureConfigWarning(UserWarning):
    """A config file that holds an API key can be read by other users of the machine."""


def _read_config(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"Cannot read profiles from {path}: {exc}") from None


def _env_profile() -> str | None:
    """The profile `MAILROUTE_PROFILE` names (the config file's `default_profile` sits
    below the environment instead; see `resolve_settings`)."""
    return os.environ.get(PROFILE_ENV) or None


def _file_default() -> str | None:
    path = config_file()
    if not path.is_file():
        return None
    name = _read_config(path).get("default_profile")
    if name is not None and not isinstance(name, str):
        raise ConfigurationError(f"{path}: default_profile must be a profile name")
    return name


def _load_profile(name: str) -> dict[str, Any]:
    path = config_file()
    if not path.exists():
        raise ConfigurationError(f"Profile {name!r} asked for; {path} does not exist.")
    data = _read_config(path)
    profiles = data.get("profiles", data)
    if name not in profiles or not isinstance(profiles[name], dict):
        known = sorted(k for k, v in profiles.items() if isinstance(v, dict))
        raise ConfigurationError(f"No profile {name!r} in {path}.{suggest(name, known)} "
                                 f"Profiles: {', '.join(known) or '(none)'}")
    allowed = {f.name for f in fields(Settings)}
    unknown = sorted(set(profiles[name]) - allowed)
    if unknown:
        raise ConfigurationError(f"Profile {name!r} in {path} has an unknown setting "
                                 f"{unknown[0]!r}.{suggest(unknown[0], allowed)} "
                                 f"Settings: {', '.join(sorted(allowed))}")
    if profiles[name].get("api_key") and os.name == "posix":
        mode = path.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.warn(f"{path} holds an API key and other users can read it "
                          f"(mode {stat.filemode(mode)}); run: chmod 600 {path}",
                          InsecureConfigWarning, stacklevel=4)
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


def resolve_settings(profile: str | None = None, *, sources: dict[str, str] | None = None,
                     **given: Any) -> Settings:
    """Merge arguments, profile and environment into checked `Settings`.

    Arguments left as None fall through to the profile, the environment and the default.
    `cache_dir` is special: leave it out for the user cache dir, pass None for memory only.
    `sources`, when given, is filled with where each setting that is not a default came
    from (`mailroute-dyn config` shows it).
    """
    cache_dir = given.pop("cache_dir", _DEFAULT_CACHE)
    allowed = {f.name for f in fields(Settings)}
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ConfigurationError(f"Unknown setting {unknown[0]!r}."
                                 f"{suggest(unknown[0], allowed)}")
    origin: dict[str, str] = {} if sources is None else sources
    values: dict[str, Any] = {}

    profile_cache: Any = _DEFAULT_CACHE

    def layer(items: dict[str, Any], where: str) -> None:
        nonlocal profile_cache
        if "cache_dir" in items:
            profile_cache = items["cache_dir"]
            origin["cache_dir"] = where
            items = {k: v for k, v in items.items() if k != "cache_dir"}
        values.update(items)
        origin.update(dict.fromkeys(items, where))

    named = profile or _env_profile()
    fallback = None if named else _file_default()
    if fallback:
        layer(_load_profile(fallback), f"profile {fallback!r} (default_profile in "
                                       f"{config_file()})")
    layer({name: os.environ[env] for name, env in ENV_VARS.items() if os.environ.get(env)},
          "environment")
    for name, env in ENV_VARS.items():
        if origin.get(name) == "environment":
            origin[name] = f"environment {env}"
    if named:
        how = "" if profile else f" (from {PROFILE_ENV})"
        layer(_load_profile(named), f"profile {named!r}{how} in {config_file()}")
    layer({k: v for k, v in given.items() if v is not None}, "argument")
    if cache_dir is _DEFAULT_CACHE:
        cache_dir = profile_cache
    else:
        origin["cache_dir"] = "argument"
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
