"""The fake's model of a resource: fields as the schema describes them, plus what
`rules.json` adds, built once from a fixture (`build_resources`), and the values a real
server computes for new objects (`absolute_url`, MailRoute's `domain_name`)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..vocabulary import NO_DEFAULT, default_of, flag, primary_key_of, terms_for_type
from .answers import canned
from .fixtures import Fixture

#: What a URI points at in the tables (None: nothing), as a derived value reads it
ObjectAt = Callable[[Any], "dict[str, Any] | None"]
#: A value a real server computes on save (`absolute_url`, MailRoute's `domain_name`),
#: from the object and what its related URIs point at
Derivation = Callable[[ObjectAt, dict[str, Any]], Any]


__all__ = ["NON_MODEL_FIELDS", "FieldDef", "ResourceDef", "build_resources", "uri_name"]

# Resource fields that no model field is behind: filtering on them is refused up front.
NON_MODEL_FIELDS = frozenset({"resource_uri", "absolute_url"})


# ---------------------------------------------------------------- schema model


@dataclass(frozen=True)
class FieldDef:
    """One field as its schema describes it, plus where a related field points."""

    name: str
    type: str
    nullable: bool = False
    blank: bool = False
    readonly: bool = False
    unique: bool = False
    default: Any = NO_DEFAULT
    related_type: str | None = None
    target: str | None = None  # resource a related field points at, when known
    uri_target: str | None = None  # a string field whose values are URIs (MailRoute wblist)
    verbose_name: str | None = None

    @property
    def is_related(self) -> bool:
        return self.type == "related"

    @property
    def to_many(self) -> bool:
        return self.related_type == "to_many"

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    @property
    def lookups(self) -> frozenset[str]:
        """The Django lookups of the model field behind this field (TASTYPIE.md §4.1)."""
        if self.uri_target:  # a foreign key served as text: its lookups are a key's
            return terms_for_type("related", "to_one")
        return terms_for_type(self.type, self.related_type)

    @property
    def label(self) -> str:
        return _capfirst(self.verbose_name or self.name.replace("_", " "))

    def empty(self) -> Any:
        """What a fresh model object holds for a field nobody set."""
        if self.to_many:
            return []
        if self.has_default:
            return copy.deepcopy(self.default)
        if self.type == "string" and not self.nullable:
            return ""
        return None


@dataclass
class ResourceDef:
    """One resource: its schema as served and what the fake needs from it."""

    name: str
    schema: dict[str, Any]
    fields: dict[str, FieldDef]
    filtering: dict[str, Any]
    ordering: list[str]
    list_methods: list[str]
    detail_methods: list[str]
    default_limit: int
    pk: str
    pk_is_int: bool
    listed: bool = True
    always_return_data: bool = False
    form_validation: bool = False
    derived: dict[str, Derivation] = field(default_factory=dict)
    # what rules.json adds: checks the schema cannot express, and custom actions
    unique_together: list[list[str]] = field(default_factory=list)
    one_to_one: list[str] = field(default_factory=list)
    on_delete: dict[str, str] = field(default_factory=dict)
    companions: dict[str, str] = field(default_factory=dict)
    view_of: list[dict[str, Any]] = field(default_factory=list)
    field_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # fields printed in the server's datetime format
        self.temporal = [
            f.name for f in self.fields.values() if f.type in ("datetime", "date", "time")
        ]

    @property
    def hidden(self) -> list[str]:
        """Fields reads show as null (`write_only` and `not_stored` rules)."""
        return [
            name
            for name, rule in self.field_rules.items()
            if rule.get("write_only") or rule.get("not_stored")
        ]

    def stored(self, name: str) -> bool:
        """Whether a write keeps the field's value (not a `not_stored` key)."""
        return not self.rule(name, "not_stored", False)

    @property
    def model_label(self) -> str:
        return _capfirst(self.name.replace("_", " "))

    def rule(self, field_name: str, key: str, default: Any = None) -> Any:
        """One `fields` rule of rules.json for a field (`max_length`, `auto_now`, ...)."""
        return self.field_rules.get(field_name, {}).get(key, default)

    def pk_from_text(self, text: str) -> Any:
        """The key a URL names, or ValueError as Django's AutoField would raise."""
        return int(text) if self.pk_is_int else text


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------- building resources


def uri_name(uri: str, api_path: str) -> str | None:
    if not isinstance(uri, str) or not uri.startswith(api_path):
        return None
    rest = uri[len(api_path) :].strip("/").split("/")
    return rest[0] if len(rest) == 2 and rest[0] else None


def _sample_uri(rows: Iterable[Mapping[str, Any]], key: str) -> str | None:
    for row in rows:
        value = row.get(key)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str)), None)
        if isinstance(value, str):
            return value
    return None


Option = Iterable[str] | bool | None


def _chosen(option: Option, name: str, declared: Any) -> bool:
    """A constructor option decides when given (True, False or the resources it names);
    otherwise what the folder's rules.json declares for the resource."""
    if option is None:
        return declared is True
    return option is True or (not isinstance(option, bool) and name in set(option))


def build_resources(
    fixture: Fixture,
    api_path: str,
    always_return_data: Option = None,
    form_validation: Option = None,
) -> dict[str, ResourceDef]:
    names = set(fixture.schemas)
    defs: dict[str, ResourceDef] = {}
    for name, schema in fixture.schemas.items():
        rows = fixture.objects.get(name, [])
        field_rules = fixture.rules.get(name, {}).get("fields", {})
        fields: dict[str, FieldDef] = {}
        for fname, spec in schema["fields"].items():
            ftype = spec.get("type") if isinstance(spec.get("type"), str) else "string"
            default = default_of(spec)
            target = None
            uri_target = None
            related_type = None
            if ftype == "related":
                related_type = (
                    spec.get("related_type")
                    if spec.get("related_type") in ("to_one", "to_many")
                    else "to_one"
                )
                related_schema = spec.get("related_schema")
                if isinstance(related_schema, str) and related_schema:
                    target = related_schema.rstrip("/").split("/")[-2]
                if target not in names:
                    sample = _sample_uri(rows, fname)
                    target = uri_name(sample, api_path) if sample else None
                if target not in names:
                    target = fname if fname in names else None
            elif ftype == "string" and isinstance(field_rules.get(fname, {}).get("uri_of"), str):
                uri_target = field_rules[fname]["uri_of"]
            elif ftype == "string" and fname not in NON_MODEL_FIELDS:
                values = [r.get(fname) for r in rows if r.get(fname) is not None]
                targets = {uri_name(str(v), api_path) for v in values}
                if values and len(targets) == 1 and None not in targets:
                    uri_target = targets.pop()
            fields[fname] = FieldDef(
                name=fname,
                type=ftype,
                nullable=flag(spec.get("nullable")),
                blank=flag(spec.get("blank")),
                readonly=flag(spec.get("readonly")),
                unique=flag(spec.get("unique")),
                default=default,
                related_type=related_type,
                target=target,
                uri_target=uri_target,
                verbose_name=spec.get("verbose_name")
                if isinstance(spec.get("verbose_name"), str)
                else None,
            )
        # the client's rule; where it finds no key field the fake still needs one to store by
        pk = primary_key_of(schema["fields"]) or (
            "id" if "id" in fields else next(iter(fields), "id")
        )
        pk_field = fields.get(pk)
        limit = schema.get("default_limit", 20)
        rules = fixture.rules.get(name, {})
        defs[name] = ResourceDef(
            name=name,
            schema=schema,
            fields=fields,
            # a part the schema gives in no JSON shape (Tastypie writes a Python set as its
            # text) allows nothing here, as the client reads it
            filtering=_mapping(schema.get("filtering")),
            ordering=_names(schema.get("ordering")),
            list_methods=[m.lower() for m in schema.get("allowed_list_http_methods") or []],
            detail_methods=[m.lower() for m in schema.get("allowed_detail_http_methods") or []],
            default_limit=limit if isinstance(limit, int) and not isinstance(limit, bool) else 20,
            pk=pk,
            pk_is_int=pk_field is None or pk_field.type == "integer",
            listed=name in fixture.listed,
            always_return_data=_chosen(always_return_data, name, rules.get("always_return_data")),
            form_validation=_chosen(form_validation, name, rules.get("form_validation")),
            unique_together=[list(g) for g in rules.get("unique_together", [])],
            one_to_one=list(rules.get("one_to_one", [])),
            on_delete=dict(rules.get("on_delete", {})),
            companions=dict(rules.get("companions", {})),
            view_of=list(rules.get("view_of", [])),
            field_rules=dict(rules.get("fields", {})),
            actions=dict(rules.get("actions", {})),
        )
    for rdef in defs.values():
        rdef.derived = _derivations(rdef, defs, fixture.objects, api_path)
    return defs


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _derivations(
    rdef: ResourceDef,
    defs: Mapping[str, ResourceDef],
    objects: Mapping[str, list[dict[str, Any]]],
    api_path: str,
) -> dict[str, Derivation]:
    """Keys a real server computes (`absolute_url`, MailRoute's `domain_name`), learned from
    the fixture's objects so new objects get them too."""
    rows = objects.get(rdef.name, [])[:20]
    if not rows:
        return {}
    candidates = {k for row in rows for k in row if k not in rdef.fields}
    candidates |= {
        f.name
        for f in rdef.fields.values()
        if f.readonly
        and f.name != "resource_uri"
        and not f.to_many
        and (f.type == "string" or f.is_related)
    }
    out: dict[str, Derivation] = {}
    to_one = [f for f in rdef.fields.values() if f.is_related and not f.to_many and f.target]
    for key in sorted(candidates):
        values = [(row, row.get(key)) for row in rows if key in row]
        if not values or not all(isinstance(v, str) for _, v in values):
            continue
        field_def = rdef.fields.get(key)
        if field_def is not None and field_def.is_related:
            rule = _related_rule(
                key, values, [f for f in to_one if f.name != key], objects, defs, api_path
            )
            if rule is not None:
                out[key] = rule
            continue
        template = _path_template(values, rdef.pk)
        if template is not None:
            out[key] = _template_rule(template, rdef.pk)
            continue
        rule = _related_rule(key, values, to_one, objects, defs, api_path)
        if rule is not None:
            out[key] = rule
    return out


def _path_template(values: list[tuple[dict[str, Any], Any]], pk: str) -> str | None:
    templates = set()
    for row, value in values:
        tail = f"/{row.get(pk)}/"
        if not value.endswith(tail):
            return None
        templates.add(value[: -len(tail)])
    return templates.pop() if len(templates) == 1 else None


def _template_rule(prefix: str, pk: str) -> Derivation:
    return lambda object_at, obj: f"{prefix}/{obj.get(pk)}/"


def _related_rule(
    key: str,
    values: list[tuple[dict[str, Any], Any]],
    to_one: list[FieldDef],
    objects: Mapping[str, list[dict[str, Any]]],
    defs: Mapping[str, ResourceDef],
    api_path: str,
) -> Derivation | None:
    for f in to_one:
        target = defs[f.target] if f.target else None
        if target is None:
            continue
        by_uri = {r.get("resource_uri"): r for r in objects.get(target.name, [])}
        attrs: set[str] | None = None
        for row, value in values:
            related = by_uri.get(row.get(f.name))
            if related is None:
                attrs = set()
                break
            matching = {a for a, v in related.items() if v == value and a != "resource_uri"}
            attrs = matching if attrs is None else attrs & matching
            if not attrs:
                break
        if attrs:
            attr = sorted(attrs)[0]
            name = f.name

            def rule(
                object_at: ObjectAt,
                obj: dict[str, Any],
                name: str = name,
                attr: str = attr,
                required: bool = not f.nullable,
            ) -> Any:
                if required and obj.get(name) is None:
                    # the model's save() follows a link that is not there: Django's
                    # ObjectDoesNotExist, which Tastypie answers with a 404
                    raise canned(404)
                related = object_at(obj.get(name))
                return None if related is None else related.get(attr)

            return rule
    return None
