"""The core (operation types, vocabulary, values, schema, discovery) is I/O-free: it needs
no httpx and writes no file while an operation runs. The session that drives operations
saves the schema cache between them, for the sync and the async client alike."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import respx

from mailroute_dyn import AsyncClient, Client
from mailroute_dyn.operations import Answer, Call, Parallel
from mailroute_dyn.schema.discovery import Discovery
from mailroute_dyn.settings.config import resolve_settings
from mailroute_dyn.transport.cache_files import CacheKeeper, DiskCache
from mailroute_dyn.transport.sessions import AsyncSession, SyncSession
from tests.conftest import API_KEY, BASE, LOGIN, FixtureAPI, load, schema
from tests.helpers import PACKAGE

ROOT = Path(__file__).resolve().parent.parent
CORE = (
    "operations",
    "vocabulary",
    "schema.conversions",
    "schema.definition",
    "schema.discovery",
    "transport.cache_files",
)


def test_the_core_imports_without_httpx():
    # the package's own __init__ brings the clients (and httpx): load the core modules
    # from a bare package shell with httpx and httpcore made unimportable
    code = f"""
import sys, types
sys.modules["httpx"] = None
sys.modules["httpcore"] = None
shell = types.ModuleType("mailroute_dyn")
shell.__path__ = [{str(PACKAGE)!r}]
sys.modules["mailroute_dyn"] = shell
import importlib
for name in {CORE!r}:
    importlib.import_module("mailroute_dyn." + name)
print("ok", sorted(m for m in sys.modules if m.startswith(("httpx", "httpcore"))
                   and sys.modules[m] is not None))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok []"


def _settings(tmp_path: Path):
    return resolve_settings(
        None, base_url=BASE, login=LOGIN, api_key=API_KEY, cache_dir=tmp_path / "cache"
    )


def _files(tmp_path: Path) -> list[Path]:
    return [p for p in tmp_path.rglob("*") if p.is_file()]


def test_discovery_operations_write_no_file_and_hand_the_state_to_the_session(tmp_path):
    settings = _settings(tmp_path)
    discovery = Discovery(settings)
    op = discovery.schema("domain")
    call = next(op)
    assert call == Call("GET", "/api/v1/", (("fullschema", "true"),))
    call = op.send(Answer(200, {}, load("listing.json"), BASE + "/api/v1/"))
    assert call.url.endswith("/domain/schema/")
    with pytest.raises(StopIteration) as done:
        op.send(Answer(200, {}, schema("domain"), BASE + call.url))
    assert done.value.value == schema("domain")
    assert _files(tmp_path) == []  # the operation wrote nothing
    keeper = CacheKeeper(DiskCache(settings), discovery.unsaved)
    keeper.save()  # what a session does after the operation
    assert len(_files(tmp_path)) == 1
    assert discovery.unsaved() is None  # nothing new: nothing more to write
    warm = Discovery(settings, DiskCache(settings).load())
    assert warm.cached_schema("domain") == schema("domain")


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_session_saves_the_cache_after_the_operation_not_during_it(tmp_path, kind):
    seen_during: list[list[Path]] = []
    with respx.mock(assert_all_called=False) as router:

        def schema_answer(request: httpx.Request, name: str) -> httpx.Response:
            seen_during.append(_files(tmp_path))  # the listing is known, yet not on disk
            return httpx.Response(200, json=schema(name))

        # routed before the fixture API's own routes (respx tries them in order)
        router.get(url__regex=r"/api/v1/(?P<name>\w+)/schema/$").mock(side_effect=schema_answer)
        FixtureAPI(router)
        options = {"cache_dir": tmp_path / "cache"}
        if kind == "sync":
            with Client(BASE, LOGIN, API_KEY, **options) as client:
                assert client.resource("domain").resource_name == "domain"
        else:

            async def main() -> None:
                async with AsyncClient(BASE, LOGIN, API_KEY, **options) as client:
                    assert (await client.resource("domain")).resource_name == "domain"

            asyncio.run(main())
    assert seen_during == [[]]
    assert len(_files(tmp_path)) == 1  # saved once the operation was over


def test_refresh_removes_the_cache_file(api, tmp_path):
    with Client(BASE, LOGIN, API_KEY, cache_dir=tmp_path / "cache") as client:
        client.domain
        assert len(_files(tmp_path)) == 1
        client.refresh()
        assert _files(tmp_path) == []


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_every_constructor_argument_reaches_the_settings(cls, tmp_path):
    given = {
        "api_path": "/api/v2/",
        "timeout": 7.5,
        "retries": 4,
        "backoff": 0.25,
        "retry_budget": 12.0,
        "page_size": 33,
        "concurrency": 3,
        "cache_ttl": 60.0,
        "cache_dir": tmp_path,
        "allow_insecure": False,
        "read_only": True,
        "max_rate": 5.0,
    }
    params = set(inspect.signature(cls.__init__).parameters)
    assert params - {"self", "base_url", "login", "api_key", "auth", "transport", "profile"} == set(
        given
    )  # a new argument needs a line here
    client = cls(BASE, LOGIN, API_KEY, **given)
    for name, value in given.items():
        assert getattr(client.settings, name) == value, name
    assert client.settings.base_url == BASE and client.settings.login == LOGIN
    assert client.settings.api_key is not None and client.settings.api_key.reveal() == API_KEY
    if cls is Client:
        client.close()
    else:
        asyncio.run(client.close())


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_sub_operations_run_in_parallel_leave_the_saving_to_the_outer_operation(tmp_path, kind):
    settings = _settings(tmp_path)
    discovery = Discovery(settings)
    seen_during: list[list[Path]] = []

    def outer():
        schemas = yield Parallel((discovery.schema("domain"), discovery.schema("wblist")))
        yield Call("GET", "/api/v1/domain/")  # the schemas are known, not yet on disk
        return schemas

    with respx.mock(assert_all_called=False) as router:

        def listing_page(request: httpx.Request) -> httpx.Response:
            seen_during.append(_files(tmp_path))
            return httpx.Response(200, json={"meta": {}, "objects": []})

        router.get(url__regex=r"/api/v1/domain/(\?.*)?$").mock(side_effect=listing_page)
        FixtureAPI(router)
        if kind == "sync":
            session = SyncSession(settings)
            session.cache = CacheKeeper(DiskCache(settings), discovery.unsaved)
            schemas = session.run(outer())
            session.close()
        else:

            async def main():
                session = AsyncSession(settings)
                session.cache = CacheKeeper(DiskCache(settings), discovery.unsaved)
                try:
                    return await session.run(outer())
                finally:
                    await session.close()

            schemas = asyncio.run(main())
    assert schemas == [schema("domain"), schema("wblist")]
    assert seen_during == [[]]
    assert len(_files(tmp_path)) == 1
