"""The deadline down to each socket wait of httpx's own transports: a socket backend for
httpcore whose every read, write and connect ends by the request's deadline.

Apart from `limits` because it imports httpcore (and with it every async backend that is
installed): the sessions load it when a client is made, so `import mailroute_dyn` stays
cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from ..errors import MailRouteError
from .limits import clamped

__all__ = ["bound_sockets"]


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every wait ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, clamped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, clamped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.start_tls(
                ssl_context, server_hostname, clamped(timeout, httpcore.ConnectTimeout)
            )
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own backend, with `_DeadlineStream` sockets."""

    def __init__(self, inner: httpcore.NetworkBackend):
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.connect_tcp(
                host, port, clamped(timeout, httpcore.ConnectTimeout), local_address, socket_options
            )
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.connect_unix_socket(
                path, clamped(timeout, httpcore.ConnectTimeout), socket_options
            )
        )

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


#: What this module and `sending` reach into: httpx and httpcore offer no public way to give
#: httpx's own transport another socket backend. pyproject.toml pins httpx below its next
#: minor release, and `tests/test_sending.py` fails loudly when one of these names moves.
PRIVATE_NAMES = (
    "httpx.Client._transport_for_url",
    "httpx.Client._transport",
    "httpx.Client._mounts",
    "httpx.HTTPTransport._pool",
    "httpcore.ConnectionPool._network_backend",
)


def bound_sockets(client: httpx.Client) -> None:
    """Give httpx's own transports (direct and proxy) the deadline-aware socket backend.
    A transport passed by the caller keeps its own; its body is still cut at the deadline.

    An httpx transport whose backend cannot be found raises rather than going on without
    the deadline: a client that can hang forever must not look like one that cannot."""
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        if not isinstance(transport, httpx.HTTPTransport):
            continue  # a mount the caller made keeps its own sockets
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if not isinstance(backend, httpcore.NetworkBackend):
            raise MailRouteError(
                f"httpx {httpx.__version__} with httpcore {httpcore.__version__} keeps its "
                "sockets where this version of mailroute_dyn cannot bound them by the "
                "request's deadline; install the httpx version pyproject.toml names."
            )
        if not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
