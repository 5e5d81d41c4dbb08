"""How resource classes, objects and QuerySets show themselves to a person: the concise
`help()` text of a class, written from its schema.

Everything here turns data into text; nothing sends or imports the model, so the model's
classes (later layers) call these functions with what they hold.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from .schema import Field, ResourceSchema

__all__ = ["describe", "field_kind", "filter_rule_text", "own_help"]


#: Tastypie's help text for a field that has none of its own: it says only the type,
#: which the field's line shows already.
_GENERIC_HELP = (
    "Unicode string data.", "Integer data.", "Boolean data.", "A date & time as a string.",
    "A date as a string.", "A time as string.", "Floating point numeric data.",
    "Fixed precision numeric data.", "A single related resource.",
    "Many related resources.", "A dictionary of data.", "A list of data.",
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


def _field_flags(f: Field) -> list[str]:
    flags = [flag for flag, on in (("read-only", f.readonly), ("nullable", f.nullable),
                                   ("blank", f.blank), ("unique", f.unique)) if on]
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
    return textwrap.wrap(f"{label}: {', '.join(names)}", width=88,
                         subsequent_indent="    ", break_on_hyphens=False)


def describe(schema: ResourceSchema, list_url: str, class_api: Iterable[str],
             own_names: Iterable[str]) -> str:
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
        lines += [f"    {name}: {filter_rule_text(rule)}"
                  for name, rule in sorted(schema.filtering.items())]
    if schema.ordering:
        lines += ["", f"Ordering: {', '.join(schema.ordering)}"]
    own = list(own_names)
    colliding = sorted(set(schema.fields) & set(own) - {"pk", "id", "resource_uri"})
    if colliding:
        lines += ["", f"Named like the object's own methods: {', '.join(colliding)}; read "
                      "such a field as obj['name'], set it with obj['name'] = value."]
    lines += ["", *_wrapped("Class API", class_api), *_wrapped("Object API", own),
              "An object reads a field as obj.name (typed) or obj['name'] (raw)."]
    return "\n".join(lines)
