"""A resource's schema as data: fields, filter and ordering rules, methods, JSON Schema.

`parse_schema` accepts both the 2012 MailRoute form (no `primary_key`, `verbose_name` or
`related_schema`) and Tastypie 0.15.1's, ignores keys it does not know, and raises
`SchemaError` for shapes it cannot use. The filter rules follow what Tastypie 0.15.1 does
(TASTYPIE.md §4): a trailing part is a query term only if the field's type has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .. import vocabulary
from ..errors import SchemaError
from ..vocabulary import NO_DEFAULT, default_of, filter_rules, flag, primary_key_of

__all__ = [
    "Field",
    "ResourceSchema",
    "parse_schema",
    "resource_name_of_uri",
    "resource_name_of_schema_url",
]


def _under_api(uri: str, api_path: str) -> str | None:
    """The part of `uri`'s path after the API path, without outer slashes (None: not
    under it)."""
    path = uri.split("://", 1)[-1]
    path = path[path.find("/") :] if "://" in uri else path
    return path[len(api_path) :].strip("/") if path.startswith(api_path) else None


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
        return rest[: -len("/schema")] or None
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
    related_type: str | None = None  # "to_one" / "to_many" for related fields
    related_resource: str | None = None  # from related_schema when the server sends it
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

    def __repr__(self) -> str:  # not `raw`: the whole schema again
        return (
            f"ResourceSchema(name={self.name!r}, fields=[{', '.join(self.fields)}], "
            f"ordering={self.ordering!r}, allowed_list_methods="
            f"{self.allowed_list_methods!r}, allowed_detail_methods="
            f"{self.allowed_detail_methods!r}, primary_key={self.primary_key!r})"
        )

    @property
    def flags_keys(self) -> bool:
        """Whether the server says which field is the key (any field has `primary_key`)."""
        return vocabulary.flags_keys(
            self.raw.get("fields") if isinstance(self.raw, Mapping) else None
        )

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
            if creating and not f.readonly and not f.blank and not f.nullable and not f.has_default:
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
        prop: dict[str, Any] = (
            {"type": "array", "items": one} if f.related_type == "to_many" else dict(one)
        )
    else:
        by_type: dict[str, dict[str, Any]] = {
            "string": {"type": "string"},
            "integer": {"type": "integer"},
            "float": {"type": "number"},
            "decimal": {"type": ["string", "number"], "pattern": DECIMAL_PATTERN},
            "boolean": {"type": "boolean"},
            "datetime": {"type": "string"},
            "date": {"type": "string"},
            "time": {"type": "string"},
            "list": {"type": "array"},
            "dict": {"type": "object"},
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
        related = (
            resource_name_of_schema_url(related_schema, api_path)
            if isinstance(related_schema, str) and related_schema
            else None
        )
        related_type = spec.get("related_type")
        if ftype == "related" and related_type not in ("to_one", "to_many"):
            related_type = "to_one"
        fields[str(fname)] = Field(
            name=str(fname),
            type=ftype,
            nullable=flag(spec.get("nullable")),
            blank=flag(spec.get("blank")),
            readonly=flag(spec.get("readonly")),
            unique=flag(spec.get("unique")),
            default=default,
            help_text=str(spec.get("help_text") or ""),
            related_type=related_type if ftype == "related" else None,
            related_resource=related,
            primary_key=flag(spec.get("primary_key")),
            verbose_name=spec.get("verbose_name")
            if isinstance(spec.get("verbose_name"), str)
            else None,
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
        name=name,
        fields=fields,
        filtering=filtering,
        ordering=tuple(str(o) for o in ordering),
        allowed_list_methods=_methods(
            raw.get("allowed_list_http_methods"), name, "allowed_list_http_methods"
        ),
        allowed_detail_methods=_methods(
            raw.get("allowed_detail_http_methods"), name, "allowed_detail_http_methods"
        ),
        default_limit=limit,
        raw=raw,
        primary_key=primary_key_of(raw.get("fields")),
        unread=MappingProxyType(unread),
    )
