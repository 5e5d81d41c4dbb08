"""Credentials go only to the server they belong to: a profile's key is bound to its
`base_url` origin in settings resolution, so `Client`, `AsyncClient`, the command line and
the pytest plugin all refuse (or leave out) a profile beside a URL for another server."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import httpx
import pytest

from mailroute_dyn import AsyncClient, Client
from mailroute_dyn.cli import main
from mailroute_dyn.errors import ConfigurationError
from mailroute_dyn.settings.config import ProfileNotUsedWarning, resolve_settings

pytest_plugins = ["pytester"]

PROD_KEY = "prod-fake-key-0000111122223333"
ENV_KEY = "env-fake-key-4444555566667777"
PROD = "https://prod.example.test"
STAGING = "https://staging.example.test"


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config file with profile `prod` (a key bound to PROD), `nobase` (a key,
    no base_url) and `plain` (no secret); no MAILROUTE_* from the developer's shell."""
    for name in (
        "MAILROUTE_URL",
        "MAILROUTE_LOGIN",
        "MAILROUTE_API_KEY",
        "MAILROUTE_PROFILE",
        "MAILROUTE_AUTH",
        "MAILROUTE_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[profiles.prod]\nbase_url = "{PROD}"\nlogin = "ops"\n'
        f'api_key = "{PROD_KEY}"\n'
        f'[profiles.nobase]\nlogin = "ops"\napi_key = "{PROD_KEY}"\n'
        f'[profiles.plain]\nbase_url = "{PROD}"\npage_size = 7\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    monkeypatch.setenv("MAILROUTE_CONFIG", str(path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return path


def _make_default(config: Path, name: str = "prod") -> None:
    config.write_text(f'default_profile = "{name}"\n' + config.read_text())


class Recorder(httpx.BaseTransport):
    """A server that answers an empty listing and keeps every Authorization header."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((str(request.url), request.headers.get("Authorization", "")))
        return httpx.Response(200, json={})


def _prod_key_seen(recorder: Recorder) -> bool:
    return any(PROD_KEY in auth for _, auth in recorder.seen)


# ------------------------------------------------------------ a named profile


@pytest.mark.parametrize("choose", ["argument", "environment"])
def test_a_named_profile_beside_a_url_for_another_server_is_refused(monkeypatch, choose):
    if choose == "environment":
        monkeypatch.setenv("MAILROUTE_PROFILE", "prod")
    profile = "prod" if choose == "argument" else None
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(profile, base_url=STAGING + "/")
    message = str(caught.value)
    assert "profile 'prod'" in message and "argument" in message  # both sources
    assert PROD in message and STAGING in message and PROD_KEY not in message
    if choose == "environment":
        assert "MAILROUTE_PROFILE" in message
    with pytest.raises(ConfigurationError, match="never sent to another server"):
        Client(STAGING, profile=profile, transport=Recorder())
    with pytest.raises(ConfigurationError, match="never sent to another server"):
        AsyncClient(STAGING, profile=profile)


def test_the_same_server_in_another_spelling_keeps_the_profile():
    for url in ("https://PROD.example.test:443/", "https://prod.example.test/"):
        settings = resolve_settings("prod", base_url=url)
        assert settings.api_key == PROD_KEY and settings.origin == PROD
    with pytest.raises(ConfigurationError):
        resolve_settings("prod", base_url="https://prod.example.test:8443")
    with pytest.raises(ConfigurationError):
        resolve_settings("prod", base_url="http://prod.example.test", allow_insecure=True)


def test_credentials_given_beside_a_named_profile_go_to_the_url_given():
    recorder = Recorder()
    with Client(
        STAGING, login="ci", api_key=ENV_KEY, profile="prod", transport=recorder, cache_dir=None
    ) as client:
        client.request("GET", "/api/v1/")
    assert recorder.seen and all(ENV_KEY in auth for _, auth in recorder.seen)
    assert not _prod_key_seen(recorder)


def test_a_profile_without_base_url_is_bound_to_the_default_server():
    assert resolve_settings("nobase").base_url == "https://admin.mailroute.net"
    with pytest.raises(ConfigurationError, match="admin.mailroute.net"):
        resolve_settings("nobase", base_url=STAGING)


def test_a_profile_without_secrets_binds_nothing():
    settings = resolve_settings("plain", base_url=STAGING, login="ci", api_key=ENV_KEY)
    assert settings.base_url == STAGING and settings.page_size == 7


# ------------------------------------------------------------ the default_profile


@pytest.mark.parametrize("url_from", ["argument", "environment"])
def test_the_default_profile_never_sends_its_key_to_another_url(config, monkeypatch, url_from):
    _make_default(config)
    if url_from == "environment":
        monkeypatch.setenv("MAILROUTE_URL", STAGING)
    recorder = Recorder()
    with pytest.warns(
        ProfileNotUsedWarning,
        match=f"default_profile 'prod' is not used.*{PROD}.*given.*{url_from}.*{STAGING}",
    ):
        client = Client(
            STAGING if url_from == "argument" else None, transport=recorder, cache_dir=None
        )
    with client:
        assert client.settings.credentials is None
        client.request("GET", "/api/v1/")
    assert recorder.seen and not _prod_key_seen(recorder)


def test_credentials_from_the_environment_replace_the_default_profile_quietly(config, monkeypatch):
    _make_default(config)
    monkeypatch.setenv("MAILROUTE_URL", STAGING)
    monkeypatch.setenv("MAILROUTE_LOGIN", "ci")
    monkeypatch.setenv("MAILROUTE_API_KEY", ENV_KEY)
    recorder = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = Client(transport=recorder, cache_dir=None)
    with client:
        client.request("GET", "/api/v1/")
    assert recorder.seen[0] == (f"{STAGING}/api/v1/", f"ApiKey ci:{ENV_KEY}")
    monkeypatch.delenv("MAILROUTE_URL")  # no URL: the default profile's
    assert resolve_settings().base_url == PROD  # server, the environment's key
    assert resolve_settings().api_key == ENV_KEY


def test_the_command_line_leaves_the_default_profile_out_for_another_url(capsys, config):
    _make_default(config)
    recorder = Recorder()
    code = main(["--url", STAGING, "--no-cache", "resources"], transport=recorder)
    _, err = capsys.readouterr()
    assert code == 2 and "no credentials" in err
    assert "warning: default_profile 'prod' is not used" in err and PROD_KEY not in err
    assert not _prod_key_seen(recorder)
    code = main(
        ["--profile", "prod", "--url", STAGING, "--no-cache", "resources"], transport=recorder
    )
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: Profile 'prod'")
    assert not recorder.seen


def test_config_shows_the_binding_and_the_profile_left_out(capsys, config):
    _make_default(config)
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert f"bound to:    {PROD} (the credentials of profile 'prod')" in out
    assert main(["--url", STAGING, "config"]) == 0
    out, err = capsys.readouterr()
    assert "in effect:   none (default_profile 'prod' is not used" in out
    assert "bound to:" not in out and err == ""


def test_the_pytest_plugin_leaves_the_default_profile_out_for_another_url(
    pytester, config, monkeypatch
):
    _make_default(config)
    pytester.makeconftest(f"""
        import httpx, pytest
        SEEN = []

        @pytest.fixture
        def mailroute_transport():
            def answer(request):
                SEEN.append(request.headers.get("Authorization", ""))
                return httpx.Response(200, json={{}})
            return httpx.MockTransport(answer)

        def pytest_unconfigure(config):
            assert not any("{PROD_KEY}" in auth for auth in SEEN), "the prod key left"
    """)
    pytester.makepyfile("""
        def test_staging(mailroute):
            mailroute.request("GET", "/api/v1/")
    """)
    result = pytester.runpytest("--mailroute-url", STAGING)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*needs credentials*default_profile 'prod' is not used*"])
    monkeypatch.setenv("MAILROUTE_LOGIN", "ci")
    monkeypatch.setenv("MAILROUTE_API_KEY", ENV_KEY)
    result = pytester.runpytest("--mailroute-url", STAGING)
    result.assert_outcomes(passed=1)
    result = pytester.runpytest("--mailroute-url", STAGING, "--mailroute-profile", "prod")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*Profile 'prod'*never sent to another server*"])


# ------------------------------------------------------------ keys not in plain text


@pytest.fixture
def fake_keyring(monkeypatch):
    """keyring's public API with an in-memory backend: the OS keyring is never touched."""
    import keyring
    from keyring.backend import KeyringBackend
    from keyring.backends import fail

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    backend = Memory()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(fail.Keyring())


def _add_profile(config: Path, name: str, extra: str, base_url: str = PROD) -> None:
    config.write_text(
        config.read_text() + f'[profiles.{name}]\nbase_url = "{base_url}"\nlogin = "ops"\n{extra}\n'
    )


def test_a_profile_key_from_the_os_keyring(config, fake_keyring):
    _add_profile(config, "kr", 'api_key_keyring = "mailroute-prod"')
    _add_profile(config, "krdefault", "api_key_keyring = true")
    with pytest.raises(ConfigurationError, match="keyring set mailroute-prod ops"):
        resolve_settings("kr")
    fake_keyring.set_password("mailroute-prod", "ops", PROD_KEY)
    fake_keyring.set_password("mailroute_dyn", "ops", ENV_KEY)
    assert resolve_settings("kr").api_key == PROD_KEY
    assert resolve_settings("krdefault").api_key == ENV_KEY
    assert PROD_KEY not in repr(resolve_settings("kr"))
    with pytest.raises(ConfigurationError, match="never sent to another server"):
        resolve_settings("kr", base_url=STAGING)


def test_the_keyring_extra_missing_is_named(config, monkeypatch):
    _add_profile(config, "kr", 'api_key_keyring = "mailroute-prod"')
    monkeypatch.setitem(sys.modules, "keyring", None)  # as if not installed
    with pytest.raises(ConfigurationError, match=r"mailroute_dyn\[keyring\]"):
        resolve_settings("kr")


def _command(code: str, *args: str) -> str:
    import shlex

    return shlex.join([sys.executable, "-c", code, *args])


def test_a_profile_key_from_a_command_without_a_shell(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    printer = _command("import sys; print(sys.argv[1])", "$(touch pwned);" + PROD_KEY)
    _add_profile(config, "cmd", f"api_key_command = '''{printer}'''")
    settings = resolve_settings("cmd")
    assert settings.api_key == "$(touch pwned);" + PROD_KEY  # no shell expanded it
    assert not Path("pwned").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    "code, problem",
    [
        (f"import sys; print('{PROD_KEY}'); sys.exit(3)", "exit status 3"),
        ("print('   ')", "printed no key"),
        (f"import time; print('{PROD_KEY}', flush=True); time.sleep(30)", "within 0.5 s"),
    ],
    ids=["exit-status", "empty", "timeout"],
)
def test_a_failing_key_command_never_shows_its_output(config, monkeypatch, code, problem):
    monkeypatch.setattr("mailroute_dyn.settings.keysources.KEY_COMMAND_TIMEOUT", 0.5)
    _add_profile(config, "cmd", f"api_key_command = '''{_command(code)}'''")
    with pytest.raises(ConfigurationError, match=problem) as caught:
        resolve_settings("cmd")
    error = caught.value
    chain = [error, error.__cause__, error.__context__]
    assert all(PROD_KEY not in repr(e) and PROD_KEY not in str(e) for e in chain if e)


def test_a_key_source_is_not_asked_for_a_profile_that_is_not_used(config, tmp_path):
    marker = tmp_path / "asked"
    toucher = _command(
        "import pathlib, sys; pathlib.Path(sys.argv[1]).touch(); print('k')", str(marker)
    )
    config.write_text('default_profile = "cmd"\n' + config.read_text())
    _add_profile(config, "cmd", f"api_key_command = '''{toucher}'''")
    with pytest.warns(ProfileNotUsedWarning):
        resolve_settings(base_url=STAGING)
    with pytest.raises(ConfigurationError):
        resolve_settings("cmd", base_url=STAGING)
    assert not marker.exists()
    assert resolve_settings().api_key == "k" and marker.exists()


def test_one_source_of_the_key_per_profile(config):
    _add_profile(config, "both", f'api_key = "{PROD_KEY}"\napi_key_command = "true"')
    with pytest.raises(ConfigurationError, match="more than one way") as caught:
        resolve_settings("both")
    assert PROD_KEY not in str(caught.value)
