"""How resource classes, objects and QuerySets show themselves to a person: the concise
`help()` text of a class, and the HTML tables a notebook shows (`_repr_html_`).

Everything here turns data into text; nothing sends or imports the model, so the model's
classes (later layers) call these functions with what they hold. Every name and value a
server sent is escaped (`html.escape`): a wblist entry `<img src=x onerror=...>` shows
as text, never as markup. Values under a secret-looking name show as `***`.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..escaping import terminal_text
from ..schema.definition import Field, ResourceSchema
from ..vocabulary import is_secret_name

__all__ = [
    "describe",
    "field_kind",
    "field_flags",
    "filter_rule_text",
    "own_help",
    "PREVIEW_ROWS",
    "shown_value",
    "table_html",
    "object_html",
    "rows_html",
    "class_html",
]

#: Rows a QuerySet shows in a notebook: one request of this many objects.
PREVIEW_ROWS = 10
_LONGEST = 120  # characters of one cell; longer values are cut with an ellipsis


#: Tastypie's help text for a field that has none of its own: it says only the type,
#: which the field's line shows already.
_GENERIC_HELP = (
    "Unicode string data.",
    "Integer data.",
    "Boolean data.",
    "A date & time as a string.",
    "A date as a string.",
    "A time as string.",
    "Floating point numeric data.",
    "Fixed precision numeric data.",
    "A single related resource.",
    "Many related resources.",
    "A dictionary of data.",
    "A list of data.",
)


def own_help(f: Field) -> str:
    """The field's help text, or "" where it is Tastypie's generic text for its type."""
    text = (f.help_text or "").strip()
    return "" if text.startswith(_GENERIC_HELP) else text


def field_kind(f: Field) -> str:
    """A field's type as a person reads it: `string`, `to_one domain`."""
    if f.is_related:
        return f"{f.related_type} {f.related_resource or ''}".strip()
    return f.type


def field_flags(f: Field) -> list[str]:
    """A field's flags as a person reads them: `read-only`, `nullable`, `blank`, `unique`."""
    return [
        flag
        for flag, on in (
            ("read-only", f.readonly),
            ("nullable", f.nullable),
            ("blank", f.blank),
            ("unique", f.unique),
        )
        if on
    ]


def _field_flags(f: Field) -> list[str]:
    flags = field_flags(f)
    if f.has_default:
        flags.append(f"default={f.default!r}")
    return flags


def filter_rule_text(rule: object) -> str:
    """A `filtering` rule in words: `all terms`, or the terms it lists."""
    if isinstance(rule, int) and not isinstance(rule, bool):
        return {1: "all terms", 2: "all terms and relations"}.get(rule, str(rule))
    if isinstance(rule, list | tuple):
        return ", ".join(map(str, rule))
    return str(rule)


def _wrapped(label: str, names: Iterable[str]) -> list[str]:
    return textwrap.wrap(
        f"{label}: {', '.join(names)}", width=88, subsequent_indent="    ", break_on_hyphens=False
    )


def describe(
    schema: ResourceSchema, list_url: str, class_api: Iterable[str], own_names: Iterable[str]
) -> str:
    """The class docstring, what help() shows first: the fields with their types, the
    filters, the ordering, the methods, then the whole API in two lines (each name has
    its own help: `help(Domain.filter)`)."""
    lines = [
        f"Resource {schema.name!r} at {list_url}.",
        "",
        f"List methods: {', '.join(m.upper() for m in schema.allowed_list_methods) or '-'}; "
        f"detail methods: {', '.join(m.upper() for m in schema.allowed_detail_methods) or '-'}; "
        f"default limit {schema.default_limit}.",
        "",
        "Fields:",
    ]
    for f in sorted(schema.fields.values(), key=lambda f: f.name):
        flags = _field_flags(f)
        lines.append(f"    {f.name} ({field_kind(f)}{', ' + ', '.join(flags) if flags else ''})")
        if own_help(f):
            lines.append(f"        {own_help(f)}")
    if schema.filtering:
        lines += ["", "Filtering:"]
        lines += [
            f"    {name}: {filter_rule_text(rule)}"
            for name, rule in sorted(schema.filtering.items())
        ]
    if schema.ordering:
        lines += ["", f"Ordering: {', '.join(schema.ordering)}"]
    own = list(own_names)
    colliding = sorted(set(schema.fields) & set(own) - {"pk", "id", "resource_uri"})
    if colliding:
        lines += [
            "",
            f"Named like the object's own methods: {', '.join(colliding)}; read "
            "such a field as obj['name'], set it with obj['name'] = value.",
        ]
    lines += [
        "",
        *_wrapped("Class API", class_api),
        *_wrapped("Object API", own),
        "An object reads a field as obj.name (typed) or obj['name'] (raw).",
    ]
    return "\n".join(map(terminal_text, lines))  # help() prints it to a terminal


# ---------------------------------------------------------------- notebook displays


def shown_value(name: str, value: Any) -> str:
    """One raw value as a cell shows it (not yet escaped): secrets masked, JSON for
    lists and dicts, long text cut."""
    if value is not None and is_secret_name(name) and not isinstance(value, bool):
        return "***"
    if isinstance(value, dict | list):
        text = json.dumps(value, default=str, ensure_ascii=False)
    else:
        text = "null" if value is None else str(value)
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"


def _esc(text: object) -> str:
    import html  # loaded with the first notebook display

    return html.escape(str(text), quote=True)


def table_html(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain HTML table; every header and cell is escaped here."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _titled(title: str, note: str, *parts: str) -> str:
    return (
        f"<div><p><b>{_esc(title)}</b></p>{''.join(parts)}"
        f"{f'<p><small>{_esc(note)}</small></p>' if note else ''}</div>"
    )


def object_html(
    title: str, fields: Mapping[str, Field], data: Mapping[str, Any], changed: Iterable[str] = ()
) -> str:
    """One object as a table of its fields: name, type, value (raw, as the server sent
    it; an unsaved change marked). Keys the schema does not list come last."""
    marked = set(changed)
    names = [*fields, *(k for k in data if k not in fields)]
    rows = [
        (
            name + (" (changed)" if name in marked else ""),
            field_kind(fields[name]) if name in fields else "(not in schema)",
            shown_value(name, data.get(name)) if name in data else "",
        )
        for name in names
    ]
    return _titled(title, "", table_html(["field", "type", "value"], rows))


def rows_html(
    title: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]], note: str
) -> str:
    """Rows of a QuerySet as a table, with a note saying what was fetched."""
    cells = [[shown_value(c, row.get(c)) for c in columns] for row in rows]
    return _titled(title, note, table_html(columns, cells))


def class_html(
    schema: ResourceSchema, list_url: str, class_api: Iterable[str], own_names: Iterable[str]
) -> str:
    """A resource class: its fields, filters, ordering, methods and API."""
    fields = table_html(
        ["field", "type", "flags", "help"],
        [
            (f.name, field_kind(f), ", ".join(_field_flags(f)), own_help(f))
            for f in sorted(schema.fields.values(), key=lambda f: f.name)
        ],
    )
    filters = table_html(
        ["filter", "terms"],
        [(name, filter_rule_text(rule)) for name, rule in sorted(schema.filtering.items())],
    )
    methods = (
        f"list: {', '.join(m.upper() for m in schema.allowed_list_methods) or '-'}; "
        f"detail: {', '.join(m.upper() for m in schema.allowed_detail_methods) or '-'}"
    )
    lines = [
        f"Ordering: {', '.join(schema.ordering) or '-'}",
        f"Methods: {methods}",
        f"Class API: {', '.join(class_api)}",
        f"Object API: {', '.join(own_names)}",
    ]
    return _titled(
        f"Resource {schema.name} at {list_url}",
        "",
        fields,
        filters,
        *(f"<p>{_esc(line)}</p>" for line in lines),
    )
