"""A list DELETE is never wider than the caller asked (issue 18 item 1): a filter that
matches every row of the resource *by value* (`email__gte=""`, `__in` naming every row, a
date range wider than the data) is refused unless the caller says "all" in words:
`delete(confirm="all")`, `delete … --all --everything`.

The harm is a real server's, so the refusals are played on the project's real
django-tastypie server (tests/tastypie_site; sync through WSGI, async through ASGI, and
the command line); what the counts do when they fail or disagree comes from respx.
"""

# ruff: noqa: F811  (fixtures shared with the CLI tests are imported, then requested by name)
from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mailroute_dyn import AsyncClient, GuardError, ServerError
from mailroute_dyn.testing import FakeMailRoute
from tests.conftest import BASE, list_body, objects
from tests.helpers import run, site_client

pytestmark = pytest.mark.usefixtures("isolated")

RESELLERS = re.escape(f"{BASE}/api/v1/reseller/")

#: Filters that match every contact_domain row by their value, not by their form.
EVERY_ROW: dict[str, Callable[[list[str]], dict[str, Any]]] = {
    "gte-empty": lambda emails: {"email__gte": ""},
    "gt-empty": lambda emails: {"email__gt": ""},
    "lte-top": lambda emails: {"email__lte": "\uffff"},
    "in-every-value": lambda emails: {"email__in": emails},
    "wide-range": lambda emails: {
        "created_at__range": [datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)]
    },
    "after-the-epoch": lambda emails: {
        "created_at__gte": datetime(1970, 1, 1, tzinfo=UTC),
        "email__contains": "@",
    },
}


@pytest.fixture
def contact_domains(tastypie_app: Any) -> Iterator[list[str]]:
    """The emails of every contact_domain row; rows a failing test deleted are put back
    afterwards, so one broken guard cannot spoil the session's data for other tests."""
    from tests.tastypie_site.mailroute.models import ContactDomain

    before = list(ContactDomain.objects.all())
    yield sorted(c.email for c in before)
    left = set(ContactDomain.objects.values_list("id", flat=True))
    ContactDomain.objects.bulk_create([c for c in before if c.id not in left])


def _count_rows() -> int:
    from tests.tastypie_site.mailroute.models import ContactDomain

    return ContactDomain.objects.count()


def _asgi_client() -> AsyncClient:
    from django.core.asgi import get_asgi_application

    return site_client(httpx.ASGITransport(app=get_asgi_application()), kind=AsyncClient)


# ---------------------------------------------------------------- on the real server


@pytest.mark.parametrize("lookups", EVERY_ROW.values(), ids=EVERY_ROW.keys())
def test_a_filter_matching_every_row_by_value_deletes_nothing(
    tastypie_client, contact_domains, lookups
):
    rows = len(contact_domains)
    qs = tastypie_client.contact_domain.filter(**lookups(contact_domains))
    assert qs.count() == rows > 0  # it does match every row
    with pytest.raises(
        GuardError,
        match=rf"match all {rows} contact_domain objects.*"
        r"confirm='all'",
    ):
        qs.delete(confirm=True)
    assert _count_rows() == rows


def test_confirm_all_deletes_every_row_the_filter_matches(tastypie_client, contact_domains):
    qs = tastypie_client.contact_domain.filter(email__gte="")
    assert qs.delete(confirm="all") == len(contact_domains)
    assert _count_rows() == 0  # (the fixture puts them back)


def test_a_filter_leaving_one_row_out_deletes_the_others(tastypie_client, contact_domains):
    keep = contact_domains[0]
    qs = tastypie_client.contact_domain.filter(email__gt=keep)
    assert qs.delete(confirm=True) == len(contact_domains) - 1
    assert [c.email for c in tastypie_client.contact_domain.all()] == [keep]


def test_async_delete_refuses_a_filter_matching_every_row_and_takes_confirm_all(contact_domains):
    rows = len(contact_domains)

    async def main() -> int | None:
        async with _asgi_client() as client:
            contacts = await client.resource("contact_domain")
            with pytest.raises(GuardError, match=f"match all {rows} contact_domain"):
                await contacts.filter(email__lte="\uffff").delete(confirm=True)
            assert await contacts.all().count() == rows
            return await contacts.filter(email__lte="\uffff").delete(confirm="all")

    assert asyncio.run(main()) == rows
    assert _count_rows() == 0


def test_cli_refuses_a_filter_matching_every_row_unless_everything(capsys, real, contact_domains):
    base = (
        "--profile",
        "real",
        "--no-cache",
        "delete",
        "contact_domain",
        "--filter",
        "email__gte=",
        "--all",
        "--yes",
    )
    code, _, err = run(capsys, *base, transport=real)
    assert code == 2 and "matches every contact_domain" in err and "--everything" in err
    assert _count_rows() == len(contact_domains)
    code, out, err = run(capsys, *base, "--everything", transport=real)
    assert code == 0, err
    assert out.count(" deleted ") == len(contact_domains)
    assert f"deleted {len(contact_domains)} contact_domain objects" in err
    assert _count_rows() == 0


def test_cli_everything_goes_only_with_all(capsys):
    server = FakeMailRoute()
    before = len(server.objects("contact_domain"))
    code, _, err = run(
        capsys,
        "--demo",
        "delete",
        "contact_domain",
        "--filter",
        "email__gte=",
        "--everything",
        "--yes",
        transport=server,
    )
    assert code == 2 and "--everything goes with --filter … --all" in err
    assert len(server.objects("contact_domain")) == before


def test_cli_still_refuses_a_filter_matching_all_by_its_form_with_everything(capsys):
    server = FakeMailRoute()
    before = len(server.objects("contact_domain"))
    code, _, err = run(
        capsys,
        "--demo",
        "delete",
        "contact_domain",
        "--filter",
        "email__startswith=",
        "--all",
        "--everything",
        "--yes",
        transport=server,
    )
    assert code == 2 and "by construction" in err
    assert len(server.objects("contact_domain")) == before


def test_bulk_delete_of_every_key_is_not_concerned():
    from mailroute_dyn import Client

    with Client.demo() as client:
        every = [c.pk for c in client.contact_domain.all()]
        assert client.contact_domain.bulk_delete(every).ok
        assert client.contact_domain.all().count() == 0


# ---------------------------------------------------------------- the two counts


def _counts(whole: httpx.Response, matched: httpx.Response, api: Any) -> tuple[Any, Any, Any]:
    """Routes for the whole count, the filtered count (name__startswith=r) and the DELETE."""
    everything = api.override("GET", url__regex=rf"{RESELLERS}\?limit=1&offset=0$").mock(
        return_value=whole
    )
    filtered = api.override("GET", url__regex=rf"{RESELLERS}\?name__startswith=r&").mock(
        return_value=matched
    )
    gone = api.override("DELETE", url__regex=rf"{RESELLERS}\?").respond(204)
    return everything, filtered, gone


def _counted(total: int | None) -> httpx.Response:
    body = list_body(objects("reseller")[:1], limit=1, total=total or 0)
    if total is None:
        del body["meta"]["total_count"]
    return httpx.Response(200, json=body)


def test_the_whole_resource_is_counted_before_the_matches(client, api):
    everything, filtered, gone = _counts(_counted(3), _counted(2), api)
    assert client.reseller.filter(name__startswith="r").delete(confirm=True) == 2
    order = [
        c.request.method + " " + str(c.request.url)
        for c in api.router.calls
        if "/reseller/?" in str(c.request.url)
    ]
    assert order == [
        f"GET {BASE}/api/v1/reseller/?limit=1&offset=0",
        f"GET {BASE}/api/v1/reseller/?name__startswith=r&limit=1&offset=0",
        f"DELETE {BASE}/api/v1/reseller/?name__startswith=r",
    ]


@pytest.mark.parametrize("whole, matched", [(3, 3), (3, 4)])
def test_more_matches_than_rows_counted_before_is_refused_too(client, api, whole, matched):
    # 4 > 3: a row came in between the two counts (or a join repeats rows): still refused
    *_, gone = _counts(_counted(whole), _counted(matched), api)
    with pytest.raises(GuardError, match=f"match all {matched} reseller objects"):
        client.reseller.filter(name__startswith="r").delete(confirm=True)
    assert not gone.called


def test_nothing_matching_an_empty_resource_is_not_refused(client, api):
    *_, gone = _counts(_counted(0), _counted(0), api)
    assert client.reseller.filter(name__startswith="r").delete(confirm=True) == 0
    assert gone.call_count == 1


@pytest.mark.parametrize("which", ["whole", "matched"])
def test_a_failed_count_deletes_nothing(client, api, which):
    failed = httpx.Response(500, text="boom")
    whole, matched = (failed, _counted(2)) if which == "whole" else (_counted(3), failed)
    *_, gone = _counts(whole, matched, api)
    with pytest.raises(ServerError):
        client.reseller.filter(name__startswith="r").delete(confirm=True)
    assert not gone.called


@pytest.mark.parametrize("whole, matched", [(None, 2), (3, None)])
def test_a_count_without_total_is_refused_unless_confirm_all(client, api, whole, matched):
    *_, gone = _counts(_counted(whole), _counted(matched), api)
    with pytest.raises(GuardError, match="no total_count"):
        client.reseller.filter(name__startswith="r").delete(confirm=True)
    assert not gone.called
    client.reseller.filter(name__startswith="r").delete(confirm="all")
    assert gone.call_count == 1


def test_confirm_all_skips_the_whole_count(client, api):
    everything, filtered, gone = _counts(_counted(3), _counted(3), api)
    assert client.reseller.filter(name__startswith="r").delete(confirm="all") == 3
    assert not everything.called and filtered.call_count == 1 and gone.call_count == 1


def test_confirm_all_keeps_the_other_guards(client, api):
    *_, gone = _counts(_counted(3), _counted(3), api)
    reseller = client.reseller
    with pytest.raises(GuardError, match="without a filter"):
        reseller.all().delete(confirm="all")
    with pytest.raises(GuardError, match="by construction"):
        reseller.filter(name__startswith="").delete(confirm="all")
    with pytest.raises(GuardError, match="slicing and ordering"):
        reseller.filter(name__startswith="r")[:2].delete(confirm="all")
    assert not gone.called


def test_a_refusal_names_its_filters(client, api):
    _counts(_counted(3), _counted(3), api)
    tag = uuid.uuid4().hex[:6]
    api.override("GET", url__regex=rf"{RESELLERS}\?name__gte={tag}&").mock(return_value=_counted(3))
    with pytest.raises(GuardError, match=rf"name__gte='{tag}' match all 3 reseller"):
        client.reseller.filter(name__gte=tag).delete(confirm=True)
