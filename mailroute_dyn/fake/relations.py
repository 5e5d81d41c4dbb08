"""Links between resources after a write: what a delete does to the rows that point at
the deleted ones (`on_delete` in rules.json), fields the server computes from another
resource's relation (`reverse_of`), and resources that are database views (`view_of`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .answers import canned
from .defs import FieldDef, ResourceDef

if TYPE_CHECKING:
    from .tables import Tables

__all__ = ["delete_rows", "refresh_reverse", "refresh_views"]


def _on_delete(rdef: ResourceDef, f: FieldDef) -> str:
    """The declared `on_delete`, or the guess without one: writable or required links
    cascade, optional read-only links (reverse relations) are cleared."""
    declared = rdef.on_delete.get(f.name)
    if declared is not None:
        return declared
    return "set_null" if f.readonly and f.nullable else "cascade"


def delete_rows(store: Tables, rdef: ResourceDef, keys: tuple[Any, ...]) -> None:
    """Delete rows and follow every link to them, as Django's collector does: all or
    nothing (a `protect` link anywhere refuses the whole delete with a 500)."""
    state = store.snapshot()
    wave = {(rdef.name, key) for key in keys}
    try:
        while wave:
            gone = set()
            for name, key in wave:
                if store.rows[name].pop(key, None) is not None:
                    store.changed(name)
                    gone.add(store.uri(name, key))
            wave = _followers(store, gone) if gone else set()
    except Exception:
        store.restore(state)
        raise


def _followers(store: Tables, gone: set[str]) -> set[tuple[str, Any]]:
    """Rows to delete next; links to clear are cleared on the way."""
    wave: set[tuple[str, Any]] = set()
    for other in store.defs.values():
        links = [
            f
            for f in other.fields.values()
            if (f.is_related or f.uri_target) and not _computed(other, f)
        ]
        for okey, obj in list(store.rows[other.name].items()) if links else ():
            cleared: dict[str, Any] = {}
            for f in links:
                value = obj.get(f.name)
                if isinstance(value, list):
                    if any(v in gone for v in value):
                        cleared[f.name] = [v for v in value if v not in gone]
                    continue
                if value not in gone:
                    continue
                action = _on_delete(other, f)
                if action == "protect":
                    raise canned(500)
                if action == "cascade":
                    wave.add((other.name, okey))
                    break
                cleared[f.name] = None
            else:
                if cleared:
                    # nulling a link updates the row; a to_many list loses a link row only
                    links_only = all(isinstance(obj.get(name), list) for name in cleared)
                    store.put_row(other, okey, {**obj, **cleared}, in_place=links_only)
    return wave


def _computed(rdef: ResourceDef, f: FieldDef) -> bool:
    return "reverse_of" in rdef.field_rules.get(f.name, {})


def refresh_reverse(store: Tables) -> None:
    """Recompute every `reverse_of` field from the rows that point at each object."""
    for rdef in store.defs.values():
        for name, rule in rdef.field_rules.items():
            if "reverse_of" in rule:
                _refresh_field(store, rdef, rdef.fields[name], rule)


def _refresh_field(store: Tables, rdef: ResourceDef, f: FieldDef, rule: dict[str, Any]) -> None:
    other, _, link = str(rule["reverse_of"]).partition(".")
    shown = rule.get("value")
    pointing: dict[str, list[Any]] = {}
    for row in store.objects(other):
        targets = row.get(link)
        for target in targets if isinstance(targets, list) else [targets]:
            if isinstance(target, str):
                pointing.setdefault(target, []).append(
                    row.get(shown) if shown else row.get("resource_uri")
                )
    for key, obj in list(store.rows[rdef.name].items()):
        found = pointing.get(store.uri(rdef.name, key), [])
        value: Any = found if f.to_many or f.type == "list" else (found[0] if found else None)
        if obj.get(f.name) != value:
            store.put_row(rdef, key, {**obj, f.name: value}, in_place=True)


def refresh_views(store: Tables) -> None:
    """Recompute every `view_of` resource from its sources, in the view's own order
    (part after part, each in its source's key order)."""
    for rdef in store.defs.values():
        if rdef.view_of:
            rows: dict[Any, dict[str, Any]] = {}
            for part in rdef.view_of:
                for source in store.objects(part["resource"]):
                    key, row = _view_row(store, rdef, part, source)
                    rows[key] = row
            store.rows[rdef.name] = rows
            store.changed(rdef.name)


def _view_row(
    store: Tables, rdef: ResourceDef, part: dict[str, Any], source: dict[str, Any]
) -> tuple[Any, dict[str, Any]]:
    key = part["key"].get("times", 1) * source.get("id", 0) + part["key"].get("plus", 0)
    row: dict[str, Any] = {rdef.pk: key}
    for name, origin in part["fields"].items():
        row[name] = origin["value"] if isinstance(origin, dict) else source.get(origin)
    if "resource_uri" in rdef.fields:
        row["resource_uri"] = store.uri(rdef.name, key)
    return key, row
