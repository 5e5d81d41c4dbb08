"""Tastypie's `full_hydrate` (TASTYPIE.md §6): the object a write body makes, before any
validation. Values are taken as sent (the database converts them later, `saving`); only
related values are looked up here, and a field with nothing to go on is an error.

Tastypie's rules, field by field in the schema's order:
* a field the body leaves out keeps the object's value, else the default, else null,
  else 400 "has no data"; a `blank` field left out becomes null where null is allowed
  (so a PUT clears it) and is left alone otherwise;
* `null` sent for a field that does not allow it is ignored (the value is kept);
* a PATCH is merged into the object's whole representation, so nothing is left out.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..errors import FakeFieldValueError, FakeHttpError
from .answers import bad_request, canned
from .defs import FieldDef, ResourceDef
from .values import write_value

if TYPE_CHECKING:
    from .tables import Tables

__all__ = ["hydrate", "fresh_object", "body_fields"]

_TEMPORAL = ("datetime", "date", "time")


def body_fields(body: Any) -> dict[str, Any]:
    """The body as Tastypie's bundle holds it: a JSON object. A list of numbers answers
    like an empty object (`name in data` is false for every field); anything else fails."""
    if isinstance(body, dict):
        return body
    if isinstance(body, list) and not any(isinstance(v, str) for v in body):
        return {}
    raise canned(500)


def fresh_object(rdef: ResourceDef) -> dict[str, Any]:
    """A new model object before hydration: every field at the model's default."""
    obj: dict[str, Any] = {}
    for name, f in rdef.fields.items():
        if "server_default" in rdef.field_rules.get(name, {}):
            obj[name] = copy.deepcopy(rdef.rule(name, "server_default"))
        elif f.is_related and not f.to_many:
            obj[name] = None
        else:
            obj[name] = f.empty()
    return obj


def hydrate(
    store: Tables,
    rdef: ResourceDef,
    data: Mapping[str, Any],
    current: dict[str, Any] | None,
    *,
    patch: bool,
) -> dict[str, Any]:
    """The object the body makes from `current` (None for a create)."""
    obj = dict(current) if current is not None else fresh_object(rdef)
    for name, f in rdef.fields.items():
        if f.readonly or name == rdef.pk or not rdef.stored(name):
            continue
        if name not in data:
            if patch:
                continue
            value = _left_out(rdef, f, obj)
        else:
            value = _sent(store, f, data[name])
        if value is not None or f.nullable:
            obj[name] = value
    return obj


def _left_out(rdef: ResourceDef, f: FieldDef, obj: Mapping[str, Any]) -> Any:
    """`ApiField.hydrate` for a key the body does not have."""
    if f.blank:
        return None
    if obj.get(f.name) is not None:
        return obj[f.name]
    if f.has_default:
        return copy.deepcopy(f.default)
    if f.nullable:
        return [] if f.to_many else None
    raise bad_request(
        f"The '{f.name}' field has no data and doesn't allow a default or null value."
    )


def _sent(store: Tables, f: FieldDef, value: Any) -> Any:
    """A value the body sends, as the field's `hydrate` leaves it."""
    if value is None:
        return None
    if f.is_related:
        return _related(store, f, value)
    if f.uri_target:
        return _uri_string(store, f, value)
    if f.type in _TEMPORAL and value:
        # Tastypie's hydrate reads truthy values only: a falsy one ({}, 0, false) reaches
        # the model as sent, and the database's conversion fails (`saving`)
        return _temporal(store, f, value)
    if f.type == "decimal" and value:
        return _decimal(f, value)
    return value


def _temporal(store: Tables, f: FieldDef, value: Any) -> Any:
    if not isinstance(value, str):
        raise bad_request(
            f"{_TEMPORAL_NAMES[f.type]} provided to '{f.name}' field must be a string: {value}"
        )
    try:
        return write_value(f.type, value, store.clock)
    except FakeFieldValueError:
        raise bad_request(
            f"{_TEMPORAL_NAMES[f.type]} provided to '{f.name}' field doesn't "
            f"appear to be a valid {_TEMPORAL_NAMES[f.type].lower()} string: "
            f"'{value}'"
        ) from None


_TEMPORAL_NAMES = {"datetime": "Datetime", "date": "Date", "time": "Time"}


def _decimal(f: FieldDef, value: Any) -> str:
    try:
        number = Decimal(value if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise bad_request(f"Invalid decimal string for '{f.name}' field: '{value}'") from None
    return str(number)


def _related(store: Tables, f: FieldDef, value: Any) -> Any:
    if f.to_many:
        if not isinstance(value, list):
            raise bad_request(_not_a_uri(f, value))
        return [_related_one(store, f, v) for v in value]
    return _related_one(store, f, value)


def _related_one(store: Tables, f: FieldDef, value: Any) -> str:
    """Tastypie's `build_related_resource` + `get_via_uri` for one value."""
    if isinstance(value, dict):
        if "resource_uri" not in value:
            raise bad_request(
                f"The '{f.name}' field was given nested data without a "
                "resource_uri: the fake server does not create related objects."
            )
        value = value["resource_uri"]
        if not isinstance(value, str):
            raise canned(500)
    elif not isinstance(value, str):
        raise bad_request(_not_a_uri(f, value))
    target = f.target or store.name_in_uri(value)
    if target is None or target not in store.defs:
        raise canned(404)
    if value == "":
        raise _not_found(target, value)
    key = store.key_via_uri(store.defs[target], value)
    if store.get(target, key) is None:
        raise _not_found(target, value)
    return store.uri(target, key)


def _uri_string(store: Tables, f: FieldDef, value: Any) -> Any:
    """A string field holding another resource's URI (MailRoute's wblist.domain): the
    server finds the object by the number the text ends with."""
    if value == "":
        return None
    assert f.uri_target is not None
    match = re.search(r"(\d+)/?$", str(value))
    rdef = store.defs[f.uri_target]
    key = rdef.pk_from_text(match.group(1)) if match and rdef.pk_is_int else None
    if key is None or store.get(rdef.name, key) is None:
        raise bad_request(
            f"Could not find the provided {f.name} object via resource URI '{value}'."
        )
    return store.uri(rdef.name, key)


def _not_found(target: str, value: str) -> FakeHttpError:
    return bad_request(f"Could not find the provided {target} object via resource URI '{value}'.")


def _not_a_uri(f: FieldDef, value: Any) -> str:
    return (
        f"The '{f.name}' field was given data that was not a URI, not a dictionary-alike "
        f"and does not have a 'pk' attribute: {value}."
    )
