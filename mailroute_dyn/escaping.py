"""How a server's names and values are written into each kind of output, once.

A server chooses its resource names, field names, help texts and values; the client writes
them into Python stubs, Mermaid and DOT graphs, shell completions, terminal tables and
JSON. Each function here writes text into one such syntax so that the text stays data:
whatever it holds (quotes, newlines, `|`, `%%`, backticks, ESC sequences), it can neither
end the token it sits in nor drive the terminal. Every generator and printer goes through
these functions; `tests/test_escaping.py` feeds each of them hostile names.

"Not printable" means `str.isprintable()` is false: control characters (C0, DEL, C1),
line and paragraph separators, format characters such as bidi overrides and zero-width
joiners, and unassigned code points. Of the package, this module imports only `jsondecode`
(a number kept as the server wrote it is printed with its own digits) and `errors` (whose
messages follow the same terminal rule).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

from .errors import visible
from .jsondecode import dumps

__all__ = [
    "terminal_text",
    "json_dumps",
    "python_string",
    "python_docstring",
    "python_comment",
    "mermaid_id_ok",
    "mermaid_text",
    "dot_string",
    "dot_comment",
    "completable",
    "library_log",
    "yaml_dumps",
]


def terminal_text(text: str) -> str:
    """`text` for a terminal, a table cell or a log line: every non-printable character
    becomes its visible escape (`\\x1b`, `\\n`, `\\u202e`), so data can neither move the
    cursor, retitle the window nor start a new row. Printable text (backslashes included)
    is left as it is. (The rule is `errors.visible`, which error messages use too.)"""
    return visible(text)


class _PrintableRecords(logging.Filter):
    """Keeps the library's log records printable: a resource name or a server's page
    quoted in a message (ESC sequences, a newline forging a record) is shown escaped by
    any handler a script sets up (`logging.basicConfig()` prints records as they are)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.isprintable():
            record.msg, record.args = visible(message), ()
        return True


def library_log() -> logging.Logger:
    """The `mailroute_dyn` logger every module of the package logs to, its records kept
    printable (see `_PrintableRecords`)."""
    log = logging.getLogger("mailroute_dyn")
    if not any(isinstance(f, _PrintableRecords) for f in log.filters):
        log.addFilter(_PrintableRecords())
    return log


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes astral characters as surrogate pairs
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_dumps(value: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """JSON for a terminal or a pipe: readable non-ASCII text as it is, every non-printable
    character as a `\\uXXXX` escape (JSON's own rule, so `jq` reads back the exact value;
    `json.dumps` alone leaves C1 controls and U+2028 raw)."""
    text = dumps(value, indent=indent, ensure_ascii=False, default=str, sort_keys=sort_keys)
    if text.isprintable():
        return text
    # outside strings json.dumps writes only ASCII: spaces, and newlines when indenting
    return "".join(c if c.isprintable() or c in " \n" else _json_escape(c) for c in text)


def yaml_dumps(value: Any) -> str:
    """YAML for a terminal or a file, keys sorted: readable non-ASCII text as it is, a
    string holding a non-printable character double-quoted with that character as a
    `\\uXXXX` escape (YAML reads it back exactly; PyYAML alone writes bidi overrides and
    other format characters raw)."""
    import yaml  # the caller has checked it is installed

    def represent(dumper: Any, text: str) -> Any:
        style = None if text.isprintable() else '"'
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    dumper: Any = type("PrintableDumper", (yaml.SafeDumper,), {})  # SafeDumper stays as is
    dumper.add_representer(str, represent)
    dumped: str = yaml.dump(
        value,
        Dumper=dumper,
        sort_keys=True,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    # what is left non-printable sits inside a double-quoted scalar, where \u escapes hold
    return "".join(c if c.isprintable() or c == "\n" else _yaml_escape(c) for c in dumped)


def _yaml_escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def python_string(text: str) -> str:
    """A Python string literal of `text` (one line, any content)."""
    return repr(text)


def python_docstring(text: str, indent: str) -> str:
    """A triple-quoted docstring of `text`, indented: backslashes, every quote that
    another quote or the end follows, and non-printable characters escaped, so no text
    ends the string early (and the docstring's value is `text`, stripped)."""
    body = _QUOTE_RUN.sub('\\\\"', text.strip().replace("\\", "\\\\"))
    lines = [terminal_text(line) for line in body.split("\n")]
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""'
    inner = "\n".join((indent + line).rstrip() for line in lines[1:])
    return f'{indent}"""{lines[0]}\n{inner}\n{indent}"""'


_QUOTE_RUN: Final = re.compile(r'"(?="|$)')


def python_comment(text: str) -> str:
    """`text` inside a `#` comment: on one line (a newline would start code)."""
    return terminal_text(text)


#: Names Mermaid reads as statements or block ends when they start a line or stand alone.
_MERMAID_WORDS: Final = frozenset(
    {
        "end",
        "graph",
        "flowchart",
        "subgraph",
        "click",
        "call",
        "href",
        "callback",
        "style",
        "classdef",
        "class",
        "linkstyle",
        "direction",
        "default",
        "acctitle",
        "accdescr",
    }
)
_MERMAID_ID: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MERMAID_KEEP: Final = re.compile(r"[A-Za-z0-9_ .,:/@+-]")


def mermaid_id_ok(name: str) -> bool:
    """Whether `name` can be a Mermaid node id as it is (else the graph gives it an id
    and shows the name as a quoted label)."""
    return bool(_MERMAID_ID.fullmatch(name)) and name.lower() not in _MERMAID_WORDS


def mermaid_text(text: str) -> str:
    """`text` inside a quoted Mermaid label: every character but letters, digits and
    `_ .,:/@+-` as an entity code (`#124;` for `|`), so no name adds a line, an edge, a
    `click` or a `%%` directive."""
    return "".join(c if _MERMAID_KEEP.fullmatch(c) else f"#{ord(c)};" for c in text)


def dot_string(text: str) -> str:
    """A quoted Graphviz string of `text`: backslashes doubled (no `\\N`, `\\l` escapes),
    quotes escaped, `&` as `&amp;` (Graphviz reads entities), non-printables visible."""
    body = terminal_text(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return f'"{body}"'


def dot_comment(text: str) -> str:
    """`text` inside a `//` comment: on one line."""
    return terminal_text(text)


_COMPLETABLE: Final = re.compile(r"\w[\w.@+:/%-]*")


def completable(name: str) -> bool:
    """Whether a shell can complete `name` as itself: one word of letters, digits and
    `_ . @ + : / % -`, not starting like an option. A name with spaces, quotes, shell
    metacharacters, `=` or `,` (the separators of `field=value` and `--fields a,b`) or a
    control character would be split, expanded or read as something else: completion
    leaves it out (type it quoted)."""
    return bool(_COMPLETABLE.fullmatch(name))
