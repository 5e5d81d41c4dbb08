"""mailroute_dyn's Client against the fake server: discovery, filters, paging, writes and
the server's error answers, as a user of the client sees them."""

import asyncio
import json

import pytest

from mailroute_dyn import (
    AsyncClient,
    BadRequest,
    Client,
    DoesNotExist,
    FilterError,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
)
from mailroute_dyn.fake.fixtures import write_fixture
from mailroute_dyn.testing import DEMO_DATA, FakeMailRoute

URL = "https://fake.mailroute.test"


def test_discovery_reads_the_listing_once_with_inlined_schemas(demo_fake, demo_client):
    listing = json.loads((DEMO_DATA / "listing.json").read_text(encoding="utf-8"))
    assert demo_client.resources == sorted(listing) and "domain" in demo_client
    assert "brandinginfo" not in demo_client.resources
    domain = demo_client.domain
    assert dict(domain.filtering) == {"customer": 2, "name": 1}
    assert domain.ordering == ("name", "created_at", "active", "hold_email")
    assert domain.allowed_detail_methods == ("get", "post", "put", "delete")
    assert [(r.method, r.path, r.params) for r in demo_fake.requests] == [
        ("GET", "/api/v1/", {"fullschema": "true"})
    ]
    branding = demo_client.get("/api/v1/brandinginfo/1/")  # unlisted: schema fetched on demand
    assert branding.resource_uri == "/api/v1/brandinginfo/1/"
    assert demo_fake.count(path="/api/v1/brandinginfo/schema/") == 1


def test_filters_are_sent_as_the_server_reads_them(demo_fake, demo_client):
    acme = demo_client.domain.filter(name__startswith="acme")
    assert acme.count() == 12
    dom = demo_client.domain.get(name="acme-001.com")
    accounts = demo_client.email_account.filter(domain=dom)
    assert sorted(a.localpart for a in accounts) == ["info", "sales"]
    assert demo_fake.requests[-1].params["domain"] == "1"
    far = demo_client.email_account.filter(domain__customer__reseller=3, localpart="info")
    assert [a.id for a in far] == [5, 11, 17, 23]
    ordered = demo_client.domain.order_by("-name")[:2]
    assert [d.name for d in ordered] == ["testdomain3.com", "testdomain2.com"]


def test_a_bad_filter_is_refused_before_sending(demo_fake, demo_client):
    demo_client.resource("domain")  # schema loaded
    seen = len(demo_fake.requests)
    with pytest.raises(FilterError):
        demo_client.domain.filter(nmae="x")
    with pytest.raises(FilterError):
        demo_client.email_account.filter(domain__name__startswith="acme")
    assert len(demo_fake.requests) == seen


def test_paging_follows_next_across_many_pages(demo_fake):
    with Client(
        base_url=URL,
        login="demo",
        api_key="demo-key",
        transport=demo_fake,
        cache_dir=None,
        page_size=4,
    ) as client:
        accounts = list(client.email_account.all())
    assert [a.id for a in accounts] == list(range(1, 31))
    pages = [r for r in demo_fake.requests if r.path == "/api/v1/email_account/"]
    assert len(pages) == 8
    assert [r.params["offset"] for r in pages] == [str(n) for n in range(0, 30, 4)]


def test_paging_past_max_limit(tmp_path):
    field = {
        "blank": False,
        "default": "No default provided.",
        "help_text": "",
        "nullable": False,
        "readonly": False,
        "type": "integer",
        "unique": False,
    }
    schema = {
        "allowed_detail_http_methods": ["get"],
        "allowed_list_http_methods": ["get"],
        "default_format": "application/json",
        "default_limit": 20,
        "fields": {
            "id": {**field, "blank": True, "default": "", "unique": True},
            "n": field,
            "resource_uri": {**field, "type": "string", "readonly": True},
        },
        "filtering": {"n": 1},
    }
    rows = [{"id": i, "n": i % 7, "resource_uri": f"/api/v1/row/{i}/"} for i in range(1, 2346)]
    fake = FakeMailRoute(write_fixture(tmp_path, {"row": schema}, {"row": rows}))
    with Client(
        base_url=URL,
        login="demo",
        api_key="demo-key",
        transport=fake,
        cache_dir=None,
        page_size=5000,
    ) as client:
        seen = [r.id for r in client.row.all()]
        assert seen == list(range(1, 2346))
        assert fake.count(path="/api/v1/row/") == 3  # capped at max_limit=1000
        assert client.row.filter(n=3).count() == sum(1 for i in range(1, 2346) if i % 7 == 3)
        sevens = [i for i in range(1, 2346) if i % 7 == 0]
        assert [r.id for r in client.row.filter(n__in=[0])[330:]] == sevens[330:]


def test_create_update_read_delete_without_patch(demo_fake, demo_client):
    dom = demo_client.domain.get(1)
    acct = demo_client.email_account.create(localpart="tester", domain=dom, priority=8)
    assert acct.resource_uri == "/api/v1/email_account/31/"
    acct.priority = 3
    acct.save()
    writes = [r.method for r in demo_fake.requests if r.method != "GET"]
    assert writes[-1] == "PUT"  # email_account has no PATCH
    again = demo_client.email_account.get(acct.id)
    assert (again.localpart, again.priority, again.domain.name) == ("tester", 3, "acme-001.com")
    assert again["created_at"].endswith(("-0700", "-0800"))
    again.delete()
    with pytest.raises(DoesNotExist):
        demo_client.email_account.get(acct.id)


def test_save_uses_patch_where_allowed_and_keeps_the_rest(demo_fake, demo_client):
    contact = demo_client.contact_domain.get(1)
    contact.first_name = "Kim"
    contact.save()
    sent = [r for r in demo_fake.requests if r.method != "GET"][-1]
    assert (sent.method, sent.json) == ("PATCH", {"first_name": "Kim"})
    fresh = demo_client.contact_domain.get(1)
    assert fresh.first_name == "Kim" and fresh["updated_at"] == contact["updated_at"]


def test_list_delete_through_the_client(demo_fake, demo_client):
    demo_client.wblist.filter(wb="b").delete(confirm=True)
    assert {o["wb"] for o in demo_fake.objects("wblist")} == {"w"}


def test_server_errors_map_to_exceptions(demo_fake, demo_client):
    with pytest.raises(BadRequest) as bad:
        demo_client.domain.create(name="acme-001.com", customer=demo_client.customer.get(1))
    assert bad.value.errors == {"domain": {"name": ["Domain with this Name already exists."]}}
    with pytest.raises(NotFound):
        demo_client.request("GET", "/api/v1/nosuch/")
    with pytest.raises(MethodNotAllowed) as refused:
        demo_client.request("PATCH", "/api/v1/email_account/1/", json={"priority": 1})
    assert refused.value.allowed == ["GET", "POST", "PUT", "DELETE"]
    with pytest.raises(BadRequest, match="mismatched type"):
        demo_client.list("/api/v1/domain/?customer=x").first()
    with Client(
        base_url=URL, login="demo", api_key="wrong-key", transport=demo_fake, cache_dir=None
    ) as wrong:
        assert wrong.resources  # the listing needs no key
        with pytest.raises(Unauthorized):
            wrong.domain.get(1)


def test_set_endpoint_through_request(demo_client):
    body = demo_client.request("GET", "/api/v1/domain/set/2;1;99999/")
    assert [o["id"] for o in body["objects"]] == [2, 1] and body["not_found"] == ["99999"]


def test_async_client_on_the_same_fake(demo_fake):
    async def run():
        async with AsyncClient(
            base_url=URL,
            login="demo",
            api_key="demo-key",
            transport=demo_fake,
            cache_dir=None,
            page_size=7,
        ) as client:
            await client.preload()
            names = [d.name async for d in client.domain.filter(name__startswith="test")]
            acct = client.email_account  # loaded by preload()
            made = await acct.create(localpart="async", domain="/api/v1/domain/2/")
            found = await acct.get(made.id)
            return names, found.localpart

    names, localpart = asyncio.run(run())
    assert names == ["testdomain.com", "testdomain2.com", "testdomain3.com"]
    assert localpart == "async"
