"""The HTTP layer: every status and body shape mapped to its error, retries for idempotent
requests only, Retry-After, redirects, oversized bodies, the HTTPS policy and the rule
that the key goes to the configured origin and nowhere else."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailroute_dyn import (
    AmbiguousWriteError,
    APIError,
    BadRequest,
    Client,
    ConfigurationError,
    Conflict,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    RateLimited,
    ResponseError,
    ServerError,
    TransportError,
    Unauthorized,
)
from mailroute_dyn.errors import OriginError
from mailroute_dyn.operations import Answer, Call
from mailroute_dyn.query.rows import _all_own
from mailroute_dyn.settings.config import resolve_settings
from mailroute_dyn.settings.urls import _PLAIN_PATH, join_url, url_problem
from mailroute_dyn.transport.decisions import error_for, query_string
from mailroute_dyn.transport.tries import retry_delay
from tests.conftest import API_KEY, BASE, LOGIN, list_body, objects

CANNED = "Sorry, this request could not be processed. Please try again later."


@pytest.mark.parametrize(
    ("status", "body", "ctype", "cls", "message"),
    [
        (
            400,
            '{"email_account": {"localpart": ["This field is required."]}}',
            "application/json",
            BadRequest,
            "localpart: This field is required.",
        ),
        (
            400,
            '{"error": "Invalid limit \'-1\' provided. '
            'Please provide a positive integer &gt;= 0."}',
            "application/json",
            BadRequest,
            "positive integer >= 0",
        ),
        (
            400,
            "Invalid resource lookup data provided (mismatched type).",
            "text/html; charset=utf-8",
            BadRequest,
            "mismatched type",
        ),
        (400, "", "text/html; charset=utf-8", BadRequest, ""),
        (401, "", "text/html; charset=utf-8", Unauthorized, "refused"),
        (403, "", "text/html", Forbidden, ""),
        (404, "", "text/html; charset=utf-8", NotFound, ""),
        (
            404,
            '{"error_message": "No Reseller matches the given query.", "traceback": "..."}',
            "application/json",
            NotFound,
            "No Reseller matches",
        ),
        (
            404,
            "<html><head><title>Page not found at /api/v1/nosuch/</title></head><body>...",
            "text/html",
            NotFound,
            "Page not found at /api/v1/nosuch/",
        ),
        (405, "GET,POST,DELETE", "text/html", MethodNotAllowed, "GET,POST,DELETE"),
        (409, "", "text/html", Conflict, ""),
        (429, "", "text/html", RateLimited, ""),
        (
            500,
            f'{{"error_message": "{CANNED}"}}',
            "application/json; charset=utf-8",
            ServerError,
            CANNED,
        ),
        (501, "", "text/html", ServerError, ""),
        (418, "teapot", "text/plain", APIError, "teapot"),
    ],
)
def test_every_error_shape_maps_to_its_exception(client, api, status, body, ctype, cls, message):
    api.override("GET", f"{BASE}/api/v1/reseller/77/").mock(
        return_value=httpx.Response(
            status, content=body.encode(), headers={"Content-Type": ctype, "Allow": "GET,POST"}
        )
    )
    with pytest.raises(cls) as info:
        client.request("GET", "/api/v1/reseller/77/")
    assert info.value.status_code == status
    assert message in str(info.value)
    assert API_KEY not in str(info.value)


def test_field_errors_and_retry_after_are_parsed():
    answer = Answer(429, {"retry-after": "7"}, None, f"{BASE}/x/", "GET")
    assert error_for(answer).retry_after == 7
    answer = Answer(400, {}, {"email_account": {"__all__": ["Passwords don`t match"]}}, "", "PUT")
    assert error_for(answer).errors == {"email_account": {"__all__": ["Passwords don`t match"]}}


def test_invalid_json_in_a_success_is_a_response_error(client, api):
    api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(
            200, content=b'{"id": 1, "na', headers={"Content-Type": "application/json"}
        )
    )
    with pytest.raises(ResponseError, match="not valid JSON"):
        client.reseller.get(1)


# ---------------------------------------------------------------- retries


def _retrying_client(**kw):
    return Client(BASE, LOGIN, API_KEY, cache_dir=None, backoff=0, **kw)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503),
        httpx.Response(502),
        httpx.Response(504),
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("reset"),
    ],
)
def test_idempotent_requests_are_retried(api, failure):
    good = httpx.Response(200, json=objects("reseller")[0])
    route = api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(
        side_effect=[failure, failure, good]
    )
    with _retrying_client(retries=3) as client:
        assert client.request("GET", "/api/v1/reseller/1/")["id"] == 1
    assert route.call_count == 3


def test_retries_stop_at_the_limit(api):
    route = api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(return_value=httpx.Response(503))
    with _retrying_client(retries=2) as client, pytest.raises(ServerError):
        client.request("GET", "/api/v1/reseller/1/")
    assert route.call_count == 3
    with _retrying_client(retries=0) as client, pytest.raises(ServerError):
        client.request("GET", "/api/v1/reseller/1/")
    assert route.call_count == 4


def test_post_is_not_retried_after_it_may_have_arrived(api):
    route = api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        side_effect=httpx.ReadTimeout("slow")
    )
    with _retrying_client(retries=3) as client:
        with pytest.raises(AmbiguousWriteError, match="may have been carried out"):
            client.reseller.create(name="Once Only")
    assert route.call_count == 1
    route.side_effect = [httpx.Response(502), httpx.Response(201)]
    with _retrying_client(retries=3) as client:
        with pytest.raises(ServerError, match="may have been carried out"):
            client.reseller.create(name="Once Only")
    assert route.call_count == 2


def test_post_is_retried_when_it_surely_never_arrived(api):
    route = api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(201, headers={"Location": "/api/v1/reseller/9/"}),
        ]
    )
    with _retrying_client(retries=3) as client:
        assert client.reseller.create(name="Arrives").id == 9
    assert route.call_count == 3


def test_dedupe_on_looks_the_object_up_instead_of_creating_it_twice(api):
    created = dict(
        objects("reseller")[0], name="Made Once", id=42, resource_uri="/api/v1/reseller/42/"
    )
    post = api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        side_effect=httpx.RemoteProtocolError("connection reset after sending")
    )
    lookup = api.override("GET", f"{BASE}/api/v1/reseller/", params={"name": "Made Once"}).mock(
        return_value=httpx.Response(200, json=list_body([created]))
    )
    with _retrying_client(retries=3) as client:
        r = client.reseller.create(name="Made Once", dedupe_on=("name",))
    assert r.id == 42 and post.call_count == 1 and lookup.called


def test_dedupe_on_posts_again_when_the_object_is_not_there(api):
    post = api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        side_effect=[
            httpx.ReadTimeout("lost"),
            httpx.Response(201, headers={"Location": "/api/v1/reseller/43/"}),
        ]
    )
    api.override("GET", f"{BASE}/api/v1/reseller/", params={"name": "Not Yet"}).mock(
        return_value=httpx.Response(200, json=list_body([]))
    )
    with _retrying_client(retries=3) as client:
        assert client.reseller.create(name="Not Yet", dedupe_on=("name",)).id == 43
    assert post.call_count == 2


def test_retry_delays_back_off_honour_retry_after_and_the_budget():
    import random

    s = resolve_settings(base_url=BASE, backoff=1.0, retries=5, retry_budget=10, cache_dir=None)
    get = Call("GET", "/x/")
    rng = random.Random(1)
    delays = [retry_delay(get, n, Answer(503, {}, None, ""), s, 0, rng) for n in range(4)]
    assert all(2**n / 2 <= d <= 2**n for n, d in enumerate(delays))
    assert retry_delay(get, 0, Answer(429, {"retry-after": "3"}, None, ""), s, 0) == 3
    assert retry_delay(get, 0, Answer(503, {"retry-after": "30"}, None, ""), s, 0) is None
    assert retry_delay(get, 5, Answer(503, {}, None, ""), s, 0) is None
    assert retry_delay(get, 0, Answer(500, {}, None, ""), s, 0) is None
    # a list PATCH may create objects: not retried after a gateway lost its answer, but
    # retried after a 503 or 429, which say the server did nothing
    assert retry_delay(Call("PATCH", "/x/"), 0, Answer(502, {}, None, ""), s, 0) is None
    assert retry_delay(Call("PATCH", "/x/"), 0, Answer(503, {}, None, ""), s, 0) is not None
    assert (
        retry_delay(Call("PATCH", "/x/1/", idempotent=True), 0, Answer(502, {}, None, ""), s, 0)
        is not None
    )


# ---------------------------------------------------------------- redirects and size


def test_same_origin_redirects_are_followed_and_loops_stopped(client, api):
    api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(301, headers={"Location": "/api/v1/reseller/2/"})
    )
    assert client.request("GET", "/api/v1/reseller/1/")["id"] == 2
    api.override("GET", f"{BASE}/api/v1/reseller/3/").mock(
        return_value=httpx.Response(302, headers={"Location": "/api/v1/reseller/3/"})
    )
    with pytest.raises(ResponseError, match="too many redirects"):
        client.request("GET", "/api/v1/reseller/3/")


def test_oversized_bodies_are_refused(client, api, monkeypatch):
    monkeypatch.setattr("mailroute_dyn.transport.limits.MAX_BODY_BYTES", 1000)
    api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(
            200, content=b"[" + b"1," * 2000 + b"1]", headers={"Content-Type": "application/json"}
        )
    )
    with pytest.raises(ResponseError, match="larger than"):
        client.request("GET", "/api/v1/reseller/1/")


# ---------------------------------------------------------------- the key stays home


def _auth_headers(api) -> list[tuple[str, str | None]]:
    return [(str(c.request.url), c.request.headers.get("Authorization")) for c in api.router.calls]


def test_no_request_goes_to_another_host(client, api):
    evil = api.override("GET", url__regex=r"https://evil\.test/.*").mock(
        return_value=httpx.Response(200, json={})
    )
    # a redirect, a next link, a related URI and an escape-hatch URL that name another host
    api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(302, headers={"Location": "https://evil.test/steal/"})
    )
    with pytest.raises(OriginError):
        client.request("GET", "/api/v1/reseller/1/")
    api.override("GET", f"{BASE}/api/v1/reseller/", params={"name": "x"}).mock(
        return_value=httpx.Response(
            200,
            json=list_body(
                objects("reseller")[:1],
                limit=1,
                total=2,
                next_url="https://evil.test/api/v1/reseller/?name=x&offset=1",
            ),
        )
    )
    with pytest.raises(OriginError):
        list(client.reseller.filter(name="x").page_size(1))
    with pytest.raises(OriginError):
        client.get("https://evil.test/api/v1/domain/1/")
    with pytest.raises(OriginError):
        client.request("GET", "https://evil.test/api/v1/")
    assert not evil.called
    assert all(url.startswith(BASE) for url, _ in _auth_headers(api))


def test_an_absolute_location_on_another_host_gives_its_path_only(client, api):
    api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        return_value=httpx.Response(
            201, headers={"Location": "https://evil.test/api/v1/reseller/5/"}
        )
    )
    r = client.reseller.create(name="Elsewhere")
    assert r.resource_uri == "/api/v1/reseller/5/"
    assert all(url.startswith(BASE) for url, _ in _auth_headers(api))


def test_the_key_is_in_no_repr_log_or_error(client, api, caplog):
    caplog.set_level(logging.DEBUG, logger="mailroute_dyn")
    api.override("GET", f"{BASE}/api/v1/reseller/9/").mock(return_value=httpx.Response(401))
    texts = [
        repr(client),
        repr(client.settings),
        repr(client.reseller.get(1)),
        repr(client.reseller.all()),
    ]
    with pytest.raises(Unauthorized) as info:
        client.reseller.get(9)
    texts += [str(info.value), repr(info.value), caplog.text]
    assert "GET" in caplog.text
    for text in texts:
        assert API_KEY not in text
    sent = [h for _, h in _auth_headers(api)]
    assert f"ApiKey {LOGIN}:{API_KEY}" in sent


@pytest.mark.parametrize(
    "url", ["http://admin.mailroute.net", "ftp://x.test", "nohost", "https://me:pw@x.test"]
)
def test_unsafe_urls_are_refused(url):
    with pytest.raises(ConfigurationError):
        Client(url, LOGIN, API_KEY, cache_dir=None)


def test_plain_http_is_allowed_to_loopback_or_when_asked():
    Client("http://127.0.0.1:8000", LOGIN, API_KEY, cache_dir=None).close()
    Client("http://localhost:8000", LOGIN, API_KEY, cache_dir=None).close()
    Client("http://staging.test", LOGIN, API_KEY, cache_dir=None, allow_insecure=True).close()


def test_settings_come_from_the_environment_and_profiles(monkeypatch, tmp_path):
    monkeypatch.setenv("MAILROUTE_URL", "https://env.mailroute.test")
    monkeypatch.setenv("MAILROUTE_LOGIN", "env-login")
    monkeypatch.setenv("MAILROUTE_API_KEY", "env-fake-key")
    s = resolve_settings(cache_dir=None)
    assert (s.base_url, s.login, s.api_key) == (
        "https://env.mailroute.test",
        "env-login",
        "env-fake-key",
    )
    assert "env-fake-key" not in repr(s)
    config = tmp_path / "config.toml"
    config.write_text('[profiles.staging]\nbase_url = "https://staging.test"\npage_size = 50\n')
    monkeypatch.setenv("MAILROUTE_CONFIG", str(config))
    s = resolve_settings("staging", cache_dir=None)
    assert s.base_url == "https://staging.test" and s.page_size == 50
    assert resolve_settings("staging", page_size=7, cache_dir=None).page_size == 7
    with pytest.raises(ConfigurationError, match="Profiles: staging"):
        resolve_settings("production")
    with pytest.raises(ConfigurationError, match="both login and api_key"):
        resolve_settings(login="x", api_key=None, cache_dir=None) if not monkeypatch.delenv(
            "MAILROUTE_API_KEY"
        ) else None


def test_transport_errors_are_mailroute_errors(api):
    api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(side_effect=httpx.ConnectError("no"))
    with _retrying_client(retries=1) as client, pytest.raises(TransportError, match="ConnectError"):
        client.request("GET", "/api/v1/reseller/1/")


def test_errors_carry_the_answer_headers(client, api):
    api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(
            500, json={"error_message": CANNED}, headers={"X-Sentry-Id": "abc123"}
        )
    )
    with pytest.raises(ServerError) as info:
        client.request("GET", "/api/v1/reseller/1/")
    assert info.value.headers["x-sentry-id"] == "abc123"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([b"Content-Type", b"content-type", b"Vary", b"X-A", "X-Ü".encode()]),
            st.binary(max_size=12).filter(lambda b: b"\r" not in b and b"\n" not in b),
        ),
        max_size=6,
    )
)
def test_answer_headers_read_as_httpx_reads_them(raw):
    """Answers keep headers as httpx's own `items()` gives them (names lower-cased,
    repeats joined), whatever bytes the server sent."""
    from mailroute_dyn.transport.decisions import _header_dict

    headers = httpx.Headers(raw)
    assert _header_dict(headers) == {k.lower(): v for k, v in headers.items()}


# ---------------------------------------------------------------- joining a page's next link

_URL_PARTS = st.sampled_from(
    ["/", "//", "/.", "/..", "./", "?", "#", "&", "=", ";", "%2e", "a", "api", "v1", " ", "\t",
     "\\", "[", "@", ":8000", "x=1", "..", "~"]
)  # fmt: skip


@settings(max_examples=600, deadline=None, database=None)
@given(
    base=st.sampled_from(["http://", "https://", "HTTP://", "http:", "h"]).map(
        lambda scheme: scheme + "127.0.0.1"
    )
    | st.lists(_URL_PARTS, max_size=3).map(lambda rest: "https://mx.example" + "".join(rest)),
    ref=st.builds("".join, st.lists(_URL_PARTS, max_size=8)),
)
def test_a_next_link_joins_as_urljoin_joins_it(base, ref):
    """`join_url` slices the usual link together (it comes once per page); whatever the
    base and the link, the result is urljoin's."""

    def outcome(join: Any) -> object:
        try:
            return join(base, ref)
        except ValueError as exc:  # a base urllib refuses ("Invalid IPv6 URL")
            return type(exc)

    assert outcome(join_url) == outcome(urljoin)


@settings(max_examples=400, deadline=None, database=None)
@given(link=st.text(alphabet="/az09._~%?&=+:,;@!$'()*-[]é \x01", max_size=30).map("/".__add__))
def test_a_link_passed_as_a_plain_path_is_one_every_check_accepts(link):
    """`url_problem` lets a plain path and query through without its checks (every page's
    next link is one): whatever it lets through that way, those checks accept."""
    if not _PLAIN_PATH.fullmatch(link):
        return
    assert url_problem(link) == ""
    parts = urlsplit(link)
    assert not parts.scheme and not parts.netloc and parts.port is None
    assert urlsplit(urlunsplit(parts)) == parts
    assert httpx.URL("http://127.0.0.1:8000" + link).host == "127.0.0.1"


@settings(max_examples=300, deadline=None, database=None)
@given(
    uris=st.lists(
        st.text(alphabet="/apiv1domacount-0129", max_size=24)
        | st.sampled_from(["/api/v1/domain/1/", "/api/v1/domain/", "/api/v1/domains/2/"])
        | st.none()
        | st.integers(),
        min_size=1,
        max_size=8,
    ),
    deeper=st.sampled_from([(), ("/api/v1/domain/alias/",)]),
)
def test_a_page_is_its_resources_exactly_when_every_uri_is(uris, deeper):
    """The page check compares only the first and the last URI in sort order with the
    resource's prefix: it says what checking every URI says."""
    model = SimpleNamespace(
        _list_url="/api/v1/domain/", _catalogue=SimpleNamespace(endpoints_within=lambda own: deeper)
    )
    objects = [{"resource_uri": uri} for uri in uris]
    each = all(
        isinstance(u, str)
        and u.startswith("/api/v1/domain/")
        and not any(u.startswith(d) for d in deeper)
        for u in uris
    )
    assert _all_own(model, objects) == each


def test_the_usual_next_link_is_joined_by_slicing():
    """The case the slicing is for: a Tastypie `meta.next` against the page's URL."""
    base = "http://127.0.0.1:8000/api/v1/domain/?limit=20&offset=0"
    link = "/api/v1/domain/?limit=20&offset=20"
    assert join_url(base, link) == "http://127.0.0.1:8000" + link == urljoin(base, link)


@settings(max_examples=400, deadline=None, database=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.text(alphabet="az09_.~-=& +%é/", max_size=6),
            st.text(alphabet="az09_.~-=& +%é/", max_size=6) | st.integers(-5, 5),
        ),
        max_size=5,
    )
)
def test_a_query_is_encoded_as_urlencode_encodes_it(pairs):
    """`query_string` joins a query with nothing to quote directly (once per page);
    whatever the pairs, the result is urlencode's."""
    assert query_string(pairs) == urlencode(pairs)
