"""Discovery and the schema cache: listing, schemas on first use, inlined schemas, the
disk cache (warm start, modes, tampering, per-credential files) and rediscovery."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
import respx

from mailroute_dyn import Client, UnknownResource
from mailroute_dyn.transport.cache_files import DiskCache, fresh_for
from tests.conftest import API_KEY, BASE, LOGIN, FixtureAPI, schema


def test_resources_are_the_listing_sorted(client, api):
    assert client.resources == sorted(api.listing)
    assert "domain" in client and "nosuch" not in client
    assert {"domain", "email_account", "wblist"} <= set(dir(client))


def test_listing_asks_for_inlined_schemas_and_falls_back_to_schema_urls(client, api):
    client.domain
    listing_calls = api.requests("/api/v1/?")
    assert listing_calls[0].url.params["fullschema"] == "true"
    # this server does not inline: the schema was fetched from its own URL, once
    assert len(api.requests("/domain/schema/")) == 1
    client.domain.filter(name="x")
    assert len(api.requests("/schema/")) == 1


def test_inlined_schemas_make_discovery_one_request():
    with respx.mock(assert_all_called=False) as router:
        api = FixtureAPI(router, inline=True)
        with Client(BASE, LOGIN, API_KEY, cache_dir=None) as client:
            assert client.preload() == sorted(api.listing)
            assert client.email_account.ordering == (
                "localpart",
                "priority",
                "domain",
                "created_at",
            )
        assert len(router.calls) == 1


def test_preload_fetches_every_schema(client, api):
    names = client.preload()
    assert names == sorted(api.listing)
    assert len(api.requests("/schema/")) == len(api.listing)


def test_class_attributes_come_from_the_schema(client):
    ea = client.email_account
    raw = schema("email_account")
    assert ea.resource_name == "email_account"
    assert set(ea.fields) == set(raw["fields"])
    assert ea.filtering == {"domain": 2, "id": ["in"], "localpart": 1}
    assert ea.allowed_list_methods == ("get", "post", "put", "delete")
    assert ea.allowed_detail_methods == ("get", "post", "put", "delete")
    assert ea.default_limit == 20
    assert ea.fields["priority"].default == 7
    assert ea.fields["contact"].readonly and ea.fields["contact"].related_type == "to_one"
    assert client["email_account"] is ea is client.email_account
    doc = ea.__doc__
    assert "localpart" in doc and "Filtering:" in doc and "Ordering: localpart" in doc


def test_unknown_resource_suggests_and_rediscovers_once(client, api):
    with pytest.raises(UnknownResource) as info:
        client.domian
    assert "Did you mean 'domain'?" in str(info.value)
    assert isinstance(info.value, AttributeError)
    # the cached listing did not know the name: it was asked for again once, then refused
    assert len(api.requests("/api/v1/?")) == 1


def test_a_resource_added_to_the_listing_works_with_no_code(api, tmp_path):
    api.listing["spam_trap"] = {
        "list_endpoint": "/api/v1/spam_trap/",
        "schema": "/api/v1/spam_trap/schema/",
    }
    api.schemas["spam_trap"] = {
        "allowed_list_http_methods": ["get"],
        "allowed_detail_http_methods": ["get"],
        "default_format": "application/json",
        "default_limit": 20,
        "fields": {
            "id": {"type": "integer", "unique": True},
            "address": {"type": "string"},
            "hits": {"type": "integer"},
            "resource_uri": {"type": "string", "readonly": True},
        },
        "filtering": {"hits": ["gte"]},
        "ordering": ["hits"],
    }
    api.data["spam_trap"] = [
        {"id": 1, "address": "trap@example.com", "hits": 4, "resource_uri": "/api/v1/spam_trap/1/"}
    ]
    with Client(BASE, LOGIN, API_KEY, cache_dir=None) as client:
        Trap = client.spam_trap
        assert Trap.__name__ == "SpamTrap"
        [trap] = list(Trap.filter(hits__gte=3))
        assert trap.address == "trap@example.com" and trap.hits == 4
        with pytest.raises(Exception, match="not an allowed filter"):
            Trap.filter(hits__lt=3)


def _cache_client(tmp_path, **kw):
    return Client(
        BASE, kw.pop("login", LOGIN), kw.pop("api_key", API_KEY), cache_dir=tmp_path / "cache", **kw
    )


def test_warm_disk_cache_makes_zero_schema_requests(api, tmp_path):
    with _cache_client(tmp_path) as first:
        first.preload()
    before = len(api.router.calls)
    with _cache_client(tmp_path) as second:
        assert second.domain.ordering
        assert second.resources == sorted(api.listing)
    assert len(api.router.calls) == before


def test_cache_file_modes_and_no_secret(api, tmp_path):
    with _cache_client(tmp_path) as client:
        client.preload()
    folder = tmp_path / "cache" / "schemas"
    files = list(folder.iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    text = files[0].read_text()
    assert API_KEY not in text and "fake-key" not in text
    assert json.loads(text)["payload"]["schemas"]["domain"]["ordering"]


def test_one_login_never_reads_another_logins_cache(api, tmp_path):
    with _cache_client(tmp_path) as client:
        client.preload()
    before = len(api.router.calls)
    with _cache_client(tmp_path, login="other", api_key="another-fake-key") as other:
        other.domain
    assert len(api.router.calls) > before
    assert len(list((tmp_path / "cache" / "schemas").iterdir())) == 2


@pytest.mark.parametrize("damage", ["garbage", "tamper", "foreign"])
def test_corrupt_or_tampered_cache_is_ignored_and_rewritten(api, tmp_path, damage):
    with _cache_client(tmp_path) as client:
        client.preload()
    [path] = list((tmp_path / "cache" / "schemas").iterdir())
    document = json.loads(path.read_text())
    if damage == "garbage":
        path.write_text("{not json")
    elif damage == "tamper":
        document["payload"]["schemas"]["domain"]["filtering"] = {"bogus": 1}
        path.write_text(json.dumps(document))
    else:
        document["payload"]["base_url"] = "https://elsewhere.test"
        path.write_text(json.dumps(document))
    before = len(api.router.calls)
    with _cache_client(tmp_path) as client:
        assert "bogus" not in client.domain.filtering
    assert len(api.router.calls) > before
    assert json.loads(path.read_text())["payload"]["base_url"] == BASE


def test_expired_cache_is_refetched(api, tmp_path):
    with _cache_client(tmp_path, cache_ttl=3600) as client:
        client.domain
    before = len(api.router.calls)
    with _cache_client(tmp_path, cache_ttl=0) as client:
        client.domain
    assert len(api.router.calls) > before


@pytest.mark.parametrize("ttl", [3600, 0])
def test_a_cache_file_stamped_in_the_future_is_stale(api, tmp_path, ttl):
    with _cache_client(tmp_path) as client:
        client.domain
        disk = DiskCache(client.settings)
    payload = disk.load()
    ahead = time.time() + 600  # saved while the clock ran ten minutes ahead,
    disk.save(payload["listing"], payload["schemas"], ahead)  # then it stepped back
    before = len(api.router.calls)
    with _cache_client(tmp_path, cache_ttl=ttl) as client:
        client.domain
    assert len(api.router.calls) > before


def test_cache_ttl_zero_never_reads_the_cache_file(api, tmp_path, monkeypatch):
    with _cache_client(tmp_path) as client:
        client.domain

    def read(self):
        raise AssertionError("the cache file was read with cache_ttl=0")

    monkeypatch.setattr(DiskCache, "load", read)
    with _cache_client(tmp_path, cache_ttl=0) as client:
        assert client.domain.fields


@pytest.mark.parametrize(
    "saved_at, ttl, fresh",
    [
        (1000.0, 60, 60.0),
        (970.0, 60, 30.0),
        (940.0, 60, 0.0),
        (900.0, 60, 0.0),
        (1000.5, 60, 0.0),
        (5000.0, 60, 0.0),  # in the future: age unknown, stale
        (1000.0, 0, 0.0),
        (990.0, 0, 0.0),
        (1001.0, 0, 0.0),
        (float("nan"), 60, 0.0),
        (float("inf"), 60, 0.0),
        ("x", 60, 0.0),
        (None, 60, 0.0),
    ],
)
def test_freshness_of_a_cache_stamp(saved_at, ttl, fresh):
    assert fresh_for({"saved_at": saved_at}, ttl, now=1000.0) == fresh


def test_refresh_forgets_and_rediscovers(api, tmp_path):
    with _cache_client(tmp_path) as client:
        client.domain
        api.schemas["domain"]["ordering"] = ["name"]
        assert client.domain.ordering != ("name",)
        client.refresh()
        assert client.domain.ordering == ("name",)


def test_an_unlisted_resource_is_fetched_by_uri(client, api):
    obj = client.get("/api/v1/brandinginfo/1/")
    assert type(obj).__name__ == "Brandinginfo"
    assert obj.resource_uri == "/api/v1/brandinginfo/1/"
    assert type(obj).listed is False


def test_an_object_whose_schema_is_unreachable_is_still_readable(client, api):
    api.data["mailaddr"] = [
        {"id": 7, "email": "x@example.com", "resource_uri": "/api/v1/mailaddr/7/"}
    ]  # its schema is a 404
    obj = client.get("/api/v1/mailaddr/7/")
    assert obj.email == "x@example.com" and obj["id"] == 7
    assert type(obj).typed is False


def test_related_schema_missing_is_inferred_from_uris(client):
    # the fixtures (2012 form) have no related_schema: the target comes from the data
    acct = client.email_account.get(1)
    assert type(acct.domain).resource_name == "domain"
    assert acct.domain.resource_uri == acct["domain"]


def test_a_field_the_cached_schema_lacks_triggers_one_rediscovery(api, tmp_path):
    with _cache_client(tmp_path) as client:
        client.preload()
    api.schemas["domain"]["fields"]["spam_score"] = {"type": "float", "nullable": True}
    api.schemas["domain"]["filtering"]["spam_score"] = ["gt"]
    api.schemas["domain"]["ordering"].append("spam_score")
    with _cache_client(tmp_path) as client:
        Domain = client.domain  # from the warm cache: no spam_score yet
        assert "spam_score" not in Domain.fields
        before = len(api.requests("/domain/schema/"))
        qs = Domain.filter(spam_score__gt=5).order_by("spam_score")
        assert "spam_score" in Domain.fields and client.domain is Domain
        assert len(api.requests("/domain/schema/")) == before + 1
        with pytest.raises(Exception, match="no field 'bogus'"):
            Domain.filter(bogus=1)  # fresh now: refused at once
        assert len(api.requests("/domain/schema/")) == before + 1
        assert qs is not None
