"""The client against Tastypie APIs shaped unlike MailRoute's, on the project's real
django-tastypie server (``tests/tastypie_site/anyapi``): string and slug keys, slashless
URLs, a schema without a key field, ``detail_uri_name``, ``collection_name``,
``include_resource_uri = False``, ``use_in``, ``limit = 0``/``max_limit = None``, two API
versions and resource names that are no Python identifiers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mailroute_dyn import Client, GuardError, MailRouteError
from tests.conftest import RecordingTransport

ANY = "/anyapi/api/v1/"
V2 = "/anyapi/api/v2/"
FLAT = "/slashless/api/v1/"


@pytest.fixture
def raw(tastypie_app: Any) -> Iterator[httpx.Client]:
    """Plain HTTP to the same server, to see what it really stored."""
    from tests.tastypie_site import auth_header

    with httpx.Client(
        transport=httpx.WSGITransport(app=tastypie_app),
        base_url="http://tastypie.test",
        headers=auth_header(),
    ) as c:
        yield c


@pytest.fixture
def connect(tastypie_app: Any) -> Iterator[Callable[..., Client]]:
    """Clients on one of the site's APIs (`api_path`), closed after the test."""
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    made: list[Client] = []

    def make(api_path: str = ANY, **kwargs: Any) -> Client:
        kwargs.setdefault("cache_dir", None)
        c = Client(
            "http://tastypie.test",
            DEMO_LOGIN,
            DEMO_API_KEY,
            api_path=api_path,
            transport=httpx.WSGITransport(app=tastypie_app),
            retries=0,
            allow_insecure=True,
            **kwargs,
        )
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def _tag() -> str:
    return uuid.uuid4().hex[:8]


# ---------------------------------------------------------------- keys


def test_create_sends_a_string_primary_key_the_caller_chose(connect, raw):
    products = connect()["products"]
    artnr = f"fx{_tag()}"
    made = products.create(artnr=artnr, name="Flux capacitor")
    assert made.pk == artnr
    assert made.resource_uri == f"{ANY}products/{artnr}/"
    assert raw.get(f"{ANY}products/{artnr}/").json()["name"] == "Flux capacitor"
    assert raw.get(f"{ANY}products//").status_code == 404  # no row under an empty key
    assert products.get(artnr) == made


def test_create_with_a_slug_key_reads_back_the_same_object(connect):
    notes = connect()["slugnotes"]
    slug = f"note-{_tag()}"
    made = notes.create(slug=slug, title="Slugged")
    assert made.pk == slug and notes.get(slug).title == "Slugged"


def test_bulk_create_takes_objects_with_their_own_string_key(connect, raw):
    products = connect()["products"]
    keys = [f"bk{_tag()}" for _ in range(3)]
    result = products.bulk_create([{"artnr": k, "name": f"Item {k}"} for k in keys])
    assert result.ok, result.failed
    for k in keys:
        assert raw.get(f"{ANY}products/{k}/").json()["name"] == f"Item {k}"


def test_a_string_key_is_not_changed_by_a_save(connect, raw):
    products = connect()["products"]
    artnr = f"ch{_tag()}"
    obj = products.create(artnr=artnr, name="Keep me")
    obj.artnr = f"other{_tag()}"
    with pytest.raises(MailRouteError, match="primary key cannot change"):
        obj.save()
    assert raw.get(f"{ANY}products/?artnr__startswith=other").json()["objects"] == []


def test_an_empty_key_is_refused_before_sending(connect):
    with pytest.raises(GuardError):
        connect()["products"].get("")


def test_a_server_assigned_key_is_still_left_out_of_a_create(connect, raw):
    notes = connect()["notes"]
    made = notes.create(title="Auto key", slug=f"auto-{_tag()}", body="text")
    assert isinstance(made.pk, int)
    assert raw.get(f"{ANY}notes/{made.pk}/").json()["slug"] == made.slug


def test_a_schema_without_a_key_field_takes_the_key_from_the_uri(connect, raw):
    client = connect()
    note = client["notes"].create(title="Commented", slug=f"c-{_tag()}")
    comments = client["comments"]
    assert comments._schema.primary_key is None
    made = comments.create(note=note, text="first!")
    stored = raw.get(made.resource_uri).json()
    assert stored["note"] == note.resource_uri  # the relation was sent
    assert isinstance(made.pk, int)
    again = comments.get(made.pk)
    assert again.pk == made.pk and again == made and again.note == note


# ---------------------------------------------------------------- URI forms


def test_a_slashless_api_keeps_its_own_uri_form(connect, raw):
    notes = connect(FLAT)["notes"]
    made = notes.create(title="Flat", slug=f"flat-{_tag()}")
    assert not made.resource_uri.endswith("/")
    assert raw.get(made.resource_uri).json()["resource_uri"] == made.resource_uri
    assert made in list(notes.all())
    again = notes.get(made.pk)
    assert again == made and again.resource_uri == made.resource_uri
    again.title = "Flatter"
    again.save()
    assert raw.get(made.resource_uri).json()["title"] == "Flatter"


def test_a_slashless_string_key_create_reads_back(connect):
    products = connect(FLAT)["products"]
    artnr = f"sl{_tag()}"
    made = products.create(artnr=artnr, name="Slashless")
    assert made.resource_uri == f"{FLAT}products/{artnr}"
    assert products.get(artnr) == made


def test_detail_uri_name_other_than_the_key_is_used_for_writes(connect, raw):
    client = connect()
    slug = f"my-{_tag()}"
    made = client["my-notes"].create(title="By slug", slug=slug)
    assert made.resource_uri == f"{ANY}my-notes/{slug}/"
    assert made.pk != slug  # the key is the id, not the URI's slug
    made.title = "Renamed by slug"
    made.save()
    assert raw.get(f"{ANY}my-notes/{slug}/").json()["title"] == "Renamed by slug"
    fresh = connect()["my-notes"]
    listed = fresh.filter(slug=slug).get()
    assert listed.pk == raw.get(f"{ANY}my-notes/{slug}/").json()["id"]


def test_include_resource_uri_false_builds_uris_from_the_list_endpoint(connect, raw):
    client = connect()
    made = client["notes"].create(title="Bare", slug=f"bare-{_tag()}")
    bare = client["bare_notes"]
    listed = [o for o in bare.all() if o.pk == made.pk]
    assert listed and listed[0].resource_uri == f"{ANY}bare_notes/{made.pk}/"
    obj = bare.get(made.pk)
    assert obj == listed[0]
    obj.title = "Bare, saved"
    obj.save()
    assert raw.get(f"{ANY}bare_notes/{made.pk}/").json()["title"] == "Bare, saved"


def test_collection_name_other_than_objects_reads_and_bulk_writes(connect, raw):
    bare = connect(page_size=2)["bare_notes"]  # limit = 0, max_limit = None: paged
    tag = _tag()
    result = bare.bulk_create([{"title": "Coll", "slug": f"coll-{tag}-{i}"} for i in range(3)])
    assert result.ok, result.failed
    slugs = {o.slug for o in bare.all()}
    assert {f"coll-{tag}-0", f"coll-{tag}-1"} <= slugs
    total = raw.get(f"{ANY}bare_notes/").json()["meta"]["total_count"]
    assert total > 2
    assert bare.count() == total == len(list(bare.all())) == len(set(bare.all()))


# ---------------------------------------------------------------- use_in


def test_a_field_only_in_detail_is_read_not_reported_as_none(connect):
    client = connect()
    made = client["notes"].create(title="Detail only", slug=f"use-{_tag()}", body="the body")
    listed = client["notes"].filter(slug=made.slug).get()
    assert "body" not in listed  # the list representation lacks it
    assert listed.body == "the body"


def test_a_list_object_reads_its_detail_once_for_all_missing_fields(tastypie_app):
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    transport = RecordingTransport(tastypie_app)
    with Client(
        "http://tastypie.test",
        DEMO_LOGIN,
        DEMO_API_KEY,
        api_path=ANY,
        transport=transport,
        cache_dir=None,
        retries=0,
        allow_insecure=True,
    ) as client:
        made = client["notes"].create(title="Once", slug=f"once-{_tag()}", body="b")
        listed = client["notes"].filter(slug=made.slug).get()
        assert listed.excerpt == "Once"  # list-only: there, no request
        transport.requests.clear()
        assert listed.body == "b" and listed.title == "Once" and listed.body == "b"
        assert listed["excerpt"] == "Once" and listed["body"] == "b"
        assert [f"{r.method} {r.url.path}" for r in transport.requests] == [
            f"GET {made.resource_uri}"
        ]


# ---------------------------------------------------------------- versions and names


def test_two_api_versions_never_share_schemas_or_classes(connect, tmp_path):
    one = connect(ANY, cache_dir=tmp_path)
    two = connect(V2, cache_dir=tmp_path)
    assert "title" in one["notes"].fields and "headline" not in one["notes"].fields
    assert "headline" in two["notes"].fields and "title" not in two["notes"].fields
    assert one["notes"] is not two["notes"]
    # warm caches on disk stay apart too
    again = connect(V2, cache_dir=tmp_path)
    assert "headline" in again["notes"].fields


def test_a_resource_name_that_is_no_identifier_has_a_usable_form(connect):
    client = connect()
    cls = client["my-notes"]
    assert cls.resource_name == "my-notes"
    assert client.my_notes is cls
    names = dir(client)
    assert "my_notes" in names and "my-notes" not in names


def test_the_anyapi_listing_is_what_the_server_says(raw):
    listing = raw.get(FLAT).json()
    assert listing["notes"]["list_endpoint"] == f"{FLAT}notes"
    assert json.loads(raw.get(f"{ANY}").text).keys() >= {"products", "comments", "my-notes"}


# ---------------------------------------------------------------- slashless, by hand


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


FLAT_BASE = "https://flat.example.test"


@pytest.fixture
def flat_api() -> Iterator[Any]:
    import respx

    listing = {
        n: {"list_endpoint": f"/api/v1/{n}", "schema": f"/api/v1/{n}/schema"}
        for n in ("notes", "tags")
    }
    note = {
        "fields": {
            "id": _field("integer", primary_key=True, readonly=True),
            "title": _field("string"),
            "tag": {
                **_field("related"),
                "related_type": "to_one",
                "related_schema": "/api/v1/tags/schema",
            },
            "resource_uri": _field("string", readonly=True),
        },
        "filtering": {"tag": ["exact"]},
        "allowed_list_http_methods": ["get", "post"],
        "allowed_detail_http_methods": ["get", "post", "patch"],
    }
    tag = {
        "fields": {
            "id": _field("integer", primary_key=True, readonly=True),
            "resource_uri": _field("string", readonly=True),
        },
        "allowed_list_http_methods": ["get"],
        "allowed_detail_http_methods": ["get"],
    }
    with respx.mock(base_url=FLAT_BASE, assert_all_called=False) as router:
        # like Tastypie with TASTYPIE_ALLOW_MISSING_SLASH, paths are taken with or without
        # the slash (requests go out in the slashed form); its own URIs have none
        router.get("/api/v1/").respond(json=listing)
        router.get(url__regex=r"/api/v1/notes/schema/?$").respond(json=note)
        router.get(url__regex=r"/api/v1/tags/schema/?$").respond(json=tag)
        router.get(url__regex=r"/api/v1/notes/1/?$").respond(
            json={"id": 1, "title": "t", "tag": None, "resource_uri": "/api/v1/notes/1"}
        )
        router.get(url__regex=r"/api/v1/notes/2/?$").respond(  # read back after a create
            json={"id": 2, "title": "x", "tag": "/api/v1/tags/7", "resource_uri": "/api/v1/notes/2"}
        )
        yield router


def test_a_relation_given_by_key_takes_the_slashless_form(flat_api):
    created = flat_api.post(url__regex=r"/api/v1/notes/?$").respond(
        201, headers={"Location": f"{FLAT_BASE}/api/v1/notes/2"}
    )
    with Client(FLAT_BASE, "me", "fake-key-not-real", cache_dir=None, retries=0) as client:
        client.tags  # noqa: B018  (the target's class is known)
        made = client.notes.create(title="x", tag=7)
    assert json.loads(created.calls[-1].request.content)["tag"] == "/api/v1/tags/7"
    assert made.resource_uri == "/api/v1/notes/2" and made.pk == 2


def test_a_custom_action_keeps_the_slashless_form(flat_api):
    action = flat_api.post(url__regex=r"/api/v1/notes/1/archive/?$").respond(202)
    with Client(FLAT_BASE, "me", "fake-key-not-real", cache_dir=None, retries=0) as client:
        client.notes.get(1).action("archive")
    assert action.called


def test_stubs_take_a_string_key_on_create_and_name_dashed_resources_usably(connect):
    from mailroute_dyn.tools.stubs import generate_stub

    client = connect()
    client.preload()
    text = generate_stub(client)
    products = text[text.index("class _ProductsMeta(") : text.index("class Products(")]
    assert "artnr:" in products[products.index("def create(") :]
    notes = text[text.index("class _NotesMeta(") : text.index("class Notes(")]
    assert " id:" not in notes[notes.index("def create(") :]
    assert "    my_notes: type[MyNotes]" in text


def test_dedupe_on_a_slashless_relation_looks_up_by_its_key(flat_api):
    flat_api.post(url__regex=r"/api/v1/notes/?$").mock(
        side_effect=httpx.RemoteProtocolError("connection reset after sending")
    )
    found = {"id": 5, "title": "x", "tag": "/api/v1/tags/7", "resource_uri": "/api/v1/notes/5"}
    lookup = flat_api.get(url__regex=r"/api/v1/notes/?\?.*tag=7(&|$)").respond(
        json={"meta": {"total_count": 1, "next": None}, "objects": [found]}
    )
    with Client(
        FLAT_BASE, "me", "fake-key-not-real", cache_dir=None, retries=2, backoff=0
    ) as client:
        made = client.notes.create(title="x", tag="/api/v1/tags/7", dedupe_on=("tag",))
    assert lookup.called and made.pk == 5


def test_the_cli_shell_binds_a_dashed_resource_by_its_attribute_form(connect):
    from mailroute_dyn.cli.shell import shell_namespace

    client = connect()
    namespace = shell_namespace(client)
    assert namespace["my_notes"] is client["my-notes"]
    assert client.my_notes.filter(slug="none-such").count() == 0


# ---------------------------------------------------------------- the async client


def test_the_async_client_writes_string_keys_and_keeps_slashless_uris(tastypie_app):
    import asyncio

    from django.core.asgi import get_asgi_application

    from mailroute_dyn import AsyncClient
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    async def run() -> None:
        transport = httpx.ASGITransport(app=get_asgi_application())
        async with AsyncClient(
            "http://tastypie.test",
            DEMO_LOGIN,
            DEMO_API_KEY,
            api_path=FLAT,
            transport=transport,
            cache_dir=None,
            retries=0,
            allow_insecure=True,
        ) as client:
            products = await client.resource("products")
            artnr = f"as{_tag()}"
            made = await products.create(artnr=artnr, name="Async")
            assert made.pk == artnr and made.resource_uri == f"{FLAT}products/{artnr}"
            assert await products.get(artnr) == made
            assert made in [p async for p in products.all()]

    asyncio.run(run())


def test_a_slashless_list_tells_its_objects_from_a_longer_named_resource(flat_api):
    schema = {
        "fields": {
            "id": _field("integer", primary_key=True, readonly=True),
            "resource_uri": _field("string", readonly=True),
        },
        "allowed_list_http_methods": ["get"],
        "allowed_detail_http_methods": ["get"],
    }
    flat_api.get(url__regex=r"/api/v1/notesarchive/schema/?$").respond(json=schema)
    flat_api.get(url__regex=r"/api/v1/notes/?(\?.*)?$").respond(
        json={
            "meta": {"total_count": 1, "next": None},
            "objects": [{"id": 4, "resource_uri": "/api/v1/notesarchive/4"}],
        }
    )
    with Client(FLAT_BASE, "me", "fake-key-not-real", cache_dir=None, retries=0) as client:
        (obj,) = list(client.notes.all())
    assert type(obj).resource_name == "notesarchive" and obj.pk == 4


def test_a_field_a_server_omits_everywhere_costs_one_detail_read_per_class(api, client):
    from tests.conftest import BASE, list_body, objects

    drifted = [
        {k: v for k, v in o.items() if k != "bounce_unlisted"} for o in objects("domain")[:3]
    ]
    api.override("GET", url__regex=rf"^{BASE}/api/v1/domain/(\?.*)?$").respond(
        json=list_body(drifted)
    )
    details = api.override("GET", url__regex=rf"^{BASE}/api/v1/domain/\d+/$").mock(
        side_effect=lambda request: httpx.Response(
            200, json=next(o for o in drifted if o["resource_uri"] == request.url.path)
        )
    )
    domains = list(client.domain.all())
    assert [d.bounce_unlisted for d in domains] == [None, None, None]
    assert details.call_count == 1


def test_capture_keeps_the_objects_of_a_collection_name_list(connect, tmp_path):
    from mailroute_dyn.testing import capture

    client = connect()
    client["notes"].create(title="Captured", slug=f"cap-{_tag()}")
    root = capture(client, tmp_path / "captured", resources=["bare_notes"])
    kept = json.loads((root / "objects" / "bare_notes.json").read_text())
    assert kept and all("slug" in o for o in kept)
