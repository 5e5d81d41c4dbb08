"""pytest plugin (entry point `mailroute`): fixtures for testing code that uses mailroute_dyn.

* `mailroute`: a `Client` on a fresh fake server by default. The staging switch
  (`--mailroute-url URL` or `--mailroute-profile NAME`, or `mailroute_url` /
  `mailroute_profile` in the ini file) points it at a real server instead; what the
  test writes there (with either client) is journaled and taken back at teardown:
  created objects deleted, updated fields put back, deleted objects created again. A
  test whose teardown never ran leaves its journal in
  `<journal dir>/<run>/<worker>/` for `mailroute-dyn undo FILE`.
* `mailroute_async`: an `AsyncClient` on the same server as `mailroute` (on a real server,
  over its own async transport). A plain fixture: usable under anyio's pytest plugin and
  under pytest-asyncio alike.
* `mailroute_faults`: fault injection around whatever `mailroute` talks to (the fake, or
  the real server's transport), with `FakeMailRoute`'s controls.
* `mailroute_fake`: the fake server itself, serving `--mailroute-fixtures DIR` (ini
  `mailroute_fixtures`, e.g. a `mailroute-dyn capture` folder) or the demo data; the
  `mailroute` clients always talk to this fixture, overridden or not. Under the staging
  switch a test asking for it is skipped, as is one marked
  `@pytest.mark.mailroute_fake_only`; one marked `@pytest.mark.mailroute_staging_only`
  fails on the fake.
* `mailroute_transport` / `mailroute_async_transport`: the transports to the real server,
  `None` for the network; override them to reach staging another way.

`--mailroute-record` (with the staging switch) writes each test's exchanges, secrets
stripped, to `cassettes/<module>/<test>.json` beside the test file; `--mailroute-replay`
(ini `mailroute_replay`) serves every test from its cassette, offline.

A switch that cannot work (missing or refused credentials, a server that does not answer,
a wrong URL, an unknown profile) stops the run with one `ERROR: mailroute: ...` line with a
hint, exit status 4, so a CI job whose secret is broken is never green; opt into skipping
on missing or refused credentials with `--mailroute-skip-without-credentials`.

Without the entry point, load it with `-p mailroute_dyn.testing.plugin`.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .switch import SKIP_OPTION, Switch, SwitchProblem, check_server, resolve_switch

if TYPE_CHECKING:
    import httpx

    from ..client import AsyncClient, Client
    from ..fake.faults import FaultyTransport
    from ..fake.server import FakeMailRoute
    from .wiring import Wiring

__all__ = [
    "mailroute_fake",
    "mailroute_faults",
    "mailroute",
    "mailroute_async",
    "mailroute_transport",
    "mailroute_async_transport",
    "FAKE_ONLY",
    "STAGING_ONLY",
]

# pytest loads this plugin in every run where mailroute_dyn is installed, and reads every
# name of the module for hooks: what the fixtures need (the client, httpx, the fake
# server, the cassettes) is imported inside them, when a test first asks.

FAKE_ONLY = "mailroute_fake_only"
STAGING_ONLY = "mailroute_staging_only"
_SWITCH_KEY = pytest.StashKey[Switch]()
_JOURNALS_KEY = pytest.StashKey[Path]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mailroute", "mailroute_dyn")
    group.addoption(
        "--mailroute-url",
        default=None,
        metavar="URL",
        help="run the `mailroute` fixture against this server instead of the fake "
        "(credentials from MAILROUTE_LOGIN and MAILROUTE_API_KEY, or the profile)",
    )
    group.addoption(
        "--mailroute-profile",
        default=None,
        metavar="NAME",
        help="run the `mailroute` fixture against the server of this profile",
    )
    group.addoption(
        SKIP_OPTION,
        action="store_true",
        default=None,
        help="skip tests that need the server when the credentials are missing or "
        "refused, instead of stopping the run with an error",
    )
    group.addoption(
        "--mailroute-backoff",
        default=None,
        metavar="SECONDS",
        help="retry backoff of the `mailroute` client (default: 0 on the fake, the "
        "client's own against a server)",
    )
    group.addoption(
        "--mailroute-fixtures",
        default=None,
        metavar="DIR",
        help="the fixtures folder every fake of the run serves (e.g. what "
        "`mailroute-dyn capture DIR` wrote) instead of the demo data",
    )
    group.addoption(
        "--mailroute-record",
        action="store_true",
        default=False,
        help="with the staging switch: write each test's exchanges (secrets stripped) "
        "to cassettes/<module>/<test>.json beside the test file",
    )
    group.addoption(
        "--mailroute-replay",
        action="store_true",
        default=None,
        help="serve each test's `mailroute` from its recorded cassette, offline",
    )
    group.addoption(
        "--mailroute-journal-dir",
        default=None,
        metavar="DIR",
        help="where staging tests keep their write journals until teardown takes the "
        "writes back (default: the user state folder's mailroute_dyn/staging)",
    )
    parser.addini(
        "mailroute_journal_dir",
        "where staging tests keep their write journals (relative to the ini file)",
    )
    parser.addini("mailroute_url", "server for the `mailroute` fixture (the staging switch)")
    parser.addini("mailroute_profile", "profile for the `mailroute` fixture (the staging switch)")
    parser.addini(
        "mailroute_skip_without_credentials",
        "skip instead of failing when the staging credentials are missing or refused",
        type="bool",
        default=False,
    )
    parser.addini("mailroute_backoff", "retry backoff of the `mailroute` client, in seconds")
    parser.addini(
        "mailroute_fixtures", "fixtures folder the fake serves (relative to the ini file)"
    )
    parser.addini(
        "mailroute_replay",
        "serve `mailroute` from recorded cassettes, offline",
        type="bool",
        default=False,
    )


def _backoff(config: pytest.Config) -> float | None:
    text = config.getoption("--mailroute-backoff") or config.getini("mailroute_backoff")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise pytest.UsageError(
            SwitchProblem(
                f"backoff must be a number of seconds >= 0, not {text!r}",
                "give --mailroute-backoff / mailroute_backoff as e.g. 0.05",
            ).text()
        )
    return value


def _fixtures_dir(config: pytest.Config) -> Path | None:
    """The option's folder is relative to where pytest runs, the ini key's to its file."""
    given = config.getoption("--mailroute-fixtures")
    if given:
        return Path(config.invocation_params.dir, str(given))
    from_ini = config.getini("mailroute_fixtures")
    if not from_ini:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return Path(base, str(from_ini))


def _journal_dir(config: pytest.Config) -> Path:
    """This run's (and this xdist worker's) folder of write journals: `<dir>/<run>/
    <worker>/`. Workers of one xdist run share the run's folder, each its own below it."""
    import os
    import secrets
    import time

    given = config.getoption("--mailroute-journal-dir")
    from_ini = config.getini("mailroute_journal_dir")
    if given:
        root = Path(config.invocation_params.dir, str(given))
    elif from_ini:
        root = Path(config.inipath.parent if config.inipath else config.rootpath, str(from_ini))
    else:
        import platformdirs

        root = platformdirs.user_state_path("mailroute_dyn") / "staging"
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or time.strftime(
        "%Y%m%dT%H%M%SZ-", time.gmtime()
    ) + secrets.token_hex(3)
    return root / _safe(run) / _safe(os.environ.get("PYTEST_XDIST_WORKER") or "main")


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "_"


def _flag(config: pytest.Config, option: str, ini: str) -> bool:
    given = config.getoption(option)
    return bool(config.getini(ini)) if given is None else bool(given)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{FAKE_ONLY}: the test needs mailroute_dyn's fake server; it is "
        "skipped when the run points `mailroute` at a real server",
    )
    config.addinivalue_line(
        "markers",
        f"{STAGING_ONLY}: the test needs the real server; it fails (never "
        "passes) when the run is on the fake",
    )
    url = config.getoption("--mailroute-url") or config.getini("mailroute_url") or None
    profile = config.getoption("--mailroute-profile") or config.getini("mailroute_profile") or None
    record = bool(config.getoption("--mailroute-record"))
    replay = _flag(config, "--mailroute-replay", "mailroute_replay")
    if replay and (url or profile):
        raise pytest.UsageError(
            SwitchProblem(
                "a replay of cassettes and a staging switch were both given",
                "choose one: drop --mailroute-replay / mailroute_replay (override the ini key "
                "with -o mailroute_replay=false), or the --mailroute-url / --mailroute-profile "
                "switch",
            ).text()
        )
    if record and (replay or not (url or profile)):
        raise pytest.UsageError(
            SwitchProblem(
                "--mailroute-record records a real server's answers",
                "add --mailroute-url URL or --mailroute-profile NAME, and leave out "
                "--mailroute-replay / mailroute_replay",
            ).text()
        )
    config.stash[_SWITCH_KEY] = resolve_switch(
        url,
        profile,
        skip=_flag(config, SKIP_OPTION, "mailroute_skip_without_credentials"),
        backoff=_backoff(config),
        fixtures_dir=_fixtures_dir(config),
        record=record,
        replay=replay,
    )
    config.stash[_JOURNALS_KEY] = _journal_dir(config)


def _check_fixtures_dir(switch: Switch) -> SwitchProblem | None:
    if switch.fixtures_dir is None or not switch.on_fake:
        return None
    from ..fake.fixtures import load_fixture

    try:
        load_fixture(switch.fixtures_dir)
    except (OSError, ValueError) as exc:
        return SwitchProblem(
            f"the fixtures folder does not load: {exc}",
            "give --mailroute-fixtures / mailroute_fixtures a folder "
            "`mailroute-dyn capture DIR` wrote (schemas/, objects/)",
        )
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    switch = session.config.stash[_SWITCH_KEY]
    switch.problem = switch.problem or _check_fixtures_dir(switch)
    problem = switch.fatal()
    if problem is not None:
        raise pytest.UsageError(problem.text())


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """A server found wrong by the first test that needs it ends the run the way a wrong
    setting does at start: one error line, exit status 4."""
    try:
        return (yield)
    finally:
        problem = session.config.stash[_SWITCH_KEY].fatal()
        if problem is not None:
            raise pytest.UsageError(problem.text())


def pytest_report_header(config: pytest.Config) -> str:
    switch = config.stash[_SWITCH_KEY]
    if switch.label:
        return f"mailroute: {switch.label}" + (", recording cassettes" if switch.record else "")
    return f"mailroute: fake server ({switch.fixtures_dir or 'demo data'})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Off the fake, tests that look at the fake are skipped by marker, so the skip
    names the test, not this plugin."""
    switch = config.stash[_SWITCH_KEY]
    if switch.on_fake:
        return
    for item in items:
        if item.get_closest_marker(FAKE_ONLY) is not None:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"{FAKE_ONLY}: this run points `mailroute` at {switch.label}"
                )
            )
        elif "mailroute_fake" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.skip(reason=_fake_not_used(switch)))


def _fake_not_used(switch: Switch) -> str:
    return (
        f"mailroute_fake: this run points `mailroute` at {switch.label}; use "
        "mailroute_faults for fault injection on both"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    switch = item.config.stash[_SWITCH_KEY]
    if switch.on_fake and item.get_closest_marker(STAGING_ONLY) is not None:
        pytest.fail(
            f"{STAGING_ONLY}: this run is on the fake server: no --mailroute-url "
            "or --mailroute-profile, nor mailroute_url / mailroute_profile in the "
            "ini file (MAILROUTE_URL alone does not switch)",
            pytrace=False,
        )


def _switch(request: pytest.FixtureRequest) -> Switch:
    return request.config.stash[_SWITCH_KEY]


@pytest.fixture
def mailroute_fake(request: pytest.FixtureRequest) -> FakeMailRoute:
    """A fresh fake MailRoute server with the run's fixtures (the demo data by default);
    nothing is shared between tests. Skipped under the staging switch: the `mailroute`
    client does not talk to it then."""
    switch = _switch(request)
    if not switch.on_fake:
        pytest.skip(_fake_not_used(switch))
    from ..fake import DEMO_KEY, DEMO_LOGIN
    from ..fake.server import FakeMailRoute

    return FakeMailRoute(switch.fixtures_dir, login=DEMO_LOGIN, api_key=DEMO_KEY)


@pytest.fixture
def mailroute_transport() -> httpx.BaseTransport | None:
    """The transport to the real server under the staging switch; None for the network.
    Override it to reach staging another way (an `httpx.WSGITransport`, a proxy)."""
    return None


@pytest.fixture
def mailroute_async_transport() -> httpx.AsyncBaseTransport | None:
    """The async transport to the real server for `mailroute_async`; None for the
    network (httpx's own, keeping no connection between requests)."""
    return None


def _check_server(request: pytest.FixtureRequest, wiring: Wiring, switch: Switch) -> None:
    """One request that needs the key, once per run. A refused key or a server that does
    not answer stops the run after this test (or skips, when the user opted in)."""
    if not switch.checked:
        switch.checked = True
        switch.problem = check_server(wiring.client(), switch.label)
    fatal = switch.fatal()
    if fatal is not None:
        request.session.shouldstop = fatal.text()
        pytest.fail(fatal.text(), pytrace=False)
    if switch.problem is not None:
        pytest.skip(switch.problem.text(skip_offered=False))


@pytest.fixture
def _mailroute_wiring(request: pytest.FixtureRequest) -> Wiring:
    """The way to this test's server, shared by every `mailroute` fixture of the test."""
    import secrets

    from ..errors import CassetteError
    from . import wiring
    from .cassettes import cassette_path

    switch = _switch(request)
    cassette = None if switch.on_fake else cassette_path(request.path, request.node.name)
    journal = request.config.stash[_JOURNALS_KEY] / (
        f"{_safe(request.node.name)[:80]}-{secrets.token_hex(3)}.jsonl"
    )
    if switch.on_fake:
        built = wiring.on_fake(request.getfixturevalue("mailroute_fake"), switch.backoff)
    elif switch.replay:
        try:
            assert cassette is not None  # (a replay is never on the fake)
            built = wiring.on_cassette(cassette, switch.backoff, journal)
        except CassetteError as exc:
            pytest.fail(f"mailroute: {exc}", pytrace=False)
    elif switch.settings is None:
        assert switch.problem is not None  # skippable, or the run had stopped
        pytest.skip(switch.problem.text(skip_offered=False))
    else:
        built = wiring.on_server(
            switch.settings,
            request.getfixturevalue("mailroute_transport"),
            request.getfixturevalue("mailroute_async_transport"),
            cassette if switch.record else None,
            journal,
        )
    request.addfinalizer(built.teardown)
    if not switch.on_fake and not switch.replay:
        _check_server(request, built, switch)
    return built


@pytest.fixture
def mailroute(_mailroute_wiring: Wiring) -> Client:
    """A `Client` on a fresh fake server, or on the server the staging switch names."""
    return _mailroute_wiring.client()


@pytest.fixture
def mailroute_async(_mailroute_wiring: Wiring) -> AsyncClient:
    """An `AsyncClient` on the same server as `mailroute`; a plain fixture, so any async
    test plugin (anyio's, pytest-asyncio) can use it."""
    return _mailroute_wiring.async_client()


@pytest.fixture
def mailroute_faults(_mailroute_wiring: Wiring) -> FakeMailRoute | FaultyTransport:
    """Fault injection in front of `mailroute`'s server: `faults()`, `fail_next()`,
    `clear_faults()`, `count()`, on the fake or around the real server's transport."""
    return _mailroute_wiring.faults
