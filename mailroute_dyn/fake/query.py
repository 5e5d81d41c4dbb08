"""Lists on the fake server: filters, ordering and pagination as Tastypie 0.15.1 does them.

Each step mirrors its Tastypie counterpart (`build_filters` + `check_filtering`,
`apply_sorting`, `Paginator`), with the same checks in the same order and the same messages
(TASTYPIE.md §2, §4, §5), evaluated over the in-memory objects instead of SQL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from ..errors import FakeLookupValueError
from ..vocabulary import (
    ALL,
    ALL_WITH_RELATIONS,
    DATE_PARTS,
    TEXT_TERMS,
    TIME_PARTS,
    terms_that_work,
)
from .answers import bad_request, canned
from .defs import NON_MODEL_FIELDS, FieldDef, ResourceDef
from .tables import Tables
from .values import MISMATCHED, parse_stored, prep_filter_value, string_to_python

__all__ = [
    "QueryDict",
    "Condition",
    "parse_filters",
    "select",
    "page_bounds",
    "page_meta",
    "field_values",
    "typed_value",
]

_TRANSFORMS = DATE_PARTS | TIME_PARTS | {"date", "time"}


class QueryDict:
    """Django's QueryDict, as far as Tastypie reads it: keys in order of first appearance,
    `get` gives the last value, `getlist` every value."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self._lists: dict[str, list[str]] = {}
        for key, value in pairs:
            self._lists.setdefault(key, []).append(value)

    def __contains__(self, key: object) -> bool:
        return key in self._lists

    def get(self, key: str, default: Any = None) -> Any:
        values = self._lists.get(key)
        return values[-1] if values else default

    def getlist(self, key: str) -> list[str]:
        return list(self._lists.get(key, ()))

    def keys(self) -> list[str]:
        return list(self._lists)

    def urlencode(self, drop: Iterable[str] = (), extra: Iterable[tuple[str, str]] = ()) -> str:
        """`QueryDict.urlencode()` after dropping keys and appending pairs (spaces as `+`,
        `:` as `%3A`, like Django)."""
        dropped = set(drop)
        pairs = [(k, v) for k, values in self._lists.items() if k not in dropped for v in values]
        pairs += list(extra)
        return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)


# ---------------------------------------------------------------- filters

_BROKEN = object()  # a regex the database cannot compile


@dataclass
class Condition:
    """One checked filter: the hops to the final field, the lookup and its value."""

    param: str
    hops: list[FieldDef]  # related fields walked through, then the final field
    term: str
    raw: Any  # the value after string_to_python (a list for in/range)
    value: Any = None  # prepared by `prepare`

    @property
    def final(self) -> FieldDef:
        return self.hops[-1]

    @property
    def join(self) -> tuple[str, ...]:
        """The to_many relation this filter joins (the hops up to its last to_many one),
        or () when it joins none: filters naming the same one share its joined rows."""
        last = max((i for i, h in enumerate(self.hops) if h.to_many), default=-1)
        return tuple(h.name for h in self.hops[: last + 1])


def parse_filters(store: Tables, rdef: ResourceDef, query: QueryDict) -> list[Condition]:
    """`build_filters`: check every parameter that names a field, in order; unknown names
    are ignored, and of two parameters naming the same lookup (`id=1&id__exact=2`) the
    later one counts. Then prepare each value as Django would (its errors come second)."""
    by_lookup: dict[tuple[str, ...], Condition] = {}
    for key in query.keys():
        bits = key.split("__")
        name = bits.pop(0)
        f = rdef.fields.get(name)
        if f is None:
            continue
        if name in NON_MODEL_FIELDS:
            raise bad_request(f"The '{name}' field is not a valid field name")
        term = "exact"
        if bits and bits[-1] in f.lookups:
            term = bits.pop()
        hops = _check_filtering(store, rdef, name, term, bits)
        value = string_to_python(query.get(key))
        if term in ("in", "range"):
            if not isinstance(value, str):
                raise canned(500)
            if value:
                value = [part for item in query.getlist(key) for part in item.split(",")]
        lookup = (*(h.name for h in hops), term)
        by_lookup.pop(lookup, None)  # Tastypie's dict: the later parameter wins
        by_lookup[lookup] = Condition(key, hops, term, value)
    conditions = list(by_lookup.values())
    # Django's filter(**kwargs) takes the lookups in sorted order: the first bad value
    # in that order is the one reported
    for lookup in sorted(by_lookup, key="__".join):
        _prepare(store, by_lookup[lookup])
    return conditions


def _check_filtering(
    store: Tables, rdef: ResourceDef, name: str, term: str, bits: list[str]
) -> list[FieldDef]:
    """Tastypie's `check_filtering`, recursing through relations."""
    if name not in rdef.filtering:
        raise bad_request(f"The '{name}' field does not allow filtering.")
    rule = rdef.filtering[name]
    if rule not in (ALL, ALL_WITH_RELATIONS):
        if not isinstance(rule, list | str) or term not in rule:
            raise bad_request(f"'{term}' is not an allowed filter on the '{name}' field.")
    f = rdef.fields.get(name)
    if f is None:
        raise canned(500)
    if name == "resource_uri":
        raise bad_request(f"The '{name}' field has no 'attribute' for searching with.")
    if not bits:
        return [f]
    if not f.is_related:
        raise bad_request(f"The '{name}' field does not support relations.")
    if rule != ALL_WITH_RELATIONS:
        raise bad_request(
            f"Lookups are not allowed more than one level deep on the '{name}' field."
        )
    target = store.defs.get(f.target or "")
    if target is None:
        raise canned(500)
    return [f, *_check_filtering(store, target, bits[0], term, bits[1:])]


def _kind(f: FieldDef) -> str:
    return "pk" if f.is_related or f.uri_target else f.type


def _prepare(store: Tables, c: Condition) -> None:
    final, term, raw = c.final, c.term, c.raw
    if final.to_many and term not in terms_that_work(final.type, final.related_type):
        # Tastypie lets every lookup of the many-to-many field through, but Django joins
        # to the related key, which takes only a foreign key's lookups: the query cannot
        # be built (FieldError, a 500 on every database), before any value is read
        raise canned(500)
    if term == "isnull":
        if raw is None:
            raise FakeLookupValueError(MISMATCHED)
        if not isinstance(raw, bool):
            c.value = _BROKEN  # Django refuses it when the query is built
            return
        c.value = raw
        return
    if term in ("in", "range"):
        items = raw if isinstance(raw, list) else []
        c.value = [_prep_one(store, final, "exact", v) for v in items]
        if term == "range" and len(items) != 2:
            c.value = _BROKEN  # the SQL cannot be built: fails when run
        return
    if term in TEXT_TERMS:
        if raw is None and term != "iexact":
            raise FakeLookupValueError(MISMATCHED)
        if term in ("regex", "iregex") and isinstance(raw, bool):
            c.value = _BROKEN  # SQLite's REGEXP is handed a bool pattern
            return
        c.value = None if raw is None else str(raw)
        if term in ("regex", "iregex"):
            try:
                c.value = re.compile(c.value, re.I if term == "iregex" else 0)
            except re.error:
                c.value = _BROKEN  # the database fails when it runs the query
        return
    if raw is None and term != "exact":
        raise FakeLookupValueError(MISMATCHED)
    if isinstance(raw, bool) and final.type in ("datetime", "date", "time"):
        raise canned(500)  # Django's date parser is handed a bool: a TypeError
    c.value = _prep_one(store, final, term, raw)


def _prep_one(store: Tables, f: FieldDef, term: str, value: Any) -> Any:
    transform = term if term in _TRANSFORMS else None
    kind = _kind(f)
    if kind == "pk" and transform is None:
        target = store.defs.get(f.target or f.uri_target or "")
        if target is not None and not target.pk_is_int:
            return None if value is None else str(value)
    return prep_filter_value(kind, value, store.clock, nullable=f.nullable, transform=transform)


def typed_value(store: Tables, f: FieldDef, raw: Any) -> Any:
    """A stored value in the form filters and ordering compare."""
    if raw is None:
        return None
    if f.is_related or f.uri_target:
        where = store.split_uri(raw)
        return where[1] if where else raw
    return parse_stored(f.type, raw, store.clock)


def field_values(store: Tables, obj: dict[str, Any], hops: list[FieldDef]) -> list[Any]:
    """The final field's raw values reachable from `obj` (one per joined row)."""
    current: list[dict[str, Any] | None] = [obj]
    for f in hops[:-1]:
        following: list[dict[str, Any] | None] = []
        for row in current:
            value = None if row is None else row.get(f.name)
            uris = value if isinstance(value, list) else [value]
            if not uris:
                following.append(None)
            for uri in uris:
                following.append(store.object_at(uri) if uri is not None else None)
        current = following
    last = hops[-1]
    values: list[Any] = []
    for row in current:
        raw = None if row is None else row.get(last.name)
        if last.to_many and isinstance(raw, list):
            values.extend(raw if raw else [None])
        else:
            values.append(raw)
    return values


def _text(raw: Any) -> str:
    if raw is True:
        return "1"
    if raw is False:
        return "0"
    return str(raw)


def _part(value: Any, term: str, store: Tables) -> Any:
    if isinstance(value, dt.datetime):
        value = value.astimezone(store.clock.zone)
        if term == "date":
            return value.date()
        if term == "time":
            return value.time().replace(tzinfo=None)
    if term in TIME_PARTS:
        return getattr(value, term, None)
    if not isinstance(value, dt.date):
        return None
    iso = value.isocalendar()
    return {
        "year": value.year,
        "month": value.month,
        "day": value.day,
        "week": iso[1],
        "week_day": value.isoweekday() % 7 + 1,
        "iso_week_day": value.isoweekday(),
        "iso_year": iso[0],
        "quarter": (value.month - 1) // 3 + 1,
    }.get(term)


def _test(store: Tables, c: Condition, raw: Any) -> bool:
    term, wanted = c.term, c.value
    if term == "isnull":
        return (raw is None) is wanted
    if term in TEXT_TERMS:
        if wanted is None:
            return raw is None
        if raw is None:
            return False
        linked = c.final.is_related or c.final.uri_target
        text = _text(typed_value(store, c.final, raw) if linked else raw)
        if term in ("regex", "iregex"):
            return wanted.search(text) is not None
        if term != "exact":
            text, wanted = _like_case(store.database, term, text, wanted)
            term = term.removeprefix("i")
        if term == "exact":
            return bool(text == wanted)
        if term == "contains":
            return wanted in text
        if term == "startswith":
            return text.startswith(wanted)
        return text.endswith(wanted)
    value = typed_value(store, c.final, raw)
    if term in _TRANSFORMS:
        return value is not None and _part(value, term, store) == wanted
    if term == "exact" and wanted is None:
        return value is None
    if value is None:
        return False
    try:
        if term == "exact":
            return bool(value == wanted)
        if term == "in":
            return value in wanted
        if term == "range":
            return bool(wanted[0] <= value <= wanted[1])
        if term == "gt":
            return bool(value > wanted)
        if term == "gte":
            return bool(value >= wanted)
        if term == "lt":
            return bool(value < wanted)
        if term == "lte":
            return bool(value <= wanted)
    except TypeError:
        return False
    return False


def _like_case(database: str, term: str, text: str, wanted: str) -> tuple[str, str]:
    """How the database compares text for a lookup other than `exact`: SQLite's LIKE
    ignores the case of ASCII letters for every one of them; PostgreSQL's LIKE is
    case-sensitive and the `i` lookups compare UPPER() of both sides."""
    if database == "sqlite":
        return _ascii_lower(text), _ascii_lower(wanted)
    if term.startswith("i"):
        return text.upper(), wanted.upper()
    return text, wanted


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def select(
    store: Tables, rdef: ResourceDef, conditions: list[Condition]
) -> Iterator[dict[str, Any]]:
    """The matching objects in table order. Tastypie filters in one `filter()` call, so
    Django joins each to_many relation once: the filters through it must hold on the same
    related row, and an object comes once per combination of matching joined rows, as the
    real server's unDISTINCTed joins return it."""
    if any(c.value is _BROKEN for c in conditions):
        raise canned(500)
    joins: dict[tuple[str, ...], list[Condition]] = {}
    for c in conditions:
        joins.setdefault(c.join, []).append(c)
    for obj in store.objects(rdef.name):
        times = 1
        for join, group in joins.items():
            times *= _matching_rows(store, obj, join, group)
            if not times:
                break
        for _ in range(times):
            yield obj


def _matching_rows(
    store: Tables, obj: dict[str, Any], join: tuple[str, ...], group: list[Condition]
) -> int:
    """How many of the rows `join` gives `obj` satisfy every filter of `group` (1 or 0
    for filters that join nothing)."""
    if not join:
        return int(all(_holds(store, c, field_values(store, obj, c.hops)) for c in group))
    size = len(join)
    linked = field_values(store, obj, group[0].hops[:size])
    return sum(
        1
        for uri in linked
        if all(_holds(store, c, _values_past(store, uri, c.hops[size:])) for c in group)
    )


def _values_past(store: Tables, uri: Any, rest: list[FieldDef]) -> list[Any]:
    """The values of `rest` read from the joined row at `uri` (the row's own key when
    the filter ends on the to_many field)."""
    if not rest:
        return [uri]
    row = store.object_at(uri) if uri is not None else None
    return field_values(store, row, rest) if row is not None else [None]


def _holds(store: Tables, c: Condition, values: list[Any]) -> bool:
    return any(_test(store, c, raw) for raw in values)


# ---------------------------------------------------------------- pagination


def page_bounds(query: QueryDict, default_limit: int, max_limit: int) -> tuple[int, int]:
    """Paginator.get_limit / get_offset, with their checks and messages."""
    limit = _non_negative(query, "limit", default_limit, "a positive integer")
    if max_limit and (not limit or limit > max_limit):
        limit = max_limit
    return limit, _non_negative(query, "offset", 0, "an integer")


def _non_negative(query: QueryDict, name: str, default: int, kind: str) -> int:
    """A paging parameter as Tastypie reads it, with its two error messages."""
    raw: Any = query.get(name) if name in query else default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid {name} '{raw}' provided. Please provide {kind}.") from None
    if value < 0:
        raise bad_request(
            f"Invalid {name} '{value}' provided. Please provide a positive integer >= 0."
        )
    return value


def page_meta(
    list_uri: str, query: QueryDict, limit: int, offset: int, total: int
) -> dict[str, Any]:
    """`meta` of a list page: relative next/previous with limit and offset moved last."""
    meta: dict[str, Any] = {"limit": limit, "offset": offset, "total_count": total}
    if limit:

        def link(at: int) -> str:
            encoded = query.urlencode(
                drop=("limit", "offset"), extra=(("limit", str(limit)), ("offset", str(at)))
            )
            return f"{list_uri}?{encoded}"

        meta["previous"] = None if offset - limit < 0 else link(offset - limit)
        meta["next"] = None if offset + limit >= total else link(offset + limit)
    return meta
