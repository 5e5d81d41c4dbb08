"""A concurrent walk keeps its window full: a slow page does not hold back the requests
after it, the server never sees more than `concurrently(n)` requests at once, pages come
in order, and a walk left early sends nothing more than what was already on the wire."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from mailroute_dyn import AsyncClient, Client
from tests.conftest import BASE, list_body, load, objects

ROWS = objects("domain")[:6] * 4  # 24 rows, one a page: 24 pages
ROWS = [{**row, "id": i, "resource_uri": f"/api/v1/domain/{i}/"} for i, row in enumerate(ROWS)]


class Server:
    """Pages of one row; the page at `slow_offset` takes `slow` seconds, others `delay`.
    Counts what is on the wire at once."""

    def __init__(self, slow_offset: int = -1, slow: float = 0.0, delay: float = 0.005):
        self.slow_offset, self.slow, self.delay = slow_offset, slow, delay
        self.lock = threading.Lock()
        self.on_wire = self.most_on_wire = 0
        self.offsets: list[int] = []
        self.sent_while_slow: list[int] = []
        self.slow_pending = False

    def _meta(self, request: httpx.Request) -> httpx.Response | tuple[int, int]:
        path = request.url.path
        if path.endswith("/schema/") or path == "/api/v1/":
            name = path.split("/")[3]
            return httpx.Response(
                200, json=load(f"schemas/{name}.json") if name else load("listing.json")
            )
        return int(request.url.params["offset"]), int(request.url.params["limit"])

    def _enter(self, offset: int) -> float:
        with self.lock:
            self.offsets.append(offset)
            if self.slow_pending:
                self.sent_while_slow.append(offset)
            if offset == self.slow_offset:
                self.slow_pending = True
            self.on_wire += 1
            self.most_on_wire = max(self.most_on_wire, self.on_wire)
        return self.slow if offset == self.slow_offset else self.delay

    def _leave(self, offset: int, limit: int) -> httpx.Response:
        with self.lock:
            self.on_wire -= 1
            if offset == self.slow_offset:
                self.slow_pending = False
        more = offset + limit < len(ROWS)
        return httpx.Response(
            200,
            json=list_body(
                ROWS[offset : offset + limit],
                limit=limit,
                offset=offset,
                total=len(ROWS),
                next_url=f"?limit={limit}&offset={offset + limit}" if more else None,
            ),
        )

    def sync_transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            meta = self._meta(request)
            if isinstance(meta, httpx.Response):
                return meta
            time.sleep(self._enter(meta[0]))
            return self._leave(*meta)

        return httpx.MockTransport(answer)

    def async_transport(self) -> httpx.MockTransport:
        async def answer(request: httpx.Request) -> httpx.Response:
            meta = self._meta(request)
            if isinstance(meta, httpx.Response):
                return meta
            await asyncio.sleep(self._enter(meta[0]))
            return self._leave(*meta)

        return httpx.MockTransport(answer)


def _walk_async(server: Server, window: int, stop_after: int | None = None) -> list[int]:
    async def walk() -> list[int]:
        async with AsyncClient(
            BASE, "demo", "demo-key-not-secret", cache_dir=None, transport=server.async_transport()
        ) as client:
            domain = await client.resource("domain")
            out: list[int] = []
            async for obj in domain.all().order_by("-created_at").page_size(1).concurrently(window):
                out.append(obj.id)
                if stop_after is not None and len(out) >= stop_after:
                    break
            return out

    return asyncio.run(walk())


def _walk_sync(server: Server, window: int) -> list[int]:
    with Client(
        BASE,
        "demo",
        "demo-key-not-secret",
        cache_dir=None,
        transport=server.sync_transport(),
        concurrency=window,
    ) as client:
        qs = client.domain.all().order_by("-created_at").page_size(1).concurrently(window)
        return [obj.id for obj in qs]


@pytest.mark.slow
@pytest.mark.parametrize("window", [2, 4])
def test_a_slow_page_does_not_hold_back_the_requests_after_it(window):
    server = Server(slow_offset=1, slow=0.3)
    walked = _walk_async(server, window)
    assert walked == list(range(len(ROWS)))  # in order, each once
    # while page 1 was slow, the other places in the window went on working: more pages
    # were asked for than the window holds, up to the pages started ahead (two windows)
    assert window < len(server.sent_while_slow) <= 2 * window
    assert server.most_on_wire <= window


@pytest.mark.parametrize("walk", [_walk_async, _walk_sync], ids=["async", "sync"])
def test_the_server_never_sees_more_than_the_window_at_once(walk):
    server = Server(delay=0.002)
    assert walk(server, 3) == list(range(len(ROWS)))
    assert 1 < server.most_on_wire <= 3
    assert sorted(server.offsets) == list(range(len(ROWS)))  # no page asked twice


def test_leaving_a_walk_early_sends_nothing_that_was_waiting_for_its_turn():
    server = Server(delay=0.02)
    walked = _walk_async(server, 2, stop_after=1)
    time.sleep(0.05)  # anything still scheduled would have been sent by now
    assert walked == [0]
    # the first page, then at most the two that were on the wire when the walk stopped
    assert len(server.offsets) <= 1 + 2
