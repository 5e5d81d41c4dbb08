"""What a schema allows: which filters (lookups, terms, values), which orderings and which
methods, checked the way Tastypie 0.15.1 checks them (TASTYPIE.md §4), before anything is
sent."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import FilterError, MethodNotAllowed, OrderingError, suggest
from ..vocabulary import (
    AFFIX_TERMS,
    ALL_WITH_RELATIONS,
    COMMON_TERMS,
    INT_TERMS,
    REWRITTEN_VALUES,
    TO_ONE_TERMS,
    named_filter_terms,
    rule_label,
    terms_allowed_by,
    terms_for_type,
    terms_that_work,
)
from .conversions import encode_filter_value
from .definition import Field, ResourceSchema

__all__ = [
    "FilterCheck",
    "check_filter",
    "check_ordering",
    "check_method",
    "terms_for",
    "allowed_terms",
]

_HOP_TERMS = COMMON_TERMS | INT_TERMS  # a relation lookup's last part, when a term


def terms_for(f: Field) -> frozenset[str]:
    """The query terms Tastypie 0.15.1 accepts for a field of this type."""
    return terms_for_type(f.type, f.related_type)


def allowed_terms(schema: ResourceSchema, f: Field) -> frozenset[str]:
    """The query terms the schema's filtering allows on `f` (none when it is not listed),
    read as Tastypie reads the rule (`vocabulary.terms_allowed_by`), of those the server
    can answer (`vocabulary.terms_that_work`)."""
    return terms_allowed_by(schema.filtering.get(f.name), terms_that_work(f.type, f.related_type))


class FilterCheck(NamedTuple):
    """A checked filter: the parameter to send, or a relation hop still to check.

    `matches_all` says why the filter matches every row by construction (an empty
    `contains`, a regex matching the empty string...), so a guarded list DELETE can refuse
    it like no filter at all; empty when the filter narrows (or may narrow) the match.
    """

    param: str
    value: str
    pending: tuple[str, str, str] | None = None  # (related resource, rest of lookup, term)
    matches_all: str = ""
    given: Any = None  # a pending check's value as given (an object keeps its resource)


def _matches_all(term: str, encoded: str, f: Field | None) -> str:
    """Why `term=encoded` matches every row whatever the data ('' when it may narrow)."""
    if term in AFFIX_TERMS and encoded == "":
        return f"{term!r} with an empty string matches every row"
    if term in ("regex", "iregex"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                matches = re.search(encoded, "", re.IGNORECASE if term == "iregex" else 0)
            except re.error:
                return f"the pattern {encoded!r} cannot be checked here, so it may match every row"
        if matches is not None:
            return f"the pattern {encoded!r} matches the empty string, so every row"
    if term == "isnull" and encoded == "false" and f is not None and not f.nullable:
        return f"{f.name!r} is never null, so isnull=False matches every row"
    return ""


def _unrewritten(
    lookup: str,
    term: str,
    value: Any,
    encoded: str,
    f: Field | None,
    allowed: frozenset[str] | None,
) -> tuple[str, str]:
    """(param, value) to send so Tastypie filters on `value` as the caller meant it.

    Tastypie rewrites only a whole value: `name=true` filters on the boolean True (the row
    named "True"), `name=none` on NULL, and `name__in=none` fails with a 500. For a
    non-boolean field such a text goes out as `__in=v,v` (an IN of the text itself, the
    same rows as `exact`); where that form is not allowed, `FilterError` says why.
    """
    if encoded not in REWRITTEN_VALUES or term == "isnull":
        return lookup, encoded
    if f is not None and f.type == "boolean":
        return lookup, encoded  # the boolean is what the caller means
    if term not in ("in", "range") and (value is None or isinstance(value, bool)):
        return lookup, encoded  # True/False/None given as such: meant as such
    if term == "exact" and (allowed is None or "in" in allowed):
        base = lookup[: -len("__exact")] if lookup.endswith("__exact") else lookup
        return f"{base}__in", f"{encoded},{encoded}"
    if term == "in":
        return lookup, f"{encoded},{encoded}"
    why = (
        "and 'in' (the form that would keep it text) is not allowed here"
        if term == "exact"
        else "and no other form of this filter keeps it text"
    )
    raise FilterError(
        f"Cannot send {lookup}={encoded!r}: Tastypie turns the whole value {encoded!r} into "
        f"{'NULL' if encoded.lower() in ('none', 'nil') else 'a boolean'} before filtering, "
        f"whatever the field, {why}. Nothing was sent."
    )


SchemaLookup = Callable[[str], "ResourceSchema | None"]
TargetOf = Callable[[ResourceSchema, Field], "str | None"]
#: `foreign(target, value)`: why `value` (an object, a URI) is not of resource `target`
#: ("" when it is, when it is a plain key, or when `target` is "" and nothing tells)
ForeignCheck = Callable[[str, Any], str]


def check_filter(
    schema: ResourceSchema,
    lookup: str,
    value: Any,
    related: SchemaLookup,
    target_of: TargetOf,
    foreign: ForeignCheck | None = None,
) -> FilterCheck:
    """Check `lookup=value` against the schema's filtering, as Tastypie would.

    `related(name)` returns a loaded schema or None; `target_of(schema, field)` names the
    resource a related field points at; `foreign` refuses a related field's value that
    is of another resource (Tastypie filters by its key alone, which would match the
    target's object of the same key). A hop whose schema is not loaded yet comes back
    `pending`, to be checked by `check_pending` before the query is sent.
    """
    parts = lookup.split("__")
    return _check_parts(
        schema, parts, value, (related, target_of, foreign), lookup, via_to_one=False
    )


def _refuse_foreign(
    schema: ResourceSchema,
    f: Field,
    term: str,
    value: Any,
    target_of: TargetOf,
    foreign: ForeignCheck,
    lookup: str,
) -> None:
    """`FilterError` when a related field's value is of another resource than the one
    the field points at (an object, or a URI), or an object not saved yet."""
    if term == "isnull":
        return
    target = target_of(schema, f) or ""
    several = term in ("in", "range") and isinstance(value, list | tuple | set | frozenset)
    for item in value if several else [value]:
        why = foreign(target, item)
        if why:
            points = f" {schema.name}.{f.name} points at {target}." if target else ""
            raise FilterError(f"Cannot filter {lookup}: {why}.{points} Nothing was sent.")


def _holds_an_object(term: str, value: Any) -> bool:
    """True when the value (or an `in`/`range` item) is an object, saved or not: it
    carries its own resource even for a field the schema types as a string (MailRoute's
    `wblist.domain` holds URIs), and Tastypie would filter by its key alone."""
    several = term in ("in", "range") and isinstance(value, list | tuple | set | frozenset)
    return any(
        hasattr(item, "pk") and hasattr(item, "resource_uri")
        for item in (value if several else [value])
    )


def _check_parts(
    schema: ResourceSchema,
    parts: list[str],
    value: Any,
    lookups: tuple[SchemaLookup, TargetOf, ForeignCheck | None],
    lookup: str,
    via_to_one: bool,
) -> FilterCheck:
    related, target_of, foreign = lookups
    head, rest = parts[0], parts[1:]
    f = schema.fields.get(head)
    filterable = sorted(schema.filtering)
    top = len(parts) == len(lookup.split("__"))
    if f is None and top and head in schema.filtering:
        return _check_named_filter(schema, head, rest, value, lookup)
    if f is None:
        raise FilterError(
            f"{schema.name} has no field {head!r} to filter on (in {lookup!r})."
            f"{suggest(head, schema.fields)} Filterable: {', '.join(filterable) or '(none)'}."
            f"{_unread_filtering(schema, head)} Use .unchecked() for "
            "parameters the schema does not describe."
        )
    rule = schema.filtering.get(head)
    if rule is None:
        raise FilterError(
            f"The {head!r} field of {schema.name} does not allow filtering. "
            f"Filterable: {', '.join(filterable) or '(none)'}.{suggest(head, filterable)}"
            f"{_unread_filtering(schema, head)}"
        )
    allowed = allowed_terms(schema, f)
    if not rest:
        term = "exact"
    elif len(rest) == 1 and rest[0] in terms_for(f):
        term = rest[0]
    else:
        term = ""
    if term:
        if via_to_one:
            allowed = allowed & TO_ONE_TERMS
        if (
            f.related_type == "to_many"
            and term not in allowed
            and term in terms_allowed_by(rule, terms_for(f))
        ):
            raise FilterError(
                f"{lookup!r} cannot be answered: {head!r} of {schema.name} is a to_many "
                f"field, and on such a field itself Tastypie's server fails (a 500) for any "
                f"term but {', '.join(sorted(allowed)) or '(none)'}. Filter on a field of "
                f"the related resource instead ({head}__<field>__{term}=...). Nothing was sent."
            )
        if term not in allowed:
            extra = (
                f" Across a to_one relation Tastypie only allows {', '.join(sorted(TO_ONE_TERMS))}."
                if via_to_one
                else ""
            )
            raise FilterError(
                f"{term!r} is not an allowed filter on the {head!r} field of {schema.name} "
                f"(in {lookup!r}). Allowed: {', '.join(sorted(allowed)) or '(none)'}."
                f"{suggest(term, allowed)}{extra}"
            )
        if foreign is not None and (f.is_related or _holds_an_object(term, value)):
            _refuse_foreign(schema, f, term, value, target_of, foreign, lookup)
        encoded = encode_filter_value(term, value)
        param, sent = _unrewritten(lookup, term, value, encoded, f, allowed)
        return FilterCheck(param, sent, matches_all=_matches_all(term, encoded, f if top else None))
    # a relation hop
    if not f.is_related or rule != ALL_WITH_RELATIONS:
        why = "is not a relation" if not f.is_related else "does not allow relation filters"
        terms = sorted(allowed)
        raise FilterError(
            f"In {lookup!r}: the {head!r} field of {schema.name} {why}, and "
            f"{rest[0]!r} is not one of its query terms ({', '.join(terms)})."
            f"{suggest(rest[0], terms)}"
        )
    target = target_of(schema, f)
    final = rest[-1] if rest[-1] in _HOP_TERMS else "exact"
    target_schema = related(target) if target is not None else None
    if target_schema is None:
        encoded = encode_filter_value(final, value)
        param, sent = _unrewritten(lookup, final, value, encoded, None, None)
        return FilterCheck(
            param,
            sent,
            pending=(target or "", "__".join(rest), final),
            matches_all=_matches_all(final, encoded, None),
            given=value,
        )
    inner = _check_parts(
        target_schema,
        rest,
        value,
        lookups,
        lookup,
        via_to_one=via_to_one or f.related_type == "to_one",
    )
    return inner


def _check_named_filter(
    schema: ResourceSchema, head: str, rest: list[str], value: Any, lookup: str
) -> FilterCheck:
    """A filter on a `filtering` key that no field has: the server's own code reads it,
    with the terms `named_filter_terms` allows and no relation hops."""
    rule = schema.filtering[head]
    allowed = named_filter_terms(rule)
    term = "exact" if not rest else rest[0] if len(rest) == 1 else ""
    if term not in allowed:
        raise FilterError(
            f"{head!r} of {schema.name} is no field but a filter of the server's own "
            f"(filtering: {rule_label(rule)}); it takes {', '.join(sorted(allowed))} only, "
            f"not {lookup!r}. Use .unchecked() to send other parameters as given."
        )
    encoded = encode_filter_value(term, value)
    param, sent = _unrewritten(lookup, term, value, encoded, None, allowed)
    return FilterCheck(param, sent, matches_all=_matches_all(term, encoded, None))


def _unread_filtering(schema: ResourceSchema, head: str) -> str:
    """Why `head` may be missing from `filtering`: a part the client could not read."""
    part = next((p for p in ("filtering", f"filtering.{head}") if p in schema.unread), "")
    return (
        f" The schema's {part!r} could not be read ({schema.unread[part]}): send such "
        "filters with .unchecked()."
        if part
        else ""
    )


def check_ordering(schema: ResourceSchema, key: str) -> str:
    """`key` (with optional `-`) when its first part is orderable; `OrderingError` if not."""
    name = key[1:] if key.startswith("-") else key
    head = name.split("__", 1)[0]
    if not head or head not in schema.ordering:
        raise OrderingError(
            f"{schema.name} cannot be ordered by {name!r}. Orderable: "
            f"{', '.join(schema.ordering) or '(none)'}.{suggest(head, schema.ordering)}"
        )
    return key


def check_method(schema: ResourceSchema, method: str, *, detail: bool) -> None:
    """`MethodNotAllowed` unless the schema allows `method` on the list or detail endpoint."""
    allowed = schema.allowed_detail_methods if detail else schema.allowed_list_methods
    if method.lower() not in allowed:
        where = "detail" if detail else "list"
        raise MethodNotAllowed(
            f"{schema.name} does not allow {method.upper()} on its {where} endpoint. "
            f"Allowed: {', '.join(m.upper() for m in allowed) or '(none)'}.",
            method=method,
            allowed=allowed,
        )
