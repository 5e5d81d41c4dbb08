"""`get_or_create()` and `update_or_create()` make one object (issue 18 item 9).

On the real Tastypie server, whose wblist has no unique constraint (so only the client
can keep it to one row): threads of one `Client` and tasks of one `AsyncClient` asking for
the same object at once get one object, created once. A create answered with an error
after which the object may exist (Tastypie's 500 for a uniqueness race the database lost,
any 5xx, a lost answer) is followed by one lookup, never a second POST.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mailroute_dyn import AsyncClient, Client, ServerError
from tests.helpers import site_client

HOST = "http://tastypie.test"
THREADS = 20


def _client(transport: httpx.BaseTransport) -> Client:

    return site_client(transport, HOST)


@pytest.fixture
def domain(tastypie_client: Client) -> Iterator[Any]:
    """A new domain, without wblist entries."""
    customer = tastypie_client.customer.first()
    made = tastypie_client.domain.create(
        name=f"race-{uuid.uuid4().hex[:8]}.test", customer=customer
    )
    yield made
    made.delete()


def _entry(domain: Any, **defaults: Any) -> dict[str, Any]:
    """get_or_create() arguments for the domain's one white-list entry (wblist filters
    its `domain` by key; the create needs its URI)."""
    return {
        "domain__exact": domain.id,
        "wb": "w",
        "defaults": {
            "domain": domain.resource_uri,
            "email": "boss@example.com",
            "rid": "1",
            **defaults,
        },
    }


def _rows(domain: Any) -> int:
    from tests.tastypie_site.mailroute.models import WBList

    return int(WBList.objects.filter(domain_id=domain.id).count())


def _ask(client: Client, domain: Any, method: str) -> tuple[Any, bool]:
    """One object asked for: the domain's white-list entry, or (update_or_create, on a
    resource with PATCH and no unique constraint either) its contact for one address."""
    if method == "get_or_create":
        return client.wblist.get_or_create(**_entry(domain))
    return client.contact_domain.update_or_create(
        email="boss@example.com", domain=domain, defaults={"first_name": "Boss"}
    )


def _made(domain: Any, method: str) -> int:
    from tests.tastypie_site.mailroute.models import ContactDomain

    if method == "get_or_create":
        return _rows(domain)
    return int(ContactDomain.objects.filter(domain_id=domain.id).count())


@pytest.mark.parametrize("method", ["get_or_create", "update_or_create"])
def test_threads_of_one_client_asking_for_one_object_make_one(tastypie_app, domain, method):
    start = threading.Barrier(THREADS)
    results: list[tuple[Any, bool]] = []
    with _client(httpx.WSGITransport(app=tastypie_app)) as client:
        client.preload()

        def ask() -> None:
            start.wait()
            results.append(_ask(client, domain, method))

        threads = [threading.Thread(target=ask) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert len(results) == THREADS
    assert sum(created for _, created in results) == 1
    assert len({obj.id for obj, _ in results}) == 1
    assert _made(domain, method) == 1


def test_tasks_of_one_async_client_asking_for_one_object_make_one(tastypie_app, domain):
    from asgiref.wsgi import WsgiToAsgi

    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    async def main() -> list[tuple[Any, bool]]:
        async with AsyncClient(
            HOST,
            DEMO_LOGIN,
            DEMO_API_KEY,
            cache_dir=None,
            retries=0,
            transport=httpx.ASGITransport(app=WsgiToAsgi(tastypie_app)),
            allow_insecure=True,
        ) as client:
            wblist = await client.resource("wblist")
            return list(
                await asyncio.gather(
                    *(wblist.get_or_create(**_entry(domain)) for _ in range(THREADS))
                )
            )

    results = asyncio.run(main())
    assert sum(created for _, created in results) == 1
    assert len({obj.id for obj, _ in results}) == 1
    assert _rows(domain) == 1


def test_different_objects_are_not_held_up_by_each_other(tastypie_app, tastypie_client):
    """The lock is per object asked for: two domains' entries are made side by side."""
    customer = tastypie_client.customer.first()
    domains = [
        tastypie_client.domain.create(name=f"side-{uuid.uuid4().hex[:8]}.test", customer=customer)
        for _ in range(2)
    ]
    with _client(httpx.WSGITransport(app=tastypie_app)) as client:
        made = [client.wblist.get_or_create(**_entry(d)) for d in domains]
    assert [created for _, created in made] == [True, True]
    assert [_rows(d) for d in domains] == [1, 1]
    for d in domains:
        d.delete()


class PostAnswers500(httpx.BaseTransport):
    """The real server behind a proxy that answers every POST with Tastypie's canned
    500, after passing it on (`create=True`: the object exists) or not."""

    def __init__(self, app: Any, *, create: bool):
        self.inner = httpx.WSGITransport(app=app)
        self.create = create
        self.posts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts += 1
            if self.create:
                self.inner.handle_request(request).read()
            return httpx.Response(
                500,
                json={
                    "error_message": "Sorry, this request could "
                    "not be processed. Please try again later."
                },
            )
        return self.inner.handle_request(request)


def test_a_500_to_a_post_that_created_the_object_gives_that_object(tastypie_app, domain):
    proxy = PostAnswers500(tastypie_app, create=True)
    with _client(proxy) as client:
        found, created = client.wblist.get_or_create(**_entry(domain))
    assert not created and found.email == "boss@example.com"
    assert proxy.posts == 1 and _rows(domain) == 1


def test_a_500_to_a_post_that_created_nothing_raises_after_one_post(tastypie_app, domain):
    proxy = PostAnswers500(tastypie_app, create=False)
    with _client(proxy) as client, pytest.raises(ServerError):
        client.wblist.get_or_create(**_entry(domain))
    assert proxy.posts == 1 and _rows(domain) == 0


def test_update_or_create_after_a_500_updates_the_object_the_post_made(tastypie_app):
    proxy = PostAnswers500(tastypie_app, create=True)
    name = f"Race {uuid.uuid4().hex[:6]}"
    with _client(proxy) as client:
        found, created = client.reseller.update_or_create(
            name=name, defaults={"allow_branding": True}
        )
        assert not created and proxy.posts == 1
        assert client.reseller.get(name=name).allow_branding is True
        found.delete()
