"""The pytest plugin's switch as a QA engineer meets it (issue 22 items 6-8): captured data
behind every fixture, async tests that follow the switch, and a wrong switch that is loud.
Each case runs pytest itself (pytester) against the fake, and against the real
django-tastypie test server over loopback where a server is involved."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from tests.conftest import model_rows

pytest_plugins = ["pytester"]

ANYIO = """
import pytest

pytestmark = pytest.mark.anyio

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""


pytestmark = pytest.mark.usefixtures("plugin_env")


def _captured(where: Path, first_domain: str) -> Path:
    """A fixtures folder as `mailroute-dyn capture` writes one, with a domain name the
    demo data does not have."""
    from mailroute_dyn.fake.server import DEMO_DATA

    folder = where / "captured"
    shutil.copytree(DEMO_DATA, folder)
    domains = folder / "objects" / "domain.json"
    rows = json.loads(domains.read_text(encoding="utf-8"))
    rows[0]["name"] = first_domain
    domains.write_text(json.dumps(rows), encoding="utf-8")
    return folder


USES_CAPTURE = (
    ANYIO
    + """
def test_only_mailroute(mailroute):
    assert mailroute.domain.get(1).name == "captured-001.com"

def test_the_fake(mailroute_fake):
    assert mailroute_fake.objects("domain")[0]["name"] == "captured-001.com"

def test_both(mailroute, mailroute_fake):
    mailroute.domain.get(1).delete()
    assert mailroute_fake.count("DELETE") == 1

async def test_async(mailroute_async):
    Domain = await mailroute_async.resource("domain")
    assert (await Domain.get(1)).name == "captured-001.com"
"""
)


# ------------------------------------------------------------------ item 6: captured data


def test_the_fixtures_option_puts_captured_data_behind_every_fixture(pytester):
    folder = _captured(pytester.path, "captured-001.com")
    pytester.makepyfile(USES_CAPTURE)
    result = pytester.runpytest("--mailroute-fixtures", str(folder))
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([f"mailroute: fake server ({folder})"])


def test_the_fixtures_ini_key_is_relative_to_the_ini_file(pytester, monkeypatch):
    _captured(pytester.path, "captured-001.com")
    ini = pytester.makeini("[pytest]\nmailroute_fixtures = captured\n")
    test_file = pytester.makepyfile(USES_CAPTURE)
    monkeypatch.chdir(pytester.mkdir("elsewhere"))
    result = pytester.runpytest("-c", str(ini), str(test_file))
    result.assert_outcomes(passed=4)


@pytest.mark.slow
def test_a_capture_of_the_real_server_serves_every_fixture(pytester, tastypie_client):
    """The QA engineer's day: capture staging, then run the suite on the fake with it."""
    from mailroute_dyn.testing import capture

    folder = capture(
        tastypie_client,
        pytester.path / "captured",
        limit=5,
        resources=["customer", "domain", "email_account"],
    )
    first = json.loads((folder / "objects" / "domain.json").read_text(encoding="utf-8"))[0]
    real = tastypie_client.domain.get(first["id"])
    pytester.makepyfile(
        ANYIO
        + f"""
def test_only_mailroute(mailroute):
    assert mailroute.domain.count() == 5                # the demo data has 15
    assert mailroute.domain.get({real.id}).name == {real.name!r}

async def test_async(mailroute_async):
    Domain = await mailroute_async.resource("domain")
    assert (await Domain.get(name={real.name!r})).id == {real.id}
"""
    )
    result = pytester.runpytest("--mailroute-fixtures", str(folder))
    result.assert_outcomes(passed=2)


def test_an_overridden_fake_reaches_a_test_that_asks_only_for_mailroute(pytester):
    _captured(pytester.path, "from-conftest.com")
    pytester.makeconftest("""
        import pathlib
        import pytest
        from mailroute_dyn.testing import FakeMailRoute

        @pytest.fixture
        def mailroute_fake():
            here = pathlib.Path(__file__).parent
            return FakeMailRoute(here / "captured", login="demo", api_key="demo-key")
    """)
    pytester.makepyfile("""
        def test_only_mailroute(mailroute):
            assert mailroute.domain.get(1).name == "from-conftest.com"
    """)
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_fixtures_folder_that_does_not_load_stops_the_run(pytester):
    pytester.makepyfile("""
        def test_never(mailroute):
            raise AssertionError("must not run")
    """)
    result = pytester.runpytest("--mailroute-fixtures", "no-such-folder")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: mailroute: the fixtures folder does not load: "
            "*no-such-folder*. Hint: *mailroute-dyn capture DIR*"
        ]
    )


# ------------------------------------------------------------------ item 7: async tests


def test_async_tests_share_the_fake_and_its_faults_under_anyio(pytester):
    pytester.makepyfile(
        ANYIO
        + """
        from mailroute_dyn import AsyncClient

        async def test_async(mailroute_async, mailroute, mailroute_faults, mailroute_fake):
            assert isinstance(mailroute_async, AsyncClient)
            assert mailroute_async.settings.backoff == 0
            Account = await mailroute_async.resource("email_account")
            Domain = await mailroute_async.resource("domain")
            domain = await Domain.get(1)
            made = await Account.create(localpart="from-async", domain=domain)
            assert mailroute.email_account.get(made.id).localpart == "from-async"
            mailroute_faults.fail_next("503", count=2)
            assert await Account.filter(localpart="from-async").count() == 1
            assert mailroute_fake.count("GET", "/api/v1/email_account/") >= 3
    """.replace("\n        ", "\n")
    )
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.slow
def test_async_tests_reach_staging_over_their_own_transport_and_clean_up(pytester, staging):
    before = model_rows("EmailAccount")
    pytester.makepyfile(
        ANYIO
        + """
async def test_async(mailroute_async, mailroute_faults):
    assert mailroute_async.settings.base_url.startswith("http://127.0.0.1:")
    Domain = await mailroute_async.resource("domain")
    Account = await mailroute_async.resource("email_account")
    domain = await Domain.get(name="acme-004.com")
    await Account.create(localpart="async-made", domain=domain)
    mailroute_faults.fail_next("503", methods=["GET"])
    assert await Account.filter(localpart="async-made").count() == 1
    assert mailroute_faults.count(method="POST") == 1

def test_sync_after(mailroute):
    assert mailroute.email_account.filter(localpart="async-made").count() == 0
"""
    )
    result = pytester.runpytest("--mailroute-url", staging)
    result.assert_outcomes(passed=2)
    assert model_rows("EmailAccount") == before


# ------------------------------------------------------------------ item 8: a loud switch

STAGING_ONLY = """
import pytest

@pytest.mark.mailroute_staging_only
def test_needs_staging(mailroute):
    assert mailroute.domain.filter(name="acme-001.com").exists()
"""


@pytest.mark.parametrize("how", ["nothing", "exported MAILROUTE_URL", "misspelt ini key"])
def test_a_staging_only_test_fails_on_the_fake_never_passes(pytester, monkeypatch, how):
    if how == "exported MAILROUTE_URL":
        monkeypatch.setenv("MAILROUTE_URL", "https://staging.example.test")
    if how == "misspelt ini key":
        pytester.makeini("[pytest]\nmailroute_ulr = https://staging.example.test\n")
    pytester.makepyfile(STAGING_ONLY)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*mailroute_staging_only: this run is on the fake server*"])


def test_a_staging_only_test_runs_on_staging(pytester, staging):
    pytester.makepyfile(STAGING_ONLY)
    pytester.runpytest("--mailroute-url", staging).assert_outcomes(passed=1)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "cause", ["refused key", "server down", "wrong URL", "api path in the URL", "unknown profile"]
)
def test_every_failed_switch_gives_one_error_shape_and_exit_4(
    pytester, staging, monkeypatch, cause
):
    args = {
        "refused key": ["--mailroute-url", staging],
        "server down": ["--mailroute-url", f"http://127.0.0.1:{_closed_port()}"],
        "wrong URL": ["--mailroute-url", f"{staging}/not-the-api"],
        "api path in the URL": ["--mailroute-url", f"{staging}/api/v1/"],
        "unknown profile": ["--mailroute-profile", "stagign"],
    }[cause]
    hint = {
        "refused key": "*refused the credentials*Hint: check that MAILROUTE_LOGIN*",
        "server down": "*did not answer*Hint: is the server up*",
        "wrong URL": "*serves no Tastypie API at /api/v1/*Hint: give the server's root*",
        "api path in the URL": f"*ends with the API path /api/v1/. Hint: give the "
        f"server's root instead: --mailroute-url {staging}",
        "unknown profile": "*Profile 'stagign'*Hint: check --mailroute-profile*",
    }[cause]
    if cause == "refused key":
        monkeypatch.setenv("MAILROUTE_API_KEY", "wrong-key-not-secret")
    pytester.makepyfile("""
        def test_offline():
            pass

        def test_real(mailroute):
            raise AssertionError("must not run")

        def test_later(mailroute):
            raise AssertionError("must not run")
    """)
    result = pytester.runpytest(*args, "--mailroute-backoff", "0")  # retries do not sleep
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR: ")]
    assert len(errors) == 1, result.stderr.lines
    result.stderr.fnmatch_lines([f"ERROR: mailroute: {hint}"])
    output = result.stdout.str() + result.stderr.str()
    assert "must not run" not in output
    assert "Exit" not in output and "wrong-key-not-secret" not in output


def test_skips_off_the_fake_name_the_test_file(pytester, staging):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.mailroute_fake_only
        def test_marked(mailroute):
            pass

        def test_fake(mailroute_fake):
            pass
    """)
    result = pytester.runpytest("--mailroute-url", staging, "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] test_skips_off_the_fake_name_the_test_file.py:3: "
            "mailroute_fake_only: *",
            # pytest folds unmarked tests skipped by marker into their file
            "SKIPPED [[]1[]] test_skips_off_the_fake_name_the_test_file.py*: mailroute_fake: *",
        ]
    )
    assert "testing/plugin.py" not in result.stdout.str()


def test_a_skip_for_refused_credentials_points_at_the_test(pytester, staging, monkeypatch):
    monkeypatch.setenv("MAILROUTE_API_KEY", "wrong-key-not-secret")
    pytester.makepyfile("""
        def test_one(mailroute):
            pass

        def test_two(mailroute):
            pass
    """)
    result = pytester.runpytest(
        "--mailroute-url", staging, "-rs", "--mailroute-skip-without-credentials"
    )
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] *.py:1: mailroute: * refused the credentials*",
            "SKIPPED [[]1[]] *.py:4: *",
        ]
    )
    assert result.ret == pytest.ExitCode.OK
