"""Trust on a hostile network and server: credentials of every Tastypie kind (proven on the
real Tastypie site), secrets out of tracebacks, proxies, decompression bombs, the
whole-request deadline, only `MailRouteError` escaping, and a shared cache folder."""

from __future__ import annotations

import asyncio
import gzip
import os
import pickle
import socket
import stat
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from mailroute_dyn import (
    AmbiguousWriteError,
    ApiKeyAuth,
    AsyncClient,
    BasicAuth,
    Client,
    ConfigurationError,
    DigestAuth,
    GuardError,
    MailRouteError,
    ResponseError,
    SchemaError,
    Secret,
    SessionAuth,
    TransportError,
    Unauthorized,
    UnreadableWriteAnswer,
)
from mailroute_dyn.cli import main
from mailroute_dyn.errors import OriginError
from tests.conftest import API_KEY, BASE, LOGIN, objects
from tests.helpers import serve

pytest_plugins = ["pytester"]


# ---------------------------------------------------------------- little socket servers


def _answer_json(sock: socket.socket, head: bytes) -> None:
    sock.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
    )


def _drip(
    what: str, finished: list[bool], seconds: float = 4.0
) -> Callable[[socket.socket, bytes], None]:
    """An answer with its headers or its body sent a byte at a time for `seconds` (the rest
    at once). When the client waits it out, `finished` gets a True."""
    body = b"[" + b"1," * int(seconds / 0.05) + b"1]"
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    )
    slow = head if what == "headers" else body

    def handle(sock: socket.socket, _: bytes) -> None:
        if what == "body":
            sock.sendall(head)
        for byte in slow:
            sock.sendall(bytes([byte]))
            time.sleep(seconds / len(slow))
        if what == "headers":
            sock.sendall(body)
        finished.append(True)

    return handle


def _plain(url: str, **kw: Any) -> Client:
    return Client(url, LOGIN, API_KEY, cache_dir=None, **{"retries": 0, **kw})


# ---------------------------------------------------------------- 9: proxies


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    for name in (
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "http_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    return lambda url: monkeypatch.setenv("HTTP_PROXY", url)


@pytest.mark.slow
def test_the_key_never_goes_through_a_plain_http_proxy(proxy_env):
    with serve(_answer_json) as (proxy, proxied), serve(_answer_json) as (origin, direct):
        proxy_env(proxy)
        with _plain(origin) as client:
            assert client.request("GET", "/api/v1/") == {}

        async def run() -> Any:
            async with AsyncClient(origin, LOGIN, API_KEY, cache_dir=None, retries=0) as c:
                return await c.request("GET", "/api/v1/")

        assert asyncio.run(run()) == {}
    assert proxied == []
    assert len(direct) == 2 and all(f"ApiKey {LOGIN}:".encode() in h for h in direct)


def _refuse_tunnel(sock: socket.socket, head: bytes) -> None:
    sock.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_https_origins_still_use_the_environment_proxy(proxy_env, monkeypatch):
    with serve(_refuse_tunnel) as (proxy, tunnels):
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        with _plain("https://api.mailroute.test") as client, pytest.raises(MailRouteError):
            client.request("GET", "/api/v1/")
    # the request asked the proxy for a tunnel; the key would only travel inside it
    assert len(tunnels) == 1 and tunnels[0].startswith(b"CONNECT api.mailroute.test:443 ")
    assert str(API_KEY).encode() not in tunnels[0]


# ---------------------------------------------------------------- 11: decompression bombs


@pytest.mark.slow
def test_a_gzip_bomb_is_stopped_at_the_decoded_limit(api, monkeypatch):
    monkeypatch.setattr("mailroute_dyn.transport.limits.MAX_BODY_BYTES", 1_000_000)
    bomb = gzip.compress(b"[" + b"0," * 10_000_000 + b"0]", compresslevel=9)
    assert len(bomb) < 100_000
    api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(
            200,
            content=bomb,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
    )
    with _plain(BASE) as client, pytest.raises(ResponseError, match="larger than"):
        client.request("GET", "/api/v1/reseller/1/")

    async def run() -> None:
        async with AsyncClient(BASE, LOGIN, API_KEY, cache_dir=None, retries=0) as c:
            await c.request("GET", "/api/v1/reseller/1/")

    with pytest.raises(ResponseError, match="larger than"):
        asyncio.run(run())


# ---------------------------------------------------------------- 12: a total deadline

# The server notices the client hang up mid-drip: `finished` stays empty. A client that
# waited for the whole answer (as before) would see it end and then complain too late.


@pytest.mark.slow
@pytest.mark.parametrize("what", ["body", "headers"])
def test_timeout_bounds_an_answer_dripping_a_byte_at_a_time(what):
    finished: list[bool] = []
    with serve(_drip(what, finished)) as (url, _), _plain(url, timeout=0.4) as client:
        with pytest.raises(TransportError, match="Timeout"):
            client.request("GET", "/api/v1/")
    assert finished == []


@pytest.mark.slow
@pytest.mark.parametrize("what", ["body", "headers"])
def test_async_timeout_bounds_an_answer_dripping_a_byte_at_a_time(what):
    async def run() -> Any:
        async with AsyncClient(url, LOGIN, API_KEY, cache_dir=None, retries=0, timeout=0.4) as c:
            return await c.request("GET", "/api/v1/")

    finished: list[bool] = []
    with serve(_drip(what, finished)) as (url, _):
        with pytest.raises(TransportError, match="Timeout"):
            asyncio.run(run())
    assert finished == []


@pytest.mark.slow
def test_a_dripping_post_is_an_ambiguous_write_not_a_hang():
    finished: list[bool] = []
    with serve(_drip("body", finished)) as (url, heads), _plain(url, timeout=0.4) as client:
        with pytest.raises(AmbiguousWriteError):
            client.request("POST", "/api/v1/reseller/", json={"name": "x"})
    assert len(heads) == 1 and finished == []


# ---------------------------------------------------------------- 14: only MailRouteError


def test_json_nested_too_deep_is_a_response_error(client, api):
    deep = b"[" * 100_000 + b"]" * 100_000
    api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(200, content=deep, headers={"Content-Type": "application/json"})
    )
    with pytest.raises(ResponseError, match="nested too deeply"):
        client.request("GET", "/api/v1/reseller/1/")


@pytest.mark.parametrize(
    "location", ["https://api.mailroute.test:99999/api/v1/reseller/2/", "http://[::1/api/"]
)
def test_a_redirect_to_an_unusable_url_is_a_mailroute_error(client, api, location):
    api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(302, headers={"Location": location})
    )
    with pytest.raises(MailRouteError, match="unusable URL|Invalid URL"):
        client.request("GET", "/api/v1/reseller/1/")


def test_a_listing_with_a_non_string_list_endpoint_is_a_schema_error(client, api):
    api.listing = {"reseller": {"list_endpoint": 5}}
    with pytest.raises(SchemaError, match="list_endpoint"):
        client.resources  # noqa: B018


def test_saving_an_object_whose_id_is_empty_sends_nothing(client, api):
    reseller = client.reseller.all().first()
    blank = type(reseller)._from_raw({**reseller.to_dict(), "id": "", "resource_uri": ""})
    blank.name = "Renamed"
    before = len(api.router.calls)
    with pytest.raises(GuardError, match="Not a usable key"):
        blank.save()
    assert len(api.router.calls) == before


def test_repr_of_a_client_whose_constructor_failed_is_safe():
    client = Client.__new__(Client)
    with pytest.raises(ConfigurationError):
        client.__init__("http://remote.example.test", LOGIN, API_KEY, cache_dir=None)
    assert "not set up" in repr(client)


_BROKEN_201 = {
    "bad Location": httpx.Response(201, headers={"Location": "http://[::1/api/v1/reseller/9/"}),
    "bad JSON": httpx.Response(
        201, content=b'{"id": 9, "name": ', headers={"Content-Type": "application/json"}
    ),
}


@pytest.mark.parametrize("answer", list(_BROKEN_201), ids=list(_BROKEN_201))
def test_an_unreadable_201_is_a_write_that_happened_and_is_never_posted_twice(api, answer):
    post = api.override("POST", f"{BASE}/api/v1/reseller/").mock(return_value=_BROKEN_201[answer])
    with _plain(BASE, retries=3) as client:
        with pytest.raises(UnreadableWriteAnswer, match="carried out") as info:
            client.reseller.create(name="Made Once")
        assert isinstance(info.value, AmbiguousWriteError)
        assert post.call_count == 1
        # dedupe_on finds nothing here (the fixtures lack it): still no second POST
        with pytest.raises(UnreadableWriteAnswer):
            client.reseller.create(name="Made Once", dedupe_on=("name",))
        assert post.call_count == 2


def test_dedupe_on_finds_the_object_an_unreadable_201_created(api):
    existing = objects("reseller")[0]
    post = api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        return_value=_BROKEN_201["bad Location"]
    )
    api.override("GET", f"{BASE}/api/v1/reseller/", params={"name": existing["name"]}).mock(
        return_value=httpx.Response(
            200,
            json={
                "meta": {"limit": 2, "offset": 0, "next": None, "total_count": 1},
                "objects": [existing],
            },
        )
    )
    with _plain(BASE) as client:
        made = client.reseller.create(name=existing["name"], dedupe_on=("name",))
    assert made.id == existing["id"] and post.call_count == 1


# ---------------------------------------------------------------- 15: a shared cache folder


def test_a_shared_cache_dir_is_never_chmodded(api, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    with Client(BASE, LOGIN, API_KEY, cache_dir=shared) as client:
        client.preload()
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777
    own = shared / "schemas"
    [file] = list(own.iterdir())
    assert stat.S_IMODE(os.stat(own).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_subfolder_someone_left_open_is_not_used(api, tmp_path):
    (tmp_path / "schemas").mkdir()
    os.chmod(tmp_path / "schemas", 0o777)
    with Client(BASE, LOGIN, API_KEY, cache_dir=tmp_path) as client:
        client.preload()
    assert list((tmp_path / "schemas").iterdir()) == []
    assert stat.S_IMODE(os.stat(tmp_path / "schemas").st_mode) == 0o777


# ---------------------------------------------------------------- 10: secrets in tracebacks

PASSWORD = "basic-fake-password-0123"
SESSION = "sessionfakesessionid0123456789ab"
CSRF = "csrffaketoken0123456789abcdefABCD"
SECRETS = (API_KEY, PASSWORD, SESSION, CSRF)


def _library_locals(exc: BaseException) -> list[str]:
    """repr() of every local of every library frame the traceback went through."""
    shown = []
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        if frame.f_globals.get("__name__", "").startswith("mailroute_dyn"):
            shown += [
                f"{frame.f_code.co_name}: {name}={value!r}"
                for name, value in frame.f_locals.items()
            ]
    return shown


_KINDS: dict[str, dict[str, Any]] = {
    "apikey": {"login": LOGIN, "api_key": API_KEY},
    "basic": {"auth": BasicAuth(LOGIN, PASSWORD)},
    "session": {"auth": SessionAuth(SESSION, CSRF)},
}


@pytest.mark.parametrize("kind", list(_KINDS))
def test_no_library_frame_holds_a_credential_in_its_locals(api, kind, tmp_path, monkeypatch):
    failures: list[BaseException] = []
    api.override("GET", f"{BASE}/api/v1/reseller/9/").mock(return_value=httpx.Response(401))
    api.override("GET", f"{BASE}/api/v1/reseller/8/").mock(
        side_effect=httpx.ConnectError("refused")
    )
    with Client(BASE, cache_dir=None, retries=0, **_KINDS[kind]) as client:
        for url in ("https://evil.test/api/v1/", "/api/v1/reseller/9/", "/api/v1/reseller/8/"):
            with pytest.raises(MailRouteError) as info:
                client.request("GET", url)
            failures.append(info.value)
        with pytest.raises(MailRouteError) as info:
            client.reseller.get(9)
        failures.append(info.value)

    async def run() -> None:
        async with AsyncClient(BASE, cache_dir=None, retries=0, **_KINDS[kind]) as c:
            await c.request("GET", "/api/v1/reseller/9/")

    with pytest.raises(Unauthorized) as info:
        asyncio.run(run())
    failures.append(info.value)
    with pytest.raises(ConfigurationError) as info:
        Client("http://remote.example.test", cache_dir=None, **_KINDS[kind])
    failures.append(info.value)
    config = tmp_path / "config.toml"  # a profile holding every kind of secret
    config.write_text(
        f'[profiles.p]\nbase_url = "http://remote.example.test"\n'
        f'login = "{LOGIN}"\napi_key = "{API_KEY}"\npassword = "{PASSWORD}"\n'
        f'sessionid = "{SESSION}"\ncsrftoken = "{CSRF}"\n'
    )
    config.chmod(0o600)  # private, as a key file should be
    monkeypatch.setenv("MAILROUTE_CONFIG", str(config))
    for profile_kind in ("apikey", "basic", "session"):
        with pytest.raises(ConfigurationError) as info:
            Client(profile="p", auth=profile_kind, cache_dir=None)
        failures.append(info.value)
    config.write_text(config.read_text() + "typo_setting = 1\n")
    with pytest.raises(ConfigurationError, match="unknown setting") as info:
        Client(profile="p", cache_dir=None)
    failures.append(info.value)
    assert [type(f).__name__ for f in failures][:3] == [
        "OriginError",
        "Unauthorized",
        "TransportError",
    ]
    shown = "\n".join(line for f in failures for line in _library_locals(f))
    assert "build_request" in shown and "__init__" in shown
    for secret in SECRETS:
        assert secret not in shown
        assert all(secret not in text for f in failures for text in (str(f), repr(f)))


@pytest.mark.slow  # a whole pytest run inside
def test_a_plugin_setup_error_shown_with_locals_never_prints_the_key(pytester, monkeypatch):
    monkeypatch.setenv("MAILROUTE_LOGIN", "someone")
    monkeypatch.setenv("MAILROUTE_API_KEY", API_KEY)
    pytester.makepyfile("""
        def test_real(mailroute):
            pass
    """)
    result = pytester.runpytest("-l", "--tb=long", "--mailroute-url", "http://remote.example.test")
    assert result.ret != 0  # the staging switch stops the run with one line
    text = result.stdout.str() + result.stderr.str()
    assert "Refusing plain http" in text
    assert API_KEY not in text


def test_a_secret_never_shows_itself():
    secret = Secret(API_KEY)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r:>40}", "%s" % secret):  # noqa: UP031
        assert API_KEY not in text
    assert secret == API_KEY and secret == Secret(API_KEY) and secret != "other"
    assert secret.reveal() == API_KEY
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    for auth in (
        BasicAuth(LOGIN, PASSWORD),
        DigestAuth(LOGIN, PASSWORD),
        SessionAuth(SESSION, CSRF),
    ):
        assert not any(s in repr(auth) + repr(vars(auth)) for s in SECRETS)


# ---------------------------------------------------------------- 4: any Tastypie auth


@pytest.fixture
def auth_site(tastypie_app: Any) -> Any:
    from tests.tastypie_site import DEMO_LOGIN
    from tests.tastypie_site.mailroute.auth_api import set_password

    set_password(DEMO_LOGIN, PASSWORD)
    return tastypie_app


def _site_client(app: Any, base: str, path: str, **kw: Any) -> Client:
    return Client(
        base,
        api_path=path,
        transport=httpx.WSGITransport(app=app),
        cache_dir=None,
        retries=0,
        allow_insecure=True,
        **kw,
    )


def _crud(client: Client, name: str) -> None:
    Reseller = client.reseller
    made = Reseller.create(name=name)
    made.allow_branding = True
    made.save()
    assert Reseller.get(made.id).allow_branding is True
    assert Reseller.filter(name=name).count() == 1
    made.delete()
    assert not Reseller.filter(name=name).exists()


def test_basic_auth_reads_and_writes_on_a_real_basic_auth_api(auth_site):
    from tests.tastypie_site import DEMO_LOGIN

    with _site_client(
        auth_site, "http://tastypie.test", "/auth/basic/", auth=BasicAuth(DEMO_LOGIN, PASSWORD)
    ) as client:
        assert client.resources == ["reseller"]
        _crud(client, "Basic Auth Reseller")
    with _site_client(
        auth_site,
        "http://tastypie.test",
        "/auth/basic/",
        auth=BasicAuth(DEMO_LOGIN, "wrong-" + PASSWORD),
    ) as client:
        with pytest.raises(Unauthorized):
            list(client.reseller.all())


def test_session_auth_sends_the_csrf_token_on_writes_to_a_real_session_api(auth_site):
    from tests.tastypie_site import DEMO_LOGIN
    from tests.tastypie_site.mailroute.auth_api import session_login

    sessionid, csrftoken = session_login(DEMO_LOGIN)
    # https: Django then also wants a same-origin Referer on writes
    with _site_client(
        auth_site, "https://tastypie.test", "/auth/session/", auth=SessionAuth(sessionid, csrftoken)
    ) as client:
        _crud(client, "Session Auth Reseller")
    with _site_client(
        auth_site, "https://tastypie.test", "/auth/session/", auth=SessionAuth(sessionid)
    ) as client:
        assert client.reseller.all().count() >= 1  # reads need no CSRF token
        with pytest.raises(Unauthorized):
            client.reseller.create(name="Without A CSRF Token")


def test_profiles_and_the_cli_log_in_with_basic_and_session(
    auth_site, tmp_path, monkeypatch, capsys
):
    from tests.tastypie_site import DEMO_LOGIN
    from tests.tastypie_site.mailroute.auth_api import session_login

    for name in ("MAILROUTE_URL", "MAILROUTE_LOGIN", "MAILROUTE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    sessionid, csrftoken = session_login(DEMO_LOGIN)
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.basic]\nbase_url = "http://tastypie.test"\napi_path = "/auth/basic/"\n'
        "allow_insecure = true\n"
        f'auth = "basic"\nlogin = "{DEMO_LOGIN}"\npassword = "{PASSWORD}"\n'
        '[profiles.session]\nbase_url = "https://tastypie.test"\n'
        'api_path = "/auth/session/"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)  # private, as a key file should be
    monkeypatch.setenv("MAILROUTE_CONFIG", str(config))
    with Client(
        profile="basic", transport=httpx.WSGITransport(app=auth_site), cache_dir=None
    ) as client:
        assert isinstance(client.settings.auth, BasicAuth)
        _crud(client, "Profile Auth Reseller")
    monkeypatch.setenv("MAILROUTE_SESSIONID", sessionid)
    monkeypatch.setenv("MAILROUTE_CSRFTOKEN", csrftoken)
    transport = httpx.WSGITransport(app=auth_site)
    try:
        code = main(
            [
                "--profile",
                "session",
                "--auth",
                "session",
                "--no-cache",
                "-v",
                "create",
                "reseller",
                "name=Made By The CLI",
            ],
            transport=transport,
        )
        out, err = capsys.readouterr()
        assert code == 0, err
        code = main(
            ["--profile", "session", "--auth", "session", "--no-cache", "-v", "list", "reseller"],
            transport=transport,
        )
        listed, err2 = capsys.readouterr()
    finally:  # the site's data is shared by the whole session
        from tests.tastypie_site.mailroute.models import Reseller

        Reseller.objects.filter(name="Made By The CLI").delete()
    assert code == 0 and "Made By The CLI" in listed
    for text in (out, err, listed, err2):
        assert sessionid not in text and csrftoken not in text and PASSWORD not in text
    monkeypatch.delenv("MAILROUTE_CSRFTOKEN")
    with pytest.raises(ConfigurationError, match="csrftoken"):
        Client(profile="session", auth="session", cache_dir=None)


def test_digest_auth_answers_the_challenge_and_never_sends_the_password():
    seen: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization", ""))
        if not request.headers.get("Authorization", "").startswith("Digest "):
            return httpx.Response(
                401,
                headers={
                    "WWW-Authenticate": 'Digest realm="django-tastypie", nonce="abc123", '
                    'qop="auth", opaque="xyz"'
                },
            )
        return httpx.Response(
            200,
            json={
                "reseller": {
                    "list_endpoint": "/api/v1/reseller/",
                    "schema": "/api/v1/reseller/schema/",
                }
            },
        )

    with Client(
        BASE,
        auth=DigestAuth(LOGIN, PASSWORD),
        transport=httpx.MockTransport(server),
        cache_dir=None,
    ) as client:
        assert client.resources == ["reseller"]
    assert seen[0] == "" and seen[1].startswith(f'Digest username="{LOGIN}"')
    assert all(PASSWORD not in h for h in seen)


def test_any_auth_goes_only_to_the_origin_and_an_opaque_one_keeps_no_disk_cache(api, tmp_path):
    class Custom(httpx.Auth):
        def auth_flow(self, request: httpx.Request) -> Any:
            request.headers["X-Custom-Token"] = "custom-fake-token"
            yield request

    api.override("GET", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(302, headers={"Location": "https://evil.test/steal/"})
    )
    with Client(BASE, auth=Custom(), cache_dir=tmp_path) as client:
        client.preload()
        with pytest.raises(OriginError):
            client.request("GET", "/api/v1/reseller/1/")
    calls = [c.request for c in api.router.calls]
    assert calls and all(str(r.url).startswith(BASE) for r in calls)
    assert all(r.headers["X-Custom-Token"] == "custom-fake-token" for r in calls)
    assert list(tmp_path.rglob("*.json")) == []  # another token could read them


def test_auth_and_another_kinds_secret_together_are_refused():
    with pytest.raises(ConfigurationError, match="not both"):
        Client(BASE, LOGIN, API_KEY, auth=BasicAuth(LOGIN, PASSWORD), cache_dir=None)
    with pytest.raises(ConfigurationError, match="needs login and password"):
        Client(BASE, LOGIN, auth="basic", cache_dir=None)


if sys.platform == "win32":  # the socket servers above need POSIX-style sockets
    pytestmark = pytest.mark.skip("POSIX only")


@pytest.mark.parametrize(
    "key", ["fake-key-LEAKME\r", "fake-key-LEAKME\nlogin: me", "fake-\x00key-LEAKME"]
)
def test_a_key_no_header_can_carry_is_refused_without_showing_it(key, monkeypatch):
    # a .env file with Windows line ends, or a key command printing two lines: httpx's
    # own error quoted the whole Authorization header, key included, in TransportError
    shown: list[str] = []
    with serve(_answer_json) as (url, heads):
        for make in (
            lambda: Client(url, LOGIN, key, cache_dir=None, retries=0),
            lambda: Client(url, auth=SessionAuth(key, "csrf-fake"), cache_dir=None),
            lambda: Client(url, auth=ApiKeyAuth(LOGIN, key), cache_dir=None),
        ):
            with pytest.raises(ConfigurationError) as info:
                make().resources
            shown.append("".join(traceback.format_exception(info.value)))
        if "\x00" not in key:  # (no environment holds a NUL)
            monkeypatch.setenv("MAILROUTE_API_KEY", key)
            assert main(["--url", url, "--login", LOGIN, "--no-cache", "resources"]) == 2
        assert not heads  # nothing was sent
    assert shown and not [text for text in shown if "LEAKME" in text]
    assert all("control character" in text for text in shown)
