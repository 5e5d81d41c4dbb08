"""The run journal (issue 20, "Interrupt and resume"): each bulk row recorded before its
first write and when it finished, in a private file without credentials or secret
fields; a run stopped anywhere resumes to the end state of an uninterrupted run, with no
row written twice; an update or delete resumes on exactly the objects the first run read."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from mailroute_dyn import Client, Interrupted, JournalError
from mailroute_dyn.cli import main
from mailroute_dyn.runs.journal import journal_events
from mailroute_dyn.testing import FakeMailRoute
from mailroute_dyn.vocabulary import is_secret_name
from tests.helpers import InterruptAt

KEY = "demo-key-for-journal-tests"


def _client(transport: httpx.BaseTransport, concurrency: int = 3) -> Client:
    return Client(
        "https://fake.mailroute.test",
        "demo",
        KEY,
        transport=transport,
        cache_dir=None,
        concurrency=concurrency,
    )


def _rows(n: int) -> list[dict[str, Any]]:
    return [{"localpart": f"jr{i}", "domain": "/api/v1/domain/1/", "priority": 5} for i in range(n)]


def _localparts(server: FakeMailRoute, prefix: str = "jr") -> list[str]:
    return sorted(
        o["localpart"] for o in server.objects("email_account") if o["localpart"].startswith(prefix)
    )


def test_a_journal_records_each_row_before_and_after_its_write(tmp_path):
    server = FakeMailRoute(login="demo", api_key=KEY)
    path = tmp_path / "runs" / "run.jsonl"
    with _client(server) as client, client.journal(path):
        result = client.email_account.bulk_create(_rows(3) + [{"domain": 1}])
    assert len(result.succeeded) == 3 and len(result.failed) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    events = list(journal_events(path))
    assert [e["event"] for e in events][0] == "job" and events[0]["plan"] == [1, 2, 3, 4]
    starts = [e for e in events if e["event"] == "start"]
    assert sorted(e["row"] for e in starts) == [1, 2, 3]  # row 4 was refused unsent
    assert all(e["method"] == "POST" and e["body"]["localpart"].startswith("jr") for e in starts)
    done = {e["row"]: e for e in events if e["event"] == "done"}
    assert {r for r, e in done.items() if e["ok"]} == {1, 2, 3} and not done[4]["ok"]
    assert all(done[r]["uri"].startswith("/api/v1/email_account/") for r in (1, 2, 3))
    for row in (1, 2, 3):  # the start line comes before the outcome line
        assert events.index(next(e for e in starts if e["row"] == row)) < events.index(done[row])
    assert KEY not in path.read_text()


def test_before_images_leave_secret_fields_out_and_say_so(tmp_path):
    server = FakeMailRoute(login="demo", api_key=KEY)
    path = tmp_path / "run.jsonl"
    with _client(server) as client:
        servers = list(client.mail_server.all()[:2])
        for obj in servers:
            obj.sasl_password = "hunter2-new-secret"
            obj.priority = 7
        with client.journal(path):
            client.mail_server.bulk_update(servers).raise_first()
    text = path.read_text()
    assert "hunter2" not in text and "sasl_password" in text
    starts = [e for e in journal_events(path) if e["event"] == "start"]
    assert all(e["not_restorable"] == ["sasl_password"] for e in starts)
    assert all("sasl_password" not in e["before"] and "priority" in e["before"] for e in starts)
    assert is_secret_name("smtp_pass") and is_secret_name("dkim_key")
    assert not is_secret_name("bypass_spam_checks") and not is_secret_name("public_key")


@pytest.mark.slow
@pytest.mark.parametrize("at", [1, 5, 9])
def test_an_interrupted_bulk_create_resumes_to_the_same_end_with_no_duplicate(tmp_path, at):
    server = FakeMailRoute(login="demo", api_key=KEY)
    path = tmp_path / "run.jsonl"
    with _client(InterruptAt(server, at)) as client:
        with client.journal(path), pytest.raises(Interrupted):
            client.email_account.bulk_create(_rows(14))
    first = _localparts(server)
    assert len(first) < 14
    with _client(server) as client, client.journal(path, resume=True):
        result = client.email_account.bulk_create(_rows(14))
    assert _localparts(server) == sorted(f"jr{i}" for i in range(14))  # each once
    assert len(result.skipped) == len(first) and result.ok
    with _client(server) as client, client.journal(path, resume=True):
        again = client.email_account.bulk_create(_rows(14))
    assert len(again.skipped) == 14 and not again.succeeded  # a finished run: no-op
    assert _localparts(server) == sorted(f"jr{i}" for i in range(14))


def test_a_row_started_without_outcome_is_looked_up_before_it_is_sent_again(tmp_path):
    server = FakeMailRoute(login="demo", api_key=KEY)
    path = tmp_path / "run.jsonl"
    with _client(server) as client:
        client.domain.create(name="crashed.example", customer="/api/v1/customer/1/")
    # the journal of a run that crashed after sending row 1, before its answer
    path.write_text(
        json.dumps(
            {"event": "job", "job": 1, "verb": "create", "resource": "domain", "plan": [1, 2]}
        )
        + "\n"
        + json.dumps(
            {
                "event": "start",
                "job": 1,
                "row": 1,
                "method": "POST",
                "body": {"name": "crashed.example"},
            }
        )
        + "\n"
    )
    rows = [
        {"name": "crashed.example", "customer": "/api/v1/customer/1/"},
        {"name": "second.example", "customer": "/api/v1/customer/1/"},
    ]
    with _client(server) as client, client.journal(path, resume=True):
        result = client.domain.bulk_create(rows)
    names = [o["name"] for o in server.objects("domain")]
    assert names.count("crashed.example") == 1 and names.count("second.example") == 1
    assert len(result.skipped) == 1 and len(result.succeeded) == 1


def test_a_create_in_doubt_that_cannot_be_looked_up_is_refused(tmp_path):
    server = FakeMailRoute(login="demo", api_key=KEY)
    path = tmp_path / "run.jsonl"
    path.write_text(
        json.dumps(
            {"event": "job", "job": 1, "verb": "create", "resource": "email_account", "plan": [1]}
        )
        + "\n"
        + json.dumps(
            {"event": "start", "job": 1, "row": 1, "method": "POST", "body": {"localpart": "jr0"}}
        )
        + "\n"
    )
    before = _localparts(server)
    with _client(server) as client, client.journal(path, resume=True):
        with pytest.raises(JournalError, match="no unique field"):
            client.email_account.bulk_create(_rows(1))
    assert _localparts(server) == before


def test_a_journal_is_never_overwritten_nor_resumed_by_another_run(tmp_path):
    server = FakeMailRoute(login="demo", api_key=KEY)
    path = tmp_path / "run.jsonl"
    with _client(server) as client:
        with client.journal(path):
            client.email_account.bulk_create(_rows(1))
        with pytest.raises(JournalError, match="exists"):
            with client.journal(path):
                pass
        with client.journal(path, resume=True), pytest.raises(JournalError, match="not"):
            client.wblist.bulk_delete([1])


def _fake_cli(server: FakeMailRoute, *argv: str) -> int:
    return main(["--demo", *argv], transport=server)


@pytest.mark.slow
def test_the_command_line_resumes_an_interrupted_create(capsys, tmp_path):
    server = FakeMailRoute()
    data = tmp_path / "rows.jsonl"
    data.write_text(
        "".join(json.dumps({"localpart": f"jr{i}", "domain": 1}) + "\n" for i in range(12))
    )
    journal = tmp_path / "create.jsonl"
    code = _fake_cli(
        InterruptAt(server, 4),
        "create",
        "email_account",
        "--data",
        f"@{data}",
        "--journal",
        str(journal),
        "--format",
        "jsonl",
    )
    out, err = capsys.readouterr()
    assert code == 130 and f"journal: {journal}" in err.splitlines()[-1]
    first = {json.loads(line)["row"] for line in out.splitlines()}
    code = _fake_cli(
        server,
        "create",
        "email_account",
        "--data",
        f"@{data}",
        "--resume",
        str(journal),
        "--format",
        "jsonl",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    again = [json.loads(line) for line in out.splitlines()]
    assert {r["row"] for r in again if r["result"] == "skipped"} == first
    assert sorted(r["row"] for r in again) == list(range(1, 13))
    assert _localparts(server) == sorted(f"jr{i}" for i in range(12))


@pytest.mark.slow
def test_every_bulk_write_is_journaled_in_the_state_folder_by_default(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    server = FakeMailRoute()
    code = _fake_cli(
        server,
        "update",
        "email_account",
        "--filter",
        "domain=acme-002.com",
        "--all",
        "priority=4",
        "--yes",
    )
    err = capsys.readouterr().err
    assert code == 0, err
    path = Path(err.splitlines()[-1].removeprefix("journal: "))
    assert path.parent == tmp_path / "state" / "mailroute_dyn" / "runs"
    starts = [e for e in journal_events(path) if e["event"] == "start"]
    assert len(starts) == 2 and all(e["before"]["priority"] != 4 for e in starts)


def _raw(real: Any, path: str, **params: Any) -> Any:
    from tests.tastypie_site import auth_header

    with httpx.Client(transport=real, base_url="http://tastypie.test") as raw:
        return raw.get(path, params=params, headers=auth_header()).json()


def test_a_resumed_delete_on_the_real_server_deletes_only_what_the_first_run_read(
    capsys, real, tmp_path
):
    base = ("--profile", "real", "--no-cache")
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "".join(json.dumps({"localpart": f"jdel{i}", "domain": 3}) + "\n" for i in range(8))
    )
    assert main([*base, "create", "email_account", "--data", f"@{rows}"], transport=real) == 0
    journal = tmp_path / "delete.jsonl"
    code = main(
        [
            *base,
            "delete",
            "email_account",
            "--filter",
            "localpart__startswith=jdel",
            "--all",
            "--yes",
            "--journal",
            str(journal),
        ],
        transport=InterruptAt(real, 3),
    )
    assert code == 130
    late = tmp_path / "late.jsonl"  # a row that appears after the first run's read
    late.write_text(
        json.dumps({"localpart": "jdel-late", "domain": 3})
        + "\n"
        + json.dumps({"localpart": "jdel-late2", "domain": 3})
        + "\n"
    )
    assert main([*base, "create", "email_account", "--data", f"@{late}"], transport=real) == 0
    capsys.readouterr()
    code = main(
        [
            *base,
            "delete",
            "email_account",
            "--filter",
            "localpart__startswith=jdel",
            "--all",
            "--yes",
            "--resume",
            str(journal),
            "--format",
            "jsonl",
        ],
        transport=real,
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    left = _raw(real, "/api/v1/email_account/", localpart__startswith="jdel", limit=0)
    assert sorted(o["localpart"] for o in left["objects"]) == ["jdel-late", "jdel-late2"]
    deleted = [e for e in journal_events(journal) if e["event"] == "start"]
    assert all(
        e["before"]["localpart"].startswith("jdel") and e["before"]["domain"] for e in deleted
    )  # the full object, for undo
    main(
        [
            *base,
            "delete",
            "email_account",
            "--filter",
            "localpart__startswith=jdel-late",
            "--all",
            "--yes",
        ],
        transport=real,
    )


def test_single_create_save_and_delete_are_journaled_resumed_and_undone(tmp_path):
    server = FakeMailRoute(login="demo", api_key=KEY)
    path = tmp_path / "run.jsonl"
    with _client(server) as client:
        victim = client.wblist.all().first()
        assert victim is not None
        with client.journal(path):
            made = client.email_account.create(localpart="jr-one", domain=1)
            made.priority = 2
            made.save()
            victim.delete()
        verbs = [e["verb"] for e in journal_events(path) if e["event"] == "job"]
        assert verbs == ["create", "update", "delete"]
        with client.journal(path, resume=True):  # the same calls again: all skipped
            again = client.email_account.create(localpart="jr-one", domain=1)
            assert again.resource_uri == made.resource_uri
            again.priority = 2
            again.save()
        assert _localparts(server, "jr-one") == ["jr-one"]
        steps, _ = client.undo(path)
    assert {s.result for s in steps} == {"undone"}
    assert _localparts(server, "jr-one") == []
    back = [o for o in server.objects("wblist") if o["email"] == victim.email]
    assert len(back) == 1  # wblist takes no PUT: created again, new key
    assert [s.detail for s in steps if s.method == "POST"][0].startswith(
        "created again as a new object"
    )
