"""State of the fake server: resources built from fixture schemas, their objects, and writes.

Writes follow Tastypie 0.15.1's hydration (TASTYPIE.md §6, §7) as far as a schema can tell:
unknown keys and read-only fields are ignored, related values are resolved like
`get_via_uri`, a partial PUT nulls omitted blank+nullable fields, PATCH merges, and the
form-style validation (required, JSON type, unique) answers in the server's error shapes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..vocabulary import NO_DEFAULT, default_of, flag, primary_key_of, terms_for_type
from .fixtures import Fixture
from .values import Clock, FieldValueError, write_value

__all__ = [
    "CANNED", "NO_DEFAULT", "HttpError", "FieldDef", "ResourceDef", "Store", "sanitize",
    "bad_request", "canned",
]

CANNED = "Sorry, this request could not be processed. Please try again later."
# Resource fields that no model field is behind: filtering on them is refused up front.
NON_MODEL_FIELDS = frozenset({"resource_uri", "absolute_url"})


def sanitize(text: str) -> str:
    """Tastypie's `sanitize`: HTML-escape, then put the quotes back."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class HttpError(Exception):
    """An answer that ends the request early (Tastypie's raised responses)."""

    def __init__(self, status: int, body: Any = None, *, headers: Mapping[str, str] | None = None,
                 text: str | None = None):
        super().__init__(status)
        self.status = status
        self.body = body            # JSON-able, or None for an empty body
        self.text = text            # a plain-text body instead (405's method list)
        self.headers = dict(headers or {})


def bad_request(message: str) -> HttpError:
    """400 `{"error": ...}` (the message is HTML-escaped like the real server's)."""
    return HttpError(400, {"error": sanitize(message)})


def canned(status: int) -> HttpError:
    """The canned `error_message` answer (404 for lookups gone wrong, 415, 500)."""
    return HttpError(status, {"error_message": CANNED})


def form_errors(resource: str, errors: Mapping[str, list[str]]) -> HttpError:
    return HttpError(400, {resource: dict(errors)})


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
    target: str | None = None          # resource a related field points at, when known
    uri_target: str | None = None      # a string field whose values are URIs (MailRoute wblist)
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
        if self.uri_target:         # a foreign key served as text: its lookups are a key's
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
    derived: dict[str, Callable[[Store, dict[str, Any]], Any]] = field(default_factory=dict)
    # what rules.json adds: checks the schema cannot express, and custom actions
    unique_together: list[list[str]] = field(default_factory=list)
    field_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # fields printed in the server's datetime format
        self.temporal = [f.name for f in self.fields.values()
                         if f.type in ("datetime", "date", "time")]

    @property
    def model_label(self) -> str:
        return _capfirst(self.name.replace("_", " "))

    def pk_from_text(self, text: str) -> Any:
        """The key a URL names, or ValueError as Django's AutoField would raise."""
        return int(text) if self.pk_is_int else text


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------- building resources

def _uri_name(uri: str, api_path: str) -> str | None:
    if not isinstance(uri, str) or not uri.startswith(api_path):
        return None
    rest = uri[len(api_path):].strip("/").split("/")
    return rest[0] if len(rest) == 2 and rest[0] else None


def _sample_uri(rows: Iterable[Mapping[str, Any]], key: str) -> str | None:
    for row in rows:
        value = row.get(key)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str)), None)
        if isinstance(value, str):
            return value
    return None


def _chosen(option: Iterable[str] | bool, name: str) -> bool:
    return option is True or (not isinstance(option, bool) and name in set(option))


def build_resources(fixture: Fixture, api_path: str, always_return_data: Iterable[str] | bool,
                    form_validation: Iterable[str] | bool = ()) -> dict[str, ResourceDef]:
    names = set(fixture.schemas)
    defs: dict[str, ResourceDef] = {}
    for name, schema in fixture.schemas.items():
        rows = fixture.objects.get(name, [])
        fields: dict[str, FieldDef] = {}
        for fname, spec in schema["fields"].items():
            ftype = spec.get("type") if isinstance(spec.get("type"), str) else "string"
            default = default_of(spec)
            target = None
            uri_target = None
            related_type = None
            if ftype == "related":
                related_type = spec.get("related_type") if spec.get("related_type") in (
                    "to_one", "to_many") else "to_one"
                related_schema = spec.get("related_schema")
                if isinstance(related_schema, str) and related_schema:
                    target = related_schema.rstrip("/").split("/")[-2]
                if target not in names:
                    sample = _sample_uri(rows, fname)
                    target = _uri_name(sample, api_path) if sample else None
                if target not in names:
                    target = fname if fname in names else None
            elif ftype == "string" and fname not in NON_MODEL_FIELDS:
                values = [r.get(fname) for r in rows if r.get(fname) is not None]
                targets = {_uri_name(str(v), api_path) for v in values}
                if values and len(targets) == 1 and None not in targets:
                    uri_target = targets.pop()
            fields[fname] = FieldDef(
                name=fname, type=ftype, nullable=flag(spec.get("nullable")),
                blank=flag(spec.get("blank")), readonly=flag(spec.get("readonly")),
                unique=flag(spec.get("unique")), default=default, related_type=related_type,
                target=target, uri_target=uri_target,
                verbose_name=spec.get("verbose_name") if isinstance(
                    spec.get("verbose_name"), str) else None)
        # the client's rule; where it finds no key field the fake still needs one to store by
        pk = primary_key_of(schema["fields"]) or (
            "id" if "id" in fields else next(iter(fields), "id"))
        pk_field = fields.get(pk)
        limit = schema.get("default_limit", 20)
        rules = fixture.rules.get(name, {})
        defs[name] = ResourceDef(
            name=name, schema=schema, fields=fields,
            filtering=dict(schema.get("filtering") or {}),
            ordering=list(schema.get("ordering") or []),
            list_methods=[m.lower() for m in schema.get("allowed_list_http_methods") or []],
            detail_methods=[m.lower() for m in schema.get("allowed_detail_http_methods") or []],
            default_limit=limit if isinstance(limit, int) and not isinstance(limit, bool) else 20,
            pk=pk, pk_is_int=pk_field is None or pk_field.type == "integer",
            listed=name in fixture.listed,
            always_return_data=_chosen(always_return_data, name),
            form_validation=_chosen(form_validation, name),
            unique_together=[list(g) for g in rules.get("unique_together", [])],
            field_rules=dict(rules.get("fields", {})),
            actions=dict(rules.get("actions", {})))
    for rdef in defs.values():
        rdef.derived = _derivations(rdef, defs, fixture.objects, api_path)
    return defs


def _derivations(rdef: ResourceDef, defs: Mapping[str, ResourceDef],
                 objects: Mapping[str, list[dict[str, Any]]], api_path: str
                 ) -> dict[str, Callable[[Store, dict[str, Any]], Any]]:
    """Keys a real server computes (`absolute_url`, MailRoute's `domain_name`), learned from
    the fixture's objects so new objects get them too."""
    rows = objects.get(rdef.name, [])[:20]
    if not rows:
        return {}
    candidates = {k for row in rows for k in row if k not in rdef.fields}
    candidates |= {f.name for f in rdef.fields.values()
                   if f.readonly and f.name != "resource_uri" and not f.to_many
                   and (f.type == "string" or f.is_related)}
    out: dict[str, Callable[[Store, dict[str, Any]], Any]] = {}
    to_one = [f for f in rdef.fields.values() if f.is_related and not f.to_many and f.target]
    for key in sorted(candidates):
        values = [(row, row.get(key)) for row in rows if key in row]
        if not values or not all(isinstance(v, str) for _, v in values):
            continue
        field_def = rdef.fields.get(key)
        if field_def is not None and field_def.is_related:
            rule = _related_rule(key, values, [f for f in to_one if f.name != key], objects,
                                 defs, api_path)
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


def _template_rule(prefix: str, pk: str) -> Callable[[Store, dict[str, Any]], Any]:
    return lambda store, obj: f"{prefix}/{obj.get(pk)}/"


def _related_rule(key: str, values: list[tuple[dict[str, Any], Any]], to_one: list[FieldDef],
                  objects: Mapping[str, list[dict[str, Any]]], defs: Mapping[str, ResourceDef],
                  api_path: str) -> Callable[[Store, dict[str, Any]], Any] | None:
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

            def rule(store: Store, obj: dict[str, Any], name: str = name, attr: str = attr
                     ) -> Any:
                related = store.object_at(obj.get(name))
                return None if related is None else related.get(attr)
            return rule
    return None


# ---------------------------------------------------------------- the store

class Store:
    """The objects of every resource, in memory, with Tastypie's write rules."""

    def __init__(self, fixture: Fixture, clock: Clock, api_path: str,
                 always_return_data: Iterable[str] | bool = (),
                 form_validation: Iterable[str] | bool = ()):
        self.clock = clock
        self.api_path = api_path
        self.fixture = _rebased(fixture, api_path)
        self.defs = build_resources(self.fixture, api_path, always_return_data, form_validation)
        self.rows: dict[str, dict[Any, dict[str, Any]]] = {}
        self.next_id: dict[str, int] = {}
        self._sorted: dict[str, list[dict[str, Any]] | None] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the fixture's objects."""
        self.rows = {}
        for name, rdef in self.defs.items():
            rows = {}
            for obj in copy.deepcopy(self.fixture.objects.get(name, [])):
                key = obj.get(rdef.pk)
                if key is None:
                    key = _key_of_uri(obj.get("resource_uri"))
                rows[key] = obj
            self.rows[name] = rows
            ints = [k for k in rows if isinstance(k, int)]
            self.next_id[name] = max(ints, default=0) + 1
            self._sorted[name] = None

    # -- reading

    def listed(self) -> list[str]:
        return sorted(name for name, rdef in self.defs.items() if rdef.listed)

    def objects(self, name: str) -> list[dict[str, Any]]:
        """Every object of a resource in primary-key order (a table scan's order)."""
        cached = self._sorted.get(name)
        if cached is None:
            cached = [obj for _, obj in sorted(self.rows[name].items(), key=_pk_sort_key)]
            self._sorted[name] = cached
        return cached

    def get(self, name: str, key: Any) -> dict[str, Any] | None:
        return self.rows[name].get(key)

    def uri(self, name: str, key: Any) -> str:
        return f"{self.api_path}{name}/{key}/"

    def split_uri(self, uri: Any) -> tuple[str, Any] | None:
        """(resource, key) for one of our detail URIs; None when it is not one."""
        name = _uri_name(uri, self.api_path) if isinstance(uri, str) else None
        if name is None or name not in self.defs:
            return None
        try:
            key = self.defs[name].pk_from_text(uri.rstrip("/").rsplit("/", 1)[1])
        except ValueError:
            return None
        return name, key

    def object_at(self, uri: Any) -> dict[str, Any] | None:
        where = self.split_uri(uri)
        return None if where is None else self.rows[where[0]].get(where[1])

    def render(self, rdef: ResourceDef, obj: Mapping[str, Any]) -> dict[str, Any]:
        """An object as the server prints it (datetimes in the configured format)."""
        if not rdef.temporal:
            return dict(obj)
        out = dict(obj)
        for name in rdef.temporal:
            if name in out:
                out[name] = self.clock.render(rdef.fields[name].type, out[name])
        return out

    # -- state for atomic operations

    def snapshot(self) -> tuple[dict[str, dict[Any, dict[str, Any]]], dict[str, int]]:
        return {n: dict(rows) for n, rows in self.rows.items()}, dict(self.next_id)

    def restore(self, state: tuple[dict[str, dict[Any, dict[str, Any]]], dict[str, int]]
                ) -> None:
        self.rows, self.next_id = state
        self._sorted = dict.fromkeys(self.rows)

    # -- writing

    def _put_row(self, rdef: ResourceDef, key: Any, obj: dict[str, Any]) -> None:
        self.rows[rdef.name][key] = obj
        self._sorted[rdef.name] = None
        if isinstance(key, int) and key >= self.next_id[rdef.name]:
            self.next_id[rdef.name] = key + 1

    def create(self, rdef: ResourceDef, body: Any, key: Any = None) -> dict[str, Any]:
        """POST semantics: a new object from `body` (ids assigned, timestamps set).

        `key` is the id a PUT to a missing detail URL creates; an id in the body wins,
        as it does on the real server.
        """
        data = _body_dict(body)
        obj = self._hydrate(rdef, data, None)
        given = data.get(rdef.pk)
        if given is not None:
            key = self._key_value(rdef, given)
        elif key is None:
            key = self.next_id[rdef.name] if rdef.pk_is_int else None
            if key is None:
                raise canned(500)
        now = self.clock.store_datetime(self.clock.now())
        self._finish(rdef, obj, key, created=now, updated=now)
        return obj

    def update(self, rdef: ResourceDef, current: dict[str, Any], body: Any, *, patch: bool,
               bump: bool = True) -> dict[str, Any]:
        """PUT (`patch=False`: omitted blank+nullable fields become null) or PATCH (merge).

        A PUT whose body names another id writes the object under that id and leaves this
        one alone, as Django's save() does.
        """
        data = _body_dict(body)
        obj = self._hydrate(rdef, data, current, patch=patch)
        key = current.get(rdef.pk)
        if not patch and data.get(rdef.pk) is not None:
            key = self._key_value(rdef, data[rdef.pk])
            if key != current.get(rdef.pk):
                # a new row: reverse relations of the original do not come along
                for f in rdef.fields.values():
                    if f.readonly and f.is_related:
                        obj[f.name] = [] if f.to_many else None
        updated = self.clock.store_datetime(self.clock.now()) if bump else None
        self._finish(rdef, obj, key, created=None, updated=updated)
        return obj

    def _finish(self, rdef: ResourceDef, obj: dict[str, Any], key: Any,
                created: str | None, updated: str | None) -> None:
        fields = rdef.fields
        if rdef.pk in fields:
            obj[rdef.pk] = key
        if "resource_uri" in fields or "resource_uri" in obj:
            obj["resource_uri"] = self.uri(rdef.name, key)
        for name, stamp in (("created_at", created), ("updated_at", updated)):
            f = fields.get(name)
            if (stamp and f is not None and f.type == "datetime"
                    and (f.readonly or not obj.get(name))):
                obj[name] = stamp
        for name, rule in rdef.derived.items():
            obj[name] = rule(self, obj)
        self._check_unique(rdef, obj, key)
        self._put_row(rdef, key, obj)

    def _key_value(self, rdef: ResourceDef, value: Any) -> Any:
        if not rdef.pk_is_int:
            return str(value)
        try:
            if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        except (TypeError, ValueError):
            raise canned(500) from None

    def delete(self, rdef: ResourceDef, *keys: Any) -> None:
        """Delete objects, and what depends on them as Django's CASCADE would: objects whose
        writable (or required read-only) link points at a deleted one go too; optional
        read-only links (reverse relations such as `contact`) are cleared."""
        wave = {(rdef.name, key) for key in keys}
        while wave:
            gone = set()
            for name, key in wave:
                if self.rows[name].pop(key, None) is not None:
                    self._sorted[name] = None
                    gone.add(self.uri(name, key))
            wave = set()
            for other in self.defs.values() if gone else ():
                links = [f for f in other.fields.values() if f.is_related or f.uri_target]
                for okey, obj in list(self.rows[other.name].items()) if links else ():
                    cleared: dict[str, Any] = {}
                    for f in links:
                        value = obj.get(f.name)
                        if isinstance(value, list):
                            if any(v in gone for v in value):
                                cleared[f.name] = [v for v in value if v not in gone]
                        elif value in gone:
                            if not (f.readonly and f.nullable):
                                wave.add((other.name, okey))
                                break           # the row goes: nothing to clear
                            cleared[f.name] = None
                    else:
                        if cleared:
                            self._put_row(other, okey, {**obj, **cleared})

    # -- hydration

    def _hydrate(self, rdef: ResourceDef, data: Mapping[str, Any],
                 current: dict[str, Any] | None, *, patch: bool = False) -> dict[str, Any]:
        """The object a write makes, or the error the real server gives for it."""
        obj: dict[str, Any] = dict(current) if current is not None else {}
        errors: dict[str, list[str]] = {}
        for name, f in rdef.fields.items():
            if f.readonly or name == rdef.pk:
                if current is None and name not in obj:
                    obj[name] = None if f.is_related and not f.to_many else f.empty()
                continue
            if name not in data:
                if current is None:
                    obj[name] = self._initial(rdef, f)
                elif not patch and f.blank and f.nullable and not f.is_related:
                    obj[name] = None
                continue
            value = data[name]
            if value is None:
                if f.type == "boolean" and rdef.form_validation and not f.nullable:
                    obj[name] = False       # the form's cleaned value is written back
                elif f.nullable:
                    obj[name] = None
                elif f.is_related:
                    if current is None:
                        errors[name] = ["This field is required."]
                elif not f.blank:
                    errors[name] = ["This field is required."]
                elif current is None:
                    obj[name] = f.empty()
                continue
            if f.is_related:
                obj[name] = self._related(f, value)
                continue
            try:
                obj[name] = write_value(f.type, value, self.clock)
            except FieldValueError as exc:
                errors[name] = [str(exc)]
        for name, f in rdef.fields.items():
            if name in errors or f.readonly or f.blank or name == rdef.pk:
                continue
            value = obj.get(name)
            if rdef.form_validation:
                # a ModelForm checks the whole object: not blank means required
                if value is None or value == "" or value == []:
                    errors[name] = ["This field is required."]
            elif ((current is None or name in data) and f.type == "string" and not f.nullable
                    and value == ""):
                errors[name] = ["This field is required."]
        for name, rule in rdef.field_rules.items():
            if name not in errors and name in data and obj.get(name) is not None:
                problem = _rule_problem(rule, obj[name])
                if problem:
                    errors[name] = [problem]
        if errors:
            raise form_errors(rdef.name, errors)
        return obj

    def _initial(self, rdef: ResourceDef, f: FieldDef) -> Any:
        """A field a create leaves out: null, the default, what the server fills in
        (a `server_default` rule), or the hydration error."""
        filled = rdef.field_rules.get(f.name, {})
        if "server_default" in filled:
            return copy.deepcopy(filled["server_default"])
        if f.blank:
            return None if f.nullable else f.empty()
        if f.has_default:
            return copy.deepcopy(f.default)
        if f.nullable:
            return [] if f.to_many else None
        if f.type == "string" and not f.is_related:
            return ""
        if f.to_many:
            return []
        raise bad_request(f"The '{f.name}' field has no data and doesn't allow a default "
                          "or null value.")

    def _related(self, f: FieldDef, value: Any) -> Any:
        if f.to_many:
            if not isinstance(value, list):
                raise bad_request(_not_a_uri(f, value))
            return [self._related_one(f, v) for v in value]
        return self._related_one(f, value)

    def _related_one(self, f: FieldDef, value: Any) -> str:
        """Tastypie's `build_related_resource` + `get_via_uri` for one value."""
        if isinstance(value, dict):
            if "resource_uri" not in value:
                raise bad_request(f"The '{f.name}' field was given nested data without a "
                                  "resource_uri: the fake server does not create related "
                                  "objects.")
            value = value["resource_uri"]
            if not isinstance(value, str):
                raise canned(500)
        elif not isinstance(value, str):
            raise bad_request(_not_a_uri(f, value))
        target = f.target or self._name_in_uri(value)
        if target is None or target not in self.defs:
            raise canned(404)
        rdef = self.defs[target]
        key = self.key_via_uri(rdef, value)
        if key not in self.rows[target]:
            raise bad_request(f"Could not find the provided {target} object via resource "
                              f"URI '{value}'.")
        return self.uri(target, key)

    def _name_in_uri(self, uri: str) -> str | None:
        parts = uri.rstrip("/").split("/")
        return parts[-2] if len(parts) >= 2 and parts[-2] in self.defs else None

    def key_via_uri(self, rdef: ResourceDef, uri: str) -> Any:
        """The key a URI names for `rdef`, as `get_via_uri` finds it (short URIs such as
        `/domain/1/` work); `HttpError(404)` with the canned body when it names none."""
        stripped = uri.rstrip("/")
        end = stripped.rfind("/")
        if end == -1 or not stripped.rsplit("/", 1)[0].endswith("/" + rdef.name):
            raise canned(404)
        found = uri.rfind(rdef.name, 0, end)
        match = re.fullmatch(re.escape(rdef.name) + r"/(.*?)/", uri[found:], re.S)
        if match is None or match.group(1) in ("schema",) or match.group(1).startswith("set/"):
            raise canned(404)
        try:
            return rdef.pk_from_text(match.group(1))
        except ValueError:
            raise canned(404) from None

    def _check_unique(self, rdef: ResourceDef, obj: Mapping[str, Any], key: Any) -> None:
        errors: dict[str, list[str]] = {}
        for f in rdef.fields.values():
            if not f.unique or f.name == rdef.pk or f.readonly:
                continue
            value = obj.get(f.name)
            if value is None:
                continue
            for okey, other in self.rows[rdef.name].items():
                if okey != key and other.get(f.name) == value:
                    errors[f.name] = [f"{rdef.model_label} with this {f.label} already exists."]
                    break
        for group in rdef.unique_together:
            values = [obj.get(name) for name in group]
            if any(v is None for v in values):
                continue
            for okey, other in self.rows[rdef.name].items():
                if okey != key and [other.get(name) for name in group] == values:
                    labels = " and ".join(rdef.fields[name].label for name in group)
                    errors.setdefault("__all__", []).append(
                        f"{rdef.model_label} with this {labels} already exists.")
                    break
        if errors:
            raise form_errors(rdef.name, errors)


def _rule_problem(rule: Mapping[str, Any], value: Any) -> str | None:
    """Django's message for a value a `fields` rule refuses (model validators, choices)."""
    if "choices" in rule and value not in rule["choices"]:
        return f"Select a valid choice. {value} is not one of the available choices."
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and "min" in rule and value < rule["min"]:
        return f"Ensure this value is greater than or equal to {rule['min']}."
    if number and "max" in rule and value > rule["max"]:
        return f"Ensure this value is less than or equal to {rule['max']}."
    return None


def _not_a_uri(f: FieldDef, value: Any) -> str:
    return (f"The '{f.name}' field was given data that was not a URI, not a dictionary-alike "
            f"and does not have a 'pk' attribute: {value}.")


def _body_dict(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise canned(500)
    return body


def _key_of_uri(uri: Any) -> Any:
    if not isinstance(uri, str):
        return None
    last = uri.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else last


def _pk_sort_key(item: tuple[Any, Any]) -> tuple[int, Any, str]:
    key = item[0]
    return (0, key, "") if isinstance(key, int) else (1, 0, str(key))


def _rebased(fixture: Fixture, api_path: str) -> Fixture:
    """The fixture with its URIs moved to `api_path` when it was captured under another."""
    old = fixture.api_path
    if not old or old == api_path:
        return fixture

    def move(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(old):
            return api_path + value[len(old):]
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    objects = {name: [{k: move(v) for k, v in obj.items()} for obj in rows]
               for name, rows in fixture.objects.items()}
    schemas = copy.deepcopy(fixture.schemas)
    for schema in schemas.values():
        for spec in schema["fields"].values():
            if isinstance(spec, dict) and isinstance(spec.get("related_schema"), str):
                spec["related_schema"] = move(spec["related_schema"])
    return Fixture(schemas, objects, fixture.listed, api_path, fixture.rules)
