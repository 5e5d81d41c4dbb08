"""Queries an unattended script can trust: filter values Tastypie rewrites, list-DELETE
filters that match everything, action names, offset walks over a changing listing, get()
across joins, and servers whose paging metadata lies.

Where the harm is a real server's, the test runs on the project's real django-tastypie
server (tests/tastypie_site); guards that must send nothing are checked with respx.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from mailroute_dyn import (
    AsyncClient,
    Client,
    FilterError,
    GuardError,
    ListingChanged,
    MultipleObjectsReturned,
    NotFound,
    ResponseError,
)
from mailroute_dyn.schema.definition import parse_schema
from mailroute_dyn.schema.rules import check_filter
from tests.conftest import API_KEY, BASE, LOGIN, FixtureAPI, list_body, objects

LIST = re.escape(f"{BASE}/api/v1/domain/") + r"(\?|$)"  # the list, not the schema


# ---------------------------------------------------------------- the real server's data


@pytest.fixture
def customer(tastypie_client) -> Iterator[Any]:
    """A customer of its own, so a filter on it sees only the domains a test made."""
    reseller = tastypie_client.reseller.all().first()
    made = tastypie_client.customer.create(
        name=f"trust-{uuid.uuid4().hex[:8]}", reseller=reseller, reported_user_count=0
    )
    yield made
    try:
        made.delete()
    except NotFound:
        pass


@pytest.fixture
def domains(tastypie_client, customer) -> Iterator[Callable[..., list[Any]]]:
    made: list[Any] = []

    def make(*names: str) -> list[Any]:
        new = [tastypie_client.domain.create(name=n, customer=customer) for n in names]
        made.extend(new)
        return new

    yield make
    for d in made:
        try:
            d.delete()
        except NotFound:
            pass


def _names(client, **params: str) -> list[str]:
    body = client.request("GET", "/api/v1/domain/", params={**params, "limit": 0})
    return sorted(o["name"] for o in body["objects"])


# ---------------------------------------------------------------- 1. values Tastypie rewrites


def test_deleting_by_the_name_true_never_deletes_the_row_named_True(tastypie_client, domains):
    domains("True", "true")
    tastypie_client.domain.filter(name="true").delete(confirm=True)
    assert _names(tastypie_client, name__in="True,true") == ["True"]


def test_a_name_filter_on_none_finds_that_name_not_null_rows_nor_a_500(tastypie_client, domains):
    domains("none", "nil", "None")
    domain = tastypie_client.domain
    assert [d.name for d in domain.filter(name="none")] == ["none"]
    assert [d.name for d in domain.filter(name__exact="None")] == ["None"]
    assert [d.name for d in domain.filter(name__in=["nil"])] == ["nil"]
    assert [d.name for d in domain.filter(name__in="none")] == ["none"]
    assert domain.get(name="nil").name == "nil"


def test_a_walk_by_name_never_asks_for_names_after_the_boolean_true(
    tastypie_client, customer, domains
):
    names = ["a-first", "false", "none", "true", "zz-last"]
    domains(*names)
    qs = tastypie_client.domain.filter(customer=customer).page_size(1)
    assert qs._keyset_field() == ("name", False)
    walked = [d.name for d in itertools.islice(qs, 3 * len(names))]
    assert walked == names


def test_a_rewritten_text_with_no_exact_form_is_refused_before_sending(client, api):
    with pytest.raises(FilterError, match="Tastypie turns the whole value 'true'"):
        client.domain.filter(name__contains="true")
    with pytest.raises(FilterError, match="into NULL"):
        client.domain.filter(name__startswith="nil")
    only_exact = parse_schema(
        "thing", {"fields": {"code": {"type": "string"}}, "filtering": {"code": ["exact"]}}
    )
    with pytest.raises(FilterError, match="'in'"):
        check_filter(only_exact, "code", "False", lambda _: None, lambda *_: None)
    # what the caller gives as a boolean or None is meant as one, and sent as such
    assert check_filter(only_exact, "code", None, lambda _: None, lambda *_: None).value == "None"
    assert not [r for r in api.requests() if "/api/v1/domain/?" in str(r.url)]


# ---------------------------------------------------------------- 4. the list-delete guard


@pytest.mark.parametrize(
    "lookups",
    [
        {"name__contains": ""},
        {"name__icontains": ""},
        {"name__startswith": ""},
        {"name__istartswith": ""},
        {"name__endswith": ""},
        {"name__iendswith": ""},
        {"name__regex": ".*"},
        {"name__iregex": "^"},
        {"name__regex": "x*|y"},
        {"name__isnull": False},
        {"name__contains": "", "name__regex": ""},
    ],
)
def test_a_list_delete_whose_filter_matches_every_row_is_refused(client, api, lookups):
    qs = client.domain.filter(**lookups)
    with pytest.raises(GuardError, match="match every row"):
        qs.delete(confirm=True)
    assert not [r for r in api.requests() if r.method == "DELETE"]


def test_a_list_delete_with_one_narrowing_filter_beside_a_match_all_one_is_sent(client, api):
    route = api.override("DELETE", url__regex=LIST).respond(204)
    api.override("GET", f"{BASE}/api/v1/domain/", params={"customer": "3"}).respond(
        json=list_body(objects("domain")[:1], limit=1, total=2)
    )
    client.domain.filter(name__contains="", customer=3).delete(confirm=True)
    assert route.call_count == 1


@pytest.mark.parametrize("name", ["", ".", "..", "/", "%2F", "a/b", "./", "../customer", "a b"])
def test_an_action_name_that_is_not_one_path_segment_is_refused_before_sending(client, api, name):
    domain = client.domain
    with pytest.raises(GuardError, match="one plain path segment"):
        domain.action(name, method="DELETE")
    assert not [r for r in api.requests() if r.method == "DELETE"]


# ---------------------------------------------------------------- 6. offset walks


@pytest.fixture
def accounts(tastypie_client, domains) -> Callable[[int], tuple[Any, list[str]]]:
    def make(n: int) -> tuple[Any, list[str]]:
        domain = domains(f"walk-{uuid.uuid4().hex[:8]}.test")[0]
        made = [
            tastypie_client.email_account.create(localpart=f"u{i:02}", domain=domain, priority=7)
            for i in range(n)
        ]
        return domain, [a.resource_uri for a in made]

    return make


def test_iterating_and_deleting_an_offset_walk_deletes_every_row(tastypie_client, accounts):
    domain, uris = accounts(10)
    qs = tastypie_client.email_account.filter(domain=domain).page_size(3)
    assert qs._keyset_field() is None  # no usable key: an offset walk
    walked = []
    for account in qs:
        walked.append(account.resource_uri)
        account.delete()
    assert sorted(walked) == sorted(uris)
    assert tastypie_client.email_account.filter(domain=domain).count() == 0


@pytest.mark.parametrize("pages", [1, 3])
def test_an_offset_walk_yields_every_row_present_throughout_while_others_go(
    tastypie_client, accounts, pages
):
    domain, uris = accounts(12)
    qs = tastypie_client.email_account.filter(domain=domain).page_size(2).concurrently(pages)
    walked, deleted = [], set()
    for i, account in enumerate(qs):
        walked.append(account.resource_uri)
        if i % 2 == 0:  # rows before the cursor go away meanwhile
            account.delete()
            deleted.add(account.resource_uri)
    assert len(walked) == len(set(walked))
    assert set(uris) - deleted <= set(walked)


def _paged(
    rows: list[dict[str, Any]],
    *,
    total: Callable[[], int] | None = None,
    calls: list[httpx.Request] | None = None,
    cap: int = 200,
) -> Callable[..., Any]:
    """A list endpoint that pages `rows` by limit/offset (and gives up after `cap` calls)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request)
            if len(calls) > cap:
                raise RuntimeError("the client does not stop")
        limit = int(request.url.params.get("limit", 20))
        offset = int(request.url.params.get("offset", 0))
        count = len(rows) if total is None else total()
        nxt = f"?limit={limit}&offset={offset + limit}" if offset + limit < count else None
        return httpx.Response(
            200,
            json=list_body(
                rows[offset : offset + limit], limit=limit, offset=offset, total=count, next_url=nxt
            ),
        )

    return answer


def test_a_listing_that_keeps_changing_raises_instead_of_looping(client, api):
    rows = objects("domain")[:6]
    ticks = itertools.count()
    # every page claims another total: no pass ever sees a still listing
    api.override("GET", url__regex=LIST).mock(
        side_effect=_paged(rows, total=lambda: 6 + next(ticks) % 2)
    )
    walked = []
    with pytest.raises(ListingChanged, match="kept changing"):
        for d in client.domain.all().order_by("-created_at").page_size(4):
            walked.append(d.resource_uri)
    assert len(walked) == len(set(walked)) == 6


@pytest.mark.parametrize("pages", [1, 3])
def test_async_offset_walk_completes_itself_when_rows_before_it_go(pages):
    rows = objects("domain")[:9]
    live = list(rows)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/schema/") or request.url.path == "/api/v1/":
            from tests.conftest import load

            name = request.url.path.split("/")[3]
            return httpx.Response(
                200, json=load(f"schemas/{name}.json") if name else load("listing.json")
            )
        limit = int(request.url.params["limit"])
        offset = int(request.url.params["offset"])
        more = offset + limit < len(live)
        body = list_body(
            live[offset : offset + limit],
            limit=limit,
            offset=offset,
            total=len(live),
            next_url=f"?limit={limit}&offset={offset + limit}" if more else None,
        )
        if offset == 0:
            del live[:2]  # rows before the cursor go away meanwhile
        return httpx.Response(200, json=body)

    async def walk() -> list[str]:
        async with AsyncClient(
            BASE,
            "demo",
            "demo-key-not-secret",
            cache_dir=None,
            transport=httpx.MockTransport(answer),
        ) as client:
            domain = await client.resource("domain")
            qs = domain.all().order_by("-created_at").page_size(3).concurrently(pages)
            return [d.resource_uri async for d in qs]

    walked = asyncio.run(walk())
    assert sorted(walked) == sorted(r["resource_uri"] for r in rows)


# ---------------------------------------------------------------- 7. get() across a join


def test_get_across_a_join_that_repeats_rows_sees_the_second_object(client, api):
    a, b = objects("domain")[:2]
    api.override("GET", url__regex=LIST).mock(side_effect=_paged([a, a, a, b]))
    with pytest.raises(MultipleObjectsReturned):
        client.domain.get(name__startswith="x")


def test_get_across_a_join_that_repeats_one_object_returns_it(client, api):
    a = objects("domain")[0]
    api.override("GET", url__regex=LIST).mock(side_effect=_paged([a, a, a, a, a]))
    assert client.domain.get(name__startswith="x").resource_uri == a["resource_uri"]


# ---------------------------------------------------------------- 13. hostile metadata


def test_a_server_ignoring_offset_with_fresh_next_links_is_stopped(client, api):
    rows = objects("domain")[:2]
    calls: list[httpx.Request] = []

    def same_page(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) > 50:
            raise RuntimeError("the client does not stop")
        body = list_body(
            rows, limit=2, total=10**12, next_url=f"/api/v1/domain/?limit=2&offset={2 * len(calls)}"
        )
        return httpx.Response(200, json=body)

    api.override("GET", url__regex=LIST).mock(side_effect=same_page)
    with pytest.raises(ResponseError, match="nothing new"):
        list(client.domain.all().order_by("-created_at"))
    assert len(calls) <= 4


@st.composite
def _key_pages(draw: st.DrawFn) -> list[list[int]]:
    """Pages of a walk by key as a hostile server may send them, each with keys new to
    the walk (1, 2, 3, ... in all): a page may start again with keys of the page before
    (a server ignoring the key filter) and repeat keys within itself (a join)."""
    pages: list[list[int]] = []
    last = 0
    for _ in range(draw(st.integers(1, 5))):
        fresh = list(range(last + 1, last + 1 + draw(st.integers(1, 4))))
        last = fresh[-1]
        again = pages[-1][-draw(st.integers(0, len(pages[-1]))) :] if pages else []
        page = again + fresh
        repeated = draw(st.lists(st.sampled_from(page), max_size=3))
        pages.append(sorted(page + repeated))
    return pages


@settings(max_examples=80, deadline=None)
@given(pages=_key_pages(), descending=st.booleans())
def test_a_key_walk_yields_each_object_once_whatever_its_pages_repeat(pages, descending):
    template = objects("domain")[0]
    if descending:  # the same walk from the other end
        pages = [[1000 - k for k in page] for page in pages]
    script = iter([sorted(page, reverse=descending) for page in pages])
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        rows = [
            {**template, "id": k, "name": f"d{k:03}.test", "resource_uri": f"/api/v1/domain/{k}/"}
            for k in next(script, [])
        ]
        return httpx.Response(200, json=list_body(rows, limit=4, total=10**6, next_url="?n"))

    with respx.mock(assert_all_called=False) as router:
        api = FixtureAPI(router)
        api.override("GET", url__regex=LIST).mock(side_effect=answer)
        with Client(BASE, LOGIN, API_KEY, cache_dir=None, retries=0) as client:
            qs = client.domain.all().order_by("-name" if descending else "name")
            walked = [d.id for d in qs.page_size(4)]
    every = [k for page in pages for k in sorted(page, reverse=descending)]
    assert walked == list(dict.fromkeys(every))  # each key once, in the order first sent
    assert f"name__{'lt' if descending else 'gt'}" in str(sent[-1].url)  # a walk by key


def test_a_key_walk_sorted_without_case_still_drops_a_repeat_of_the_page_before(client, api):
    # the database sorts names without case ("a" before "B"), Python with it: a key past
    # the last page's in Python's order may still be one of that page's
    template = objects("domain")[0]
    pages = iter([["a", "B"], ["a", "c"], []])

    def answer(request: httpx.Request) -> httpx.Response:
        rows = [
            {**template, "name": f"{n}.test", "resource_uri": f"/api/v1/domain/{n}/"}
            for n in next(pages)
        ]
        return httpx.Response(200, json=list_body(rows, limit=2, total=10**6, next_url="?n"))

    api.override("GET", url__regex=LIST).mock(side_effect=answer)
    walked = [d.name for d in client.domain.all().order_by("name").page_size(2)]
    assert walked == ["a.test", "B.test", "c.test"]


def test_a_huge_total_count_plans_offsets_only_as_the_window_moves(client, api):
    rows = objects("domain")[:6]
    calls: list[httpx.Request] = []
    api.override("GET", url__regex=LIST).mock(
        side_effect=_paged(rows, total=lambda: 10**12, calls=calls, cap=100)
    )
    qs = client.domain.all().order_by("-created_at").page_size(2).concurrently(4)
    walked = [d.resource_uri for d in qs]
    assert sorted(walked) == sorted(r["resource_uri"] for r in rows)
    assert len(calls) <= 2 * (1 + 2 + 4 + 1)  # two passes: the data, the gap, the window


def test_two_filters_on_one_parameter_are_refused_rather_than_widened(tastypie_client, domains):
    domains("wide-a.test", "wide-b.test", "true")
    domain = tastypie_client.domain
    # Tastypie joins the two `in` lists: both rows would match (and be deleted) where
    # the caller asked for rows in both lists, which is none
    with pytest.raises(FilterError, match="Two filters send name__in"):
        domain.filter(name__in=["wide-a.test"]).filter(name__in=["wide-b.test"])
    with pytest.raises(FilterError, match="Two filters send name__in"):
        domain.filter(name="true", name__in=["wide-a.test"])
    assert [d.name for d in domain.filter(name="true").filter(name="true")] == ["true"]


def test_isnull_given_the_word_false_is_not_sent_as_true(tastypie_client, domains):
    domains("isnull-check.test")
    domain = tastypie_client.domain
    assert domain.filter(name__isnull="false", name="isnull-check.test").count() == 1
    assert domain.filter(name__isnull="False").count() == domain.count()
    assert domain.filter(name__isnull="true").count() == 0
    with pytest.raises(FilterError, match="isnull takes True or False"):
        domain.filter(name__isnull="maybe")


def test_get_on_a_server_repeating_one_object_without_end_stops(client, api):
    a = objects("domain")[0]
    calls: list[httpx.Request] = []
    api.override("GET", url__regex=LIST).mock(
        side_effect=_paged([a] * 10_000, total=lambda: 10**12, calls=calls, cap=50)
    )
    with pytest.raises(ResponseError, match="repeat one domain"):
        client.domain.get(name__startswith="x")
    assert len(calls) <= 12


def test_an_in_list_item_with_a_comma_is_refused_rather_than_split(tastypie_client, domains):
    domains("comma-a.test", "comma-b.test")
    with pytest.raises(FilterError, match="splits in values on commas"):
        tastypie_client.domain.filter(name__in=["comma-a.test,comma-b.test"])
    found = tastypie_client.domain.filter(name__in=["comma-a.test", "comma-b.test"])
    assert sorted(d.name for d in found) == ["comma-a.test", "comma-b.test"]
