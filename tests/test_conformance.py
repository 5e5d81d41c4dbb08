"""One conformance suite, run against the real django-tastypie server and against the fake.

Each test compares what the client does with what the server itself answers to a plain
HTTP request, so the data sets of the two servers may differ. Where the client or the fake
disagree with the real server, the real server is right.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mailroute_dyn import (
    BadRequest,
    Client,
    DoesNotExist,
    FilterError,
    MethodNotAllowed,
    NotFound,
    OrderingError,
    Unauthorized,
)
from mailroute_dyn.schema.definition import parse_schema
from mailroute_dyn.schema.rules import allowed_terms
from mailroute_dyn.vocabulary import COMMON_TERMS
from tests.conftest import FIXTURES, load

LISTED = sorted(load("listing.json"))


@dataclass
class Server:
    name: str
    client: Client
    raw: httpx.Client
    transport: Any

    def total(self, resource: str, params: dict[str, Any]) -> tuple[int, int]:
        """(status, total_count) of a plain GET with these parameters."""
        r = self.raw.get(f"/api/v1/{resource}/", params={**params, "limit": 1})
        return r.status_code, (r.json()["meta"]["total_count"] if r.status_code == 200 else -1)


def _server(name: str, transport: Any, base: str, login: str, key: str) -> Server:
    client = Client(
        base, login, key, transport=transport, cache_dir=None, retries=0, allow_insecure=True
    )
    raw = httpx.Client(
        transport=transport, base_url=base, headers={"Authorization": f"ApiKey {login}:{key}"}
    )
    return Server(name, client, raw, transport)


@pytest.fixture(params=[pytest.param("tastypie", marks=pytest.mark.slow), "fake"])
def server(request, tastypie_app) -> Iterator[Server]:
    if request.param == "tastypie":
        from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

        s = _server(
            "tastypie",
            httpx.WSGITransport(app=tastypie_app),
            "http://tastypie.test",
            DEMO_LOGIN,
            DEMO_API_KEY,
        )
    else:
        from mailroute_dyn.testing import FakeMailRoute

        fake = FakeMailRoute(FIXTURES, login="demo", api_key="demo-key-not-secret")
        s = _server("fake", fake, "https://fake.mailroute.test", "demo", "demo-key-not-secret")
    yield s
    s.client.close()
    s.raw.close()


def test_discovery(server):
    assert server.client.resources == LISTED
    for name in LISTED:
        cls = server.client[name]
        assert cls.fields and cls.allowed_list_methods
    assert server.client.email_account.filtering == {"domain": 2, "id": ["in"], "localpart": 1}


def _sample_value(field, term: str, obj: dict[str, Any]) -> Any:
    value = obj.get(field.name)
    # MailRoute's wblist schema types its domain/email_account links as strings holding URIs;
    # the server filters them by primary key like any relation
    if field.is_related or (isinstance(value, str) and value.startswith("/api/")):
        value = int(str(value).rstrip("/").rsplit("/", 1)[-1]) if value else 1
    if term in ("isnull",):
        return False
    if term in ("year", "iso_year"):
        return 2012
    if term in (
        "month",
        "day",
        "week",
        "week_day",
        "iso_week_day",
        "quarter",
        "hour",
        "minute",
        "second",
    ):
        return 1
    if term in ("date", "time"):
        return "2012-06-07" if term == "date" else "10:00:00"
    if field.type in ("datetime", "date", "time"):
        value = (
            "2012-06-07T00:00:00-07:00"
            if field.type == "datetime"
            else ("2012-06-07" if field.type == "date" else "10:00:00")
        )
    if term in ("in", "range"):
        return [value, value]
    if term in ("regex", "iregex"):
        return "^."
    return value


def _filter_cases(server: Server) -> Iterator[tuple[str, str, Any]]:
    for name in LISTED:
        schema = parse_schema(name, load(f"schemas/{name}.json"))
        if "get" not in schema.allowed_list_methods or not schema.filtering:
            continue
        objs = server.raw.get(f"/api/v1/{name}/", params={"limit": 1}).json()["objects"]
        if not objs:
            continue
        for fname in sorted(schema.filtering):
            field = schema.fields.get(fname)
            if field is None:
                continue
            for term in sorted(allowed_terms(schema, field)):
                yield name, f"{fname}__{term}", _sample_value(field, term, objs[0])


def test_every_query_term_the_schemas_allow(server):
    cases = list(_filter_cases(server))
    assert len(cases) > 40
    for name, lookup, value in cases:
        qs = server.client[name].filter(**{lookup: value})
        params = dict(p for p in qs._first_call().params if p[0] == lookup)
        status, total = server.total(name, params)
        assert status == 200, f"{server.name} refused {name}?{lookup}={params[lookup]}"
        assert qs.count() == total, f"{name}?{lookup}"


def test_terms_the_schema_does_not_allow_are_refused_by_both(server):
    refused = [
        ("email_account", "id", 5),
        ("email_account", "priority", 3),
        ("domain", "name__bogus", "x"),
        ("domain_alias", "domain__name", "x"),
        ("email_account", "domain__name__startswith", "acme"),
    ]
    server.client.domain  # relation lookups are checked against the loaded target schema
    for name, lookup, value in refused:
        status, _ = server.total(name, {lookup: value})
        assert status == 400, f"{server.name} accepted {name}?{lookup}"
        with pytest.raises(FilterError):
            server.client[name].filter(**{lookup: value})


def test_relation_lookups(server):
    domain = server.raw.get("/api/v1/domain/", params={"limit": 1}).json()["objects"][0]
    server.client.domain
    qs = server.client.email_account.filter(domain__name=domain["name"])
    _, total = server.total("email_account", {"domain__name": domain["name"]})
    got = list(qs)
    assert len(got) == qs.count() == total > 0
    assert {a["domain"] for a in got} == {domain["resource_uri"]}
    assert server.client.email_account.filter(domain=domain["id"]).count() == total


def test_ordering(server):
    raw = server.raw.get(
        "/api/v1/email_account/", params={"order_by": ["-priority", "localpart"], "limit": 50}
    ).json()["objects"]
    got = list(server.client.email_account.order_by("-priority", "localpart")[:50])
    assert [a.id for a in got] == [o["id"] for o in raw]
    assert server.raw.get("/api/v1/email_account/", params={"order_by": "id"}).status_code == 400
    with pytest.raises(OrderingError):
        server.client.email_account.order_by("id")


def test_pagination_across_many_pages_and_the_limit_cap(server):
    everything = server.raw.get("/api/v1/email_account/", params={"limit": 1000}).json()
    ids = [o["id"] for o in everything["objects"]]
    page = everything
    while page["meta"]["next"]:
        page = server.raw.get(page["meta"]["next"]).json()
        ids += [o["id"] for o in page["objects"]]
    walked = [a.id for a in server.client.email_account.all().order_by("localpart").page_size(7)]
    assert sorted(walked) == sorted(ids) and len(set(walked)) == len(walked)
    assert server.client.email_account.count() == everything["meta"]["total_count"]
    capped = server.raw.get("/api/v1/email_account/", params={"limit": 5000}).json()["meta"]
    assert capped["limit"] == 1000
    assert len(list(server.client.email_account.all().page_size(5000))) == len(ids)
    assert [a.id for a in server.client.email_account.all().page_size(4)[3:10]] == [
        a.id for a in list(server.client.email_account.all())[3:10]
    ]


def _fresh_domain(server: Server):
    return server.client.domain.all().first()


def test_create_put_patch_delete(server):
    client = server.client
    dom = _fresh_domain(server)
    localpart = f"conf-{uuid.uuid4().hex[:8]}"
    acct = client.email_account.create(
        localpart=localpart, domain=dom, priority=8, create_opt="generate_pwd"
    )
    assert isinstance(acct.id, int) and acct.resource_uri == f"/api/v1/email_account/{acct.id}/"
    stored = server.raw.get(acct.resource_uri).json()
    assert stored["localpart"] == localpart and stored["priority"] == 8
    # PUT (email_account has no PATCH) keeps fields the caller did not touch
    acct.priority = 3
    acct.save()
    stored = server.raw.get(acct.resource_uri).json()
    assert stored["priority"] == 3 and stored["create_opt"] == "generate_pwd"
    assert stored["localpart"] == localpart
    # PATCH where the schema allows it
    reseller = client.reseller.create(name=f"Conformance {uuid.uuid4().hex[:6]}")
    reseller.allow_branding = True
    reseller.save()
    assert server.raw.get(reseller.resource_uri).json()["allow_branding"] is True
    # delete
    acct.delete()
    reseller.delete()
    with pytest.raises(DoesNotExist):
        client.email_account.get(acct.id)
    assert server.raw.get(acct.resource_uri).status_code == 404


def test_error_answers(server):
    client = server.client
    with pytest.raises(BadRequest) as info:
        client.request(
            "POST",
            "/api/v1/email_account/",
            json={"priority": 8, "domain": _fresh_domain(server)["resource_uri"]},
        )
    assert info.value.errors == {"email_account": {"localpart": ["This field is required."]}}
    with pytest.raises(NotFound):
        client.request("GET", "/api/v1/email_account/999999/")
    with pytest.raises(MethodNotAllowed) as info:
        client.request("PUT", "/api/v1/wblist/1/", json={})
    assert "DELETE" in info.value.allowed
    with pytest.raises(BadRequest, match="positive integer"):
        client.request("GET", "/api/v1/domain/", params={"limit": -1})
    base = str(server.raw.base_url).rstrip("/")
    with Client(
        base,
        "demo",
        "wrong-key-not-real",
        transport=server.transport,
        cache_dir=None,
        allow_insecure=True,
    ) as bad:
        assert bad.resources == LISTED  # the listing needs no key
        with pytest.raises(Unauthorized):
            bad.domain.all().count()


def test_keyset_walk_skips_nothing_when_rows_are_inserted_meanwhile(server):
    client = server.client
    before = {d.name for d in client.domain.all()}
    made = []
    seen = []
    for d in client.domain.all().page_size(5):
        seen.append(d.name)
        if len(made) < 3:
            # a name that sorts before everything walked so far: offset paging would skip
            made.append(
                client.domain.create(name=f"0-{uuid.uuid4().hex[:6]}.test", customer=d["customer"])
            )
    assert set(seen) >= before and len(seen) == len(set(seen))
    for m in made:
        m.delete()


def test_common_terms_cover_tastypie(server):
    # a sanity check of the term table against the server: every common term on a
    # CharField with ALL is accepted
    for term in sorted(COMMON_TERMS):
        value = "a,b" if term in ("in", "range") else ("true" if term == "isnull" else "a")
        status, _ = server.total("domain", {f"name__{term}": value})
        assert status == 200, term
