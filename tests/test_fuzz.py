"""Fuzzing with hypothesis: random server answers fed through the whole client, and random
schemas turned into classes. Only documented exceptions (MailRouteError subclasses) may
escape, and no request ever leaves the configured origin.
"""

from __future__ import annotations

import json
import random
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailroute_dyn import Client, MailRouteError
from mailroute_dyn.errors import ValidationError
from mailroute_dyn.schema.definition import parse_schema
from tests.conftest import API_KEY, BASE, LOGIN, load

pytestmark = pytest.mark.slow  # thousands of random answers and schemas

HOST = httpx.URL(BASE).host

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "/api/v1/domain/1/",
            "https://evil.test/api/v1/domain/2/",
            "Thu, 7 Jun 2012 15:24:27 -0700",
            "2012-06-07T15:24:27",
            "not a date",
            "4.37",
            "",
            "/api/v1/nosuch/5/",
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


def _object_like() -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from(
        [
            "id",
            "name",
            "resource_uri",
            "customer",
            "policy",
            "created_at",
            "active",
            "deliveryport",
            "absolute_url",
            "pk",
            "password",
        ]
    )
    return st.dictionaries(keys, json_values, max_size=8)


bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    _object_like().map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {
            "meta": st.dictionaries(
                st.sampled_from(["limit", "offset", "total_count", "next", "previous"]),
                json_values,
                max_size=5,
            )
            | json_values,
            "objects": st.lists(_object_like() | json_values, max_size=4) | json_values,
        }
    ).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"",
            b"<html><title>oops</title></html>",
            b'{"objects": [',
            b"null",
            b'{"error": "&lt;bad&gt;"}',
            b'{"error_message": "x", "traceback": "y"}',
            b'{"domain": {"name": ["Domain with this Name already exists."]}}',
        ]
    ),
)
answers = st.fixed_dictionaries(
    {
        "status": st.sampled_from(
            [
                200,
                201,
                202,
                204,
                300,
                301,
                302,
                400,
                401,
                403,
                404,
                405,
                409,
                415,
                418,
                429,
                500,
                501,
                502,
                503,
                504,
            ]
        ),
        "body": bodies,
        "ctype": st.sampled_from(
            [
                "application/json",
                "application/json; charset=utf-8",
                "text/html; charset=utf-8",
                "text/plain",
                "",
            ]
        ),
        "location": st.none()
        | st.sampled_from(
            [
                "/api/v1/domain/9/",
                f"{BASE}/api/v1/domain/9/",
                "https://evil.test/api/v1/domain/9/",
                "garbage",
                "/api/v1/domain/",
                "",
            ]
        ),
        "retry_after": st.none()
        | st.sampled_from(["0", "-3", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"]),
    }
)
operations = st.sampled_from(
    [
        "get",
        "first",
        "count",
        "list",
        "create",
        "save",
        "delete",
        "uri",
        "request",
        "related",
        "exists",
    ]
)


class Scripted:
    """A transport answering discovery from the fixtures and everything else as scripted."""

    def __init__(self) -> None:
        self.answer: dict[str, Any] | None = None
        self.listing = load("listing.json")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == HOST, f"a request left the origin: {request.url}"
        path = request.url.path
        if self.answer is None:
            if path == "/api/v1/":
                return httpx.Response(200, json=self.listing)
            name = path.split("/")[3]
            if path.endswith("/schema/"):
                return httpx.Response(200, json=load(f"schemas/{name}.json"))
            return httpx.Response(
                200,
                json={
                    "meta": {"total_count": 1, "limit": 20, "offset": 0, "next": None},
                    "objects": [load(f"objects/{name}.json")[0]],
                },
            )
        a = self.answer
        headers = {"Content-Type": a["ctype"]} if a["ctype"] else {}
        if a["location"] is not None:
            headers["Location"] = a["location"]
        if a["retry_after"] is not None:
            headers["Retry-After"] = a["retry_after"]
        return httpx.Response(a["status"], content=a["body"], headers=headers)


@pytest.fixture(scope="module")
def scripted():
    script = Scripted()
    client = Client(
        BASE,
        LOGIN,
        API_KEY,
        transport=httpx.MockTransport(script),
        cache_dir=None,
        retries=0,
        backoff=0,
    )
    client.preload()
    domain = client.domain.first()
    yield script, client, domain
    client.close()


def _run(client: Client, domain: Any, op: str) -> None:
    Domain = client.domain
    if op == "get":
        Domain.get(912345)
    elif op == "first":
        Domain.filter(name__startswith="a").first()
    elif op == "count":
        Domain.all().count()
    elif op == "list":
        for _ in Domain.all()[:30]:
            pass
    elif op == "exists":
        Domain.filter(name="x").exists()
    elif op == "create":
        Domain.create(name="fuzz.test", customer="/api/v1/customer/1/")
    elif op == "save":
        domain.hold_email = not domain.hold_email
        domain.save()
    elif op == "delete":
        domain.delete()
    elif op == "uri":
        obj = client.get("/api/v1/domain/7/")
        for name in type(obj).fields:
            if not type(obj).fields[name].is_related:
                getattr(obj, name, None)
    elif op == "related":
        client.email_account._from_raw(load("objects/email_account.json")[0]).fetch("domain")
    else:
        client.request("POST", "/api/v1/email_account/1/regenerate_api_key/")


@settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(answer=answers, op=operations)
def test_random_answers_raise_only_documented_errors(scripted, answer, op):
    script, client, domain = scripted
    script.answer = answer
    try:
        _run(client, domain, op)
    except MailRouteError as exc:
        assert API_KEY not in str(exc)
    except AttributeError as exc:  # a typed view of a field the answer lacked
        assert "has no" in str(exc) or "object has no key" in str(exc)
    finally:
        script.answer = None


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randrange(-(10**6), 10**6)
    if kind == 3:
        return rng.uniform(-1e6, 1e6)
    if kind in (4, 5):
        return rng.choice(
            [
                "",
                "x",
                "/api/v1/domain/1/",
                "https://evil.test/api/v1/domain/2/",
                "Thu, 7 Jun 2012 15:24:27 -0700",
                "2012-06-07",
                "4.37",
                "\u00e9",
                "/api/v1/brandinginfo/1/",
                "null",
                "{",
            ]
        )
    if kind in (6, 7):
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(
            [
                "id",
                "name",
                "meta",
                "objects",
                "next",
                "total_count",
                "limit",
                "resource_uri",
                "error",
                "error_message",
                "domain",
                "pk",
            ]
        ): _random_json(rng, depth + 1)
        for _ in range(rng.randrange(5))
    }


def _mutated(rng: random.Random, value: Any) -> Any:
    """A real answer with one part replaced by something random."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(sorted(value))
        return {**value, key: _mutated(rng, value[key])}
    if isinstance(value, list) and value and rng.random() < 0.8:
        i = rng.randrange(len(value))
        return value[:i] + [_mutated(rng, value[i])] + value[i + 1 :]
    return _random_json(rng)


def _random_answer(rng: random.Random) -> dict[str, Any]:
    real = [
        load("objects/domain.json")[0],
        {
            "meta": {
                "limit": 20,
                "offset": 0,
                "total_count": 3,
                "previous": None,
                "next": "/api/v1/domain/?offset=20",
            },
            "objects": load("objects/domain.json")[:3],
        },
    ]
    roll = rng.random()
    if roll < 0.45:
        body = json.dumps(_mutated(rng, rng.choice(real))).encode()
    elif roll < 0.8:
        body = json.dumps(_random_json(rng)).encode()
    elif roll < 0.9:
        text = json.dumps(rng.choice(real)).encode()
        body = text[: rng.randrange(len(text))]
    else:
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
    return {
        "status": rng.choice(
            [200, 200, 200, 201, 202, 204, 301, 400, 401, 404, 405, 429, 500, 502, 503]
        ),
        "body": body,
        "ctype": rng.choice(["application/json", "text/html; charset=utf-8", ""]),
        "location": rng.choice([None, "/api/v1/domain/9/", "https://evil.test/x/", "?"]),
        "retry_after": rng.choice([None, "0", "soon"]),
    }


OPERATIONS = [
    "get",
    "first",
    "count",
    "list",
    "create",
    "save",
    "delete",
    "uri",
    "request",
    "related",
    "exists",
]


def test_ten_thousand_random_answers(scripted):
    """The fuzz run: 10,000 seeded cases of mutated and random answers."""
    script, client, domain = scripted
    rng = random.Random(20261126)
    outcomes: dict[str, int] = {}
    for _ in range(10_000):
        script.answer = _random_answer(rng)
        op = rng.choice(OPERATIONS)
        try:
            _run(client, domain, op)
            outcomes["ok"] = outcomes.get("ok", 0) + 1
        except MailRouteError as exc:
            assert API_KEY not in str(exc)
            outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
        except AttributeError as exc:
            assert "has no" in str(exc) or "object has no key" in str(exc), exc
        finally:
            script.answer = None
    assert sum(outcomes.values()) > 9_000 and outcomes.get("ok", 0) > 500


schema_fields = st.dictionaries(
    st.text(min_size=1, max_size=6),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                [
                    "string",
                    "integer",
                    "float",
                    "decimal",
                    "boolean",
                    "datetime",
                    "date",
                    "time",
                    "list",
                    "dict",
                    "related",
                    "geometry",
                ]
            )
        },
        optional={
            "nullable": st.booleans(),
            "blank": st.booleans(),
            "readonly": st.booleans(),
            "unique": st.booleans(),
            "default": json_values,
            "related_type": st.sampled_from(["to_one", "to_many", "x"]),
        },
    ),
    max_size=6,
)


@settings(max_examples=500, deadline=None, database=None)
@given(fields=schema_fields, body=st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_random_schemas_build_classes_that_validate_or_refuse(fields, body):
    from mailroute_dyn.model.assemble import client_registry

    raw = {
        "fields": fields,
        "allowed_list_http_methods": ["get", "post"],
        "allowed_detail_http_methods": ["get"],
        "filtering": {k: 1 for k in fields},
    }
    schema = parse_schema("thing", raw)
    from mailroute_dyn.schema.discovery import Discovery
    from mailroute_dyn.settings.config import resolve_settings

    settings = resolve_settings(base_url=BASE, cache_dir=None)

    def offline(*_: object) -> object:
        raise AssertionError("nothing is sent here")

    session = SimpleNamespace(
        settings=settings,
        is_async=False,
        journal=None,
        run=offline,
        stream=offline,
        keep_exact_numbers=lambda: None,
    )  # a session that sends nothing: only classes are built here
    registry = client_registry(settings, Discovery(settings), session)  # type: ignore[arg-type]
    cls = registry.build(schema)
    try:
        cls._validate(body, creating=True)
    except ValidationError as exc:
        assert exc.errors and set(exc.errors) == {"thing"}
