"""`qs.last()` without an ordering counts the matches, then fetches the one at the last
offset: rows other clients add or delete between those two requests must never make it
answer "nothing" while rows match (issue 18 item 4).

The race is played on the real django-tastypie server (tests/tastypie_site), sync through
WSGI and async through ASGI, by a transport that lets "another client" delete a row right
after the count's answer; listings that never hold still come from respx.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from mailroute_dyn import AsyncClient, ListingChanged, ResponseError
from mailroute_dyn.query.habits import LAST_TRIES
from tests.conftest import BASE, list_body, objects
from tests.helpers import site_client

RESELLERS = re.escape(f"{BASE}/api/v1/reseller/") + r"\?"


def _is_count(request: httpx.Request) -> bool:
    """The count last() sends first: a limit=1 list request at offset 0."""
    params = request.url.params
    return (
        request.method == "GET"
        and params.get("limit") == "1"
        and params.get("offset") == "0"
        and "name__startswith" in params
    )


class DeleteAfterCount(httpx.BaseTransport):
    """The real server, where another client deletes `victim` just after the first count
    has been answered (between last()'s two requests)."""

    def __init__(self, app: Any, victim: str):
        self.inner = httpx.WSGITransport(app=app)
        self.victim = victim
        self.deleted = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not self.deleted and _is_count(request):
            self.deleted = True
            from tests.tastypie_site import auth_header

            other = self.inner.handle_request(
                httpx.Request("DELETE", f"http://tastypie.test{self.victim}", headers=auth_header())
            )
            assert other.status_code == 204
        return response


class AsyncDeleteAfterCount(httpx.AsyncBaseTransport):
    """As `DeleteAfterCount`, for an AsyncClient on the server's ASGI application."""

    def __init__(self, victim: str):
        from django.core.asgi import get_asgi_application

        self.inner = httpx.ASGITransport(app=get_asgi_application())
        self.victim = victim
        self.deleted = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not self.deleted and _is_count(request):
            self.deleted = True
            from tests.tastypie_site import auth_header

            other = await self.inner.handle_async_request(
                httpx.Request("DELETE", f"http://tastypie.test{self.victim}", headers=auth_header())
            )
            assert other.status_code == 204
        return response


@pytest.fixture
def three_resellers(tastypie_client) -> Iterator[tuple[str, list[Any]]]:
    """Three resellers of a tag of their own (in the server's default order by id)."""
    tag = f"Last {uuid.uuid4().hex[:6]}"
    made = [tastypie_client.reseller.create(name=f"{tag} {i}") for i in range(3)]
    yield tag, made
    tastypie_client.reseller.filter(name__startswith=tag).delete(confirm=True)


@pytest.mark.parametrize("victim", [0, 2])  # a row before the last one, or the last one
def test_last_finds_a_row_when_another_client_deletes_one_after_the_count(
    tastypie_app, three_resellers, victim
):
    tag, made = three_resellers
    transport = DeleteAfterCount(tastypie_app, made[victim].resource_uri)
    with site_client(transport) as client:
        last = client.reseller.filter(name__startswith=tag).last()
    assert transport.deleted
    assert last is not None and last.name == f"{tag} {1 if victim == 2 else 2}"


def test_async_last_finds_a_row_when_another_client_deletes_one_after_the_count(
    tastypie_app, three_resellers
):

    tag, made = three_resellers

    async def main() -> tuple[Any, bool]:
        transport = AsyncDeleteAfterCount(made[0].resource_uri)
        async with site_client(transport, kind=AsyncClient) as client:
            reseller = await client.resource("reseller")
            last = await reseller.filter(name__startswith=tag).last()
            return last, transport.deleted

    last, deleted = asyncio.run(main())
    assert deleted and last is not None and last.name == f"{tag} 2"


def test_values_last_finds_a_row_after_the_race_too(tastypie_app, three_resellers):
    tag, made = three_resellers
    transport = DeleteAfterCount(tastypie_app, made[2].resource_uri)
    with site_client(transport) as client:
        qs = client.reseller.filter(name__startswith=tag)
        assert qs.values_list("name", flat=True).last() == f"{tag} 1"


# ---------------------------------------------------------------- listings that never hold


def _shrinking(totals: Iterator[int]) -> Callable[[httpx.Request], httpx.Response]:
    """A reseller list whose total_count is the next of `totals` on every answer, and
    whose page past the end of that total is empty (as Tastypie's)."""
    rows = objects("reseller")

    def answer(request: httpx.Request) -> httpx.Response:
        total = next(totals)
        offset = int(request.url.params.get("offset", 0))
        page = [rows[offset % len(rows)]] if offset < total else []
        return httpx.Response(200, json=list_body(page, limit=1, offset=offset, total=total))

    return answer


def test_last_raises_listing_changed_only_when_every_try_sees_a_new_total(client, api):
    route = api.override("GET", url__regex=RESELLERS).mock(
        side_effect=_shrinking(iter(range(50, 0, -1)))
    )
    with pytest.raises(ListingChanged, match="last"):
        client.reseller.filter(name__startswith="r").last()
    assert route.call_count == 1 + LAST_TRIES


def test_last_settles_on_the_second_answer_when_the_listing_then_holds(client, api):
    route = api.override("GET", url__regex=RESELLERS).mock(side_effect=_shrinking(iter([3, 2, 2])))
    found = client.reseller.filter(name__startswith="r").last()
    assert found is not None and found.id == objects("reseller")[1]["id"]
    assert [r.url.params["offset"] for r in api.requests("/reseller/?")] == ["0", "2", "1"]
    assert route.call_count == 3


def test_last_says_none_only_when_the_second_answer_counts_no_row(client, api):
    api.override("GET", url__regex=RESELLERS).mock(side_effect=_shrinking(iter([3, 0])))
    assert client.reseller.filter(name__startswith="r").last() is None


def test_a_server_counting_rows_it_does_not_list_is_a_response_error(client, api):
    api.override("GET", url__regex=RESELLERS).mock(
        return_value=httpx.Response(200, json=list_body([], limit=1, total=4))
    )
    with pytest.raises(ResponseError, match="counts 4 reseller rows but lists none"):
        client.reseller.filter(name__startswith="r").last()


def test_a_slice_keeps_its_last_row_while_rows_past_it_go(client, api):
    route = api.override("GET", url__regex=RESELLERS).mock(side_effect=_shrinking(iter([9, 8])))
    found = client.reseller.filter(name__startswith="r")[:3].last()
    assert found is not None and route.call_count == 2


def test_async_last_raises_listing_changed_when_every_try_sees_a_new_total():
    totals = iter(range(50, 0, -1))
    answer = _shrinking(totals)

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v1/":
            return httpx.Response(
                200,
                json={
                    "reseller": {
                        "list_endpoint": "/api/v1/reseller/",
                        "schema": "/api/v1/reseller/schema/",
                    }
                },
            )
        if path.endswith("/schema/"):
            from tests.conftest import schema

            return httpx.Response(200, json=schema("reseller"))
        return answer(request)

    async def main(run: Callable[[Any], Awaitable[Any]]) -> Any:
        async with AsyncClient(
            BASE,
            "tester",
            "fake-key-not-real",
            cache_dir=None,
            retries=0,
            transport=httpx.MockTransport(handler),
        ) as client:
            reseller = await client.resource("reseller")
            return await run(reseller.filter(name__startswith="r"))

    with pytest.raises(ListingChanged):
        asyncio.run(main(lambda qs: qs.last()))
    assert next(totals) == 50 - (1 + LAST_TRIES)
