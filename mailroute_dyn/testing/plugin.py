"""pytest plugin (entry point `mailroute`): fixtures for testing code that uses mailroute_dyn.

* `mailroute_fake`: a fresh `FakeMailRoute()` on the packaged demo data, per test.
* `mailroute`: a `Client` on that fake; with `--mailroute-url URL` a `Client` on that real
  server instead, logged in with `MAILROUTE_LOGIN` / `MAILROUTE_API_KEY` (the test is skipped
  when they are not set).

Without the entry point, load it with `-p mailroute_dyn.testing.plugin`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mailroute_dyn import Client

from .demo import DEMO_KEY, DEMO_LOGIN
from .fake import FakeMailRoute

__all__ = ["mailroute_fake", "mailroute", "FAKE_URL"]

FAKE_URL = "https://fake.mailroute.test"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mailroute", "mailroute_dyn")
    group.addoption(
        "--mailroute-url", default=None, metavar="URL",
        help="run the `mailroute` fixture against this MailRoute server instead of the fake "
             "(credentials from MAILROUTE_LOGIN and MAILROUTE_API_KEY)")


def pytest_report_header(config: pytest.Config) -> str:
    url = config.getoption("--mailroute-url")
    return f"mailroute: {url}" if url else "mailroute: fake server (demo data)"


@pytest.fixture
def mailroute_fake() -> FakeMailRoute:
    """A fresh fake MailRoute server with the demo data; nothing is shared between tests."""
    return FakeMailRoute(login=DEMO_LOGIN, api_key=DEMO_KEY)


@pytest.fixture
def mailroute(request: pytest.FixtureRequest) -> Iterator[Client]:
    """A `Client` on `mailroute_fake`, or on the server given with `--mailroute-url`."""
    url = request.config.getoption("--mailroute-url")
    if url:
        # the client reads the credentials from the environment itself: no frame here holds
        # the key, so a setup error shown with locals (`pytest -l`) cannot print it
        if not (os.environ.get("MAILROUTE_LOGIN") and os.environ.get("MAILROUTE_API_KEY")):
            pytest.skip("--mailroute-url is given, but MAILROUTE_LOGIN and MAILROUTE_API_KEY "
                        "are not both set")
        client = Client(base_url=url, cache_dir=None)
    else:
        fake = request.getfixturevalue("mailroute_fake")
        client = Client(base_url=FAKE_URL, login=DEMO_LOGIN, api_key=DEMO_KEY, transport=fake,
                        cache_dir=None)
    with client:
        yield client
