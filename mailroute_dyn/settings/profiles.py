"""Named profiles: the config file's `[profiles.NAME]` tables, read and checked.

A profile's secrets become `Secret` values as soon as the file is parsed, and a key the
profile takes from the OS keyring or a command becomes a `KeySource` in `api_key`, asked
for the key only once settings resolution knows the profile is used for its own server.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, suggest
from .auth import Secret
from .keysources import KEY_SOURCES, key_source

__all__ = [
    "config_file",
    "InsecureConfigWarning",
    "APP_NAME",
    "PROFILE_ENV",
    "SECRETS",
    "env_profile",
    "file_default",
    "profile_settings",
    "wrapped",
]

APP_NAME = "mailroute_dyn"
PROFILE_ENV = "MAILROUTE_PROFILE"
#: The settings that hold a secret.
SECRETS = frozenset({"api_key", "password", "sessionid", "csrftoken"})


def config_file() -> Path:
    """Where named profiles live: `<user config dir>/mailroute_dyn/config.toml`."""
    override = os.environ.get("MAILROUTE_CONFIG")
    if override:
        return Path(override)
    import platformdirs  # on first use: import mailroute_dyn stays cheap

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


class InsecureConfigWarning(UserWarning):
    """A config file that holds an API key can be read by other users of the machine."""


def wrapped(name: str, value: Any) -> Any:
    """Secrets become `Secret` values as soon as they are read."""
    if name in SECRETS and isinstance(value, str):
        return Secret(value)
    return value


def _read_config(path: Path) -> dict[str, Any]:
    import tomllib  # only where a config file exists

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"Cannot read profiles from {path}: {exc}") from None


def env_profile() -> str | None:
    """The profile `MAILROUTE_PROFILE` names (the config file's `default_profile` sits
    below the environment instead; see `resolve_settings`)."""
    return os.environ.get(PROFILE_ENV) or None


def file_default() -> str | None:
    """The config file's `default_profile`, if it names one."""
    path = config_file()
    if not path.is_file():
        return None
    name = _read_config(path).get("default_profile")
    if name is not None and not isinstance(name, str):
        raise ConfigurationError(f"{path}: default_profile must be a profile name")
    return name


def profile_settings(name: str, allowed: Iterable[str]) -> dict[str, Any]:
    """Profile `name`'s settings (each one of `allowed`, or a key source), its key source
    (keyring, command) as a `KeySource` in `api_key`."""
    table = _load_profile(name, set(allowed) | set(KEY_SOURCES))
    source = key_source(name, table)
    for setting in KEY_SOURCES:
        table.pop(setting, None)
    if source is not None:
        table["api_key"] = source
    return table


def _load_profile(name: str, allowed: set[str]) -> dict[str, Any]:
    path = config_file()
    if not path.exists():
        raise ConfigurationError(f"Profile {name!r} asked for; {path} does not exist.")
    profiles = _masked_profiles(_read_config(path))  # no frame holds a secret as text
    if name not in profiles or not isinstance(profiles[name], dict):
        known = sorted(k for k, v in profiles.items() if isinstance(v, dict))
        raise ConfigurationError(
            f"No profile {name!r} in {path}.{suggest(name, known)} "
            f"Profiles: {', '.join(known) or '(none)'}"
        )
    unknown = sorted(set(profiles[name]) - allowed)
    if unknown:
        raise ConfigurationError(
            f"Profile {name!r} in {path} has an unknown setting "
            f"{unknown[0]!r}.{suggest(unknown[0], allowed)} "
            f"Settings: {', '.join(sorted(allowed))}"
        )
    if any(profiles[name].get(k) for k in SECRETS) and os.name == "posix":
        mode = path.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.warn(
                f"{path} holds an API key and other users can read it "
                f"(mode {stat.filemode(mode)}); run: chmod 600 {path}",
                InsecureConfigWarning,
                stacklevel=5,
            )
    return dict(profiles[name])


def _masked_profiles(data: dict[str, Any]) -> dict[str, Any]:
    """The profile tables with their secrets as `Secret` values, so no frame after the
    file is parsed holds one as text (a traceback with locals would show it)."""
    tables = data.get("profiles", data)
    return {
        name: {k: wrapped(k, v) for k, v in table.items()} if isinstance(table, dict) else table
        for name, table in tables.items()
    }
