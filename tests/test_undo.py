"""Undo of a journaled run (issue 20, "Undo"), on the real Tastypie test site: the rows a
create, update or delete run wrote are put back (checked with raw GETs), a row changed
since the run is left alone and reported, `--dry-run` sends no write, and the undo is
journaled in turn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from mailroute_dyn import Client
from mailroute_dyn.cli import main
from mailroute_dyn.runs.journal import journal_events
from mailroute_dyn.testing import FakeMailRoute

BASE = ("--profile", "real", "--no-cache")


class Recording(httpx.BaseTransport):
    """Forwards to `inner` and keeps each request's method and path."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.seen: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        return self.inner.handle_request(request)


def _raw(real: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    from tests.tastypie_site import auth_header

    with httpx.Client(transport=real, base_url="http://tastypie.test") as raw:
        return raw.request(method, path, headers=auth_header(), **kwargs)


def _accounts(real: Any, prefix: str) -> dict[str, dict[str, Any]]:
    body = _raw(
        real, "GET", "/api/v1/email_account/", params={"localpart__startswith": prefix, "limit": 0}
    ).json()
    return {o["localpart"]: o for o in body["objects"]}


def _create(
    real: Any, tmp_path: Path, prefix: str, n: int, journal: Path | None = None, domain: int = 4
) -> None:
    rows = tmp_path / f"{prefix}.jsonl"
    rows.write_text(
        "".join(
            json.dumps({"localpart": f"{prefix}{i}", "domain": domain, "priority": 3}) + "\n"
            for i in range(n)
        )
    )
    more = ["--journal", str(journal)] if journal else []
    assert (
        main([*BASE, "create", "email_account", "--data", f"@{rows}", *more], transport=real) == 0
    )


def test_undo_of_a_create_run_deletes_what_it_created_except_a_row_changed_since(
    capsys, real, tmp_path
):
    journal = tmp_path / "create.jsonl"
    _create(real, tmp_path, "uc", 4, journal)
    made = _accounts(real, "uc")
    assert len(made) == 4
    touched = made["uc2"]
    _raw(real, "PUT", touched["resource_uri"], json={**touched, "priority": 8})
    capsys.readouterr()
    code = main([*BASE, "undo", str(journal), "--yes"], transport=real)
    out, err = capsys.readouterr()
    assert code == 1, err  # one row was not undone
    assert set(_accounts(real, "uc")) == {"uc2"}  # raw GET: the others are gone
    assert f"DELETE {touched['resource_uri']}  (skipped: changed since the run: priority)" in out
    undo_journal = journal.with_suffix(".undo.jsonl")
    assert f"journal: {undo_journal}" in err
    assert {e["event"] for e in journal_events(undo_journal)} >= {"job", "start", "done"}
    _raw(real, "DELETE", touched["resource_uri"])


def test_undo_of_an_update_run_puts_the_fields_back(capsys, real, tmp_path):
    _create(real, tmp_path, "uu", 5)
    before = _accounts(real, "uu")
    journal = tmp_path / "update.jsonl"
    assert (
        main(
            [
                *BASE,
                "update",
                "email_account",
                "--filter",
                "localpart__startswith=uu",
                "--all",
                "priority=9",
                "--yes",
                "--journal",
                str(journal),
            ],
            transport=real,
        )
        == 0
    )
    assert {o["priority"] for o in _accounts(real, "uu").values()} == {9}
    other = before["uu4"]
    _raw(real, "PUT", other["resource_uri"], json={**other, "priority": 6})
    recorded = Recording(real)
    capsys.readouterr()
    code = main([*BASE, "undo", str(journal), "--dry-run"], transport=recorded)
    out, _ = capsys.readouterr()
    assert code == 1 and all(method == "GET" for method, _ in recorded.seen)  # no write
    line = f"PUT {before['uu0']['resource_uri']} priority: 9 → 3  (would undo)"
    assert line in out.splitlines()
    assert main([*BASE, "undo", str(journal), "--yes"], transport=real) == 1
    after = _accounts(real, "uu")
    assert {n: o["priority"] for n, o in after.items()} == {
        "uu0": 3,
        "uu1": 3,
        "uu2": 3,
        "uu3": 3,
        "uu4": 6,
    }  # uu4 changed since: left
    for name in ("uu0", "uu1"):  # nothing else moved
        assert {k: v for k, v in after[name].items() if k != "updated_at"} == {
            k: v for k, v in before[name].items() if k != "updated_at"
        }
    for obj in after.values():
        _raw(real, "DELETE", obj["resource_uri"])


def test_undo_of_a_delete_run_creates_the_objects_again_under_their_keys(capsys, real, tmp_path):
    _create(real, tmp_path, "ud", 3)
    before = _accounts(real, "ud")
    journal = tmp_path / "delete.jsonl"
    assert (
        main(
            [
                *BASE,
                "delete",
                "email_account",
                "--filter",
                "localpart__startswith=ud",
                "--all",
                "--yes",
                "--journal",
                str(journal),
            ],
            transport=real,
        )
        == 0
    )
    assert _accounts(real, "ud") == {}
    assert main([*BASE, "undo", str(journal), "--yes"], transport=real) == 0
    again = _accounts(real, "ud")
    assert {n: o["resource_uri"] for n, o in again.items()} == {
        n: o["resource_uri"] for n, o in before.items()
    }  # the same keys
    for name, obj in before.items():
        assert {k: again[name][k] for k in ("domain", "priority", "localpart")} == {
            k: obj[k] for k in ("domain", "priority", "localpart")
        }
        _raw(real, "DELETE", obj["resource_uri"])


def test_undo_from_python_after_a_journaled_bulk_update(tmp_path):
    server = FakeMailRoute(login="demo", api_key="demo-key")
    journal = tmp_path / "run.jsonl"
    with Client(
        "https://fake.mailroute.test", "demo", "demo-key", transport=server, cache_dir=None
    ) as client:
        objs = list(client.email_account.filter(domain=2))
        before = {o.pk: o.priority for o in objs}
        for obj in objs:
            obj.priority = 42
        with client.journal(journal):
            client.email_account.bulk_update(objs).raise_first()
        plan, where = client.undo(journal, dry_run=True)
        assert where is None and {s.result for s in plan} == {"would undo"}
        steps, _ = client.undo(journal)
        assert {s.result for s in steps} == {"undone"}
        assert {o.pk: o.priority for o in client.email_account.filter(domain=2)} == before


def test_undo_compares_with_what_the_server_stored_not_with_what_was_sent(tmp_path: Path):
    """A value the server normalised ("7" sent, 7 stored) is no change made since the run
    (issue 22 item 9: a test's teardown takes back what the plugin journaled as sent)."""
    from mailroute_dyn.fake import DEMO_KEY, DEMO_LOGIN

    client = Client(
        base_url="https://fake.mailroute.test",
        login=DEMO_LOGIN,
        api_key=DEMO_KEY,
        transport=FakeMailRoute(),
        cache_dir=None,
    )
    domain = client.domain.get(name="acme-001.com")
    account = client.email_account.create(localpart="normalised", domain=domain)
    journal = tmp_path / "run.jsonl"
    events = [
        {"event": "job", "job": 1, "verb": "create", "resource": "email_account", "plan": [1]},
        {
            "event": "start",
            "job": 1,
            "row": 1,
            "method": "POST",
            "uri": "/api/v1/email_account/",
            "before": None,
            "not_restorable": [],
            "body": {"localpart": "normalised", "priority": "7"},
        },
        {
            "event": "done",
            "job": 1,
            "row": 1,
            "ok": True,
            "kind": "created",
            "uri": account.resource_uri,
            "after": {"localpart": "normalised", "priority": 7},
        },
    ]
    journal.write_text("".join(json.dumps(e) + "\n" for e in events))
    steps, _ = client.undo(journal)
    assert [s.result for s in steps] == ["undone"]
    assert not client.email_account.filter(localpart="normalised").exists()


def test_writes_to_an_object_the_run_created_fold_into_its_create(tmp_path: Path):
    """Created then deleted needs nothing (re-creating it by POST, wblist having no PUT,
    left a copy); created then updated is one DELETE, checked against the update."""
    from mailroute_dyn.fake import DEMO_KEY, DEMO_LOGIN

    fake = FakeMailRoute()
    client = Client(
        base_url="https://fake.mailroute.test",
        login=DEMO_LOGIN,
        api_key=DEMO_KEY,
        transport=fake,
        cache_dir=None,
    )
    domain = client.domain.get(name="acme-001.com")
    entries = len(fake.objects("wblist"))
    with client.journal(tmp_path / "run.jsonl"):
        client.wblist.create(
            email="y@example.com", wb="w", rid="1", domain=domain.resource_uri
        ).delete()
        account = client.email_account.create(localpart="folded", domain=domain)
        account.priority = 2
        account.save()
    steps, _ = client.undo(tmp_path / "run.jsonl")
    assert [(s.method, s.uri, s.result) for s in steps] == [
        ("DELETE", account.resource_uri, "undone")
    ]
    assert len(fake.objects("wblist")) == entries
    assert not client.email_account.filter(localpart="folded").exists()
