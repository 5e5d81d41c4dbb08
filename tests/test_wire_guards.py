"""Issue 18, items 2, 3 and 7: a detail write never turns into a list write (redirects
followed for reads only, detail operations only to a detail URI of the object's own
resource), a related filter value of the wrong resource is refused, and a malformed URL
from the caller or the server is a library error."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailroute_dyn import (
    AsyncClient,
    Client,
    ConfigurationError,
    FilterError,
    GuardError,
    MailRouteError,
    ResponseError,
    UnreadableWriteAnswer,
)
from tests.conftest import API_KEY, BASE, LOGIN, list_body, load, objects, schema
from tests.helpers import serve, site_client

ENTRY = objects("wblist")[0]  # /api/v1/wblist/1/
ENTRY_URI = ENTRY["resource_uri"]
LIST = "/api/v1/wblist/"


# ---------------------------------------------------------------- a little hostile Tastypie

Route = tuple[int, dict[str, str], Any]


def _tastypie_like(
    routes: dict[tuple[str, str], Route], seen: list[tuple[str, str]]
) -> Callable[[socket.socket, bytes], None]:
    """A server with MailRoute's listing and wblist schema that answers `routes`
    ((method, path) -> (status, headers, JSON body)) and records every request line."""
    base: dict[tuple[str, str], Route] = {
        ("GET", "/api/v1/"): (200, {}, {"wblist": load("listing.json")["wblist"]}),
        ("GET", "/api/v1/wblist/schema/"): (200, {}, schema("wblist")),
        ("GET", ENTRY_URI): (200, {}, ENTRY),
    }
    table = {**base, **routes}

    def handle(sock: socket.socket, head: bytes) -> None:
        first, *lines = head.decode("latin-1").split("\r\n")
        method, target, _ = first.split(" ", 2)
        length = next(
            (
                int(line.split(":", 1)[1])
                for line in lines
                if line.lower().startswith("content-length:")
            ),
            0,
        )
        received = len(head.split(b"\r\n\r\n", 1)[1])
        while received < length:
            received += len(sock.recv(65536))
        seen.append((method, target))
        status, headers, body = table.get((method, target.split("?", 1)[0]), (404, {}, None))
        content = b"" if body is None else json.dumps(body).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(content)}\r\nConnection: close\r\n\r\n".encode()
            + content
        )

    return handle


@contextmanager
def _hostile(routes: dict[tuple[str, str], Route]) -> Iterator[tuple[str, list[Any]]]:
    seen: list[tuple[str, str]] = []
    with serve(_tastypie_like(routes, seen)) as (url, _):
        yield url, seen


def _run(kind: str, url: str, work: Callable[[Any], Any]) -> Any:
    """`work(client)` on a sync client, or awaited on an async one (`work` returns the
    value or, async, an awaitable)."""
    options = {"cache_dir": None, "retries": 0}
    if kind == "sync":
        with Client(url, LOGIN, API_KEY, **options) as client:
            return work(client)

    async def run() -> Any:
        async with AsyncClient(url, LOGIN, API_KEY, **options) as client:
            await client.preload()
            return await work(client)

    return asyncio.run(run())


# ---------------------------------------------------------------- item 2: redirects


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_delete_redirected_to_the_list_is_never_followed(kind, status):
    routes = {
        ("DELETE", ENTRY_URI): (status, {"Location": LIST}, None),
        ("DELETE", LIST): (204, {}, None),
    }  # what would empty the table

    def work(client: Any) -> Any:
        if kind == "sync":
            return client.wblist.get(1).delete()

        async def go() -> None:
            return await (await client.wblist.get(1)).delete()

        return go()

    with _hostile(routes) as (url, seen):
        with pytest.raises(ResponseError, match=f"{status} with Location '/api/v1/wblist/'"):
            _run(kind, url, work)
    assert ("DELETE", LIST) not in seen
    assert [r for r in seen if r[0] == "DELETE"] == [("DELETE", ENTRY_URI)]


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_no_write_of_any_method_follows_a_redirect(kind, method):
    routes = {(method, ENTRY_URI): (307, {"Location": LIST}, None), (method, LIST): (204, {}, None)}

    def work(client: Any) -> Any:
        return client.request(method, ENTRY_URI, json={"wb": "w"})

    with _hostile(routes) as (url, seen):
        with pytest.raises(ResponseError, match="a write is never redirected"):
            _run(kind, url, work)
    assert seen[-1] == (method, ENTRY_URI)


def test_a_post_answered_see_other_is_a_write_that_happened(api, client):
    api.override("POST", f"{BASE}{LIST}").mock(
        return_value=httpx.Response(303, headers={"Location": ENTRY_URI})
    )
    with pytest.raises(UnreadableWriteAnswer, match="carried out"):
        client.wblist.create(email="x@example.com", wb="b", rid="1")
    assert [r.method for r in api.requests(LIST) if r.method != "GET"] == ["POST"]
    assert not api.requests(ENTRY_URI)  # the See Other is not followed


def test_a_read_redirect_that_drops_the_query_is_not_followed(api, client):
    # `update()` reads every match first: a redirect losing the filter would widen it
    # to every domain of the table
    api.override("GET", f"{BASE}/api/v1/domain/", params={"name": "acme-001.com"}).mock(
        return_value=httpx.Response(301, headers={"Location": "/api/v1/domain/"})
    )
    with pytest.raises(ResponseError, match="does not carry the request's query"):
        client.domain.filter(name="acme-001.com").update(active=False)
    assert not [r for r in api.router.calls if r.request.method != "GET"]


def test_a_read_redirect_that_keeps_the_query_is_followed(api, client):
    # Django's APPEND_SLASH: the same path with a slash, the query as it was
    api.override("GET", f"{BASE}/api/v1/reseller").mock(
        return_value=httpx.Response(301, headers={"Location": "/api/v1/reseller/?name=x"})
    )
    body = client.request("GET", "/api/v1/reseller?name=x")
    assert body["objects"]


# ---------------------------------------------------------------- item 2: detail URIs


@pytest.mark.parametrize(
    ("list_url", "uri", "keys", "ok"),
    [
        ("/api/v1/wblist/", "/api/v1/wblist/7/", {"7"}, True),
        ("/api/v1/wblist/", "/api/v1/wblist/7", set(), True),
        ("/api/v1/email_account/", "/api/v1/email_account/a@b.example/", set(), True),
        ("/api/v1/email_account/", "/api/v1/email_account/a%2Fb/", set(), True),
        ("/slashless/api/v1/notes", "/slashless/api/v1/notes/3", set(), True),
        ("/api/v1/admins/", "/api/v1/admins/customer/1300/admin/43698/", {"43698"}, True),
        ("/api/v1/wblist/", "https://api.mailroute.test/api/v1/wblist/7/", set(), True),
        ("/api/v1/wblist/", "/api/v1/wblist/", {"7"}, False),
        ("/api/v1/wblist/", "/api/v1/wblist", set(), False),
        ("/slashless/api/v1/notes", "/slashless/api/v1/notes", set(), False),
        ("/slashless/api/v1/notes", "/slashless/api/v1/notesarchive/3", set(), False),
        ("/api/v1/wblist/", "/api/v1/domain/7/", {"7"}, False),
        ("/api/v1/wblist/", "/api/v1/wblist/?id=7", {"7"}, False),
        ("/api/v1/wblist/", "/api/v1/wblist/schema/", set(), False),
        ("/api/v1/wblist/", "/api/v1/wblist/7/../", {"7"}, False),
        ("/api/v1/wblist/", "/api/v1/wblist/%2E%2E/", set(), False),
        ("/api/v1/wblist/", "/api/v1/wblist//", set(), False),
        ("/api/v1/admins/", "/api/v1/admins/customer/1300/", {"43698"}, False),
        ("/api/v1/reseller/", "/api/v1/reseller/4/contacts/", {"4"}, False),
        ("/api/v1/wblist/", "http://[::1/api/v1/wblist/7/", set(), False),
    ],
)
def test_what_a_detail_uri_of_a_resource_is(list_url, uri, keys, ok):
    from mailroute_dyn.classes.detailuri import detail_uri_problem

    assert (detail_uri_problem(list_url, uri, keys) == "") is ok


@pytest.mark.parametrize(
    "uri", [LIST, "/api/v1/wblist/?wb=b", "/api/v1/wblist/schema/", "/api/v1/wblist/1/../"]
)
def test_a_delete_goes_only_to_the_objects_own_detail_uri_whatever_a_page_said(api, client, uri):
    api.override("GET", url__regex=r".*/api/v1/wblist/\?.*").mock(
        return_value=httpx.Response(200, json=list_body([{**ENTRY, "resource_uri": uri}]))
    )
    (entry,) = client.wblist.filter(wb="b")
    before = len(api.router.calls)
    with pytest.raises(GuardError, match="Nothing was sent"):
        entry.delete()
    assert len(api.router.calls) == before


def _answers_rewritten(app: Any, rewrite: Callable[[dict[str, Any], bytes], bytes]) -> Any:
    """The WSGI `app` with each answer's body passed through `rewrite(environ, body)`."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        said: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            said.update(status=status, headers=headers)
            return lambda data: None

        body = rewrite(environ, b"".join(app(environ, start)))
        headers = [(k, v) for k, v in said["headers"] if k.lower() != "content-length"]
        start_response(said["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return wrapped


def test_a_write_answer_cannot_turn_an_object_into_the_list(tastypie_app):
    """On the real server: a create answered with the list as its `resource_uri` (a broken
    proxy, a hostile server) leaves the object its own URI, so its delete removes that
    object alone."""

    def list_as_uri(environ: dict[str, Any], body: bytes) -> bytes:
        if environ["REQUEST_METHOD"] != "POST" or not body:
            return body
        return json.dumps({**json.loads(body), "resource_uri": LIST}).encode()

    transport = httpx.WSGITransport(app=_answers_rewritten(tastypie_app, list_as_uri))
    with site_client(transport) as client:
        total = client.wblist.count()
        made = client.wblist.create(email="detail-only@example.com", wb="w", rid="1")
        assert made.resource_uri == f"{LIST}{made.pk}/"
        assert client.wblist.count() == total + 1
        made.delete()
        assert client.wblist.count() == total


@pytest.mark.parametrize(
    "next_url",
    [
        "/api/v1/wblist/?limit=1&offset=1",  # the filter dropped
        "/api/v1/wblist/?wb=w&limit=1&offset=1",  # another value
        "/api/v1/wblist/?wb=b&email__gte=&limit=1&offset=1",  # a filter added
        "/api/v1/domain/?wb=b&limit=1&offset=1",
    ],
)  # another resource
def test_a_next_link_that_loses_the_query_is_never_followed(next_url):
    # for e in client.wblist.filter(wb="b"): e.delete() went on with every entry the
    # unfiltered next link listed, whitelisted ones included
    listed = objects("wblist")
    asked: list[httpx.URL] = []

    def lying(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        path = request.url.path
        if path == "/api/v1/":
            return httpx.Response(200, json={"wblist": load("listing.json")["wblist"]})
        if path.endswith("/schema/"):
            return httpx.Response(200, json=schema("wblist"))
        if dict(request.url.params) == {"wb": "b", "limit": "1", "offset": "0"}:
            return httpx.Response(
                200, json=list_body(listed[:1], limit=1, total=2, next_url=next_url)
            )
        return httpx.Response(200, json=list_body(listed[1:3], limit=1, total=len(listed)))

    with Client(
        BASE, LOGIN, API_KEY, transport=httpx.MockTransport(lying), cache_dir=None, retries=0
    ) as client:
        for qs in (
            client.wblist.filter(wb="b").page_size(1),
            client.list("/api/v1/wblist/?wb=b&limit=1"),
        ):
            yielded = []
            with pytest.raises(ResponseError, match="meta.next"):
                for entry in qs:
                    yielded.append(entry.pk)
            assert yielded == [listed[0]["id"]]
    assert all(url.params.get("wb") == "b" for url in asked if url.path == LIST)


def test_the_test_kits_cleanup_deletes_only_detail_uris_whatever_a_create_answer_named(tmp_path):
    # the pytest plugin takes back what a staging server said it created: a 201 whose
    # Location named the list (its query dropped) made it DELETE the whole list
    from mailroute_dyn.testing.cleanup import JournaledWrites, put_back

    made = {**ENTRY, "id": 7, "resource_uri": "/api/v1/wblist/7/"}
    locations = [
        "/api/v1/wblist/",
        "/api/v1/wblist/?email__gte=",
        "/api/v1/wblist/schema/",
        "/api/v1/wblist/7/../",
        "/api/v1/wblist/7/",
    ]
    deleted: list[str] = []

    def lying(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "DELETE":
            deleted.append(str(request.url.raw_path, "ascii"))
            return httpx.Response(204)
        if request.method == "POST":
            return httpx.Response(201, headers={"Location": locations.pop(0)})
        if path == "/api/v1/":
            return httpx.Response(200, json={"wblist": load("listing.json")["wblist"]})
        if path.endswith("/schema/"):
            return httpx.Response(200, json=schema("wblist"))
        if path == made["resource_uri"]:
            return httpx.Response(200, json=made)
        return httpx.Response(200, json=list_body(objects("wblist")))

    writes = JournaledWrites(httpx.MockTransport(lying), "/api/v1/", tmp_path / "t.jsonl")
    with Client(BASE, LOGIN, API_KEY, transport=writes, cache_dir=None, retries=0) as client:
        for _ in range(len(locations)):
            client.request("POST", LIST, json={"email": "a@b.example", "wb": "b"})
        with pytest.warns(pytest.PytestWarning, match="not all taken back"):
            put_back(client, writes)
    assert deleted == ["/api/v1/wblist/7/"]


def test_undo_never_writes_to_a_uri_that_is_not_a_detail_uri_of_the_rows_resource(tmp_path):
    """A journal is a file (and its URIs came from a server's answers): an undo step whose
    URI is the list, a query, the schema or another resource's object sends nothing."""
    from mailroute_dyn.runs.journal import Journal

    sent: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.raw_path.decode()}")
        path = request.url.path
        if path == "/api/v1/":
            return httpx.Response(200, json={"wblist": load("listing.json")["wblist"]})
        if path.endswith("/schema/"):
            return httpx.Response(200, json=schema("wblist"))
        return httpx.Response(200, json=list_body(objects("wblist")))

    bad = [
        "/api/v1/wblist/",
        "/api/v1/wblist/?email__gte=",
        "/api/v1/wblist/schema/",
        "/api/v1/domain/7/",
        "/api/v1/wblist/7/../",
    ]
    path = tmp_path / "run.jsonl"
    journal = Journal(path)
    job = journal.job("create", "wblist", list(range(1, len(bad) + 1)))
    for row, uri in enumerate(bad, 1):
        job.write(
            "start",
            row=row,
            method="POST",
            uri=LIST,
            body={"email": "x@y.example"},
            before=None,
            not_restorable=[],
        )
        job.write("done", row=row, ok=True, kind="created", uri=uri, after=None)
    journal.close()
    with Client(
        BASE, LOGIN, API_KEY, transport=httpx.MockTransport(server), cache_dir=None, retries=0
    ) as client:
        steps, _ = client.undo(path)
    assert [s.result for s in steps] == ["failed"] * len(bad)
    # discovery and the schema only: no GET of those URIs, and no write at all
    assert not [
        line
        for line in sent
        if not line.startswith(("GET /api/v1/wblist/schema/", "GET /api/v1/?", "GET /api/v1/ "))
        and line != "GET /api/v1/"
    ], sent


def test_a_refresh_redirected_to_the_list_leaves_the_object_as_it_was(api, client):
    entry = client.wblist.get(1)
    api.override("GET", f"{BASE}{ENTRY_URI}").mock(
        return_value=httpx.Response(302, headers={"Location": LIST})
    )
    with pytest.raises(ResponseError, match="not this wblist"):
        entry.refresh()
    assert entry.to_dict() == ENTRY


def test_an_object_given_as_a_key_must_be_of_the_resource(api, client):
    domain, wblist = client.domain.get(1), client.wblist
    before = len(api.router.calls)
    with pytest.raises(GuardError, match="not under /api/v1/wblist/"):
        wblist.get(domain)
    assert len(api.router.calls) == before


# ---------------------------------------------------------------- item 3: related filters


def test_a_filter_value_of_another_resource_is_refused_before_sending(tastypie_client):
    accounts = tastypie_client.email_account
    entry = tastypie_client.wblist.get(1)
    domain = tastypie_client.domain.get(entry.pk)  # the domain Tastypie would match
    mine = {a.resource_uri for a in accounts.filter(domain=domain)}
    assert mine  # (so a wrong match would show)
    for bad in (
        {"domain": entry},
        {"domain__in": [domain, entry]},
        {"domain": "/api/v1/wblist/1/"},
        {"domain": tastypie_client.domain()},
    ):
        with pytest.raises(FilterError, match="Nothing was sent"):
            accounts.filter(**bad).delete(confirm=True)
    assert {a.resource_uri for a in accounts.filter(domain=domain)} == mine
    assert {a.resource_uri for a in accounts.filter(domain__in=[domain])} == mine


def test_an_object_of_another_resource_is_refused_for_a_string_typed_relation(tastypie_client):
    # MailRoute types wblist.domain and wblist.email_account as strings holding URIs: an
    # object given there still carries its resource, and Tastypie filters by its key alone
    wblist = tastypie_client.wblist
    entry = next(e for e in wblist.all() if e["domain"])
    domain = tastypie_client.get(entry["domain"])
    account = tastypie_client.email_account.get(domain.pk)  # the key Tastypie would match
    theirs = {e.resource_uri for e in wblist.filter(domain=domain)}
    assert theirs  # (so a wrong match would show)
    for bad in (
        {"domain": account},
        {"domain__exact": account},
        {"email_account": domain},
        {"domain": entry},
        {"domain": tastypie_client.domain()},
    ):
        with pytest.raises(FilterError, match="Nothing was sent"):
            wblist.filter(**bad).delete(confirm=True)
    assert {e.resource_uri for e in wblist.filter(domain=domain)} == theirs


def test_a_wrong_object_through_a_relation_hop_is_refused_once_the_schema_is_read(api, client):
    # 2012 schemas (no related_schema): domain's schema is read only when the query runs
    reseller = client.reseller.get(1)
    qs = client.email_account.filter(domain__customer=reseller)
    with pytest.raises(FilterError, match="is a reseller object"):
        list(qs)
    assert not api.requests("/api/v1/email_account/?")
    customer = client.customer.get(objects("customer")[0]["id"])
    client.email_account.filter(domain__customer=customer).count()
    (sent,) = api.requests("/api/v1/email_account/?")
    assert sent.url.params["domain__customer"] == str(customer.pk)


def test_a_related_field_whose_target_nothing_tells_takes_any_object(api, client):
    listing = dict(api.listing)
    del listing["domain"]  # the field name no longer names a resource
    api.listing = listing
    reseller = client.reseller.get(1)
    assert client.email_account.filter(domain=reseller)._q.filters[0].value == "1"


def test_the_async_client_refuses_a_wrong_filter_object(tastypie_app):
    from django.core.asgi import get_asgi_application

    async def run() -> None:
        async with site_client(
            httpx.ASGITransport(app=get_asgi_application()), kind=AsyncClient
        ) as client:
            entry = await (await client.resource("wblist")).get(1)
            accounts = await client.resource("email_account")
            with pytest.raises(FilterError, match="is a wblist object"):
                accounts.filter(domain=entry)

    asyncio.run(run())


# ---------------------------------------------------------------- item 7: malformed URLs

ODD_PARTS = [
    "http://",
    "https://",
    "[",
    "]",
    "[::1",
    "[::1]",
    ":99999",
    ":abc",
    ":0",
    "\x00",
    "\x7f",
    "\n",
    " ",
    "\udcff",
    "é",
    "%",
    "%zz",
    "#",
    "?",
    "\\",
    "..",
    "@",
    "//",
    "api.mailroute.test",
    "/api/v1/",
    "domain/",
    "1/",
    "x:y@",
    ";",
]
ODD_URLS = st.one_of(
    st.text(max_size=30), st.lists(st.sampled_from(ODD_PARTS), max_size=8).map("".join)
)


def _nowhere(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404)


def test_client_get_of_an_open_bracket_is_a_guard_error():
    with Client(
        BASE, LOGIN, API_KEY, cache_dir=None, transport=httpx.MockTransport(_nowhere)
    ) as client:
        with pytest.raises(GuardError, match="Invalid IPv6 URL"):
            client.get("http://[::1/api/v1/domain/1/")


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(url=ODD_URLS)
def test_any_url_a_caller_gives_is_sent_or_a_library_error(url):
    with Client(
        BASE, LOGIN, API_KEY, cache_dir=None, retries=0, transport=httpx.MockTransport(_nowhere)
    ) as client:
        for call in (
            client.get,
            lambda u: client.list(u).first(),
            lambda u: client.request("DELETE", u),
        ):
            try:
                call(url)
            except MailRouteError:
                pass


@settings(max_examples=300, deadline=None)
@given(url=ODD_URLS)
def test_any_base_url_is_taken_or_a_configuration_error(url):
    try:
        Client(url, LOGIN, API_KEY, cache_dir=None).close()
    except ConfigurationError as exc:
        assert API_KEY not in str(exc)


HOST_PARTS = [
    "https://",
    "http://",
    "xn--",
    "xn--ls8h",
    "xn--admin",
    "a",
    ".",
    "\u3002",
    "-",
    "\u200b",
    "api.mailroute.test",
    "é",
    ":443",
    "/",
    "@",
    "[::1]",
]


def _listing(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json={"domain": {"list_endpoint": "/api/v1/domain/", "schema": "/api/v1/domain/schema/"}},
    )


@settings(max_examples=300, deadline=None)
@given(
    url=st.one_of(
        ODD_URLS,
        st.lists(st.sampled_from(HOST_PARTS), max_size=6).map("".join),
        st.sampled_from(["https://xn--admin.mailroute.net", "https://xn--ls8h.la"]),
    )
)
def test_a_base_url_the_client_takes_is_one_it_can_send_to(url):
    # a host IDNA refuses (xn--...) was taken, then failed every request with ResponseError
    try:
        client = Client(
            url, LOGIN, API_KEY, cache_dir=None, retries=0, transport=httpx.MockTransport(_listing)
        )
    except ConfigurationError:
        return
    with client:
        assert client.resources == ["domain"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("backoff", float("nan")),
        ("backoff", float("inf")),
        ("timeout", float("nan")),
        ("timeout", float("inf")),
        ("retry_budget", float("nan")),
        ("cache_ttl", float("nan")),
        ("timeout", True),
    ],
)
def test_a_number_setting_that_is_no_real_number_is_a_configuration_error(
    name, value, tmp_path, monkeypatch
):
    # backoff=nan was taken, then the first retry raised a bare ValueError from sleep()
    with pytest.raises(ConfigurationError, match=name):
        Client(BASE, LOGIN, API_KEY, cache_dir=None, **{name: value})
    if isinstance(value, float):  # TOML has nan and inf literals too
        config = tmp_path / "config.toml"
        config.write_text(f'[profiles.p]\nbase_url = "{BASE}"\n{name} = {value}\n')
        monkeypatch.setenv("MAILROUTE_CONFIG", str(config))
        with pytest.raises(ConfigurationError, match=name):
            Client(profile="p", cache_dir=None)


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/api/v1/domain/1/",
        "/api/v1/domain/\x00/",
        "https://api.mailroute.test:99999/api/v1/domain/1/",
        "/api/v1/\udcff/",
        5,
    ],
)
def test_the_async_entry_points_refuse_a_malformed_url(url):
    async def run() -> None:
        async with AsyncClient(
            BASE, LOGIN, API_KEY, cache_dir=None, transport=httpx.MockTransport(_nowhere)
        ) as client:
            with pytest.raises(GuardError):
                await client.get(url)
            with pytest.raises(GuardError):
                client.list(url)
            with pytest.raises(GuardError):
                await client.request("GET", url)

    asyncio.run(run())


@pytest.mark.parametrize(
    "bad",
    [
        "http://[::1/api/v1/domain/2/",
        "/api/v1/domain/\udcff/",
        "https://api.mailroute.test:99999/api/v1/domain/2/",
    ],
)
def test_malformed_urls_in_answers_are_response_errors(api, client, bad):
    def answer(body: Any) -> httpx.Response:
        return httpx.Response(
            200, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )

    api.override("GET", f"{BASE}/api/v1/reseller/", params={"name": "x"}).mock(
        return_value=answer(list_body(objects("reseller")[:1], limit=1, total=2, next_url=bad))
    )
    with pytest.raises(ResponseError):
        list(client.reseller.filter(name="x").page_size(1))
    acct = objects("email_account")[0]
    api.override("GET", f"{BASE}/api/v1/email_account/{acct['id']}/").mock(
        return_value=answer({**acct, "domain": bad})
    )
    with pytest.raises(ResponseError):
        client.email_account.get(acct["id"]).domain  # noqa: B018
    api.override("DELETE", f"{BASE}{ENTRY_URI}").mock(
        return_value=httpx.Response(
            301, headers={"Location": bad.encode("utf-8", "replace").decode("latin-1")}
        )
    )
    with pytest.raises(ResponseError):
        client.wblist.get(1).delete()
