"""Injected faults: each kind as the client sees it, reproducible random faults, one-shot
queued faults, and what a write that happened but lost its answer does to a retry."""

import asyncio
import re
import time

import httpx
import pytest
import respx

from mailroute_dyn import AmbiguousWriteError, AsyncClient, Client, RateLimited, ServerError
from mailroute_dyn.testing import FAULT_KINDS, FakeMailRoute

URL = "https://fake.mailroute.test"
AUTH = {"Authorization": "ApiKey demo:demo-key"}
NEW = {"localpart": "fresh", "domain": "/api/v1/domain/1/"}


@pytest.fixture
def fake():
    return FakeMailRoute()


@pytest.fixture
def http(fake):
    with httpx.Client(transport=fake, base_url=URL, headers=AUTH) as client:
        yield client


def accounts(fake, localpart="fresh"):
    return [a for a in fake.objects("email_account") if a["localpart"] == localpart]


@pytest.mark.parametrize(
    "kind, status, content_type, marker",
    [
        ("500", 500, "application/json", b'"error_message": "Sorry'),
        ("502", 502, "text/html", b"502 Bad Gateway"),
        ("503", 503, "text/html", b"503 Service Temporarily Unavailable"),
        ("504", 504, "text/html", b"504 Gateway Time-out"),
        ("html", 500, "text/html; charset=utf-8", b"<h1>Server Error (500)</h1>"),
        ("429", 429, "text/html; charset=utf-8", b""),
    ],
)
def test_status_faults_answer_without_doing_the_request(
    fake, http, kind, status, content_type, marker
):
    fake.fail_next(kind)
    response = http.post("/api/v1/email_account/", json=NEW)
    assert response.status_code == status
    assert response.headers["content-type"] == content_type
    assert marker in response.content
    assert accounts(fake) == []
    assert fake.requests[-1].fault == kind and fake.requests[-1].status == status
    assert http.post("/api/v1/email_account/", json=NEW).status_code == 201  # one-shot


def test_retry_after_on_429_and_503(fake, http):
    fake.fail_next("429", retry_after=7)
    assert http.get("/api/v1/domain/").headers["retry-after"] == "7"
    fake.fail_next("429")
    assert http.get("/api/v1/domain/").headers["retry-after"] == "0"
    fake.fail_next("503", retry_after=2)
    assert http.get("/api/v1/domain/").headers["retry-after"] == "2"
    fake.fail_next("503")
    assert "retry-after" not in http.get("/api/v1/domain/").headers


def test_a_status_fault_can_carry_the_request_out_first(fake, http):
    fake.fail_next("504", apply=True)
    assert http.post("/api/v1/email_account/", json=NEW).status_code == 504
    assert len(accounts(fake)) == 1


def test_connect_error_means_the_request_never_arrived(fake, http):
    fake.fail_next("connect")
    with pytest.raises(httpx.ConnectError):
        http.post("/api/v1/email_account/", json=NEW)
    assert accounts(fake) == []
    assert fake.requests[-1].fault == "connect" and fake.requests[-1].status is None


def test_timeout(fake, http):
    fake.fail_next("timeout")
    with pytest.raises(httpx.ReadTimeout):
        http.post("/api/v1/email_account/", json=NEW)
    assert accounts(fake) == []
    fake.fail_next("timeout", apply=True)
    with pytest.raises(httpx.ReadTimeout):
        http.post("/api/v1/email_account/", json=NEW)
    assert len(accounts(fake)) == 1


def test_reset_loses_the_answer_of_a_write_that_happened(fake, http):
    fake.fail_next("reset", methods=["POST"])
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/api/v1/email_account/", json=NEW)
    assert len(accounts(fake)) == 1
    retry = http.post("/api/v1/email_account/", json=NEW)  # a blind retry: a duplicate,
    assert retry.status_code == 400  # which (domain, localpart)
    assert "__all__" in retry.json()["email_account"]  # uniqueness refuses here
    assert len(accounts(fake)) == 1


def test_truncated_body(fake, http):
    fake.fail_next("truncated")
    response = http.get("/api/v1/domain/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        response.json()
    whole = http.get("/api/v1/domain/").content
    assert whole.startswith(response.content) and len(response.content) < len(whole)


@pytest.mark.slow
def test_latency_sync_and_async(fake, http):
    fake.fail_next("latency", ms=80)
    started = time.perf_counter()
    assert http.get("/api/v1/domain/1/").status_code == 200
    assert time.perf_counter() - started >= 0.08

    async def timed():
        async with httpx.AsyncClient(transport=fake, base_url=URL, headers=AUTH) as client:
            fake.fail_next("latency", count=3, ms=100)
            started = time.perf_counter()
            answers = await asyncio.gather(*(client.get(f"/api/v1/domain/{i}/") for i in (1, 2, 3)))
            return time.perf_counter() - started, [a.status_code for a in answers]

    elapsed, statuses = asyncio.run(timed())
    assert statuses == [200, 200, 200]
    assert 0.1 <= elapsed < 0.25  # slept concurrently, not 0.3 s


def test_queued_faults_are_scoped_and_counted(fake, http):
    fake.fail_next("503", count=2, methods=["GET"], paths=[re.compile(r"/domain/\d+/$")])
    assert fake.pending_faults == 2
    assert http.get("/api/v1/email_account/1/").status_code == 200
    assert http.post("/api/v1/contact_domain/", json={}).status_code == 400
    assert http.get("/api/v1/domain/1/").status_code == 503
    assert http.get("/api/v1/domain/").status_code == 200
    assert http.get("/api/v1/domain/2/").status_code == 503
    assert http.get("/api/v1/domain/2/").status_code == 200
    assert fake.pending_faults == 0


def test_random_faults_are_reproducible(fake, http):
    def run():
        fake.reset()
        fake.faults(rate=0.5, kinds=("500", "503", "429"), seed=42, paths=["/api/v1/domain"])
        statuses = [http.get("/api/v1/domain/1/").status_code for _ in range(40)]
        statuses.append(http.get("/api/v1/email_account/1/").status_code)
        return statuses

    first = run()
    assert first == run()
    assert first[-1] == 200  # outside `paths`
    assert {500, 503, 429, 200} == set(first)
    assert 8 < sum(s != 200 for s in first) < 32
    fake.faults(None)
    assert all(http.get("/api/v1/domain/1/").status_code == 200 for _ in range(20))
    fake.faults(rate=1.0, kinds=("500",))
    fake.fail_next("503")
    fake.clear_faults()
    assert http.get("/api/v1/domain/1/").status_code == 200


def test_fault_options_are_checked(fake):
    with pytest.raises(ValueError, match="Unknown fault kind"):
        fake.fail_next("418")
    with pytest.raises(TypeError, match="Unknown fault options"):
        fake.faults(rate=0.1, kinds=("500",), colour="red")
    assert set(FAULT_KINDS) >= {
        "500",
        "502",
        "503",
        "504",
        "429",
        "timeout",
        "connect",
        "reset",
        "truncated",
        "html",
        "latency",
    }


def test_requests_are_recorded_and_reset_restores_the_fixture(fake, http):
    http.get("/api/v1/domain/?name=acme-001.com&limit=1")
    http.delete("/api/v1/domain/1/")
    seen = fake.requests[0]
    assert (seen.method, seen.path, seen.query) == (
        "GET",
        "/api/v1/domain/",
        (("name", "acme-001.com"), ("limit", "1")),
    )
    assert fake.count("DELETE") == 1 and fake.count(path="/api/v1/domain/") == 2
    assert http.get("/api/v1/domain/1/").status_code == 404
    fake.reset()
    assert fake.requests == []
    assert http.get("/api/v1/domain/1/").status_code == 200


def test_as_a_respx_side_effect(fake):
    with respx.mock(assert_all_called=True) as mock:
        mock.route(host="fake.mailroute.test").mock(side_effect=fake)
        with httpx.Client(base_url=URL, headers=AUTH) as client:
            assert client.get("/api/v1/domain/1/").json()["name"] == "acme-001.com"
            created = client.post("/api/v1/email_account/", json=NEW)
    assert created.headers["location"] == "/api/v1/email_account/31/"


# ---------------------------------------------------------------- through the client


def test_retries_list_every_object_exactly_once(fake):
    with Client(
        base_url=URL,
        login="demo",
        api_key="demo-key",
        transport=fake,
        cache_dir=None,
        retries=5,
        backoff=0,
        page_size=2,
    ) as client:
        fake.faults(rate=0.3, kinds=("503", "429", "timeout", "connect"), seed=1)
        found = [a.resource_uri for a in client.email_account.all()]
        found += [d.resource_uri for d in client.domain.all()]
    faulted = [r.fault for r in fake.requests if r.fault]
    assert len(faulted) >= 5 and set(faulted) == {"503", "429", "timeout", "connect"}
    assert sorted(found) == sorted(
        o["resource_uri"] for o in fake.objects("email_account") + fake.objects("domain")
    )
    assert len(found) == len(set(found)) == 45


def test_async_listing_under_faults(fake):
    async def run():
        async with AsyncClient(
            base_url=URL,
            login="demo",
            api_key="demo-key",
            transport=fake,
            cache_dir=None,
            retries=6,
            backoff=0,
            page_size=4,
        ) as client:
            await client.preload()
            fake.faults(rate=0.3, kinds=("502", "timeout", "latency"), seed=3, ms=5)
            return [a.id async for a in client.email_account.all()]

    assert asyncio.run(run()) == list(range(1, 31))


def test_client_gives_up_with_the_last_error(fake):
    with Client(
        base_url=URL,
        login="demo",
        api_key="demo-key",
        transport=fake,
        cache_dir=None,
        retries=2,
        backoff=0,
    ) as client:
        client.resource("domain")
        fake.fail_next("503", count=3)
        with pytest.raises(ServerError):
            client.domain.get(1)
        assert fake.count(path="/api/v1/domain/1/") == 3
        fake.fail_next("429", count=3, retry_after=0)
        with pytest.raises(RateLimited):
            client.domain.get(1)


def test_a_lost_create_answer_is_ambiguous_and_dedupe_finds_it(fake):
    with Client(
        base_url=URL,
        login="demo",
        api_key="demo-key",
        transport=fake,
        cache_dir=None,
        retries=3,
        backoff=0,
    ) as client:
        dom = client.domain.get(1)
        fake.fail_next("reset", methods=["POST"])
        with pytest.raises(AmbiguousWriteError):
            client.email_account.create(localpart="fresh", domain=dom)
        assert len(accounts(fake)) == 1  # it did happen, once
        fake.fail_next("reset", methods=["POST"])
        made = client.email_account.create(
            localpart="again", domain=dom, dedupe_on=("localpart", "domain")
        )
    assert len(accounts(fake, "again")) == 1
    assert made.resource_uri == accounts(fake, "again")[0]["resource_uri"]


def test_a_retried_delete_whose_first_try_worked_succeeds(fake):
    with Client(
        base_url=URL,
        login="demo",
        api_key="demo-key",
        transport=fake,
        cache_dir=None,
        retries=3,
        backoff=0,
    ) as client:
        acct = client.email_account.get(1)
        fake.fail_next("reset", methods=["DELETE"])
        acct.delete()
    assert fake.count("DELETE") == 2
    assert all(a["id"] != 1 for a in fake.objects("email_account"))


# ---------------------------------------------------------------- around another transport


@pytest.mark.parametrize(
    "kind, reaches_server",
    [("503", False), ("connect", False), ("timeout", False), ("reset", True), ("truncated", True)],
)
def test_faulty_transport_sends_only_what_the_fault_lets_through(kind, reaches_server):
    """Around a real server's transport, a fault that does not apply the request must not
    reach it (no write), and one that does must (the lost-answer case)."""
    from mailroute_dyn.testing import FaultyTransport

    server = FakeMailRoute()
    faulty = FaultyTransport(server)
    faulty.fail_next(kind, methods=["POST"])
    with httpx.Client(transport=faulty, base_url=URL, headers=AUTH) as http:
        try:
            answer = http.post("/api/v1/email_account/", json=NEW)
        except httpx.TransportError:
            answer = None
    assert (answer is None) == (kind in ("connect", "timeout", "reset"))
    assert len(accounts(server)) == (1 if reaches_server else 0)
    assert server.count("POST") == (1 if reaches_server else 0)
    assert [r.fault for r in faulty.requests] == [kind]
    assert faulty.pending_faults == 0


def test_faulty_transport_gives_the_same_answers_as_the_fake():
    from mailroute_dyn.testing import FaultyTransport

    wrapped, alone = FaultyTransport(FakeMailRoute()), FakeMailRoute()
    answers = []
    for transport in (wrapped, alone):
        transport.fail_next("429", retry_after=3)
        transport.fail_next("truncated")
        with httpx.Client(transport=transport, base_url=URL, headers=AUTH) as http:
            limited = http.get("/api/v1/domain/1/")
            cut = http.get("/api/v1/domain/1/")
        answers.append(
            (
                limited.status_code,
                limited.headers["retry-after"],
                cut.status_code,
                cut.headers["content-type"],
                cut.content,
            )
        )
    assert answers[0] == answers[1]


def test_faulty_transport_works_for_the_async_client():
    from mailroute_dyn.testing import FaultyTransport

    server = FakeMailRoute()
    faulty = FaultyTransport(server)

    async def run():
        faulty.fail_next("reset", methods=["POST"])
        async with AsyncClient(
            URL, "demo", "demo-key", transport=faulty, cache_dir=None, backoff=0
        ) as client:
            account = await client.resource("email_account")
            with pytest.raises(AmbiguousWriteError):
                await account.create(localpart="fresh", domain="/api/v1/domain/1/")

    asyncio.run(run())
    assert len(accounts(server)) == 1
