"""Tastypie's `FormValidation` with a Django ModelForm over a resource's writable fields
(a `form_validation` resource): every field is checked and all errors answer at once
(400 `{resource: {field: [...]}}`), and the form's cleaned values are written back into
the object (`construct_instance`), so `"8"` is stored as 8 and `"abc"` in a checkbox as
true. The form sees the object's values, overlaid with what the body sent for plain
(non-related) fields.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..errors import _FakeFormFieldError
from .answers import canned, form_errors
from .defs import FieldDef, ResourceDef

if TYPE_CHECKING:
    from .tables import Tables

__all__ = ["validate_form", "rule_problem", "unique_problems", "UNREADABLE_KEY"]

# an id the body sends that the database cannot read ("abc"): a unique check that
# excludes it fails in the database (500)
UNREADABLE_KEY = object()

_EMPTY: tuple[Any, ...] = (None, "", [], (), {})
_REQUIRED = "This field is required."


def validate_form(
    store: Tables, rdef: ResourceDef, obj: dict[str, Any], data: Mapping[str, Any], key: Any
) -> None:
    """Clean `obj` as the ModelForm would, or raise the form's 400."""
    errors: dict[str, list[str]] = {}
    for name, f in rdef.fields.items():
        if f.readonly or name == rdef.pk:
            continue
        raw = data[name] if name in data and not (f.is_related or f.uri_target) else obj.get(name)
        try:
            cleaned = _clean(f, raw)
            problem = rule_problem(rdef.field_rules.get(name, {}), cleaned)
            if problem:
                raise _FakeFormFieldError(problem)
        except _FakeFormFieldError as exc:
            errors[name] = [str(exc)]
            continue
        obj[name] = cleaned
    if key is UNREADABLE_KEY and _unique_checks_run(rdef, obj, set(errors)):
        raise canned(500)
    for name, message in unique_problems(store, rdef, obj, key, skip=set(errors)):
        errors.setdefault(name, []).append(message)
    if errors:
        raise form_errors(rdef.name, errors)


def _clean(f: FieldDef, value: Any) -> Any:
    """One form field's `clean`: the value as the model will store it."""
    if f.type == "boolean":
        checked = _checkbox(value)
        if not checked and not f.blank:
            raise _FakeFormFieldError(_REQUIRED)
        return checked
    if f.is_related or f.uri_target:
        if value in _EMPTY and not f.blank:
            raise _FakeFormFieldError(_REQUIRED)
        return value
    if f.type == "string":
        text = "" if value in _EMPTY else str(value).strip()
        if text == "":
            if not f.blank:
                raise _FakeFormFieldError(_REQUIRED)
            return None if f.nullable else ""
        return text
    if value in _EMPTY:
        if not f.blank:
            raise _FakeFormFieldError(_REQUIRED)
        return None
    return _number(f.type, value)


def _checkbox(value: Any) -> bool:
    """Django's CheckboxInput: 'true'/'false' in any case, else the value's truth."""
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.lower(), bool(value))
    return bool(value)


def _number(ftype: str, value: Any) -> Any:
    if ftype == "integer":
        try:
            return int(re.sub(r"\.0*\s*$", "", str(value)))
        except ValueError:
            raise _FakeFormFieldError("Enter a whole number.") from None
    if ftype == "float":
        try:
            number = float(value if isinstance(value, int | float) else str(value))
        except ValueError:
            raise _FakeFormFieldError("Enter a number.") from None
        if not math.isfinite(number):
            raise _FakeFormFieldError("Enter a number.")
        return number
    if ftype == "decimal":
        try:
            exact = Decimal(str(value).strip())
        except InvalidOperation:
            raise _FakeFormFieldError("Enter a number.") from None
        if not exact.is_finite():
            raise _FakeFormFieldError("Enter a number.")
        return str(exact)
    return value


def rule_problem(rule: Mapping[str, Any], value: Any) -> str | None:
    """Django's message for a value a `fields` rule refuses (length, bounds, choices)."""
    if value is None:
        return None
    if "choices" in rule and value not in rule["choices"]:
        return f"Select a valid choice. {value} is not one of the available choices."
    length = rule.get("max_length")
    if isinstance(value, str) and length is not None and len(value) > length:
        return f"Ensure this value has at most {length} characters (it has {len(value)})."
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and "min" in rule and value < rule["min"]:
        return f"Ensure this value is greater than or equal to {rule['min']}."
    if number and "max" in rule and value > rule["max"]:
        return f"Ensure this value is less than or equal to {rule['max']}."
    return None


def _unique_checks_run(rdef: ResourceDef, obj: Mapping[str, Any], skip: set[str]) -> bool:
    """Whether the form's `validate_unique` queries the database at all."""
    singles = [
        f.name
        for f in rdef.fields.values()
        if (f.unique or f.name in rdef.one_to_one)
        and f.name != rdef.pk
        and not f.readonly
        and f.name not in skip
    ]
    groups = [g for g in rdef.unique_together if not set(g) & skip]
    return any(obj.get(name) is not None for name in singles) or any(
        all(obj.get(name) is not None for name in g) for g in groups
    )


def unique_problems(
    store: Tables,
    rdef: ResourceDef,
    obj: Mapping[str, Any],
    key: Any,
    skip: frozenset[str] | set[str] = frozenset(),
) -> list[tuple[str, str]]:
    """(field or `__all__`, message) for each unique rule `obj` breaks against the other
    rows: unique fields, `one_to_one` links, `unique_together` groups."""
    others = [row for okey, row in store.rows[rdef.name].items() if okey != key]
    found: list[tuple[str, str]] = []
    singles = [
        f
        for f in rdef.fields.values()
        if (f.unique or f.name in rdef.one_to_one)
        and f.name != rdef.pk
        and not f.readonly
        and f.name not in skip
    ]
    for f in singles:
        value = obj.get(f.name)
        if value is not None and any(row.get(f.name) == value for row in others):
            found.append((f.name, f"{rdef.model_label} with this {f.label} already exists."))
    for group in rdef.unique_together:
        values = [obj.get(name) for name in group]
        if set(group) & skip or any(v is None for v in values):
            continue
        if any([row.get(name) for name in group] == values for row in others):
            labels = " and ".join(rdef.fields[name].label for name in group)
            found.append(("__all__", f"{rdef.model_label} with this {labels} already exists."))
    return found
