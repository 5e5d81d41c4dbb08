"""Helpers several test modules share: a test module imports them from here (fixtures come
from conftest.py), never from another test module, so each test module can be read, run and
moved on its own (tests/test_suite_hygiene.py holds that line)."""

from __future__ import annotations

import _thread
import io
import os
import socket
import socketserver
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import mailroute_dyn
from mailroute_dyn.cli import main
from mailroute_dyn.testing import FakeMailRoute

WRITES = ("POST", "PUT", "PATCH", "DELETE")

# ---------------------------------------------------------------- the command line in-process

#: the API key of the command line tests' `fake` profile (conftest's `profile` fixture)
KEY = "cli-secret-key-0123456789"


def run(
    capsys: pytest.CaptureFixture[str], *argv: str, transport: Any = None
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `mailroute-dyn argv` run in-process."""
    code = main(list(argv), transport=transport)
    out, err = capsys.readouterr()
    return code, out, err


def fake(folder: Path | None = None) -> FakeMailRoute:
    """A fake server that takes the `fake` profile's login and key."""
    return FakeMailRoute(folder, login="tester", api_key=KEY)


class Terminal(io.StringIO):
    """Text that says it is a terminal: stdin for the questions asked only on a terminal,
    or stderr for the progress drawn only there."""

    def isatty(self) -> bool:
        return True


# ---------------------------------------------------------------- transports that watch writes


class Recording(httpx.BaseTransport):
    """Forwards to `inner`, keeping each request's method and path and when it went."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.seen: list[tuple[str, str, float]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path, time.monotonic()))
        return self.inner.handle_request(request)

    def writes(self) -> list[tuple[str, str, float]]:
        return [s for s in self.seen if s[0] in WRITES]


class InterruptAt(httpx.BaseTransport):
    """Forwards to `inner`; at write number `at` it signals the main thread as Ctrl-C
    would (or raises KeyboardInterrupt itself, `raising=True`), and keeps that write in
    flight for `hold` seconds before sending it. Counts the writes that went through and
    when each was sent."""

    def __init__(
        self, inner: httpx.BaseTransport, at: int, *, hold: float = 0.2, raising: bool = False
    ):
        self.inner, self.at, self.hold, self.raising = inner, at, hold, raising
        self.started = 0
        self.sent: list[float] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method in WRITES:
            with self._lock:
                self.started += 1
                number = self.started
            if number == self.at:
                if self.raising:
                    raise KeyboardInterrupt
                _thread.interrupt_main()
                time.sleep(self.hold)  # this write is in flight meanwhile
            response = self.inner.handle_request(request)
            with self._lock:
                self.sent.append(time.monotonic())
            return response
        return self.inner.handle_request(request)


# ---------------------------------------------------------------- a raw loopback server


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def serve(handle: Callable[[socket.socket, bytes], None]) -> Iterator[tuple[str, list[bytes]]]:
    """A loopback TCP server: `handle(sock, request_head)` answers each connection.
    Yields its base URL and the request heads it received."""
    heads: list[bytes] = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            head = b""
            while b"\r\n\r\n" not in head:
                data = self.request.recv(65536)
                if not data:
                    return
                head += data
            heads.append(head)
            try:
                handle(self.request, head)
            except OSError:
                pass  # the client hung up: what a deadline does

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", heads
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- the command line as a process

#: the package under test, wherever it is imported from: the checkout, or (CI's `.ci/run`)
#: the installed wheel, while the tests run from the unpacked sdist without its own copy
PACKAGE = Path(mailroute_dyn.__file__).resolve().parent
#: the folder that holds it (a child's PYTHONPATH)
ROOT = PACKAGE.parent
#: whether that folder is site-packages: tools then find the package without being told
#: (and mypy refuses site-packages in its search path)
INSTALLED = ROOT == Path(sysconfig.get_paths()["purelib"]).resolve()
COMMAND = [sys.executable, "-m", "mailroute_dyn"]
# the command as it runs without the `cli` extra: rich cannot be imported
WITHOUT_RICH = [
    sys.executable,
    "-c",
    "import sys; sys.modules['rich'] = None; "
    "from mailroute_dyn.cli import main; raise SystemExit(main())",
]


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[str, bytes]:
    """(what stderr, a terminal, showed; stdout) of running `argv` with stderr on a pty
    (POSIX only: the calling module skips itself where `pty` is missing)."""
    import pty

    master, slave = pty.openpty()
    try:
        with subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env
        ) as child:
            os.close(slave)
            drawn = _read_all(master).decode()
            out = child.stdout.read() if child.stdout else b""
            assert child.wait(timeout=60) == 0
    finally:
        os.close(master)
    return drawn, out


# ---------------------------------------------------------------- the real Tastypie test site


def site_client(transport: Any, url: str = "http://tastypie.test", kind: Any = None) -> Any:
    """A client (`kind`: `Client` unless given, e.g. `AsyncClient`) of the project's real
    Tastypie test site through `transport`, with the demo user's key: no retries, no schema
    cache on disk, plain http allowed (the site is in-process or on loopback)."""
    from mailroute_dyn import Client
    from tests.tastypie_site import DEMO_API_KEY, DEMO_LOGIN

    return (kind or Client)(
        url,
        DEMO_LOGIN,
        DEMO_API_KEY,
        transport=transport,
        cache_dir=None,
        retries=0,
        allow_insecure=True,
    )


# ---------------------------------------------------------------- mypy over a script


def run_mypy(folder: Path, config: str, *files: str) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` over `files` in `folder` with the ini text `config` (written there as
    mypy.ini), its cache kept in the folder: what a user's type check of a script sees."""
    (folder / "mypy.ini").write_text(config)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            "mypy.ini",
            "--cache-dir",
            str(folder / ".mypy_cache"),
            *files,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
