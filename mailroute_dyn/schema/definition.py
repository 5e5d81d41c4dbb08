"""A resource's schema as data: fields, filter and ordering rules, methods, JSON Schema.

`parse_schema` accepts both the 2012 MailRoute form (no `primary_key`, `verbose_name` or
`related_schema`) and Tastypie 0.15.1's, ignores keys it does not know, and raises
`SchemaError` for shapes it cannot use. The filter rules follow what Tastypie 0.15.1 does
(TASTYPIE.md §4): a trailing part is a query term only if the field's type has it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .. import vocabulary
from ..errors import FilterError, MethodNotAllowed, OrderingError, SchemaError, suggest
from ..vocabulary import (
    AFFIX_TERMS,
    ALL_WITH_RELATIONS,
    COMMON_TERMS,
    INT_TERMS,
    NO_DEFAULT,
    REWRITTEN_VALUES,
    TO_ONE_TERMS,
    default_of,
    filter_rules,
    flag,
    named_filter_terms,
    primary_key_of,
    rule_label,
    terms_allowed_by,
    terms_for_type,
)
from .conversions import encode_filter_value

__all__ = [
    "NO_DEFAULT", "Field", "ResourceSchema", "parse_schema", "FilterCheck", "check_filter",
    "check_ordering", "check_method", "COMMON_TERMS", "terms_for", "allowed_terms",

    "resource_name_of_uri", "resource_name_of_schema_url", "REWRITTEN_VALUES",
]

_HOP_TERMS = COMMON_TERMS | INT_TERMS      # a relation lookup's last part, when a term


def _under_api(uri: str, api_path: str) -> str | None:
    """The part of `uri`'s path after the API path, without outer slashes (None: not
    under it)."""
    path = uri.split("://", 1)[-1]
    path = path[path.find("/"):] if "://" in uri else path
    return path[len(api_path):].strip("/") if path.startswith(api_path) else None


def resource_name_of_uri(uri: str, api_path: str) -> str | None:
    """`domain` for `/api/v1/domain/5/` (the first path part after the API path; the
    registry knows better where a resource name holds a slash)."""
    rest = _under_api(uri, api_path)
    return (rest.split("/", 1)[0] or None) if rest is not None else None


def resource_name_of_schema_url(url: str, api_path: str) -> str | None:
    """`thesaurus/keywords` for `/api/thesaurus/keywords/schema/`: all between the API
    path and `/schema` (a resource name may hold a slash)."""
    rest = _under_api(url, api_path)
    if rest is not None and rest.endswith("/schema"):
        return rest[:-len("/schema")] or None
    return resource_name_of_uri(url, api_path)


class Field(NamedTuple):
    """One field of a resource, as its schema describes it."""

    name: str
    type: str
    nullable: bool = False
    blank: bool = False
    readonly: bool = False
    unique: bool = False
    default: Any = NO_DEFAULT
    help_text: str = ""
    related_type: str | None = None        # "to_one" / "to_many" for related fields
    related_resource: str | None = None    # from related_schema when the server sends it
    primary_key: bool = False
    verbose_name: str | None = None

    @property
    def is_related(self) -> bool:
        """Whether the field points at other objects (its values are URIs)."""
        return self.type == "related"

    @property
    def has_default(self) -> bool:
        """Whether a create may leave the field out and get the server's default."""
        return self.default is not NO_DEFAULT

    @property
    def python_type(self) -> str:
        """The type name a user sees in help(), stubs and the CLI."""
        if self.is_related:
            return "list[Resource]" if self.related_type == "to_many" else "Resource"
        return vocabulary.PYTHON_TYPE_NAMES.get(self.type, "Any")


class ResourceSchema(NamedTuple):
    """Everything the server says about one resource."""

    name: str
    fields: Mapping[str, Field]
    filtering: Mapping[str, Any] = MappingProxyType({})
    ordering: tuple[str, ...] = ()
    allowed_list_methods: tuple[str, ...] = ()
    allowed_detail_methods: tuple[str, ...] = ()
    default_limit: int = 20
    raw: Mapping[str, Any] = MappingProxyType({})
    #: The field holding the primary key, or None when the schema shows none (the key
    #: then comes from the detail URI); `parse_schema` sets it by
    #: `vocabulary.primary_key_of`.
    primary_key: str | None = None
    #: Parts of the schema the client could not read ("filtering", "filtering.name",
    #: "ordering") and why: each degrades to "nothing allowed" (filters then go through
    #: `unchecked()`), never the resource. The registry logs them when it builds the class.
    unread: Mapping[str, str] = MappingProxyType({})

    def __repr__(self) -> str:          # not `raw`: the whole schema again
        return (f"ResourceSchema(name={self.name!r}, fields=[{', '.join(self.fields)}], "
                f"ordering={self.ordering!r}, allowed_list_methods="
                f"{self.allowed_list_methods!r}, allowed_detail_methods="
                f"{self.allowed_detail_methods!r}, primary_key={self.primary_key!r})")

    @property
    def flags_keys(self) -> bool:
        """Whether the server says which field is the key (any field has `primary_key`)."""
        return vocabulary.flags_keys(
            self.raw.get("fields") if isinstance(self.raw, Mapping) else None)

    @property
    def assigned_key(self) -> str | None:
        """The key the server assigns (an integer `AutoField`), left out of every write.
        A string or slug key that is not read-only is the caller's to set on create."""
        pk = self.primary_key
        f = self.fields.get(pk) if pk else None
        if f is None or f.readonly or f.type == "integer":
            return pk
        return None

    def writable(self) -> list[Field]:
        """Fields a write may carry: not read-only, not a server-assigned key, not the URI."""
        skip = (self.assigned_key, "resource_uri")
        return [f for f in self.fields.values() if not f.readonly and f.name not in skip]

    def json_schema(self, *, creating: bool = True) -> dict[str, Any]:
        """JSON Schema (draft 2020-12) of a writable representation.

        On create, fields that are neither blank, nullable nor defaulted are required.
        Read-only fields are described (readOnly) so a create may carry them explicitly.
        """
        props: dict[str, Any] = {}
        required: list[str] = []
        skip = (self.assigned_key, "resource_uri")
        pk = self.primary_key
        for f in self.fields.values():
            if f.name in skip:
                continue
            prop = _json_type(f)
            if f.readonly or (f.name == pk and not creating):
                prop["readOnly"] = True
            if f.help_text:
                prop["description"] = f.help_text
            props[f.name] = prop
            if (creating and not f.readonly and not f.blank and not f.nullable
                    and not f.has_default):
                required.append(f.name)
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.name,
            "type": "object",
            "properties": props,
            "required": sorted(required),
            "additionalProperties": False,
        }


#: What Tastypie's DecimalField takes as a finite number: `Decimal(text)` of any decimal
#: literal, exponents included (`str(Decimal("0.00000001"))` is `1E-8`). NaN and
#: Infinity, which Decimal also reads, are no number a database column can hold.
DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def _json_type(f: Field) -> dict[str, Any]:
    if f.is_related:
        one: dict[str, Any] = {"type": ["string", "object"]}
        prop: dict[str, Any] = ({"type": "array", "items": one}
                                if f.related_type == "to_many" else dict(one))
    else:
        by_type: dict[str, dict[str, Any]] = {
            "string": {"type": "string"}, "integer": {"type": "integer"},
            "float": {"type": "number"},
            "decimal": {"type": ["string", "number"], "pattern": DECIMAL_PATTERN},
            "boolean": {"type": "boolean"},
            "datetime": {"type": "string"}, "date": {"type": "string"},
            "time": {"type": "string"}, "list": {"type": "array"}, "dict": {"type": "object"},
        }
        prop = dict(by_type.get(f.type, {}))
    if f.nullable and "type" in prop:
        names = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        prop["type"] = [*names, "null"]
    return prop


def _methods(raw: Any, name: str, key: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(m, str) for m in raw):
        raise SchemaError(f"The schema of {name!r}: {key} must be a list of method names.")
    return tuple(m.lower() for m in raw)


def parse_schema(name: str, raw: Any, api_path: str = "/api/v1/") -> ResourceSchema:
    """A `ResourceSchema` from a `/schema/` answer; `SchemaError` when it is unusable."""
    if not isinstance(raw, dict):
        raise SchemaError(f"The schema of {name!r} is not a JSON object.")
    raw_fields = raw.get("fields")
    if not isinstance(raw_fields, dict):
        raise SchemaError(f"The schema of {name!r} has no 'fields' object.")
    fields: dict[str, Field] = {}
    for fname, spec in raw_fields.items():
        if not isinstance(spec, dict):
            raise SchemaError(f"The schema of {name!r}: field {fname!r} is not an object.")
        ftype = spec.get("type")
        ftype = ftype if isinstance(ftype, str) and ftype else "unknown"
        default = default_of(spec)
        related_schema = spec.get("related_schema")
        related = (resource_name_of_schema_url(related_schema, api_path)
                   if isinstance(related_schema, str) and related_schema else None)
        related_type = spec.get("related_type")
        if ftype == "related" and related_type not in ("to_one", "to_many"):
            related_type = "to_one"
        fields[str(fname)] = Field(
            name=str(fname), type=ftype,
            nullable=flag(spec.get("nullable")), blank=flag(spec.get("blank")),
            readonly=flag(spec.get("readonly")), unique=flag(spec.get("unique")),
            default=default, help_text=str(spec.get("help_text") or ""),
            related_type=related_type if ftype == "related" else None,
            related_resource=related, primary_key=flag(spec.get("primary_key")),
            verbose_name=spec.get("verbose_name") if isinstance(spec.get("verbose_name"),
                                                                str) else None,
        )
    filtering, unread = filter_rules(raw.get("filtering") or {})
    ordering = raw.get("ordering") or []
    if not isinstance(ordering, list):
        unread["ordering"] = f"not a list but {type(ordering).__name__} {ordering!r:.60}"
        ordering = []
    limit = raw.get("default_limit", 20)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        limit = 20
    return ResourceSchema(
        name=name, fields=fields, filtering=filtering,
        ordering=tuple(str(o) for o in ordering),
        allowed_list_methods=_methods(raw.get("allowed_list_http_methods"), name,
                                      "allowed_list_http_methods"),
        allowed_detail_methods=_methods(raw.get("allowed_detail_http_methods"), name,
                                        "allowed_detail_http_methods"),
        default_limit=limit,
        raw=raw,
        primary_key=primary_key_of(raw.get("fields")),
        unread=MappingProxyType(unread),
    )


def terms_for(f: Field) -> frozenset[str]:
    """The query terms Tastypie 0.15.1 accepts for a field of this type."""
    return terms_for_type(f.type, f.related_type)


def allowed_terms(schema: ResourceSchema, f: Field) -> frozenset[str]:
    """The query terms the schema's filtering allows on `f` (none when it is not listed),
    read as Tastypie reads the rule (`vocabulary.terms_allowed_by`)."""
    return terms_allowed_by(schema.filtering.get(f.name), terms_for(f))


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
    given: Any = None       # a pending check's value as given (an object keeps its resource)


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


def _unrewritten(lookup: str, term: str, value: Any, encoded: str, f: Field | None,
                 allowed: frozenset[str] | None) -> tuple[str, str]:
    """(param, value) to send so Tastypie filters on `value` as the caller meant it.

    Tastypie rewrites only a whole value: `name=true` filters on the boolean True (the row
    named "True"), `name=none` on NULL, and `name__in=none` fails with a 500. For a
    non-boolean field such a text goes out as `__in=v,v` (an IN of the text itself, the
    same rows as `exact`); where that form is not allowed, `FilterError` says why.
    """
    if encoded not in REWRITTEN_VALUES or term == "isnull":
        return lookup, encoded
    if f is not None and f.type == "boolean":
        return lookup, encoded          # the boolean is what the caller means
    if term not in ("in", "range") and (value is None or isinstance(value, bool)):
        return lookup, encoded          # True/False/None given as such: meant as such
    if term == "exact" and (allowed is None or "in" in allowed):
        base = lookup[:-len("__exact")] if lookup.endswith("__exact") else lookup
        return f"{base}__in", f"{encoded},{encoded}"
    if term == "in":
        return lookup, f"{encoded},{encoded}"
    why = ("and 'in' (the form that would keep it text) is not allowed here"
           if term == "exact" else "and no other form of this filter keeps it text")
    raise FilterError(
        f"Cannot send {lookup}={encoded!r}: Tastypie turns the whole value {encoded!r} into "
        f"{'NULL' if encoded.lower() in ('none', 'nil') else 'a boolean'} before filtering, "
        f"whatever the field, {why}. Nothing was sent.")


SchemaLookup = Callable[[str], "ResourceSchema | None"]
TargetOf = Callable[[ResourceSchema, Field], "str | None"]
#: `foreign(target, value)`: why `value` (an object, a URI) is not of resource `target`
#: ("" when it is, when it is a plain key, or when `target` is "" and nothing tells)
ForeignCheck = Callable[[str, Any], str]


def check_filter(schema: ResourceSchema, lookup: str, value: Any,
                 related: SchemaLookup, target_of: TargetOf,
                 foreign: ForeignCheck | None = None) -> FilterCheck:
    """Check `lookup=value` against the schema's filtering, as Tastypie would.

    `related(name)` returns a loaded schema or None; `target_of(schema, field)` names the
    resource a related field points at; `foreign` refuses a related field's value that
    is of another resource (Tastypie filters by its key alone, which would match the
    target's object of the same key). A hop whose schema is not loaded yet comes back
    `pending`, to be checked by `check_pending` before the query is sent.
    """
    parts = lookup.split("__")
    return _check_parts(schema, parts, value, (related, target_of, foreign), lookup,
                        via_to_one=False)


def _refuse_foreign(schema: ResourceSchema, f: Field, term: str, value: Any,
                    target_of: TargetOf, foreign: ForeignCheck, lookup: str) -> None:
    """`FilterError` when a related field's value is of another resource than the one
    the field points at (an object, or a URI), or an object not saved yet."""
    if term == "isnull":
        return
    target = target_of(schema, f) or ""
    several = term in ("in", "range") and isinstance(value, list | tuple | set | frozenset)
    for item in (value if several else [value]):
        why = foreign(target, item)
        if why:
            points = f" {schema.name}.{f.name} points at {target}." if target else ""
            raise FilterError(f"Cannot filter {lookup}: {why}.{points} Nothing was sent.")


def _holds_an_object(term: str, value: Any) -> bool:
    """True when the value (or an `in`/`range` item) is an object, saved or not: it
    carries its own resource even for a field the schema types as a string (MailRoute's
    `wblist.domain` holds URIs), and Tastypie would filter by its key alone."""
    several = term in ("in", "range") and isinstance(value, list | tuple | set | frozenset)
    return any(hasattr(item, "pk") and hasattr(item, "resource_uri")
               for item in (value if several else [value]))


def _check_parts(schema: ResourceSchema, parts: list[str], value: Any,
                 lookups: tuple[SchemaLookup, TargetOf, ForeignCheck | None], lookup: str,
                 via_to_one: bool) -> FilterCheck:
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
            "parameters the schema does not describe.")
    rule = schema.filtering.get(head)
    if rule is None:
        raise FilterError(
            f"The {head!r} field of {schema.name} does not allow filtering. "
            f"Filterable: {', '.join(filterable) or '(none)'}.{suggest(head, filterable)}"
            f"{_unread_filtering(schema, head)}")
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
        if term not in allowed:
            extra = (" Across a to_one relation Tastypie only allows "
                     f"{', '.join(sorted(TO_ONE_TERMS))}." if via_to_one else "")
            raise FilterError(
                f"{term!r} is not an allowed filter on the {head!r} field of {schema.name} "
                f"(in {lookup!r}). Allowed: {', '.join(sorted(allowed)) or '(none)'}."
                f"{suggest(term, allowed)}{extra}")
        if foreign is not None and (f.is_related or _holds_an_object(term, value)):
            _refuse_foreign(schema, f, term, value, target_of, foreign, lookup)
        encoded = encode_filter_value(term, value)
        param, sent = _unrewritten(lookup, term, value, encoded, f, allowed)
        return FilterCheck(param, sent, matches_all=_matches_all(term, encoded,
                                                                 f if top else None))
    # a relation hop
    if not f.is_related or rule != ALL_WITH_RELATIONS:
        why = "is not a relation" if not f.is_related else "does not allow relation filters"
        terms = sorted(allowed)
        raise FilterError(
            f"In {lookup!r}: the {head!r} field of {schema.name} {why}, and "
            f"{rest[0]!r} is not one of its query terms ({', '.join(terms)})."
            f"{suggest(rest[0], terms)}")
    target = target_of(schema, f)
    final = rest[-1] if rest[-1] in _HOP_TERMS else "exact"
    target_schema = related(target) if target is not None else None
    if target_schema is None:
        encoded = encode_filter_value(final, value)
        param, sent = _unrewritten(lookup, final, value, encoded, None, None)
        return FilterCheck(param, sent, pending=(target or "", "__".join(rest), final),
                           matches_all=_matches_all(final, encoded, None), given=value)
    inner = _check_parts(target_schema, rest, value, lookups, lookup,
                         via_to_one=via_to_one or f.related_type == "to_one")
    return inner


def _check_named_filter(schema: ResourceSchema, head: str, rest: list[str], value: Any,
                        lookup: str) -> FilterCheck:
    """A filter on a `filtering` key that no field has: the server's own code reads it,
    with the terms `named_filter_terms` allows and no relation hops."""
    rule = schema.filtering[head]
    allowed = named_filter_terms(rule)
    term = "exact" if not rest else rest[0] if len(rest) == 1 else ""
    if term not in allowed:
        raise FilterError(
            f"{head!r} of {schema.name} is no field but a filter of the server's own "
            f"(filtering: {rule_label(rule)}); it takes {', '.join(sorted(allowed))} only, "
            f"not {lookup!r}. Use .unchecked() to send other parameters as given.")
    encoded = encode_filter_value(term, value)
    param, sent = _unrewritten(lookup, term, value, encoded, None, allowed)
    return FilterCheck(param, sent, matches_all=_matches_all(term, encoded, None))


def _unread_filtering(schema: ResourceSchema, head: str) -> str:
    """Why `head` may be missing from `filtering`: a part the client could not read."""
    part = next((p for p in ("filtering", f"filtering.{head}") if p in schema.unread), "")
    return (f" The schema's {part!r} could not be read ({schema.unread[part]}): send such "
            "filters with .unchecked()." if part else "")


def check_ordering(schema: ResourceSchema, key: str) -> str:
    """`key` (with optional `-`) when its first part is orderable; `OrderingError` if not."""
    name = key[1:] if key.startswith("-") else key
    head = name.split("__", 1)[0]
    if not head or head not in schema.ordering:
        raise OrderingError(
            f"{schema.name} cannot be ordered by {name!r}. Orderable: "
            f"{', '.join(schema.ordering) or '(none)'}.{suggest(head, schema.ordering)}")
    return key


def check_method(schema: ResourceSchema, method: str, *, detail: bool) -> None:
    """`MethodNotAllowed` unless the schema allows `method` on the list or detail endpoint."""
    allowed = schema.allowed_detail_methods if detail else schema.allowed_list_methods
    if method.lower() not in allowed:
        where = "detail" if detail else "list"
        raise MethodNotAllowed(
            f"{schema.name} does not allow {method.upper()} on its {where} endpoint. "
            f"Allowed: {', '.join(m.upper() for m in allowed) or '(none)'}.",
            method=method, allowed=allowed)

