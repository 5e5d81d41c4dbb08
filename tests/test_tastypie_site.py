"""The test-only Tastypie server (``tests/tastypie_site``) answers like MailRoute's API."""

import json
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from tests.tastypie_site import (
    auth_header,
    create_user,
    live_server,
    reset_data,
    seed_data,
    strip_new_schema_keys,
)

pytestmark = pytest.mark.slow  # the real Tastypie server, over a socket too

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed"


def _seed(name):
    return json.loads((SEED / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module", autouse=True)
def site():
    """The site's user and its seed data, made once for this module's tests."""
    create_user()
    reset_data()
    return seed_data()


def test_top_level_listing_is_the_seeds(tastypie_http):
    response = tastypie_http.get("/api/v1/", headers={"Authorization": ""})  # needs no key
    assert response.status_code == 200
    assert response.json() == _seed("top_level.json")
    assert tastypie_http.get("/api/v1/brandinginfo/1/").status_code == 200  # unlisted, reachable


def test_email_account_schema_equals_the_seeds(tastypie_http):
    schema = tastypie_http.get("/api/v1/email_account/schema/").json()
    assert {"primary_key", "verbose_name"} <= set(schema["fields"]["id"])
    assert strip_new_schema_keys(schema) == _seed("email_account_schema.json")


def test_list_is_paginated_by_20(tastypie_http, site):
    body = tastypie_http.get("/api/v1/domain/").json()
    assert body["meta"] == {
        "limit": 20,
        "next": "/api/v1/domain/?limit=20&offset=20",
        "offset": 0,
        "previous": None,
        "total_count": site["domain"],
    }
    assert len(body["objects"]) == 20
    first = body["objects"][0]
    assert first["name"] == "acme-001.com" and first["resource_uri"] == "/api/v1/domain/1/"
    assert parsedate_to_datetime(first["created_at"]).utcoffset() is not None


def test_seed_examples_are_served(tastypie_http):
    domain = tastypie_http.get("/api/v1/domain/?name=testdomain.com").json()["objects"][0]
    assert (
        domain["resource_uri"]
        == "/api/v1/domain/912345/"
        == _seed("domain_detail.json")["resource_uri"]
    )
    assert tastypie_http.get("/api/v1/policy_domain/912345/").json() == _seed(
        "policy_domain_detail.json"
    )


def test_post_email_account_gives_201_location_and_no_body(tastypie_http):
    sent = {
        "priority": 8,
        "localpart": "testing",
        "domain": "/domain/912345/",
        "create_opt": "generate_pwd",
    }
    response = tastypie_http.post("/api/v1/email_account/", json=sent)
    assert response.status_code == 201
    assert response.content == b""
    location = response.headers["Location"]
    assert location.startswith("/api/v1/email_account/") and location.endswith("/")
    try:
        assert tastypie_http.get(location).json()["localpart"] == "testing"
        renamed = {**sent, "localpart": "testing234"}
        assert tastypie_http.put(location, json=renamed).status_code == 204
        assert tastypie_http.patch(location, json={"priority": 9}).status_code == 405  # no patch
    finally:
        assert tastypie_http.delete(location).status_code == 204


def test_form_validation_error_has_the_seeds_shape(tastypie_http):
    sent = {"priority": 8, "domain": "/domain/912345/", "create_opt": "generate_pwd"}
    response = tastypie_http.post("/api/v1/email_account/", json=sent)
    assert response.status_code == 400
    assert response.json() == _seed("error_400_localpart_required.json")


def test_patch_and_always_return_data_on_reseller(tastypie_http):
    response = tastypie_http.patch("/api/v1/reseller/3/", json={"allow_branding": True})
    assert response.status_code == 202
    assert response.json()["allow_branding"] is True
    tastypie_http.patch("/api/v1/reseller/3/", json={"allow_branding": False})


def test_missing_or_wrong_key_gives_401(tastypie_http):
    assert tastypie_http.get("/api/v1/domain/", headers={"Authorization": ""}).status_code == 401
    wrong = tastypie_http.get("/api/v1/domain/", headers=auth_header(api_key="wrong-key"))
    assert (wrong.status_code, wrong.content) == (401, b"")


def test_filter_not_allowed_gives_400_error(tastypie_http):
    response = tastypie_http.get("/api/v1/email_account/", params={"priority": 3})
    assert response.status_code == 400
    assert response.json() == {"error": "The 'priority' field does not allow filtering."}


def test_live_server_answers_over_a_socket(site):
    with live_server() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{base_url}/api/v1/domain/912345/", headers=auth_header())
    assert response.status_code == 200
    assert response.json()["name"] == "testdomain.com"
