"""What the database does with an object Tastypie saves: each value converted by its
model field (Django's `get_prep_value`), in the schema's field order, and the table's
constraints. A value a field cannot take fails the request: a `ValidationError` (a
boolean given `"abc"`) answers 400 `{"error": "['…']"}` with that first error only; any
other failure (`int("x")`, a null in a NOT NULL column, a unique or one-to-one key taken,
on PostgreSQL a text longer than its column) is a database error, the canned 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .answers import canned, database_error, form_errors
from .defs import FieldDef, ResourceDef
from .forms import rule_problem, unique_problems
from .values import TEMPORAL_INVALID

if TYPE_CHECKING:
    from .tables import Tables

__all__ = ["save_values", "check_constraints", "check_rules"]

_TRUE = ("t", "True", "1")
_FALSE = ("f", "False", "0")


def save_values(rdef: ResourceDef, obj: dict[str, Any]) -> None:
    """Convert `obj`'s plain values in place as the database stores them."""
    for name, f in rdef.fields.items():
        if f.readonly or name == rdef.pk or f.is_related or obj.get(name) is None:
            continue
        obj[name] = _stored(f, obj[name])


def _stored(f: FieldDef, value: Any) -> Any:
    try:
        if f.type == "string":
            return value if isinstance(value, str) else str(value)
        if f.type == "integer":
            return int(value)
        if f.type == "float":
            return float(value)
        if f.type == "boolean":
            return _boolean(f, value)
        if f.type in TEMPORAL_INVALID and value == "":
            raise database_error(TEMPORAL_INVALID[f.type] % value)
        if f.type in TEMPORAL_INVALID and not isinstance(value, str):
            raise TypeError(value)  # Django's date parser is handed no text
    except (TypeError, ValueError):
        raise canned(500) from None
    return value


def _boolean(f: FieldDef, value: Any) -> bool:
    """Django's `BooleanField.to_python`: only these spellings are booleans."""
    if not isinstance(value, list | dict) and value in (True, False):
        return bool(value)
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise database_error(f"“{value}” value must be either True or False.")


def check_rules(rdef: ResourceDef, obj: dict[str, Any], data: Mapping[str, Any]) -> None:
    """The `fields` rules of rules.json (lengths, bounds, choices) on the values a body
    sent, for a resource without a form: the server checks what the rules declare and
    answers in a form's shape."""
    errors: dict[str, list[str]] = {}
    for name, rule in rdef.field_rules.items():
        if name in data and obj.get(name) is not None:
            problem = rule_problem(rule, obj[name])
            if problem:
                errors[name] = [problem]
    if errors:
        raise form_errors(rdef.name, errors)


def _too_long(rdef: ResourceDef, name: str, value: Any) -> bool:
    length = rdef.field_rules.get(name, {}).get("column_length")
    return isinstance(value, str) and length is not None and len(value) > length


def _link_column(store: Tables, rdef: ResourceDef, f: FieldDef) -> bool:
    """A read-only to-one link is a column of the table (policy_domain.domain) rather
    than a reverse relation when the folder declares its reverse relations
    (`reverse_of`) and this is not one of them."""
    return (
        f.is_related
        and not f.to_many
        and store.declares_reverse
        and "reverse_of" not in rdef.field_rules.get(f.name, {})
    )


def check_constraints(store: Tables, rdef: ResourceDef, obj: dict[str, Any], key: Any) -> None:
    """NOT NULL, unique, one-to-one, unique-together and (PostgreSQL) column lengths:
    the canned 500."""
    for name, f in rdef.fields.items():
        if name == rdef.pk or (f.readonly and not _link_column(store, rdef, f)):
            continue
        value = obj.get(name)
        if value is None and not f.nullable and not f.to_many:
            raise canned(500)
        if store.database == "postgresql" and _too_long(rdef, name, value):
            raise canned(500)  # varchar(n): "value too long"; SQLite stores it
    if unique_problems(store, rdef, obj, key):
        raise canned(500)
