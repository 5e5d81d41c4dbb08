"""Admin work from the shell: objects chosen by filter or by a unique name instead of an id,
related values given by natural key, and bulk create/update/delete with per-row results."""

# ruff: noqa: F811  (fixtures shared with test_cli are imported, then requested by name)
from __future__ import annotations

import io
import json
from typing import Any

import pytest

from mailroute_dyn.testing import FakeMailRoute
from tests.helpers import run

pytestmark = pytest.mark.usefixtures("isolated")


def count(server: FakeMailRoute, resource: str) -> int:
    return len(server.objects(resource))


def by_id(server: FakeMailRoute, resource: str, pk: int) -> dict[str, Any]:
    return next(o for o in server.objects(resource) if o["id"] == pk)


# ------------------------------------------------------------------ natural keys


def test_a_related_value_may_be_given_by_its_unique_name(capsys):
    server = FakeMailRoute()
    code, out, err = run(
        capsys,
        "--demo",
        "create",
        "email_account",
        "localpart=ops",
        "domain=acme-002.com",
        "--format",
        "json",
        transport=server,
    )
    assert code == 0, err
    assert json.loads(out)["domain"] == "/api/v1/domain/2/"
    stored = [o for o in server.objects("email_account") if o["localpart"] == "ops"]
    assert [o["domain"] for o in stored] == ["/api/v1/domain/2/"]


def test_a_name_that_finds_nothing_is_refused_naming_the_value(capsys):
    server = FakeMailRoute()
    before = count(server, "email_account")
    code, out, err = run(
        capsys,
        "--demo",
        "create",
        "email_account",
        "localpart=ops",
        "domain=acme-0002.com",
        transport=server,
    )
    assert code == 2 and out == ""
    assert "email_account.domain=acme-0002.com" in err and "no domain has name" in err
    assert count(server, "email_account") == before


def test_a_refused_write_names_the_related_key_it_was_given(capsys):
    code, _, err = run(capsys, "--demo", "create", "email_account", "localpart=ops", "domain=999")
    assert code == 1 and "email_account.domain=999 (/api/v1/domain/999/)" in err


def test_filter_values_for_relations_may_be_names(capsys):
    code, out, err = run(
        capsys,
        "--demo",
        "list",
        "email_account",
        "--filter",
        "domain=acme-002.com",
        "--format",
        "jsonl",
    )
    assert code == 0, err
    assert {json.loads(line)["domain"] for line in out.splitlines()} == {"/api/v1/domain/2/"}


def test_get_by_unique_name(capsys):
    code, out, _ = run(capsys, "--demo", "get", "domain", "acme-003.com", "--format", "json")
    assert code == 0 and json.loads(out)["id"] == 3
    code, _, err = run(capsys, "--demo", "get", "domain", "nowhere.example")
    assert code == 1 and "no domain has name or key 'nowhere.example'" in err


# ------------------------------------------------------------------ selection by filter


def test_get_update_delete_by_filter_need_exactly_one_match(capsys):
    server = FakeMailRoute()
    code, out, _ = run(
        capsys,
        "--demo",
        "get",
        "email_account",
        "--filter",
        "localpart=info",
        "--filter",
        "domain=acme-002.com",
        "--format",
        "json",
        transport=server,
    )
    assert code == 0 and json.loads(out)["localpart"] == "info"
    before = [dict(o) for o in server.objects("email_account")]
    code, _, err = run(
        capsys,
        "--demo",
        "update",
        "email_account",
        "--filter",
        "domain=acme-002.com",
        "priority=1",
        transport=server,
    )
    assert code == 2 and "matches 2 email_account objects, not one" in err and "--all" in err
    code, _, err = run(
        capsys,
        "--demo",
        "delete",
        "email_account",
        "--filter",
        "domain=acme-002.com",
        "--yes",
        transport=server,
    )
    assert code == 2 and "matches 2" in err
    assert [dict(o) for o in server.objects("email_account")] == before  # nothing written
    code, _, err = run(capsys, "--demo", "get", "domain", "--filter", "name=none.example")
    assert code == 1 and "no domain matches --filter name=none.example" in err
    code, _, err = run(capsys, "--demo", "get", "domain")
    assert code == 2 and "--filter" in err
    code, _, err = run(capsys, "--demo", "get", "domain", "2", "--filter", "name=x")
    assert code == 2 and "not both" in err
    code, _, err = run(
        capsys, "--demo", "delete", "domain", "2", "--all", "--yes", transport=server
    )
    assert code == 2 and "give --filter" in err and by_id(server, "domain", 2)
    code, _, err = run(capsys, "--demo", "get", "domain", "name=acme-002.com")
    assert code == 2 and "did you mean --filter name=acme-002.com?" in err


def test_one_object_as_a_json_line(capsys):
    code, out, _ = run(
        capsys,
        "--demo",
        "create",
        "wblist",
        "email=x@y.example",
        "wb=w",
        "rid=2",
        "--format",
        "jsonl",
    )
    assert code == 0 and len(out.splitlines()) == 1 and json.loads(out)["wb"] == "w"


def test_update_by_filter_changes_only_the_named_field_of_the_one_match(capsys):
    server = FakeMailRoute()
    before = by_id(server, "domain", 3)
    code, _, err = run(
        capsys,
        "--demo",
        "update",
        "domain",
        "--filter",
        "name=acme-003.com",
        "hold_email=yes",
        transport=server,
    )
    assert code == 0, err
    after = by_id(server, "domain", 3)
    assert after["hold_email"] is True
    assert {k: v for k, v in after.items() if k not in ("hold_email", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("hold_email", "updated_at")
    }


def test_field_values_may_come_before_or_after_options(capsys):
    server = FakeMailRoute()
    code, _, err = run(
        capsys,
        "--demo",
        "update",
        "domain",
        "active=no",
        "--filter",
        "name=acme-004.com",
        transport=server,
    )
    assert code == 0, err
    code, _, err = run(
        capsys,
        "--demo",
        "update",
        "domain",
        "--filter",
        "name=acme-005.com",
        "active=no",
        transport=server,
    )
    assert code == 0, err
    assert by_id(server, "domain", 4)["active"] is False
    assert by_id(server, "domain", 5)["active"] is False
    assert run(capsys, "--demo", "update", "domain", "4", "--bogus", "active=no")[0] == 2
    assert run(capsys, "--demo", "get", "domain", "4", "active=no")[0] == 2


# ------------------------------------------------------------------ bulk


def test_update_filter_all_updates_every_match_and_reports_each(capsys):
    server = FakeMailRoute()
    code, out, err = run(
        capsys,
        "--demo",
        "update",
        "email_account",
        "--filter",
        "domain=acme-002.com",
        "--all",
        "priority=3",
        "--yes",
        "--format",
        "jsonl",
        transport=server,
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 2 and all(r["ok"] for r in rows)
    assert "updated 2 email_account objects" in err
    mine = [o for o in server.objects("email_account") if o["domain"] == "/api/v1/domain/2/"]
    others = [o for o in server.objects("email_account") if o["domain"] != "/api/v1/domain/2/"]
    assert {o["priority"] for o in mine} == {3} and 3 not in {o["priority"] for o in others}


def test_delete_filter_all_is_the_guarded_list_delete(capsys, monkeypatch):
    server = FakeMailRoute()
    whites = sum(o["wb"] == "w" for o in server.objects("wblist"))
    total = count(server, "wblist")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(
        capsys, "--demo", "delete", "wblist", "--filter", "wb=w", "--all", transport=server
    )
    assert code == 2 and "--yes" in err and count(server, "wblist") == total
    code, out, err = run(
        capsys, "--demo", "delete", "wblist", "--filter", "wb=w", "--all", "--yes", transport=server
    )
    assert code == 0, err
    assert out.count(" deleted ") == whites and f"deleted {whites} wblist objects" in err
    assert count(server, "wblist") == total - whites
    assert all(o["wb"] == "b" for o in server.objects("wblist"))
    code, _, err = run(
        capsys,
        "--demo",
        "delete",
        "wblist",
        "--filter",
        "wbb=w",
        "--all",
        "--yes",
        transport=server,
    )
    assert code == 2 and "Did you mean 'wb'?" in err  # a typo never widens a delete
    assert count(server, "wblist") == total - whites


def test_a_delete_filter_that_matches_everything_is_refused(capsys):
    server = FakeMailRoute()
    total = count(server, "email_account")
    code, _, err = run(
        capsys,
        "--demo",
        "delete",
        "email_account",
        "--filter",
        "localpart__startswith=",
        "--all",
        "--yes",
        transport=server,
    )
    assert code == 2 and f"matches every email_account ({total})" in err
    assert count(server, "email_account") == total


@pytest.mark.parametrize(
    "suffix, text",
    [
        (
            ".jsonl",
            '{"localpart": "b1", "domain": "acme-001.com"}\n{"domain": 2}\n'
            '{"localpart": "b3", "domain": 3, "priority": 2}\n',
        ),
        (
            ".json",
            json.dumps(
                [
                    {"localpart": "b1", "domain": "/api/v1/domain/1/"},
                    {"domain": 2},
                    {"localpart": "b3", "domain": "acme-003.com", "priority": 2},
                ]
            ),
        ),
        (".csv", "localpart,domain,priority\nb1,acme-001.com,\n,2,\nb3,3,2\n"),
    ],
)
def test_bulk_create_reports_each_row_and_exits_1_when_one_failed(capsys, tmp_path, suffix, text):
    server = FakeMailRoute()
    before = count(server, "email_account")
    data = tmp_path / f"accounts{suffix}"
    data.write_text(text)
    code, out, err = run(
        capsys,
        "--demo",
        "create",
        "email_account",
        "--data",
        f"@{data}",
        "--format",
        "jsonl",
        transport=server,
    )
    assert code == 2 and out == ""  # row 2 lacks localpart: refused, nothing sent
    assert "row 2: email_account is not valid: localpart: This field is required." in err
    assert count(server, "email_account") == before
    good = text.replace('{"domain": 2}', '{"localpart": "b2", "domain": 2}').replace(
        "\n,2,\n", "\nb2,2,\n"
    )
    data.write_text(good)
    server.fail_next("500", methods=["POST"])  # the server refuses one row
    code, out, err = run(
        capsys,
        "--demo",
        "create",
        "email_account",
        "--data",
        f"@{data}",
        "--format",
        "jsonl",
        transport=server,
    )
    assert code == 1
    rows = sorted((json.loads(line) for line in out.splitlines()), key=lambda r: r["row"])
    assert [r["row"] for r in rows] == [1, 2, 3]
    assert sorted(r["ok"] for r in rows) == [False, True, True]
    assert "created 2 email_account objects, 1 failed" in err
    assert count(server, "email_account") == before + 2
    made = {o["localpart"]: o for o in server.objects("email_account")}
    if "b1" in made:
        assert made["b1"]["domain"] == "/api/v1/domain/1/"
    if "b3" in made:
        assert made["b3"]["priority"] == 2 and made["b3"]["domain"] == "/api/v1/domain/3/"


def test_the_pre_check_lists_every_bad_row_in_one_pass(capsys, tmp_path):
    server = FakeMailRoute()
    before = count(server, "email_account")
    data = tmp_path / "rows.csv"
    data.write_text(
        "localpart,domain,priority\nok1,1,3\n,1,3\nok3,1,x\nok4,no-such.com,1\nok5,1,2\n"
    )
    code, out, err = run(
        capsys, "--demo", "create", "email_account", "--data", f"@{data}", transport=server
    )
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == "error: 3 rows cannot be used; nothing was sent:"
    assert [line.split(":")[0] for line in lines[1:]] == ["row 2", "row 3", "row 4"]
    assert count(server, "email_account") == before
    data.write_text('{"localpart": "a", "domian": 1}\n{"localpart": "b", "priorty": 1}\n')
    code, _, err = run(
        capsys,
        "--demo",
        "create",
        "email_account",
        "--data",
        f"@{data}",
        "--data-format",
        "jsonl",
        transport=server,
    )
    assert code == 2
    assert "row 1: email_account has no field 'domian'. Did you mean 'domain'?" in err
    assert "row 2: email_account has no field 'priorty'. Did you mean 'priority'?" in err


def test_bulk_create_from_stdin_with_common_values(capsys, monkeypatch):
    server = FakeMailRoute()
    monkeypatch.setattr("sys.stdin", io.StringIO('{"localpart": "s1"}\n{"localpart": "s2"}\n'))
    code, out, err = run(
        capsys,
        "--demo",
        "create",
        "email_account",
        "--data",
        "@-",
        "domain=acme-004.com",
        transport=server,
    )
    assert code == 0, err
    assert out.splitlines()[0].split() == ["row", "result", "detail"]
    made = [o for o in server.objects("email_account") if o["localpart"] in ("s1", "s2")]
    assert {o["domain"] for o in made} == {"/api/v1/domain/4/"} and len(made) == 2


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '{"localpart": "x1", "domain": 1}\n{"localpart": "x2", "domian": 1}\n',
            "row 2: email_account has no field 'domian'",
        ),
        (
            '{"localpart": "x1", "domain": 1}\n{"localpart": "x2", "domain": "nowhere.test"}\n',
            "email_account.domain=nowhere.test",
        ),
        ('{"localpart": "x1", "domain": 1}\nnot json\n', "line 2 is not valid JSON"),
        ('[{"localpart": "x1"}, 5]', "row 2 is not a JSON object"),
    ],
)
def test_a_bad_row_refuses_the_whole_file_before_anything_is_sent(capsys, tmp_path, text, message):
    server = FakeMailRoute()
    before = count(server, "email_account")
    data = tmp_path / ("rows.jsonl" if "\n" in text else "rows.json")
    data.write_text(text)
    code, out, err = run(
        capsys, "--demo", "create", "email_account", "--data", f"@{data}", transport=server
    )
    assert code == 2 and out == "" and message in err
    assert count(server, "email_account") == before


def test_a_csv_value_that_does_not_fit_its_field_names_the_row(capsys, tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text("localpart,domain,priority\nok,1,5\nbad,1,high\n")
    code, _, err = run(capsys, "--demo", "create", "email_account", "--data", f"@{data}")
    assert code == 2 and "row 2: email_account.priority is an integer field" in err


# ------------------------------------------------------------------ the real server


def test_natural_keys_filters_and_bulk_on_a_real_tastypie_server(capsys, real):
    base = ("--profile", "real", "--no-cache")
    code, out, err = run(
        capsys,
        *base,
        "list",
        "domain",
        "--limit",
        "1",
        "--format",
        "json",
        "--order",
        "name",
        transport=real,
    )
    assert code == 0, err
    domain = json.loads(out)[0]
    code, out, err = run(
        capsys,
        *base,
        "create",
        "email_account",
        "localpart=cli-nk",
        f"domain={domain['name']}",
        "--format",
        "json",
        transport=real,
    )
    assert code == 0, err
    assert json.loads(out)["domain"] == domain["resource_uri"]
    code, _, err = run(
        capsys,
        *base,
        "create",
        "email_account",
        "localpart=cli-nk2",
        "domain=no-such-domain.test",
        transport=real,
    )
    assert code == 2 and "email_account.domain=no-such-domain.test" in err
    code, _, err = run(
        capsys,
        *base,
        "create",
        "email_account",
        "localpart=cli-nk3",
        "domain=987654",
        transport=real,
    )
    assert code == 1 and "email_account.domain=987654" in err
    code, out, err = run(
        capsys,
        *base,
        "update",
        "email_account",
        "--filter",
        "localpart=cli-nk",
        "priority=4",
        "--format",
        "json",
        transport=real,
    )
    assert code == 0 and json.loads(out)["priority"] == 4, err
    code, out, err = run(
        capsys,
        *base,
        "delete",
        "email_account",
        "--filter",
        "localpart__startswith=cli-nk",
        "--all",
        "--yes",
        transport=real,
    )
    assert code == 0 and "deleted 1 email_account objects" in err, err


def test_bulk_rows_on_a_real_tastypie_server(capsys, real, tmp_path):
    base = ("--profile", "real", "--no-cache")
    code, out, _ = run(
        capsys,
        *base,
        "list",
        "domain",
        "--limit",
        "1",
        "--format",
        "json",
        "--order",
        "-name",
        transport=real,
    )
    domain = json.loads(out)[0]
    rows = tmp_path / "rows.csv"
    rows.write_text(
        f"localpart,domain,priority\ncli-b1,{domain['name']},2\n"
        f"cli-b2,{domain['id']},\ncli-b3,{domain['id']},-\n"
    )
    code, _, err = run(
        capsys, *base, "create", "email_account", "--data", f"@{rows}", transport=real
    )
    assert code == 2 and "row 3: email_account.priority is an integer field" in err
    rows.write_text(
        f"localpart,domain,priority\ncli-b1,{domain['name']},2\n"
        f"cli-b2,{domain['id']},\n,{domain['id']},3\n"
    )
    code, out, err = run(
        capsys,
        *base,
        "create",
        "email_account",
        "--data",
        f"@{rows}",
        "--format",
        "jsonl",
        transport=real,
    )
    assert code == 2 and "row 3: email_account is not valid: localpart" in err
    rows.write_text(
        f"localpart,domain,priority\ncli-b1,{domain['name']},2\ncli-b2,{domain['id']},\n"
    )
    code, out, err = run(
        capsys,
        *base,
        "create",
        "email_account",
        "--data",
        f"@{rows}",
        "--format",
        "jsonl",
        transport=real,
    )
    assert code == 0, err
    done = sorted((json.loads(line) for line in out.splitlines()), key=lambda r: r["row"])
    assert [r["ok"] for r in done] == [True, True]
    code, out, err = run(
        capsys,
        *base,
        "update",
        "email_account",
        "--filter",
        "localpart__startswith=cli-b",
        "--all",
        "priority=6",
        "--yes",
        "--format",
        "jsonl",
        transport=real,
    )
    assert code == 0 and len(out.splitlines()) == 2, err
    code, out, _ = run(
        capsys,
        *base,
        "list",
        "email_account",
        "--filter",
        "localpart__startswith=cli-b",
        "--format",
        "jsonl",
        transport=real,
    )
    made = [json.loads(line) for line in out.splitlines()]
    assert {o["priority"] for o in made} == {6}
    assert {o["domain"] for o in made} == {domain["resource_uri"]}
    code, out, err = run(
        capsys,
        *base,
        "delete",
        "email_account",
        "--filter",
        "localpart__startswith=cli-b",
        "--all",
        "--yes",
        transport=real,
    )
    assert code == 0 and "deleted 2 email_account objects" in err, err
