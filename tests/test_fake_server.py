"""The fake server over raw httpx: status codes, headers and bodies as TASTYPIE.md records
them (section numbers below are TASTYPIE.md's), on the packaged demo data and on small
fixture folders written by the tests themselves."""

import json
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from mailroute_dyn.fake.fixtures import write_fixture
from mailroute_dyn.fake.routes import NOT_FOUND_PAGE
from mailroute_dyn.fake.server import DEMO_DATA
from mailroute_dyn.testing import FakeMailRoute

KEY = "demo-key"
AUTH = {"Authorization": f"ApiKey demo:{KEY}"}
CANNED = {"error_message": "Sorry, this request could not be processed. Please try again later."}
HTML = "text/html; charset=utf-8"
NO_DEFAULT = "No default provided."


@pytest.fixture
def fake():
    return FakeMailRoute()


@pytest.fixture
def http(fake):
    with httpx.Client(
        transport=fake, base_url="https://fake.mailroute.test", headers=AUTH
    ) as client:
        yield client


def anon(fake):
    return httpx.Client(transport=fake, base_url="https://fake.mailroute.test")


def demo(name):
    return json.loads((DEMO_DATA / "objects" / f"{name}.json").read_text(encoding="utf-8"))


def ids(response):
    return [o["id"] for o in response.json()["objects"]]


def error(response, status=400):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()["error"]


# ---------------------------------------------------------------- a fixture of our own


def fld(ftype, **spec):
    base = {
        "blank": False,
        "default": NO_DEFAULT,
        "help_text": "",
        "nullable": False,
        "readonly": False,
        "type": ftype,
        "unique": False,
    }
    return {**base, **spec}


def rel(related_type="to_one", **spec):
    return fld("related", related_type=related_type, **spec)


def schema(
    fields,
    filtering=None,
    ordering=None,
    methods=("get", "post", "put", "patch", "delete"),
    detail=None,
    limit=20,
):
    out = {
        "allowed_detail_http_methods": list(detail or methods),
        "allowed_list_http_methods": list(methods),
        "default_format": "application/json",
        "default_limit": limit,
        "fields": {
            "id": fld("integer", blank=True, default="", unique=True),
            "resource_uri": fld("string", readonly=True),
            **fields,
        },
    }
    if filtering:
        out["filtering"] = filtering
    if ordering:
        out["ordering"] = ordering
    return out


GADGET = schema(
    {
        "name": fld("string", unique=True),
        "price": fld("decimal", nullable=True),
        "weight": fld("float", nullable=True),
        "born": fld("date", nullable=True),
        "alarm": fld("time", nullable=True),
        "seen_at": fld("datetime", nullable=True),
        "tags": fld("list", blank=True, default=[]),
        "extra": fld("dict", nullable=True, blank=True),
        "note": fld("string", nullable=True, blank=True),
        "count": fld("integer", blank=True, default=3),
        "active": fld("boolean", blank=True, default=True),
        "parts": rel("to_many", blank=True, default=[]),
        "created_at": fld("datetime", readonly=True),
        "updated_at": fld("datetime", readonly=True),
    },
    filtering={
        "name": 1,
        "price": 1,
        "weight": 1,
        "born": 1,
        "alarm": 1,
        "seen_at": 1,
        "parts": 2,
        "active": ["exact"],
        "count": 1,
    },
    ordering=["name", "price", "seen_at", "weight"],
    limit=3,
)
PART = schema({"label": fld("string")}, filtering={"label": 1})


def gadget(n, **values):
    base = {
        "id": n,
        "resource_uri": f"/api/v1/gadget/{n}/",
        "name": f"g{n}",
        "price": f"{n}.50",
        "weight": float(n),
        "born": f"{n} May 2024",
        "alarm": f"0{n}:15:00 -0800",
        "seen_at": f"Thu, 0{n} Jun 2012 15:24:27 -0700",
        "tags": [],
        "extra": None,
        "note": None,
        "count": n,
        "active": n % 2 == 1,
        "parts": [],
        "created_at": "Thu, 07 Jun 2012 15:24:27 -0700",
        "updated_at": "Thu, 07 Jun 2012 15:24:27 -0700",
    }
    return {**base, **values}


def gadget_folder(tmp_path):
    """A folder of gadgets and parts (to_many `parts`, nullable fields of every type)."""
    parts = [
        {"id": i, "label": label, "resource_uri": f"/api/v1/part/{i}/"}
        for i, label in enumerate(["bolt", "nut", "bolt-x", "gear"], 1)
    ]
    objects = [
        gadget(
            1, parts=["/api/v1/part/1/", "/api/v1/part/3/", "/api/v1/part/2/"], name="José Ünïcode"
        ),
        gadget(2, parts=["/api/v1/part/2/"], weight=None, note="n"),
        gadget(3, parts=["/api/v1/part/1/"]),
        gadget(4),
        gadget(5),
        gadget(6),
    ]
    return write_fixture(
        tmp_path / "fx", {"gadget": GADGET, "part": PART}, {"gadget": objects, "part": parts}
    )


@pytest.fixture
def gadgets(tmp_path):
    fake = FakeMailRoute(gadget_folder(tmp_path))
    with httpx.Client(transport=fake, base_url="https://fake.test", headers=AUTH) as client:
        yield client


# ---------------------------------------------------------------- 1. discovery


def test_listing_needs_no_key_and_is_sorted(fake):
    with anon(fake) as client:
        for headers in ({}, {"Authorization": "ApiKey demo:wrong"}):
            response = client.get("/api/v1/", headers=headers)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            assert "vary" not in response.headers and "cache-control" not in response.headers
    body = response.json()
    assert list(body) == sorted(body) and "brandinginfo" not in body
    assert body.keys() == json.loads((DEMO_DATA / "listing.json").read_text()).keys()
    assert body["domain"] == {
        "list_endpoint": "/api/v1/domain/",
        "schema": "/api/v1/domain/schema/",
    }
    assert response.text.startswith('{"admins": {"list_endpoint": "/api/v1/admins/", ')


@pytest.mark.parametrize(
    "value, inlined",
    [
        ("true", True),
        ("True", True),
        ("0", True),
        ("no", True),
        ("false", False),
        ("False", False),
        ("", False),
    ],
)
def test_fullschema_follows_string_to_python(fake, value, inlined):
    with anon(fake) as client:
        body = client.get("/api/v1/", params={"fullschema": value}).json()
    expected = json.loads((DEMO_DATA / "schemas" / "domain.json").read_text())
    assert body["domain"]["schema"] == (expected if inlined else "/api/v1/domain/schema/")


def test_fullschema_can_be_switched_off_like_the_2013_server():
    with anon(FakeMailRoute(fullschema=False)) as client:
        body = client.get("/api/v1/?fullschema=true").json()
    assert body["domain"]["schema"] == "/api/v1/domain/schema/"


def test_schema_needs_a_key_and_is_served_as_is(fake, http):
    with anon(fake) as client:
        refused = client.get("/api/v1/email_account/schema/")
    assert (refused.status_code, refused.content) == (401, b"")
    assert refused.headers["content-type"] == HTML
    response = http.get("/api/v1/email_account/schema/")
    assert response.status_code == 200
    assert response.headers["vary"] == "Accept"
    assert response.headers["cache-control"] == "no-cache"
    assert response.json() == json.loads((DEMO_DATA / "schemas" / "email_account.json").read_text())
    assert http.get("/api/v1/brandinginfo/schema/").status_code == 200  # unlisted, served
    post = http.post("/api/v1/domain/schema/", json={})
    assert (post.status_code, post.headers["allow"], post.text) == (405, "GET", "GET")


def test_only_an_unparsable_accept_header_is_refused(http):
    assert http.get("/api/v1/domain/", headers={"Accept": "text/html"}).status_code == 200
    assert error(http.get("/api/v1/domain/", headers={"Accept": "garbage"})) == (
        "Invalid Accept header"
    )
    assert http.get("/api/v1/domain/?format=json", headers={"Accept": "garbage"}).status_code == 200
    top = http.get("/api/v1/", headers={"Accept": "garbage"})
    assert (top.status_code, top.content, top.headers["content-type"]) == (400, b"", HTML)


# ---------------------------------------------------------------- 2. lists and pagination


def test_first_page_and_meta(http):
    response = http.get("/api/v1/email_account/")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["vary"] == "Accept"
    assert response.headers["cache-control"] == "no-cache"
    body = response.json()
    assert body["meta"] == {
        "limit": 20,
        "next": "/api/v1/email_account/?limit=20&offset=20",
        "offset": 0,
        "previous": None,
        "total_count": 30,
    }
    assert body["objects"] == demo("email_account")[:20]
    last = http.get(body["meta"]["next"]).json()
    assert last["meta"]["next"] is None
    assert last["meta"]["previous"] == "/api/v1/email_account/?limit=20&offset=0"
    assert len(last["objects"]) == 10


def test_default_limit_comes_from_the_schema(gadgets):
    assert gadgets.get("/api/v1/gadget/").json()["meta"]["limit"] == 3


def test_links_keep_every_parameter_and_move_limit_offset_last(http):
    response = http.get(
        "/api/v1/domain/",
        params=[
            ("limit", "2"),
            ("name__startswith", "acme 0:"),
            ("format", "json"),
            ("username", "demo"),
            ("api_key", KEY),
            ("offset", "2"),
        ],
    )
    meta = response.json()["meta"]
    assert meta["next"] is None  # nothing matches "acme 0:"
    response = http.get("/api/v1/domain/?offset=2&order_by=name&limit=2&callback=f&x=a+b:c")
    meta = response.json()["meta"]
    assert meta["next"] == "/api/v1/domain/?order_by=name&callback=f&x=a+b%3Ac&limit=2&offset=4"
    assert meta["previous"] == (
        "/api/v1/domain/?order_by=name&callback=f&x=a+b%3Ac&limit=2&offset=0"
    )


def test_previous_is_null_whenever_offset_minus_limit_is_negative(http):
    meta = http.get("/api/v1/domain/?offset=3&limit=5").json()["meta"]
    assert meta["previous"] is None and meta["offset"] == 3
    past = http.get("/api/v1/domain/?offset=100&limit=5").json()
    assert past["objects"] == [] and past["meta"]["next"] is None
    assert past["meta"]["previous"] == "/api/v1/domain/?limit=5&offset=95"


def test_limit_zero_and_too_big_become_max_limit():
    fake = FakeMailRoute(max_limit=7)
    with httpx.Client(transport=fake, base_url="https://f.test", headers=AUTH) as client:
        for limit in ("0", "8", "1000"):
            body = client.get(f"/api/v1/email_account/?limit={limit}").json()
            assert body["meta"]["limit"] == 7 and len(body["objects"]) == 7
            assert body["meta"]["next"] == "/api/v1/email_account/?limit=7&offset=7"


@pytest.mark.parametrize(
    "query, message",
    [
        ("limit=-1", "Invalid limit '-1' provided. Please provide a positive integer &gt;= 0."),
        ("limit=abc", "Invalid limit 'abc' provided. Please provide a positive integer."),
        ("limit=", "Invalid limit '' provided. Please provide a positive integer."),
        ("limit=%3Cb%3E", "Invalid limit '&lt;b&gt;' provided. Please provide a positive integer."),
        ("offset=-3", "Invalid offset '-3' provided. Please provide a positive integer &gt;= 0."),
        ("offset=x", "Invalid offset 'x' provided. Please provide an integer."),
    ],
)
def test_bad_limit_or_offset(http, query, message):
    response = http.get(f"/api/v1/domain/?{query}")
    assert error(response) == message
    assert "vary" not in response.headers


# ---------------------------------------------------------------- 3. value formats


def test_values_come_back_exactly_as_stored(http):
    body = http.get("/api/v1/domain/912345/").json()
    assert body == next(d for d in demo("domain") if d["id"] == 912345)
    assert body["created_at"] == "Thu, 07 Jun 2012 17:01:47 -0700"


def test_iso_8601_mode_prints_naive_local_times(tmp_path):
    fake = FakeMailRoute(datetime_format="iso-8601")
    with httpx.Client(transport=fake, base_url="https://f.test", headers=AUTH) as client:
        body = client.get("/api/v1/domain/912345/").json()
        assert body["created_at"] == "2012-06-07T17:01:47"
        client.post(
            "/api/v1/contact_domain/", json={"email": "a@b.c", "domain": "/api/v1/domain/1/"}
        )
        created = client.get("/api/v1/contact_domain/5/").json()["created_at"]
    assert "T" in created and "+" not in created and not created.endswith("Z")


def test_date_time_and_decimal_formats(gadgets):
    body = gadgets.get("/api/v1/gadget/1/").json()
    assert (body["born"], body["alarm"], body["price"]) == ("1 May 2024", "01:15:00 -0800", "1.50")
    gadgets.patch(
        "/api/v1/gadget/1/",
        json={
            "born": "2024-12-25",
            "alarm": "20:05",
            "price": 4.375,
            "seen_at": "2012-08-01T10:00:00Z",
        },
    )
    body = gadgets.get("/api/v1/gadget/1/").json()
    assert (body["born"], body["alarm"], body["price"]) == (
        "25 Dec 2024",
        "20:05:00 -0800",
        "4.375",
    )
    assert body["seen_at"] == "Wed, 01 Aug 2012 03:00:00 -0700"


def test_non_ascii_is_raw_utf8_without_charset(gadgets):
    response = gadgets.get("/api/v1/gadget/1/")
    assert response.headers["content-type"] == "application/json"
    assert "José Ünïcode".encode() in response.content


# ---------------------------------------------------------------- 4. filtering

LA = ZoneInfo("America/Los_Angeles")
_BY_URI = {}


def at(uri):
    """The demo object a URI names (for expectations computed from the data itself)."""
    if not _BY_URI:
        for path in (DEMO_DATA / "objects").glob("*.json"):
            _BY_URI.update({o["resource_uri"]: o for o in demo(path.stem)})
    return _BY_URI.get(uri) or {}


def when(text):
    return parsedate_to_datetime(text)


@pytest.mark.parametrize(
    "url, keep",
    [
        ("domain/?name=acme-001.com", lambda o: o["name"] == "acme-001.com"),
        ("domain/?name=ACME-001.com", lambda o: False),
        ("domain/?name__iexact=ACME-001.com", lambda o: o["name"] == "acme-001.com"),
        ("domain/?name=", lambda o: False),
        (
            "domain/?name__in=acme-001.com,acme-003.com",
            lambda o: o["name"] in ("acme-001.com", "acme-003.com"),
        ),
        (
            "domain/?name__in=acme-001.com&name__in=acme-004.com",
            lambda o: o["name"] in ("acme-001.com", "acme-004.com"),
        ),
        (
            "domain/?name__startswith=test&name__endswith=2.com",
            lambda o: o["name"] == "testdomain2.com",
        ),
        ("domain/?name__regex=^acme-01[01]", lambda o: o["name"][:8] in ("acme-010", "acme-011")),
        ("domain/?name__isnull=false&name__contains=main3", lambda o: "main3" in o["name"]),
        (
            "domain/?name__range=acme-010.com,acme-012.com",
            lambda o: "acme-010.com" <= o["name"] <= "acme-012.com",
        ),
        ("domain/?customer=912345", lambda o: o["customer"] == "/api/v1/customer/912345/"),
        (
            "domain/?customer__in=1,912346",
            lambda o: o["customer"] in ("/api/v1/customer/1/", "/api/v1/customer/912346/"),
        ),
        (
            "domain/?customer__name=Test+Customer+2",
            lambda o: at(o["customer"])["name"] == "Test Customer 2",
        ),
        (
            "domain/?customer__reseller=2",
            lambda o: at(o["customer"])["reseller"] == "/api/v1/reseller/2/",
        ),
        (
            "domain/?customer__gt=2&customer__lt=912346",
            lambda o: 2 < at(o["customer"])["id"] < 912346,
        ),
        ("domain/?foo=bar&nmae=x", lambda o: True),
        ("email_account/?domain__name=acme-001.com", lambda o: o["domain_name"] == "acme-001.com"),
        (
            "email_account/?domain__name__in=acme-001.com,acme-002.com",
            lambda o: o["domain_name"] in ("acme-001.com", "acme-002.com"),
        ),
        ("email_account/?localpart__startswith=post", lambda o: o["localpart"][:4] == "post"),
        ("email_account/?id__in=5,6,7", lambda o: o["id"] in (5, 6, 7)),
        (
            "email_account/?domain__customer__reseller=3&localpart=info",
            lambda o: (
                o["localpart"] == "info"
                and at(at(o["domain"])["customer"])["reseller"] == "/api/v1/reseller/3/"
            ),
        ),
        (
            "email_account/?domain__customer=912345&domain=912347",
            lambda o: o["domain"] == "/api/v1/domain/912347/",
        ),
        (
            "policy_domain/?spam_kill_level__gt=7&priority=5",
            lambda o: o["spam_kill_level"] > 7 and o["priority"] == 5,
        ),
        ("policy_domain/?spam_kill_level__range=5,6.5", lambda o: 5 <= o["spam_kill_level"] <= 6.5),
        (
            "policy_domain/?spam_kill_level__isnull=false&priority__in=4,5",
            lambda o: o["spam_kill_level"] is not None,
        ),
        ("policy_user/?domain=1", lambda o: True),  # a filter on no field is ignored
        ("policy_domain/?is_default=false&domain=2", lambda o: o["id"] == 2),
        ("policy_domain/?is_default=true", lambda o: False),
        ("policy_domain/?is_default=0&domain=3", lambda o: o["id"] == 3),
        (
            "contact_domain/?created_at__gte=2012-06-15",
            lambda o: when(o["created_at"]) >= datetime(2012, 6, 15, tzinfo=LA),
        ),
        (
            "contact_domain/?created_at__lt=2012-06-12T00:00:00-07:00",
            lambda o: when(o["created_at"]) < datetime(2012, 6, 12, tzinfo=LA),
        ),
        (
            "contact_domain/?created_at__year=2012&created_at__day=19",
            lambda o: when(o["created_at"]).day == 19,
        ),
        (
            "contact_domain/?created_at__date=2012-06-07",
            lambda o: when(o["created_at"]).date().isoformat() == "2012-06-07",
        ),
        (
            "contact_domain/?updated_at__range=2012-07-01,2012-07-16",
            lambda o: "Jul 2012" in o["updated_at"] and when(o["updated_at"]).day < 16,
        ),
        ("wblist/?domain=2&wb=b", lambda o: o["domain"] == "/api/v1/domain/2/"),
        ("wblist/?email_account=7", lambda o: o["email_account"] == "/api/v1/email_account/7/"),
    ],
)
def test_filters_that_work(http, url, keep):
    name = url.split("/", 1)[0]
    response = http.get(f"/api/v1/{url}&limit=0")
    assert response.status_code == 200, response.text
    expected = [o["id"] for o in demo(name) if keep(o)]
    assert ids(response) == expected
    assert response.json()["meta"]["total_count"] == len(expected)


def test_filter_expectations_are_not_empty(http):
    """Guard for the table above: most of its filters must select something."""
    for url in (
        "email_account/?localpart__startswith=post",
        "domain/?customer__reseller=2",
        "contact_domain/?created_at__gte=2012-06-15",
        "policy_domain/?spam_kill_level__gt=7&priority=5",
    ):
        assert ids(http.get(f"/api/v1/{url}&limit=0")), url


@pytest.mark.parametrize(
    "url, message",
    [
        ("/api/v1/email_account/?priority=3", "The 'priority' field does not allow filtering."),
        (
            "/api/v1/email_account/?policy__spam_kill_level=5",
            "The 'policy' field does not allow filtering.",
        ),
        ("/api/v1/email_account/?id=5", "'exact' is not an allowed filter on the 'id' field."),
        ("/api/v1/domain/?name__bogus=x", "The 'name' field does not support relations."),
        (
            "/api/v1/email_account/?domain__name__startswith=acme",
            "The 'name' field does not support relations.",
        ),
        (
            "/api/v1/email_account/?domain__name__iexact=ACME-001.COM",
            "The 'name' field does not support relations.",
        ),
        (
            "/api/v1/domain/?customer__reseller__name=South+Reseller",
            "Lookups are not allowed more than one level deep on the 'reseller' field.",
        ),
        ("/api/v1/domain/?customer__bogus=1", "The 'bogus' field does not allow filtering."),
        ("/api/v1/domain/?resource_uri=x", "The 'resource_uri' field is not a valid field name"),
        (
            "/api/v1/policy_domain/?spam_kill_level__startswith=5",
            "'startswith' is not an allowed filter on the 'spam_kill_level' field.",
        ),
        (
            "/api/v1/domain/?customer=/api/v1/customer/1/",
            "Invalid resource lookup data provided (mismatched type).",
        ),
        (
            "/api/v1/email_account/?id__in=1,x",
            "Invalid resource lookup data provided (mismatched type).",
        ),
        (
            "/api/v1/policy_domain/?spam_kill_level=abc",
            "Invalid resource lookup data provided (mismatched type).",
        ),
        (
            "/api/v1/domain/?name__contains=None",
            "Invalid resource lookup data provided (mismatched type).",
        ),
        (
            "/api/v1/policy_domain/?is_default=garbage",
            "['“garbage” value must be either True or False.']",
        ),
        (
            "/api/v1/contact_domain/?created_at__gte=Wed,+01+Aug+2012+00:00:00+-0700",
            "['“Wed, 01 Aug 2012 00:00:00 -0700” value has an invalid format. It must be in "
            "YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.']",
        ),
        (
            "/api/v1/contact_domain/?created_at__gte=2012-13-45",
            "['“2012-13-45” value has the correct format (YYYY-MM-DD) but it is an invalid date.']",
        ),
        (
            "/api/v1/contact_domain/?created_at__year=abc",
            "Invalid resource lookup data provided (mismatched type).",
        ),
    ],
)
def test_filter_errors(http, url, message):
    response = http.get(url)
    assert error(response) == message
    assert "vary" not in response.headers


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/domain/?name__range=a,b,c",
        "/api/v1/domain/?name__isnull=garbage",
        "/api/v1/domain/?name__in=true",
    ],
)
def test_filters_the_real_server_crashes_on(http, url):
    response = http.get(url)
    assert (response.status_code, response.json()) == (500, CANNED)


def test_typed_filters_on_dates_times_decimals(gadgets):
    def found(query):
        response = gadgets.get(f"/api/v1/gadget/?limit=0&{query}")
        assert response.status_code == 200, response.text
        return ids(response)

    assert found("price__gte=3.5") == [3, 4, 5, 6]
    assert found("price=2.50") == [2]
    assert found("weight__isnull=true") == [2]
    assert found("born__gt=2024-05-04") == [5, 6]
    assert found("born__year=2024&born__day=2") == [2]
    assert found("alarm__gte=04:00") == [4, 5, 6]
    assert found("alarm__hour=3") == [3]
    assert found("seen_at__range=2012-06-02,2012-06-04") == [2, 3]
    assert found("seen_at__week_day=6&seen_at__lte=2012-06-30") == [1]
    assert found("active=true") == [1, 3, 5]
    assert found("count__in=2,4&name__istartswith=G") == [2, 4]
    assert error(gadgets.get("/api/v1/gadget/?price__gt=abc")) == (
        "['“abc” value must be a decimal number.']"
    )
    assert error(gadgets.get("/api/v1/gadget/?alarm=25:99")) == (
        "['“25:99” value has the correct format (HH:MM[:ss[.uuuuuu]]) but it is an invalid time.']"
    )
    assert error(gadgets.get("/api/v1/gadget/?active__in=true")) == (
        "'in' is not an allowed filter on the 'active' field."
    )


def test_to_many_filters_repeat_rows_like_a_join(gadgets):
    """No DISTINCT: gadget 1 has two parts starting with "bolt", so it comes twice, and
    total_count and page boundaries count the repeats (§4.5)."""
    body = gadgets.get("/api/v1/gadget/?parts__label__startswith=bolt&limit=2").json()
    assert body["meta"]["total_count"] == 3
    assert ids(gadgets.get("/api/v1/gadget/?parts__label__startswith=bolt&limit=0")) == [1, 1, 3]
    assert ids(gadgets.get("/api/v1/gadget/?parts=2")) == [1, 2]
    assert ids(gadgets.get("/api/v1/gadget/?parts__isnull=true&limit=0")) == [4, 5, 6]


def test_a_many_to_many_field_takes_only_a_foreign_keys_lookups(gadgets):
    """Django joins a to_many field to the related key, which takes a foreign key's
    lookups only: the others fail when the query is built (500 on every database), in
    the sorted order of the lookups and before any value is read (issue 21 a4)."""
    for query in (
        "parts__startswith=1",
        "parts__icontains=2",
        "parts__range=1,2",
        "parts__regex=(",
        "parts__iexact=None",
        "parts__endswith=1&order_by=nosuch",
        "parts__contains=1&name__gt=abc",
    ):
        response = gadgets.get(f"/api/v1/gadget/?{query}")
        assert response.status_code == 500, query
        assert response.json() == CANNED
    assert error(gadgets.get("/api/v1/gadget/?parts__startswith=1&parts__gt=abc")) == (
        "Invalid resource lookup data provided (mismatched type)."
    )
    assert ids(gadgets.get("/api/v1/gadget/?parts__gt=1&parts__isnull=false")) == [1, 1, 2]


def test_filters_through_one_to_many_field_hold_on_the_same_related_row(gadgets):
    """One `filter()` call joins each to_many relation once: every filter through it must
    hold on the same related row, and an object comes once per such row (issue 21 a4)."""
    assert ids(gadgets.get("/api/v1/gadget/?parts__in=1,2&parts__gte=2")) == [1, 2]
    assert ids(
        gadgets.get("/api/v1/gadget/?parts__label__startswith=bolt&parts__label__endswith=x")
    ) == [1]
    assert ids(gadgets.get("/api/v1/gadget/?parts__label=nut&parts=1")) == []
    assert ids(gadgets.get("/api/v1/gadget/?parts__label__contains=o&count__lt=3")) == [1, 1]


# ---------------------------------------------------------------- 5. ordering


def test_ordering(http):
    names = [
        d["name"] for d in http.get("/api/v1/domain/?order_by=-name&limit=3").json()["objects"]
    ]
    assert names == ["testdomain3.com", "testdomain2.com", "testdomain.com"]
    accounts = http.get(
        "/api/v1/email_account/?order_by=-domain__name&order_by=localpart&limit=4"
    ).json()
    assert [(a["domain_name"], a["localpart"]) for a in accounts["objects"]] == [
        ("testdomain3.com", "admin"),
        ("testdomain3.com", "postmaster"),
        ("testdomain2.com", "admin"),
        ("testdomain2.com", "postmaster"),
    ]
    assert accounts["meta"]["next"] == (
        "/api/v1/email_account/?order_by=-domain__name&order_by=localpart&limit=4&offset=4"
    )
    stamps = http.get("/api/v1/domain/?sort_by=created_at&limit=0").json()["objects"]
    assert [d["id"] for d in stamps] == [
        d["id"]
        for d in sorted(demo("domain"), key=lambda d: parsedate_to_datetime(d["created_at"]))
    ]
    levels = http.get("/api/v1/policy_domain/?order_by=-spam_kill_level&limit=0").json()
    values = [p["spam_kill_level"] for p in levels["objects"]]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(
    "query, message",
    [
        ("order_by=id", "The 'id' field does not allow ordering."),
        ("order_by=bogus", "No matching 'bogus' field for ordering on."),
        ("order_by=-bogus", "No matching 'bogus' field for ordering on."),
    ],
)
def test_ordering_errors(http, query, message):
    assert error(http.get(f"/api/v1/email_account/?{query}")) == message


def test_ordering_by_a_bad_sub_path_is_a_500(http):
    response = http.get("/api/v1/email_account/?order_by=domain__bogus")
    assert (response.status_code, response.json()) == (500, CANNED)


@pytest.mark.parametrize(
    "database, first, last", [("sqlite", [2, 1], 2), ("postgresql", [1, 3], 1)]
)
def test_nulls_sort_first_ascending_on_sqlite_last_on_postgresql(tmp_path, database, first, last):
    """SQLite takes NULL as smaller than any value, PostgreSQL as larger (issue 21 d1)."""
    with httpx.Client(
        transport=FakeMailRoute(gadget_folder(tmp_path), database=database),
        base_url="https://fake.test",
        headers=AUTH,
    ) as client:
        assert ids(client.get("/api/v1/gadget/?order_by=weight&limit=0"))[:2] == first
        assert ids(client.get("/api/v1/gadget/?order_by=-weight&limit=0"))[-1] == last


# ---------------------------------------------------------------- 6. error bodies


def test_form_validation_and_hydration_errors(http):
    url = "/api/v1/email_account/"
    assert http.post(url, json={"domain": "/api/v1/domain/1/"}).json() == {
        "email_account": {"localpart": ["This field is required."]}
    }
    bad_int = http.post(
        url, json={"localpart": "x", "domain": "/api/v1/domain/1/", "priority": "abc"}
    )
    assert (bad_int.status_code, bad_int.json()) == (
        400,
        {"email_account": {"priority": ["Enter a whole number."]}},
    )
    assert error(http.post(url, json={"localpart": "x"})) == (
        "The 'domain' field has no data and doesn't allow a default or null value."
    )
    assert error(http.post(url, json={"localpart": "x", "domain": "/api/v1/domain/99999/"})) == (
        "Could not find the provided domain object via resource URI '/api/v1/domain/99999/'."
    )
    assert error(http.post(url, json={"localpart": "x", "domain": 1})) == (
        "The 'domain' field was given data that was not a URI, not a dictionary-alike and "
        "does not have a 'pk' attribute: 1."
    )
    for value in ("1", "/api/v1/customer/1/", "/api/v1/domain/abc/"):
        response = http.post(url, json={"localpart": "x", "domain": value})
        assert (response.status_code, response.json()) == (404, CANNED)
    unique = http.post(
        "/api/v1/domain/", json={"name": "acme-001.com", "customer": "/api/v1/customer/1/"}
    )
    assert unique.json() == {"domain": {"name": ["Domain with this Name already exists."]}}
    assert "vary" not in unique.headers


@pytest.mark.parametrize(
    "content, content_type, status, body",
    [
        (b"not json", "application/json", 400, {"error": "Request is not valid JSON."}),
        (b"", "application/json", 400, {"error": "Request is not valid JSON."}),
        (b'{"localpart": "x"}', "text/plain", 415, CANNED),
        (b"localpart=x", "application/x-www-form-urlencoded", 415, CANNED),
    ],
)
def test_bodies_that_cannot_be_read(http, content, content_type, status, body):
    response = http.post(
        "/api/v1/email_account/", content=content, headers={"Content-Type": content_type}
    )
    assert (response.status_code, response.json()) == (status, body)
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "ApiKey demo:wrong"},
        {"Authorization": "ApiKey nobody:demo-key"},
        {"Authorization": "ApiKey demodemo-key"},
        {"Authorization": f"Basic demo:{KEY}"},
        {"Authorization": "ApiKey"},
    ],
)
def test_unauthorized_is_an_empty_401(fake, headers):
    with anon(fake) as client:
        response = client.get("/api/v1/domain/", headers=headers)
    assert (response.status_code, response.content) == (401, b"")
    assert response.headers["content-type"] == HTML
    assert "www-authenticate" not in response.headers and "vary" not in response.headers


def test_not_found_shapes(http):
    for method in ("GET", "DELETE", "PATCH"):
        url = "/api/v1/contact_domain/999/"
        response = http.request(method, url, json={} if method == "PATCH" else None)
        assert (response.status_code, response.content) == (404, b""), method
        assert response.headers["content-type"] == HTML
        assert response.headers["vary"] == "Accept"
    for url in ("/api/v1/email_account/abc/", "/api/v1/domain/1/2/", "/api/v1/domain/set/"):
        response = http.get(url)
        assert (response.status_code, response.json()) == (404, CANNED), url
        assert "vary" not in response.headers
    for url in ("/api/v1/nosuch/", "/api/v2/", "/api/v2/domain/", "/elsewhere/"):
        response = http.get(url)
        assert (response.status_code, response.text) == (404, NOT_FOUND_PAGE)
        assert response.headers["content-type"] == HTML


def test_method_not_allowed_lists_the_methods(http, fake):
    response = http.patch("/api/v1/email_account/1/", json={"priority": 1})
    assert (response.status_code, response.text) == (405, "GET,POST,PUT,DELETE")
    assert response.headers["allow"] == "GET,POST,PUT,DELETE"
    assert response.headers["content-type"] == HTML
    with anon(fake) as client:  # the method check comes before authentication
        response = client.post("/api/v1/domain_with_alias/", json={})
    assert (response.status_code, response.headers["allow"]) == (405, "GET")
    listing = http.post("/api/v1/policy_domain/", json={})
    assert (listing.status_code, listing.text) == (405, "GET")
    assert http.put("/api/v1/policy_domain/1/", json={"priority": 4}).status_code == 204


def test_post_to_a_detail_url_is_501(http):
    response = http.post("/api/v1/domain/1/", json={})
    assert (response.status_code, response.content) == (501, b"")


def test_error_messages_are_html_escaped(http):
    assert error(http.get("/api/v1/domain/?limit=a%26b")) == (
        "Invalid limit 'a&amp;b' provided. Please provide a positive integer."
    )


# ---------------------------------------------------------------- 7. writes


def test_post_creates_with_a_relative_location_and_no_body(http):
    response = http.post(
        "/api/v1/email_account/",
        json={
            "localpart": "new",
            "domain": "/api/v1/domain/1/",
            "bogus": 1,
            "created_at": "Fri, 01 Jun 2001 00:00:00 -0700",
            "policy": "/api/v1/policy_user/1/",
        },
    )
    assert (response.status_code, response.content) == (201, b"")
    assert response.headers["location"] == "/api/v1/email_account/31/"
    assert response.headers["content-type"] == HTML
    obj = http.get("/api/v1/email_account/31/").json()
    # the read-only `policy` sent is ignored; the server makes the account its own policy
    assert obj["localpart"] == "new" and obj["priority"] == 7
    assert obj["policy"] == "/api/v1/policy_user/31/"
    assert obj["domain_name"] == "acme-001.com" and "bogus" not in obj
    assert obj["created_at"] == obj["updated_at"] != "Fri, 01 Jun 2001 00:00:00 -0700"
    assert obj["resource_uri"] == "/api/v1/email_account/31/"


def test_related_values_in_every_accepted_form(http):
    for i, value in enumerate(
        [
            "/api/v1/domain/2/",
            "/domain/2/",
            {"resource_uri": "/api/v1/domain/2/", "name": "ignored"},
        ]
    ):
        response = http.post("/api/v1/email_account/", json={"localpart": f"r{i}", "domain": value})
        assert response.status_code == 201, response.text
        assert http.get(response.headers["location"]).json()["domain"] == "/api/v1/domain/2/"


def test_always_return_data_answers_writes_with_the_object(fake, http):
    fake.set_always_return_data("wblist")
    response = http.post(
        "/api/v1/wblist/",
        json={"email": "a@b.example", "wb": "w", "rid": "9", "domain": "/api/v1/domain/2/"},
    )
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/wblist/14/"
    assert response.headers["content-type"] == "application/json"
    assert response.json()["resource_uri"] == "/api/v1/wblist/14/"
    fake.set_always_return_data("contact_domain")
    patched = http.patch("/api/v1/contact_domain/1/", json={"first_name": "Kim"})
    assert (patched.status_code, patched.json()["first_name"]) == (202, "Kim")
    put = http.put(
        "/api/v1/contact_domain/1/", json={"email": "x@y.z", "domain": "/api/v1/domain/1/"}
    )
    assert (put.status_code, put.json()["email"]) == (200, "x@y.z")


def test_put_semantics(http):
    url = "/api/v1/email_account/3/"
    before = http.get(url).json()
    http.put(
        url,
        json={
            **{k: before[k] for k in ("domain", "localpart", "priority")},
            "create_opt": "generate_pwd",
        },
    )
    response = http.put(url, json={"localpart": "testing234"})
    assert (response.status_code, response.content) == (204, b"")
    assert "content-type" not in response.headers
    after = http.get(url).json()
    assert after["localpart"] == "testing234"
    assert after["create_opt"] is None  # blank + nullable, omitted: nulled
    assert after["priority"] == before["priority"] and after["domain"] == before["domain"]
    assert after["updated_at"] != before["updated_at"]
    assert after["created_at"] == before["created_at"]


def test_put_to_a_missing_id_creates_it_and_later_ids_follow(http):
    response = http.put(
        "/api/v1/email_account/5000/", json={"localpart": "p", "domain": "/api/v1/domain/2/"}
    )
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/email_account/5000/"
    posted = http.post(
        "/api/v1/email_account/", json={"localpart": "q", "domain": "/api/v1/domain/2/"}
    )
    assert posted.headers["location"] == "/api/v1/email_account/5001/"
    # a key the database cannot read: validation first (the duplicate), then the 500
    duplicate = http.put(
        "/api/v1/email_account/abc/", json={"localpart": "p", "domain": "/api/v1/domain/2/"}
    )
    assert duplicate.status_code == 400
    bad = http.put(
        "/api/v1/email_account/abc/", json={"localpart": "r", "domain": "/api/v1/domain/2/"}
    )
    assert (bad.status_code, bad.json()) == (500, CANNED)


def test_put_with_another_id_clones_the_row(http):
    response = http.put(
        "/api/v1/domain/9/",
        json={"id": 12345, "name": "clone.com", "customer": "/api/v1/customer/1/"},
    )
    assert response.status_code == 204
    assert http.get("/api/v1/domain/9/").json()["name"] == "acme-009.com"
    clone = http.get("/api/v1/domain/12345/").json()
    assert (clone["name"], clone["absolute_url"], clone["policy"]) == (
        "clone.com",
        "/domain/12345/",
        None,
    )


def test_patch_merges_and_keeps_updated_at(http):
    url = "/api/v1/contact_domain/1/"
    before = http.get(url).json()
    response = http.patch(url, json={"first_name": "Kim", "created_at": "ignored"})
    assert (response.status_code, response.content) == (202, b"")
    assert response.headers["content-type"] == HTML
    after = http.get(url).json()
    assert after == {**before, "first_name": "Kim"}
    typed = http.patch("/api/v1/policy_domain/1/", json={"spam_kill_level": "high"})
    assert typed.status_code == 500  # no form: float("high") fails in the database


def test_delete_detail_then_404(http):
    response = http.delete("/api/v1/contact_domain/1/")
    assert (response.status_code, response.content) == (204, b"")
    assert "content-type" not in response.headers
    again = http.delete("/api/v1/contact_domain/1/")
    assert (again.status_code, again.content) == (404, b"")
    assert http.delete("/api/v1/contact_domain/abc/").status_code == 404


def test_deleting_cascades_to_what_depends_on_it(http):
    http.delete("/api/v1/domain/1/")
    assert ids(http.get("/api/v1/email_account/?domain=1")) == []
    assert http.get("/api/v1/policy_domain/1/").status_code == 404
    contact = http.get("/api/v1/contact_email_account/1/")
    assert contact.status_code == 404
    assert http.get("/api/v1/domain/2/").status_code == 200


def test_delete_list_removes_what_matches(http):
    response = http.delete("/api/v1/wblist/?wb=b")
    assert (response.status_code, response.content) == (204, b"")
    remaining = http.get("/api/v1/wblist/?limit=0").json()["objects"]
    assert remaining and all(o["wb"] == "w" for o in remaining)
    assert len(remaining) == sum(1 for o in demo("wblist") if o["wb"] == "w")
    http.delete("/api/v1/wblist/")
    assert http.get("/api/v1/wblist/").json()["meta"]["total_count"] == 0


def test_put_list_replaces_the_filtered_collection(http):
    response = http.put(
        "/api/v1/contact_reseller/?reseller=1",
        json={"objects": [{"email": "only@north.example", "reseller": "/api/v1/reseller/1/"}]},
    )
    assert (response.status_code, response.content) == (204, b"")
    mine = http.get("/api/v1/contact_reseller/?reseller=1").json()["objects"]
    assert [c["email"] for c in mine] == ["only@north.example"]
    assert http.get("/api/v1/contact_reseller/?reseller=2").json()["meta"]["total_count"] == 2
    assert error(http.put("/api/v1/contact_reseller/", json={"foo": []})) == (
        "Invalid data sent: missing 'objects'"
    )


def test_patch_list_creates_updates_and_deletes(http):
    response = http.patch(
        "/api/v1/contact_customer/",
        json={
            "objects": [
                {"resource_uri": "/api/v1/contact_customer/1/", "first_name": "PL"},
                {"email": "new@x.example", "customer": "/api/v1/customer/2/"},
            ],
            "deleted_objects": ["/api/v1/contact_customer/2/"],
        },
    )
    assert (response.status_code, response.content) == (202, b"")
    assert http.get("/api/v1/contact_customer/1/").json()["first_name"] == "PL"
    assert http.get("/api/v1/contact_customer/6/").json()["email"] == "new@x.example"
    assert http.get("/api/v1/contact_customer/2/").status_code == 404


def test_patch_list_is_atomic(http):
    before = http.get("/api/v1/contact_customer/?limit=0").json()
    response = http.patch(
        "/api/v1/contact_customer/",
        json={
            "objects": [
                {"email": "ok@x.example", "customer": "/api/v1/customer/2/"},
                {"resource_uri": "/api/v1/contact_customer/1/", "first_name": "changed"},
                {"email": "bad"},
            ]
        },
    )
    assert error(response) == (
        "The 'customer' field has no data and doesn't allow a default or null value."
    )
    assert http.get("/api/v1/contact_customer/?limit=0").json() == before
    missing = http.patch(
        "/api/v1/contact_customer/",
        json={
            "objects": [],
            "deleted_objects": ["/api/v1/contact_customer/3/", "/api/v1/contact_customer/999/"],
        },
    )
    assert (missing.status_code, missing.json()) == (404, CANNED)
    assert http.get("/api/v1/contact_customer/3/").status_code == 200


def test_patch_list_rules(http):
    assert error(http.patch("/api/v1/contact_customer/", json={})) == (
        "Invalid data sent: missing 'objects'"
    )
    refused = http.patch("/api/v1/policy_domain/", json={"objects": []})
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET")
    no_put = http.patch("/api/v1/email_account/", json={"objects": [{}]})
    assert no_put.status_code == 405


def test_method_override_is_honoured_and_checked(http, fake):
    with anon(fake) as client:
        refused = client.get(
            "/api/v1/domain_with_alias/", headers={"X-HTTP-Method-Override": "DELETE"}
        )
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET")
    response = http.post(
        "/api/v1/contact_domain/1/",
        json={"first_name": "Over"},
        headers={"X-HTTP-Method-Override": "PATCH"},
    )
    assert response.status_code == 202
    assert http.get("/api/v1/contact_domain/1/").json()["first_name"] == "Over"


def test_a_resource_without_a_form_stores_what_the_database_converts(gadgets):
    """No form: Tastypie takes values as sent and the database converts them when saving
    (issue 21 b3, c1): text from any JSON value, numbers from strings; a boolean field's
    refusal is a 400 with the first error only, a number it cannot read a 500."""
    url = "/api/v1/gadget/"
    created = gadgets.post(url, json={"name": 5, "weight": "2.5", "count": "8", "active": "t"})
    assert created.status_code == 201
    stored = gadgets.get(created.headers["location"]).json()
    assert (stored["name"], stored["weight"], stored["count"], stored["active"]) == (
        "5",
        2.5,
        8,
        True,
    )
    assert gadgets.post(url, json={"name": "b", "active": "false", "weight": "heavy"}).json() == {
        "error": "['“false” value must be either True or False.']"
    }
    assert gadgets.post(url, json={"name": "c", "weight": "heavy"}).status_code == 500
    assert error(gadgets.post(url, json={"name": "d", "seen_at": 3})) == (
        "Datetime provided to 'seen_at' field must be a string: 3"
    )
    # Tastypie's hydrate checks truthy values only: a falsy one reaches Django's date
    # parser, which fails (a 500), and nothing is written
    for n, falsy in enumerate(({}, [], 0, False)):
        assert gadgets.post(url, json={"name": f"e{n}", "born": falsy}).status_code == 500
    assert ids(gadgets.get(f"{url}?name__startswith=e")) == []


def test_defaults_and_to_many_on_create(gadgets):
    response = gadgets.post(
        "/api/v1/gadget/", json={"name": "new", "parts": ["/api/v1/part/4/", "/part/1/"]}
    )
    assert response.headers["location"] == "/api/v1/gadget/7/"
    body = gadgets.get("/api/v1/gadget/7/").json()
    assert body["parts"] == ["/api/v1/part/4/", "/api/v1/part/1/"]
    assert (body["count"], body["active"], body["tags"], body["note"], body["price"]) == (
        3,
        True,
        [],
        None,
        None,
    )


def test_form_validation_makes_nullable_fields_required(tmp_path):
    root = write_fixture(
        tmp_path,
        {
            "thing": schema(
                {
                    "name": fld("string"),
                    "size": fld("integer", nullable=True),
                    "flag": fld("boolean", blank=True, default=False),
                }
            )
        },
        {"thing": []},
    )
    plain = FakeMailRoute(root)
    formed = FakeMailRoute(root, form_validation=["thing"])
    for fake, expected in ((plain, 201), (formed, 400)):
        with httpx.Client(transport=fake, base_url="https://t.test", headers=AUTH) as client:
            response = client.post("/api/v1/thing/", json={"name": "a"})
            assert response.status_code == expected
    with httpx.Client(transport=formed, base_url="https://t.test", headers=AUTH) as client:
        assert client.post("/api/v1/thing/", json={"name": "a"}).json() == {
            "thing": {"size": ["This field is required."]}
        }
        client.post("/api/v1/thing/", json={"name": "b", "size": 1, "flag": None})
        assert client.get("/api/v1/thing/1/").json()["flag"] is False


# ---------------------------------------------------------------- 8. set endpoint


def test_set_endpoint(fake, http):
    response = http.get("/api/v1/domain/set/2;1;99999/")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["not_found", "objects"]
    assert [o["id"] for o in body["objects"]] == [2, 1] and body["not_found"] == ["99999"]
    assert response.text.startswith('{"not_found": ["99999"], "objects": [{')
    twice = http.get("/api/v1/domain/set/1;1/").json()
    assert [o["id"] for o in twice["objects"]] == [1, 1] and "not_found" not in twice
    refused = http.delete("/api/v1/domain/set/1;2/")
    assert (refused.status_code, refused.headers["allow"], refused.text) == (405, "GET", "GET")
    with anon(fake) as client:
        assert client.get("/api/v1/domain/set/1;2/").status_code == 401
    crash = http.get("/api/v1/domain/set/1,2/")
    assert (crash.status_code, crash.json()) == (500, CANNED)


# ---------------------------------------------------------------- 9, 10. auth and methods


def test_auth_variants(fake):
    with anon(fake) as client:
        ok = client.get("/api/v1/domain/", headers={"Authorization": f"apikey demo:{KEY}"})
        assert ok.status_code == 200
        by_query = client.get(f"/api/v1/domain/?username=demo&api_key={KEY}&limit=5")
        assert by_query.status_code == 200
        assert by_query.json()["meta"]["next"] == (
            f"/api/v1/domain/?username=demo&api_key={KEY}&limit=5&offset=5"
        )
        options = client.options("/api/v1/domain/1/")
        assert (options.status_code, options.text, options.headers["allow"]) == (
            200,
            "GET,POST,PUT,DELETE",
            "GET,POST,PUT,DELETE",
        )
    other = FakeMailRoute(login="someone", api_key="other-fake-key")
    with anon(other) as client:
        assert client.get("/api/v1/domain/", headers=AUTH).status_code == 401
        mine = {"Authorization": "ApiKey someone:other-fake-key"}
        assert client.get("/api/v1/domain/", headers=mine).status_code == 200


def test_head_is_not_get(http):
    response = http.head("/api/v1/policy_domain/1/")
    assert (response.status_code, response.headers["allow"]) == (405, "GET,PUT,PATCH")
    assert response.content == b""
    assert http.head("/api/v1/").status_code == 200


def test_list_and_detail_methods_differ(http):
    assert http.options("/api/v1/policy_domain/").text == "GET"
    assert http.options("/api/v1/policy_domain/1/").text == "GET,PUT,PATCH"


# ---------------------------------------------------------------- 12. URLs


def test_missing_trailing_slash_redirects(http):
    for method in ("GET", "POST"):
        response = http.request(method, "/api/v1/domain?limit=2&name=x")
        assert response.status_code == 301
        assert response.headers["location"] == "/api/v1/domain/?limit=2&name=x"
        assert response.content == b""
    assert http.get("/api/v1/domain/1").headers["location"] == "/api/v1/domain/1/"
    assert http.get("/api/v1").headers["location"] == "/api/v1/"
    assert http.get("/api/v1/nosuch").status_code == 404


def test_another_api_path_serves_and_rewrites_uris():
    fake = FakeMailRoute(api_path="/rest/v9/")
    with httpx.Client(transport=fake, base_url="https://f.test", headers=AUTH) as client:
        assert client.get("/api/v1/domain/").status_code == 404
        body = client.get("/rest/v9/email_account/1/").json()
        assert body["resource_uri"] == "/rest/v9/email_account/1/"
        assert body["domain"] == "/rest/v9/domain/1/"
        nxt = client.get("/rest/v9/email_account/").json()["meta"]["next"]
        assert dict(parse_qsl(urlsplit(nxt).query)) == {"limit": "20", "offset": "20"}
