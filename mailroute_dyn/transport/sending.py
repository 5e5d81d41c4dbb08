"""One request out and its response back, straight through the transport httpx chose for
our origin.

`httpx.Client.send` wraps every request in work this client does not use: a redirect loop
(redirects are judged in `tries`), the headers of every answer parsed into a cookie jar
that no request of ours ever carries, event hooks and a timer. Measured on a small GET
over loopback, that is about a third of the CPU of the whole request. So an `httpx.Client`
is kept only to choose and own the transport (the caller's, or httpx's own with the
environment's proxy for an https origin) and to close it; the two things of the rest
this client needs are done here: the timeout every request carries, and the auth flow.
The requests on the wire are the ones `httpx.Client.send` would send
(`tests/test_sending.py` compares them).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import GuardError, MailRouteError
from ..operations import Call
from ..settings.config import Settings
from .decisions import base_headers, build_request, redact_url
from .limits import read_limited, read_limited_async

#: What a read-only client may send: the methods that change nothing on the server.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

__all__ = ["SyncSender", "AsyncSender", "READ_METHODS", "refuse_in_read_only_mode"]


def _trust_env(settings: Settings, transport: object) -> bool:
    """Whether httpx may take proxies (and CA settings) from the environment: only for an
    https origin. Through a proxy, https is tunnelled and stays encrypted; plain http would
    hand the proxy every request, credentials included, in clear text."""
    return transport is None and urlsplit(settings.base_url).scheme == "https"


def _client_options(settings: Settings, transport: object) -> dict[str, Any]:
    return {
        "transport": transport,
        "timeout": httpx.Timeout(settings.timeout),
        "follow_redirects": False,
        "trust_env": _trust_env(settings, transport),
    }


def refuse_in_read_only_mode(settings: Settings, call: Call) -> None:
    """Raise `GuardError` for a write from a read-only client. Checked here, where every
    request of both clients is built, so no write (create, save, delete, action, bulk,
    `request()`, a redirect) can go out around it."""
    if settings.read_only and call.method.upper() not in READ_METHODS:
        raise GuardError(
            f"Read-only mode: {call.method.upper()} {redact_url(call.url)} was refused and "
            "nothing was sent. This client was made read-only (read_only=True, a profile's "
            "read_only = true, or --read-only); use a client without it to write."
        )


class _Sender:
    """What both senders share: the transport, the headers and the timeout."""

    def __init__(self, settings: Settings, client: httpx.Client | httpx.AsyncClient):
        self.settings = settings
        self._client = client
        # every request goes to the one origin, so its transport (and proxy) is chosen once
        self._transport: Any = client._transport_for_url(httpx.URL(settings.base_url))
        self._headers = httpx.Headers(base_headers(settings))
        self._extensions = {"timeout": client.timeout.as_dict()}
        self._auth = settings.credentials

    def _request(self, call: Call) -> httpx.Request:
        if self._client.is_closed:
            raise MailRouteError("This client is closed; make a new one to send requests.")
        refuse_in_read_only_mode(self.settings, call)
        return build_request(self.settings, call, self._headers, self._extensions)

    @staticmethod
    def _received(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        response.request = request
        return response


class SyncSender(_Sender):
    """Sends through the blocking transport."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None):
        client = httpx.Client(**_client_options(settings, transport))
        if transport is None:
            from .sockets import bound_sockets  # httpcore: loaded with a client, not on import

            bound_sockets(client)
        super().__init__(settings, client)

    def send(self, call: Call) -> httpx.Response:
        """The response to `call` with its body still to read: the caller reads and
        closes it."""
        request = self._request(call)
        if self._auth is None:
            return self._received(request, self._transport.handle_request(request))
        flow = self._auth.sync_auth_flow(request)
        try:
            request = next(flow)
            while True:
                response = self._received(request, self._transport.handle_request(request))
                try:
                    request = flow.send(response)
                except StopIteration:
                    return response
                except BaseException:
                    response.close()
                    raise
                try:  # a challenge, answered by the next request: read, so the
                    read_limited(response.iter_bytes(), response, None)  # connection is reused
                finally:
                    response.close()
        finally:
            flow.close()

    def close(self) -> None:
        self._client.close()  # type: ignore[union-attr]


class AsyncSender(_Sender):
    """Sends through the async transport."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        super().__init__(settings, httpx.AsyncClient(**_client_options(settings, transport)))

    async def send(self, call: Call) -> httpx.Response:
        """`SyncSender.send`, awaited."""
        request = self._request(call)
        if self._auth is None:
            return self._received(request, await self._transport.handle_async_request(request))
        flow = self._auth.async_auth_flow(request)
        try:
            request = await flow.__anext__()
            while True:
                response = self._received(
                    request, await self._transport.handle_async_request(request)
                )
                try:
                    request = await flow.asend(response)
                except StopAsyncIteration:
                    return response
                except BaseException:
                    await response.aclose()
                    raise
                try:
                    await read_limited_async(response, None)
                finally:
                    await response.aclose()
        finally:
            await flow.aclose()

    async def close(self) -> None:
        await self._client.aclose()  # type: ignore[union-attr]
