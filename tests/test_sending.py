"""The sender goes straight to httpx's transport, past `httpx.Client.send`. What
`httpx.Client.send` would have put on the wire must still be there: the same requests
byte for byte (headers, body, timeout) for every kind of auth, and the auth flow with its
challenges; and a closed client sends nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from mailroute_dyn import ApiKeyAuth, BasicAuth, DigestAuth, MailRouteError, SessionAuth
from mailroute_dyn.operations import NO_BODY, Call
from mailroute_dyn.settings.config import resolve_settings
from mailroute_dyn.transport.decisions import base_headers, build_request
from mailroute_dyn.transport.sending import AsyncSender, SyncSender
from tests.conftest import API_KEY, BASE, LOGIN

PASSWORD = "fake-password-not-real"
AUTHS = {
    "none": None,
    "apikey": ApiKeyAuth(LOGIN, API_KEY),
    "basic": BasicAuth(LOGIN, PASSWORD),
    "session": SessionAuth("fake-session-id", "fake-csrf-token"),
}
CALLS = [
    Call("GET", "/api/v1/domain/", (("limit", "20"), ("name__startswith", "a b&c"))),
    Call("GET", f"{BASE}/api/v1/domain/7/?format=json"),
    Call("POST", "/api/v1/domain/", (), {"name": "é.example", "active": True}),
    Call("PATCH", "/api/v1/domain/", (), {"objects": [], "deleted_objects": ["/x/1/"]}),
    Call("DELETE", "/api/v1/domain/7/"),
]


def _wire_form(request: httpx.Request) -> tuple[Any, ...]:
    return (
        request.method,
        str(request.url),
        request.headers.multi_items(),
        request.read(),
        request.extensions.get("timeout"),
    )


def _through_httpx_client(settings: Any, call: Call) -> httpx.Request:
    """The request `httpx.Client.send` puts on the wire for the same call."""
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(204))
    with httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(settings.timeout),
        auth=settings.credentials,
        follow_redirects=False,
    ) as client:
        client.send(build_request(settings, call, base_headers(settings)))
    return seen[0]


@pytest.mark.parametrize("auth", AUTHS.values(), ids=AUTHS.keys())
@pytest.mark.parametrize("call", CALLS, ids=[f"{c.method} {c.url}" for c in CALLS])
def test_the_request_on_the_wire_is_what_httpx_client_would_send(auth, call):
    settings = resolve_settings(base_url=BASE, auth=auth, cache_dir=None)
    seen: list[httpx.Request] = []
    sender = SyncSender(
        settings, httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(204))
    )
    sender.send(call).close()
    assert _wire_form(seen[0]) == _wire_form(_through_httpx_client(settings, call))


class _Recorded(httpx.ByteStream):
    """A body that remembers whether it was read to the end and closed."""

    def __init__(self, body: bytes, marks: list[str]):
        super().__init__(body)
        self.marks = marks

    def __iter__(self) -> Any:
        yield from super().__iter__()
        self.marks.append("read")

    async def __aiter__(self) -> Any:
        async for chunk in super().__aiter__():
            yield chunk
        self.marks.append("read")

    def close(self) -> None:
        self.marks.append("closed")

    async def aclose(self) -> None:
        self.marks.append("closed")


def _digest_server(marks: list[str], challenge_body: bytes) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if not request.headers.get("Authorization", "").startswith("Digest "):
            return httpx.Response(
                401,
                stream=_Recorded(challenge_body, marks),
                headers={"WWW-Authenticate": 'Digest realm="api", nonce="n1", qop="auth"'},
            )
        return httpx.Response(200, json={"ok": True})

    return httpx.MockTransport(answer)


def test_a_challenge_is_read_and_closed_before_its_answer_is_sent_sync_and_async():
    settings = resolve_settings(base_url=BASE, auth=DigestAuth(LOGIN, PASSWORD), cache_dir=None)
    marks: list[str] = []
    sync = SyncSender(settings, _digest_server(marks, b"challenge"))
    response = sync.send(Call("GET", "/api/v1/"))
    assert response.status_code == 200 and marks == ["read", "closed"]
    response.close()

    async def run() -> int:  # a new DigestAuth: the first one knows the nonce now
        sender = AsyncSender(
            resolve_settings(base_url=BASE, auth=DigestAuth(LOGIN, PASSWORD), cache_dir=None),
            _digest_server(marks, b"challenge"),
        )
        reply = await sender.send(Call("GET", "/api/v1/"))
        await reply.aclose()
        return reply.status_code

    marks.clear()
    assert asyncio.run(run()) == 200 and marks == ["read", "closed"]


def test_a_challenge_body_is_held_to_the_size_limit(monkeypatch):
    monkeypatch.setattr("mailroute_dyn.transport.limits.MAX_BODY_BYTES", 1000)
    settings = resolve_settings(base_url=BASE, auth=DigestAuth(LOGIN, PASSWORD), cache_dir=None)
    marks: list[str] = []
    sender = SyncSender(settings, _digest_server(marks, b"x" * 5000))
    with pytest.raises(MailRouteError, match="larger than"):
        sender.send(Call("GET", "/api/v1/"))
    assert marks == ["closed"]


def test_a_closed_client_sends_nothing():
    seen: list[httpx.Request] = []
    settings = resolve_settings(base_url=BASE, login=LOGIN, api_key=API_KEY, cache_dir=None)
    transport = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(204))
    sync = SyncSender(settings, transport)
    sync.close()
    with pytest.raises(MailRouteError, match="closed"):
        sync.send(Call("GET", "/api/v1/"))

    async def run() -> None:
        sender = AsyncSender(settings, transport)
        await sender.close()
        await sender.send(Call("GET", "/api/v1/"))

    with pytest.raises(MailRouteError, match="closed"):
        asyncio.run(run())
    assert seen == []


def test_a_body_call_is_json_with_its_content_type():
    settings = resolve_settings(base_url=BASE, login=LOGIN, api_key=API_KEY, cache_dir=None)
    request = build_request(settings, Call("PUT", "/api/v1/domain/1/", (), None))
    assert request.headers["content-type"] == "application/json"
    assert request.read() == b"null"  # a JSON null is a body, NO_BODY is none
    empty = build_request(settings, Call("GET", "/api/v1/domain/1/", (), NO_BODY))
    assert "content-type" not in empty.headers and empty.read() == b""


def test_a_server_that_compresses_is_asked_to_and_its_pages_are_read():
    import gzip
    import json

    from mailroute_dyn import Client
    from tests.conftest import list_body, load, objects

    rows = objects("domain")[:3]
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers.get("accept-encoding", ""))
        path = request.url.path
        if path == "/api/v1/":
            body: Any = load("listing.json")
        elif path.endswith("/schema/"):
            body = load(f"schemas/{path.split('/')[3]}.json")
        else:
            body = list_body(rows, limit=20, offset=0, total=len(rows))
        if "gzip" not in request.headers.get("accept-encoding", ""):
            return httpx.Response(200, json=body)
        return httpx.Response(
            200,
            content=gzip.compress(json.dumps(body).encode()),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )

    with Client(
        BASE, LOGIN, API_KEY, transport=httpx.MockTransport(answer), cache_dir=None
    ) as client:
        names = [d.name for d in client.domain.all()]
    assert names == [r["name"] for r in rows]
    assert asked and all("gzip" in a for a in asked)


def test_the_private_httpx_names_the_deadline_needs_are_still_there(monkeypatch):
    """httpx offers no public way to put the deadline on its own sockets, so `sockets` and
    `sending` reach into it, and pyproject.toml pins httpx below its next minor release.
    When a new httpx moves a name, this fails and says which, before any user's client can
    quietly lose its deadline."""
    import httpcore

    from mailroute_dyn.transport.sockets import PRIVATE_NAMES, _DeadlineBackend

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # a proxy mount as well
    settings = resolve_settings(None, base_url=BASE, login=LOGIN, api_key=API_KEY)
    sender = SyncSender(settings)
    try:
        client = sender._client
        found = {
            "httpx.Client._transport_for_url": callable(
                getattr(client, "_transport_for_url", None)
            ),
            "httpx.Client._transport": isinstance(
                getattr(client, "_transport", None), httpx.HTTPTransport
            ),
            "httpx.Client._mounts": isinstance(getattr(client, "_mounts", None), dict),
            "httpx.HTTPTransport._pool": isinstance(
                getattr(client._transport, "_pool", None), httpcore.ConnectionPool
            ),
            "httpcore.ConnectionPool._network_backend": all(
                isinstance(t._pool._network_backend, _DeadlineBackend)
                for t in [client._transport, *client._mounts.values()]
            ),
        }
        assert set(found) == set(PRIVATE_NAMES)
        moved = [name for name, ok in found.items() if not ok]
        assert not moved, (
            f"httpx {httpx.__version__} moved {moved}: the per-request "
            "deadline no longer reaches the sockets (see transport/sockets.py)"
        )
        assert len(client._mounts) >= 1  # the proxy's transport was bounded too
    finally:
        sender.close()


def test_an_httpx_transport_whose_sockets_cannot_be_found_is_refused_not_unbounded():
    from mailroute_dyn.transport.sockets import bound_sockets

    client = httpx.Client()
    try:
        del client._transport._pool._network_backend
        with pytest.raises(MailRouteError, match="deadline"):
            bound_sockets(client)
    finally:
        client.close()
