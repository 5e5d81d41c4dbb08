"""Sync and async as siblings of one base (issue 19): the async values rows, and the one
table of verbs (mailroute_dyn/verbs.py) that both siblings of each surface hold."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from mailroute_dyn import AsyncClient, Client
from mailroute_dyn.query import AsyncQuerySet, AsyncValuesQuerySet, QuerySet, ValuesQuerySet
from mailroute_dyn.testing import FakeMailRoute
from tests.conftest import FIXTURES

KEY = "demo-key-not-secret"


def _fake() -> FakeMailRoute:
    return FakeMailRoute(FIXTURES, login="demo", api_key=KEY)


def _sync_client() -> Client:
    return Client("https://fake.mailroute.test", "demo", KEY, transport=_fake(),
                  cache_dir=None, retries=0, page_size=3)


def _async_client() -> AsyncClient:
    return AsyncClient("https://fake.mailroute.test", "demo", KEY, transport=_fake(),
                       cache_dir=None, retries=0, page_size=3)


def _sync_answers() -> dict[str, object]:
    with _sync_client() as client:
        qs = client.resource("domain").all().order_by("name")
        ids = qs.values("id", "name")
        return {
            "count": ids.count(),
            "rows": list(ids),
            "flat": list(qs.values_list("name", flat=True)),
            "tuples": list(qs.values_list("id", "name")[:2]),
            "first": ids.first(),
            "last": ids.last(),
            "at_1": ids[1],
            "exists": ids.exists(),
            "get": qs.values("name").get(name=ids.first()["name"]),
            "in_bulk": qs.values("name").in_bulk([ids[0]["id"]]),
        }


async def _async_answers() -> dict[str, object]:
    async with _async_client() as client:
        qs = (await client.resource("domain")).all().order_by("name")
        ids = qs.values("id", "name")
        first = await ids.first()
        return {
            "count": await ids.count(),
            "rows": [row async for row in ids],
            "flat": [name async for name in qs.values_list("name", flat=True)],
            "tuples": [row async for row in qs.values_list("id", "name")[:2]],
            "first": first,
            "last": await ids.last(),
            "at_1": await ids[1],
            "exists": await ids.exists(),
            "get": await qs.values("name").get(name=first["name"]),
            "in_bulk": await qs.values("name").in_bulk([(await ids[0])["id"]]),
        }


def test_an_async_clients_values_rows_are_awaited_and_match_the_sync_ones():
    sync = _sync_answers()
    answers = asyncio.run(_async_answers())
    assert type(answers["count"]) is int and answers["count"] == len(answers["rows"]) > 3
    assert answers == sync                   # same rows, same shapes, page after page
    assert all(set(row) == {"id", "name"} for row in answers["rows"])
    assert all(isinstance(name, str) for name in answers["flat"])
    assert all(type(row) is tuple and len(row) == 2 for row in answers["tuples"])


def test_values_querysets_are_the_siblings_own_kind():
    async def kinds() -> tuple[type, type]:
        async with _async_client() as client:
            Domain = await client.resource("domain")
            return type(Domain.values("id")), type(Domain.all().values_list("id"))
    assert asyncio.run(kinds()) == (AsyncValuesQuerySet, AsyncValuesQuerySet)
    with _sync_client() as client:
        Domain = client.resource("domain")
        assert type(Domain.values("id")) is ValuesQuerySet
        assert type(Domain.all().values_list("id")) is ValuesQuerySet
    assert not issubclass(AsyncQuerySet, QuerySet) and not issubclass(QuerySet, AsyncQuerySet)


def test_an_async_values_queryset_refuses_a_plain_for_and_len():
    async def main() -> None:
        async with _async_client() as client:
            rows = (await client.resource("domain")).values("id")
            with pytest.raises(TypeError, match="async for"):
                list(rows)
            with pytest.raises(TypeError, match="await qs.count"):
                len(rows)
    asyncio.run(main())


def test_an_update_through_values_rows_saves_instances():
    async def main() -> None:
        async with _async_client() as client:
            Domain = await client.resource("domain")
            one = await Domain.first()
            matches = Domain.filter(name=one.name)
            result = await matches.values("id").update(active=not one.active)
            assert [obj.id for obj in result.succeeded] == [one.id]
            assert (await matches.values_list("active", flat=True)[0]) is (not one.active)
    asyncio.run(main())


def test_the_values_row_strategy_keeps_the_signatures_of_both_siblings():
    for name in ("values", "values_list"):
        assert (inspect.signature(getattr(QuerySet, name)).parameters
                == inspect.signature(getattr(AsyncQuerySet, name)).parameters)
