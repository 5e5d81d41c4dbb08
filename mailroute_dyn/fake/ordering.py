"""The order of a list's rows: `order_by` (Tastypie's `apply_sorting`), and the order a
database reads rows in when ties or no ordering leave it the choice (`database=`)."""

from __future__ import annotations

from typing import Any

from .answers import bad_request, canned
from .defs import NON_MODEL_FIELDS, FieldDef, ResourceDef
from .query import Condition, QueryDict, field_values, typed_value
from .tables import Tables

__all__ = ["Ordering", "scan_order", "parse_ordering", "apply_ordering"]

_INDEX_TERMS = frozenset({"in", "gt", "gte", "lt", "lte", "range"})


def scan_order(
    store: Tables, rows: list[dict[str, Any]], conditions: list[Condition]
) -> list[dict[str, Any]]:
    """The order a database reads matching rows in. SQLite answers a range or `in`
    filter on an indexed column (a unique field, a foreign key) by walking that index:
    rows come in that column's order (ties by key). Elsewhere, and on PostgreSQL as the
    fake models it, rows come in key order."""
    if store.database != "sqlite":
        return rows
    for c in conditions:
        f = c.final
        indexed = f.unique or (f.is_related and not f.to_many and not f.readonly)
        if len(c.hops) == 1 and c.term in _INDEX_TERMS and indexed and f.name != "id":
            return apply_ordering(store, rows, [([f], False)])
    return rows


Ordering = list[tuple[list[FieldDef], bool]]


def parse_ordering(store: Tables, rdef: ResourceDef, query: QueryDict) -> Ordering:
    """`apply_sorting`'s checks: `order_by` (or the deprecated `sort_by`), repeated, `-`
    for descending. They run before the query does (a broken regex filter fails later)."""
    param = "order_by" if "order_by" in query else "sort_by" if "sort_by" in query else None
    keys: Ordering = []
    for spec in query.getlist(param) if param else []:
        bits = spec.split("__")
        name, descending = bits[0], False
        if name.startswith("-"):
            name, descending = name[1:], True
        if name not in rdef.fields:
            raise bad_request(f"No matching '{name}' field for ordering on.")
        if name not in rdef.ordering:
            raise bad_request(f"The '{name}' field does not allow ordering.")
        if name == "resource_uri":
            raise bad_request(f"The '{name}' field has no 'attribute' for ordering with.")
        if name in NON_MODEL_FIELDS:
            raise canned(500)
        hops = [rdef.fields[name]]
        for bit in bits[1:]:
            target = store.defs.get(hops[-1].target or "") if hops[-1].is_related else None
            if target is None or bit not in target.fields or bit in NON_MODEL_FIELDS:
                raise canned(500)
            hops.append(target.fields[bit])
        keys.append((hops, descending))
    return keys


def apply_ordering(
    store: Tables, rows: list[dict[str, Any]], keys: Ordering
) -> list[dict[str, Any]]:
    """Rows sorted by `keys`, NULLs first when ascending on SQLite, last on PostgreSQL
    (there NULL is larger than any value). Tied rows keep scan order, except where SQLite
    walks a foreign key's index backwards (`order_by=-domain` alone): there they come in
    descending key order."""
    ordered = list(rows)
    null_rank = 2 if store.database == "postgresql" else 0
    if store.database == "sqlite" and len(keys) == 1 and keys[0][1] and len(keys[0][0]) == 1:
        column = keys[0][0][0]
        if column.is_related and not column.to_many and not column.readonly:
            ordered.reverse()
    for hops, descending in reversed(keys):

        def key(obj: dict[str, Any], hops: list[FieldDef] = hops) -> tuple[int, Any]:
            finals = field_values(store, obj, hops)
            value = typed_value(store, hops[-1], finals[0] if finals else None)
            return (null_rank, 0) if value is None else (1, value)

        try:
            ordered.sort(key=key, reverse=descending)
        except TypeError:

            def as_text(obj: Any, k: Any = key) -> tuple[Any, str]:
                return k(obj)[0], str(k(obj)[1])

            ordered.sort(key=as_text, reverse=descending)
    return ordered
