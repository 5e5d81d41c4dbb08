"""The pytest plugin's staging switch, run through pytester against the fake and against the
real django-tastypie server over loopback (what a CI job pointed at staging does)."""

from __future__ import annotations

import pytest

from tests.conftest import model_rows

pytest_plugins = ["pytester"]


pytestmark = pytest.mark.usefixtures("plugin_env")


def test_missing_staging_credentials_fail_the_run_instead_of_skipping(pytester):
    pytester.makepyfile("""
        def test_real(mailroute):
            raise AssertionError("must not run")
    """)
    result = pytester.runpytest("--mailroute-url", "https://staging.example.test")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: mailroute: https://staging.example.test needs "
            "credentials. Hint: set MAILROUTE_LOGIN and "
            "MAILROUTE_API_KEY*; or pass "
            "--mailroute-skip-without-credentials*"
        ]
    )
    assert "must not run" not in result.stdout.str()


def test_missing_credentials_skip_only_when_the_user_opts_in(pytester):
    pytester.makepyfile("""
        def test_real(mailroute):
            raise AssertionError("must not run")

        def test_offline():
            pass
    """)
    result = pytester.runpytest(
        "--mailroute-url",
        "https://staging.example.test",
        "--mailroute-skip-without-credentials",
        "-rs",
    )
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*needs credentials*MAILROUTE_LOGIN*"])


@pytest.mark.slow
def test_refused_staging_credentials_fail_the_run(pytester, staging, monkeypatch):
    monkeypatch.setenv("MAILROUTE_API_KEY", "wrong-key-not-secret")
    pytester.makepyfile("""
        def test_real(mailroute):
            raise AssertionError("must not run")
    """)
    result = pytester.runpytest("--mailroute-url", staging)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: mailroute: * refused the credentials: *401*. "
            "Hint: check that MAILROUTE_LOGIN and MAILROUTE_API_KEY*"
        ]
    )
    assert "must not run" not in result.stdout.str()
    assert "wrong-key-not-secret" not in result.stdout.str() + result.stderr.str()


@pytest.mark.slow
def test_objects_a_test_creates_on_staging_are_deleted_at_teardown(pytester, staging):
    before = (model_rows("EmailAccount"), model_rows("WBList"))
    pytester.makepyfile("""
        def test_creates(mailroute):
            domain = mailroute.domain.get(name="acme-001.com")
            acct = mailroute.email_account.create(localpart="plugin-made", domain=domain)
            mailroute.email_account.bulk_create([
                {"localpart": "plugin-bulk-1", "domain": domain},
                {"localpart": "plugin-bulk-2", "domain": domain}])
            mailroute.wblist.create(email="x@example.com", wb="b", rid="1",
                                    domain=domain.resource_uri)
            assert mailroute.email_account.filter(localpart__startswith="plugin-").count() == 3
            acct.delete()                   # already gone at teardown: fine
    """)
    result = pytester.runpytest("--mailroute-url", staging, "-W", "error::pytest.PytestWarning")
    result.assert_outcomes(passed=1)
    assert (model_rows("EmailAccount"), model_rows("WBList")) == before


@pytest.mark.slow
def test_faults_reach_the_staging_server_and_the_lost_create_is_cleaned_up(pytester, staging):
    before = model_rows("EmailAccount")
    pytester.makepyfile("""
        import pytest
        from mailroute_dyn.errors import AmbiguousWriteError

        def test_lost_answer(mailroute, mailroute_faults):
            domain = mailroute.domain.get(name="acme-002.com")
            mailroute_faults.fail_next("reset", methods=["POST"])
            with pytest.raises(AmbiguousWriteError):
                mailroute.email_account.create(localpart="plugin-lost", domain=domain)
            assert mailroute_faults.pending_faults == 0
            assert mailroute.email_account.filter(localpart="plugin-lost").count() == 1
    """)
    result = pytester.runpytest("--mailroute-url", staging)
    result.assert_outcomes(passed=1)
    assert model_rows("EmailAccount") == before


def test_tests_that_need_the_fake_are_skipped_on_staging_never_passed(pytester, staging):
    pytester.makepyfile("""
        import pytest

        def test_fake_state(mailroute, mailroute_fake):
            mailroute_fake.fail_next("503")
            raise AssertionError("must not run")

        @pytest.mark.mailroute_fake_only
        def test_marked(mailroute):
            raise AssertionError("must not run")

        def test_on_both(mailroute):
            assert mailroute.domain.filter(name="acme-003.com").count() == 1
    """)
    result = pytester.runpytest("--mailroute-url", staging, "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*mailroute_fake: this run points `mailroute` at http*",
            "*mailroute_fake_only: this run points `mailroute` at http*",
        ]
    )


def test_the_same_fault_test_runs_on_the_fake_without_sleeping(pytester):
    pytester.makepyfile("""
        import pytest
        from mailroute_dyn.errors import AmbiguousWriteError

        @pytest.mark.mailroute_fake_only
        def test_marked_runs_here(mailroute_fake):
            assert mailroute_fake.count() == 0

        def test_lost_answer(mailroute, mailroute_faults, mailroute_fake):
            assert mailroute_faults is mailroute_fake
            assert mailroute.settings.backoff == 0      # retries on the fake do not sleep
            mailroute_faults.fail_next("503", count=3)
            assert mailroute.domain.get(1).name == "acme-001.com"
            mailroute_faults.fail_next("reset", methods=["POST"])
            with pytest.raises(AmbiguousWriteError):
                mailroute.email_account.create(localpart="lost", domain=mailroute.domain.get(1))
            assert len(mailroute_fake.objects("email_account")) == 31
    """)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    pytester.makepyfile("""
        def test_backoff(mailroute):
            assert mailroute.settings.backoff == 0.25
    """)
    pytester.runpytest("--mailroute-backoff", "0.25").assert_outcomes(passed=1)


def test_staging_switch_and_backoff_come_from_the_ini_file(pytester, staging):
    pytester.makeini(f"""
        [pytest]
        mailroute_url = {staging}
        mailroute_backoff = 0.01
    """)
    pytester.makepyfile(f"""
        def test_real(mailroute):
            assert mailroute.settings.base_url == "{staging}"
            assert mailroute.settings.backoff == 0.01
            assert mailroute.settings.login == "demo"
            assert "demo-key" not in repr(mailroute) + repr(mailroute.settings)
            assert mailroute.domain.filter(name="acme-001.com").exists()
    """)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"mailroute: {staging}"])


def test_staging_switch_by_profile(pytester, staging, monkeypatch, tmp_path):
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    monkeypatch.delenv("MAILROUTE_LOGIN")
    monkeypatch.delenv("MAILROUTE_API_KEY")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.staging]\nbase_url = "{staging}"\nlogin = "{DEMO_LOGIN}"\n'
        f'api_key = "{DEMO_API_KEY}"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)  # a key file others can read draws a warning
    monkeypatch.setenv("MAILROUTE_CONFIG", str(config))
    pytester.makepyfile(f"""
        def test_real(mailroute):
            assert mailroute.settings.base_url == "{staging}"
            assert mailroute.domain.filter(name="acme-001.com").exists()
    """)
    result = pytester.runpytest("--mailroute-profile", "staging")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["mailroute: profile staging"])
    assert DEMO_API_KEY not in result.stdout.str()


def test_the_plugin_options_are_documented(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*--mailroute-url=URL*",
            "*--mailroute-profile=NAME*",
            "*--mailroute-skip-without-credentials*",
            "*--mailroute-backoff=SECONDS*",
            "*mailroute_url*",
            "*mailroute_profile*",
        ]
    )


def test_staging_can_be_reached_through_an_overridden_transport(
    pytester, tastypie_app, monkeypatch
):
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    monkeypatch.setenv("MAILROUTE_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("MAILROUTE_API_KEY", DEMO_API_KEY)
    before = model_rows("Domain")
    pytester.makeconftest("""
        import httpx
        import pytest
        from tests.tastypie_site import wsgi_app

        @pytest.fixture
        def mailroute_transport():
            return httpx.WSGITransport(app=wsgi_app())
    """)
    pytester.makepyfile("""
        def test_through_wsgi(mailroute, mailroute_faults):
            mailroute_faults.fail_next("503", methods=["GET"], paths=["/api/v1/domain/"])
            customer = mailroute.customer.all()[0]
            made = mailroute.domain.create(name="via-wsgi.test", customer=customer)
            assert mailroute.domain.get(made.id).name == "via-wsgi.test"
            assert mailroute_faults.count(path="/api/v1/domain/") >= 2
    """)
    result = pytester.runpytest("--mailroute-url", "https://tastypie.test")
    result.assert_outcomes(passed=1)
    assert model_rows("Domain") == before
