"""The fake against the project's real Tastypie test site, request for request.

Both start from the same data: the real site seeded as `fixtures/` was exported, the fake
serving `fixtures/` with only what its `rules.json` declares (no constructor options). Each
request goes to both as raw bytes; status, the headers a client reads, the body (error
messages word for word), the rows and their order must agree, and so must every later
answer (a write's effects show in the requests after it).

Two parts: the named cases of issue 21 (a1…c17, each a short sequence of requests), and a
seeded generator of raw requests (lists with filters and orderings, details, creates,
PUT/PATCH/DELETE with valid and broken bodies) driven by hypothesis with a fixed seed.

What depends on the server's database (LIKE's case rules, the order of tied rows, what a
query the database cannot run does) is checked twice: the named cases run against the
site on SQLite (in-process) and on PostgreSQL (a throwaway cluster, the site in a process of
its own), each with the fake's matching `database=`. The many-to-many cases (a4) run on
`/wild/api/`, whose fake folder is captured from the same real site.
"""

import email.utils
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

pytest.importorskip("tastypie")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

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
    seed_groups,
    wsgi_app,
)
from tests.tastypie_site.export_fixtures import FIXTURE_SEED  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:DateTimeField .* naive datetime:RuntimeWarning"),
]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
API = "/api/v1/"
WILD = "/wild/api/"  # the many-to-many resources (tastypie_site/anyapi/wild.py)
WILD_RESOURCES = ["group_profile", "profiles", "group_categories"]
HEADERS = ("content-type", "location", "allow")

# Disagreements tolerated only until they are fixed: each case id of issue 21 that the fake
# still answers differently from the test site on that database. It shrinks to nothing.
KNOWN: dict[str, set[str]] = {"sqlite": set(), "postgresql": set()}
# PostgreSQL leaves the order of tied rows to the sort it picks (a top-N heap sort under a
# small LIMIT, quicksort otherwise: the same rows can tie differently on each page), which
# no fake can follow: on it these cases compare each row's ordering values, not the rows.
TIES_UNDEFINED: dict[str, set[str]] = {"sqlite": set(), "postgresql": {"c10"}}


# ---------------------------------------------------------------- the two servers


def _backup():
    from django.db import connection

    connection.ensure_connection()
    copy = sqlite3.connect(":memory:")
    connection.connection.backup(copy)
    return copy


def _restore(copy):
    from django.db import connection

    connection.ensure_connection()
    copy.backup(connection.connection)


class ByApi(httpx.BaseTransport):
    """One fake per API path: `/api/v1/` from `fixtures/`, `/wild/api/` captured."""

    def __init__(self, fakes: dict[str, FakeMailRoute]):
        self.fakes = fakes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        fake = next(f for prefix, f in self.fakes.items() if path.startswith(prefix))
        return fake.handle_request(request)


def capture_wild(base_url: str, transport: httpx.BaseTransport | None, folder: Path) -> Path:
    """The seeded `/wild/api/` resources of a real site as a fake folder (the project's own
    capture: what reading shows; these resources need no rules)."""
    with Client(
        base_url,
        DEMO_LOGIN,
        DEMO_API_KEY,
        api_path=WILD,
        transport=transport,
        cache_dir=None,
        retries=0,
        allow_insecure=True,
    ) as client:
        return capture(client, folder, resources=WILD_RESOURCES, limit=1000)


class Pair:
    """The real site and the fake on the same database, reset to the same seeded state
    on demand: `reset_real` puts the real site's seeded data back; `wild` is the folder
    captured from that site."""

    def __init__(
        self, real: httpx.Client, reset_real: Callable[[], None], database: str, wild: Path
    ):
        self.database = database
        self.real = real
        self._reset_real = reset_real
        self.fakes = {
            API: FakeMailRoute(FIXTURES, login=DEMO_LOGIN, api_key=DEMO_API_KEY, database=database),
            WILD: FakeMailRoute(
                wild, login=DEMO_LOGIN, api_key=DEMO_API_KEY, api_path=WILD, database=database
            ),
        }
        self.mock = httpx.Client(
            transport=ByApi(self.fakes), base_url=f"http://{HOST}", headers=auth_header()
        )

    def reset(self):
        self._reset_real()
        for fake in self.fakes.values():
            fake.reset()

    def send(self, method, url, body=None, raw=None):
        """Both answers to one request, each as (status, headers, body)."""
        kwargs = (
            {"content": raw}
            if raw is not None
            else (
                {}
                if body is None
                else {
                    "content": json.dumps(body).encode(),
                    "headers": {"Content-Type": "application/json"},
                }
            )
        )
        return (
            _view(self.real.request(method, url, **kwargs)),
            _view(self.mock.request(method, url, **kwargs)),
        )


@pytest.fixture(scope="module")
def sqlite_pair(tmp_path_factory):
    """The in-process site (SQLite), shared with other tests: its data is left as found."""
    app = wsgi_app()
    saved = _backup()
    create_user()
    reset_data()
    seed_data(**FIXTURE_SEED)
    seed_groups()
    seeded = _backup()
    wild = capture_wild(
        f"http://{HOST}", httpx.WSGITransport(app=app), tmp_path_factory.mktemp("wild")
    )
    real = httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url=f"http://{HOST}", headers=auth_header()
    )
    both = Pair(real, lambda: _restore(seeded), "sqlite", wild)
    yield both
    real.close()
    both.mock.close()
    _restore(saved)
    saved.close()
    seeded.close()


@pytest.fixture(scope="module")
def postgresql_pair(postgresql_site, tmp_path_factory):
    """The site on PostgreSQL, in a process of its own (seeded again on each reset)."""
    postgresql_site.reset()
    wild = capture_wild(postgresql_site.url, None, tmp_path_factory.mktemp("wild"))
    # the Host the in-process site is reached by: the same absolute URLs in answers
    real = httpx.Client(base_url=postgresql_site.url, headers={**auth_header(), "Host": HOST})
    both = Pair(real, postgresql_site.reset, "postgresql", wild)
    yield both
    real.close()
    both.mock.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def pair(request):
    """The real site and the fake on each database (the PostgreSQL pair only when asked)."""
    return request.getfixturevalue(f"{request.param}_pair")


def _recent(value, now):
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return when.tzinfo is not None and abs((when - now).total_seconds()) < 600


def _normal(value, now):
    """Timestamps written during the test differ by milliseconds: mask recent ones."""
    if isinstance(value, dict):
        return {k: _normal(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v, now) for v in value]
    if isinstance(value, str) and len(value) == 31 and _recent(value, now):
        return "<now>"
    return value


def _view(response):
    now = datetime.now(UTC)
    headers = {k: response.headers.get(k) for k in HEADERS}
    try:
        body = _normal(response.json(), now)
    except ValueError:
        body = response.text
    return response.status_code, headers, body


def _ordering_values(view, url):
    """A list answer with each row replaced by the values its `order_by` names."""
    status, headers, body = view
    names = [name.lstrip("-") for name in parse_qs(urlsplit(url).query).get("order_by", [])]
    if status != 200 or not names or not isinstance(body, dict):
        return view
    return (
        status,
        headers,
        {**body, "objects": [[row.get(name) for name in names] for row in body["objects"]]},
    )


def run(pair, steps, ties_undefined=False):
    """Send each step to both; the first disagreement as text, or None."""
    pair.reset()
    for method, url, body in steps:
        real, fake = pair.send(method, url, body)
        if ties_undefined:
            real, fake = _ordering_values(real, url), _ordering_values(fake, url)
        if real != fake:
            return f"{method} {url} {body!r}\n  real: {real!r}\n  fake: {fake!r}"
    return None


# ---------------------------------------------------------------- the cases of issue 21

D, C, E = f"{API}domain/1/", f"{API}customer/1/", f"{API}email_account/1/"


CASES = {
    # a: the fake accepted what the server refuses
    "a1": [
        ("POST", f"{API}wblist/", {"email": "x@y.example", "wb": "w", "rid": "1", "id": 1}),
        ("GET", f"{API}wblist/1/", None),
    ],
    "a2": [
        ("POST", f"{API}email_account/", {"localpart": "x" * 129, "domain": D}),
        ("POST", f"{API}email_account/", {"localpart": "y" * 128, "domain": D}),
        ("POST", f"{API}mail_server/", {"server": "s" * 256, "domain": D}),
        ("POST", f"{API}reseller/", {"name": "r" * 256}),
    ],
    "a3": [
        ("POST", f"{API}contact_email_account/", {"email": "a@b.example", "email_account": E}),
        ("GET", f"{API}contact_email_account/?limit=0", None),
    ],
    # a lookup on a many-to-many field: Django takes a foreign key's lookups only (500
    # for the others, on every database, before any value is read); those work
    "a4": [
        ("GET", f"{WILD}group_profile/?users__startswith=1", None),
        ("GET", f"{WILD}group_profile/?users__contains=2&title__regex=(", None),
        ("GET", f"{WILD}group_profile/?users__range=1,2&order_by=nosuch", None),
        ("GET", f"{WILD}group_profile/?users__gt=abc&users__startswith=1", None),
        ("GET", f"{WILD}group_profile/?users__iexact=None", None),
        ("GET", f"{WILD}group_profile/?users=2", None),
        ("GET", f"{WILD}group_profile/?users__in=5,3&users__gte=2", None),
        ("GET", f"{WILD}group_profile/?users__isnull=true", None),
        ("GET", f"{WILD}group_profile/?users__lt=2", None),
        ("GET", f"{WILD}group_profile/?users__username__startswith=a", None),
        ("GET", f"{WILD}group_profile/?users__username__contains=CAROL", None),
    ],
    "a5": [
        ("PATCH", f"{API}contact_domain/1/", {"id": "abc"}),
        ("PATCH", f"{API}contact_domain/2/", {"id": 77}),
        ("GET", f"{API}contact_domain/?limit=0", None),
    ],
    # b: the fake refused what the server accepts
    "b1": [
        ("POST", f"{API}wblist/", {"wb": "W"}),
        ("POST", f"{API}contact_domain/", {"domain": D}),
    ],
    "b2": [
        ("PATCH", f"{API}localpart_alias/1/", {"localpart": None}),
        ("GET", f"{API}localpart_alias/1/", None),
        ("PATCH", f"{API}policy_domain/1/", {"priority": None, "is_default": None}),
        ("GET", f"{API}policy_domain/1/", None),
    ],
    "b3": [
        ("POST", f"{API}email_account/", {"localpart": "new", "domain": D, "priority": "8"}),
        ("GET", f"{API}email_account/31/", None),
    ],
    "b4": [
        ("PATCH", f"{API}policy_domain/1/", {"priority": "7", "spam_kill_level": "4.5"}),
        ("GET", f"{API}policy_domain/1/", None),
    ],
    "b5": [
        ("POST", f"{API}reseller/", {"name": "R-new"}),
        ("GET", f"{API}brandinginfo/?limit=0", None),
    ],
    "b6": [
        ("GET", f"{API}domain/?name=nosuch&name=acme-002.com", None),
        ("GET", f"{API}email_account/?id__in=abc&id__in=3,4", None),
    ],
    "b7": [
        ("POST", f"{API}domain/", {"name": "new.example", "customer": C, "active": None}),
        ("GET", f"{API}domain/13/", None),
    ],
    # c: the same status, another answer
    "c1": [
        ("PATCH", f"{API}notification_domain_task/1/", {"enabled": "abc", "hour": "x"}),
        ("PATCH", f"{API}notification_domain_task/1/", {"hour": "x", "minute": "y"}),
    ],
    "c2": [("POST", f"{API}admins/", {"username": "admin@north.example", "email": "a@b.example"})],
    "c3": [("GET", f"{API}domain/?name__regex=(&order_by=nosuch", None)],
    "c4": [
        ("GET", f"{API}domain/?name=acme-001.com&name__exact=acme-002.com", None),
        ("GET", f"{API}domain/?name__exact=acme-002.com&name=acme-001.com", None),
    ],
    "c5": [
        ("POST", f"{API}domain_alias/", {"name": "new-alias.example", "domain": D}),
        ("GET", f"{API}domain_with_alias/?name=new-alias.example", None),
        ("DELETE", f"{API}domain_alias/1/", None),
        ("GET", f"{API}domain_with_alias/?limit=0", None),
    ],
    "c6": [
        ("PATCH", f"{API}notification_account_task/1/", {"email_account": E}),
        ("GET", E, None),
        ("GET", f"{API}email_account/3/", None),
    ],
    "c7": [
        ("DELETE", f"{API}reseller/1/", None),
        ("GET", f"{API}customer/?limit=0", None),
        ("GET", f"{API}domain/?limit=0", None),
    ],
    "c8": [
        ("GET", f"{API}domain/?name__contains=ACME", None),
        ("GET", f"{API}domain/?name__startswith=ACME-00", None),
        ("GET", f"{API}domain/?name__endswith=.COM&limit=3", None),
    ],
    "c9": [
        ("POST", f"{API}outbound_server/", {"server": "203.0.113.9", "domain": D}),
        ("GET", f"{API}outbound_server/10/", None),
    ],
    "c10": [
        ("GET", f"{API}email_account/?order_by=-domain&limit=4", None),
        ("GET", f"{API}mail_server/?order_by=-priority&limit=5", None),
    ],
    "c11": [("PATCH", f"{API}contact_customer/1/", {"customer": ""})],
    "c12": [("POST", f"{API}email_account/", [1, 2])],
    "c13": [("PUT", f"{API}mail_server/1.0/", {})],
    "c14": [("POST", f"{API}admins/", {"username": "zz", "customer": {}})],
    "c15": [
        (
            "PATCH",
            f"{API}contact_customer/",
            {"objects": [{"resource_uri": f"{API}contact_customer/1/", "id": 998}]},
        ),
        ("GET", f"{API}contact_customer/?limit=0", None),
    ],
    "c16": [("GET", f"{API}contact_domain/?created_at__gte=False", None)],
    "c17": [("POST", f"{API}wblist/", {"email": "x@y.example", "wb": "w", "rid": "1"})],
    # d: what the database decides beyond LIKE and ties: the order of a table scan (on
    # PostgreSQL an updated row moves to the end of its table) and where NULL sorts
    "d1": [
        ("PATCH", f"{API}mail_server/2/", {"priority": 30}),
        ("PUT", f"{API}domain_alias/1/", {"name": "zz.example", "domain": D}),
        ("GET", f"{API}mail_server/?limit=0", None),
        ("GET", f"{API}domain_with_alias/?limit=0", None),
        ("PATCH", f"{API}policy_domain/3/", {"spam_kill_level": None}),
        ("PATCH", f"{API}policy_domain/2/", {"spam_kill_level": 1}),
        ("GET", f"{API}policy_domain/?order_by=spam_kill_level&limit=1", None),
        ("GET", f"{API}policy_domain/?order_by=-spam_kill_level&limit=1", None),
        ("GET", f"{API}policy_domain/?limit=0", None),
    ],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_agrees(pair, case, request):
    if case in KNOWN[pair.database]:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"issue 21 {case}: not yet"))
    assert run(pair, CASES[case], case in TIES_UNDEFINED[pair.database]) is None


def _site_text_columns():
    """(resource, field) → the length of the model's CharField behind each writable field
    of the site's resources (none for database views)."""
    from django.db import models

    from tests.tastypie_site.mailroute.api import api, hidden_api

    found = {}
    for registry in (api, hidden_api):
        for name, resource in registry._registry.items():
            model = resource._meta.object_class
            for field_name, field in resource.fields.items():
                column = {f.name: f for f in model._meta.get_fields()}.get(field.attribute)
                if isinstance(column, models.CharField) and not field.readonly:
                    found[(name, field_name)] = column.max_length
    return found


def test_the_rules_declare_every_text_column_length_of_the_site(sqlite_pair):
    """What a schema cannot say about lengths, rules.json does: a form's check
    (`max_length`) on the resources with forms, the column's (`column_length`, which only
    PostgreSQL checks) on the others (issue 21 a2)."""
    rules = json.loads((FIXTURES / "rules.json").read_text(encoding="utf-8"))
    declared, expected = {}, {}
    for (name, field), length in _site_text_columns().items():
        spec = rules.get(name, {})
        if spec.get("view_of"):
            continue
        kind = "max_length" if spec.get("form_validation") else "column_length"
        declared[(name, field)] = (kind, spec.get("fields", {}).get(field, {}).get(kind))
        expected[(name, field)] = (kind, length)
    assert declared == expected


# ---------------------------------------------------------------- generated requests


def _load(kind):
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((FIXTURES / kind).glob("*.json"))
    }


SCHEMAS, OBJECTS = _load("schemas"), _load("objects")
RULES = json.loads((FIXTURES / "rules.json").read_text(encoding="utf-8"))
NAMES = sorted(SCHEMAS)
# values the server stores but never shows are not in the fixture: filters on them
# cannot agree (admins.customer)
HIDDEN = {
    (name, field)
    for name, spec in RULES.items()
    for field, rule in spec.get("fields", {}).items()
    if rule.get("write_only")
}
TERMS = [
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "endswith",
    "in",
    "gt",
    "lte",
    "isnull",
    "range",
    "regex",
]
ODD_VALUES = [
    "",
    "abc",
    "ACME",
    "True",
    "false",
    "None",
    "1",
    "-3",
    "2012-06-12",
    "x" * 129,
    "/api/v1/domain/99999/",
    "/api/v1/customer/1/",
    "8",
    "4.5",
]


def _writable(name):
    return [
        f for f, spec in SCHEMAS[name]["fields"].items() if not spec.get("readonly") and f != "id"
    ]


def _sample_value(draw, name, field, odd=True):
    """A value for `field`: one some object holds, or (`odd`) an odd one."""
    held = [o.get(field) for o in OBJECTS[name] if field in o]
    if held and (not odd or draw(st.booleans())):
        return draw(st.sampled_from(held))
    odd = [
        None,
        0,
        7,
        4.5,
        True,
        "",
        "abc",
        "8",
        "x" * 129,
        "s" * 256,
        "new.example",
        [1, 2],
        f"{API}domain/2/",
        f"{API}email_account/3/",
        f"{API}customer/99999/",
    ]
    if SCHEMAS[name]["fields"][field]["type"] != "related":
        odd.append({})  # nested objects are not created by the fake (README)
    return draw(st.sampled_from(odd))


@st.composite
def list_gets(draw, name):
    schema = SCHEMAS[name]
    params = []
    filterable = [f for f in sorted(schema.get("filtering") or {}) if (name, f) not in HIDDEN]
    for field in draw(st.lists(st.sampled_from(filterable + ["id"]), max_size=2)):
        term = draw(st.sampled_from(["", *TERMS]))
        held = [o.get(field) for o in OBJECTS[name] if o.get(field) is not None]
        values = [str(v).rstrip("/").rsplit("/", 1)[-1] for v in held[:5]] + ODD_VALUES
        key = f"{field}__{term}" if term else field
        params.append(f"{key}={draw(st.sampled_from(values))}")
    ordering = schema.get("ordering") or []
    if ordering and draw(st.booleans()):
        sign = draw(st.sampled_from(["", "-"]))
        params.append(f"order_by={sign}{draw(st.sampled_from([*ordering, 'nosuch']))}")
    if draw(st.booleans()):
        params.append(f"limit={draw(st.sampled_from([0, 1, 3, 1000]))}")
    if draw(st.booleans()):
        params.append(f"offset={draw(st.sampled_from([0, 2, 500]))}")
    query = "&".join(params)
    return ("GET", f"{API}{name}/" + (f"?{query}" if query else ""), None)


@st.composite
def bodies(draw, name, partial):
    """A write body: an existing object's writable fields, some changed or left out."""
    fields = _writable(name)
    base = draw(st.sampled_from(OBJECTS[name])) if OBJECTS[name] else {}
    body = {} if partial else {f: base.get(f) for f in fields if f in base}
    odd = True  # one odd value per body: which of two the server reports first follows
    #                the model's field order, which no schema carries (README)
    for field in draw(st.lists(st.sampled_from(fields), max_size=3)) if fields else []:
        if draw(st.integers(0, 4)) == 0:
            body.pop(field, None)
        else:
            body[field] = _sample_value(draw, name, field, odd)
            odd = odd and body[field] in [o.get(field) for o in OBJECTS[name]]
    if draw(st.integers(0, 9)) == 0:
        body["id"] = draw(st.sampled_from([1, 998, "abc"]))
    return body


def _detail(draw, name):
    ids = [o["id"] for o in OBJECTS[name][:4]] or [1]
    return f"{API}{name}/{draw(st.sampled_from([*ids, 99999, 'abc']))}/"


@st.composite
def requests(draw):
    name = draw(st.sampled_from(NAMES))
    kind = draw(st.sampled_from(["list", "list", "detail", "post", "put", "patch", "delete"]))
    if kind == "list":
        return draw(list_gets(name))
    if kind == "detail":
        return ("GET", _detail(draw, name), None)
    if kind == "post":
        return ("POST", f"{API}{name}/", draw(bodies(name, partial=False)))
    if kind == "delete":
        return ("DELETE", _detail(draw, name), None)
    return (kind.upper(), _detail(draw, name), draw(bodies(name, partial=kind == "patch")))


def _state_check(step):
    """After a write, the resource's whole list: its later state must agree too."""
    method, url, _ = step
    if method == "GET":
        return []
    name = url[len(API) :].split("/", 1)[0]
    return [("GET", f"{API}{name}/?limit=0", None)]


@settings(
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(requests(), min_size=1, max_size=5))
def test_generated_requests_agree(sqlite_pair, steps):
    sequence = [s for step in steps for s in [step, *_state_check(step)]]
    assert run(sqlite_pair, sequence) is None
