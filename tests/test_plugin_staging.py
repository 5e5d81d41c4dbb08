"""Staging left as found (issue 22 item 9): the plugin journals every write a test sends to
a shared staging server (either client, model calls and raw requests) and takes it back at
teardown; a run killed before teardown leaves its journal, per run and per xdist worker,
for `mailroute-dyn undo FILE`. Run through pytester against the real django-tastypie test
server over loopback and against a fake shared by the tests as their staging server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mailroute_dyn.cli import main
from mailroute_dyn.runs.journal import journal_events

pytest_plugins = ["pytester"]

pytestmark = pytest.mark.usefixtures("plugin_env")

# What the server keeps of each object a test touches; the timestamps are the server's
# own (read-only), so a re-created object's are new.
_MODELS = ("Reseller", "Domain", "EmailAccount", "OutboundServer", "WBList")


def _snapshot() -> dict[str, list[dict[str, Any]]]:
    from tests.tastypie_site.mailroute import models

    rows = {}
    for name in _MODELS:
        values = getattr(models, name).objects.order_by("pk").values()
        rows[name] = [
            {k: v for k, v in row.items() if k not in ("created_at", "updated_at")}
            for row in values
        ]
    return rows


EVERY_WRITE = """
import anyio
import pytest

def test_writes_of_every_kind(mailroute):
    domain = mailroute.domain.get(name="acme-001.com")
    domain.deliveryport = 2525                     # a PUT of every field (no PATCH)
    domain.save()
    reseller = mailroute.reseller.all().order_by("name")[0]
    mailroute.request("PATCH", reseller.resource_uri, json={"name": "renamed by a test"})
    mailroute.outbound_server.all().order_by("server")[0].delete()
    account = mailroute.email_account.create(localpart="staging-made", domain=domain)
    account.priority = 2
    account.save()
    mailroute.email_account.bulk_create([{"localpart": "staging-bulk", "domain": domain}])
    mailroute.wblist.create(email="x@example.com", wb="b", rid="1", domain=domain.resource_uri)
    mailroute.wblist.create(email="y@example.com", wb="w", rid="1",   # no PUT to re-create
                            domain=domain.resource_uri).delete()

@pytest.mark.anyio
async def test_async_writes(mailroute_async):
    Account = await mailroute_async.resource("email_account")
    account = await Account.filter(domain__name="acme-002.com").order_by("localpart").first()
    account.priority = 1
    await account.save()
    await Account.create(localpart="async-made", domain=account.get_raw("domain"))

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""


@pytest.mark.slow
def test_staging_is_left_as_found_updates_deletes_and_creates_taken_back(
    pytester: pytest.Pytester, staging: str, tmp_path: Path
) -> None:
    before = _snapshot()
    pytester.makepyfile(EVERY_WRITE)
    journals = tmp_path / "journals"
    result = pytester.runpytest(
        "--mailroute-url",
        staging,
        "--mailroute-journal-dir",
        str(journals),
        "-W",
        "error::pytest.PytestWarning",
    )
    result.assert_outcomes(passed=2)
    assert _snapshot() == before
    assert list(journals.iterdir()) == []  # a teardown that succeeded removes its journal


CHANGED_BEHIND = """
from tests.tastypie_site.mailroute import models

def test_changed_behind_the_clients_back(mailroute):
    domain = mailroute.domain.get(name="acme-003.com")
    account = mailroute.email_account.create(localpart="staging-kept", domain=domain)
    models.EmailAccount.objects.filter(pk=account.id).update(localpart="changed-by-hand")
"""


@pytest.mark.slow
def test_a_row_teardown_cannot_put_back_is_warned_and_its_journal_kept(
    pytester: pytest.Pytester, staging: str, tmp_path: Path
) -> None:
    from tests.tastypie_site.mailroute import models

    pytester.makepyfile(CHANGED_BEHIND)
    journals = tmp_path / "journals"
    # the warning expected is shown, not raised: this run's `filterwarnings = error`
    # reaches the inner run, which pytester makes in this process
    result = pytester.runpytest(
        "--mailroute-url",
        staging,
        "--mailroute-journal-dir",
        str(journals),
        "-W",
        "default::pytest.PytestWarning",
    )
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*not all taken back: DELETE /api/v1/email_account/* "
            "(skipped: changed since the run: localpart). Its journal "
            "is kept: *.jsonl (mailroute-dyn undo FILE*"
        ]
    )
    [kept] = journals.glob("*/main/*.jsonl")
    assert [e["verb"] for e in journal_events(kept) if e["event"] == "job"] == ["create"]
    models.EmailAccount.objects.filter(localpart="changed-by-hand").delete()


KILLED = """
import os

def test_killed(mailroute):
    domain = mailroute.domain.get(name="acme-001.com")
    domain.deliveryport = 2626
    domain.save()
    mailroute.email_account.create(localpart="killed-made", domain=domain)
    os._exit(3)                                    # no teardown runs
"""


@pytest.mark.slow
def test_a_killed_run_leaves_its_journal_per_worker_and_undo_sweeps_it(
    pytester: pytest.Pytester,
    staging: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _snapshot()
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", "run-1234")
    pytester.makepyfile(KILLED)
    journals = tmp_path / "journals"
    result = pytester.runpytest_subprocess(
        "--mailroute-url", staging, "--mailroute-journal-dir", str(journals)
    )
    assert result.ret == 3
    assert _snapshot() != before
    [left] = journals.glob("*/*/*.jsonl")
    assert left.parent == journals / "run-1234" / "gw1"
    assert left.stat().st_mode & 0o777 == 0o600
    assert main(["--url", staging, "--no-cache", "undo", str(left), "--yes"]) == 0
    assert _snapshot() == before
    assert "fake-key" not in left.read_text() and "api_key" not in json.dumps(
        list(journal_events(left))
    )


SHARED_FAKE_CONFTEST = """
import pytest
from mailroute_dyn.testing import FakeMailRoute

SHARED = FakeMailRoute()                           # one "staging server" for every test

@pytest.fixture
def mailroute_transport():
    return SHARED

@pytest.fixture
def mailroute_async_transport():
    return SHARED
"""

ON_THE_SHARED_FAKE = """
import anyio
import pytest
from conftest import SHARED

def _state():                                     # the server's own timestamps aside
    return {name: sorted(repr({k: v for k, v in o.items() if not k.endswith("ed_at")})
                         for o in SHARED.objects(name))
            for name in ("domain", "email_account", "outbound_server")}

FIRST = []

def test_first_writes(mailroute):
    FIRST.append(_state())
    domain = mailroute.domain.get(name="acme-001.com")
    domain.active = not domain.active
    domain.save()
    mailroute.outbound_server.all().order_by("server")[0].delete()
    mailroute.email_account.create(localpart="fake-made", domain=domain)

@pytest.mark.anyio
async def test_async_writes(mailroute_async):
    Account = await mailroute_async.resource("email_account")
    account = await Account.filter(domain__name="acme-002.com").first()
    account.priority = 1
    await account.save()

def test_then_found_as_left(mailroute):
    assert _state() == FIRST[0]

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""


def test_a_shared_fake_as_staging_is_left_as_found(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mailroute_dyn.fake import DEMO_KEY, DEMO_LOGIN

    monkeypatch.setenv("MAILROUTE_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("MAILROUTE_API_KEY", DEMO_KEY)
    pytester.makeconftest(SHARED_FAKE_CONFTEST)
    pytester.makepyfile(ON_THE_SHARED_FAKE)
    result = pytester.runpytest(
        "--mailroute-url",
        "https://fake.mailroute.test",
        "--mailroute-journal-dir",
        str(tmp_path / "j"),
        "-p",
        "anyio",
        "-W",
        "error::pytest.PytestWarning",
    )
    result.assert_outcomes(passed=3)
    assert list((tmp_path / "j").iterdir()) == []


def _journaled(tmp_path: Path, answer: Any) -> Any:
    import httpx

    from mailroute_dyn.testing.cleanup import JournaledWrites

    return JournaledWrites(httpx.MockTransport(answer), "/api/v1/", tmp_path / "t.jsonl")


def test_a_write_whose_object_cannot_be_read_first_is_reported_never_guessed(
    tmp_path: Path,
) -> None:
    """A GET refused (403) is not a missing object: the PUT is not journaled as a create,
    whose undo would delete an object that was there before the test."""
    import httpx

    writes = _journaled(
        tmp_path, lambda request: httpx.Response(403 if request.method == "GET" else 204)
    )
    with httpx.Client(transport=writes, base_url="https://staging.example.test") as raw:
        raw.put("/api/v1/domain/7/", json={"name": "x"})
    assert writes.untracked == [
        "PUT /api/v1/domain/7/ (its before-image could not be read: HTTP 403)"
    ]
    assert not writes.wrote


def test_a_write_whose_answer_never_came_is_reported(tmp_path: Path) -> None:
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"resource_uri": "/api/v1/domain/7/", "name": "a"})
        raise httpx.ReadError("reset", request=request)

    writes = _journaled(tmp_path, answer)
    with (
        httpx.Client(transport=writes, base_url="https://staging.example.test") as raw,
        pytest.raises(httpx.ReadError),
    ):
        raw.patch("/api/v1/domain/7/", json={"name": "b"})
    assert writes.untracked == [
        "PATCH /api/v1/domain/7/ (no answer came: it may have been written)"
    ]
    writes.close_journal()
    [start] = [e for e in journal_events(writes.path) if e["event"] == "start"]
    assert start["before"] == {"resource_uri": "/api/v1/domain/7/", "name": "a"}
