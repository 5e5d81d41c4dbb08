"""Tastypie 0.15.1's vocabulary, written once: query terms per field type, filter rules and
their labels, schema type names, the primary-key rule and the "no default" marker.

The client (schema checks), the command line (value conversion), the stub generator and
the fake server all read these tables, so they can never disagree about what Tastypie
accepts. The fake stays honest about the real server through the conformance tests that
run against django-tastypie itself, not through a second copy of the tables.
This module imports nothing from the package: any module may use it.
"""

from __future__ import annotations

import enum
import functools
import keyword
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = [
    "ALL",
    "ALL_WITH_RELATIONS",
    "rule_label",
    "filter_rules",
    "terms_allowed_by",
    "named_filter_terms",
    "COMMON_TERMS",
    "DATE_PARTS",
    "TIME_PARTS",
    "INT_TERMS",
    "TEXT_TERMS",
    "AFFIX_TERMS",
    "TO_ONE_TERMS",
    "TERMS_BY_TYPE",
    "terms_for_type",
    "terms_that_work",
    "SCALAR_TYPE_NAMES",
    "PYTHON_TYPE_NAMES",
    "NO_DEFAULT",
    "NO_DEFAULT_TEXT",
    "default_of",
    "flag",
    "primary_key_of",
    "flags_keys",
    "STRING_TO_PYTHON",
    "REWRITTEN_VALUES",
    "class_name_for",
    "attribute_name_for",
    "looks_secret",
    "is_secret_name",
    "SECRET_PARTS",
]

# ---------------------------------------------------------------- filter rules

#: `filtering = {"name": ALL}`: every query term of the field's type.
ALL: Final = 1
#: `ALL_WITH_RELATIONS`: every term, and lookups through the relation.
ALL_WITH_RELATIONS: Final = 2
_RULE_LABELS: Final = {ALL: "ALL", ALL_WITH_RELATIONS: "ALL_WITH_RELATIONS"}


def rule_label(rule: Any) -> str:
    """A filtering rule as Tastypie's source spells it, so a reader recognises it."""
    if isinstance(rule, int) and not isinstance(rule, bool) and rule in _RULE_LABELS:
        return _RULE_LABELS[rule]
    if isinstance(rule, list):
        return ", ".join(sorted(map(str, rule))) or "(no terms)"
    return str(rule)


def _readable_rule(rule: Any) -> bool:
    """Whether a `filtering` rule is one Tastypie can apply: ALL, ALL_WITH_RELATIONS, a
    list of terms or a string (anything else makes the server fail on that filter)."""
    return (
        rule in (ALL, ALL_WITH_RELATIONS)
        or isinstance(rule, str)
        or (isinstance(rule, list) and all(isinstance(t, str) for t in rule))
    )


def filter_rules(value: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A schema's `filtering` as (the rules the client can read, what it could not read
    and why). Tastypie writes a `filtering` that is no dict (a Python set) into the schema
    as its text and still serves the resource: such a part allows nothing, the rest works."""

    def shown(v: Any) -> str:
        return f"{type(v).__name__} {v!r:.60}"

    if not isinstance(value, dict):
        return {}, {"filtering": f"not an object but {shown(value)}"}
    rules = {str(k): rule for k, rule in value.items() if _readable_rule(rule)}
    unread = {
        f"filtering.{k}": f"a rule that is {shown(rule)}"
        for k, rule in value.items()
        if not _readable_rule(rule)
    }
    return rules, unread


def terms_allowed_by(rule: Any, terms: frozenset[str]) -> frozenset[str]:
    """The query terms a `filtering` rule allows, out of `terms` (the field's), read as
    Tastypie 0.15.1 reads it, `term in rule`: ALL and ALL_WITH_RELATIONS allow them all,
    a list the terms it names, a string each term it contains (`"exact"` allows `exact`,
    `"iexact"` both `exact` and `iexact`)."""
    if rule in (ALL, ALL_WITH_RELATIONS):
        return terms
    if isinstance(rule, list):
        return frozenset(str(t) for t in rule)
    if isinstance(rule, str):
        return frozenset(t for t in terms if t in rule)
    return frozenset()


# ---------------------------------------------------------------- query terms

#: Django's lookups that every model field has (Tastypie's QUERY_TERMS).
COMMON_TERMS: Final = frozenset(
    {
        "exact",
        "iexact",
        "contains",
        "icontains",
        "in",
        "gt",
        "gte",
        "lt",
        "lte",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
        "range",
        "isnull",
        "regex",
        "iregex",
    }
)
#: Transforms of date and datetime fields (each compares an integer).
DATE_PARTS: Final = frozenset(
    {"year", "month", "day", "week", "week_day", "iso_week_day", "iso_year", "quarter"}
)
#: Transforms of time and datetime fields (each compares an integer).
TIME_PARTS: Final = frozenset({"hour", "minute", "second"})
#: Terms whose value is an integer whatever the field's type.
INT_TERMS: Final = DATE_PARTS | TIME_PARTS
#: Terms whose value is text whatever the field's type.
TEXT_TERMS: Final = frozenset(
    {
        "iexact",
        "contains",
        "icontains",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
        "regex",
        "iregex",
    }
)
#: Text terms that match a part of the value: with an empty string they match every row.
AFFIX_TERMS: Final = frozenset(
    {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
)
#: What a foreign key accepts, and all that is allowed across a to_one relation.
TO_ONE_TERMS: Final = frozenset({"exact", "gt", "gte", "in", "isnull", "lt", "lte"})
#: The terms of field types that have more than `COMMON_TERMS`.
TERMS_BY_TYPE: Final[Mapping[str, frozenset[str]]] = {
    "datetime": COMMON_TERMS | DATE_PARTS | TIME_PARTS | {"date", "time"},
    "date": COMMON_TERMS | DATE_PARTS,
    "time": COMMON_TERMS | TIME_PARTS,
    "dict": COMMON_TERMS | {"contained_by", "has_any_keys", "has_key", "has_keys"},
}


def terms_that_work(field_type: str, related_type: str | None = None) -> frozenset[str]:
    """The terms of `terms_for_type` a server can answer. On a to_many field itself only a
    foreign key's: Tastypie takes every lookup of the many-to-many field as a term, but
    Django joins to the related key, which cannot build the others (a 500 on every
    database); a field of the related resource takes them (`users__name__startswith`)."""
    if field_type == "related" and related_type == "to_many":
        return TO_ONE_TERMS
    return terms_for_type(field_type, related_type)


def terms_for_type(field_type: str, related_type: str | None = None) -> frozenset[str]:
    """The query terms of a field: a trailing lookup part is a term only if it is here
    (TASTYPIE.md §4), otherwise it is a relation hop."""
    if field_type == "related":
        return TO_ONE_TERMS if related_type != "to_many" else COMMON_TERMS
    return TERMS_BY_TYPE.get(field_type, COMMON_TERMS)


def named_filter_terms(rule: Any) -> frozenset[str]:
    """The terms of a `filtering` key that no field has (a parameter the server's own
    `build_filters` reads): `exact`, the name as given, plus the terms a list or string
    rule names. ALL says nothing more, as the parameter's type is unknown (and such code
    typically reads the bare name only: `name__in` would be ignored, widening the match)."""
    if rule in (ALL, ALL_WITH_RELATIONS):
        return frozenset({"exact"})
    every = COMMON_TERMS.union(INT_TERMS, *TERMS_BY_TYPE.values())
    return frozenset({"exact"}) | terms_allowed_by(rule, every)


#: Whole query-string values Tastypie's `string_to_python` turns into True, False or None
#: before filtering, whatever the field (tastypie/utils/__init__.py, 0.15.1).
STRING_TO_PYTHON: Final[Mapping[str, bool | None]] = {
    "true": True,
    "True": True,
    "false": False,
    "False": False,
    "none": None,
    "None": None,
    "nil": None,
}
#: The words of `STRING_TO_PYTHON`: a filter value that is one of them is not sent as text.
REWRITTEN_VALUES: Final = frozenset(STRING_TO_PYTHON)

# ---------------------------------------------------------------- schema types and fields

#: Schema type -> the Python type a scalar value of it reads as.
SCALAR_TYPE_NAMES: Final[Mapping[str, str]] = {
    "string": "str",
    "integer": "int",
    "float": "float",
    "decimal": "Decimal",
    "boolean": "bool",
    "datetime": "datetime",
    "date": "date",
    "time": "time",
}
#: Schema type -> the type name a user sees (help(), the CLI); unknown types are "Any".
PYTHON_TYPE_NAMES: Final[Mapping[str, str]] = {**SCALAR_TYPE_NAMES, "list": "list", "dict": "dict"}


class _NoDefault(enum.Enum):
    NO_DEFAULT = "NO_DEFAULT"

    def __repr__(self) -> str:
        return self.value


#: A field without a default (Tastypie says so with the text `NO_DEFAULT_TEXT`); a
#: singleton that survives copying, so `is NO_DEFAULT` always works.
NO_DEFAULT: Final = _NoDefault.NO_DEFAULT
NO_DEFAULT_TEXT: Final = "No default provided."


def default_of(spec: Mapping[str, Any]) -> Any:
    """A field spec's default, `NO_DEFAULT` when it has none (absent, or Tastypie's text)."""
    default = spec.get("default", NO_DEFAULT)
    return NO_DEFAULT if default == NO_DEFAULT_TEXT else default


def flag(value: Any) -> bool:
    """A schema flag (`nullable`, `readonly`, ...): true as JSON or as the text "true"."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def flags_keys(specs: Any) -> bool:
    """Whether a schema says which field is the key (any field spec has `primary_key`)."""
    return isinstance(specs, Mapping) and any(
        isinstance(spec, Mapping) and "primary_key" in spec for spec in specs.values()
    )


def primary_key_of(specs: Any) -> str | None:
    """The field holding the primary key, from a schema's `fields` object, or None.

    Tastypie >= 0.13 flags it (`primary_key: true`); a schema that flags fields but none
    of them (`Meta.fields` left the key out) has no key field, and the key comes from the
    detail URI. MailRoute's 2012 schemas flag nothing: there it is `id`.
    """
    if not isinstance(specs, Mapping):
        return None
    for name, spec in specs.items():
        if isinstance(spec, Mapping) and flag(spec.get("primary_key")):
            return str(name)
    if "id" in specs and not flags_keys(specs):
        return "id"
    return None


# ---------------------------------------------------------------- resource names in Python


def class_name_for(resource_name: str) -> str:
    """`email_account` -> `EmailAccount`."""
    name = "".join(part.capitalize() for part in re.split(r"[^0-9a-zA-Z]+", resource_name) if part)
    return name if name and not name[0].isdigit() else f"R{name}"


def attribute_name_for(resource_name: str) -> str:
    """`my-notes` -> `my_notes`: the form of a resource name usable as an attribute."""
    name = re.sub(r"\W", "_", resource_name)
    if not name or name[0].isdigit():
        name = f"r_{name}"
    return f"{name}_" if keyword.iskeyword(name) else name


# ---------------------------------------------------------------- secrets by name

_SECRET_NAME = r"(?i)(pass(word|wd|phrase)?|secret|api_?key|token)"  # compiled on first use


#: Parts that make a name secret wherever they occur in it (capture's redaction rule).
SECRET_PARTS: Final = (
    r"password|passwd|passphrase|passcode|secret|token|credential|api_?key"
    r"|private|privkey|session_?id|csrf|cookie"
)
_SECRET_WORDS: Final = frozenset({"pass", "pwd", "pw", "pin", "otp", "authorization"})
_PUBLIC_KEYS: Final = frozenset({"public", "primary", "foreign", "sort"})


@functools.lru_cache(maxsize=4096)
def _secret_by_rule(name: str) -> bool:
    if re.search(SECRET_PARTS, name, re.I):
        return True
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)]
    if _SECRET_WORDS & set(words):
        return True
    return bool(words) and words[-1] == "key" and (len(words) < 2 or words[-2] not in _PUBLIC_KEYS)


def is_secret_name(name: str, extra: Iterable[str] = ()) -> bool:
    """Whether values under `name` are kept out of what the client writes down (captured
    fixtures, cassettes, run journals): a name holding one of `SECRET_PARTS`, or the word
    pass, pwd, pw, pin, otp or authorization, or ending in the word key but for a public,
    primary, foreign or sort key (`dkim_key` yes, `domain_key_id` no); and `extra`, the
    names the caller adds."""
    return _secret_by_rule(name) or name.lower() in {e.lower() for e in extra}


@functools.lru_cache(maxsize=4096)
def looks_secret(name: str) -> bool:
    """Whether a key's name says its value is a secret (`password`, `api_key`, `token`):
    such values are never kept from write answers nor shown in displays."""
    return bool(re.search(_SECRET_NAME, name))
