"""Numbers on the wire (issue 18 items 10 and 11).

NaN and Infinity are never sent: JSON has neither, and Tastypie stores NULL for them
without a word (or fails). A NaN or Infinity the server itself sends never makes
`save(if_unchanged=True)` see a change. Decimals travel exactly: a JSON number is read
without going through a float, a field nobody touched goes back digit for digit, and
validation judges a decimal in the form it goes out (`Decimal("0.00000001")` is `1E-8`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailroute_dyn import Client, ValidationError, jsondecode
from mailroute_dyn.schema import definition as schema
from mailroute_dyn.schema.conversions import encode_write_value, typed_value

HOST = "http://tastypie.test"
GAUGES = "https://gauges.test"
KEY = "fake-key-not-real"
NON_FINITE = [float("nan"), float("inf"), float("-inf")]


@pytest.fixture
def raw(tastypie_app: Any) -> Iterator[httpx.Client]:
    """Plain HTTP to the real server, to see what it stored."""
    from tests.tastypie_site import auth_header

    with httpx.Client(
        transport=httpx.WSGITransport(app=tastypie_app), base_url=HOST, headers=auth_header()
    ) as c:
        yield c


def _real(app: Any, api_path: str = "/api/v1/") -> Client:
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    return Client(
        HOST,
        DEMO_LOGIN,
        DEMO_API_KEY,
        api_path=api_path,
        cache_dir=None,
        retries=0,
        allow_insecure=True,
        transport=httpx.WSGITransport(app=app),
    )


# ---------------------------------------------------------------- a small API of gauges


def _field(kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "nullable": True,
        "blank": True,
        "readonly": False,
        "unique": False,
        "default": "No default provided.",
        "help_text": "",
        **extra,
    }


GAUGE_SCHEMA = {
    "allowed_list_http_methods": ["get", "post"],
    "allowed_detail_http_methods": ["get", "put", "patch"],
    "default_limit": 20,
    "fields": {
        "id": _field("integer", primary_key=True, unique=True, nullable=False),
        "name": _field("string"),
        "ratio": _field("float"),
        "price": _field("decimal"),
        "tags": _field("list"),
        "settings": _field("dict"),
        "resource_uri": _field("string", readonly=True),
    },
    "filtering": {"name": 1},
    "ordering": ["name"],
}


class Gauges:
    """A Tastypie-shaped server of one gauge, whose detail answer is the raw JSON text
    `detail` (numbers as the test writes them); it records every write it receives."""

    def __init__(self, detail: bytes, methods: tuple[str, ...] = ("get", "put", "patch")):
        self.detail = detail
        self.schema = {**GAUGE_SCHEMA, "allowed_detail_http_methods": list(methods)}
        self.writes: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method != "GET":
            self.writes.append(request)
            return httpx.Response(
                201 if request.method == "POST" else 204, headers={"Location": "/api/v1/gauge/1/"}
            )
        if path == "/api/v1/":
            return httpx.Response(
                200,
                json={
                    "gauge": {"list_endpoint": "/api/v1/gauge/", "schema": "/api/v1/gauge/schema/"}
                },
            )
        if path.endswith("/schema/"):
            return httpx.Response(200, json=self.schema)
        if path == "/api/v1/gauge/":
            page = (
                b'{"meta": {"limit": 20, "offset": 0, "next": null, "total_count": 1}, '
                b'"objects": [' + self.detail + b"]}"
            )
            return httpx.Response(200, content=page, headers={"Content-Type": "application/json"})
        return httpx.Response(
            200, content=self.detail, headers={"Content-Type": "application/json"}
        )

    def client(self) -> Client:
        return Client(
            GAUGES, "me", KEY, transport=httpx.MockTransport(self), cache_dir=None, retries=0
        )


PLAIN_GAUGE = (
    b'{"id": 1, "name": "g", "ratio": 0.5, "price": "1.50", "tags": [], '
    b'"settings": {}, "resource_uri": "/api/v1/gauge/1/"}'
)


@pytest.fixture(params=["msgspec", "stdlib"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both decoders: the result must not depend on which one is installed."""
    if request.param == "msgspec":
        pytest.importorskip("msgspec")
        monkeypatch.delenv("MAILROUTE_DYN_JSON", raising=False)
    else:
        monkeypatch.setenv("MAILROUTE_DYN_JSON", "stdlib")
    monkeypatch.setattr(jsondecode, "_chosen", False)
    assert jsondecode.decoder_name() == ("msgspec" if request.param == "msgspec" else "json")
    return str(request.param)


# ---------------------------------------------------------------- item 10: NaN, Infinity


def _writes(gauge_cls: Any, value: Any) -> dict[str, Callable[[], Any]]:
    """Every way a value reaches a write body."""

    def saved(method: str | None) -> Callable[[], Any]:
        def run() -> Any:
            obj = gauge_cls.get(1)
            obj.ratio = value
            return obj.save(method=method)

        return run

    return {
        "create": lambda: gauge_cls.create(name="n", ratio=value),
        "patch": saved(None),
        "put": saved("put"),
        "update": lambda: gauge_cls.filter(name="g").update(ratio=value).raise_first(),
        "update_or_create": lambda: gauge_cls.update_or_create(name="g", defaults={"ratio": value}),
        "bulk_create": lambda: gauge_cls.bulk_create([{"name": "n", "ratio": value}]).raise_first(),
    }


@pytest.mark.parametrize("bad", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    "how", ["create", "patch", "put", "update", "update_or_create", "bulk_create"]
)
def test_nan_and_infinity_are_refused_naming_the_field_and_nothing_is_sent(how, bad):
    server = Gauges(PLAIN_GAUGE)
    with server.client() as client:
        with pytest.raises(ValidationError) as info:
            _writes(client.gauge, bad)[how]()
    assert server.writes == []
    errors = info.value.errors if info.value.errors else {"gauge": {"ratio": [str(info.value)]}}
    assert "NaN and Infinity" in " ".join(errors["gauge"]["ratio"])


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("tags", ["a", float("nan")], "tags[1]"),
        ("settings", {"spam": {"ratio": float("inf")}}, "settings.spam.ratio"),
    ],
)
def test_nan_nested_in_a_list_or_dict_field_is_refused_with_its_place(field, value, where):
    server = Gauges(PLAIN_GAUGE)
    with server.client() as client:
        with pytest.raises(ValidationError) as info:
            client.gauge.create(name="n", **{field: value})
        obj = client.gauge.get(1)
        obj[field] = value
        with pytest.raises(ValidationError):
            obj.save()
    assert server.writes == []
    assert f"at {where}" in info.value.errors["gauge"][field][0]


def test_no_request_body_of_any_kind_carries_nan():
    server = Gauges(PLAIN_GAUGE)
    with server.client() as client:
        with pytest.raises(ValidationError, match=r"at x\[1\]"):
            client.request("POST", "/api/v1/gauge/", json={"x": [1, float("-inf")]})
        with pytest.raises(ValidationError, match="at password"):
            client.gauge.create(name="n", extra={"password": float("nan")})
    assert server.writes == []


def test_nan_is_refused_before_the_real_server_could_store_null(tastypie_client, raw):
    uri = "/api/v1/policy_domain/2/"
    assert raw.patch(uri, json={"spam_tag2_level": 4.5}).status_code == 202
    policy = tastypie_client.policy_domain.get(2)
    for bad in NON_FINITE:
        policy.spam_tag2_level = bad
        with pytest.raises(ValidationError) as info:
            policy.save()
        assert list(info.value.errors["policy_domain"]) == ["spam_tag2_level"]
    assert raw.get(uri).json()["spam_tag2_level"] == 4.5  # not NULL: nothing was sent
    raw.patch(uri, json={"spam_tag2_level": None})


def test_a_nan_the_server_sends_is_no_change_for_if_unchanged(decoder):
    server = Gauges(PLAIN_GAUGE.replace(b'"ratio": 0.5', b'"ratio": NaN'))
    with server.client() as client:
        obj = client.gauge.get(1)
        assert math.isnan(obj.ratio) and repr(obj["ratio"]) == "NaN"
        obj.name = "renamed"
        obj.save(if_unchanged=True)
    assert [json.loads(w.content) for w in server.writes] == [{"name": "renamed"}]


@pytest.mark.parametrize("resource", ["policy_domain", "policy_user"])  # PATCH, and PUT
def test_infinity_stored_on_the_real_server_is_no_change_and_goes_back_as_it_came(
    tastypie_client, raw, resource
):
    from tests.tastypie_site.mailroute import models

    model = models.PolicyDomain if resource == "policy_domain" else models.PolicyUser
    row = model.objects.order_by("id").first()
    model.objects.filter(pk=row.pk).update(spam_tag3_level=float("inf"))
    try:
        policy = tastypie_client[resource].get(row.pk)
        assert policy.spam_tag3_level == math.inf
        assert str(policy["spam_tag3_level"]) == "Infinity"
        policy.priority = row.priority + 1
        policy.save(if_unchanged=True)  # no Conflict: nothing changed
        stored = model.objects.get(pk=row.pk)
        assert stored.priority == row.priority + 1 and stored.spam_tag3_level == math.inf
    finally:
        model.objects.filter(pk=row.pk).update(
            spam_tag3_level=row.spam_tag3_level, priority=row.priority
        )


# ---------------------------------------------------------------- item 11: decimals

LONG = b"12345678901234567890.123456789"


def test_a_long_decimal_number_reads_exactly_and_a_put_sends_its_digits_back(decoder):
    server = Gauges(
        PLAIN_GAUGE.replace(b'"price": "1.50"', b'"price": ' + LONG), methods=("get", "put")
    )
    with server.client() as client:
        obj = client.gauge.get(1)
        assert obj.price == Decimal(LONG.decode())
        assert str(obj["price"]) == LONG.decode()
        listed = client.gauge.first()
        assert listed is not None and listed.price == Decimal(LONG.decode())
        obj.name = "renamed"
        obj.save(if_unchanged=True)
    put = server.writes[-1]
    assert put.method == "PUT" and b'"price":' + LONG in put.content
    assert json.loads(put.content)["name"] == "renamed"


class Meters(Gauges):
    """A `meter` resource beside the gauges, holding its gauge in full (`full=True`);
    the listing inlines every schema when asked (`?fullschema=true`), as Tastypie does."""

    METER = {
        **GAUGE_SCHEMA,
        "fields": {
            "id": _field("integer", primary_key=True, unique=True, nullable=False),
            "gauge": _field("related", related_type="to_one"),
            "resource_uri": _field("string", readonly=True),
        },
    }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/api/v1/":
            full = request.url.params.get("fullschema") == "true"
            return httpx.Response(
                200,
                json={
                    name: {
                        "list_endpoint": f"/api/v1/{name}/",
                        "schema": schema if full else f"/api/v1/{name}/schema/",
                    }
                    for name, schema in (("meter", self.METER), ("gauge", self.schema))
                },
            )
        if request.method == "GET" and path.startswith("/api/v1/meter/"):
            body = b'{"id": 1, "gauge": ' + self.detail + b', "resource_uri": "/api/v1/meter/1/"}'
            return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
        return super().__call__(request)


def test_a_long_decimal_nested_in_another_resources_object_is_exact_and_goes_back(decoder):
    # the meter's class has no decimal field, so its answer was read with floats, before
    # the gauge's class (which has one) was ever built: the PUT sent the rounded price
    server = Meters(
        PLAIN_GAUGE.replace(b'"price": "1.50"', b'"price": ' + LONG), methods=("get", "put")
    )
    with server.client() as client:
        gauge = client.meter.get(1).gauge
        assert gauge.price == Decimal(LONG.decode())
        gauge.name = "renamed"
        gauge.save()
    put = server.writes[-1]
    assert put.method == "PUT" and b'"price":' + LONG in put.content


@pytest.mark.parametrize(
    ("argv", "fmt"),
    [(["get", "gauge", "1"], "json"), (["list", "gauge"], "json"), (["list", "gauge"], "jsonl")],
)
def test_the_command_line_prints_a_long_decimal_with_its_own_digits(capsys, argv, fmt):
    from mailroute_dyn.cli import main

    server = Gauges(PLAIN_GAUGE.replace(b'"price": "1.50"', b'"price": ' + LONG))
    code = main(
        ["--url", GAUGES, "--login", "me", "--api-key", KEY, "--no-cache", *argv, "--format", fmt],
        transport=httpx.MockTransport(server),
    )
    out = capsys.readouterr().out
    assert code == 0 and b'"price": ' + LONG in out.encode()
    first = json.loads(out.splitlines()[0] if fmt == "jsonl" else out, parse_float=Decimal)
    row = first[0] if isinstance(first, list) else first
    assert row["price"] == Decimal(LONG.decode())


def test_long_numbers_are_kept_exactly_where_the_api_has_a_decimal_field(decoder):
    """Keeping digits costs a call per number, so an API without decimal fields reads
    floats at full speed; one with a decimal field keeps every long number's digits."""
    long_ratio = PLAIN_GAUGE.replace(b'"ratio": 0.5', b'"ratio": ' + LONG)
    server = Gauges(long_ratio)
    fields = {k: v for k, v in GAUGE_SCHEMA["fields"].items() if k != "price"}
    server.schema = {**server.schema, "fields": fields}
    with server.client() as client:
        assert type(client.gauge.get(1)["ratio"]) is float
    with Gauges(long_ratio).client() as client:
        assert str(client.gauge.get(1)["ratio"]) == LONG.decode()


def test_a_tiny_decimal_is_sent_as_tastypie_takes_it_and_read_back(tastypie_app, raw):
    with _real(tastypie_app, "/anyapi/api/v1/") as client:
        made = client.products.create(artnr="tiny-1e-8", name="Grain", price=Decimal("0.00000001"))
        assert made.price == Decimal("1E-8")
        assert raw.get("/anyapi/api/v1/products/tiny-1e-8/").json()["price"] == "1.0000E-8"
        made.price = made.price  # the server's own form, sent back
        made.name = "Grain of sand"
        made.save()
        made.name = "Sand"
        made.save(method="put")  # price untouched: the same digits
        assert made.price == Decimal("1E-8")
        made.delete()


def test_a_float_for_a_decimal_field_goes_as_its_digits_not_a_binary_expansion():
    server = Gauges(PLAIN_GAUGE)
    with server.client() as client:
        client.gauge.create(name="n", price=0.1)
    assert json.loads(server.writes[0].content)["price"] == "0.1"


DECIMAL_PATTERN = re.compile(schema.DECIMAL_PATTERN)


@settings(max_examples=300, deadline=None)
@given(st.decimals())
def test_a_decimal_is_valid_exactly_when_what_goes_out_is_a_finite_number(value):
    sent = encode_write_value(value, "decimal")
    assert isinstance(sent, str)
    assert bool(DECIMAL_PATTERN.match(sent)) == value.is_finite()
    if value.is_finite():
        assert Decimal(sent) == value and Decimal(sent).as_tuple() == value.as_tuple()


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_decimal_as_a_json_number_round_trips_digit_for_digit(value):
    text = str(value)  # a JSON number: 1.5, 1E+2, 1.0E-8
    for name in ("msgspec", "stdlib"):
        read = _decode_with(name, text.encode())
        assert typed_value("decimal", read) == value
        again = _decode_with(name, jsondecode.encode({"price": read}))["price"]
        assert typed_value("decimal", again) == value  # sent back, read: the same


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_float_round_trips_as_a_plain_float(value):
    for name in ("msgspec", "stdlib"):
        read = _decode_with(name, json.dumps(value).encode())
        assert type(read) is float and read == value
        assert jsondecode.encode(read) == json.dumps(value, separators=(",", ":")).encode()


def _decode_with(name: str, content: bytes) -> Any:
    """`jsondecode.decode` with exact numbers (a client whose API has a decimal field),
    with msgspec or as it decodes without it."""
    if name == "msgspec":
        pytest.importorskip("msgspec")
    jsondecode.decoder_name()
    chosen = jsondecode._fast_exact
    if name == "stdlib":
        jsondecode._fast_exact = None
    try:
        return jsondecode.decode(content, exact_numbers=True)
    finally:
        jsondecode._fast_exact = chosen


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.decimals(min_value=-(10**12), max_value=10**12, places=3),
        st.decimals(min_value=-1, max_value=1, places=12),
    )
)
def test_decimals_round_trip_through_the_real_server(tastypie_app, value):
    with _real(tastypie_app, "/anyapi/api/v1/") as client:
        made = client.products.create(artnr="dec-round-trip", name="x", price=value)
        try:
            assert client.products.get("dec-round-trip").price == value
        finally:
            made.delete()


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_round_trip_through_the_real_server(tastypie_app, value):
    with _real(tastypie_app) as client:
        policy = client.policy_domain.get(3)
        policy.spam_tag2_level = value
        policy.save()
        try:
            assert client.policy_domain.get(3).spam_tag2_level == value
        finally:
            policy.spam_tag2_level = None
            policy.save()
