"""Shared test fixtures: the fixture data, a respx-mocked API built from it, and the real
django-tastypie server reached in-process."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import respx
from hypothesis import is_hypothesis_test

from mailroute_dyn import Client
from tests.helpers import KEY, site_client

if TYPE_CHECKING:
    from mailroute_dyn.fake import FakeMailRoute

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BASE = "https://api.mailroute.test"
LOGIN = "tester"
API_KEY = "fake-key-0123456789-not-real"


#: What makes a test slow by what it starts or how much it tries: the real Django site, a
#: pytest run inside pytest, and property tests (hundreds of examples each). Such tests are
#: marked `slow` here, so the day-to-day run (`-m "not slow"`) leaves them to the full one.
SLOW_FIXTURES = frozenset({"tastypie_app", "pytester"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by mark
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        function = getattr(item, "obj", None)
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())) or (
            function is not None and is_hypothesis_test(function)
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _private_state_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run journals written by default (the user state folder) go to a temporary folder,
    never the developer's own."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


def load(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def schema(name: str) -> dict[str, Any]:
    return load(f"schemas/{name}.json")


def objects(name: str) -> list[dict[str, Any]]:
    return load(f"objects/{name}.json")


def list_body(
    objs: list[dict[str, Any]],
    *,
    limit: int = 20,
    offset: int = 0,
    total: int | None = None,
    next_url: str | None = None,
) -> dict[str, Any]:
    return {
        "meta": {
            "limit": limit,
            "offset": offset,
            "next": next_url,
            "previous": None,
            "total_count": len(objs) if total is None else total,
        },
        "objects": objs,
    }


FIXTURE_ROUTES = ("fixture-listing", "fixture-schema", "fixture-list", "fixture-detail")


class FixtureAPI:
    """A respx router answering the listing, schemas, lists and details from fixtures/.

    Lists honour limit/offset only; tests add their own routes for anything else. Every
    request is kept in `calls` so tests can count them.
    """

    def __init__(self, router: respx.MockRouter, *, inline: bool = False):
        self.router = router
        self.listing = load("listing.json")
        self.inline = inline
        self.data = {
            p.stem: json.loads(p.read_text()) for p in (FIXTURES / "objects").glob("*.json")
        }
        self.schemas = {
            p.stem: json.loads(p.read_text()) for p in (FIXTURES / "schemas").glob("*.json")
        }
        api = re.escape(f"{BASE}/api/v1/")
        router.get(f"{BASE}/api/v1/", name="fixture-listing").mock(side_effect=self._listing)
        router.get(url__regex=rf"^{api}(?P<name>\w+)/schema/$", name="fixture-schema").mock(
            side_effect=self._schema
        )
        router.get(url__regex=rf"^{api}(?P<name>\w+)/(\?.*)?$", name="fixture-list").mock(
            side_effect=self._list
        )
        router.get(url__regex=rf"^{api}(?P<name>\w+)/(?P<key>[^/]+)/$", name="fixture-detail").mock(
            side_effect=self._detail
        )

    def _listing(self, request: httpx.Request) -> httpx.Response:
        body = self.listing
        if self.inline and request.url.params.get("fullschema") not in (None, "false", "False"):
            body = {
                n: {"list_endpoint": v["list_endpoint"], "schema": self.schemas[n]}
                for n, v in self.listing.items()
            }
        return httpx.Response(200, json=body)

    def _schema(self, request: httpx.Request, name: str) -> httpx.Response:
        if name not in self.schemas:
            return httpx.Response(404, text="")
        return httpx.Response(200, json=self.schemas[name])

    def _list(self, request: httpx.Request, name: str) -> httpx.Response:
        if name not in self.data:
            return httpx.Response(
                404,
                text="<html><title>Page not found</title></html>",
                headers={"Content-Type": "text/html"},
            )
        limit = int(request.url.params.get("limit", 20))
        offset = int(request.url.params.get("offset", 0))
        objs = self.data[name]
        nxt = (
            f"/api/v1/{name}/?limit={limit}&offset={offset + limit}"
            if offset + limit < len(objs)
            else None
        )
        return httpx.Response(
            200,
            json=list_body(
                objs[offset : offset + limit],
                limit=limit,
                offset=offset,
                total=len(objs),
                next_url=nxt,
            ),
        )

    def _detail(self, request: httpx.Request, name: str, key: str) -> httpx.Response:
        for obj in self.data.get(name, []):
            if str(obj.get("id")) == key:
                return httpx.Response(200, json=obj)
        return httpx.Response(404, text="", headers={"Content-Type": "text/html; charset=utf-8"})

    def override(self, method: str, url: str | None = None, **lookups: Any) -> respx.Route:
        """A route tried before the fixture routes: respx tries routes in the order they
        were added, so the fixture routes are taken out and added again after it (a route
        with a fixture route's very pattern replaces that route, as respx does)."""
        route = self.router.route(method=method, url=url, **lookups)
        for name in FIXTURE_ROUTES:
            fixture = self.router.pop(name, None)
            if fixture is not None:
                self.router.add(fixture, name=name)
        return route

    def requests(self, path_part: str = "") -> list[httpx.Request]:
        return [c.request for c in self.router.calls if path_part in str(c.request.url)]


@pytest.fixture
def api() -> Iterator[FixtureAPI]:
    with respx.mock(assert_all_called=False) as router:
        yield FixtureAPI(router)


@pytest.fixture
def client(api: FixtureAPI) -> Iterator[Client]:
    """The test suite's client: the fixtures/ data answered by respx (`api`)."""
    with Client(BASE, LOGIN, API_KEY, cache_dir=None, retries=0) as c:
        yield c


# ---------------------------------------------------------------- the demo server (the fake)


@pytest.fixture
def demo_fake() -> FakeMailRoute:
    """A fresh fake Tastypie server holding the packaged demo data: a test may write."""
    from mailroute_dyn.fake import DEMO_KEY, DEMO_LOGIN, FakeMailRoute

    return FakeMailRoute(login=DEMO_LOGIN, api_key=DEMO_KEY)


@pytest.fixture
def demo_client(demo_fake: FakeMailRoute) -> Iterator[Client]:
    """`Client.demo()` on `demo_fake`, which the test can look into (`demo_fake.requests`)."""
    with Client.demo(transport=demo_fake) as c:
        yield c


# ---------------------------------------------------------------- the real Tastypie server


@pytest.fixture(scope="session")
def tastypie_app() -> Any:
    """The real django-tastypie server (in-process WSGI), seeded once per session."""
    from tests.tastypie_site import create_user, reset_data, seed_data, wsgi_app

    app = wsgi_app()
    create_user()
    reset_data()
    seed_data(domains=60, accounts_per_domain=3)
    return app


@pytest.fixture
def tastypie_client(tastypie_app: Any) -> Iterator[Client]:

    transport = httpx.WSGITransport(app=tastypie_app)
    with site_client(transport) as c:
        yield c


@pytest.fixture
def tastypie_http() -> Iterator[httpx.Client]:
    """A plain httpx client on the real Tastypie test site with the demo user's key: for
    tests of the site itself, below mailroute_dyn."""
    from tests.tastypie_site import HOST, auth_header, wsgi_app

    transport = httpx.WSGITransport(app=wsgi_app())
    with httpx.Client(
        transport=transport, base_url=f"http://{HOST}", headers=auth_header()
    ) as http:
        yield http


class RecordingTransport(httpx.WSGITransport):
    """The WSGI transport, keeping every request it sends so a test can count them."""

    def __init__(self, app: Any):
        super().__init__(app=app)
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return super().handle_request(request)


# ---------------------------------------------------------------- the site on PostgreSQL


def _require_postgresql() -> Path:
    """PostgreSQL's programs and psycopg, or a skip saying what is missing; on CI
    (`CI=true`) a missing piece fails the test instead, so the pass is never lost."""
    from tests.tastypie_site.postgresql import find_bin_dir

    bin_dir = find_bin_dir()
    missing = (
        []
        if bin_dir
        else [
            "the PostgreSQL server programs (initdb, postgres; Debian: apt-get install postgresql)"
        ]
    )
    if importlib.util.find_spec("psycopg") is None:
        missing.append("psycopg (the [test] extra)")
    if missing:
        reason = "PostgreSQL pass needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: required on CI", pytrace=False)
        pytest.skip(reason)
    assert bin_dir is not None
    return bin_dir


@pytest.fixture(scope="session")
def postgresql_cluster() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster on 127.0.0.1, one per session, removed at the end."""
    from tests.tastypie_site.postgresql import Cluster

    with Cluster(_require_postgresql()) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def postgresql_site(postgresql_cluster: Any) -> Iterator[Any]:
    """The real Tastypie test site served by a process of its own on that cluster
    (`SiteProcess`: `url`, and `reset()` to seed it as the fixtures were exported)."""
    from tests.tastypie_site.serve import SiteProcess

    postgresql_cluster.create_database("site")
    with SiteProcess(postgresql_cluster.url("site")) as site:
        yield site


# ---------------------------------------------------------------- the command line


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No MAILROUTE_* from the developer's shell, no real config or cache dir (command line
    test modules use it for every test: `pytestmark = pytest.mark.usefixtures("isolated")`)."""
    for name in ("MAILROUTE_URL", "MAILROUTE_LOGIN", "MAILROUTE_API_KEY", "MAILROUTE_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAILROUTE_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def fixtures(tmp_path: Path) -> Path:
    """A copy of the demo data that a test may change."""
    from mailroute_dyn.fake import DEMO_DATA

    return Path(shutil.copytree(DEMO_DATA, tmp_path / "fixtures"))


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `fake` profile (key `tests.helpers.KEY`, for `tests.helpers.fake()`) in a
    config.toml that MAILROUTE_CONFIG points at; returns the cache folder it names."""
    cache = tmp_path / "cache"
    config = tmp_path / "config.toml"
    config.write_text(
        "[profiles.fake]\n"
        'base_url = "https://fake.mailroute.test"\n'
        'login = "tester"\n'
        f'api_key = "{KEY}"\n'
        f'cache_dir = "{cache.as_posix()}"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    monkeypatch.setenv("MAILROUTE_CONFIG", str(config))
    return cache


# ---------------------------------------------------------------- the pytest plugin's tests


@pytest.fixture
def plugin_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No MAILROUTE_* variable and no config file of this machine reach a pytester run."""
    for name in ("MAILROUTE_URL", "MAILROUTE_LOGIN", "MAILROUTE_API_KEY", "MAILROUTE_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAILROUTE_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture
def staging(tastypie_app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real Tastypie server on 127.0.0.1, with its credentials in the environment."""
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN, live_server

    monkeypatch.setenv("MAILROUTE_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("MAILROUTE_API_KEY", DEMO_API_KEY)
    with live_server(tastypie_app) as url:
        yield url


def model_rows(model: str) -> int:
    """How many rows the real test server's model `model` holds now."""
    from tests.tastypie_site.mailroute import models

    return int(getattr(models, model).objects.count())


@pytest.fixture
def real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tastypie_app: Any) -> Any:
    """A profile `real` for the real django-tastypie server, and the transport that reaches
    it in-process: a command line test runs `--profile real` with this transport."""
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    config = tmp_path / "real.toml"
    config.write_text(
        '[profiles.real]\nbase_url = "http://tastypie.test"\n'
        f'login = "{DEMO_LOGIN}"\napi_key = "{DEMO_API_KEY}"\n'
        "allow_insecure = true\nretries = 0\n"
    )
    config.chmod(0o600)
    monkeypatch.setenv("MAILROUTE_CONFIG", str(config))
    return httpx.WSGITransport(app=tastypie_app)
