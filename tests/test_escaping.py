"""What the client writes from a server's names is data, never code or markup (issue 18,
items 8 and 12).

One hostile server names its resources and fields, and fills its values, with quotes,
newlines, backticks, `|`, `%%`, shell metacharacters, ESC sequences, bidi overrides and an
option-like `--url=https:`. Every command that prints, every `--format` and every
generator (stubs, graph, completion) runs against it, and its output is parsed: the `.pyi`
with `ast`, Mermaid and DOT line by line against their grammar, JSON and CSV by their
readers (exact values), tables by their line count with no control character left.
`test_every_output_is_walked` fails when a command or format appears that this file does
not walk.
"""

from __future__ import annotations

import argparse
import ast
import csv
import html
import io
import json
import re
import unicodedata
from typing import Any

import httpx
import pytest

from mailroute_dyn import Client
from mailroute_dyn.cli import complete, main
from mailroute_dyn.cli.args import _COMPLETERS, build_parser
from mailroute_dyn.cli.output import write_table
from mailroute_dyn.escaping import completable, json_dumps, terminal_text

URL = "https://hostile.test"
KEY = "escaping-test-key-not-secret"
HOSTILE = [
    'x"]; import os; os.system("id") #',
    'a\nclick a href "javascript:alert(1)"',
    "`rm -rf ~`",
    "a|b",
    "%%{init: {}}%%",
    "$(touch pwned);x&y",
    "\x1b]0;PWNED\x07\x1b[2J",
    "--url=https:",
    "tab\tv\x0bname",
    "\u202eevil",
    '"""',
    "end",
    "back\\slash",
    "nl\r\nx",
]
PLAIN = {"end"}  # the only hostile name a shell can complete as itself
N = len(HOSTILE)
NOTES = N  # a resource with a plain name (`notes`), hostile fields and values:
# a detail read checks the object's URI names its own resource


def _spec(kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {
        "blank": True,
        "default": "No default provided.",
        "nullable": True,
        "help_text": '\x1b[2Jhelp\n"""\nimport os',
        "readonly": False,
        "type": kind,
        "unique": False,
        **extra,
    }


def _next(i: int) -> str | None:
    """Resource i's related field is named after resource i+1, so the graph has an edge
    between two hostile names (the target is taken from the field's name)."""
    return HOSTILE[(i + 1) % N] if i != NOTES else None


def _endpoint(i: int) -> str:
    return "/api/v1/notes/" if i == NOTES else f"/api/v1/r{i}/"


def _schema(i: int) -> dict[str, Any]:
    plain = [h for h in HOSTILE if h != _next(i)]
    fields = {
        "id": _spec("integer", primary_key=True, unique=True, nullable=False),
        "resource_uri": _spec(readonly=True),
    }
    fields.update({h: _spec() for h in plain})
    if _next(i) is not None:
        fields[_next(i)] = _spec("related", related_type="to_one")
    return {
        "allowed_detail_http_methods": ["get", "patch"],
        "allowed_list_http_methods": ["get", "post"],
        "default_format": "application/json",
        "default_limit": 20,
        "fields": fields,
        "filtering": dict.fromkeys(plain, 1),
        "ordering": plain,
    }


def _object(i: int) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": 1, "resource_uri": f"{_endpoint(i)}1/"}
    obj.update({h: h for h in HOSTILE})  # hostile names hold hostile values
    if _next(i) is not None:
        obj[_next(i)] = None
    return obj


def _answer(request: httpx.Request) -> httpx.Response:
    parts = request.url.path.strip("/").split("/")
    if parts == ["api", "v1"]:
        return httpx.Response(
            200,
            json={
                h: {"list_endpoint": _endpoint(i), "schema": f"{_endpoint(i)}schema/"}
                for i, h in enumerate([*HOSTILE, "notes"])
            },
        )
    i = NOTES if parts[2] == "notes" else int(parts[2][1:])
    rest = parts[3:]
    if rest == ["schema"]:
        return httpx.Response(200, json=_schema(i))
    if rest == ["1"] or request.method == "POST":
        return httpx.Response(201 if request.method == "POST" else 200, json=_object(i))
    meta = {"limit": 20, "offset": 0, "next": None, "previous": None, "total_count": 1}
    return httpx.Response(200, json={"meta": meta, "objects": [_object(i)]})


pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def hostile() -> httpx.MockTransport:
    return httpx.MockTransport(_answer)


def cli(capsys, transport, *argv: str) -> str:
    code = main(
        ["--url", URL, "--login", "u", "--api-key", KEY, "--no-cache", *argv], transport=transport
    )
    out, err = capsys.readouterr()
    assert code == 0, (err, out)
    assert_inert(err)
    return out


def assert_inert(text: str) -> None:
    """Nothing but printable text and line ends: no ESC, BEL, CR, VT, bidi override."""
    bad = {c for c in text if not c.isprintable() and c != "\n"}
    assert not bad, f"control characters reached the terminal: {bad!r}"


# ----------------------------------------------------------------- human-readable output


def test_resources_table_has_one_row_per_resource_and_no_control_character(capsys, hostile):
    out = cli(capsys, hostile, "resources")
    assert_inert(out)
    assert len(out.splitlines()) == 1 + N + 1  # header + one row each: none forged
    for name in HOSTILE:
        assert terminal_text(name) in out


def test_schema_table_shows_each_field_on_one_line(capsys, hostile):
    out = cli(capsys, hostile, "schema", HOSTILE[6], "--format", "table")
    assert_inert(out)
    fields, filters = N + 2, N - 1
    # 4 header lines, blank, field table, blank, "filtering:", its table, "ordering: ..."
    assert len(out.splitlines()) == 4 + 1 + (1 + fields) + 1 + 1 + (1 + filters) + 1
    assert out.startswith(terminal_text(HOSTILE[6]) + " (/api/v1/r6/)\n")


def test_schema_json_is_exact_and_printable(capsys, hostile):
    out = cli(capsys, hostile, "schema", HOSTILE[1], "--format", "json")
    assert_inert(out)
    doc = json.loads(out)
    assert doc["resource"] == HOSTILE[1] and set(doc["fields"]) == {"id", "resource_uri", *HOSTILE}
    assert doc["fields"]["id"]["help_text"] == _spec()["help_text"]


@pytest.mark.parametrize("command", [["list"], ["get"], ["create"], ["update"]])
def test_objects_as_a_table_show_each_value_escaped_in_its_cell(capsys, hostile, command):
    args = {
        "list": ["--fields", f"id,{HOSTILE[6]}"],
        "get": ["1"],
        "create": ["end=zz"],
        "update": ["1", "end=zz"],
    }
    out = cli(capsys, hostile, *command, "notes", *args[command[0]], "--format", "table")
    assert_inert(out)
    lines = out.splitlines()
    if command == ["list"]:
        assert len(lines) == 2  # header + the one object
    else:  # `field  value`: header + one per key
        assert len(lines) == 1 + 2 + N
        assert any(line.startswith(terminal_text(HOSTILE[6])) for line in lines)
    assert "\\x1b]0;PWNED\\x07\\x1b[2J" in out  # shown, not obeyed


@pytest.mark.parametrize(
    ("command", "fmt"),
    [
        ("list", "json"),
        ("list", "jsonl"),
        ("get", "json"),
        ("create", "json"),
        ("create", "jsonl"),
        ("update", "json"),
        ("update", "jsonl"),
    ],
)
def test_json_output_escapes_by_json_rules_and_reads_back_exactly(capsys, hostile, command, fmt):
    args = {"list": [], "get": ["1"], "create": ["end=zz"], "update": ["1", "end=zz"]}
    out = cli(capsys, hostile, command, "notes", *args[command], "--format", fmt)
    assert_inert(out)
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.splitlines()]
    else:
        loaded = json.loads(out)
        rows = loaded if isinstance(loaded, list) else [loaded]
    assert rows == [_object(NOTES)]


def test_csv_keeps_values_exact_and_feeds_create_unchanged(capsys, hostile, tmp_path):
    out = cli(capsys, hostile, "list", "notes", "--format", "csv")
    header, values = list(csv.reader(io.StringIO(out)))
    assert dict(zip(header, values, strict=True)) == {
        k: "" if v is None else str(v) for k, v in _object(NOTES).items()
    }
    out = cli(capsys, hostile, "list", "notes", "--format", "csv", "--fields", ",".join(HOSTILE))
    sent: list[dict[str, Any]] = []

    def record(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            sent.append(json.loads(request.content))
        return _answer(request)

    (tmp_path / "x.csv").write_text(out, encoding="utf-8", newline="")
    cli(capsys, httpx.MockTransport(record), "create", "notes", "--data", f"@{tmp_path / 'x.csv'}")
    expected = {h: h for h in HOSTILE}
    assert sent and {k: sent[0].get(k) for k in expected} == expected


def test_the_rich_table_escapes_too():
    pytest.importorskip("rich")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    write_table(out, ["name", HOSTILE[1]], [[h, h] for h in HOSTILE])
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())  # rich's own colours only
    assert_inert(text)
    assert "\\x1b]0;PWNED\\x07\\x1b[2J" in text


def test_json_dumps_escapes_what_json_dumps_leaves_raw():
    value = {"k": "\x9b2J\u2028\x7f\U000e0001 ok é"}
    text = json_dumps(value)
    assert_inert(text)
    assert json.loads(text) == value and "é" in text


def test_a_schema_diff_report_has_one_line_per_change():
    from mailroute_dyn.schema.definition import parse_schema
    from mailroute_dyn.tools.schemadiff import compare

    old = {"notes": parse_schema("notes", {**_schema(NOTES), "fields": {}}, "/api/v1/")}
    new = {"notes": parse_schema("notes", _schema(NOTES), "/api/v1/")}
    report = compare(["notes"], old, ["notes", *HOSTILE], new).report()
    assert_inert(report)
    lines = report.splitlines()
    assert [line for line in lines if line.startswith("+ resource ")] == [
        f"+ resource {terminal_text(h)}" for h in sorted(HOSTILE)
    ]
    assert all(re.match(r"(\+ resource |~ resource notes$|    [~+-] )", line) for line in lines)
    assert sum(line.startswith("    + field ") for line in lines) == N + 2


# ----------------------------------------------------------------- generators


def test_stubs_hold_every_name_as_data(capsys, hostile):
    out = cli(capsys, hostile, "stubs")
    tree = ast.parse(out)
    imported = {
        a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for a in node.names
    }
    assert imported <= {
        "builtins",
        "collections.abc",
        "datetime",
        "decimal",
        "typing",
        "AsyncIterator",
        "Awaitable",
        "Collection",
        "Iterable",
        "Iterator",
        "Mapping",
        "Sequence",
        "date",
        "time",
        "Decimal",
        "Any",
        "Generic",
        "Literal",
        "Self",
        "TypeAlias",
        "TypeVar",
        "overload",
        "mailroute_dyn",
        "RowHook",
        "BaseResourceMeta",
        "ValuesQuerySet",
        "AsyncValuesQuerySet",
        "BaseResource",
        "Writes",
    }
    calls = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert calls == ["TypeVar('_R')"]
    literals = {
        n.slice.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Subscript)
        and ast.unparse(n.value) == "Literal"
        and isinstance(n.slice, ast.Constant)
    }
    assert set(HOSTILE) <= literals  # client.resource("…") overloads
    docstrings = [
        ast.get_docstring(n, clean=False) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
    ]
    assert any(d and terminal_text(_spec()["help_text"]) in d for d in docstrings)
    for line in out.splitlines():  # comments hold names on one line
        assert line.isprintable()


def _mermaid_decode(label: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label)


def test_mermaid_has_exactly_the_expected_lines(capsys, hostile):
    out = cli(capsys, hostile, "graph", "--format", "mermaid")
    ident = r"[A-Za-z_][A-Za-z0-9_]*"
    quoted = r'"[A-Za-z0-9_ .,:/@+#;-]*"'
    labels: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    lines = out.splitlines()
    assert lines[:2] == ["flowchart LR", "    %% to_one: -->, to_many: ==>; labels are field names"]
    for line in lines[2:]:
        if m := re.fullmatch(rf"    ({ident})\[({quoted})\]", line):
            labels[m[1]] = _mermaid_decode(m[2][1:-1])
        elif re.fullmatch(rf"    {ident}", line):
            assert line == "    notes"  # the one resource without relations
        elif m := re.fullmatch(rf"    ({ident}) -->\|({ident}|{quoted})\| ({ident})", line):
            edges.append((m[1], _mermaid_decode(m[2].strip('"')), m[3]))
        else:
            raise AssertionError(f"a line no renderer writes: {line!r}")
    names = lambda node: labels.get(node, node)  # noqa: E731
    assert sorted(names(s) for s, _, _ in edges) == sorted(HOSTILE)
    assert {(names(s), f, names(t)) for s, f, t in edges} == {
        (h, _next(i), _next(i)) for i, h in enumerate(HOSTILE)
    }
    assert len(lines) == 2 + len(labels) + 1 + N


def test_dot_has_exactly_the_expected_lines(capsys, hostile):
    out = cli(capsys, hostile, "graph", "--format", "dot")
    string = r'"(?:[^"\\\n]|\\.)*"'

    def value(token: str) -> str:
        return html.unescape(re.sub(r"\\(.)", r"\1", token[1:-1]))

    lines = out.splitlines()
    assert lines[:3] == ["digraph mailroute {", "    rankdir=LR;", "    node [shape=box];"]
    assert lines[-1] == "}"
    nodes, edges = [], []
    for line in lines[3:-1]:
        if m := re.fullmatch(rf"    ({string});", line):
            nodes.append(value(m[1]))
        elif m := re.fullmatch(rf"    ({string}) -> ({string}) \[label=({string})\];", line):
            edges.append((value(m[1]), value(m[3]), value(m[2])))
        else:
            raise AssertionError(f"a line no renderer writes: {line!r}")
    assert sorted(nodes) == sorted([*(terminal_text(h) for h in HOSTILE), "notes"])
    assert sorted(edges) == sorted(
        (terminal_text(h), terminal_text(_next(i)), terminal_text(_next(i)))
        for i, h in enumerate(HOSTILE)
    )


def test_relations_without_a_known_target_stay_one_comment_line_each():
    from mailroute_dyn.tools.graph import Edge, render_dot, render_mermaid

    edges = [Edge(h, h, None, False) for h in HOSTILE]
    mermaid = render_mermaid(HOSTILE, edges).splitlines()
    unlinked = [line for line in mermaid[2:] if not line.startswith("    %% ")]
    assert len(unlinked) == N and len(mermaid) == 2 + 2 * N  # a node and a comment each
    assert all(
        re.fullmatch(r"    %% [A-Za-z0-9_ .,:/@+#;-]*: target unknown", line)
        for line in mermaid[2:]
        if line.startswith("    %% ")
    )
    dot = render_dot(HOSTILE, edges).splitlines()
    comments = [line for line in dot if line.startswith("    // ")]
    assert len(dot) == 4 + 2 * N and len(comments) == N
    assert_inert("\n".join(dot))


def test_verbose_log_lines_escape_what_a_server_sent(capsys, hostile):
    """capture logs each resource's name as it goes (then fails writing to /dev/null)."""
    code = main(
        [
            "--url",
            URL,
            "--login",
            "u",
            "--api-key",
            KEY,
            "--no-cache",
            "--verbose",
            "capture",
            "/dev/null/x",
        ],
        transport=hostile,
    )
    err = capsys.readouterr().err
    assert code == 1 and terminal_text(HOSTILE[6]) in err
    assert_inert(err)


def test_the_librarys_own_log_records_are_printable(caplog, hostile, tmp_path):
    # a script with logging.basicConfig() prints records as they are: capture logged
    # each resource's name raw, ESC sequences included
    import logging

    from mailroute_dyn.testing import capture

    caplog.set_level(logging.DEBUG, logger="mailroute_dyn")
    with Client(URL, "u", KEY, transport=hostile, cache_dir=None, retries=0) as client:
        capture(client, tmp_path / "out", limit=1)
        list(client.notes.all())
    assert any("PWNED" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert_inert(record.getMessage())


@pytest.mark.parametrize("completer", sorted(set(_COMPLETERS.values())))
def test_completion_offers_only_names_a_shell_takes_as_themselves(monkeypatch, hostile, completer):
    with Client(base_url=URL, login="u", api_key=KEY, transport=hostile, cache_dir=None) as client:
        schemas = {name: client.resource(name) for name in client.resources}
    monkeypatch.setattr(complete, "cached_schemas", lambda args: schemas)
    args = argparse.Namespace(resource=HOSTILE[3])
    offered = getattr(complete, completer)("", parsed_args=args)
    words = {w.rstrip("=").lstrip("-").split("__")[0] for w in offered}
    assert words, "the completer offers nothing at all"
    assert all(completable(w.rstrip("=")) for w in offered if not w.startswith("-"))
    assert words & set(HOSTILE) == PLAIN  # the plain one is still offered


def test_an_error_line_naming_a_hostile_name_is_one_escaped_line(capsys, hostile):
    code = main(
        [
            "--url",
            URL,
            "--login",
            "u",
            "--api-key",
            KEY,
            "--no-cache",
            "list",
            "notes",
            "--fields",
            HOSTILE[1] + "x",
        ],
        transport=hostile,
    )
    out, err = capsys.readouterr()
    assert code == 2 and not out
    assert_inert(err)
    assert len(err.splitlines()) == 1 and err.startswith("error: --fields: notes has no field")
    assert terminal_text(repr(HOSTILE[1] + "x")) in err


def test_an_exception_quoting_a_server_never_drives_the_terminal(hostile):
    # a script's traceback prints str(exc): a 404 page, a 400 field error or a resource
    # name holding ESC sequences retitled the window and cleared the screen
    import traceback

    from mailroute_dyn import MailRouteError

    sequence = HOSTILE[6]

    def lying(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/notes/9"):
            return httpx.Response(
                404, text=f"<h1>{sequence}</h1>", headers={"Content-Type": "text/html"}
            )
        if request.method == "POST":
            return httpx.Response(400, json={"notes": {"end": [f"bad {sequence}"]}})
        return _answer(request)

    with Client(
        URL, "u", KEY, transport=httpx.MockTransport(lying), cache_dir=None, retries=0
    ) as client:
        raised = []
        for act in (
            lambda: client.notes.get(9),
            lambda: client.notes.create(end="x"),
            lambda: client["nope" + sequence],
            lambda: client.request("GET", "/api/v1/notes/9/"),
        ):
            with pytest.raises(MailRouteError) as info:
                act()
            raised.append(info.value)
    for exc in raised:
        shown = "".join(traceback.format_exception(exc))
        assert "PWNED" in shown  # quoted, but inert
        assert_inert(shown)


def test_completable_refuses_what_a_shell_would_split_or_read_as_an_option():
    assert [h for h in HOSTILE if completable(h)] == ["end"]
    assert completable("email_account") and completable("my-notes")
    assert not completable("-x") and not completable("a=b") and not completable("a,b")


def test_the_completion_script_holds_no_server_data(capsys, hostile):
    pytest.importorskip("argcomplete")
    out = cli(capsys, hostile, "completion", "bash")
    assert not any(h in out for h in HOSTILE if h != "end")


@pytest.mark.parametrize("fmt", ["json", pytest.param("yaml", marks=pytest.mark.slow)])
def test_the_openapi_document_holds_every_name_as_data(capsys, hostile, fmt):
    """Component names lose what OpenAPI forbids (the resource keeps its own name in
    `x-tastypie-resource`), every `$ref` resolves, and each hostile name reads back exactly
    from the format's own reader: a name never becomes structure."""
    out = cli(capsys, hostile, "openapi", "--format", fmt)
    assert_inert(out)  # a bidi override was written raw in both formats
    if fmt == "yaml":
        yaml = pytest.importorskip("yaml")
        document = yaml.safe_load(out)
    else:
        document = json.loads(out)
    components = document["components"]["schemas"]
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", name) for name in components)
    named = {c.get("x-tastypie-resource") for c in components.values()}
    assert set(HOSTILE) <= named
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document))
    assert refs and all(ref.replace("~1", "/").replace("~0", "~") in components for ref in refs)
    notes = next(
        c
        for c in components.values()
        if c.get("x-tastypie-resource") == "notes" and "properties" in c
    )
    assert set(HOSTILE) - {None} <= set(notes["properties"])


def _deletable(request: httpx.Request) -> httpx.Response:
    """The hostile server, with DELETE allowed on its objects (for delete and undo)."""
    answer = _answer(request)
    if request.url.path.endswith("/schema/"):
        schema = json.loads(answer.content)
        schema["allowed_detail_http_methods"] = ["get", "patch", "delete"]
        return httpx.Response(200, json=schema)
    if request.method == "DELETE":
        return httpx.Response(204)
    return answer


RECORD_COMMANDS = {
    "resources": ["resources"],
    "list": ["list", "notes"],
    "get": ["get", "notes", "1"],
    "create": ["create", "notes", "end=x"],
    "update": ["update", "notes", "1", "end=y"],
    "delete": ["delete", "notes", "1", "--yes"],
    "undo": ["undo", "{journal}", "--yes"],
}
RECORD_FORMATS = ("table", "json", "jsonl", "csv", "yaml")


def _read_back(out: str, fmt: str) -> Any:
    """The output read by its format's own reader (tables: their text)."""
    if fmt == "json":
        return json.loads(out)
    if fmt == "jsonl":
        return [json.loads(line) for line in out.splitlines()]
    if fmt == "csv":
        return list(csv.reader(io.StringIO(out)))
    if fmt == "yaml":
        return pytest.importorskip("yaml").safe_load(out)
    return out


@pytest.mark.parametrize("fmt", RECORD_FORMATS)
@pytest.mark.parametrize("command", sorted(RECORD_COMMANDS))
def test_every_record_format_of_every_command_keeps_names_as_data(capsys, tmp_path, command, fmt):
    """Tables escape control characters; JSON and YAML escape them by their own rules
    (and read back); CSV keeps data exact, quoted, and reads back as rows."""
    transport = httpx.MockTransport(_deletable)
    argv = list(RECORD_COMMANDS[command])
    if command == "undo":
        journal = tmp_path / "run.jsonl"
        rows = tmp_path / "rows.jsonl"
        rows.write_text('{"end": "x"}\n{"end": "y"}\n', encoding="utf-8")
        cli(capsys, transport, "create", "notes", "--data", f"@{rows}", "--journal", str(journal))
        argv = [str(journal) if a == "{journal}" else a for a in argv]
    code = main(
        ["--url", URL, "--login", "u", "--api-key", KEY, "--no-cache", *argv, "--format", fmt],
        transport=transport,
    )
    out, err = capsys.readouterr()
    assert_inert(err)
    # (undo compares with what the server stored, which this one answers alike on every
    # read: both rows are undone)
    assert code == 0, err
    assert out.strip(), f"{command} --format {fmt} printed nothing"
    read = _read_back(out, fmt)
    if fmt == "yaml":  # exact data, quoted: YAML escapes every control character
        assert not [c for c in out if unicodedata.category(c) == "Cc" and c != "\n"]
    elif fmt != "csv":
        assert_inert(out)
    if command == "resources" and fmt != "table":
        text = json.dumps(read, ensure_ascii=False)
        assert all(json.dumps(h, ensure_ascii=False)[1:-1] in text for h in HOSTILE)
    if command == "resources" and fmt == "table":
        assert len(out.splitlines()) >= N + 1  # one line per name, none forged


def test_every_output_is_walked():
    """A command or `--format` added without a test above fails here."""
    walked = {
        ("schema", "table"),
        ("schema", "json"),
        ("stubs", None),
        ("graph", "mermaid"),
        ("graph", "dot"),
        ("completion", None),
        ("openapi", "json"),
        ("openapi", "yaml"),
    }
    walked |= {(command, fmt) for command in RECORD_COMMANDS for fmt in RECORD_FORMATS}
    # diff: its report is walked above; delete prints the object's own URI (checked to be
    # one of its resource) through `terminal_text`; cache lists cached names the same way;
    # shell, capture and config print no server name; every `error:` line is escaped by
    # `Context.note` (walked above through the hostile `--fields` name)
    no_names = {"shell", "cache", "capture", "config", "diff"}
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = set()
    for name, command in sub.choices.items():
        formats = [a.choices for a in command._actions if "--format" in a.option_strings]
        found |= {(name, f) for f in (formats[0] if formats else [None])}
    assert {pair for pair in found if pair[0] not in no_names} == walked
