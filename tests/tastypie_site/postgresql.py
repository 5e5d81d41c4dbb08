"""A throwaway PostgreSQL cluster for the test site: `initdb` in a temporary directory, the
server on 127.0.0.1 (a free port) with its unix socket in that directory, all removed when
it stops. Nothing listens beyond loopback.

PostgreSQL refuses to run as root: as root, the cluster's files belong to, and its programs
run as, an unprivileged user (`postgres` when the system has one, else `nobody`).
"""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Where Debian and Ubuntu put each version's programs (they are not on PATH there).
DEBIAN_BIN_DIRS = "/usr/lib/postgresql/*/bin"
SUPERUSER = "postgres"
PROGRAMS = ("initdb", "postgres", "pg_isready", "createdb")
START_TIMEOUT = 60.0


def find_bin_dir():
    """The directory holding initdb and postgres (the newest Debian version first, then
    PATH), or None when PostgreSQL is not installed."""
    candidates = sorted(
        Path("/").glob(DEBIAN_BIN_DIRS.lstrip("/")),
        key=lambda p: _version(p.parent.name),
        reverse=True,
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for directory in candidates:
        if all((directory / program).is_file() for program in PROGRAMS):
            return directory
    return None


def _version(name):
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _run_as():
    """(uid, gid) the cluster runs as: ourselves, or an unprivileged user when root."""
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) exists")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """One PostgreSQL cluster in a temporary directory; use it as a context manager."""

    def __init__(self, bin_dir):
        self.bin_dir = Path(bin_dir)
        self.uid, self.gid = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="tastypie_site_pg_"))
        self.port = _free_port()
        self._server = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def url(self, name):
        """The `postgresql://` URL of database `name` (trust authentication, no password)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def start(self):
        os.chown(self.root, self.uid, self.gid)
        self.root.chmod(0o700)
        self._program(
            "initdb",
            "-D",
            self.root / "data",
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        log = (self.root / "server.log").open("wb")
        # a test cluster: durability is not needed, speed is
        self._server = subprocess.Popen(
            [
                self.bin_dir / "postgres",
                "-D",
                self.root / "data",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                self.root,
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            **self._as_user(),
        )
        log.close()
        self._wait_until_ready()

    def create_database(self, name):
        self._program("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name)

    def stop(self):
        """Stop the server (a fast shutdown, then a kill) and remove the directory."""
        server, self._server = self._server, None
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def _as_user(self):
        if os.geteuid() != 0:
            return {"env": self._env()}
        return {
            "user": self.uid,
            "group": self.gid,
            "extra_groups": [],
            "env": self._env(),
            "cwd": self.root,
        }

    def _env(self):
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}

    def _program(self, program, *args):
        done = subprocess.run(
            [self.bin_dir / program, *map(str, args)],
            capture_output=True,
            text=True,
            **self._as_user(),
        )
        if done.returncode:
            raise RuntimeError(
                f"{program} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-2000:]}"
            )

    def _wait_until_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise RuntimeError(
                    f"postgres exited ({self._server.returncode}): {self._log_tail()}"
                )
            ready = subprocess.run(
                [self.bin_dir / "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"postgres did not start in {START_TIMEOUT:.0f} s: {self._log_tail()}")

    def _log_tail(self):
        log = self.root / "server.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
