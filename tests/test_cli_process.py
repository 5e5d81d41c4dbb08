"""The command line as a process: `python -m mailroute_dyn`, a pseudo-terminal for the
progress bar, a closed pipe, and the generated stub under `mypy --strict`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mailroute_dyn.cli import main
from mailroute_dyn.testing import FakeMailRoute, write_fixture
from tests.helpers import COMMAND, INSTALLED, ROOT, WITHOUT_RICH, on_a_terminal, run_mypy

pty = pytest.importorskip("pty")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The child's environment: no MAILROUTE_* settings, caches and config in tmp_path."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("MAILROUTE_")}
    return {
        **kept,
        "MAILROUTE_CONFIG": str(tmp_path / "none.toml"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHONPATH": str(ROOT),
    }


@pytest.mark.slow
def test_python_dash_m_runs_the_cli(env):
    done = subprocess.run(
        [*COMMAND, "--demo", "resources"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "email_account" in done.stdout and done.stderr == ""


def _list_on_a_terminal(command: list[str], env: dict[str, str]) -> tuple[str, bytes]:
    """Listing 30 accounts 10 a page, with stderr on a terminal."""
    return on_a_terminal(
        [
            *command,
            "list",
            "email_account",
            "--all",
            "--demo",
            "--page-size",
            "10",
            "--format",
            "jsonl",
        ],
        env,
    )


@pytest.mark.slow
def test_rich_progress_bar_shows_the_count_on_a_terminal(env):
    pytest.importorskip("rich")
    drawn, out = _list_on_a_terminal(COMMAND, env)
    assert len(out.splitlines()) == 30
    assert "email_account" in drawn and "30/30" in drawn and "100%" in drawn


@pytest.mark.slow
def test_progress_bar_is_drawn_on_a_terminal(env):
    drawn, out = _list_on_a_terminal(WITHOUT_RICH, env)
    assert len(out.splitlines()) == 30
    assert "email_account [" in drawn
    for step in ("0/30", "10/30", "20/30", "30/30"):  # redrawn once per page
        assert step in drawn
    assert "\r" in drawn


@pytest.mark.slow
def test_a_closed_pipe_is_quiet(env):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    try:
        done = subprocess.run(
            [*COMMAND, "--demo", "list", "email_account", "--all", "--format", "jsonl"],
            stdout=write,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write)
    assert done.stderr == b""
    assert done.returncode == 141


GOOD = """\
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from mailroute_dyn import Client

if TYPE_CHECKING:
    from mailroute_api import Domain, EmailAccount, MailRouteClient

client = cast("MailRouteClient", Client.demo())


def bump(acct: EmailAccount) -> int:
    acct.priority = acct.priority + 1
    acct.save()
    return acct.priority


for acct in client.email_account.filter(domain__name="acme-001.com").order_by("-priority"):
    domain: Domain = acct.domain
    created: datetime = acct.created_at
    print(domain.name.upper(), bump(acct), created.year)

first = client.domain.filter(name__startswith="acme", customer=1).first()
if first is not None and first.policy is not None:
    print(first.policy.resource_uri)
new = client.email_account.create(localpart="typed", domain=client.domain.get(1))
new.domain = 2
print(client.resource("domain").count(), client.domain.all()[0].name)
"""

BAD = """\
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from mailroute_dyn import Client

if TYPE_CHECKING:
    from mailroute_api import MailRouteClient

client = cast("MailRouteClient", Client.demo())
acct = client.email_account.get(1)
acct.priority = "high"
client.domain.filter(nmae="x")
client.domain.filter(name__startswith=5)
client.email_account.create(domain=1)
client.domian
"""


EDGE = """\
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from mailroute_dyn import Client

if TYPE_CHECKING:
    from edge_api import MailRouteClient

client = cast("MailRouteClient", Client())
obj = client.type.get(1)
when: dt.date = obj.date
later: dt.time | None = obj.time
obj.type = "x"
obj.kind = 3
client.type.filter(date__year=2024, kind__date=dt.date(2024, 1, 1), type="a")
print(obj["class"], obj["count"], client.type.count() + 1, client.resource("type").first())
"""


def _edge_fixture(folder: Path) -> None:
    """A resource called `type` whose fields shadow builtins and Resource members."""

    def spec(kind: str, **flags: object) -> dict[str, object]:
        return {
            "type": kind,
            "nullable": False,
            "blank": False,
            "readonly": False,
            "unique": False,
            "help_text": "",
            **flags,
        }

    schema = {
        "fields": {
            "id": spec("integer", unique=True),
            "date": spec("date"),
            "time": spec("time", nullable=True),
            "type": spec("string"),
            "class": spec("string"),
            "count": spec("integer"),
            "resource_uri": spec("string", readonly=True),
            "kind": spec(
                "related",
                related_type="to_one",
                nullable=True,
                related_schema="/api/v1/type/schema/",
            ),
        },
        "filtering": {"date": 1, "type": ["exact"], "kind": 2},
        "ordering": ["date"],
        "allowed_list_http_methods": ["get"],
        "allowed_detail_http_methods": ["get"],
    }
    write_fixture(folder, {"type": schema}, {"type": []})


@pytest.mark.slow
def test_generated_stub_type_checks_scripts_with_mypy_strict(tmp_path, capsys):
    stub = tmp_path / "typings" / "mailroute_api.pyi"
    assert main(["--demo", "stubs", "-o", str(stub)]) == 0
    assert "wrote" in capsys.readouterr().err
    _edge_fixture(tmp_path / "edge")
    edge = FakeMailRoute(tmp_path / "edge", login="a", api_key="b")
    assert (
        main(
            [
                "--url",
                "https://edge.test",
                "--login",
                "a",
                "--api-key",
                "b",
                "--no-cache",
                "stubs",
                "-o",
                str(tmp_path / "typings" / "edge_api.pyi"),
            ],
            transport=edge,
        )
        == 0
    )
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "edge.py").write_text(EDGE)
    config = textwrap.dedent(f"""\
    [mypy]
    mypy_path = {tmp_path / "typings"}{"" if INSTALLED else f":{ROOT}"}
    [mypy-mailroute_dyn.*]
    follow_imports = silent
    """)
    done = run_mypy(tmp_path, config, "good.py", "bad.py", "edge.py")
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert errors, done.stdout + done.stderr
    assert all(line.startswith("bad.py:") for line in errors), done.stdout  # the rest passes
    lines = {int(line.split(":")[1]) for line in errors}
    assert lines == {12, 13, 14, 15, 16}, done.stdout
    assert (
        'Incompatible types in assignment (expression has type "str", variable has '
        'type "int")' in done.stdout
    )
    assert 'Unexpected keyword argument "nmae"' in done.stdout
    assert 'Missing named argument "localpart"' in done.stdout
    # and the good script really runs against the demo server
    ran = subprocess.run(
        [sys.executable, "good.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert ran.returncode == 0, ran.stderr
