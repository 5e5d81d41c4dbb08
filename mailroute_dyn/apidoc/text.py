"""A server's names and texts as data in an OpenAPI document: component names reduced to
the characters OpenAPI allows, `$ref` pointers escaped as JSON Pointer requires, paths
percent-encoded where a name would be read as a template, and help texts escaped so
Markdown renderers (Swagger UI, ReDoc) show them as the plain text they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["component_names", "pointer", "ref", "plain_text", "path_template", "SUFFIXES"]

#: The components one resource gets: its representation, its bodies and its list page.
SUFFIXES = ("", ".create", ".update", ".list")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")  # '.' is kept for our own suffixes
# Markdown (CommonMark, GFM) and HTML syntax that may appear anywhere in a line
_INLINE = re.compile(r"([\\`*_\[\]<>&|~!{}])")
# syntax that only counts at the start of a line (headings, lists, quotes, rules)
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"  # RFC 3986 path characters; braces are not among them


def component_names(resource_names: Iterable[str]) -> dict[str, str]:
    """resource name -> a component name matching `^[A-Za-z0-9_-]+$`, unique per document.

    A name that loses characters (or collides with another) gets a numbered suffix; the
    document keeps the mapping, so the server's own name is never lost.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(resource_names):
        base = _NOT_ALLOWED.sub("_", name) or "_"
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}-{n}", n + 1
        used.add(candidate)
        out[name] = candidate
    return out


def pointer(*parts: str) -> str:
    """A JSON Pointer fragment (RFC 6901): `~` and `/` inside a part are escaped."""
    escaped = (p.replace("~", "~0").replace("/", "~1") for p in parts)
    return "#/" + "/".join(quote(p, safe="~!$&'()*+,;=:@/?") for p in escaped)


def ref(component: str) -> dict[str, str]:
    """`{"$ref": ...}` to a component schema."""
    return {"$ref": pointer("components", "schemas", component)}


def plain_text(text: str) -> str:
    """`text` as Markdown that renders as exactly this text: one line, syntax escaped."""
    line = " ".join(str(text).split())
    line = _INLINE.sub(r"\\\1", line)
    return _LINE_START.sub(
        lambda m: (
            m.group(1) + "\\" + m.group(2)
            if len(m.group(2)) == 1
            else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1]
        ),
        line,
    )


def path_template(path: str) -> str:
    """A server path as an OpenAPI path key: braces and other characters a path may not
    hold literally are percent-encoded, so a name is never read as a template."""
    return quote(path, safe=_PATH_SAFE)
