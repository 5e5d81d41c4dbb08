"""Where a profile's API key may come from besides the config file: the OS keyring or a
command, so the key need not sit in plain text.

A profile names the source (`api_key_keyring = "SERVICE"` or `api_key_command = "..."`);
settings resolution turns it into a `KeySource` and asks it for the key only once the
profile is known to be used for its own server. The key becomes a `Secret` at once, and no
error ever carries what the command printed (it may be the key itself).
"""

from __future__ import annotations

from typing import Any, Final

from ..errors import ConfigurationError
from .auth import Secret

__all__ = [
    "KeySource",
    "KEY_SOURCES",
    "DEFAULT_KEYRING_SERVICE",
    "KEY_COMMAND_TIMEOUT",
    "key_source",
]

#: The profile settings that name a source of the API key.
KEY_SOURCES: Final = ("api_key_keyring", "api_key_command")
#: The keyring service `api_key_keyring = true` stands for.
DEFAULT_KEYRING_SERVICE: Final = "mailroute_dyn"
#: Seconds an `api_key_command` may take before it counts as failed.
KEY_COMMAND_TIMEOUT = 30.0


class KeySource:
    """An API key still to be fetched: from the keyring (`kind` "keyring", `spec` the
    service) or from a command (`kind` "command", `spec` its command line)."""

    def __init__(self, profile: str, kind: str, spec: str):
        self.profile = profile
        self.kind = kind
        self.spec = spec

    def fetch(self, login: str | None) -> Secret:
        """The key, as a `Secret`; a `ConfigurationError` when it cannot be had."""
        if self.kind == "keyring":
            return _from_keyring(self.profile, self.spec, login)
        return _from_command(self.profile, self.spec)

    def __repr__(self) -> str:
        return f"<KeySource {self.kind} of profile {self.profile!r}>"


def key_source(profile: str, table: dict[str, Any]) -> KeySource | None:
    """The key source a profile table names, checked; None when it names none."""
    named = [name for name in KEY_SOURCES if table.get(name) not in (None, False)]
    if not named:
        return None
    if len(named) > 1 or table.get("api_key"):
        given = ", ".join(n for n in ("api_key", *KEY_SOURCES) if table.get(n))
        raise ConfigurationError(
            f"Profile {profile!r} gives its key more than one way ({given}): keep one."
        )
    value = table[named[0]]
    if named[0] == "api_key_keyring":
        service = DEFAULT_KEYRING_SERVICE if value is True else value
        if not isinstance(service, str) or not service:
            raise ConfigurationError(
                f"Profile {profile!r}: api_key_keyring must be a "
                "keyring service name (or true for "
                f"{DEFAULT_KEYRING_SERVICE!r})."
            )
        return KeySource(profile, "keyring", service)
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(
            f"Profile {profile!r}: api_key_command must be a command "
            'line, e.g. "pass show mailroute/api-key".'
        )
    return KeySource(profile, "command", value)


def _from_keyring(profile: str, service: str, login: str | None) -> Secret:
    """The key stored in the OS keyring under (service, login)."""
    if not login:
        raise ConfigurationError(
            f"Profile {profile!r} takes its key from the keyring, "
            "which files it under the login: give the profile a login."
        )
    try:
        import keyring  # only for a profile that asks: an optional extra
        from keyring.errors import KeyringError
    except ImportError:
        raise ConfigurationError(
            f"Profile {profile!r} takes its key from the OS keyring, which needs the "
            "keyring extra: pip install 'mailroute_dyn[keyring]'"
        ) from None
    try:
        secret = Secret.of(keyring.get_password(service, login))
    except KeyringError as exc:
        raise ConfigurationError(
            f"Profile {profile!r}: the OS keyring failed ({type(exc).__name__}: {exc})"
        ) from None
    if not secret:
        raise ConfigurationError(
            f"Profile {profile!r}: no key in the OS keyring for service {service!r} and "
            f"login {login!r}; store it with: keyring set {_quote(service)} "
            f"{_quote(login)}"
        )
    return secret


def _from_command(profile: str, command: str) -> Secret:
    """The stripped standard output of `command`, run without a shell. Its standard error
    goes to the terminal as usual (a password manager's prompt or complaint); its output
    never reaches an error message, nor an exception's context."""
    where = f"Profile {profile!r}: api_key_command"
    try:
        import shlex

        argv = shlex.split(command)
    except ValueError as exc:
        raise ConfigurationError(f"{where} cannot be split into words: {exc}") from None
    if not argv:
        raise ConfigurationError(f"{where} is empty")
    result = _run_for_key(argv)
    if isinstance(result, str):
        raise ConfigurationError(f"{where} ({argv[0]}) {result}")
    return result


def _run_for_key(argv: list[str]) -> Secret | str:
    """The key, or what went wrong: the failures are told apart here and
    raised by the caller, outside any `except` block, so no exception carrying the
    command's output (a timeout's partial output) hangs on as the error's context."""
    import subprocess  # here: most programs never run a key command, and it is slow to import

    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            timeout=KEY_COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"did not finish within {KEY_COMMAND_TIMEOUT:g} s"
    except OSError as exc:
        return f"could not start: {exc.strerror or type(exc).__name__}"
    status = done.returncode
    try:
        secret = Secret(done.stdout.decode("utf-8").strip())
    except UnicodeDecodeError:
        secret = None
    del done  # the output, in clear, leaves this frame
    if status != 0:
        return f"failed with exit status {status}"
    if secret is None:
        return "printed something that is not UTF-8 text"
    if not secret:
        return "printed no key"
    return secret


def _quote(word: str) -> str:
    import shlex  # loaded when a key source is asked, not with a client

    return shlex.quote(word)
