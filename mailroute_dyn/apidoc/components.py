"""Component schemas (JSON Schema 2020-12) of one resource: its representation as read,
its bodies on create and update, and its list page; plus Tastypie's error bodies.

What is read and what is written differ, and the document says which: an answer may
carry keys the schema does not list (MailRoute's `domain_name`), datetimes in the form
the server is configured for (RFC 2822 or naive ISO 8601, neither an RFC 3339
`date-time`), decimals as strings and relations as URIs or nested objects; a body sends
schema fields only, datetimes in ISO 8601 and relations as URIs (the same rules as
`Resource.json_schema`, which validates writes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..schema.definition import Field, ResourceSchema
from .text import plain_text, ref

__all__ = [
    "ResourceNames",
    "read_schema",
    "write_schema",
    "list_schema",
    "key_schema",
    "SHARED_SCHEMAS",
    "LIST_META",
    "ERROR",
    "ERROR_MESSAGE",
    "FORM_ERRORS",
]

LIST_META = "Tastypie.ListMeta"
ERROR = "Tastypie.Error"
ERROR_MESSAGE = "Tastypie.ErrorMessage"
FORM_ERRORS = "Tastypie.FormErrors"

#: A resource's component name and, per related field, the target's component name.
ResourceNames = tuple[str, Mapping[str, "str | None"]]

_READ_FORMS = {
    "datetime": "A date and time as the server prints it: RFC 2822 "
    "(Thu, 07 Jun 2012 15:24:27 -0700) or ISO 8601, naive local time without "
    "an offset (2012-06-07T15:24:27), as the server is configured.",
    "date": "A date as the server prints it: 2024-05-02 or 2 May 2024.",
    "time": "A time as the server prints it: 05:17:23, or 05:17:23 -0800.",
}
_SCALARS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "boolean": {"type": "boolean"},
    "list": {"type": "array"},
    "dict": {"type": "object"},
}
_WRITE_FORMATS = {"datetime": "date-time", "date": "date", "time": "time"}
DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"


def _uri(target: str | None) -> dict[str, Any]:
    what = f"the URI of a {target} object" if target else "a resource URI"
    return {"type": "string", "format": "uri-reference", "description": plain_text(what)}


def _related_read(f: Field, target: str | None, component: str | None) -> dict[str, Any]:
    nested = ref(component) if component else {"type": "object"}
    one: dict[str, Any] = {"anyOf": [_uri(target), nested]}
    return {"type": "array", "items": one} if f.related_type == "to_many" else one


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    if "anyOf" in prop:
        return {**prop, "anyOf": [*prop["anyOf"], {"type": "null"}]}
    if "type" not in prop:
        return prop  # any value, null included
    names = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    return {**prop, "type": [*names, "null"]}


def _read_value(f: Field, target: str | None, component: str | None) -> dict[str, Any]:
    if f.is_related:
        return _related_read(f, target, component)
    if f.type == "decimal":
        return {"type": "string", "format": "decimal"}
    if f.type in _READ_FORMS:
        return {"type": "string"}
    return dict(_SCALARS.get(f.type, {}))


def _write_value(f: Field, target: str | None) -> dict[str, Any]:
    if f.is_related:
        return (
            {"type": "array", "items": _uri(target)}
            if f.related_type == "to_many"
            else _uri(target)
        )
    if f.type == "decimal":
        return {"type": ["string", "number"], "format": "decimal", "pattern": DECIMAL_PATTERN}
    if f.type in _WRITE_FORMATS:
        return {"type": "string", "format": _WRITE_FORMATS[f.type]}
    return dict(_SCALARS.get(f.type, {}))


def _described(prop: dict[str, Any], f: Field, form: str = "") -> dict[str, Any]:
    texts = [t for t in (f.help_text, form) if t]
    if texts:
        prop["description"] = plain_text(" ".join(texts))
    return prop


def read_schema(
    schema: ResourceSchema, names: ResourceNames, targets: Mapping[str, str | None]
) -> dict[str, Any]:
    """One object as the server sends it: every field, none required (a list may leave
    `use_in="detail"` fields out), other keys allowed."""
    component, related = names
    props: dict[str, Any] = {}
    for name in sorted(schema.fields):
        f = schema.fields[name]
        target = targets.get(name)
        prop = _read_value(f, target, related.get(name))
        if f.nullable:
            prop = _nullable(prop)
        if f.readonly or name in ("resource_uri", schema.assigned_key):
            prop["readOnly"] = True
        props[name] = _described(prop, f, _READ_FORMS.get(f.type, ""))
    return {
        "title": plain_text(schema.name),
        "type": "object",
        "properties": props,
        "x-tastypie-resource": schema.name,
    }


def write_schema(
    schema: ResourceSchema, *, creating: bool, targets: Mapping[str, str | None]
) -> dict[str, Any]:
    """A body for POST (`creating`) or PUT/PATCH: writable schema fields only; on create,
    the fields that are neither blank, nullable nor defaulted are required."""
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in sorted(schema.writable(), key=lambda f: f.name):
        prop = _write_value(f, targets.get(f.name))
        props[f.name] = _described(_nullable(prop) if f.nullable else prop, f)
        if creating and not f.blank and not f.nullable and not f.has_default:
            required.append(f.name)
    return {
        "title": plain_text(f"{schema.name} ({'create' if creating else 'update'})"),
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def list_schema(component: str) -> dict[str, Any]:
    """A list page: Tastypie's `meta` and the page's `objects`."""
    return {
        "type": "object",
        "required": ["meta", "objects"],
        "properties": {
            "meta": ref(LIST_META),
            "objects": {"type": "array", "items": ref(component)},
        },
    }


def key_schema(schema: ResourceSchema) -> dict[str, Any]:
    """The detail URI's key: an integer for an integer key, else a non-empty segment."""
    f = schema.fields.get(schema.primary_key or "")
    if f is not None and f.type == "integer":
        return {"type": "integer"}
    return {"type": "string", "minLength": 1, "pattern": "^[^/]*[^./][^/]*$"}


SHARED_SCHEMAS: dict[str, dict[str, Any]] = {
    LIST_META: {
        "type": "object",
        "required": ["limit", "offset", "total_count"],
        "properties": {
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "total_count": {"type": "integer"},
            "next": {"type": ["string", "null"], "format": "uri-reference"},
            "previous": {"type": ["string", "null"], "format": "uri-reference"},
        },
        "description": "Follow next, never previous: Tastypie leaves previous null when "
        "offset \\< limit.",
    },
    ERROR: {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
        "description": "A bad filter, ordering, limit or body (HTML-escaped text).",
    },
    ERROR_MESSAGE: {
        "type": "object",
        "required": ["error_message"],
        "properties": {"error_message": {"type": "string"}, "traceback": {"type": "string"}},
        "description": "Tastypie's canned error (404, 415, 500).",
    },
    FORM_ERRORS: {
        "type": "object",
        "description": "Form validation errors: "
        "resource name -> field (or \\_\\_all\\_\\_) -> messages.",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}
