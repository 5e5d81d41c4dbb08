"""Query parameters of a list: every filter the schema allows (`field__term`, typed by
the field and the term; relation lookups one relation deep, so cycles end), `order_by`
as an enum, and Tastypie's `limit`/`offset`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..schema.definition import Field, ResourceSchema
from ..schema.rules import allowed_terms
from ..vocabulary import ALL_WITH_RELATIONS, INT_TERMS, TEXT_TERMS, TO_ONE_TERMS
from .components import DECIMAL_PATTERN
from .text import plain_text

__all__ = ["filter_parameters", "order_parameter", "PAGING", "REWRITING"]

#: Tastypie's value rewriting, said once in every filter's description.
REWRITING = (
    "Tastypie reads the whole values true, True, false, False as booleans and "
    "none, None, nil as null, whatever the field: to match such a text, send it "
    "as field\\_\\_in=true,true."
)
PAGING: dict[str, dict[str, Any]] = {
    "Tastypie.limit": {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0},
        "description": "Objects per page; 0 and values over the server's "
        "max\\_limit mean max\\_limit. Follow meta.next.",
    },
    "Tastypie.offset": {
        "name": "offset",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0},
        "description": "Objects to skip.",
    },
}
_BY_TYPE: dict[str, dict[str, Any]] = {
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "decimal": {"type": "string", "pattern": DECIMAL_PATTERN},
    "boolean": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
}
_TERM_TYPES: dict[str, dict[str, Any]] = {
    "isnull": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
}
#: Tells the target schema a related filter's value is a key of (None when unknown).
SchemaOf = Callable[[str | None], "ResourceSchema | None"]


def _key_type(target: ResourceSchema | None) -> dict[str, Any]:
    f = target.fields.get(target.primary_key or "") if target is not None else None
    return {"type": "integer"} if f is not None and f.type == "integer" else {"type": "string"}


def _value(f: Field, term: str, target: ResourceSchema | None) -> dict[str, Any]:
    if term in _TERM_TYPES:
        return dict(_TERM_TYPES[term])
    if term in INT_TERMS:
        return {"type": "integer"}
    if term in TEXT_TERMS or term.startswith("has_"):
        return {"type": "string"}
    if f.is_related:
        return _key_type(target)
    return dict(_BY_TYPE.get(f.type, {"type": "string"}))


def _parameter(lookup: str, f: Field, term: str, target: ResourceSchema | None) -> dict[str, Any]:
    value = _value(f, "exact" if term in ("in", "range") else term, target)
    param: dict[str, Any] = {"name": lookup, "in": "query"}
    if term in ("in", "range"):
        items = {"type": "array", "items": value, "minItems": 2 if term == "range" else 1}
        if term == "range":
            items["maxItems"] = 2
        param.update(schema=items, style="form", explode=False)
        what = "a comma-separated list" if term == "in" else "two comma-separated bounds"
    else:
        param["schema"] = value
        what = "a value"
    param["description"] = plain_text(f"{lookup}: {what} ({term}).") + " " + REWRITING
    return param


def _field_parameters(
    prefix: str, f: Field, terms: frozenset[str], target: ResourceSchema | None
) -> list[dict[str, Any]]:
    out = []
    for term in sorted(terms):
        lookup = f"{prefix}__{term}" if term != "exact" else prefix
        out.append(_parameter(lookup, f, term, target))
        if term == "exact":
            out.append(_parameter(f"{prefix}__exact", f, term, target))
    return out


def filter_parameters(
    schema: ResourceSchema, targets: Mapping[str, str | None], schema_of: SchemaOf
) -> list[dict[str, Any]]:
    """Every filter `schema` allows, and one relation level of each ALL_WITH_RELATIONS
    field whose target schema is known."""
    out: list[dict[str, Any]] = []
    for name in sorted(schema.filtering, key=str):
        f = schema.fields.get(name)
        if f is None:  # a parameter of the resource's own build_filters
            out.append(
                {
                    "name": str(name),
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": plain_text(
                        f"{name}: a filter the server reads itself (no field describes it)."
                    ),
                }
            )
            continue
        target = schema_of(targets.get(name)) if f.is_related else None
        out += _field_parameters(name, f, allowed_terms(schema, f), target)
        if f.is_related and schema.filtering[name] == ALL_WITH_RELATIONS and target:
            out += _hop_parameters(name, f, target, targets, schema_of)
    return sorted(out, key=lambda p: str(p["name"]))


def _hop_parameters(
    prefix: str,
    via: Field,
    target: ResourceSchema,
    targets: Mapping[str, str | None],
    schema_of: SchemaOf,
) -> list[dict[str, Any]]:
    out = []
    for name in sorted(target.filtering, key=str):
        g = target.fields.get(name)
        if g is None:
            continue
        terms = allowed_terms(target, g)
        if via.related_type == "to_one":
            terms = terms & TO_ONE_TERMS
        inner = (
            schema_of(g.related_resource or (name if g.is_related else None))
            if g.is_related
            else None
        )
        out += _field_parameters(f"{prefix}__{name}", g, terms, inner)
    return out


def order_parameter(schema: ResourceSchema) -> list[dict[str, Any]]:
    """`order_by` with the orderable fields, ascending and descending."""
    if not schema.ordering:
        return []
    keys = sorted({k for name in schema.ordering for k in (name, f"-{name}")})
    return [
        {
            "name": "order_by",
            "in": "query",
            "schema": {"type": "string", "enum": keys},
            "description": "Ordering; a leading - sorts descending.",
        }
    ]
