"""Watching a run (issue 20, "Watch"): every command that prints records takes `--format
json|jsonl|csv|yaml|table`, bulk rows come out as they finish, and a progress bar is drawn
on a terminal (rich with the `cli` extra, plain without)."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from mailroute_dyn.cli import main
from mailroute_dyn.testing import FakeMailRoute
from tests.helpers import COMMAND, ROOT, WITHOUT_RICH, on_a_terminal

yaml = pytest.importorskip("yaml")
pty = pytest.importorskip("pty")


def _run(
    capsys: pytest.CaptureFixture[str], *argv: str, server: httpx.BaseTransport | None = None
) -> tuple[int, str, str]:
    code = main(["--demo", *argv], transport=server or FakeMailRoute())
    out, err = capsys.readouterr()
    return code, out, err


def _parsed(fmt: str, text: str) -> list[dict[str, object]]:
    if fmt == "json":
        loaded = json.loads(text)
        return loaded if isinstance(loaded, list) else [loaded]
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    loaded = yaml.safe_load(text)
    return loaded if isinstance(loaded, list) else [loaded]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "yaml"])
def test_every_record_printing_command_takes_every_format(capsys, tmp_path, fmt):
    code, out, err = _run(capsys, "resources", "--format", fmt)
    assert code == 0, err
    resources = _parsed(fmt, out)
    assert "email_account" in {r["resource"] for r in resources}
    code, out, _ = _run(capsys, "get", "domain", "2", "--format", fmt)
    assert code == 0 and _parsed(fmt, out)[0]["name"] == "acme-002.com"
    code, out, _ = _run(capsys, "list", "domain", "--limit", "3", "--format", fmt)
    assert code == 0 and len(_parsed(fmt, out)) == 3
    data = tmp_path / "rows.jsonl"
    data.write_text('{"localpart": "w1", "domain": 1}\n{"localpart": "w2", "domain": 1}\n')
    code, out, err = _run(capsys, "create", "email_account", "--data", f"@{data}", "--format", fmt)
    assert code == 0, err
    rows = _parsed(fmt, out)
    assert sorted(int(str(r["row"])) for r in rows) == [1, 2]
    assert {r["result"] for r in rows} == {"created"}
    assert all(str(r["resource_uri"]).startswith("/api/v1/email_account/") for r in rows)
    if fmt in ("json", "jsonl", "yaml"):
        assert all(isinstance(r["row"], int) and isinstance(r["key"], int) for r in rows)


def test_yaml_without_pyyaml_names_the_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)
    code, out, err = _run(capsys, "resources", "--format", "yaml")
    assert code == 2 and out == ""
    assert "pip install 'mailroute_dyn[cli]'" in err


class _Watching(httpx.BaseTransport):
    """Forwards to the fake; at the n-th POST it looks at what stdout holds so far."""

    def __init__(self, inner: httpx.BaseTransport, at: int, capsys: pytest.CaptureFixture[str]):
        self.inner, self.at, self.capsys = inner, at, capsys
        self.posts = 0
        self.seen_then = ""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts += 1
            if self.posts == self.at:
                self.seen_then = self.capsys.readouterr().out
        return self.inner.handle_request(request)


def test_bulk_rows_are_printed_as_they_finish_not_at_the_end(capsys, tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_text(
        "".join(json.dumps({"localpart": f"w{i}", "domain": 1}) + "\n" for i in range(30))
    )
    wire = _Watching(FakeMailRoute(), 30, capsys)
    code = main(
        ["--demo", "create", "email_account", "--data", f"@{data}", "--format", "jsonl"],
        transport=wire,
    )
    rest = capsys.readouterr().out
    assert code == 0
    early = [json.loads(line) for line in wire.seen_then.splitlines()]
    assert len(early) >= 30 - 8 - 1  # all but the window in flight were out already
    assert len(early) + len(rest.splitlines()) == 30


def _bulk_on_a_terminal(command: list[str], tmp_path: Path) -> tuple[str, bytes]:
    """(what stderr, a terminal, showed; stdout) of creating 20 accounts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILROUTE_")}
    env.update(
        MAILROUTE_CONFIG=str(tmp_path / "none.toml"),
        PYTHONPATH=str(ROOT),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_STATE_HOME=str(tmp_path / "st"),
    )
    data = tmp_path / "rows.jsonl"
    data.write_text(
        "".join(json.dumps({"localpart": f"t{i}", "domain": 1}) + "\n" for i in range(20))
    )
    return on_a_terminal(
        [*command, "--demo", "create", "email_account", "--data", f"@{data}", "--format", "jsonl"],
        env,
    )


@pytest.mark.slow
def test_a_bulk_write_draws_a_progress_bar_on_a_terminal(tmp_path):
    pytest.importorskip("rich")
    drawn, out = _bulk_on_a_terminal(COMMAND, tmp_path)
    assert len(out.splitlines()) == 20
    assert "creating email_account" in drawn and "20/20" in drawn
    drawn, out = _bulk_on_a_terminal(WITHOUT_RICH, tmp_path)
    assert len(out.splitlines()) == 20
    assert "creating email_account [" in drawn and "20/20" in drawn and "\r" in drawn
