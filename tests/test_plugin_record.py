"""Recorded exchanges (issue 22 item 10): `--mailroute-record` against the real
django-tastypie server writes one cassette per test with no secret in it, and
`--mailroute-replay` runs the same tests from them with the server gone."""

from __future__ import annotations

import json

import httpx
import pytest

from mailroute_dyn.errors import CassetteError
from mailroute_dyn.settings.auth import Secret
from mailroute_dyn.testing.cassettes import Player, Recorder, cassette_path

pytest_plugins = ["pytester"]

RECORDED = """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.mailroute_staging_only            # a replay of staging counts as staging
def test_writes(mailroute, mailroute_faults):
    domain = mailroute.domain.get(name="acme-005.com")
    acct = mailroute.email_account.create(localpart="recorded", domain=domain)
    mailroute_faults.fail_next("503", methods=["GET"])
    assert mailroute.email_account.get(acct.id).localpart == "recorded"
    assert mailroute.email_account.filter(domain=domain).count() == 4

@pytest.mark.anyio
async def test_async(mailroute_async):
    Domain = await mailroute_async.resource("domain")
    names = [d.name async for d in Domain.filter(name__startswith="acme-00").order_by("name")]
    assert names[:2] == ["acme-001.com", "acme-002.com"]
"""


pytestmark = pytest.mark.usefixtures("plugin_env")


@pytest.mark.slow
def test_recorded_tests_replay_offline_and_their_cassettes_hold_no_secret(
    pytester, tastypie_app, monkeypatch
):
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN, live_server
    from tests.tastypie_site.mailroute import models

    before = models.EmailAccount.objects.count()
    test_file = pytester.makepyfile(RECORDED)
    monkeypatch.setenv("MAILROUTE_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("MAILROUTE_API_KEY", DEMO_API_KEY)
    with live_server(tastypie_app) as url:
        recorded = pytester.runpytest("--mailroute-url", url, "--mailroute-record")
    recorded.assert_outcomes(passed=2)
    recorded.stdout.fnmatch_lines([f"mailroute: {url}, recording cassettes"])
    assert models.EmailAccount.objects.count() == before  # deleted, and recorded so
    cassettes = sorted((test_file.parent / "cassettes" / test_file.stem).glob("*.json"))
    assert [c.name for c in cassettes] == ["test_async.json", "test_writes.json"]
    text = "".join(c.read_text(encoding="utf-8") for c in cassettes)
    for secret in (DEMO_API_KEY, "ApiKey", "authorization", "Authorization"):
        assert secret not in text
    methods = [e["request"]["method"] for e in json.loads(cassettes[1].read_text())["exchanges"]]
    assert "POST" in methods and methods[-1] == "DELETE"

    monkeypatch.delenv("MAILROUTE_LOGIN")  # offline: no server, no credentials
    monkeypatch.delenv("MAILROUTE_API_KEY")
    replayed = pytester.runpytest("--mailroute-replay")
    replayed.assert_outcomes(passed=2)
    replayed.stdout.fnmatch_lines(["mailroute: replay of recorded cassettes"])

    pytester.makepyfile(RECORDED.replace('localpart="recorded"', 'localpart="changed"'))
    # the failed write's "not all taken back" warning is shown, not raised: this run's
    # `filterwarnings = error` reaches the inner run, which pytester makes in this process
    changed = pytester.runpytest(
        "--mailroute-replay", "-k", "writes", "-W", "default::pytest.PytestWarning"
    )
    changed.assert_outcomes(failed=1, deselected=1)
    changed.stdout.fnmatch_lines(
        [
            "*CassetteError: *test_writes.json holds no (further) "
            "answer to POST /api/v1/email_account/*--mailroute-record*"
        ]
    )


def test_a_test_without_cassette_fails_under_replay_with_a_hint(pytester):
    pytester.makepyfile("""
        def test_never_recorded(mailroute):
            raise AssertionError("must not run")
    """)
    result = pytester.runpytest("--mailroute-replay")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*mailroute: No cassette *test_never_recorded.json: record it with --mailroute-record*"]
    )
    assert "must not run" not in result.stdout.str()


def test_recording_without_a_server_is_refused_like_any_wrong_switch(pytester):
    pytester.makepyfile("def test_x(mailroute):\n    pass\n")
    result = pytester.runpytest("--mailroute-record")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: mailroute: --mailroute-record records a real "
            "server's answers. Hint: add --mailroute-url URL*"
        ]
    )


def test_a_replay_beside_a_staging_switch_is_refused_not_silently_chosen(pytester):
    pytester.makeini("[pytest]\nmailroute_replay = true\n")
    pytester.makepyfile("def test_x(mailroute):\n    pass\n")
    result = pytester.runpytest("--mailroute-url", "https://staging.example.test")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: mailroute: a replay of cassettes and a staging "
            "switch were both given. Hint: choose one*"
        ]
    )


SECRETS = ("k3y-not-real", "pw-not-real", "csrf-not-real", "session-not-real", "token-not-real")


def _server(request: httpx.Request) -> httpx.Response:
    """Answers carrying every kind of secret a server may send back."""
    body = {
        "api_key": "k3y-not-real",
        "objects": [{"password": "pw-not-real", "id": 1}],
        "echo": "the key is k3y-not-real",
        "active": True,
        "seen": {"cookie": "sessionid=session-not-real"},
    }
    return httpx.Response(
        200,
        json=body,
        headers=[
            ("Set-Cookie", "sessionid=session-not-real; HttpOnly"),
            ("Set-Cookie", "csrftoken=csrf-not-real"),
            ("Content-Type", "application/json"),
        ],
    )


def _requests() -> list[httpx.Request]:
    return [
        httpx.Request(
            "GET",
            "https://staging.test/api/v1/x/?api_key=k3y-not-real&name=a",
            headers={
                "Authorization": "ApiKey demo:k3y-not-real",
                "Cookie": "sessionid=session-not-real",
            },
        ),
        httpx.Request(
            "POST",
            "https://staging.test/api/v1/x/",
            json={
                "password": "pw-not-real",
                "csrfmiddlewaretoken": "csrf-not-real",
                "auth_token": "token-not-real",
                "name": "kept",
            },
            headers={"X-CSRFToken": "csrf-not-real"},
        ),
    ]


def test_every_secret_is_stripped_and_the_stripped_requests_still_replay(tmp_path):
    mock = httpx.MockTransport(_server)
    recorder = Recorder(mock, mock, [Secret("k3y-not-real"), Secret("session-not-real")])
    for request in _requests():
        recorder.handle_request(request)
    cassette = cassette_path(tmp_path / "test_mod.py", "test_x[a/b]")
    recorder.write(cassette, "https://staging.test", "/api/v1/")
    assert cassette == tmp_path / "cassettes" / "test_mod" / "test_x_a_b.json"
    text = cassette.read_text(encoding="utf-8")
    assert not [s for s in SECRETS if s in text], text
    assert '"kept"' in text and '"active": true' in text

    player = Player(cassette)
    for request in _requests():
        answer = player.handle_request(request)
        assert answer.json()["objects"][0] == {"password": "REDACTED", "id": 1}
        assert "set-cookie" not in answer.headers
    with pytest.raises(CassetteError, match="no .further. answer to GET /api/v1/x/"):
        player.handle_request(_requests()[0])


def test_a_cassette_applies_the_whole_capture_rule_to_queries_and_text_bodies(tmp_path):
    # `smtp_pass`/`pwd` are secret names by the rule's words, not its substrings; a text
    # body (form data, an HTML error page) may hold a PEM block or a URL's password
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEfake-pem-not-real\n-----END PRIVATE KEY-----"

    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text=f"<pre>{pem} smtp://r:url-pw-not-real@h</pre>")

    mock = httpx.MockTransport(server)
    recorder = Recorder(mock, mock, [Secret("k3y-not-real")])
    requests = [
        httpx.Request(
            "GET",
            "https://staging.test/api/v1/x/?smtp_pass=pass-not-real"
            "&pwd=pwd-not-real&dkim_key=dkim-not-real&name=kept",
        ),
        httpx.Request(
            "POST",
            "https://staging.test/api/v1/x/",
            content=f"relay=smtp://r:url-pw-not-real@h&k={pem}".encode(),
        ),
    ]
    for request in requests:
        recorder.handle_request(request)
    cassette = cassette_path(tmp_path / "test_mod.py", "test_y")
    recorder.write(cassette, "https://staging.test", "/api/v1/")
    text = cassette.read_text(encoding="utf-8")
    leaked = [
        s
        for s in (
            "pass-not-real",
            "pwd-not-real",
            "dkim-not-real",
            "fake-pem-not-real",
            "url-pw-not-real",
        )
        if s in text
    ]
    assert not leaked, text
    assert "name=kept" in text
    player = Player(cassette)
    for request in requests:  # stripped the same way, they still match
        assert player.handle_request(request).status_code == 500


def test_a_broken_cassette_is_a_cassette_error(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(
        '{"version": 1, "base_url": "https://s.test", "api_path": "/api/v1/", '
        '"exchanges": [{"request": {}}]}',
        encoding="utf-8",
    )
    with pytest.raises(CassetteError, match="broken exchange"):
        Player(path)
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(CassetteError, match="not a version 1"):
        Player(path)


def test_a_schema_keeps_the_spec_of_a_field_named_like_a_secret_its_objects_do_not():
    """A cassette's schema still describes the resource (a field called `change_pwd` keeps
    its spec, inlined in a listing too), while an object's `change_pwd` value is redacted."""
    from mailroute_dyn.testing.cassettes import _Redactor

    spec = {"type": "string", "nullable": True, "default": "No default provided."}
    schema = {"fields": {"change_pwd": spec, "name": dict(spec)}}
    redactor = _Redactor(())
    kept = redactor.body(json.dumps(schema).encode())
    assert kept == {"json": schema}
    listing = {"email_account": {"list_endpoint": "/api/v1/email_account/", "schema": schema}}
    assert redactor.body(json.dumps(listing).encode()) == {"json": listing}
    obj = {"change_pwd": "hunter2-not-real", "name": "x"}
    answer = redactor.body(json.dumps(obj).encode())
    assert answer == {"json": {"change_pwd": "REDACTED", "name": "x"}}
