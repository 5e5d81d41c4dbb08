"""`mailroute-dyn` as a real process, stopped by a real SIGINT or SIGTERM in the middle of a
bulk write against the project's real Tastypie site over loopback (issue 20): before any
write, while writes are in flight, and between rows. Every row the server holds was
printed, every printed row is on the server, and the summary counts the rest; `--resume`
then ends where an uninterrupted run would, each row once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import mailroute_dyn

ROOT = Path(mailroute_dyn.__file__).resolve().parent.parent
WRITES = ("POST", "PUT", "PATCH", "DELETE")
ROWS = 24

pytestmark = pytest.mark.slow


class SlowWrites:
    """WSGI middleware: each write takes `delay` seconds; `hook(method, path)` is told of
    every request as it arrives (before the site answers it)."""

    def __init__(self, app: Any, delay: float):
        self.app, self.delay = app, delay
        self.hook: Callable[[str, str], None] = lambda method, path: None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = environ["REQUEST_METHOD"]
        self.hook(method, environ["PATH_INFO"])
        if method in WRITES:
            time.sleep(self.delay)
        return self.app(environ, start_response)


@pytest.fixture
def site(tastypie_app: Any) -> Iterator[tuple[str, SlowWrites]]:
    from tests.tastypie_site import live_server

    slow = SlowWrites(tastypie_app, delay=0.15)
    with live_server(slow) as url:
        yield url, slow


def _child(url: str, data: Path, tmp_path: Path, *more: str) -> subprocess.Popen[str]:
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILROUTE_")}
    env.update(
        MAILROUTE_CONFIG=str(tmp_path / "none.toml"),
        PYTHONPATH=str(ROOT),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailroute_dyn",
            "--url",
            url,
            "--login",
            DEMO_LOGIN,
            "--api-key",
            DEMO_API_KEY,
            "--no-cache",
            "create",
            "email_account",
            "--data",
            f"@{data}",
            "--format",
            "jsonl",
            *more,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _rest_of(child: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    """What the child writes until it exits, after lines were read with `readline()`:
    read through the same file objects, so the lines `readline()` already buffered are
    kept (`communicate()` reads the pipes underneath and would lose them)."""
    watchdog = threading.Timer(timeout, child.kill)
    watchdog.start()
    try:
        assert child.stdout is not None and child.stderr is not None
        err: list[str] = []
        stderr = child.stderr
        reader = threading.Thread(target=lambda: err.append(stderr.read()))
        reader.start()
        out = child.stdout.read()
        reader.join()
        child.wait()
        return out, "".join(err)
    finally:
        watchdog.cancel()
        for pipe in (child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()


def _server_list(url: str, prefix: str) -> list[dict[str, Any]]:
    """The rows the run created, by a raw GET (a duplicate shows twice)."""
    from tests.tastypie_site import auth_header

    answer = httpx.get(
        f"{url}/api/v1/email_account/",
        params={"localpart__startswith": prefix, "limit": 0},
        headers=auth_header(),
        timeout=30,
    )
    objects: list[dict[str, Any]] = answer.json()["objects"]
    return objects


def _server_rows(url: str, prefix: str) -> dict[str, str]:
    """localpart -> resource_uri of the rows the run created."""
    return {o["localpart"]: o["resource_uri"] for o in _server_list(url, prefix)}


@pytest.mark.parametrize(
    "point, signum",
    [
        ("before any write", signal.SIGINT),
        ("first write in flight", signal.SIGINT),
        ("after 5 rows", signal.SIGINT),
        ("after 5 rows", signal.SIGTERM),
    ],
)
def test_a_signal_stops_bulk_create_and_every_finished_row_is_printed(
    site, tmp_path, point, signum
):
    url, slow = site
    prefix = f"sig{abs(hash((point, signum))) % 10000}-"
    data = tmp_path / "rows.jsonl"
    data.write_text(
        "".join(json.dumps({"localpart": f"{prefix}{i}", "domain": 7}) + "\n" for i in range(ROWS))
    )
    ready = threading.Event()
    writes = 0

    def hook(method: str, path: str) -> None:
        nonlocal writes
        if point == "before any write" and path == "/api/v1/":  # discovery
            ready.set()
        if method in WRITES:
            writes += 1
            if point == "first write in flight":
                ready.set()

    slow.hook = hook
    journal = tmp_path / "run.jsonl"
    child = _child(url, data, tmp_path, "--journal", str(journal))
    lines: list[str] = []
    try:
        if point == "after 5 rows":
            assert child.stdout is not None
            while len(lines) < 5:
                line = child.stdout.readline()
                assert line, child.stderr.read() if child.stderr else ""
                lines.append(line)
        else:
            while not ready.wait(0.1):
                assert child.poll() is None, child.communicate()
        child.send_signal(signum)
        out, err = _rest_of(child)
    finally:
        if child.poll() is None:
            child.kill()
    lines += out.splitlines(keepends=True)
    time.sleep(0.5)  # a write sent after the exit would land by now
    printed = [json.loads(line) for line in lines]
    made = _server_rows(url, prefix)
    assert child.returncode == 130, err
    assert {r["resource_uri"] for r in printed if r["ok"]} == set(made.values())
    assert sorted(r["row"] for r in printed) == sorted({r["row"] for r in printed})
    left = ROWS - len(printed)
    assert f"interrupted: {len(made)} done, 0 failed, {left} not started" in err or (
        point == "before any write" and err.strip().endswith("interrupted") and not made
    )
    assert left > 0 and (writes > 0) == (point != "before any write")
    if not journal.exists():  # stopped before the run began: nothing to resume
        assert not made
        return
    again = _child(url, data, tmp_path, "--resume", str(journal))
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["row"] for r in rows) == list(range(1, ROWS + 1))
    assert {r["row"] for r in rows if r["result"] == "skipped"} == {
        r["row"] for r in printed if r["ok"]
    }
    final = [o["localpart"] for o in _server_list(url, prefix)]
    assert sorted(final) == sorted(f"{prefix}{i}" for i in range(ROWS))  # each once
