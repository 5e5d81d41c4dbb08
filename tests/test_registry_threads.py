"""One class per resource and client, whatever the threads and however often the schema
is read again."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from mailroute_dyn import Client
from tests.conftest import API_KEY, BASE, LOGIN


def _slow_schemas(api):
    """Schema answers that take a moment, so every thread is inside the build at once."""
    answer = api._schema

    def slow(request: httpx.Request, name: str) -> httpx.Response:
        time.sleep(0.05)
        return answer(request, name)

    api.override("GET", url__regex=r"/api/v1/(?P<name>\w+)/schema/$").mock(side_effect=slow)


def _at_once(threads: int, work):
    """`work()` in `threads` threads that all start together; their results."""
    start = threading.Barrier(threads)

    def run(_):
        start.wait()
        return work()

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, range(threads)))


def test_sixteen_threads_on_a_cold_client_build_one_class(api):
    _slow_schemas(api)
    with Client(BASE, LOGIN, API_KEY, cache_dir=None, retries=0) as client:
        classes = _at_once(16, lambda: client.resource("email_account"))
        assert len({id(c) for c in classes}) == 1


def test_objects_read_by_many_threads_are_of_one_class(api):
    _slow_schemas(api)
    with Client(BASE, LOGIN, API_KEY, cache_dir=None, retries=0) as client:
        objs = _at_once(8, lambda: client.resource("domain").first())
        cls = client.domain
        assert all(isinstance(o, cls) for o in objs)


def test_an_expired_or_refreshed_schema_keeps_the_class_and_its_objects(api):
    # cache_ttl=0: every schema read finds the cached one expired and fetches it again
    with Client(BASE, LOGIN, API_KEY, cache_dir=None, retries=0, cache_ttl=0) as client:
        before = client.domain
        obj = before.first()
        fetched = len(api.requests("/domain/schema/"))
        assert client.domain is before  # read after its schema expired
        assert len(api.requests("/domain/schema/")) > fetched
        client.refresh()
        after = client.domain
        assert after is before
        assert isinstance(obj, after)
