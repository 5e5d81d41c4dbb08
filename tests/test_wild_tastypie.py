"""The client against shapes that large open-source projects put in their Tastypie APIs,
each served by the project's real django-tastypie site (``tests/tastypie_site/anyapi/
wild.py``, under ``/wild/api/``): a `filtering` rule given as a string, `filtering` that
is no JSON object, a `filtering` key that is no field, nested objects without
`resource_uri`, resource names with a slash, and a listing that fails on `order_by`."""

from __future__ import annotations

import logging
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mailroute_dyn import Client, FilterError, MailRouteError, ResponseError
from mailroute_dyn.settings.auth import ApiKeyAuth
from tests.conftest import RecordingTransport

WILD = "/wild/api/"


def _tag() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def connect(tastypie_app: Any) -> Iterator[Callable[..., Client]]:
    """Clients on the site's `/wild/api/` (ApiKey unless `auth=` says otherwise)."""
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    made: list[Client] = []

    def make(transport: httpx.BaseTransport | None = None, **kwargs: Any) -> Client:
        if "auth" not in kwargs:
            kwargs.update(login=DEMO_LOGIN, api_key=DEMO_API_KEY)
        c = Client(
            "http://tastypie.test",
            api_path=WILD,
            cache_dir=None,
            retries=0,
            transport=transport or httpx.WSGITransport(app=tastypie_app),
            allow_insecure=True,
            **kwargs,
        )
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def _models() -> Any:
    from tests.tastypie_site.anyapi import models

    return models


# ---------------------------------------------------------------- 1. a string rule


def test_a_filtering_rule_given_as_a_string_allows_the_terms_it_contains(connect):
    m = _models()
    alice = m.Profile.objects.create(username=f"alice-{_tag()}")
    m.Profile.objects.create(username=f"bob-{_tag()}")
    group = m.GroupProfile.objects.create(title=f"group-{_tag()}")
    group.users.add(alice)
    client = connect()
    profiles = client["profiles"]
    assert profiles.filtering["username"] == "exact"
    assert [p.username for p in profiles.filter(username=alice.username)] == [alice.username]
    with pytest.raises(FilterError, match="startswith"):
        profiles.filter(username__startswith="alice")  # "exact" does not contain it
    found = client["group_profile"].filter(users__username=alice.username)
    assert [g.title for g in found] == [group.title]


def test_a_term_the_server_cannot_build_on_a_to_many_field_is_refused_before_sending(
    connect, raw_wild
):
    """Tastypie passes `users__startswith` on a many-to-many field to Django, which cannot
    build it (a 500): the client refuses it up front and points at the related field; a
    foreign key's terms on the field, and any term through it, still go out."""
    m = _models()
    alice = m.Profile.objects.create(username=f"alice-{_tag()}")
    group = m.GroupProfile.objects.create(title=f"group-{_tag()}")
    group.users.add(alice)
    groups = connect()["group_profile"]
    assert raw_wild.get(f"{WILD}group_profile/?users__startswith=1").status_code == 500
    with pytest.raises(FilterError, match="to_many field") as refused:
        groups.filter(users__startswith="1")
    assert "users__<field>__startswith" in str(refused.value)
    assert [g.title for g in groups.filter(users__in=[alice.pk])] == [group.title]
    through = groups.filter(users__username=alice.username)  # (profiles allow exact only)
    assert [g.title for g in through] == [group.title]


# ---------------------------------------------------------------- 2. unreadable filtering


def test_filtering_that_is_no_json_object_degrades_to_unchecked_filters(connect, caplog):
    m = _models()
    tag = m.Tag.objects.create(name=f"red-{_tag()}")
    client = connect()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a log record, not a Python warning
        with caplog.at_level(logging.WARNING, logger="mailroute_dyn"):
            assert "tags" in client.preload()  # the API loads, this resource too
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("tags" in text and "filtering" in text for text in said), said
    tags = client["tags"]
    assert dict(tags.filtering) == {}
    with pytest.raises(FilterError, match=r"unchecked\(\)"):
        tags.filter(name=tag.name)
    assert tags.get(tag.pk).name == tag.name
    assert tag.name in {t.name for t in tags.all()}


# ---------------------------------------------------------------- 3. a key that is no field


def test_a_filtering_key_that_is_no_field_is_sent_to_the_servers_own_filter(connect):
    m = _models()
    mine = m.Thesaurus.objects.create(identifier=f"th-{_tag()}", title="Mine")
    other = m.Thesaurus.objects.create(identifier=f"th-{_tag()}", title="Other")
    kept = m.ThesaurusKeyword.objects.create(thesaurus=mine, alt_label="Hydrography")
    m.ThesaurusKeyword.objects.create(thesaurus=other, alt_label="Soil")
    keywords = connect()["thesaurus/keywords"]
    assert "thesaurus" not in keywords.fields
    found = list(keywords.filter(thesaurus=mine.identifier))
    assert [k.pk for k in found] == [kept.pk]
    # ALL on a name no field has: only the name itself (its code may read nothing else)
    with pytest.raises(FilterError, match="thesaurus"):
        keywords.filter(thesaurus__in=[mine.identifier, other.identifier])
    with pytest.raises(FilterError, match="thesaurus"):
        keywords.filter(thesaurus__identifier=mine.identifier)


# ---------------------------------------------------------------- 4. unchecked names


@pytest.mark.parametrize("how", ["login and api_key", "auth="])
def test_unchecked_takes_every_name_the_query_does_not_set_itself(connect, how):
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    m = _models()
    alice = m.Profile.objects.create(username=f"alice-{_tag()}")
    m.Profile.objects.create(username=f"carol-{_tag()}")
    client = connect(auth=ApiKeyAuth(DEMO_LOGIN, DEMO_API_KEY)) if how == "auth=" else connect()
    profiles = client["profiles"]
    found = [p.username for p in profiles.all().unchecked(username=alice.username)]
    assert found == [alice.username]
    for reserved in ("limit", "offset", "order_by"):
        with pytest.raises(FilterError, match="set by the query itself"):
            profiles.all().unchecked(**{reserved: "5"})


def test_completion_and_stubs_read_filtering_as_the_filters_do(connect):
    from mailroute_dyn.cli.complete import filter_lookups
    from mailroute_dyn.tools.stubs import generate_stub

    client = connect()
    client.preload()
    assert filter_lookups(client["profiles"]._schema) == ["username="]
    assert filter_lookups(client["thesaurus/keywords"]._schema)[-1:] == ["thesaurus="]
    text = generate_stub(client)
    profiles = text[text.index("class _ProfilesMeta(") : text.index("class Profiles(")]
    assert "username__exact:" in profiles and "username__startswith" not in profiles


# ---------------------------------------------------------------- 5. nested, no URI


def test_nested_objects_without_resource_uri_are_objects_of_their_resource(connect, raw_wild):
    m = _models()
    group = m.GroupProfile.objects.create(title=f"group-{_tag()}")
    names = [f"cat-{_tag()}", f"cat-{_tag()}"]
    for name in names:
        group.categories.add(m.GroupCategory.objects.create(name=name))
    client = connect()
    stored = raw_wild.get(f"{WILD}group_profile/{group.pk}/").json()["categories"]
    assert len(stored) == 2 and "resource_uri" not in stored[0]
    obj = client["group_profile"].get(group.pk)
    categories = obj.categories
    assert sorted(c.name for c in categories) == sorted(names)
    assert all(type(c) is client["group_categories"] for c in categories)
    first = categories[0]
    assert first.resource_uri == f"{WILD}group_categories/{first.pk}/"
    listed = [g for g in client["group_profile"].all() if g.pk == group.pk]
    assert sorted(c.name for c in listed[0].categories) == sorted(names)


@pytest.fixture
def raw_wild(tastypie_app: Any) -> Iterator[httpx.Client]:
    from tests.tastypie_site import auth_header

    with httpx.Client(
        transport=httpx.WSGITransport(app=tastypie_app),
        base_url="http://tastypie.test",
        headers=auth_header(),
    ) as c:
        yield c


# ---------------------------------------------------------------- 6. a slash in the name


def test_a_resource_name_with_a_slash_reads_its_own_objects(connect):
    m = _models()
    thesaurus = m.Thesaurus.objects.create(identifier=f"th-{_tag()}", title="Slash")
    keyword = m.ThesaurusKeyword.objects.create(thesaurus=thesaurus, alt_label="Rivers")
    client = connect()
    keywords = client["thesaurus/keywords"]
    got = keywords.get(keyword.pk)
    assert type(got) is keywords and got.alt_label == "Rivers"
    assert got.resource_uri == f"{WILD}thesaurus/keywords/{keyword.pk}/"
    by_uri = client.get(got.resource_uri)
    assert type(by_uri) is keywords and by_uri == got
    assert {type(o) for o in client.list(f"{WILD}thesaurus/keywords/")} == {keywords}
    assert type(client["thesaurus"].get(thesaurus.pk)) is client["thesaurus"]
    # a relation to it: its schema and its objects are the slashed resource's
    owner = (
        client["thesaurus"]
        .filter(keywords__alt_label="Rivers")
        .get(identifier=thesaurus.identifier)
    )
    assert [type(k) for k in owner.keywords] == [keywords] and owner.keywords == [got]
    # an object of the slashed resource is a filter value of a relation to it
    assert client["thesaurus"].filter(keywords=got).get().pk == thesaurus.pk


def test_a_capture_of_names_with_a_slash_is_served_by_the_fake(connect, tmp_path):
    from mailroute_dyn.testing import FakeMailRoute, capture
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    m = _models()
    thesaurus = m.Thesaurus.objects.create(identifier=f"th-{_tag()}", title="Captured")
    m.ThesaurusKeyword.objects.create(thesaurus=thesaurus, alt_label="Lakes")
    folder = capture(connect(), tmp_path / "wild", limit=500)
    assert (folder / "schemas" / "thesaurus%2Fkeywords.json").is_file()
    fake = FakeMailRoute(folder, login=DEMO_LOGIN, api_key=DEMO_API_KEY, api_path=WILD)
    with Client(
        "https://fake.test", DEMO_LOGIN, DEMO_API_KEY, api_path=WILD, transport=fake, cache_dir=None
    ) as client:
        keywords = client["thesaurus/keywords"]
        assert "Lakes" in {k.alt_label for k in keywords.all()}


def test_a_private_error_never_escapes_a_detail_read(api, client):
    from tests.conftest import BASE, objects

    other = objects("customer")[0]
    api.override("GET", f"{BASE}/api/v1/domain/7/").respond(json=other)
    with pytest.raises(ResponseError) as caught:
        client.domain.get(7)
    assert not type(caught.value).__name__.startswith("_")
    assert "customer" in str(caught.value)


# ---------------------------------------------------------------- 7. order_by refused


def test_a_key_walk_the_server_cannot_take_falls_back_to_next_links(connect, tastypie_app, caplog):
    m = _models()
    tag = _tag()
    public = sorted(f"p{tag}-{i}" for i in range(3))
    for name in public:
        m.Profile.objects.create(username=name)
    m.Profile.objects.create(username=f"p{tag}-hidden", public=False)
    transport = RecordingTransport(tastypie_app)
    client = connect(transport=transport, page_size=2)
    people = client["people"]
    with caplog.at_level(logging.WARNING, logger="mailroute_dyn"):
        first = [p.username for p in people.all()]
    assert set(public) <= set(first) and f"p{tag}-hidden" not in first
    assert len(first) == len(set(first)) == people.count()
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("people" in text and "500" in text for text in said), said
    transport.requests.clear()
    assert [p.username for p in people.all()] == first  # remembered: no order_by again
    assert not any("order_by" in str(r.url.query) for r in transport.requests)
    with pytest.raises(MailRouteError):  # asked for: the server's answer
        list(people.order_by("username"))


def test_an_async_key_walk_the_server_cannot_take_falls_back_too(tastypie_app):
    import asyncio

    from django.core.asgi import get_asgi_application

    from mailroute_dyn import AsyncClient

    m = _models()
    tag = _tag()
    names = {f"q{tag}-{i}" for i in range(3)}
    for name in names:
        m.Profile.objects.create(username=name)

    async def run() -> set[str]:
        async with AsyncClient(
            "http://tastypie.test",
            "demo",
            "demo-key-not-secret",
            api_path=WILD,
            transport=httpx.ASGITransport(app=get_asgi_application()),
            cache_dir=None,
            retries=0,
            allow_insecure=True,
            page_size=2,
        ) as client:
            people = await client.resource("people")
            return {p.username async for p in people.all().concurrently(1)}

    assert names <= asyncio.run(run())


# ---------------------------------------------------------------- the same rules, by hand

WILD_BASE = "https://wild.example.test"


def _field(ftype: str, **flags: Any) -> dict[str, Any]:
    return {
        "type": ftype,
        "nullable": False,
        "blank": False,
        "readonly": False,
        "unique": False,
        "primary_key": False,
        "default": "No default provided.",
        "help_text": "",
        **flags,
    }


def _schema(fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "fields": {
            "id": _field("integer", primary_key=True, unique=True),
            "resource_uri": _field("string", readonly=True),
            **fields,
        },
        "allowed_list_http_methods": ["get"],
        "allowed_detail_http_methods": ["get"],
        **extra,
    }


@pytest.fixture
def by_hand() -> Iterator[Any]:
    import respx

    schemas = {
        "group": _schema(
            {
                "lead": {**_field("related"), "related_type": "to_one"},
                "cats": {**_field("related"), "related_type": "to_many"},
            }
        ),
        "people": _schema(
            {"username": _field("string", unique=True)},
            ordering=["username"],
            filtering={"username": 1},
        ),
        "thesaurus": _schema({}),
        "thesaurus/keywords": _schema({"label": _field("string")}),
    }
    with respx.mock(base_url=WILD_BASE, assert_all_called=False) as router:
        router.get("/api/").respond(
            json={
                name: {"list_endpoint": f"/api/{name}/", "schema": schema}
                for name, schema in schemas.items()
            }
        )
        yield router


def _client(**kwargs: Any) -> Client:
    return Client(
        WILD_BASE, "me", "fake-key-not-real", api_path="/api/", cache_dir=None, retries=0, **kwargs
    )


def test_nested_objects_of_an_unknown_resource_are_plain_dicts_never_dropped(by_hand):
    by_hand.get("/api/group/1/").respond(
        json={
            "id": 1,
            "resource_uri": "/api/group/1/",
            "lead": {"name": "Ann"},
            "cats": [{"name": "a"}, {"name": "b"}],
        }
    )
    with _client() as client:
        group = client.group.get(1)
        assert group.lead == {"name": "Ann"}
        assert group.cats == [{"name": "a"}, {"name": "b"}]


def test_a_transient_error_on_a_key_walk_changes_nothing_a_400_falls_back(by_hand, caplog):
    page = {
        "meta": {"total_count": 1, "next": None},
        "objects": [{"id": 1, "username": "ann", "resource_uri": "/api/people/1/"}],
    }
    ordered = by_hand.get("/api/people/", params={"order_by": "username"})
    plain = by_hand.get("/api/people/").respond(json=page)
    ordered.respond(503)
    with _client() as client, caplog.at_level(logging.WARNING, logger="mailroute_dyn"):
        people = client.people
        with pytest.raises(MailRouteError, match="503"):
            list(people.all())
        assert not people._catalogue.no_key_walk and not caplog.records and not plain.called
        ordered.respond(400, json={"error": "No matching 'username' field for ordering."})
        assert [p.username for p in people.all()] == ["ann"]
        assert "people" in people._catalogue.no_key_walk and plain.call_count == 1
        assert [r.levelname for r in caplog.records] == ["WARNING"]


def test_an_object_under_a_longer_list_endpoint_is_that_resources(by_hand):
    by_hand.get("/api/thesaurus/").respond(
        json={
            "meta": {"total_count": 2, "next": None},
            "objects": [
                {"id": 1, "resource_uri": "/api/thesaurus/1/"},
                {"id": 5, "label": "x", "resource_uri": "/api/thesaurus/keywords/5/"},
            ],
        }
    )
    with _client() as client:
        found = list(client.thesaurus.all())
        assert [type(o).resource_name for o in found] == ["thesaurus", "thesaurus/keywords"]
