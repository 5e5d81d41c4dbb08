"""The fake against a real django-tastypie 0.15.1 server (``tests/tastypie_site``): capture
the real server's data, serve it with the fake, and send both the same requests. Status,
the headers a client reads, and bodies must agree (TASTYPIE.md: the real server is right).

Left out on purpose, because the fake cannot know them from a schema (see the fake's
docstring): objects a real server creates on its own (a new domain's policy), and MailRoute's
string-typed foreign keys on `admins`."""

import email.utils
import json
import re
import sqlite3
from datetime import UTC, datetime

import httpx
import pytest

pytest.importorskip("tastypie")

from mailroute_dyn import Client  # noqa: E402
from mailroute_dyn.testing import FakeMailRoute, capture  # noqa: E402
from tests.tastypie_site import (  # noqa: E402
    DEMO_API_KEY,
    DEMO_LOGIN,
    HOST,
    auth_header,
    create_user,
    reset_data,
    seed_data,
    wsgi_app,
)

# the real server warns about naive filter datetimes, which it takes in its TIME_ZONE
pytestmark = [
    pytest.mark.slow,  # the fake against the real Tastypie server
    pytest.mark.filterwarnings("ignore:DateTimeField .* naive datetime:RuntimeWarning"),
]
HEADERS = ("content-type", "location", "allow", "vary", "cache-control")
FORMS = ("email_account", "domain", "customer", "reseller")  # FormValidation resources
RETURN_DATA = ("reseller", "wblist")  # always_return_data


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    app = wsgi_app()
    saved = _save_database()  # other tests share this server: leave its data as found
    create_user()
    reset_data()
    seed_data(domains=12, accounts_per_domain=2)
    with Client(
        base_url=f"http://{HOST}",
        login=DEMO_LOGIN,
        api_key=DEMO_API_KEY,
        transport=httpx.WSGITransport(app=app),
        cache_dir=None,
        allow_insecure=True,
    ) as client:
        names = [*client.request("GET", "/api/v1/"), "brandinginfo"]
        root = capture(client, tmp_path_factory.mktemp("captured"), limit=1000, resources=names)
    fake = FakeMailRoute(
        root,
        login=DEMO_LOGIN,
        api_key=DEMO_API_KEY,
        always_return_data=RETURN_DATA,
        form_validation=FORMS,
    )
    real = httpx.Client(transport=httpx.WSGITransport(app=app), base_url=f"http://{HOST}")
    mock = httpx.Client(transport=fake, base_url=f"http://{HOST}")
    yield real, mock
    real.close()
    mock.close()
    _restore_database(saved)


def _save_database():
    from django.db import connection

    connection.ensure_connection()
    copy = sqlite3.connect(":memory:")
    connection.connection.backup(copy)
    return copy


def _restore_database(copy):
    from django.db import connection

    connection.ensure_connection()
    copy.backup(connection.connection)
    copy.close()


_RFC = re.compile(r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$")


def _normal(value, now):
    """Timestamps written during the test differ by milliseconds: mask recent ones."""
    if isinstance(value, dict):
        return {k: _normal(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v, now) for v in value]
    if isinstance(value, str) and _RFC.match(value):
        if abs((email.utils.parsedate_to_datetime(value) - now).total_seconds()) < 600:
            return "<now>"
    return value


def _view(response, ordered):
    now = datetime.now(UTC)
    headers = {k: response.headers.get(k) for k in HEADERS}
    try:
        body = _normal(response.json(), now)
    except ValueError:
        body = response.text
    if not ordered and isinstance(body, dict) and isinstance(body.get("objects"), list):
        # without order_by, row order is the database's choice (an index walk on SQLite)
        body["objects"] = sorted(body["objects"], key=lambda o: json.dumps(o, sort_keys=True))
    return response.status_code, headers, body


def same(pair, method, url, *, auth=True, **kwargs):
    real, mock = pair
    headers = dict(auth_header() if auth else {}, **kwargs.pop("headers", {}))
    ordered = "order_by" in url or "/set/" in url
    a = _view(real.request(method, url, headers=headers, **kwargs), ordered)
    b = _view(mock.request(method, url, headers=headers, **kwargs), ordered)
    assert b == a, f"{method} {url}"
    return a


READS = [
    "/api/v1/",
    "/api/v1/?fullschema=true",
    "/api/v1/?fullschema=0",
    "/api/v1/domain/schema/",
    "/api/v1/email_account/schema/",
    "/api/v1/brandinginfo/schema/",
    "/api/v1/domain/",
    "/api/v1/domain/?limit=5&offset=3",
    "/api/v1/domain/?offset=3&limit=5",
    "/api/v1/domain/?limit=0",
    "/api/v1/domain/?offset=100",
    "/api/v1/domain/?limit=-1",
    "/api/v1/domain/?limit=abc",
    "/api/v1/domain/?offset=-3",
    "/api/v1/domain/?name__startswith=acme&limit=4&callback=f&format=json&x=a+b:c",
    "/api/v1/domain/?name=ACME-001.com",
    "/api/v1/domain/?name__iexact=ACME-001.com",
    "/api/v1/domain/?name__in=acme-001.com,acme-002.com&name__in=acme-004.com",
    "/api/v1/domain/?name=",
    "/api/v1/domain/?name__bogus=x",
    "/api/v1/domain/?foo=bar",
    "/api/v1/domain/?customer=1",
    "/api/v1/domain/?customer=/api/v1/customer/1/",
    "/api/v1/domain/?customer__reseller__name=North+Reseller",
    "/api/v1/domain/?customer__name__startswith=Acme",
    "/api/v1/domain/?resource_uri=x",
    "/api/v1/domain/?absolute_url=/domain/1/",
    "/api/v1/domain/?name__range=a,b,c",
    "/api/v1/domain/?name__contains=None",
    "/api/v1/domain/?name__isnull=garbage",
    "/api/v1/email_account/?domain__name=acme-001.com",
    "/api/v1/email_account/?domain__name__startswith=acme",
    "/api/v1/email_account/?id=5",
    "/api/v1/email_account/?id__in=1,x",
    "/api/v1/email_account/?id__in=5,6,7&limit=2",
    "/api/v1/email_account/?domain__customer__reseller=1&localpart=info",
    "/api/v1/email_account/?priority=3",
    "/api/v1/contact_domain/?created_at__gte=2012-06-12",
    "/api/v1/contact_domain/?created_at__gte=Wed,+01+Aug+2012+00:00:00+-0700",
    "/api/v1/contact_domain/?created_at__year=2012&created_at__month=6",
    "/api/v1/contact_domain/?created_at__range=2012-06-01,2012-06-16",
    "/api/v1/policy_domain/?spam_kill_level__gt=6&spam_kill_level__lte=9",
    "/api/v1/policy_domain/?spam_kill_level=abc",
    "/api/v1/policy_domain/?is_default=garbage",
    "/api/v1/policy_domain/?is_default=0&spam_kill_level__isnull=false",
    "/api/v1/wblist/?domain=2",
    "/api/v1/wblist/?email_account=2&wb=w",
    "/api/v1/policy_user/?domain=1",
    "/api/v1/domain_with_alias/?type=alias",
    "/api/v1/domain/?order_by=-name&limit=5",
    "/api/v1/domain/?order_by=active&order_by=-name&limit=6&offset=2",
    "/api/v1/domain/?order_by=id",
    "/api/v1/domain/?order_by=bogus",
    "/api/v1/email_account/?order_by=-domain__name&order_by=localpart&limit=6",
    "/api/v1/email_account/?order_by=domain__bogus",
    "/api/v1/policy_domain/?order_by=-spam_kill_level&order_by=priority",
    "/api/v1/domain/1/",
    "/api/v1/domain/999/",
    "/api/v1/domain/abc/",
    "/api/v1/domain/1/2/",
    "/api/v1/domain/set/2;1;99999/",
    "/api/v1/domain/set/1;1/",
    "/api/v1/domain/set/1,2/",
    "/api/v1/domain/set/",
    "/api/v1/domain",
    "/api/v1/domain/1?x=1",
    "/api/v1/nosuch/",
    "/api/v2/domain/",
    "/api/v1/brandinginfo/1/",
]


@pytest.mark.parametrize("url", READS)
def test_reads_agree(pair, url):
    same(pair, "GET", url)


@pytest.mark.parametrize(
    "method, url, auth, headers",
    [
        ("GET", "/api/v1/domain/", False, {}),
        ("GET", "/api/v1/domain/", False, {"Authorization": "apikey demo:demo-key-not-secret"}),
        ("GET", "/api/v1/domain/", False, {"Authorization": "ApiKey demo:wrong"}),
        ("GET", "/api/v1/domain/", False, {"Authorization": "ApiKey demodemo"}),
        ("GET", "/api/v1/domain/?username=demo&api_key=demo-key-not-secret&limit=3", False, {}),
        ("GET", "/api/v1/", False, {}),
        ("GET", "/api/v1/domain/", True, {"Accept": "garbage"}),
        ("OPTIONS", "/api/v1/domain/1/", False, {}),
        ("OPTIONS", "/api/v1/domain/set/1;2/", False, {}),
        ("DELETE", "/api/v1/domain/set/1;2/", True, {}),
        ("POST", "/api/v1/domain/schema/", True, {}),
        ("POST", "/api/v1/domain_with_alias/", False, {}),
        ("GET", "/api/v1/domain_with_alias/", True, {"X-HTTP-Method-Override": "DELETE"}),
        ("PATCH", "/api/v1/email_account/1/", True, {}),
    ],
)
def test_methods_and_auth_agree(pair, method, url, auth, headers):
    same(pair, method, url, auth=auth, headers=headers)


def test_writes_agree(pair):
    """One sequence of writes, compared step by step (each step sees the earlier ones)."""
    ea = "/api/v1/email_account/"
    steps = [
        ("POST", ea, {"domain": "/api/v1/domain/1/"}),
        ("POST", ea, {"localpart": "x"}),
        ("POST", ea, {"localpart": "x", "domain": 1}),
        ("POST", ea, {"localpart": "x", "domain": "1"}),
        ("POST", ea, {"localpart": "x", "domain": "/api/v1/customer/1/"}),
        ("POST", ea, {"localpart": "x", "domain": "/api/v1/domain/99999/"}),
        ("POST", ea, {"localpart": "x", "domain": "/api/v1/domain/1/", "priority": "abc"}),
        ("POST", "/api/v1/domain/", {"name": "acme-001.com", "customer": "/api/v1/customer/1/"}),
        ("POST", "/api/v1/customer/", {"name": "No Count", "reseller": "/api/v1/reseller/2/"}),
        (
            "POST",
            "/api/v1/contact_domain/",
            {"email": "z@z.example", "domain": "/domain/5/", "bogus": 1, "created_at": "ignored"},
        ),
        ("GET", "/api/v1/contact_domain/?email=z@z.example", None),
        (
            "POST",
            "/api/v1/mail_server/",
            {"domain": {"resource_uri": "/api/v1/domain/5/"}, "server": "mx.new.example"},
        ),
        (
            "POST",
            "/api/v1/wblist/",
            {"email": "a@b.example", "wb": "w", "rid": "9", "domain": "/api/v1/domain/2/"},
        ),
        ("PUT", ea + "3/", {"localpart": "partial"}),
        ("GET", ea + "3/", None),
        (
            "PUT",
            "/api/v1/domain/9/",
            {"id": 12345, "name": "clone.example", "customer": "/api/v1/customer/1/"},
        ),
        ("GET", "/api/v1/domain/9/", None),
        ("GET", "/api/v1/domain/12345/", None),
        (
            "PUT",
            "/api/v1/domain/2/",
            {"name": "acme-002.com", "customer": "/api/v1/customer/3/", "active": None},
        ),
        ("GET", "/api/v1/domain/2/", None),
        ("PUT", "/api/v1/reseller/1/", {"name": "North Reseller 2"}),
        ("PUT", "/api/v1/reseller/2/", {"name": "North Reseller 2"}),
        ("PATCH", "/api/v1/policy_domain/2/", {"spam_kill_level": 4.5, "priority": 2}),
        ("GET", "/api/v1/policy_domain/2/", None),
        ("PATCH", "/api/v1/policy_domain/999/", {"priority": 2}),
        ("PATCH", "/api/v1/policy_domain/abc/", {"priority": 2}),
        ("PATCH", "/api/v1/contact_domain/1/", {"first_name": "Patched"}),
        ("GET", "/api/v1/contact_domain/1/", None),
        ("PATCH", "/api/v1/customer/2/", {"name": "Renamed"}),
        ("DELETE", "/api/v1/contact_domain/2/", None),
        ("DELETE", "/api/v1/contact_domain/2/", None),
        ("DELETE", "/api/v1/contact_domain/abc/", None),
        ("DELETE", "/api/v1/wblist/?wb=b", None),
        ("GET", "/api/v1/wblist/?limit=0", None),
        (
            "PUT",
            "/api/v1/contact_reseller/?reseller=1",
            {"objects": [{"email": "only@x.example", "reseller": "/api/v1/reseller/1/"}]},
        ),
        ("GET", "/api/v1/contact_reseller/?limit=0", None),
        ("PUT", "/api/v1/contact_reseller/", {"foo": []}),
        (
            "PATCH",
            "/api/v1/contact_customer/",
            {
                "objects": [
                    {"resource_uri": "/api/v1/contact_customer/1/", "first_name": "PL"},
                    {"email": "new@x.example", "customer": "/api/v1/customer/2/"},
                ],
                "deleted_objects": ["/api/v1/contact_customer/2/"],
            },
        ),
        ("GET", "/api/v1/contact_customer/?limit=0", None),
        (
            "PATCH",
            "/api/v1/contact_customer/",
            {
                "objects": [
                    {"email": "ok@x.example", "customer": "/api/v1/customer/2/"},
                    {"email": "bad"},
                ]
            },
        ),
        (
            "PATCH",
            "/api/v1/contact_customer/",
            {
                "objects": [],
                "deleted_objects": ["/api/v1/contact_customer/3/", "/api/v1/contact_customer/999/"],
            },
        ),
        ("GET", "/api/v1/contact_customer/?limit=0", None),
        ("PATCH", "/api/v1/policy_domain/", {"objects": []}),
        ("DELETE", "/api/v1/domain/3/", None),
        ("GET", ea + "?limit=0", None),
        ("GET", "/api/v1/wblist/?limit=0", None),
        ("GET", "/api/v1/mail_server/?limit=0", None),
        ("GET", "/api/v1/policy_domain/?limit=0", None),
        ("POST", "/api/v1/domain/1/", {}),
    ]
    for method, url, body in steps:
        kwargs = {} if body is None else {"json": body}
        same(pair, method, url, **kwargs)
    for content, content_type in (
        (b"not json", "application/json"),
        (b"", "application/json"),
        (b'{"localpart": "x"}', "text/plain"),
    ):
        same(pair, "POST", ea, content=content, headers={"Content-Type": content_type})
