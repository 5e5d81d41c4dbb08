"""`client.openapi()` and `mailroute-dyn openapi`: an OpenAPI 3.1 document of the live API
that a well-kept validator accepts, that says the truth about the real Tastypie server
(schemathesis finds no answer contradicting it), that writes a server's names and help
texts as escaped data, and that `diff` can compare."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from openapi_spec_validator import validate

from mailroute_dyn import (
    ApiKeyAuth,
    AsyncClient,
    BasicAuth,
    Client,
    ConfigurationError,
    DigestAuth,
    SchemaError,
    SessionAuth,
    UnknownResource,
)
from mailroute_dyn.apidoc import security_schemes
from mailroute_dyn.cli import main
from mailroute_dyn.fake import DEMO_KEY
from mailroute_dyn.tools.openapi import compare_openapi, load_openapi, render_openapi

COMPONENT = re.compile(r"^[A-Za-z0-9._-]+$")


def _walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, str(i)))


def _resolve(doc: dict[str, Any], pointer: str) -> Any:
    assert pointer.startswith("#/"), pointer
    node: Any = doc
    for part in pointer[2:].split("/"):
        node = node[unquote(part).replace("~1", "/").replace("~0", "~")]
    return node


def _check_refs(doc: dict[str, Any]) -> None:
    for _, node in _walk(doc):
        if isinstance(node, dict) and "$ref" in node:
            _resolve(doc, node["$ref"])


# ---------------------------------------------------------------- valid documents


@pytest.mark.slow
def test_the_demo_servers_document_validates_and_covers_every_resource():
    client = Client.demo()
    doc = client.openapi()
    validate(doc)
    _check_refs(doc)
    assert doc["openapi"].startswith("3.1")
    names = doc["x-tastypie"]["component_names"]
    assert set(client.resources) <= set(names.values())
    assert all(COMPONENT.match(name) for name in doc["components"]["schemas"])


def test_the_real_tastypie_servers_document_says_what_its_schemas_say(tastypie_client):
    doc = tastypie_client.openapi()
    validate(doc)
    _check_refs(doc)
    paths = doc["paths"]
    accounts = paths["/api/v1/email_account/"]
    assert set(accounts) == {"get", "post", "put", "delete"}  # no patch: the schema's
    assert set(paths["/api/v1/email_account/{pk}/"]) == {"get", "put", "delete", "parameters"}
    assert set(paths["/api/v1/policy_domain/{pk}/"]) == {"get", "put", "patch", "parameters"}
    params = {p.get("name"): p for p in accounts["get"]["parameters"] if "name" in p}
    assert params["id__in"]["style"] == "form" and params["id__in"]["explode"] is False
    assert params["id__in"]["schema"]["items"] == {"type": "integer"}
    assert "id" not in params  # only `in` is allowed on id
    assert "domain__name" in params and "domain__name__in" in params  # one level ...
    assert "domain__name__startswith" not in params  # (Tastypie: to_one terms only)
    assert "domain__customer" in params  # a key, one level into domain
    assert not any(n.startswith("domain__customer__name") for n in params)  # no more
    assert params["domain"]["schema"] == {"type": "integer"}  # a related filter: the key
    assert "true, True, false" in params["localpart"]["description"]
    order = params["order_by"]["schema"]["enum"]
    assert "-created_at" in order and "localpart" in order
    schema = doc["components"]["schemas"]["email_account"]["properties"]
    assert schema["created_at"]["readOnly"] is True
    assert {"$ref": "#/components/schemas/domain"} in schema["domain"]["anyOf"]
    create = doc["components"]["schemas"]["email_account.create"]
    assert "domain" in create["required"] and "created_at" not in create["properties"]
    assert create["properties"]["domain"]["format"] == "uri-reference"
    dialect = doc["components"]["schemas"]["reseller"]["properties"]
    assert "RFC 2822" in dialect["created_at"]["description"]
    assert doc["components"]["securitySchemes"] == {
        "ApiKeyAuth": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Tastypie's ApiKey: the header value is `ApiKey login:key`.",
        }
    }
    assert doc["security"] == [{"ApiKeyAuth": []}]
    from tests.tastypie_site import DEMO_API_KEY

    assert DEMO_API_KEY not in json.dumps(doc)
    operations = [
        op for item in paths.values() for verb, op in item.items() if verb != "parameters"
    ]
    assert all("500" in op["responses"] for op in operations)  # Tastypie's 500s, said


def test_a_slashless_apis_document_keeps_its_paths_as_they_are(tastypie_app):
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    with Client(
        "http://tastypie.test",
        DEMO_LOGIN,
        DEMO_API_KEY,
        api_path="/slashless/api/v1/",
        transport=httpx.WSGITransport(app=tastypie_app),
        cache_dir=None,
        allow_insecure=True,
    ) as client:
        doc = client.openapi()
    validate(doc)
    assert {"/slashless/api/v1/notes", "/slashless/api/v1/notes/{pk}"} <= set(doc["paths"])
    assert not any(path.endswith("/") for path in doc["paths"])


@pytest.mark.slow
def test_mailroutes_2012_schemas_link_relations_the_client_infers():
    """The demo's schemas have no `related_schema` and no `primary_key` (MailRoute's 2012
    form): targets come from the objects' URIs, the key is `id`."""
    doc = Client.demo().openapi()
    raw = doc["x-tastypie"]["schemas"]["email_account"]["fields"]
    assert "related_schema" not in raw["domain"] and "primary_key" not in raw["id"]
    prop = doc["components"]["schemas"]["email_account"]["properties"]["domain"]
    assert {"$ref": "#/components/schemas/domain"} in prop["anyOf"]
    key = doc["paths"]["/api/v1/email_account/{pk}/"]["parameters"][0]
    assert key["schema"] == {"type": "integer"}


def test_async_client_gives_the_same_document():
    from mailroute_dyn.fake import DEMO_LOGIN, DEMO_URL, FakeMailRoute

    async def main_() -> dict[str, Any]:
        async with AsyncClient(
            DEMO_URL, DEMO_LOGIN, DEMO_KEY, cache_dir=None, transport=FakeMailRoute()
        ) as client:
            return await client.openapi()

    assert asyncio.run(main_()) == Client.demo().openapi()


# ---------------------------------------------------------------- deterministic output


@pytest.mark.slow
def test_two_runs_write_the_same_bytes_and_the_command_writes_client_openapi(capsys, tmp_path):
    assert main(["--demo", "openapi"]) == 0
    first = capsys.readouterr().out
    assert main(["--demo", "openapi", "-o", str(tmp_path / "api.json")]) == 0
    assert (tmp_path / "api.json").read_text(encoding="utf-8") == first
    assert json.loads(first) == Client.demo().openapi()
    assert render_openapi(Client.demo().openapi()) == first


@pytest.mark.slow
def test_yaml_output_is_the_same_document(capsys):
    yaml = pytest.importorskip("yaml")
    assert main(["--demo", "openapi", "--format", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == Client.demo().openapi()


def test_yaml_without_pyyaml_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "yaml", None)  # import yaml now fails
    assert main(["--demo", "openapi", "--format", "yaml"]) != 0
    err = capsys.readouterr().err
    assert "PyYAML" in err and "mailroute_dyn[cli]" in err
    with pytest.raises(ConfigurationError, match=r"mailroute_dyn\[cli\]"):
        render_openapi({"openapi": "3.1.0"}, "yaml")


# ---------------------------------------------------------------- auth as security schemes


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        (
            ApiKeyAuth("me", "fake-secret-1"),
            {"ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        ),
        (BasicAuth("me", "fake-secret-1"), {"BasicAuth": {"type": "http", "scheme": "basic"}}),
        (
            httpx.BasicAuth("me", "fake-secret-1"),
            {"BasicAuth": {"type": "http", "scheme": "basic"}},
        ),
        (DigestAuth("me", "fake-secret-1"), {"DigestAuth": {"type": "http", "scheme": "digest"}}),
        (
            SessionAuth("fake-secret-1", "fake-secret-2"),
            {"SessionCookie": {"type": "apiKey", "in": "cookie", "name": "sessionid"}},
        ),
        (None, {}),
    ],
)
def test_the_auth_in_use_is_a_security_scheme_without_its_secret(auth, expected):
    schemes = security_schemes(auth)
    trimmed = {k: {f: v for f, v in s.items() if f != "description"} for k, s in schemes.items()}
    assert trimmed == expected
    assert "fake-secret" not in json.dumps(schemes)


# ---------------------------------------------------------------- a server's names are data

HOSTILE_HELP = (
    "# Title\n[click](javascript:alert(1)) <img src=x onerror=alert(1)> *bold* "
    "`code` | a | &amp; ~~x~~ \\ 1. item"
)
HOSTILE_NAMES = ["x{evil}", "tilde~1", "<b>bold</b>", "x_evil_"]


def _hostile_schema() -> dict[str, Any]:
    return {
        "allowed_list_http_methods": ["get", "post"],
        "allowed_detail_http_methods": ["get"],
        "default_limit": 20,
        "fields": {
            "id": {"type": "integer", "primary_key": True, "help_text": HOSTILE_HELP},
            "a~b/c": {"type": "string", "help_text": HOSTILE_HELP, "nullable": True},
            "<i>rel</i>": {
                "type": "related",
                "related_type": "to_one",
                "related_schema": "/api/v1/x{evil}/schema/",
                "help_text": HOSTILE_HELP,
            },
            "resource_uri": {"type": "string", "readonly": True},
        },
        "filtering": {"a~b/c": 1, "<i>rel</i>": 2},
        "ordering": ["a~b/c"],
    }


def _hostile_server(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/api/v1/":
        return httpx.Response(
            200,
            json={
                n: {"list_endpoint": f"/api/v1/{n}/", "schema": f"/api/v1/{n}/schema/"}
                for n in HOSTILE_NAMES
            },
        )
    if request.url.path.endswith("/schema/"):
        return httpx.Response(200, json=_hostile_schema())
    return httpx.Response(
        200, json={"meta": {"limit": 1, "offset": 0, "total_count": 0}, "objects": []}
    )


def test_hostile_names_and_help_texts_stay_data():
    client = Client(
        "https://evil.test",
        "me",
        "fake-key-not-real",
        cache_dir=None,
        transport=httpx.MockTransport(_hostile_server),
    )
    doc = client.openapi()
    validate(doc)
    _check_refs(doc)
    schemas = doc["components"]["schemas"]
    assert all(COMPONENT.match(name) for name in schemas)
    mapping = doc["x-tastypie"]["component_names"]
    assert sorted(mapping.values()) == sorted(HOSTILE_NAMES)
    assert len(set(mapping)) == len(HOSTILE_NAMES)  # x{evil} and x_evil_ kept apart
    for path in doc["paths"]:
        assert set(re.findall(r"\{[^}]*\}", path)) <= {"{pk}"}, path
    unescaped = re.compile(r"(?<!\\)[<>\[\]`*|&!_~]|^\s*[#>+-]")
    texts = [
        (p, node)
        for p, node in _walk({k: v for k, v in doc.items() if k != "x-tastypie"})
        if p and p[-1] in ("description", "summary", "title") and isinstance(node, str)
    ]
    hostile = [(p, t) for p, t in texts if "onerror" in t or "bold" in t or "evil" in t]
    assert hostile
    for p, text in hostile:
        assert not unescaped.search(text), (p, text)
    prop = schemas[mapping and next(c for c, n in mapping.items() if n == "tilde~1")]
    assert set(prop["properties"]) == {"id", "a~b/c", "<i>rel</i>", "resource_uri"}


def test_refs_are_json_pointers_and_names_lose_only_what_openapi_forbids():
    from mailroute_dyn.apidoc.text import component_names, pointer, ref

    assert pointer("components", "schemas", "a~b/c") == "#/components/schemas/a~0b~1c"
    assert ref("x.create") == {"$ref": "#/components/schemas/x.create"}
    names = component_names(["my-notes", "thesaurus/keywords", "thesaurus_keywords", "a.b"])
    assert names["my-notes"] == "my-notes"
    assert len(set(names.values())) == 4
    assert all(COMPONENT.match(n) and "." not in n for n in names.values())


# ---------------------------------------------------------------- actions and nested lists


@pytest.mark.slow
def test_named_actions_and_nested_lists_are_added(capsys):
    client = Client.demo()
    doc = client.openapi(
        actions=["email_account/{pk}/regenerate_api_key", "email_account/mass_resend_welcome"],
        nested=["reseller/{pk}/contacts=contact_reseller"],
    )
    validate(doc)
    paths = doc["paths"]
    assert "post" in paths["/api/v1/email_account/{pk}/regenerate_api_key/"]
    assert "post" in paths["/api/v1/email_account/mass_resend_welcome/"]
    nested = paths["/api/v1/reseller/{pk}/contacts/"]["get"]["responses"]["200"]
    items = nested["content"]["application/json"]["schema"]["properties"]["objects"]["items"]
    assert items == {"$ref": "#/components/schemas/contact_reseller"}
    assert main(["--demo", "openapi", "--action", "email_account/{pk}/regenerate_api_key"]) == 0
    assert (
        "/api/v1/email_account/{pk}/regenerate_api_key/"
        in json.loads(capsys.readouterr().out)["paths"]
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"actions": ["nosuch/{pk}/go"]}, UnknownResource),
        ({"actions": ["email_account/{pk}/.."]}, ConfigurationError),
        ({"actions": ["email_account/{pk}/a?b"]}, ConfigurationError),
        ({"actions": ["go"]}, ConfigurationError),
        ({"nested": ["reseller/contacts"]}, ConfigurationError),
        ({"nested": ["reseller/{pk}/contacts=nosuch"]}, UnknownResource),
    ],
)
def test_bad_actions_and_nested_lists_are_clear_errors(kwargs, error):
    with pytest.raises(error):
        Client.demo().openapi(**kwargs)


# ---------------------------------------------------------------- diff of two documents


@pytest.mark.slow
def test_diff_compares_two_openapi_files_as_it_compares_schemas(tmp_path, capsys):
    doc = Client.demo().openapi()
    old, same, new = tmp_path / "old.json", tmp_path / "same.json", tmp_path / "new.json"
    old.write_text(render_openapi(doc), encoding="utf-8")
    same.write_text(render_openapi(doc), encoding="utf-8")
    changed = json.loads(render_openapi(doc))
    del changed["x-tastypie"]["schemas"]["domain"]["fields"]["hold_email"]
    changed["x-tastypie"]["schemas"]["domain"]["ordering"].append("deliveryport")
    new.write_text(json.dumps(changed), encoding="utf-8")
    assert main(["diff", str(old), str(same)]) == 0
    assert "no changes" in capsys.readouterr().out
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "~ resource domain" in out and "- field hold_email" in out
    assert "~ ordering: +deliveryport" in out
    assert compare_openapi(doc, doc).empty
    assert main(["diff", str(old)]) == 2


def test_diff_of_a_document_not_written_by_openapi_says_so(tmp_path, capsys):
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"openapi": "3.1.0", "paths": {}}), encoding="utf-8")
    with pytest.raises(SchemaError, match="x-tastypie"):
        compare_openapi(load_openapi(foreign), load_openapi(foreign))
    assert main(["diff", str(foreign), str(foreign)]) == 1
    assert "x-tastypie" in capsys.readouterr().err


# ---------------------------------------------------------------- the truth, by schemathesis


def _schemathesis_run(
    doc: dict[str, Any],
    base_url: str,
    *,
    examples: int,
    only: Callable[[Any], bool] = lambda op: True,
) -> list[str]:
    """Run schemathesis's conformance checks over every operation of `doc`: the failures,
    one line each. Examples per operation are bounded and derandomized (a fixed seed)."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.core.failures import FailureGroup
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from tests.tastypie_site import auth_header

    checks = [response_schema_conformance, status_code_conformance, content_type_conformance]
    failures = []
    for result in schemathesis.openapi.from_dict(doc).get_all_operations():
        operation = result.ok()
        if not only(operation):
            continue

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(base_url=base_url, headers=auth_header(), checks=checks)

        try:
            run()
        except (Exception, FailureGroup) as exc:  # a contradiction: collect them all
            failures.append(f"{operation.label}: {str(exc).splitlines()[:3]}")
    return failures


@pytest.fixture
def live_site(tastypie_app: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The real Tastypie site over loopback and its document; its data restored after."""
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN, live_server, reset_data, seed_data

    try:
        with live_server(tastypie_app) as url:
            with Client(url, DEMO_LOGIN, DEMO_API_KEY, cache_dir=None, retries=0) as client:
                yield url, client.openapi()
    finally:
        reset_data()  # the run deletes and replaces whole collections
        seed_data(domains=60, accounts_per_domain=3)


@pytest.mark.slow
def test_schemathesis_finds_no_answer_contradicting_the_document(live_site):
    """Every operation of the real site, a few generated requests each (fixed seed):
    every status, content type and body is one the document allows (500s included,
    since Tastypie answers some allowed inputs with them, and the document says so)."""
    url, doc = live_site
    started = time.monotonic()
    assert _schemathesis_run(doc, url, examples=4) == []
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_schemathesis_catches_a_document_that_lies(live_site):
    """The run above can fail: a document claiming a domain's name is an integer is
    caught."""
    url, doc = live_site
    doc["components"]["schemas"]["domain"]["properties"]["name"] = {"type": "integer"}
    failures = _schemathesis_run(
        doc, url, examples=2, only=lambda op: op.path == "/api/v1/domain/" and op.method == "get"
    )
    assert failures and "domain" in failures[0]
