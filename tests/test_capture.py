"""capture(): a server's listing, schemas and objects into a fixture folder that the fake
serves back unchanged, with secrets redacted and the API key written nowhere."""

import json
import logging

import httpx
import pytest

from mailroute_dyn import BasicAuth, Client, ConfigurationError, DigestAuth, SessionAuth
from mailroute_dyn.cli import main
from mailroute_dyn.fake.fixtures import load_fixture, write_fixture
from mailroute_dyn.testing import FakeMailRoute, capture
from mailroute_dyn.tools.capture import redact
from mailroute_dyn.vocabulary import is_secret_name

KEY = "capture-test-key-0123456789-not-secret"
URL = "https://source.mailroute.test"


def client_on(fake, key=KEY):
    return Client(base_url=URL, login="demo", api_key=key, transport=fake, cache_dir=None)


@pytest.fixture
def source():
    return FakeMailRoute(api_key=KEY)


def serve(fake, path, key=KEY):
    with httpx.Client(
        transport=fake, base_url=URL, headers={"Authorization": f"ApiKey demo:{key}"}
    ) as http:
        return http.get(path)


def test_round_trip_serves_the_same_answers(source, tmp_path, caplog):
    names = [*source.store.listed(), "brandinginfo"]
    with caplog.at_level(logging.INFO, logger="mailroute_dyn"), client_on(source) as client:
        # the rules a server's answers cannot show travel in the rules file the user keeps
        root = capture(
            client,
            tmp_path / "captured",
            limit=1000,
            resources=names,
            rules=source.store.fixture.rules,
        )
    assert root == tmp_path / "captured"
    assert any("capture domain: schema and 15 objects" in r.getMessage() for r in caplog.records)
    copy = FakeMailRoute(root, api_key=KEY)
    assert serve(copy, "/api/v1/").json() == serve(source, "/api/v1/").json()
    for name in names:
        for path in (f"/api/v1/{name}/schema/", f"/api/v1/{name}/?limit=0", f"/api/v1/{name}/1/"):
            assert serve(copy, path).content == serve(source, path).content, path
    assert "brandinginfo" not in serve(copy, "/api/v1/").json()  # still unlisted


def test_limit_and_resources(source, tmp_path):
    with client_on(source) as client:
        root = capture(client, tmp_path, limit=4, resources=["domain", "email_account"])
    fixture = load_fixture(root)
    assert sorted(fixture.schemas) == ["domain", "email_account"]
    assert [o["id"] for o in fixture.objects["domain"]] == [1, 2, 3, 4]
    assert sorted(json.loads((root / "listing.json").read_text())) == ["domain", "email_account"]


def test_secrets_are_redacted_and_the_key_is_written_nowhere(source, tmp_path):
    with httpx.Client(
        transport=source, base_url=URL, headers={"Authorization": f"ApiKey demo:{KEY}"}
    ) as http:
        http.put(
            "/api/v1/mail_server/1/",
            json={
                "domain": "/api/v1/domain/1/",
                "server": "mail.acme-001.com",
                "use_sasl": True,
                "sasl_login": "relay",
                "sasl_password": "hunter2-fake",
            },
        )
        http.patch("/api/v1/contact_domain/1/", json={"first_name": f"see {KEY} here"})
    with client_on(source) as client:
        root = capture(
            client, tmp_path, resources=["mail_server", "contact_domain", "brandinginfo"]
        )
    # the fake is a PostgreSQL server by default: the updated row is scanned last
    server = next(
        o for o in json.loads((root / "objects" / "mail_server.json").read_text()) if o["id"] == 1
    )
    assert (server["sasl_password"], server["sasl_login"]) == ("REDACTED", "relay")
    contact = next(
        o
        for o in json.loads((root / "objects" / "contact_domain.json").read_text())
        if o["id"] == 1
    )
    assert contact["first_name"] == "see REDACTED here"
    branding = json.loads((root / "objects" / "brandinginfo.json").read_text())[0]
    assert branding["ssl_cert_passphrase"] is None  # nothing to hide
    assert branding["ssl_cert_passphrase_set"] is False  # keeps its type
    schema = json.loads((root / "schemas" / "mail_server.json").read_text())
    assert schema["fields"]["sasl_password"]["type"] == "string"
    for path in root.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(encoding="utf-8"), path


def test_redact_rules():
    data = {
        "password": "p",
        "Api_Key": 123,
        "token": ["a"],
        "passphrase_set": True,
        "secret": None,
        "secret_hint": "",
        "note": f"key={KEY}",
        "nested": [{"apikey": "x", "name": "n"}],
    }
    assert redact(data, KEY) == {
        "password": "REDACTED",
        "Api_Key": "REDACTED",
        "token": "REDACTED",
        "passphrase_set": True,
        "secret": None,
        "secret_hint": "",
        "note": "key=REDACTED",
        "nested": [{"apikey": "REDACTED", "name": "n"}],
    }


def test_a_resource_whose_list_cannot_be_read(tmp_path, caplog):
    spec = {
        "blank": False,
        "default": "No default provided.",
        "help_text": "",
        "nullable": False,
        "readonly": False,
        "type": "string",
        "unique": False,
    }
    schema = {
        "allowed_detail_http_methods": ["get"],
        "allowed_list_http_methods": ["post"],
        "default_format": "application/json",
        "default_limit": 20,
        "fields": {
            "id": {**spec, "type": "integer", "blank": True, "default": ""},
            "label": spec,
            "resource_uri": {**spec, "readonly": True},
        },
    }
    source = FakeMailRoute(
        write_fixture(
            tmp_path / "src",
            {"hidden": schema},
            {"hidden": [{"id": 1, "label": "a", "resource_uri": "/api/v1/hidden/1/"}]},
        ),
        api_key=KEY,
    )
    with caplog.at_level(logging.WARNING, logger="mailroute_dyn"), client_on(source) as c:
        root = capture(c, tmp_path / "out")
    assert load_fixture(root).objects["hidden"] == []
    assert any("cannot be read" in r.getMessage() for r in caplog.records)


def test_capture_refuses_a_zero_limit(source, tmp_path):
    with client_on(source) as client, pytest.raises(ConfigurationError):
        capture(client, tmp_path, limit=0)


# ---------------------------------------------------------------- the redaction rule (item 6)

PASSWORD = "basic-pass-not-secret-9f3"
SESSIONID = "sessionid-not-secret-77ab"
CSRF = "csrf-not-secret-31cd"
PEM_BODY = "MIIEowIBAAKCAQEAfakefakefakefakefake"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n"
CERT = f"-----BEGIN CERTIFICATE-----\n{PEM_BODY}CERT\n-----END CERTIFICATE-----"


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "sasl_password",
        "smtp_pass",
        "pwd",
        "change_pwd",
        "dkim_private_key",
        "credentials",
        "Credential",
        "api_key",
        "ApiKey",
        "x-api-key",
        "auth_token",
        "sessionid",
        "session_id",
        "csrftoken",
        "license_key",
        "dkimKey",
        "secret_hint",
        "pin",
        "cookie",
        "smtp_pw",
        "pw",
        "passcode",
        "privkey",
        "dkim_privkey",
        "SmtpPw",
    ],
)
def test_secret_looking_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "domain_key_id",
        "key_selector",
        "passthrough",
        "public_key",
        "primary_key",
        "sort_key",
        "monkey",
        "name",
        "localpart",
        "passage",
        "session_timeout",
        "author",
        "keys_count",
    ],
)
def test_ordinary_names_are_kept(name):
    assert not is_secret_name(name)


def _spec(kind="string", **extra):
    return {
        "blank": True,
        "default": "No default provided.",
        "help_text": "",
        "nullable": True,
        "readonly": False,
        "type": kind,
        "unique": False,
        **extra,
    }


def _secret_server(seen, note=None):
    """A Tastypie API holding secrets by name (a DKIM key, an SMTP password, credentials)
    and by value (the caller's own password, session id and CSRF token, in ordinary text
    fields and in the schema's help texts). It records each request's credentials."""
    fields = {
        "id": _spec("integer", primary_key=True, unique=True, nullable=False),
        "resource_uri": _spec(readonly=True),
        "domain_key_id": _spec("integer"),
        "dkim_private_key": _spec(),
        "smtp_pass": _spec(default="hunter2-default"),
        "pwd": _spec(),
        "credentials": _spec("dict"),
        "note": _spec(),
        "certificate": _spec(),
        "my_field": _spec(),
        "active": _spec("boolean"),
        "name": _spec(help_text=f"not {PASSWORD} nor {SESSIONID}"),
    }
    schema = {
        "allowed_detail_http_methods": ["get"],
        "allowed_list_http_methods": ["get"],
        "default_format": "application/json",
        "default_limit": 20,
        "fields": fields,
        "filtering": {},
        "ordering": [],
    }
    obj = {
        "id": 1,
        "resource_uri": "/api/v1/mail_domain/1/",
        "domain_key_id": 7,
        "dkim_private_key": PEM,
        "smtp_pass": "hunter2",
        "pwd": "p4ss",
        "credentials": {"user": "u", "secret": "s3"},
        "my_field": "mine",
        "note": note or f"login u / {PASSWORD}; cookie sessionid={SESSIONID}; csrftoken={CSRF}",
        "certificate": f"chain: {CERT} end",
        "active": True,
        "name": "acme.test",
    }

    def answer(request):
        seen.append(request.headers.get("authorization") or request.headers.get("cookie"))
        path = request.url.path
        if path == "/api/v1/":
            return httpx.Response(
                200,
                json={
                    "mail_domain": {
                        "list_endpoint": "/api/v1/mail_domain/",
                        "schema": "/api/v1/mail_domain/schema/",
                    }
                },
            )
        if path.endswith("/schema/"):
            return httpx.Response(200, json=schema)
        meta = {"limit": 20, "offset": 0, "next": None, "previous": None, "total_count": 1}
        return httpx.Response(200, json={"meta": meta, "objects": [obj]})

    return httpx.MockTransport(answer)


def _written(root):
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.json")))


@pytest.mark.parametrize(
    "auth",
    [
        BasicAuth("u", PASSWORD),
        DigestAuth("u", PASSWORD),
        SessionAuth(SESSIONID, CSRF),
        httpx.BasicAuth("u", PASSWORD),
    ],
    ids=["basic", "digest", "session", "httpx-basic"],
)
def test_capture_redacts_secret_names_pem_blocks_and_every_secret_of_the_auth(tmp_path, auth):
    seen = []
    with Client(base_url=URL, auth=auth, transport=_secret_server(seen), cache_dir=None) as c:
        root = capture(c, tmp_path / "out")
    if not isinstance(auth, DigestAuth):  # digest waits for a challenge
        assert all(seen)  # the auth was in use
    own = (SESSIONID, CSRF) if isinstance(auth, SessionAuth) else (PASSWORD,)
    text = _written(root)
    for secret in (*own, PEM_BODY, "hunter2", "p4ss", "s3"):
        assert secret not in text
    obj = json.loads((root / "objects" / "mail_domain.json").read_text())[0]
    assert obj["dkim_private_key"] == obj["smtp_pass"] == obj["pwd"] == "REDACTED"
    assert obj["credentials"] == "REDACTED"
    assert obj["certificate"] == "chain: REDACTED end"
    assert (obj["domain_key_id"], obj["active"], obj["name"]) == (7, True, "acme.test")
    schema = json.loads((root / "schemas" / "mail_domain.json").read_text())
    assert schema["fields"]["smtp_pass"]["default"] == "REDACTED"
    assert schema["fields"]["smtp_pass"]["type"] == "string"  # the spec is kept
    if isinstance(auth, SessionAuth):
        assert obj["note"] == f"login u / {PASSWORD}; cookie sessionid=REDACTED; csrftoken=REDACTED"
    else:
        assert obj["note"] == f"login u / REDACTED; cookie sessionid={SESSIONID}; csrftoken={CSRF}"


def test_names_the_user_adds_are_redacted_too(tmp_path, capsys):
    with Client(
        base_url=URL, auth=BasicAuth("u", PASSWORD), transport=_secret_server([]), cache_dir=None
    ) as c:
        root = capture(c, tmp_path / "lib", redact=("My_Field", "name"))
    obj = json.loads((root / "objects" / "mail_domain.json").read_text())[0]
    assert obj["my_field"] == obj["name"] == "REDACTED"
    code = main(
        [
            "--demo",
            "capture",
            str(tmp_path / "cli"),
            "--limit",
            "1",
            "--redact",
            "name",
            "--redact",
            "localpart",
        ]
    )
    assert code == 0, capsys.readouterr().err
    domain = json.loads((tmp_path / "cli" / "objects" / "domain.json").read_text())[0]
    account = json.loads((tmp_path / "cli" / "objects" / "email_account.json").read_text())[0]
    assert domain["name"] == account["localpart"] == "REDACTED"


@pytest.mark.parametrize("name", ["../../outside", "a/b", "a%2Fb", "..", "x\\y", "q?x#y"])
def test_a_resource_name_is_never_a_path(tmp_path, name):
    """A server names its resources; in a fixture folder the name is a file name, never a
    path: `../` and `/` stay inside `schemas/` and `objects/`, and read back as sent."""
    schema = {"fields": {"id": {"type": "integer"}}}
    root = write_fixture(tmp_path / "folder", {name: schema, "plain": schema}, {name: [{"id": 1}]})
    written = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert all(p.parts[0] == "folder" and len(p.parts) == 3 for p in written), written
    assert (root / "schemas" / "plain.json").is_file()  # plain names stay readable
    loaded = load_fixture(root)
    assert set(loaded.schemas) == {name, "plain"} and loaded.objects[name] == [{"id": 1}]


@pytest.mark.parametrize(
    "text",
    [
        "smtp://relay:hunter2-url@mail.example.test:25",
        "https://u:hunter2-url@x.test/path",
        "relay = smtp://relay:hunter2-url@[::1]/",
        "Authorization: Basic {basic}",
        "header was 'Basic {basic}'",
    ],
)
def test_a_password_inside_a_url_or_a_basic_header_value_is_redacted(tmp_path, text):
    # a smarthost URL with its password, or an echoed Basic header, under an ordinary name
    import base64

    basic = base64.b64encode(f"u:{PASSWORD}".encode()).decode()
    value = text.format(basic=basic)
    with Client(
        base_url=URL,
        auth=BasicAuth("u", PASSWORD),
        transport=_secret_server([], note=value),
        cache_dir=None,
    ) as c:
        root = capture(c, tmp_path / "out")
    written = _written(root)
    assert "hunter2-url" not in written and basic not in written and PASSWORD not in written
    obj = json.loads((root / "objects" / "mail_domain.json").read_text())[0]
    assert "REDACTED" in obj["note"]
    if "://" in value:  # the rest of the URL stays readable
        assert obj["note"] == value.replace("hunter2-url", "REDACTED")


def test_a_schema_anywhere_in_redacted_json_keeps_its_secret_named_field_specs():
    # a recorded /schema/ answer or a listing's inline schema: the spec under `change_pwd`
    # was replaced whole, and the replayed schema no longer loaded
    schema = {
        "fields": {"change_pwd": _spec(default="old-pw-not-real"), "name": _spec()},
        "filtering": {},
    }
    for answer, found in (
        (schema, lambda a: a),
        (
            {"email_account": {"list_endpoint": "/api/v1/email_account/", "schema": schema}},
            lambda a: a["email_account"]["schema"],
        ),
    ):
        spec = found(redact(answer))["fields"]["change_pwd"]
        assert spec == {**_spec(), "default": "REDACTED"}
    assert redact({"change_pwd": {"old": "x"}}) == {"change_pwd": "REDACTED"}
