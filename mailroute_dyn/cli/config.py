"""`config`: where the settings come from, and adding a profile.

`config` (or `config show`) prints the config file, its profiles, the profile in effect and
why (`--profile`, `MAILROUTE_PROFILE`, the file's `default_profile`, or why that one is
left out), the server its credentials are bound to, then each setting with its value and
source; the key shows only as set or not. `config add NAME` writes a `[profiles.NAME]`
table from `--url`, `--login` and the key (`MAILROUTE_API_KEY`, else a prompt), into a
file only its owner can read, editing it as TOML so the user's comments stay.
"""

from __future__ import annotations

import getpass
import os
import re
import stat
import sys
import tomllib
import warnings
from pathlib import Path
from typing import Any

from ..errors import CommandFailed, CommandUsageError, ConfigurationError
from ..settings.auth import Secret
from ..settings.config import ProfileNotUsedWarning, Settings, checked_settings, resolve_settings
from ..settings.profiles import PROFILE_ENV, config_file
from .context import Context
from .options import AddCommand
from .output import write_table

__all__ = ["register", "cmd_config"]


def _profiles(path: Path) -> tuple[dict[str, Any], str | None]:
    """(profiles, default_profile) of the config file; empty when there is none."""
    if not path.is_file():
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CommandFailed(f"cannot read {path}: {exc}") from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise CommandFailed(f"{path}: `profiles` must be a table of [profiles.NAME] tables")
    default = data.get("default_profile")
    return (
        {k: v for k, v in profiles.items() if isinstance(v, dict)},
        default if isinstance(default, str) else None,
    )


def _given(ctx: Context) -> dict[str, Any]:
    a = ctx.args
    given: dict[str, Any] = {
        "base_url": a.url,
        "login": a.login,
        "api_key": a.api_key,
        "page_size": a.page_size,
    }
    if a.no_cache:
        given["cache_dir"] = None
    if getattr(a, "read_only", False):
        given["read_only"] = True
    return given


def _chosen(ctx: Context, default: str | None, sources: dict[str, str]) -> str:
    """The profile in effect, and what chose it (or why the default one is left out)."""
    if ctx.args.profile:
        return f"{ctx.args.profile} (--profile)"
    if os.environ.get(PROFILE_ENV):
        return f"{os.environ[PROFILE_ENV]} ({PROFILE_ENV})"
    if "profile_not_used" in sources:
        return f"none ({sources['profile_not_used']})"
    if default:
        return f"{default} (default_profile in the config file; MAILROUTE_* variables win over it)"
    return "none"


def _show(ctx: Context) -> int:
    out = ctx.out
    path = config_file()
    how = " (from MAILROUTE_CONFIG)" if os.environ.get("MAILROUTE_CONFIG") else ""
    if path.is_file():
        mode = stat.filemode(path.stat().st_mode)
        print(f"config file: {path}{how} ({mode})", file=out)
    else:
        print(f"config file: {path}{how} (does not exist; `config add NAME` creates it)", file=out)
    profiles, default = _profiles(path)
    print(f"profiles:    {', '.join(sorted(profiles)) or '(none)'}", file=out)
    sources: dict[str, str] = {}
    try:
        with warnings.catch_warnings():  # a default_profile left out is shown below
            warnings.simplefilter("ignore", ProfileNotUsedWarning)
            settings = resolve_settings(ctx.args.profile, sources=sources, **_given(ctx))
    except ConfigurationError as exc:
        ctx.note(f"error: {exc}")
        return 2
    print(f"in effect:   {_chosen(ctx, default, sources)}", file=out)
    if "bound_to" in sources:
        print(f"bound to:    {sources['bound_to']}: sent to no other server", file=out)
    if ctx.demo:
        print("--demo: the built-in demo server is used, whatever the settings say", file=out)
    print(file=out)
    rows = []
    for name in Settings._fields:
        value = getattr(settings, name)
        if name == "api_key":
            shown = "(set)" if value else "(not set)"
        else:
            shown = "" if value is None else str(value)
        rows.append([name, shown, sources.get(name, "default")])
    write_table(out, ["setting", "value", "from"], rows)
    return 0


_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _key(ctx: Context) -> Secret:
    key = Secret.of(ctx.args.api_key or os.environ.get("MAILROUTE_API_KEY"))
    if key:
        return key
    if not sys.stdin.isatty():
        raise CommandUsageError(
            "no API key: set MAILROUTE_API_KEY (or run on a terminal to be asked for it)"
        )
    key = Secret(getpass.getpass("API key (not shown): ").strip())
    if not key:
        raise CommandUsageError("no API key given")
    ctx.secrets.add(key.reveal())
    return key


def _add(ctx: Context) -> int:
    name = ctx.args.name
    if not name or not _NAME.fullmatch(name):
        raise CommandUsageError("config add needs a profile NAME of letters, digits, - and _")
    path = config_file()
    profiles, _ = _profiles(path)
    if name in profiles and not ctx.args.replace:
        raise CommandUsageError(f"profile {name!r} exists in {path}; --replace to overwrite it")
    url = ctx.args.url or os.environ.get("MAILROUTE_URL")
    login = ctx.args.login or os.environ.get("MAILROUTE_LOGIN")
    if not url or not login:
        raise CommandUsageError(
            "config add needs --url and --login (or MAILROUTE_URL and MAILROUTE_LOGIN)"
        )
    values: dict[str, Any] = {"base_url": url, "login": login, "api_key": _key(ctx)}
    if ctx.args.page_size:
        values["page_size"] = ctx.args.page_size
    if getattr(ctx.args, "read_only", False):
        values["read_only"] = True
    checked_settings(cache_dir=None, **values)  # checks URL, https, pairs
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    _write_private(path, _with_profile(path, text, name, values, ctx.args.default))
    made = " (the default profile)" if ctx.args.default else ""
    print(f"added profile {name!r}{made} to {path}", file=ctx.out)
    return 0


def _with_profile(path: Path, text: str, name: str, values: dict[str, Any], default: bool) -> str:
    """`text` with the `[profiles.NAME]` table set to `values` (and, with `default`,
    `default_profile = NAME`), edited as TOML: comments and layout stay as they were."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        document = tomlkit.parse(text)
        tables = document.setdefault("profiles", tomlkit.table(is_super_table=True))
        table = tomlkit.table()
        for key, value in values.items():
            table[key] = value.reveal() if isinstance(value, Secret) else value
        for trailing in _trailing_comments(tables.get(name)):
            table.add(trailing)
        tables[name] = table
        if default:
            document["default_profile"] = name
        edited = document.as_string()
    except (TOMLKitError, ValueError, TypeError) as exc:  # e.g. an inline `profiles`
        raise CommandFailed(f"cannot edit {path} as TOML: {exc}") from None
    _check_written(path, edited, _expected(text, name, values, default))
    return edited


def _expected(text: str, name: str, values: dict[str, Any], default: bool) -> dict[str, Any]:
    """What the edited file must read back as: the file as it was, with the profile
    `name` set to `values` (and `default_profile` to `name`), nothing else changed."""
    data = tomllib.loads(text)
    profiles = data.setdefault("profiles", {})
    profiles[name] = {k: v.reveal() if isinstance(v, Secret) else v for k, v in values.items()}
    if default:
        data["default_profile"] = name
    return data


def _trailing_comments(old: Any) -> list[Any]:
    """The comments and blank lines that end a table being replaced: in a hand-written
    file they introduce what follows (`# production below`), so they stay."""
    import tomlkit.items

    if not isinstance(old, tomlkit.items.Table):
        return []
    body = old.value.body
    start = len(body)
    while start and body[start - 1][0] is None:
        start -= 1
    return [item for _, item in body[start:]]


def _check_written(path: Path, text: str, expected: dict[str, Any]) -> None:
    """Never write a file that reads back as anything but the old one plus this profile
    (a TOML editor may move a dotted key into the new table, changing two profiles)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CommandFailed(
            f"not writing {path}: the edit would not be valid TOML ({exc})"
        ) from None
    if data != expected:
        changed = sorted(
            k
            for k in expected.get("profiles", {}) | data.get("profiles", {})
            if data.get("profiles", {}).get(k) != expected.get("profiles", {}).get(k)
        )
        what = f"profiles {', '.join(map(repr, changed))}" if changed else "other settings"
        raise CommandFailed(
            f"not writing {path}: the edit would also change {what}; add the profile by hand"
        )


def _write_private(path: Path, text: str) -> None:
    """Write `text` readable by its owner only (the file holds a key)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise CommandFailed(f"cannot write {path}: {exc.strerror or exc}") from None


def cmd_config(ctx: Context) -> int:
    """Show where each setting comes from, or add a profile."""
    if ctx.args.action == "add":
        return _add(ctx)
    if ctx.args.name:
        raise CommandUsageError("config show takes no NAME (did you mean `config add NAME`?)")
    return _show(ctx)


def register(add: AddCommand) -> None:
    """The sub-parsers of config."""
    p = add(
        "config",
        cmd_config,
        "show where the settings come from, or add a profile",
        "Show the config file, its profiles, the profile in effect and where each\n"
        "setting comes from; or add a profile from --url, --login and the key\n"
        "(MAILROUTE_API_KEY, else asked for) to a file only you can read.\n"
        "A profile is chosen by --profile, else MAILROUTE_PROFILE, else the file's\n"
        "default_profile (below the MAILROUTE_* variables); a profile's key goes\n"
        "only to its own base_url.\n\n"
        "  mailroute-dyn config\n"
        "  MAILROUTE_API_KEY=... mailroute-dyn --url https://admin.mailroute.net "
        "--login ops config add production --default",
    )
    p.add_argument("action", choices=("show", "add"), nargs="?", default="show")
    p.add_argument("name", nargs="?", metavar="NAME", help="the profile to add")
    p.add_argument("--default", action="store_true", help="make it the default_profile")
    p.add_argument("--replace", action="store_true", help="overwrite a profile of that name")
