"""QuerySet: what is sent for filters, orderings and slices; paging; count/get/first;
keyset and concurrent walks; the list DELETE guard; client.list(uri)."""

from __future__ import annotations

import httpx
import pytest

from mailroute_dyn import (
    DoesNotExist,
    FilterError,
    GuardError,
    MultipleObjectsReturned,
    OrderingError,
    ResponseError,
)
from tests.conftest import BASE, list_body, objects


def params_of(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


def test_querysets_are_lazy_and_immutable(client, api):
    Domain = client.domain
    before = len(api.router.calls)
    base = Domain.filter(name__startswith="acme")
    narrowed = base.filter(customer=5).order_by("-created_at")[10:30]
    assert base is not narrowed
    assert "name__startswith='acme'" in repr(base) and "customer" not in repr(base)
    assert len(api.router.calls) == before


def test_filters_order_and_slice_become_query_parameters(client, api):
    route = api.override("GET", f"{BASE}/api/v1/domain/", params={"order_by": "-created_at"}).mock(
        return_value=httpx.Response(200, json=list_body([], total=0))
    )
    qs = client.domain.filter(name__startswith="acme", customer=5).order_by("-created_at")
    assert list(qs[100:150]) == []
    sent = params_of(route.calls[-1].request)
    assert ("name__startswith", "acme") in sent and ("customer", "5") in sent
    assert ("order_by", "-created_at") in sent
    assert ("limit", "50") in sent and ("offset", "100") in sent


def test_iteration_follows_next_and_holds_one_page(client, api):
    accounts = list(client.email_account.all().page_size(7))
    assert [a.id for a in accounts] == [o["id"] for o in objects("email_account")]
    pages = api.requests("/api/v1/email_account/?")
    assert len(pages) == -(-len(accounts) // 7)


def test_the_limit_the_server_applied_is_followed(client, api):
    # the server caps at 3 whatever we ask: next links carry its limit
    def capped(request):
        offset = int(request.url.params.get("offset", 0))
        objs = objects("domain")
        nxt = f"/api/v1/domain/?offset={offset + 3}&limit=3" if offset + 3 < len(objs) else None
        return httpx.Response(
            200,
            json=list_body(
                objs[offset : offset + 3], limit=3, offset=offset, total=len(objs), next_url=nxt
            ),
        )

    api.override("GET", url__regex=rf"{BASE}/api/v1/domain/\?.*").mock(side_effect=capped)
    names = [d.name for d in client.domain.all().order_by("created_at").page_size(500)]
    assert names == [o["name"] for o in objects("domain")]


def test_count_uses_total_count_without_fetching_objects(client, api):
    route = api.override("GET", f"{BASE}/api/v1/domain/", params={"name__startswith": "test"}).mock(
        return_value=httpx.Response(200, json=list_body([objects("domain")[0]], total=1234))
    )
    assert client.domain.filter(name__startswith="test").count() == 1234
    assert ("limit", "1") in params_of(route.calls[-1].request)
    assert client.domain.filter(name__startswith="test")[1200:].count() == 34


def test_first_exists_get(client, api):
    Domain = client.domain
    first = Domain.all().first()
    assert first.name == objects("domain")[0]["name"]
    assert Domain.all().exists() is True
    one = objects("domain")[2]
    api.override("GET", f"{BASE}/api/v1/domain/", params={"name": one["name"]}).mock(
        return_value=httpx.Response(200, json=list_body([one]))
    )
    assert Domain.get(name=one["name"]).id == one["id"]
    api.override("GET", f"{BASE}/api/v1/domain/", params={"name": "none.com"}).mock(
        return_value=httpx.Response(200, json=list_body([]))
    )
    with pytest.raises(DoesNotExist):
        Domain.get(name="none.com")
    assert Domain.filter(name="none.com").first() is None
    assert Domain.filter(name="none.com").exists() is False
    with pytest.raises(MultipleObjectsReturned, match="15 domain"):
        Domain.all().get()


def test_get_by_key_and_missing_key(client, api):
    Domain = client.domain
    d = Domain.get(912345)
    assert d.name == "testdomain.com" and d.pk == 912345
    with pytest.raises(DoesNotExist) as info:
        Domain.get(99999)
    assert info.value.status_code == 404


def test_string_keys_go_into_the_detail_url_as_is(client, api):
    route = api.override("GET", f"{BASE}/api/v1/email_account/user@example.com/").mock(
        return_value=httpx.Response(200, json=objects("email_account")[0])
    )
    acct = client.email_account.get("user@example.com")
    assert route.called and acct.id == objects("email_account")[0]["id"]


def test_refusals_happen_before_any_request(client, api):
    Domain = client.domain
    before = len(api.router.calls)
    with pytest.raises(FilterError, match="Did you mean 'name'"):
        Domain.filter(nmae="x")
    with pytest.raises(OrderingError, match="Orderable: name, created_at, active, hold_email"):
        Domain.order_by("id")
    with pytest.raises(FilterError):
        Domain.unchecked(limit=5)
    assert len(api.router.calls) == before


def test_unchecked_parameters_are_sent_as_given(client, api):
    route = api.override("GET", f"{BASE}/api/v1/reseller/", params={"q": "acme"}).mock(
        return_value=httpx.Response(200, json=list_body([]))
    )
    assert list(client.reseller.unchecked(q="acme", id__in=[1, 2])) == []
    sent = params_of(route.calls[-1].request)
    assert ("q", "acme") in sent and ("id__in", "1") in sent and ("id__in", "2") in sent


def test_objects_repeated_by_a_join_come_once(client, api):
    objs = objects("domain")[:3]
    api.override("GET", f"{BASE}/api/v1/domain/", params={"customer__name": "x"}).mock(
        return_value=httpx.Response(
            200, json=list_body([objs[0], objs[1], objs[1], objs[2], objs[0]], total=5)
        )
    )
    client.customer  # load the related schema so the relation lookup is checked now
    got = list(client.domain.filter(customer__name="x"))
    assert [d.id for d in got] == [o["id"] for o in objs]


def test_next_link_with_parameters_in_any_order(client, api):
    objs = objects("reseller")
    api.override("GET", f"{BASE}/api/v1/reseller/", params={"offset": "0"}).mock(
        return_value=httpx.Response(
            200,
            json=list_body(
                objs[:2], limit=2, total=3, next_url="/api/v1/reseller/?offset=2&name=x&limit=2"
            ),
        )
    )
    api.override("GET", f"{BASE}/api/v1/reseller/", params={"offset": "2"}).mock(
        return_value=httpx.Response(200, json=list_body(objs[2:], limit=2, offset=2, total=3))
    )
    got = list(client.reseller.filter(name="x").page_size(2))
    assert [r.id for r in got] == [o["id"] for o in objs]


def test_a_next_link_that_loops_is_an_error_not_a_hang(client, api):
    objs = objects("reseller")
    api.override("GET", url__regex=rf"{BASE}/api/v1/reseller/\?.*").mock(
        side_effect=lambda r: httpx.Response(
            200,
            json=list_body(
                [objs[int(r.url.params.get("offset", 0)) % 3]],
                limit=1,
                total=9,
                next_url="/api/v1/reseller/?name=x&limit=1&offset=1",
            ),
        )
    )
    with pytest.raises(ResponseError, match="loops"):
        list(client.reseller.filter(name="x").page_size(1))


def test_list_delete_needs_a_filter_and_confirmation(client, api):
    Wb = client.wblist
    route = api.override("DELETE", url__regex=rf"{BASE}/api/v1/wblist/.*").mock(
        return_value=httpx.Response(204)
    )
    with pytest.raises(GuardError, match="without a filter"):
        Wb.all().delete(confirm=True)
    with pytest.raises(GuardError, match="without a filter"):
        Wb.unchecked(wb="b").delete(confirm=True)
    with pytest.raises(GuardError, match="confirm=True"):
        Wb.filter(wb="b").delete()
    for word in ("yes", "no", 1, "ALL"):  # only True or "all" say it
        with pytest.raises(GuardError, match=f"not confirm={word!r}"):
            Wb.filter(wb="b").delete(confirm=word)
    assert not route.called
    api.override("GET", f"{BASE}/api/v1/wblist/", params={"wb": "b"}).respond(
        json=list_body(objects("wblist")[:1], limit=1, total=4)
    )
    assert Wb.filter(wb="b").delete(confirm=True) == 4
    assert params_of(route.calls[-1].request) == [("wb", "b")]


def test_client_list_keeps_its_query_and_types_each_object(client, api):
    contacts = objects("contact_reseller")[:2]
    route = api.override("GET", f"{BASE}/api/v1/reseller/4/contacts/").mock(
        return_value=httpx.Response(200, json=list_body(contacts))
    )
    got = list(client.list("/api/v1/reseller/4/contacts/?email__startswith=a"))
    assert [type(c).__name__ for c in got] == ["ContactReseller"] * 2
    assert got[0].email == contacts[0]["email"]
    assert ("email__startswith", "a") in params_of(route.calls[0].request)


def test_concurrent_pages_come_in_order_each_once(client, api):
    got = list(client.email_account.all().page_size(4).concurrently(3))
    assert [a.id for a in got] == [o["id"] for o in objects("email_account")]
    offsets = sorted(int(r.url.params["offset"]) for r in api.requests("/email_account/?"))
    assert offsets == list(range(0, len(got), 4))


def test_indexing(client, api):
    Domain = client.domain
    assert Domain.all()[3].id == objects("domain")[3]["id"]
    with pytest.raises(IndexError):
        Domain.all()[500]
    with pytest.raises(ValueError):
        Domain.all()[::2]


def test_a_server_that_ignores_the_key_order_is_walked_by_offset(client, api):
    # the server honours name__gt but not order_by: going "after the last key" would skip
    # rows, so the client notices the unsorted page and follows meta.next instead
    domains = objects("domain")
    shuffled = domains[::-1]

    def answer(request):
        params = request.url.params
        rows = [d for d in shuffled if d["name"] > params.get("name__gt", "")]
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 20))
        nxt = (
            f"/api/v1/domain/?limit={limit}&offset={offset + limit}"
            if offset + limit < len(rows)
            else None
        )
        return httpx.Response(
            200,
            json=list_body(
                rows[offset : offset + limit],
                limit=limit,
                offset=offset,
                total=len(rows),
                next_url=nxt,
            ),
        )

    api.override("GET", url__regex=rf"{BASE}/api/v1/domain/\?.*").mock(side_effect=answer)
    walked = [d.name for d in client.domain.all().page_size(4)]
    assert sorted(walked) == sorted(d["name"] for d in domains)
    assert len(walked) == len(set(walked))


def test_keys_in_order_allow_for_case_insensitive_sorting():
    from mailroute_dyn.query.walk import _in_key_order

    assert _in_key_order(["a03c", "Accountants Edge", "AESSI", "af09"], False)
    assert _in_key_order([9, 5, 1], True)
    assert not _in_key_order(["b", "a"], False)
    assert not _in_key_order(["a", None], False)
