"""Re-runs that do the right thing (issue 20): a create keyed by natural fields finds the
rows it made before (`exists`, or `updated`/`unchanged` with upsert), an update sends
nothing to a row that already holds the values, a delete may find its object gone; so
re-running any run writes nothing twice. On the fake and the real Tastypie site."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mailroute_dyn import Client
from mailroute_dyn.cli import main
from mailroute_dyn.testing import FakeMailRoute
from tests.helpers import WRITES, Recording

KEY = ("localpart", "domain")


def _client(transport: httpx.BaseTransport) -> Client:
    return Client(
        "https://fake.mailroute.test", "demo", "demo-key", transport=transport, cache_dir=None
    )


def _rows(n: int, priority: int = 5) -> list[dict[str, Any]]:
    return [
        {"localpart": f"re{i}", "domain": "/api/v1/domain/1/", "priority": priority}
        for i in range(n)
    ]


def _mine(server: FakeMailRoute) -> dict[str, int]:
    found: dict[str, int] = {}
    for obj in server.objects("email_account"):
        if obj["localpart"].startswith("re"):
            found[obj["localpart"]] = obj["priority"]
    return found


def test_a_keyed_create_run_again_finds_every_row_and_writes_nothing():
    server = FakeMailRoute(login="demo", api_key="demo-key")
    wire = Recording(server)
    with _client(wire) as client:
        first = client.email_account.bulk_create(_rows(4), key=KEY)
        assert len(first.created) == 4 and first.ok
        wire.seen.clear()
        again = client.email_account.bulk_create(_rows(4), key=KEY)
    assert len(again.exists) == 4 and not again.created and again.ok
    assert not wire.writes()
    assert all(obj.resource_uri for obj in again.exists)  # the objects as found
    assert len(_mine(server)) == 4


def test_an_upsert_creates_updates_and_leaves_alone_row_by_row():
    server = FakeMailRoute(login="demo", api_key="demo-key")
    with _client(server) as client:
        client.email_account.bulk_create(_rows(3), key=KEY).raise_first()
        rows = _rows(4)
        rows[1]["priority"] = 9
        result = client.email_account.bulk_create(rows, key=KEY, on_conflict="update")
    assert [o.localpart for o in result.unchanged] == ["re0", "re2"]
    assert [o.localpart for o in result.updated] == ["re1"]
    assert [o.localpart for o in result.created] == ["re3"]
    assert _mine(server) == {"re0": 5, "re1": 9, "re2": 5, "re3": 5}


def test_a_key_the_row_does_not_set_or_a_bad_on_conflict_fails_the_row_unsent():
    server = FakeMailRoute(login="demo", api_key="demo-key")
    wire = Recording(server)
    with _client(wire) as client:
        result = client.email_account.bulk_create(
            [{"localpart": "re9", "domain": "/api/v1/domain/1/"}], key=("localpart", "priority")
        )
        bad = client.email_account.bulk_create(_rows(1), key=KEY, on_conflict="merge")
    assert "key names ['priority']" in str(result.failed[0][1])
    assert "on_conflict" in str(bad.failed[0][1])
    assert not wire.writes()


def test_bulk_update_sends_nothing_to_a_row_that_already_holds_the_values():
    server = FakeMailRoute(login="demo", api_key="demo-key")
    wire = Recording(server)
    with _client(wire) as client:
        objs = list(client.email_account.filter(domain=2))
        objs[0].priority = objs[0].priority  # the same value
        objs[1].priority = objs[1].priority + 1
        wire.seen.clear()
        result = client.email_account.bulk_update(objs)
    assert result.unchanged == [objs[0]] and result.updated == [objs[1]]
    assert [path for method, path, _ in wire.writes()] == [objs[1].resource_uri]


def test_bulk_delete_with_missing_ok_reports_gone_objects():
    server = FakeMailRoute(login="demo", api_key="demo-key")
    with _client(server) as client:
        keys = [o.pk for o in client.wblist.all()[:2]]
        client.wblist.bulk_delete(keys[:1]).raise_first()
        strict = client.wblist.bulk_delete(keys[:1])
        assert not strict.ok
        result = client.wblist.bulk_delete(keys, missing_ok=True)
    assert result.ok and len(result.gone) == 1 and len(result.deleted) == 1


@pytest.fixture
def recorded_real(real: Any) -> Recording:
    """The real server's profile (conftest's `real`), its requests recorded."""
    return Recording(real)


def _accounts(real: Any, prefix: str) -> list[dict[str, Any]]:
    from tests.tastypie_site import auth_header

    with httpx.Client(transport=real.inner, base_url="http://tastypie.test") as raw:
        return raw.get(
            "/api/v1/email_account/",
            headers=auth_header(),
            params={"localpart__startswith": prefix, "limit": 0},
        ).json()["objects"]


def test_every_kind_of_run_is_idempotent_on_the_real_server(capsys, recorded_real, tmp_path):
    base = ("--profile", "real", "--no-cache")
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "localpart,domain,priority\n" + "".join(f"rr{i},acme-006.com,{i}\n" for i in range(5))
    )
    create = [
        *base,
        "create",
        "email_account",
        "--data",
        f"@{rows}",
        "--key",
        "localpart,domain",
        "--skip-existing",
        "--format",
        "jsonl",
    ]
    assert main(create, transport=recorded_real) == 0
    capsys.readouterr()
    recorded_real.seen.clear()
    assert main(create, transport=recorded_real) == 0  # the same import again
    out, err = capsys.readouterr()
    assert {json.loads(line)["result"] for line in out.splitlines()} == {"exists"}
    assert "created 0 email_account objects, 5 exists" in err
    assert not recorded_real.writes() and len(_accounts(recorded_real, "rr")) == 5

    rows.write_text(
        "localpart,domain,priority\nrr0,acme-006.com,7\nrr1,acme-006.com,1\nrr9,acme-006.com,2\n"
    )
    upsert = [
        *base,
        "create",
        "email_account",
        "--data",
        f"@{rows}",
        "--key",
        "localpart,domain",
        "--upsert",
        "--format",
        "jsonl",
    ]
    assert main(upsert, transport=recorded_real) == 0
    out, _ = capsys.readouterr()
    assert sorted(json.loads(line)["result"] for line in out.splitlines()) == [
        "created",
        "unchanged",
        "updated",
    ]
    recorded_real.seen.clear()
    assert main(upsert, transport=recorded_real) == 0
    out, _ = capsys.readouterr()
    assert {json.loads(line)["result"] for line in out.splitlines()} == {"unchanged"}
    assert not recorded_real.writes()

    update = [
        *base,
        "update",
        "email_account",
        "--filter",
        "localpart__startswith=rr",
        "--all",
        "priority=3",
        "--yes",
        "--format",
        "jsonl",
    ]
    assert main(update, transport=recorded_real) == 0
    capsys.readouterr()
    recorded_real.seen.clear()
    assert main(update, transport=recorded_real) == 0
    out, _ = capsys.readouterr()
    assert {json.loads(line)["result"] for line in out.splitlines()} == {"unchanged"}
    assert not recorded_real.writes()

    one = _accounts(recorded_real, "rr0")[0]["resource_uri"]
    delete_one = [*base, "delete", "email_account", one, "--yes", "--ignore-not-found"]
    assert main(delete_one, transport=recorded_real) == 0
    assert main(delete_one, transport=recorded_real) == 0  # gone: not an error
    assert main([*base, "delete", "email_account", one, "--yes"], transport=recorded_real) == 1
    delete = [
        *base,
        "delete",
        "email_account",
        "--filter",
        "localpart__startswith=rr",
        "--all",
        "--yes",
        "--ignore-not-found",
    ]
    assert main(delete, transport=recorded_real) == 0
    assert main(delete, transport=recorded_real) == 0
    assert _accounts(recorded_real, "rr") == []


def test_skip_existing_and_upsert_need_a_key(capsys):
    for flags in (
        ["--skip-existing"],
        ["--upsert"],
        ["--key", "localpart"],
        ["--key", "localpart", "--skip-existing", "--upsert"],
        ["--key", "lokalpart", "--upsert"],
    ):
        code = main(["--demo", "create", "email_account", "localpart=x", "domain=1", *flags])
        assert code == 2, flags
    assert "Did you mean 'localpart'?" in capsys.readouterr().err
    assert WRITES


def test_a_dry_run_of_a_keyed_create_counts_what_exists(capsys):
    server = FakeMailRoute()
    rows = '[{"localpart": "re0", "domain": 1}, {"localpart": "re1", "domain": 1}]'
    argv = [
        "--demo",
        "create",
        "email_account",
        "--data",
        rows,
        "--key",
        "localpart,domain",
        "--skip-existing",
    ]
    assert main(argv[:5] + ["--data", '{"localpart": "re0", "domain": 1}'], transport=server) == 0
    capsys.readouterr()
    wire = Recording(server)
    assert main([*argv, "--dry-run"], transport=wire) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "would create 1, update 0, leave 1 unchanged, delete 0"
    assert "POST /api/v1/email_account/ localpart: 're1'  (row 2)" in out
    assert not wire.writes()
