"""The demo client, the guided tour, and the pytest plugin (run through pytester)."""

import asyncio
import io
import json
from pathlib import Path

import pytest

from mailroute_dyn import AsyncClient, Client
from mailroute_dyn.testing import DEMO_DATA, FakeMailRoute, demo_client
from mailroute_dyn.testing.tour import tour

pytest_plugins = ["pytester"]


def test_demo_client_runs_on_the_packaged_data():
    with demo_client() as client:
        assert isinstance(client, Client)
        assert client.settings.base_url == "https://demo.mailroute.test"
        assert client.settings.cache_dir is None
        assert client.domain.get(912345).name == "testdomain.com"


def test_the_async_client_has_the_same_demo():
    """`AsyncClient.demo()` is the sibling of `Client.demo()`: the same server and data."""

    async def read() -> tuple[object, str, int]:
        async with AsyncClient.demo(page_size=5) as client:
            domain = await client.resource("domain")
            return client, (await domain.get(912345)).name, await domain.all().count()

    client, name, count = asyncio.run(read())
    assert isinstance(client, AsyncClient) and name == "testdomain.com" and count == 15


def test_demo_data_is_a_copy_of_the_fixtures():
    """The packaged demo data follows fixtures/ (regenerated from the real test server)."""
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    files = sorted(p.relative_to(DEMO_DATA) for p in DEMO_DATA.rglob("*.json"))
    expected = sorted(
        p.relative_to(fixtures)
        for p in fixtures.glob("*/*.json")
        if p.parent.name in ("schemas", "objects")
    )
    # rules.json is the demo's own: MailRoute's checks and actions (the test server's differ)
    assert files == sorted([*expected, Path("listing.json"), Path("rules.json")])
    files.remove(Path("rules.json"))
    for name in files:
        assert json.loads((DEMO_DATA / name).read_text(encoding="utf-8")) == json.loads(
            (fixtures / name).read_text(encoding="utf-8")
        ), name


def test_demo_client_takes_overrides():
    fake = FakeMailRoute()
    with demo_client(transport=fake, page_size=5) as client:
        assert len(list(client.email_account.all())) == 30
    assert fake.count(path="/api/v1/email_account/") == 6


def test_the_tour_prints_each_step_and_returns_zero():
    out = io.StringIO()
    assert tour(out) == 0
    text = out.getvalue()
    for marker in (
        "client.resources",
        "19 resources",
        "filtering: {'customer': 2, 'name': 1}",
        'name__startswith="acme-00"',
        "total_count: 30",
        "created /api/v1/email_account/31/",
        "acct.save()",
        "priority 3",
        "still there? False",
    ):
        assert marker in text, marker
    assert 25 <= len(text.splitlines()) <= 50


PLUGIN: tuple[str, ...] = ()  # installed with the package as the "mailroute" pytest11 plugin


def test_plugin_gives_a_client_on_a_fresh_fake(pytester):
    pytester.makepyfile("""
        def test_one(mailroute, mailroute_fake):
            assert mailroute.settings.base_url == "https://fake.mailroute.test"
            mailroute.domain.get(1).delete()
            assert mailroute_fake.count("DELETE") == 1

        def test_two(mailroute, mailroute_fake):
            assert mailroute.domain.get(1).name == "acme-001.com"   # a fresh fake again
            assert mailroute_fake.count("DELETE") == 0
    """)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["mailroute: fake server (demo data)"])


def test_plugin_option_is_documented(pytester):
    result = pytester.runpytest(*PLUGIN, "--help")
    result.stdout.fnmatch_lines(["*--mailroute-url=URL*"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mailroute_dyn", "mailroute_dyn.client"])
def test_the_package_does_not_import_the_testing_kit(name):
    import subprocess
    import sys

    code = (
        f"import sys, {name}; "
        "print(any(m.startswith('mailroute_dyn.testing') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
