"""What every CLI command shares: the parsed arguments, one lazily built client, output
streams looked up at call time (so tests can capture them), and the masking of the key.

Commands raise `CommandUsageError` (errors.py) for a command line that cannot be used as
typed (exit 2) and let `MailRouteError` through for what the client or the server refused
(exit 1).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx

from ..client import Client
from ..errors import ConfigurationError
from ..escaping import terminal_text
from ..model.resources import Resource
from ..settings.auth import Secret

__all__ = ["Context", "mask"]


def mask(text: str, secrets: set[Any]) -> str:
    """`text` with every secret (a str or a `Secret`) replaced: no credential is printed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret.reveal() if isinstance(secret, Secret) else secret, "***")
    return text


@dataclass
class Context:
    """One run of the program: arguments, the client (built on first use), output."""

    args: argparse.Namespace
    transport: httpx.BaseTransport | None = None
    secrets: set[Any] = field(default_factory=set)
    _client: Client | None = None

    # -- output

    @property
    def out(self) -> TextIO:
        return sys.stdout

    @property
    def err(self) -> TextIO:
        return sys.stderr

    def mask(self, text: str) -> str:
        return mask(text, self.secrets)

    def note(self, text: str) -> None:
        """A message for the person at the terminal (stderr, so stdout stays data): one
        line, control characters escaped, since it may quote a server's names."""
        print(terminal_text(self.mask(text)), file=self.err)

    def notes(self, first: str, more: Iterable[str] = ()) -> None:
        """`first` and each of `more` as a `note` line of its own: a name holding a
        newline still cannot add a line."""
        for line in (first, *more):
            self.note(line)

    # -- the client

    def client_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """Arguments for `Client` from the global options (profile and environment are
        merged by `Client` itself)."""
        a = self.args
        kwargs: dict[str, Any] = {
            "base_url": a.url,
            "login": a.login,
            "api_key": a.api_key,
            "auth": getattr(a, "auth", None),
            "profile": a.profile,
            "page_size": a.page_size,
            "transport": self.transport,
            "max_rate": getattr(a, "max_rate", None),
        }
        if a.no_cache:
            kwargs["cache_dir"] = None
        if getattr(a, "read_only", False):
            kwargs["read_only"] = True  # absent: the profile's read_only decides
        kwargs.update(overrides)
        return kwargs

    def make_client(self, **overrides: Any) -> Client:
        """A new client from the options; `--demo` gives one on the built-in demo server."""
        if self.args.api_key:
            self.secrets.add(self.args.api_key)
        if self.args.demo:
            kwargs: dict[str, Any] = {}
            if self.transport is not None:
                kwargs["transport"] = self.transport
            if self.args.page_size:
                kwargs["page_size"] = self.args.page_size
            if getattr(self.args, "read_only", False):
                kwargs["read_only"] = True
            if getattr(self.args, "max_rate", None):
                kwargs["max_rate"] = self.args.max_rate
            client = Client.demo(**kwargs)
        else:
            client = Client(**self.client_kwargs(**overrides))
            if client.settings.credentials is None:
                client.close()
                raise ConfigurationError(
                    "no credentials: set MAILROUTE_LOGIN and MAILROUTE_API_KEY (or --auth "
                    "with MAILROUTE_PASSWORD, MAILROUTE_SESSIONID/MAILROUTE_CSRFTOKEN), name "
                    "a profile with --profile, or try the demo server with --demo"
                )
        self.secrets.update(client.settings.secrets)
        return client

    @property
    def demo(self) -> bool:
        return bool(self.args.demo)

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = self.make_client()
        return self._client

    def resource(self, name: str) -> type[Resource]:
        """The class of resource `name` (`UnknownResource`, with a suggestion, if none)."""
        return self.client.resource(name)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
