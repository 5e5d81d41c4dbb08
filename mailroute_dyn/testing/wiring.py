"""What the pytest plugin's fixtures hand out, put together: one test's way to its server
(the fake, a real server, or a cassette), the fault controls in front of it, and the
sync and async clients on it. Loaded by the fixtures, not with the plugin.

Both clients of a test send through the same fault controls and the same journal of
writes, so `mailroute` and `mailroute_async` see one server, faults injected once reach
either, and what either writes on a real server is taken back at teardown.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from ..client import AsyncClient, Client
from ..fake import DEMO_KEY, DEMO_LOGIN
from ..fake.faults import FaultyTransport
from ..fake.server import FakeMailRoute
from ..settings.auth import Secret
from ..settings.config import Settings
from .cassettes import Player, Recorder
from .cleanup import JournaledWrites, put_back
from .switch import FAKE_URL

__all__ = ["Wiring", "on_fake", "on_server", "on_cassette", "own_async_transport"]

_REPLAY_KEY = "replay-key-not-secret"  # a cassette holds no key: any key will do


class Wiring:
    """One test's transports and clients, built on first use and torn down together."""

    def __init__(
        self,
        transport: FakeMailRoute | FaultyTransport,
        client_options: dict[str, Any],
        writes: JournaledWrites | None = None,
        recorder: Recorder | None = None,
        cassette: Path | None = None,
    ):
        self.faults = transport
        self._options = client_options
        self._writes = writes
        self._recorder = recorder
        self._cassette = cassette
        self._client: Client | None = None
        self._async_client: AsyncClient | None = None

    def client(self) -> Client:
        if self._client is None:
            self._client = Client(transport=self.faults, **self._options)
        return self._client

    def async_client(self) -> AsyncClient:
        if self._async_client is None:
            self._async_client = AsyncClient(transport=self.faults, **self._options)
        return self._async_client

    def teardown(self) -> None:
        """Take back what the test wrote, write its cassette, close both clients."""
        self.faults.clear_faults()
        try:
            if self._writes is not None:
                put_back(self.client(), self._writes)
            if self._recorder is not None and self._cassette is not None:
                settings = self.client().settings
                self._recorder.write(self._cassette, settings.base_url, settings.api_path)
        finally:
            if self._client is not None:
                self._client.close()
            if self._async_client is not None:
                # the test's event loop may be gone: the async transports keep no
                # connection between requests, so closing needs no loop of theirs
                asyncio.run(self._async_client.close())


def on_fake(fake: FakeMailRoute, backoff: float | None) -> Wiring:
    return Wiring(
        fake,
        {
            "base_url": FAKE_URL,
            "login": DEMO_LOGIN,
            "api_key": DEMO_KEY,
            "cache_dir": None,
            "backoff": 0.0 if backoff is None else backoff,
        },
    )


def _server_options(settings: Settings) -> dict[str, Any]:
    """The credentials resolved once for this run, for the server they were resolved
    for (the client reads nothing from the environment on its own)."""
    return {
        "base_url": settings.base_url,
        "login": settings.login,
        "api_key": settings.api_key,
        "auth": settings.auth,
        "api_path": settings.api_path,
        "timeout": settings.timeout,
        "retries": settings.retries,
        "retry_budget": settings.retry_budget,
        "page_size": settings.page_size,
        "concurrency": settings.concurrency,
        "cache_dir": None,
        "backoff": settings.backoff,
        "allow_insecure": settings.allow_insecure or None,
    }


def own_async_transport() -> httpx.AsyncHTTPTransport:
    """httpx's async transport, keeping no connection open between requests: so the
    fixture can close it after the test whatever event loop ran the test."""
    return httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))


def on_server(
    settings: Settings,
    sync_inner: httpx.BaseTransport | None,
    async_inner: httpx.AsyncBaseTransport | None,
    cassette: Path | None,
    journal: Path,
) -> Wiring:
    """A real server, the test's writes journaled to `journal`; with `cassette`, every
    exchange is recorded there at teardown."""
    sync = sync_inner or httpx.HTTPTransport()
    async_ = async_inner or own_async_transport()
    recorder = None
    if cassette is not None:
        recorder = Recorder(sync, async_, _secrets_of(settings))
        sync, async_ = recorder, recorder
    writes = JournaledWrites(sync, settings.api_path, journal, async_inner=async_)
    return Wiring(FaultyTransport(writes), _server_options(settings), writes, recorder, cassette)


def _secrets_of(settings: Settings) -> list[Secret]:
    """The secrets of the credentials in use: the API key, and those the auth holds."""
    found = [settings.api_key] if settings.api_key is not None else []
    held = getattr(settings.auth, "__dict__", {})
    return found + [value for value in held.values() if isinstance(value, Secret)]


def on_cassette(cassette: Path, backoff: float | None, journal: Path) -> Wiring:
    """The server as a cassette recorded it, offline; the test's writes are taken back
    from the cassette as the recording did."""
    player = Player(cassette)
    writes = JournaledWrites(player, player.api_path, journal, async_inner=player)
    options = {
        "base_url": player.base_url,
        "api_path": player.api_path,
        "login": "replay",
        "api_key": _REPLAY_KEY,
        "cache_dir": None,
        "allow_insecure": True,
        "backoff": 0.0 if backoff is None else backoff,
    }
    return Wiring(FaultyTransport(writes), options, writes)
