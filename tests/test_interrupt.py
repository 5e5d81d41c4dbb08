"""Ctrl-C in the middle of a bulk write (issue 20, "Interrupt"): no write starts after the
signal, the writes in flight finish and are reported, and the caller learns exactly which
rows were done, failed and never sent. In-process here, with the signal delivered to the
main thread from inside the transport at write N; the command line as a real process gets
a real SIGINT/SIGTERM in test_interrupt_process.py."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from mailroute_dyn import AmbiguousWriteError, Client, Interrupted
from mailroute_dyn.cli import main
from mailroute_dyn.testing import FakeMailRoute
from tests.helpers import InterruptAt


def _client(transport: httpx.BaseTransport, concurrency: int = 3) -> Client:
    return Client(
        "https://fake.mailroute.test",
        "demo",
        "demo-key",
        transport=transport,
        cache_dir=None,
        concurrency=concurrency,
    )


def _rows(n: int, domain: str = "/api/v1/domain/1/") -> list[dict[str, Any]]:
    return [{"localpart": f"intr{i}", "domain": domain, "priority": 5} for i in range(n)]


def _made(server: FakeMailRoute) -> set[str]:
    return {
        o["localpart"] for o in server.objects("email_account") if o["localpart"].startswith("intr")
    }


@pytest.mark.slow
@pytest.mark.parametrize("at", [1, 4, 12])
def test_ctrl_c_during_bulk_create_stops_new_writes_and_reports_every_row(at):
    server = FakeMailRoute(login="demo", api_key="demo-key")
    wire = InterruptAt(server, at)
    heard: list[tuple[str, bool]] = []
    with _client(wire) as client:
        with pytest.raises(Interrupted) as caught:
            client.email_account.bulk_create(
                _rows(12),
                on_row=lambda obj, err, kind: heard.append((obj.localpart, kind == "created")),
            )
        stopped_at = time.monotonic()
        time.sleep(0.3)  # a worker still writing would show up now
    result = caught.value.result
    assert isinstance(caught.value, KeyboardInterrupt)
    done = {obj.localpart for obj in result.succeeded}
    assert done == _made(server)  # the result is the server's truth
    assert f"intr{at - 1}" in done or at > 12  # the write in flight was awaited
    assert len(done) + len(result.failed) + len(result.not_started) == 12
    assert sorted(heard) == sorted((name, True) for name in done)  # each row was told
    assert all(sent <= stopped_at for sent in wire.sent)  # nothing written after the raise
    assert wire.started <= at + 2  # only what was in flight went out
    if at < 12:
        assert result.not_started


@pytest.mark.slow
def test_a_keyboard_interrupt_raised_by_the_transport_at_write_n():
    server = FakeMailRoute(login="demo", api_key="demo-key")
    wire = InterruptAt(server, 3, raising=True)
    with _client(wire, concurrency=1) as client:
        with pytest.raises(Interrupted) as caught:
            client.email_account.bulk_create(_rows(6))
        time.sleep(0.2)
    result = caught.value.result
    assert {o.localpart for o in result.succeeded} == _made(server) == {"intr0", "intr1"}
    assert [(o.localpart, type(e)) for o, e in result.failed] == [
        ("intr2", AmbiguousWriteError)
    ]  # cut inside its request: unknown
    assert [o.localpart for o in result.not_started] == ["intr3", "intr4", "intr5"]
    assert wire.started == 3


@pytest.mark.slow
def test_ctrl_c_during_bulk_update_and_bulk_delete():
    server = FakeMailRoute(login="demo", api_key="demo-key")
    with _client(server) as client:
        client.email_account.bulk_create(_rows(8)).raise_first()
    wire = InterruptAt(server, 3)
    with _client(wire, concurrency=2) as client:
        objs = list(client.email_account.filter(localpart__startswith="intr"))
        for obj in objs:
            obj.priority = 9
        with pytest.raises(Interrupted) as caught:
            client.email_account.bulk_update(objs)
        changed = {
            o["localpart"]
            for o in server.objects("email_account")
            if o["localpart"].startswith("intr") and o["priority"] == 9
        }
        assert {o.localpart for o in caught.value.result.succeeded} == changed
        assert caught.value.result.not_started
        wire.at, wire.started = 2, 0
        with pytest.raises(Interrupted) as caught:
            client.email_account.bulk_delete(objs)
    gone = {o.localpart for o in objs} - _made(server)
    assert {o.localpart for o in caught.value.result.succeeded} == gone
    assert caught.value.result.not_started


@pytest.mark.slow
def test_an_interrupted_command_prints_every_finished_row_and_a_summary(capsys, tmp_path):
    server = FakeMailRoute()
    wire = InterruptAt(server, 5)
    data = tmp_path / "rows.jsonl"
    data.write_text(
        "".join(json.dumps({"localpart": f"intr{i}", "domain": 1}) + "\n" for i in range(20))
    )
    code = main(
        ["--demo", "create", "email_account", "--data", f"@{data}", "--format", "jsonl"],
        transport=wire,
    )
    out, err = capsys.readouterr()
    assert code == 130
    printed = [json.loads(line) for line in out.splitlines()]
    made = {
        o["localpart"]: o["resource_uri"]
        for o in server.objects("email_account")
        if o["localpart"].startswith("intr")
    }
    assert {r["resource_uri"] for r in printed if r["ok"]} == set(made.values())
    assert all(isinstance(r["row"], int) and r["key"] is not None for r in printed)
    left = 20 - len(printed)
    assert f"interrupted: {len(made)} done, 0 failed, {left} not started" in err
    assert left > 0


def test_an_interrupted_update_all_on_the_real_tastypie_server(capsys, real):
    """The real server: every row printed is changed on the server, no other row is."""
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    def connect() -> Client:
        return Client(
            "http://tastypie.test",
            DEMO_LOGIN,
            DEMO_API_KEY,
            transport=real,
            cache_dir=None,
            allow_insecure=True,
        )

    with connect() as client:
        before = {o.pk: o.priority for o in client.email_account.filter(localpart="info")}
    wire = InterruptAt(real, 4, hold=0.1)
    try:
        code = main(
            [
                "--profile",
                "real",
                "--no-cache",
                "update",
                "email_account",
                "--filter",
                "localpart=info",
                "--all",
                "priority=77",
                "--yes",
                "--format",
                "jsonl",
            ],
            transport=wire,
        )
        out, err = capsys.readouterr()
        assert code == 130, err
        printed = {json.loads(line)["key"] for line in out.splitlines()}
        with connect() as client:
            now = {o.pk: o.priority for o in client.email_account.filter(localpart="info")}
        assert {pk for pk, p in now.items() if p == 77} == printed
        assert f"{len(before) - len(printed)} not started" in err and len(printed) >= 4
    finally:
        with connect() as client:
            for pk, priority in before.items():
                obj = client.email_account.get(pk)
                if obj.priority != priority:
                    obj.priority = priority
                    obj.save()


def test_the_async_bulk_calls_tell_each_row_as_it_finishes():
    import asyncio

    from mailroute_dyn import AsyncClient

    async def go() -> list[tuple[str, bool]]:
        heard: list[tuple[str, bool]] = []
        server = FakeMailRoute(login="demo", api_key="demo-key")
        async with AsyncClient(
            "https://fake.mailroute.test", "demo", "demo-key", transport=server, cache_dir=None
        ) as client:
            cls = await client.resource("email_account")
            rows = [*_rows(3), {"domain": "/api/v1/domain/1/"}]  # the last one fails
            await cls.bulk_create(
                rows,
                on_row=lambda o, e, kind: heard.append(
                    (getattr(o, "localpart", None) or "?", e is None)
                ),
            )
        return heard

    assert sorted(asyncio.run(go())) == [
        ("?", False),
        ("intr0", True),
        ("intr1", True),
        ("intr2", True),
    ]
