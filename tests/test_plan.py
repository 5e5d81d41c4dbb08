"""Planning a run (issue 20, "Plan"): `--dry-run` on every form of create, update and
delete reads but sends no write (checked on the wire) and prints the plan in its exact
form; `update --all` asks with the count; `list --count`; `max_rate` spaces writes."""

from __future__ import annotations

import io
import json

import httpx
import pytest

from mailroute_dyn import Client, ConfigurationError
from mailroute_dyn.cli import main
from mailroute_dyn.testing import FakeMailRoute
from tests.helpers import WRITES, Recording, Terminal


def _run(
    capsys: pytest.CaptureFixture[str], wire: httpx.BaseTransport, *argv: str
) -> tuple[int, str, str]:
    code = main(["--demo", *argv], transport=wire)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv, lines, summary",
    [
        (
            ["create", "email_account", "localpart=plan1", "domain=acme-002.com", "priority=4"],
            [
                "POST /api/v1/email_account/ domain: '/api/v1/domain/2/'",
                "POST /api/v1/email_account/ localpart: 'plan1'",
                "POST /api/v1/email_account/ priority: 4",
            ],
            "would create 1, update 0, leave 0 unchanged, delete 0",
        ),
        (
            [
                "create",
                "email_account",
                "--data",
                '[{"localpart": "p1", "domain": 1}, {"localpart": "p2", "domain": 1}]',
            ],
            [
                "POST /api/v1/email_account/ localpart: 'p1'  (row 1)",
                "POST /api/v1/email_account/ localpart: 'p2'  (row 2)",
            ],
            "would create 2, update 0, leave 0 unchanged, delete 0",
        ),
        (
            ["update", "email_account", "1", "priority=9"],
            ["PUT /api/v1/email_account/1/ priority: 7 → 9"],
            "would create 0, update 1, leave 0 unchanged, delete 0",
        ),
        (
            ["delete", "wblist", "1"],
            ["DELETE /api/v1/wblist/1/"],
            "would create 0, update 0, leave 0 unchanged, delete 1",
        ),
        (
            ["delete", "wblist", "--filter", "wb=w", "--all"],
            ["DELETE /api/v1/wblist/2/"],
            "would create 0, update 0, leave 0 unchanged, delete 9",
        ),
    ],
)
def test_dry_run_prints_the_plan_and_sends_no_write(capsys, argv, lines, summary):
    server = FakeMailRoute()
    before = {
        name: json.dumps(server.objects(name), sort_keys=True)
        for name in ("email_account", "wblist")
    }
    wire = Recording(server)
    code, out, err = _run(capsys, wire, *argv, "--dry-run")
    assert code == (1 if "refused" in summary else 0), err
    assert wire.seen and not wire.writes()  # read, never written
    printed = out.splitlines()
    assert printed[-1] == summary
    assert all(line in printed for line in lines), printed
    assert {name: json.dumps(server.objects(name), sort_keys=True) for name in before} == before


def test_dry_run_counts_rows_that_would_not_change(capsys):
    server = FakeMailRoute()
    with Client.demo(transport=server) as client:
        for obj in client.email_account.filter(domain=2):
            obj.priority = 5
            obj.save()
    wire = Recording(server)
    code, out, _ = _run(
        capsys,
        wire,
        "update",
        "email_account",
        "--filter",
        "domain=acme-002.com",
        "--all",
        "priority=5",
        "--dry-run",
    )
    assert code == 0 and not wire.writes()
    assert out == "would create 0, update 0, leave 2 unchanged, delete 0\n"


def test_dry_run_of_update_all_on_the_real_server_names_each_change(capsys, real):
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    wire = Recording(real)
    with Client(
        "http://tastypie.test",
        DEMO_LOGIN,
        DEMO_API_KEY,
        transport=wire,
        cache_dir=None,
        allow_insecure=True,
    ) as client:
        customers = list(client.customer.all().order_by("name")[:3])
    wire.seen.clear()
    names = [c.name for c in customers]
    code = main(
        [
            "--profile",
            "real",
            "--no-cache",
            "update",
            "customer",
            "--filter",
            f"name__in={','.join(names)}",
            "--all",
            "is_full_user_list=true",
            "--dry-run",
        ],
        transport=wire,
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert not [s for s in wire.seen if s[0] in WRITES]
    expected = [
        f"PATCH {c.resource_uri} is_full_user_list: False → True"
        for c in customers
        if not c.is_full_user_list
    ]
    assert sorted(out.splitlines()[:-1]) == sorted(expected) and expected
    assert out.splitlines()[-1] == (
        f"would create 0, update {len(expected)}, leave {3 - len(expected)} unchanged, delete 0"
    )


def test_update_all_asks_with_the_count_and_refuses_without_a_terminal(capsys, monkeypatch):
    server = FakeMailRoute()
    before = json.dumps(server.objects("email_account"), sort_keys=True)
    argv = ["update", "email_account", "--filter", "domain=acme-002.com", "--all", "priority=1"]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = _run(capsys, server, *argv)
    assert code == 2 and "--yes" in err
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, _, err = _run(capsys, server, *argv)
    assert (
        code == 1
        and "Update 2 email_account objects matching --filter domain=acme-002.com? [y/N]" in err
        and "not updated" in err
    )
    assert json.dumps(server.objects("email_account"), sort_keys=True) == before
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    code, _, err = _run(capsys, server, *argv)
    assert code == 0 and "updated 2 email_account objects" in err


def test_list_count_prints_the_count_only(capsys):
    server = FakeMailRoute()
    mine = sum(o["domain"] == "/api/v1/domain/2/" for o in server.objects("email_account"))
    code, out, _ = _run(
        capsys, server, "list", "email_account", "--filter", "domain=acme-002.com", "--count"
    )
    assert code == 0 and out == f"{mine}\n"


@pytest.mark.slow
def test_max_rate_spaces_writes_across_threads_and_leaves_reads_alone():
    server = FakeMailRoute(login="demo", api_key="demo-key")
    wire = Recording(server)
    with Client(
        "https://fake.mailroute.test",
        "demo",
        "demo-key",
        transport=wire,
        cache_dir=None,
        concurrency=4,
        max_rate=20,
    ) as client:
        rows = [{"localpart": f"rate{i}", "domain": "/api/v1/domain/1/"} for i in range(6)]
        assert client.email_account.bulk_create(rows).ok
        pauses: list[float] = []  # reads are never paced: no pause asked for them
        client._session.sleep = pauses.append
        list(client.email_account.all()[:5])
        client.domain.all().count()
        assert pauses == []
    times = sorted(t for _, _, t in wire.writes())
    assert len(times) == 6
    assert all(b - a >= 0.045 for a, b in zip(times, times[1:], strict=False))


@pytest.mark.parametrize("bad", [0, -1, "fast", float("inf")])
def test_max_rate_must_be_a_positive_number(bad):
    with pytest.raises(ConfigurationError, match="max_rate"):
        Client("https://fake.mailroute.test", "demo", "demo-key", max_rate=bad)


def test_the_command_line_takes_max_rate(capsys):
    assert main(["--demo", "--max-rate", "0", "resources"]) == 2
    assert "--max-rate" in capsys.readouterr().err
