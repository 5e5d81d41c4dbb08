"""capture(): a server's listing, schemas and objects into a fixture folder that the fake
serves back unchanged, with secrets redacted and the API key written nowhere."""

import json
import logging

import httpx
import pytest

from mailroute_dyn import Client
from mailroute_dyn.fake.fixtures import load_fixture, write_fixture
from mailroute_dyn.testing import FakeMailRoute, capture
from mailroute_dyn.tools.capture import redact

KEY = "capture-test-key-0123456789-not-secret"
URL = "https://source.mailroute.test"


def client_on(fake, key=KEY):
    return Client(base_url=URL, login="demo", api_key=key, transport=fake, cache_dir=None)


@pytest.fixture
def source():
    return FakeMailRoute(api_key=KEY)


def serve(fake, path, key=KEY):
    with httpx.Client(transport=fake, base_url=URL,
                      headers={"Authorization": f"ApiKey demo:{key}"}) as http:
        return http.get(path)


def test_round_trip_serves_the_same_answers(source, tmp_path, caplog):
    names = [*source.store.listed(), "brandinginfo"]
    with caplog.at_level(logging.INFO, logger="mailroute_dyn"), client_on(source) as client:
        # the rules a server's answers cannot show travel in the rules file the user keeps
        root = capture(client, tmp_path / "captured", limit=1000, resources=names,
                       rules=source.store.fixture.rules)
    assert root == tmp_path / "captured"
    assert any("capture domain: schema and 15 objects" in r.getMessage()
               for r in caplog.records)
    copy = FakeMailRoute(root, api_key=KEY)
    assert serve(copy, "/api/v1/").json() == serve(source, "/api/v1/").json()
    for name in names:
        for path in (f"/api/v1/{name}/schema/", f"/api/v1/{name}/?limit=0",
                     f"/api/v1/{name}/1/"):
            assert serve(copy, path).content == serve(source, path).content, path
    assert "brandinginfo" not in serve(copy, "/api/v1/").json()     # still unlisted


def test_limit_and_resources(source, tmp_path):
    with client_on(source) as client:
        root = capture(client, tmp_path, limit=4, resources=["domain", "email_account"])
    fixture = load_fixture(root)
    assert sorted(fixture.schemas) == ["domain", "email_account"]
    assert [o["id"] for o in fixture.objects["domain"]] == [1, 2, 3, 4]
    assert sorted(json.loads((root / "listing.json").read_text())) == ["domain",
                                                                       "email_account"]


def test_secrets_are_redacted_and_the_key_is_written_nowhere(source, tmp_path):
    with httpx.Client(transport=source, base_url=URL,
                      headers={"Authorization": f"ApiKey demo:{KEY}"}) as http:
        http.put("/api/v1/mail_server/1/", json={
            "domain": "/api/v1/domain/1/", "server": "mail.acme-001.com", "use_sasl": True,
            "sasl_login": "relay", "sasl_password": "hunter2-fake"})
        http.patch("/api/v1/contact_domain/1/", json={"first_name": f"see {KEY} here"})
    with client_on(source) as client:
        root = capture(client, tmp_path, resources=["mail_server", "contact_domain",
                                                    "brandinginfo"])
    server = json.loads((root / "objects" / "mail_server.json").read_text())[0]
    assert (server["sasl_password"], server["sasl_login"]) == ("REDACTED", "relay")
    contact = json.loads((root / "objects" / "contact_domain.json").read_text())[0]
    assert contact["first_name"] == "see REDACTED here"
    branding = json.loads((root / "objects" / "brandinginfo.json").read_text())[0]
    assert branding["ssl_cert_passphrase"] is None                 # nothing to hide
    assert branding["ssl_cert_passphrase_set"] is False            # keeps its type
    schema = json.loads((root / "schemas" / "mail_server.json").read_text())
    assert schema["fields"]["sasl_password"]["type"] == "string"
    for path in root.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(encoding="utf-8"), path


def test_redact_rules():
    data = {"password": "p", "Api_Key": 123, "token": ["a"], "passphrase_set": True,
            "secret": None, "secret_hint": "", "note": f"key={KEY}",
            "nested": [{"apikey": "x", "name": "n"}]}
    assert redact(data, KEY) == {
        "password": "REDACTED", "Api_Key": "REDACTED", "token": "REDACTED",
        "passphrase_set": True, "secret": None, "secret_hint": "", "note": "key=REDACTED",
        "nested": [{"apikey": "REDACTED", "name": "n"}]}


def test_a_resource_whose_list_cannot_be_read(tmp_path, caplog):
    spec = {"blank": False, "default": "No default provided.", "help_text": "",
            "nullable": False, "readonly": False, "type": "string", "unique": False}
    schema = {"allowed_detail_http_methods": ["get"], "allowed_list_http_methods": ["post"],
              "default_format": "application/json", "default_limit": 20,
              "fields": {"id": {**spec, "type": "integer", "blank": True, "default": ""},
                         "label": spec, "resource_uri": {**spec, "readonly": True}}}
    source = FakeMailRoute(write_fixture(tmp_path / "src", {"hidden": schema}, {"hidden": [
        {"id": 1, "label": "a", "resource_uri": "/api/v1/hidden/1/"}]}), api_key=KEY)
    with caplog.at_level(logging.WARNING, logger="mailroute_dyn"), client_on(source) as c:
        root = capture(c, tmp_path / "out")
    assert load_fixture(root).objects["hidden"] == []
    assert any("cannot be read" in r.getMessage() for r in caplog.records)


def test_capture_refuses_a_zero_limit(source, tmp_path):
    with client_on(source) as client, pytest.raises(ValueError):
        capture(client, tmp_path, limit=0)
