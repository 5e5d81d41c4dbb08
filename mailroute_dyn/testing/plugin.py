"""pytest plugin (entry point `mailroute`): fixtures for testing code that uses mailroute_dyn.

* `mailroute`: a `Client` on a fresh fake server by default. The staging switch
  (`--mailroute-url URL` or `--mailroute-profile NAME`, or `mailroute_url` /
  `mailroute_profile` in the ini file) points it at a real server instead; objects the
  test creates there are deleted at teardown.
* `mailroute_faults`: fault injection around whatever `mailroute` talks to (the fake, or
  the real server's transport), with `FakeMailRoute`'s controls.
* `mailroute_fake`: the fake server itself. Under the staging switch a test asking for it
  is skipped (its assertions would look at a fake nobody talks to), as is one marked
  `@pytest.mark.mailroute_fake_only`.
* `mailroute_transport`: the transport to the real server, `None` for the network;
  override it to reach a staging server through a WSGI app or a proxy transport.

Missing or refused credentials under the staging switch stop the run with one error
line (exit status 4), so a CI job whose secret is broken is never green; opt into
skipping instead with `--mailroute-skip-without-credentials`.

Without the entry point, load it with `-p mailroute_dyn.testing.plugin`.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import MailRouteError
from ..fake import DEMO_KEY, DEMO_LOGIN

if TYPE_CHECKING:
    import httpx

    from ..client import Client
    from ..config import Settings
    from ..fake.faults import FaultyTransport
    from ..fake.server import FakeMailRoute

__all__ = ["mailroute_fake", "mailroute_faults", "mailroute", "mailroute_transport",
           "FAKE_URL"]

# pytest loads this plugin in every run where mailroute_dyn is installed, and reads every
# name of the module for hooks: what the fixtures need (the client, httpx, the fake
# server, `cleanup.CreatedObjects`) is imported inside them, when a test first asks.

FAKE_URL = "https://fake.mailroute.test"
FAKE_ONLY = "mailroute_fake_only"
_SKIP_OPTION = "--mailroute-skip-without-credentials"
_STAGING_KEY = pytest.StashKey["_Staging"]()


class _Staging:
    """The staging switch as this run resolved it: the settings, or why there are none."""

    def __init__(self, label: str, settings: Settings | None, problem: str | None,
                 skip: bool, backoff: float | None):
        self.label = label
        self.settings = settings
        self.problem = problem
        self.skip = skip
        self.backoff = backoff
        self.checked = False


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mailroute", "mailroute_dyn")
    group.addoption(
        "--mailroute-url", default=None, metavar="URL",
        help="run the `mailroute` fixture against this server instead of the fake "
             "(credentials from MAILROUTE_LOGIN and MAILROUTE_API_KEY, or the profile)")
    group.addoption(
        "--mailroute-profile", default=None, metavar="NAME",
        help="run the `mailroute` fixture against the server of this profile")
    group.addoption(
        _SKIP_OPTION, action="store_true", default=None,
        help="skip tests that need the server when the credentials are missing or "
             "refused, instead of stopping the run with an error")
    group.addoption(
        "--mailroute-backoff", default=None, metavar="SECONDS",
        help="retry backoff of the `mailroute` client (default: 0 on the fake, the "
             "client's own against a server)")
    parser.addini("mailroute_url", "server for the `mailroute` fixture (the staging switch)")
    parser.addini("mailroute_profile", "profile for the `mailroute` fixture (the staging "
                  "switch)")
    parser.addini("mailroute_skip_without_credentials", "skip instead of failing when the "
                  "staging credentials are missing or refused", type="bool", default=False)
    parser.addini("mailroute_backoff", "retry backoff of the `mailroute` client, in seconds")


def _backoff(config: pytest.Config) -> float | None:
    text = config.getoption("--mailroute-backoff") or config.getini("mailroute_backoff")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise pytest.UsageError(f"mailroute: backoff must be a number of seconds >= 0, "
                                f"not {text!r}")
    return value


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{FAKE_ONLY}: the test needs mailroute_dyn's fake server; it is "
                   "skipped when the run points `mailroute` at a real server")
    url = config.getoption("--mailroute-url") or config.getini("mailroute_url") or None
    profile = (config.getoption("--mailroute-profile") or config.getini("mailroute_profile")
               or None)
    skip = config.getoption(_SKIP_OPTION)
    if skip is None:
        skip = bool(config.getini("mailroute_skip_without_credentials"))
    backoff = _backoff(config)
    if not url and not profile:
        config.stash[_STAGING_KEY] = _Staging("", None, None, skip, backoff)
        return
    label = url or f"profile {profile}"
    settings: Settings | None = None
    problem = None
    from ..config import ProfileNotUsedWarning, resolve_settings
    try:
        # the environment and the profile give the credentials, never as text in the
        # plugin's hands; a default_profile bound to another server is left out
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ProfileNotUsedWarning)
            settings = resolve_settings(profile, base_url=url, backoff=backoff,
                                        cache_dir=None)
    except MailRouteError as exc:
        problem = str(exc)
    else:
        for other in caught:                # the rest (a key file others can read) as usual
            if not issubclass(other.category, ProfileNotUsedWarning):
                warnings.warn(other.message, stacklevel=1)
        if settings.credentials is None:
            problem = (f"{label} needs credentials: set MAILROUTE_LOGIN and "
                       f"MAILROUTE_API_KEY (or MAILROUTE_AUTH and its secrets)"
                       + (f", or give profile {profile!r} a login and api_key"
                          if profile else "")
                       + "".join(f"; {w.message}" for w in caught
                                 if issubclass(w.category, ProfileNotUsedWarning)))
            settings = None
    config.stash[_STAGING_KEY] = _Staging(label, settings, problem, skip, backoff)


def pytest_sessionstart(session: pytest.Session) -> None:
    staging = session.config.stash[_STAGING_KEY]
    if staging.problem and not staging.skip:
        raise pytest.UsageError(f"mailroute: {staging.problem} (or pass {_SKIP_OPTION} "
                                "to skip the tests that need it)")


def pytest_report_header(config: pytest.Config) -> str:
    staging = config.stash[_STAGING_KEY]
    return f"mailroute: {staging.label}" if staging.label else (
        "mailroute: fake server (demo data)")


def pytest_runtest_setup(item: pytest.Item) -> None:
    staging = item.config.stash[_STAGING_KEY]
    if staging.label and item.get_closest_marker(FAKE_ONLY) is not None:
        pytest.skip(f"{FAKE_ONLY}: this run points `mailroute` at {staging.label}")


def _staging(request: pytest.FixtureRequest) -> _Staging:
    return request.config.stash[_STAGING_KEY]


@pytest.fixture
def mailroute_fake(request: pytest.FixtureRequest) -> FakeMailRoute:
    """A fresh fake MailRoute server with the demo data; nothing is shared between tests.
    Skipped under the staging switch: the `mailroute` client does not talk to it then."""
    staging = _staging(request)
    if staging.label:
        pytest.skip(f"mailroute_fake: this run points `mailroute` at {staging.label}; use "
                    "mailroute_faults for fault injection on both")
    from ..fake.server import FakeMailRoute
    return FakeMailRoute(login=DEMO_LOGIN, api_key=DEMO_KEY)


@pytest.fixture
def mailroute_transport() -> httpx.BaseTransport | None:
    """The transport to the real server under the staging switch; None for the network.
    Override it to reach staging another way (an `httpx.WSGITransport`, a proxy)."""
    return None


def _check_credentials(client: Client, staging: _Staging) -> None:
    """One request that needs the key, once per run: a refused key or an unreachable
    server stops the run (or skips, when the user opted in)."""
    if staging.checked:
        return
    api_path = client.settings.api_path
    try:
        listing = client.request("GET", api_path)
        name = next(iter(listing), None) if isinstance(listing, dict) else None
        if name is not None:
            client.request("GET", f"{api_path}{name}/schema/")
    except MailRouteError as exc:
        staging.problem = f"{staging.label} refused or did not answer: {exc}"
        if not staging.skip:
            pytest.exit(f"mailroute: {staging.problem} (or pass {_SKIP_OPTION})",
                        returncode=pytest.ExitCode.USAGE_ERROR)
    staging.checked = True


@pytest.fixture
def _mailroute_pair(request: pytest.FixtureRequest
                    ) -> tuple[Client, FakeMailRoute | FaultyTransport]:
    """The `mailroute` client and the fault controls in front of its server, built and
    torn down together."""
    import httpx

    from ..client import Client
    from ..fake.faults import FaultyTransport
    from ..fake.server import FakeMailRoute
    from .cleanup import CreatedObjects, delete_created
    staging = _staging(request)
    if not staging.label:
        fake = FakeMailRoute(login=DEMO_LOGIN, api_key=DEMO_KEY)
        if "mailroute_fake" in request.fixturenames:
            fake = request.getfixturevalue("mailroute_fake")
        backoff = 0.0 if staging.backoff is None else staging.backoff
        client = Client(base_url=FAKE_URL, login=DEMO_LOGIN, api_key=DEMO_KEY, transport=fake,
                        cache_dir=None, backoff=backoff)
        request.addfinalizer(client.close)
        return client, fake
    if staging.settings is None:
        pytest.skip(f"mailroute: {staging.problem}")
    inner = request.getfixturevalue("mailroute_transport") or httpx.HTTPTransport()
    created = CreatedObjects(inner, staging.settings.api_path)
    faults = FaultyTransport(created)
    settings = staging.settings
    # the credentials resolved once for this run, for the server they were resolved for
    client = Client(base_url=settings.base_url, login=settings.login,
                    api_key=settings.api_key, auth=settings.auth,
                    api_path=settings.api_path, timeout=settings.timeout,
                    retries=settings.retries, retry_budget=settings.retry_budget,
                    page_size=settings.page_size,
                    concurrency=settings.concurrency, transport=faults, cache_dir=None,
                    backoff=settings.backoff, allow_insecure=settings.allow_insecure or None)

    def teardown() -> None:
        faults.clear_faults()
        try:
            delete_created(client, created)
        finally:
            client.close()
    request.addfinalizer(teardown)
    _check_credentials(client, staging)
    if staging.problem:
        pytest.skip(f"mailroute: {staging.problem}")
    return client, faults


@pytest.fixture
def mailroute(_mailroute_pair: tuple[Client, Any]) -> Client:
    """A `Client` on a fresh fake server, or on the server the staging switch names."""
    return _mailroute_pair[0]


@pytest.fixture
def mailroute_faults(_mailroute_pair: tuple[Client, FakeMailRoute | FaultyTransport]
                     ) -> FakeMailRoute | FaultyTransport:
    """Fault injection in front of `mailroute`'s server: `faults()`, `fail_next()`,
    `clear_faults()`, `count()`, on the fake or around the real server's transport."""
    return _mailroute_pair[1]
