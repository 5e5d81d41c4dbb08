"""The test site in a process of its own, so that it can run on another database than the
test process's site (one Django process has one settings object)::

    TASTYPIE_SITE_POSTGRESQL=postgresql://postgres@127.0.0.1:5432/site \\
        python -m tests.tastypie_site.serve

The process migrates, serves on 127.0.0.1 (a free port) and prints ``serving <url>``. Then
each line ``reset`` on its standard input empties the data, seeds it again
(``seed_data(**FIXTURE_SEED)`` and ``seed_groups()``, as the fixtures were exported) and is
answered ``ready``. It stops at the end of its input. ``SiteProcess`` is the other side.
"""

import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run by path: make ``tests.tastypie_site`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.tastypie_site.server import POSTGRESQL_ENV  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
STARTED, RESET, READY = "serving", "reset", "ready"


def _seed():
    from tests.tastypie_site.export_fixtures import FIXTURE_SEED
    from tests.tastypie_site.server import create_user, reset_data, seed_data, seed_groups

    create_user()
    reset_data()
    seed_data(**FIXTURE_SEED)
    seed_groups()


def main():
    """The child's side: serve until standard input ends, reseeding on each `reset`."""
    from tests.tastypie_site.server import live_server, wsgi_app

    # the seed's naive timestamps: Django warns once per row
    warnings.filterwarnings("ignore", "DateTimeField .* naive datetime", RuntimeWarning)
    app = wsgi_app()
    with live_server(app) as url:
        print(STARTED, url, flush=True)
        for line in sys.stdin:
            if line.strip() == RESET:
                _seed()
                print(READY, flush=True)


class SiteProcess:
    """The parent's side: the site served by a child process on the PostgreSQL database
    `database_url`; `url` is where it listens. Use it as a context manager."""

    def __init__(self, database_url):
        self._log = tempfile.TemporaryFile()
        env = {**os.environ, POSTGRESQL_ENV: database_url}
        self._child = subprocess.Popen(
            [sys.executable, "-m", "tests.tastypie_site.serve"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.url = self._expect(STARTED)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def reset(self):
        """Empty the site's data and seed it again; returns when the child is done."""
        self._child.stdin.write(f"{RESET}\n")
        self._child.stdin.flush()
        self._expect(READY)

    def close(self):
        if self._child.poll() is None:
            self._child.stdin.close()
            try:
                self._child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
        self._child.stdout.close()
        self._log.close()

    def _expect(self, word):
        line = self._child.stdout.readline().split()
        if not line or line[0] != word:
            self._child.kill()
            self._child.wait()
            self._log.seek(0)
            tail = self._log.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"the site process did not answer {word!r}: {tail}")
        return line[1] if len(line) > 1 else ""


if __name__ == "__main__":
    main()
