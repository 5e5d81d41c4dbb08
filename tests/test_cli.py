"""The `mailroute-dyn` command line, run in-process through `main(argv)` against the demo
server (`--demo`) or a `FakeMailRoute` reached through a profile."""

from __future__ import annotations

import csv
import io
import json
import rlcompleter
from pathlib import Path
from typing import Any

import pytest

from mailroute_dyn.cli.shell import shell_namespace
from mailroute_dyn.testing import DEMO_DATA, FakeMailRoute, demo_client
from tests.helpers import KEY, Terminal, fake, run

pytestmark = pytest.mark.usefixtures("isolated")


# ------------------------------------------------------------------ reading


def test_resources_lists_every_resource_with_its_methods(capsys):
    code, out, err = run(capsys, "--demo", "resources")
    assert code == 0 and err == ""
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    listing = json.loads((DEMO_DATA / "listing.json").read_text(encoding="utf-8"))
    assert sorted(lines) == sorted(listing)
    assert "GET PUT PATCH" in lines["policy_domain"]  # detail methods
    assert lines["domain_with_alias"].split()[1:] == ["GET", "GET"]


def test_global_options_also_work_after_the_command(capsys):
    code, out, _ = run(capsys, "list", "domain", "--demo", "--limit", "2")
    assert code == 0 and "acme-001.com" in out


def test_schema_table_and_json(capsys):
    code, out, _ = run(capsys, "--demo", "schema", "email_account")
    assert code == 0
    assert "domain" in out and "to_one -> domain" in out
    assert "ordering: localpart, priority, domain, created_at" in out
    assert "read-only" in out and "default limit:  20" in out
    code, out, _ = run(capsys, "--demo", "schema", "domain", "--format", "json")
    doc = json.loads(out)
    assert doc["fields"]["name"]["unique"] is True
    assert doc["fields"]["deliveryport"]["default"] == 25
    assert doc["fields"]["policy"]["related_resource"] == "policy_domain"
    assert doc["filtering"] == {"customer": 2, "name": 1}
    assert doc["allowed_detail_methods"] == ["get", "post", "put", "delete"]


def test_list_default_table_limit_and_order(capsys):
    code, out, _ = run(capsys, "--demo", "list", "domain", "--order", "-name")
    rows = out.splitlines()
    assert code == 0
    assert rows[0].split() == ["id", "name", "created_at", "active", "hold_email"]
    assert len(rows) == 1 + 15 and "testdomain3.com" in rows[1]
    code, out, _ = run(capsys, "--demo", "list", "email_account")
    assert len(out.splitlines()) == 1 + 20  # default limit 20


def test_list_filters_are_typed_by_the_schema(capsys):
    code, out, _ = run(
        capsys, "--demo", "list", "email_account", "--filter", "id__in=1,2,3", "--format", "jsonl"
    )
    assert code == 0 and [json.loads(x)["id"] for x in out.splitlines()] == [1, 2, 3]
    code, out, _ = run(
        capsys,
        "--demo",
        "list",
        "email_account",
        "--filter",
        "domain__name=acme-002.com",
        "--format",
        "jsonl",
    )
    assert code == 0 and {json.loads(x)["domain"] for x in out.splitlines()} == {
        "/api/v1/domain/2/"
    }
    code, out, _ = run(
        capsys,
        "--demo",
        "list",
        "policy_domain",
        "--filter",
        "spam_kill_level__isnull=false",
        "--filter",
        "priority__gte=1",
        "--format",
        "json",
        "--fields",
        "id,spam_kill_level",
        "--all",
    )
    objs = json.loads(out)
    assert code == 0 and objs and all(o["spam_kill_level"] is not None for o in objs)
    assert set(objs[0]) == {"id", "spam_kill_level"}


def test_list_formats_json_jsonl_csv(capsys):
    _, out, _ = run(capsys, "--demo", "list", "domain", "--limit", "3", "--format", "json")
    assert [d["name"] for d in json.loads(out)] == ["acme-001.com", "acme-002.com", "acme-003.com"]
    _, out, _ = run(capsys, "--demo", "list", "domain", "--limit", "3", "--format", "jsonl")
    assert all(json.loads(line)["resource_uri"] for line in out.splitlines())
    _, out, _ = run(
        capsys,
        "--demo",
        "list",
        "domain",
        "--limit",
        "2",
        "--format",
        "csv",
        "--fields",
        "name,active",
    )
    assert list(csv.reader(io.StringIO(out))) == [
        ["name", "active"],
        ["acme-001.com", "true"],
        ["acme-002.com", "true"],
    ]
    _, out, _ = run(
        capsys, "--demo", "list", "domain", "--filter", "name=none.example", "--format", "json"
    )
    assert json.loads(out) == []


def test_all_without_a_terminal_draws_no_progress_bar(capsys):
    code, out, err = run(
        capsys, "--demo", "--page-size", "10", "list", "email_account", "--all", "--format", "jsonl"
    )
    assert code == 0 and len(out.splitlines()) == 30
    assert err == ""


def test_get_by_key_and_by_uri(capsys):
    code, out, _ = run(capsys, "--demo", "get", "domain", "2")
    assert code == 0 and "acme-002.com" in out and out.startswith("field")
    code, out, _ = run(capsys, "--demo", "get", "domain", "/api/v1/domain/3/", "--format", "json")
    assert json.loads(out)["name"] == "acme-003.com"


# ------------------------------------------------------------------ errors


def test_unknown_resource_is_refused_as_usage_with_a_suggestion(capsys):
    code, out, err = run(capsys, "--demo", "list", "domian")
    assert code == 2 and out == ""
    assert err.startswith("error: Unknown resource 'domian'. Did you mean 'domain'?")
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_bad_filter_is_refused_as_usage_naming_the_allowed_terms(capsys):
    code, _, err = run(capsys, "--demo", "list", "email_account", "--filter", "id=3")
    assert code == 2 and "Allowed: in." in err
    code, _, err = run(capsys, "--demo", "list", "domain", "--filter", "nme=x")
    assert code == 2 and "Did you mean 'name'?" in err
    code, _, err = run(capsys, "--demo", "list", "domain", "--order", "-nme")
    assert code == 2 and "Orderable: name, created_at" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["create", "email_account", "localpart=x", "domain=1", "priority=abc"],
            "email_account.priority is an integer field: 'abc' is not an integer",
        ),
        (["update", "domain", "1", "active=maybe"], "'maybe' is not a boolean"),
        (["create", "email_account", "localpart"], "expected field=value, got 'localpart'"),
        (["create", "email_account", "locapart=x"], "Did you mean 'localpart'?"),
        (["list", "email_account", "--filter", "id__in=1,x"], "is an integer field"),
        (["update", "domain", "1", "deliveryport=null"], "domain.deliveryport is not nullable"),
        (["create", "domain", "--data", "@/no/such/file.json"], "cannot read --data"),
    ],
)
def test_values_that_do_not_fit_their_field_are_usage_errors(capsys, argv, message):
    code, out, err = run(capsys, "--demo", *argv)
    assert code == 2 and out == ""
    assert message in err and err.startswith("error: ")


def test_argparse_errors_are_2(capsys):
    assert run(capsys, "--demo", "frobnicate")[0] == 2
    assert run(capsys, "--demo", "list", "domain", "--bogus")[0] == 2
    assert run(capsys, "--demo", "list", "domain", "--limit", "0")[0] == 2
    assert run(capsys, "--demo", "list", "domain", "--limit", "3", "--all")[0] == 2


def test_help_on_every_command(capsys):
    for command in (
        "resources",
        "schema",
        "list",
        "get",
        "create",
        "update",
        "delete",
        "shell",
        "stubs",
        "cache",
        "capture",
        "graph",
        "diff",
        "config",
        "completion",
    ):
        code, out, _ = run(capsys, command, "--help")
        assert code == 0 and out.startswith(f"usage: mailroute-dyn {command}")
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "exit status" in out


@pytest.mark.slow
def test_validation_errors_from_the_library_are_usage_errors(capsys):
    server = FakeMailRoute()
    before = len(server.objects("email_account"))
    code, _, err = run(capsys, "--demo", "create", "email_account", "domain=1", transport=server)
    assert code == 2 and "localpart: This field is required." in err
    assert len(server.objects("email_account")) == before


def test_server_and_network_errors_are_1(capsys, tmp_path, fixtures, monkeypatch):
    config = tmp_path / "retryless.toml"
    config.write_text(
        '[profiles.fake]\nbase_url = "https://fake.mailroute.test"\n'
        f'login = "tester"\napi_key = "{KEY}"\nretries = 0\n'
    )
    config.chmod(0o600)
    monkeypatch.setenv("MAILROUTE_CONFIG", str(config))
    for kind, said in (("500", "500"), ("connect", "error: ")):
        server = fake(fixtures)
        server.faults(1.0, (kind,))
        code, _, err = run(capsys, "--profile", "fake", "--no-cache", "resources", transport=server)
        assert code == 1 and said in err and "Traceback" not in err


def test_missing_credentials_are_a_clear_error(capsys):
    code, _, err = run(capsys, "--url", "https://api.example.test", "resources")
    assert code == 2 and "no credentials" in err and "MAILROUTE_API_KEY" in err
    code, _, err = run(capsys, "--url", "https://api.example.test", "--login", "me", "resources")
    assert code == 2 and "Give both login and api_key" in err
    code, _, err = run(capsys, "--profile", "nope", "resources")
    assert code == 2 and "nope" in err


# ------------------------------------------------------------------ writing


def test_create_types_values_by_the_schema(capsys, tmp_path):
    server = FakeMailRoute()
    data = tmp_path / "acct.json"
    data.write_text(json.dumps({"localpart": "from-file", "priority": 3}))
    code, out, err = run(
        capsys,
        "--demo",
        "create",
        "email_account",
        "domain=2",
        "priority=8",
        "--data",
        f"@{data}",
        "--format",
        "json",
        transport=server,
    )
    assert code == 0, err
    created = json.loads(out)
    assert created["priority"] == 8 and created["domain"] == "/api/v1/domain/2/"
    stored = [o for o in server.objects("email_account") if o["localpart"] == "from-file"]
    assert stored[0]["priority"] == 8 and isinstance(stored[0]["priority"], int)


def test_update_booleans_nulls_and_related_keys(capsys):
    server = FakeMailRoute()
    code, out, err = run(
        capsys, "--demo", "update", "domain", "3", "active=no", "customer=1", transport=server
    )
    assert code == 0, err
    domain = next(o for o in server.objects("domain") if o["id"] == 3)
    assert domain["active"] is False and domain["customer"] == "/api/v1/customer/1/"
    code, _, err = run(
        capsys,
        "--demo",
        "update",
        "email_account",
        "1",
        "change_pwd=null",
        "create_opt=yes",
        transport=server,
    )
    acct = next(o for o in server.objects("email_account") if o["id"] == 1)
    assert code == 0 and acct["change_pwd"] is None and acct["create_opt"] == "yes"


def test_delete_asks_refuses_without_a_terminal_and_obeys_yes(capsys, monkeypatch):
    server = FakeMailRoute()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(capsys, "--demo", "delete", "wblist", "1", transport=server)
    assert code == 2 and "--yes" in err
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, _, err = run(capsys, "--demo", "delete", "wblist", "1", transport=server)
    assert code == 1 and "Delete /api/v1/wblist/1/" in err and "[y/N]" in err
    assert any(o["id"] == 1 for o in server.objects("wblist"))
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    code, out, _ = run(capsys, "--demo", "delete", "wblist", "1", transport=server)
    assert code == 0 and out == "deleted /api/v1/wblist/1/\n"
    assert not any(o["id"] == 1 for o in server.objects("wblist"))
    code, out, _ = run(capsys, "--demo", "delete", "wblist", "2", "--yes", transport=server)
    assert code == 0 and not any(o["id"] == 2 for o in server.objects("wblist"))
    code, _, err = run(capsys, "--demo", "delete", "wblist", "2", "--yes", transport=server)
    assert code == 1 and "404" in err


# ------------------------------------------------------------------ profiles, keys


def test_profile_verbose_and_the_key_is_never_printed(capsys, profile, fixtures, monkeypatch):
    code, out, err = run(
        capsys,
        "--profile",
        "fake",
        "--verbose",
        "list",
        "domain",
        "--limit",
        "2",
        transport=fake(fixtures),
    )
    assert code == 0 and "acme-001.com" in out
    assert "GET /api/v1/" in err  # requests are logged
    assert KEY not in out + err
    code, out, err = run(
        capsys,
        "--url",
        "https://fake.mailroute.test",
        "--login",
        "tester",
        "--api-key",
        KEY,
        "--verbose",
        "--no-cache",
        "get",
        "domain",
        "99",
        transport=fake(fixtures),
    )
    assert code == 1 and "404" in err and KEY not in out + err
    monkeypatch.setenv("MAILROUTE_API_KEY", KEY)
    code, out, err = run(capsys, "--apikey", KEY, "resources")  # argparse quotes words
    assert code == 2 and "***" in err and KEY not in out + err


def test_a_refused_key_is_1_without_echoing_it(capsys, profile, fixtures):
    wrong = FakeMailRoute(fixtures, login="tester", api_key="another-key")
    code, out, err = run(capsys, "--profile", "fake", "list", "domain", transport=wrong)
    assert code == 1 and "401" in err and KEY not in out + err


def test_cache_info_and_clear(capsys, profile, fixtures):
    server = fake(fixtures)
    code, out, _ = run(capsys, "--profile", "fake", "cache", "info", transport=server)
    assert code == 0 and "no cache file yet" in out
    assert run(capsys, "--profile", "fake", "resources", transport=server)[0] == 0
    code, out, _ = run(capsys, "--profile", "fake", "cache", transport=server)
    assert code == 0 and str(profile) in out
    assert "19 listed, 19 schemas cached" in out and "KiB" in out and "fresh for" in out
    assert list(profile.rglob("*.json"))
    code, out, _ = run(capsys, "--profile", "fake", "cache", "clear", transport=server)
    assert code == 0 and out.startswith("removed ") and not list(profile.rglob("*.json"))
    code, out, _ = run(capsys, "--demo", "cache", "info")
    assert code == 0 and "memory only" in out


# ------------------------------------------------------------------ diff


def _change_fixtures(folder: Path) -> None:
    schema_path = folder / "schemas" / "domain.json"
    schema = json.loads(schema_path.read_text())
    schema["fields"]["nickname"] = {
        "type": "string",
        "nullable": True,
        "blank": True,
        "readonly": False,
        "unique": False,
        "help_text": "",
    }
    schema["ordering"].remove("hold_email")
    schema_path.write_text(json.dumps(schema))
    quarantine = {
        "fields": {
            "id": {"type": "integer", "unique": True},
            "resource_uri": {"type": "string", "readonly": True},
        },
        "allowed_list_http_methods": ["get"],
        "allowed_detail_http_methods": ["get"],
        "filtering": {},
        "ordering": [],
    }
    (folder / "schemas" / "quarantine.json").write_text(json.dumps(quarantine))
    listing = json.loads((folder / "listing.json").read_text())
    listing["quarantine"] = {
        "list_endpoint": "/api/v1/quarantine/",
        "schema": "/api/v1/quarantine/schema/",
    }
    (folder / "listing.json").write_text(json.dumps(listing))


@pytest.mark.slow
def test_diff_reports_added_resources_and_fields(capsys, profile, fixtures):
    code, _, err = run(capsys, "--profile", "fake", "diff", transport=fake(fixtures))
    assert code == 0 and "no cached schema" in err  # the baseline is saved
    code, out, _ = run(capsys, "--profile", "fake", "diff", transport=fake(fixtures))
    assert code == 0 and out.startswith("no changes")
    _change_fixtures(fixtures)
    code, out, _ = run(capsys, "--profile", "fake", "diff", "--no-update", transport=fake(fixtures))
    assert code == 1
    assert "+ resource quarantine" in out
    assert "~ resource domain" in out and "+ field nickname (string)" in out
    assert "~ ordering: -hold_email" in out
    code, out, _ = run(capsys, "--profile", "fake", "diff", transport=fake(fixtures))
    assert code == 1 and "+ resource quarantine" in out  # --no-update kept the cache
    code, out, _ = run(capsys, "--profile", "fake", "diff", transport=fake(fixtures))
    assert code == 0 and out.startswith("no changes")  # now the cache is live


def test_diff_without_a_disk_cache_compares_nothing(capsys):
    code, out, err = run(capsys, "--demo", "diff")
    assert code == 0 and "no cached schema" in err


# ------------------------------------------------------------------ graph, capture, shell


def test_graph_mermaid_and_dot(capsys):
    code, out, _ = run(capsys, "--demo", "graph", "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart LR")
    assert "    email_account -->|domain| domain" in out.splitlines()
    assert "customer -->|branding_info| brandinginfo" in out  # learned from the data
    assert "email_account -->|notification_task| notification_account_task" in out
    assert "    admins" in out.splitlines()  # no relations, still drawn
    code, out, _ = run(capsys, "--demo", "graph", "--format", "dot")
    assert code == 0 and '"email_account" -> "domain" [label="domain"];' in out


def test_capture_writes_a_fixture_folder(capsys, tmp_path):
    code, out, _ = run(capsys, "--demo", "capture", str(tmp_path / "snap"), "--limit", "2")
    assert code == 0 and "captured 19 resources" in out
    objects = json.loads((tmp_path / "snap" / "objects" / "domain.json").read_text())
    assert len(objects) == 2
    assert FakeMailRoute(tmp_path / "snap").resources


def test_capture_writes_the_rules_file_the_user_keeps(capsys, tmp_path):
    rules = tmp_path / "my-rules.json"
    rules.write_text(json.dumps({"email_account": {"unique_together": [["domain", "localpart"]]}}))
    code, _, _ = run(
        capsys, "--demo", "capture", str(tmp_path / "snap"), "--limit", "1", "--rules", str(rules)
    )
    assert code == 0
    assert json.loads((tmp_path / "snap" / "rules.json").read_text()) == json.loads(
        rules.read_text()
    )
    code, _, err = run(
        capsys,
        "--demo",
        "capture",
        str(tmp_path / "snap2"),
        "--rules",
        str(tmp_path / "missing.json"),
    )
    assert code == 2 and "no such file" in err
    rules.write_text(json.dumps({"email_account": {"min": 1}}))
    code, _, err = run(capsys, "--demo", "capture", str(tmp_path / "snap3"), "--rules", str(rules))
    assert code == 2 and "--rules" in err


def test_shell_reads_statements_from_stdin(capsys, monkeypatch):
    monkeypatch.setattr(
        "sys.stdin",
        io.StringIO(
            "print(Domain.count())\nprint(domain is Domain, client.email_account.__name__)\n"
        ),
    )
    code, out, err = run(capsys, "--demo", "shell")
    assert code == 0 and out == "15\nTrue EmailAccount\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("1/0\n"))
    code, _, err = run(capsys, "--demo", "shell")
    assert code == 1 and "ZeroDivisionError" in err


def test_shell_namespace_completes_resource_names():
    with demo_client() as client:
        namespace = shell_namespace(client)
    completer = rlcompleter.Completer(namespace)
    assert completer.complete("EmailAcc", 0) == "EmailAccount("  # a class: callable
    assert completer.complete("client.email_a", 0).startswith("client.email_account")
    assert namespace["mail_server"] is namespace["MailServer"]


def test_a_mistyped_key_option_is_masked_in_the_usage_error(capsys, monkeypatch):
    monkeypatch.delenv("MAILROUTE_API_KEY", raising=False)
    from mailroute_dyn.cli import main as run_cli

    secret = "typo-fake-key-0f3c9a-not-real"
    assert run_cli(["--apikey", secret, "--demo", "resources"]) == 2
    out = capsys.readouterr()
    assert secret not in out.err + out.out
    assert run_cli([f"--apikey={secret}", "--demo", "resources"]) == 2
    out = capsys.readouterr()
    assert secret not in out.err + out.out


# ------------------------------------------------------------------ help examples


def _help_examples() -> list[tuple[str, str | None, list[str]]]:
    """(command line, stdin, argv) of every `mailroute-dyn …` example in any `--help`."""
    import argparse
    import re
    import shlex

    from mailroute_dyn.cli.args import COMMAND_GROUPS, build_parser

    parser = build_parser()
    texts = [parser.description or "", parser.epilog or ""]

    def add(name, run, help_text, description=""):  # what each command group registers
        texts.append(description or help_text)
        return argparse.ArgumentParser(prog=name)

    for group in COMMAND_GROUPS:
        group.register(add)
    found = []
    pattern = re.compile(r"^\s+(?:echo (?P<stdin>'[^']*') \| )?mailroute-dyn (?P<rest>.*)$")
    for text in texts:
        for line in text.splitlines():
            match = pattern.match(line)
            if not match or "COMMAND" in line:
                continue
            words = shlex.split(match["rest"], comments=True)
            words = words[: words.index("|")] if "|" in words else words
            stdin = shlex.split(match["stdin"])[0] + "\n" if match["stdin"] else None
            found.append((line.strip(), stdin, words))
    return found


HELP_EXAMPLES = _help_examples()


def test_the_help_has_examples_for_the_admin_commands():
    commands = {argv[0] for _, _, argv in HELP_EXAMPLES}
    assert {"list", "get", "create", "update", "delete", "shell", "stubs", "resources"} <= commands
    assert len(HELP_EXAMPLES) >= 15


@pytest.mark.slow
@pytest.mark.parametrize(
    "line, stdin, argv", HELP_EXAMPLES, ids=[line for line, _, _ in HELP_EXAMPLES]
)
def test_every_help_example_runs_on_the_demo(line, stdin, argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.csv").write_text(
        "localpart,domain,priority\npostmaster,acme-001.com,5\nabuse,2,\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin or ""))
    server = FakeMailRoute()
    if argv[0] == "undo":  # its input: the journal of a run
        assert (
            run(
                capsys,
                "--demo",
                "create",
                "email_account",
                "--data",
                "@accounts.csv",
                "--journal",
                "run.jsonl",
                transport=server,
            )[0]
            == 0
        )
    code, _, err = run(capsys, "--demo", *argv, transport=server)
    assert code == 0, f"{line}: {err}"


def test_shell_uses_ipython_when_installed_and_the_plain_console_otherwise(capsys, monkeypatch):
    import code
    import sys
    import types

    started: list[dict[str, Any]] = []
    fake_ipython = types.ModuleType("IPython")
    fake_ipython.start_ipython = lambda **kw: started.append(kw)  # type: ignore[attr-defined]
    plain: list[dict[str, Any]] = []
    monkeypatch.setattr(
        code.InteractiveConsole,
        "interact",  # the standard console
        lambda self, **kw: plain.append(self.locals),
    )
    monkeypatch.setattr("sys.stdin", Terminal(""))
    monkeypatch.setitem(sys.modules, "IPython", fake_ipython)
    code, out, _ = run(capsys, "--demo", "shell")
    assert code == 0 and len(started) == 1 and not plain
    assert started[0]["user_ns"]["Domain"].resource_name == "domain"
    assert out.startswith("mailroute_dyn shell on https://demo.mailroute.test/api/v1/")
    code, _, _ = run(capsys, "--demo", "shell", "--plain")
    assert code == 0 and len(started) == 1 and plain[0]["EmailAccount"]
    monkeypatch.setitem(sys.modules, "IPython", None)  # not installed
    code, _, _ = run(capsys, "--demo", "shell")
    assert code == 0 and len(started) == 1 and len(plain) == 2


@pytest.mark.slow
def test_version_and_verbose_shows_the_query_string(capsys, profile, fixtures):
    from mailroute_dyn import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out == f"mailroute-dyn {__version__}\n"
    code, _, err = run(
        capsys,
        "--profile",
        "fake",
        "--verbose",
        "list",
        "domain",
        "--filter",
        "name__startswith=acme-00",
        "--limit",
        "2",
        transport=fake(fixtures),
    )
    assert code == 0
    assert "GET /api/v1/domain/?name__startswith=acme-00&limit=2&offset=0 -> 200" in err
    code, _, err = run(
        capsys,
        "--profile",
        "fake",
        "--verbose",
        "list",
        "domain",
        "--filter",
        f"name={KEY}",
        transport=fake(fixtures),
    )
    assert code == 0 and "name=***" in err and KEY not in err


def test_the_filter_examples_in_list_help_run_on_the_demo(capsys):
    import re

    code, out, _ = run(capsys, "list", "--help")
    text = " ".join(out.split())
    examples = text.split("a filter lookup (repeatable), e.g.", 1)[1].split("--order")[0]
    lookups = re.findall(r"(?<![\w-])(\w+=[\w.,-]*\w)", examples)
    assert len(lookups) == 4, lookups
    for lookup in lookups:
        code, out, err = run(
            capsys, "--demo", "list", "email_account", "--filter", lookup, "--format", "jsonl"
        )
        assert code == 0 and out, f"{lookup}: {err}"
