"""Bulk writes (PATCH list where allowed, concurrent single requests otherwise) and the
AsyncClient: the same operations awaited, concurrent paging, explicit related fetches."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from mailroute_dyn import AsyncClient, BulkResult, Client, MailRouteError, ValidationError
from mailroute_dyn.model.bulk import patch_list_allowed
from mailroute_dyn.testing import FakeMailRoute
from tests.conftest import FIXTURES


def test_bulk_create_update_delete_with_patch_list(tastypie_client):
    Reseller = tastypie_client.reseller  # patch on list, put/delete on detail
    assert patch_list_allowed(Reseller)
    tag = uuid.uuid4().hex[:6]
    result = Reseller.bulk_create(
        [{"name": f"Bulk {tag} {i}"} for i in range(5)] + [{"nmae": "typo"}]
    )
    assert isinstance(result, BulkResult)
    assert len(result.succeeded) == 5 and len(result.failed) == 1
    assert isinstance(result.failed[0][1], ValidationError)
    made = list(Reseller.filter(name__startswith=f"Bulk {tag}"))
    assert sorted(r.name for r in made) == [f"Bulk {tag} {i}" for i in range(5)]
    for r in made:
        r.allow_branding = True
    assert Reseller.bulk_update(made).ok
    assert all(r.allow_branding for r in Reseller.filter(name__startswith=f"Bulk {tag}"))
    assert Reseller.bulk_delete(made).ok
    assert Reseller.filter(name__startswith=f"Bulk {tag}").count() == 0


def test_patch_list_is_atomic_and_reports_every_object_failed(tastypie_client):
    Reseller = tastypie_client.reseller
    tag = uuid.uuid4().hex[:6]
    existing = Reseller.create(name=f"Taken {tag}")
    result = Reseller.bulk_create([{"name": f"Fine {tag}"}, {"name": f"Taken {tag}"}])
    assert not result.ok and len(result.failed) == 2 and not result.succeeded
    assert Reseller.filter(name=f"Fine {tag}").count() == 0  # rolled back
    with pytest.raises(MailRouteError):
        result.raise_first()
    existing.delete()


def test_bulk_without_patch_list_uses_concurrent_requests(tastypie_client):
    Domain = tastypie_client.domain  # no patch: POST / PUT / DELETE each
    assert not patch_list_allowed(Domain)
    customer = tastypie_client.customer.first()
    tag = uuid.uuid4().hex[:6]
    names = [f"bulk-{tag}-{i}.test" for i in range(6)]
    # the duplicate exists beforehand: two concurrent POSTs of one new name race past
    # Django's uniqueness check and the loser gets a 500 from the database instead
    taken = Domain.create(name=f"taken-{tag}.test", customer=customer)
    result = Domain.bulk_create(
        [{"name": n, "customer": customer} for n in names]
        + [{"name": taken.name, "customer": customer}]
    )
    assert len(result.succeeded) == 6 and len(result.failed) == 1
    assert "already exists" in str(result.failed[0][1])
    assert all(d.resource_uri for d in result.succeeded)
    for d in result.succeeded:
        d.hold_email = True
    assert Domain.bulk_update(result.succeeded).ok
    assert Domain.filter(name__startswith=f"bulk-{tag}").count() == 6
    assert all(d.hold_email for d in Domain.filter(name__startswith=f"bulk-{tag}"))
    gone = Domain.bulk_delete([d.id for d in result.succeeded] + [taken.id])
    assert gone.ok and Domain.filter(name__startswith=f"bulk-{tag}").count() == 0


def run(coro):
    return asyncio.run(coro)


def fake_async(**kw) -> AsyncClient:
    fake = FakeMailRoute(FIXTURES, login="demo", api_key="demo-key-not-secret")
    return AsyncClient(
        "https://fake.mailroute.test",
        "demo",
        "demo-key-not-secret",
        transport=fake,
        cache_dir=None,
        retries=0,
        **kw,
    )


def test_async_client_has_the_same_surface():
    async def main():
        async with fake_async(page_size=4) as client:
            assert "domain" in await client.discover()
            with pytest.raises(MailRouteError, match="await client.preload"):
                client.email_account
            EA = await client.resource("email_account")
            assert client.email_account is EA
            ids = [a.id async for a in EA.all()]
            assert len(ids) == len(set(ids)) == await EA.all().count()
            first = await EA.filter(localpart__startswith="a").first()
            with pytest.raises(MailRouteError, match="await obj.fetch"):
                first.domain
            dom = await first.fetch("domain")
            assert first.domain is dom and type(dom).resource_name == "domain"
            acct = await EA.create(localpart=f"async-{uuid.uuid4().hex[:6]}", domain=dom)
            acct.priority = 2
            await acct.save()
            assert (await EA.get(acct.id)).priority == 2
            await acct.delete()
            with pytest.raises(TypeError, match="async for"):
                list(EA.all())

    run(main())


def test_async_paging_is_concurrent_in_order():
    async def main():
        async with fake_async(page_size=3, concurrency=4) as client:
            await client.preload()
            EA = client.email_account
            walked = [a.id async for a in EA.all().order_by("localpart")]
            one_by_one = [a.id async for a in EA.all().order_by("localpart").concurrently(1)]
            assert walked == one_by_one and len(walked) == len(set(walked))

    run(main())


def test_sync_client_refuses_async_iteration():
    fake = FakeMailRoute(FIXTURES, login="demo", api_key="demo-key-not-secret")
    with Client(
        "https://fake.mailroute.test", "demo", "demo-key-not-secret", transport=fake, cache_dir=None
    ) as client:

        async def main():
            return [x async for x in client.domain.all()]

        with pytest.raises(TypeError, match="plain 'for'"):
            run(main())


def test_async_bulk_writes_are_awaited():
    async def main():
        async with fake_async() as client:
            Reseller = await client.resource("reseller")
            tag = uuid.uuid4().hex[:6]
            made = await Reseller.bulk_create([{"name": f"Async {tag} {i}"} for i in range(3)])
            assert made.ok and len(made.succeeded) == 3
            nothing = await Reseller.bulk_create([{"nmae": "typo"}])
            assert not nothing.ok and isinstance(nothing.failed[0][1], ValidationError)
            found = [r async for r in Reseller.filter(name__startswith=f"Async {tag}")]
            assert len(found) == 3
            assert (await Reseller.bulk_delete(found)).ok
            assert await Reseller.filter(name__startswith=f"Async {tag}").count() == 0

    run(main())
