"""Django's QuerySet and class-level habits where Tastypie allows them: bool/len, last,
values/values_list, in_bulk, get_or_create/update_or_create, qs.update, the count a list
DELETE returns, exclude's refusal, bulk_create's options, honest lookup errors."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from mailroute_dyn import (
    AsyncClient,
    BadRequest,
    BulkResult,
    Client,
    DoesNotExist,
    FilterError,
    GuardError,
    MultipleObjectsReturned,
    ValidationError,
)
from mailroute_dyn.testing import FakeMailRoute
from tests.conftest import BASE, FIXTURES, list_body, objects

FAKE = "https://fake.mailroute.test"
FAKE_KEY = "demo-key-not-secret"


def fake_client(fake: FakeMailRoute | None = None, **kw) -> Client:
    fake = fake or FakeMailRoute(FIXTURES, login="demo", api_key=FAKE_KEY)
    return Client(FAKE, "demo", FAKE_KEY, transport=fake, cache_dir=None, retries=0, **kw)


def fake_async(**kw) -> AsyncClient:
    fake = FakeMailRoute(FIXTURES, login="demo", api_key=FAKE_KEY)
    return AsyncClient(FAKE, "demo", FAKE_KEY, transport=fake, cache_dir=None, retries=0, **kw)


def lists_sent(api, name: str) -> list[httpx.Request]:
    return api.requests(f"/api/v1/{name}/?")


# ---------------------------------------------------------------- bool() and len()


def test_if_qs_is_false_when_nothing_matches_and_asks_for_one_object(client, api):
    Domain = client.domain
    api.override("GET", f"{BASE}/api/v1/domain/", params={"name": "none.com"}).mock(
        return_value=httpx.Response(200, json=list_body([]))
    )
    assert not Domain.filter(name="none.com")
    before = len(lists_sent(api, "domain"))
    assert Domain.all()
    sent = lists_sent(api, "domain")[before:]
    assert len(sent) == 1 and sent[0].url.params["limit"] == "1"


def test_len_counts_what_iteration_yields_and_list_walks_once(client, api):
    qs = client.email_account.all().page_size(7)
    assert len(qs) == len(objects("email_account"))
    walked = len(lists_sent(api, "email_account"))
    assert walked == -(-len(objects("email_account")) // 7)
    assert [a.id for a in qs] == [o["id"] for o in objects("email_account")]  # kept by len
    assert len(lists_sent(api, "email_account")) == walked
    again = client.email_account.all().page_size(7)
    assert len(list(again)) == len(objects("email_account"))
    assert len(lists_sent(api, "email_account")) == 2 * walked  # list() walks once


def test_async_querysets_refuse_bool_and_len_naming_the_awaitable():
    async def main():
        async with fake_async() as client:
            Domain = await client.resource("domain")
            with pytest.raises(TypeError, match="await qs.exists"):
                bool(Domain.all())
            with pytest.raises(TypeError, match="await qs.count"):
                len(Domain.all())

    asyncio.run(main())


# ---------------------------------------------------------------- last(), exclude()


def test_last_is_the_end_of_the_ordered_listing_on_the_real_server(tastypie_client):
    Domain = tastypie_client.domain
    names = [d.name for d in Domain.all().order_by("name")]
    assert Domain.all().order_by("name").last().name == names[-1]
    assert Domain.all().order_by("-name").last().name == names[0]
    assert Domain.all().order_by("name")[:5].last().name == names[4]
    default_order = [d.name for d in Domain.all().concurrently(2)]  # by offset, no order_by
    assert Domain.last().name == default_order[-1]
    assert Domain.filter(name="no-such-domain.test").last() is None


def test_exclude_says_tastypie_has_no_negation_and_sends_nothing(client, api):
    client.domain
    before = len(api.router.calls)
    with pytest.raises(FilterError, match="no Tastypie equivalent"):
        client.domain.all().exclude(active=True)
    with pytest.raises(FilterError, match="no Tastypie equivalent"):
        client.domain.exclude(name="x.com")
    assert len(api.router.calls) == before


# ---------------------------------------------------------------- values(), in_bulk()


def test_values_give_the_raw_values_the_server_sent(tastypie_client):
    EA = tastypie_client.email_account
    qs = EA.all().order_by("localpart")[:6]
    objs = list(qs)
    assert list(qs.values("id", "localpart", "domain")) == [
        {"id": o.id, "localpart": o.localpart, "domain": o["domain"]} for o in objs
    ]
    assert list(qs.values_list("localpart", flat=True)) == [o.localpart for o in objs]
    assert list(qs.values_list("id", "created_at")) == [(o.id, o["created_at"]) for o in objs]
    every = qs.values().first()
    assert set(every) <= set(EA.fields) and "domain_name" not in every
    assert every["id"] == objs[0].id and isinstance(every["created_at"], str)
    assert qs.values_list("id", flat=True).last() == objs[-1].id
    assert qs.values("id").get(id__in=[objs[2].id]) == {"id": objs[2].id}


def test_values_refuse_unknown_names_before_sending(client, api):
    client.domain, client.email_account
    before = len(api.router.calls)
    with pytest.raises(FilterError, match="Did you mean 'name'"):
        client.domain.values("nmae")
    with pytest.raises(FilterError, match="not a to-one relation"):
        client.email_account.values("localpart__name")  # domain__name is followed
    with pytest.raises(TypeError, match="exactly one"):
        client.domain.values_list("id", "name", flat=True)
    assert len(api.router.calls) == before


def test_in_bulk_maps_keys_to_objects(tastypie_client):
    EA = tastypie_client.email_account
    some = list(EA.all().order_by("localpart")[:3])
    found = EA.in_bulk([a.id for a in some] + [987654321])
    assert found == {a.id: a for a in some}
    assert EA.all()[:2].in_bulk() == {a.id: a for a in EA.all()[:2]}
    assert EA.in_bulk([]) == {}
    with pytest.raises(FilterError, match="unique"):
        EA.in_bulk(["info"], field_name="localpart")


def test_in_bulk_by_key_works_without_a_pk_in_filter(client, api):
    Domain = client.domain  # MailRoute's domain: no filter on id
    found = Domain.in_bulk([912345, 99999])
    assert list(found) == [912345] and found[912345].name == "testdomain.com"
    with pytest.raises(FilterError):
        Domain.filter(name__startswith="t").in_bulk([912345])  # a filter needs id__in


# ---------------------------------------------------------------- get_or_create & co


def test_get_or_create_creates_once_then_finds(tastypie_client):
    Domain = tastypie_client.domain
    customer = tastypie_client.customer.first()
    name = f"goc-{uuid.uuid4().hex[:8]}.test"
    made, created = Domain.get_or_create(
        name=name, defaults={"customer": customer, "deliveryport": 2525}
    )
    assert created and made.resource_uri and made.deliveryport == 2525
    again, created = Domain.get_or_create(name=name, defaults={"customer": customer})
    assert not created and again == made
    changed, created = Domain.update_or_create(name=name, defaults={"hold_email": True})
    assert not created and changed == made
    fresh = Domain.get(made.id)
    assert fresh.hold_email is True and fresh.deliveryport == 2525  # nothing wiped
    fresh.delete()


def test_get_or_create_on_a_queryset_looks_only_within_its_filters(tastypie_client):
    Domain = tastypie_client.domain
    first, second = list(tastypie_client.customer.all()[:2])
    name = f"within-{uuid.uuid4().hex[:8]}.test"
    made = Domain.create(name=name, customer=first)
    found, created = Domain.filter(customer=first).get_or_create(name=name)
    assert not created and found == made
    with pytest.raises(DoesNotExist):  # not under `second`: the create is refused
        Domain.filter(customer=second).get(name=name)
    with pytest.raises(BadRequest, match="already exists"):
        Domain.filter(customer=second).get_or_create(name=name, defaults={"customer": second})
    made.delete()


def test_get_or_create_refuses_an_ambiguous_lookup(tastypie_client):
    with pytest.raises(MultipleObjectsReturned):
        tastypie_client.domain.get_or_create(name__contains=".", defaults={})


def test_get_or_create_after_a_lost_answer_looks_up_instead_of_posting_twice():
    fake = FakeMailRoute(FIXTURES, login="demo", api_key=FAKE_KEY)
    with fake_client(fake) as client:
        Reseller = client.reseller
        name = f"Lost {uuid.uuid4().hex[:6]}"
        fake.fail_next("504", apply=True, methods=["POST"])  # created, answer lost
        made, created = Reseller.get_or_create(name=name)
        assert created and made.resource_uri
        assert Reseller.filter(name=name).count() == 1


def test_get_or_create_takes_the_object_created_meanwhile(client, api):
    one = objects("domain")[2]
    api.override("GET", f"{BASE}/api/v1/domain/", params={"name": one["name"]}).mock(
        side_effect=[
            httpx.Response(200, json=list_body([])),
            httpx.Response(200, json=list_body([one])),
        ]
    )
    post = api.override("POST", f"{BASE}/api/v1/domain/").mock(
        return_value=httpx.Response(
            400, json={"domain": {"name": ["Domain with this Name already exists."]}}
        )
    )
    found, created = client.domain.get_or_create(
        name=one["name"], defaults={"customer": "/api/v1/customer/1/"}
    )
    assert not created and found.id == one["id"] and post.call_count == 1


@pytest.mark.parametrize("window", [slice(0, 0), slice(0, 5), slice(3, None)])
def test_get_or_create_is_refused_on_a_slice_before_anything_is_sent(client, api, window):
    """A slice (even an empty one) is no place to look for an object: refused, nothing sent."""
    domain = client.domain  # (its schema is read here)
    before = len(api.router.calls)
    with pytest.raises(GuardError, match="not in a slice"):
        domain.all()[window].get_or_create(name="new.example")
    assert len(api.router.calls) == before


# ---------------------------------------------------------------- qs.update()


def test_update_saves_every_match_on_a_patch_resource(tastypie_client):
    Reseller = tastypie_client.reseller
    tag = uuid.uuid4().hex[:6]
    made = Reseller.bulk_create([{"name": f"Upd {tag} {i}"} for i in range(4)])
    assert made.ok
    result = Reseller.filter(name__startswith=f"Upd {tag}").page_size(2).update(allow_branding=True)
    assert isinstance(result, BulkResult) and result.ok and len(result.succeeded) == 4
    assert all(r.allow_branding for r in Reseller.filter(name__startswith=f"Upd {tag}"))
    assert Reseller.filter(name__startswith=f"Upd {tag}").delete(confirm=True) == 4


def test_update_of_the_filtered_field_skips_no_row(tastypie_client):
    # Domain has no PATCH: one PUT each. Moving the domains the filter matches to another
    # customer would make an offset walk skip rows if pages were read while writing.
    Domain = tastypie_client.domain
    first, second = list(tastypie_client.customer.all()[:2])
    tag = uuid.uuid4().hex[:6]
    made = Domain.bulk_create(
        [
            {"name": f"move-{tag}-{i}.test", "customer": first, "deliveryport": 2500 + i}
            for i in range(5)
        ]
    )
    assert made.ok
    result = (
        Domain.filter(customer=first, name__startswith=f"move-{tag}")
        .page_size(2)
        .update(customer=second)
    )
    assert result.ok and len(result.succeeded) == 5
    assert Domain.filter(customer=first, name__startswith=f"move-{tag}").count() == 0
    after = sorted(Domain.filter(name__startswith=f"move-{tag}"), key=lambda d: d.name)
    assert [d["customer"] for d in after] == [second.resource_uri] * 5
    assert [d.deliveryport for d in after] == [2500 + i for i in range(5)]  # nothing wiped
    Domain.bulk_delete(after)


def test_update_never_turns_into_a_create_for_objects_without_uri_or_key(client, api):
    bare = [
        {k: v for k, v in o.items() if k not in ("id", "resource_uri")}
        for o in objects("domain")[:2]
    ]
    api.override("GET", f"{BASE}/api/v1/domain/", params={"name__startswith": "t"}).mock(
        return_value=httpx.Response(200, json=list_body(bare))
    )
    writes = api.router.route(method__in=["POST", "PUT", "PATCH"]).mock(
        return_value=httpx.Response(500)
    )
    result = client.domain.filter(name__startswith="t").update(active=False)
    assert len(result.failed) == 2 and not result.succeeded and not writes.called


def test_update_refuses_what_the_schema_would_not_take_before_reading(client, api):
    client.domain
    before = len(api.router.calls)
    with pytest.raises(ValidationError, match="Did you mean 'name'"):
        client.domain.all().update(nmae="x")
    with pytest.raises(ValidationError, match="read-only"):
        client.domain.all().update(created_at="2020-01-01T00:00:00")
    assert len(api.router.calls) == before


# ---------------------------------------------------------------- list DELETE count


def test_list_delete_returns_how_many_matched(tastypie_client):
    Reseller = tastypie_client.reseller
    tag = uuid.uuid4().hex[:6]
    assert Reseller.bulk_create([{"name": f"Gone {tag} {i}"} for i in range(3)]).ok
    assert Reseller.filter(name__startswith=f"Gone {tag}").delete(confirm=True) == 3
    assert Reseller.filter(name__startswith=f"Gone {tag}").count() == 0


def test_list_delete_count_is_none_when_the_server_gives_no_total(client, api):
    # without total_count the client cannot tell the filter from "everything": only
    # confirm="all" sends the DELETE
    api.override("GET", f"{BASE}/api/v1/wblist/", params={"wb": "b"}).mock(
        return_value=httpx.Response(200, json={"objects": []})
    )
    gone = api.override("DELETE", f"{BASE}/api/v1/wblist/").mock(return_value=httpx.Response(204))
    with pytest.raises(GuardError, match="no total_count"):
        client.wblist.filter(wb="b").delete(confirm=True)
    assert not gone.called
    assert client.wblist.filter(wb="b").delete(confirm="all") is None and gone.called


# ---------------------------------------------------------------- bulk_create options


def test_bulk_create_can_leave_required_fields_to_the_server(tastypie_client):
    # wblist's schema marks `rid` required; the server fills it (MailRoute does too)
    WBList = tastypie_client.wblist
    domain = tastypie_client.domain.first()
    tag = uuid.uuid4().hex[:6]
    rows = [
        {"domain": domain.resource_uri, "email": f"{tag}-{i}@example.com", "wb": "b"}
        for i in range(3)
    ]
    refused = WBList.bulk_create(rows)
    assert not refused.succeeded and "rid: This field is required" in str(refused.failed[0][1])
    made = WBList.bulk_create(rows, check_required=False)
    assert made.ok and len(made.succeeded) == 3
    assert WBList.bulk_delete(made.succeeded).ok


def test_bulk_create_sends_extra_inputs_without_keeping_them(client, api):
    post = api.override("POST", f"{BASE}/api/v1/domain/").mock(
        return_value=httpx.Response(201, headers={"Location": "/api/v1/domain/77/"})
    )
    api.override("GET", f"{BASE}/api/v1/domain/77/").mock(
        return_value=httpx.Response(
            200,
            json={
                "id": 77,
                "name": "x.test",
                "customer": "/api/v1/customer/1/",
                "resource_uri": "/api/v1/domain/77/",
                "password": "not-a-real-secret",
            },
        )
    )
    made = client.domain.bulk_create(
        [{"name": "x.test", "customer": "/api/v1/customer/1/"}],
        extra={"password": "not-a-real-secret"},
    )
    assert made.ok and post.call_count == 1
    import json

    assert json.loads(post.calls[0].request.content)["password"] == "not-a-real-secret"
    assert "password" not in made.succeeded[0].to_dict()


# ---------------------------------------------------------------- honest errors


def test_validation_names_only_the_field_that_is_wrong(client, api):
    domain = client.domain.get(912345)
    with pytest.raises(ValidationError) as info:
        client.email_account.create(localpart="x", domain=domain, prio=3)
    assert set(info.value.errors["email_account"]) == {"prio"}
    assert "domain" not in str(info.value).replace("email_account", "")
    result = client.email_account.bulk_create([{"localpart": "x", "domain": domain, "prio": 3}])
    assert set(result.failed[0][1].errors["email_account"]) == {"prio"}


def test_get_without_a_match_says_what_was_looked_for_not_a_404(tastypie_client):
    with pytest.raises(DoesNotExist) as info:
        tastypie_client.domain.get(name="none.example")
    text = str(info.value)
    assert "name=none.example" in text and "404" not in text
    assert info.value.status_code is None  # no server answered 404


# ---------------------------------------------------------------- the AsyncClient


def test_async_client_awaits_the_same_habits():
    async def main():
        async with fake_async(page_size=4) as client:
            Reseller = await client.resource("reseller")
            tag = uuid.uuid4().hex[:6]
            made, created = await Reseller.get_or_create(name=f"Async {tag} 0")
            assert created
            again, created = await Reseller.get_or_create(name=f"Async {tag} 0")
            assert not created and again == made
            assert (await Reseller.bulk_create([{"name": f"Async {tag} {i}"} for i in (1, 2)])).ok
            qs = Reseller.filter(name__startswith=f"Async {tag}").order_by("name")
            assert (await qs.last()).name == f"Async {tag} 2"
            assert [n async for n in qs.values_list("name", flat=True)] == [
                f"Async {tag} {i}" for i in range(3)
            ]
            assert await qs.values("name").first() == {"name": f"Async {tag} 0"}
            assert set(await qs.in_bulk()) == {made.id, *(r.id for r in [r async for r in qs][1:])}
            assert (await qs.update(allow_branding=True)).ok
            _, created = await Reseller.update_or_create(
                name=f"Async {tag} 0", defaults={"allow_branding": False}
            )
            assert not created
            gone = Reseller.filter(name__startswith=f"Async {tag}")
            assert await gone.delete(confirm=True) == 3
            assert not await gone.exists()

    asyncio.run(main())


def test_class_level_habits_never_shadow_an_instance_field(client, api):
    Domain = client.domain
    d = Domain.get(912345)
    for name in (
        "get_or_create",
        "update_or_create",
        "last",
        "exists",
        "values",
        "values_list",
        "in_bulk",
        "exclude",
    ):
        assert callable(getattr(Domain, name))
        with pytest.raises(AttributeError, match="has no field"):
            getattr(d, name)  # an instance's names are its fields
