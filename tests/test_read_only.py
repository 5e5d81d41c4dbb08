"""Read-only mode (issue 22 item 11): a client made read-only, by argument, profile or
`--read-only`, refuses every write before sending, whatever path the write takes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mailroute_dyn import AsyncClient, Client, ConfigurationError, GuardError
from mailroute_dyn.cli import main
from mailroute_dyn.fake import DEMO_KEY, DEMO_LOGIN, DEMO_URL, FakeMailRoute

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _writes_seen(fake: FakeMailRoute) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests if r.method in WRITES]


@pytest.fixture()
def fake() -> FakeMailRoute:
    return FakeMailRoute(login=DEMO_LOGIN, api_key=DEMO_KEY)


def _every_write(client: Client) -> dict[str, Callable[[], Any]]:
    """One call of each way a write leaves a client."""
    Domain, Wblist = client.domain, client.wblist
    dom = Domain.first()
    assert dom is not None
    acct = client.email_account.first()
    assert acct is not None
    row = Wblist.first()
    assert row is not None

    def changed_save() -> Any:
        dom.hold_email = not dom.hold_email
        return dom.save()

    return {
        "create": lambda: client.email_account.create(localpart="ro", domain=dom),
        "save": changed_save,
        "delete": lambda: row.delete(),
        "action": lambda: acct.action("regenerate_api_key"),
        "class action": lambda: client.email_account.action("mass_resend_welcome", json={}),
        "list delete": lambda: Wblist.filter(wb="b").delete(confirm=True),
        "get_or_create": lambda: Domain.get_or_create(
            name="new-ro.example", defaults={"customer": dom.customer}
        ),
        "request": lambda: client.request("POST", "/api/v1/domain/", json={"name": "x"}),
        "request delete": lambda: client.request("delete", row.resource_uri),
    }


def _bulk_writes(client: Client) -> dict[str, Callable[[], Any]]:
    Wblist = client.wblist
    rows = list(Wblist.all()[:2])
    domains = list(client.domain.all()[:2])
    for dom in domains:
        dom.hold_email = not dom.hold_email
    return {
        "bulk_create": lambda: Wblist.bulk_create(
            [{"wb": "w", "email": "a@b.example", "rid": "2"}]
        ),
        "bulk_delete": lambda: Wblist.bulk_delete(rows),
        "bulk_update": lambda: client.domain.bulk_update(domains),
        "update": lambda: client.domain.filter(name=domains[0].name).update(active=False),
    }


def test_a_read_only_client_refuses_every_write_and_sends_none(fake):
    client = Client.demo(transport=fake, read_only=True)
    for name, write in _every_write(client).items():
        with pytest.raises(GuardError, match="Read-only mode") as caught:
            write()
        assert "nothing was sent" in str(caught.value), name
    assert _writes_seen(fake) == []
    assert client.domain.count() > 0  # reads go on as usual


def test_bulk_writes_of_a_read_only_client_fail_every_row_with_guard_error(fake):
    client = Client.demo(transport=fake, read_only=True)
    for name, write in _bulk_writes(client).items():
        try:
            result = write()
        except GuardError:
            continue
        assert result.succeeded == [], name
        assert result.failed and all(isinstance(e, GuardError) for _, e in result.failed)
        with pytest.raises(GuardError, match="Read-only mode"):
            result.raise_first()
    assert _writes_seen(fake) == []


def test_the_same_writes_go_out_without_read_only(fake):
    """The control: the writes above do reach the server of a client that may write."""
    client = Client.demo(transport=fake)
    client.request(
        "POST",
        "/api/v1/domain/",
        json={"name": "rw.example", "customer": client.customer.first().resource_uri},
    )
    assert _writes_seen(fake) == ["POST /api/v1/domain/"]


def test_an_async_read_only_client_refuses_writes(fake):
    async def run() -> None:
        async with AsyncClient(
            DEMO_URL, DEMO_LOGIN, DEMO_KEY, transport=fake, cache_dir=None, read_only=True
        ) as client:
            Domain = await client.resource("domain")
            dom = await Domain.first()
            assert dom is not None
            with pytest.raises(GuardError, match="Read-only mode"):
                await dom.delete()
            with pytest.raises(GuardError, match="Read-only mode"):
                await client.request("PATCH", dom.resource_uri, json={"active": False})

    asyncio.run(run())
    assert _writes_seen(fake) == []


def _profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.explore]\nbase_url = "{DEMO_URL}"\nlogin = "{DEMO_LOGIN}"\n'
        f'api_key = "{DEMO_KEY}"\n{extra}\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    monkeypatch.setenv("MAILROUTE_CONFIG", str(config))
    for name in ("MAILROUTE_URL", "MAILROUTE_LOGIN", "MAILROUTE_API_KEY", "MAILROUTE_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def test_a_profiles_read_only_key_makes_its_clients_read_only(fake, tmp_path, monkeypatch):
    _profile(tmp_path, monkeypatch, "read_only = true")
    client = Client(profile="explore", transport=fake, cache_dir=None)
    assert client.settings.read_only is True
    with pytest.raises(GuardError, match="read_only = true"):
        client.domain.first().delete()
    assert _writes_seen(fake) == []


def test_a_profile_read_only_that_is_no_boolean_is_refused(tmp_path, monkeypatch):
    _profile(tmp_path, monkeypatch, 'read_only = "yes"')
    with pytest.raises(ConfigurationError, match="read_only must be true or false"):
        Client(profile="explore", cache_dir=None)


def test_the_command_lines_read_only_flag_refuses_writes(fake, capsys):
    status = main(["--demo", "--read-only", "delete", "wblist", "1", "--yes"], transport=fake)
    assert status == 2
    assert "Read-only mode" in capsys.readouterr().err
    assert _writes_seen(fake) == []
    assert main(["--demo", "--read-only", "get", "domain", "1"], transport=fake) == 0


def test_the_command_line_takes_read_only_from_a_profile(fake, tmp_path, monkeypatch, capsys):
    _profile(tmp_path, monkeypatch, "read_only = true")
    status = main(
        ["--profile", "explore", "--no-cache", "update", "domain", "1", "hold_email=yes"],
        transport=fake,
    )
    assert status == 2
    assert "Read-only mode" in capsys.readouterr().err
    assert _writes_seen(fake) == []


def test_config_add_with_read_only_writes_a_read_only_profile(fake, tmp_path, monkeypatch, capsys):
    path = tmp_path / "config.toml"
    monkeypatch.setenv("MAILROUTE_CONFIG", str(path))
    monkeypatch.setenv("MAILROUTE_API_KEY", DEMO_KEY)
    for name in ("MAILROUTE_URL", "MAILROUTE_LOGIN", "MAILROUTE_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    assert (
        main(["--url", DEMO_URL, "--login", DEMO_LOGIN, "--read-only", "config", "add", "explore"])
        == 0
    )
    assert "read_only = true" in path.read_text(encoding="utf-8")
    monkeypatch.delenv("MAILROUTE_API_KEY")
    assert (
        main(
            ["--profile", "explore", "--no-cache", "delete", "wblist", "1", "--yes"], transport=fake
        )
        == 2
    )
    assert "Read-only mode" in capsys.readouterr().err and _writes_seen(fake) == []
