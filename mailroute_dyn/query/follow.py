"""`values("domain__name")`: a column of a related object's field, one to-one relation
deep, filled page by page.

Tastypie lists give a to-one relation as its URI. For each page of rows, the related
objects that page names are fetched together with `in_bulk()` (`id__in`, 100 keys a
request; the detail URLs, concurrently, where the key has no `in` filter), never one
request per row, and only that page's objects are held: memory stays bounded by a page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import FilterError
from ..operations import Operation
from ..schema.definition import Field, ResourceSchema

__all__ = ["split_followed", "check_followed", "follow_op", "followed_field"]


def split_followed(name: str) -> tuple[str, str] | None:
    """(`domain`, `name`) for `domain__name`; None for a plain field name."""
    if "__" not in name:
        return None
    relation, _, rest = name.partition("__")
    return relation, rest


def check_followed(model: Any, name: str) -> None:
    """Refuse a followed name that is not `<to-one relation>__<field>` (what can be read
    from the relation's own objects); the field itself is checked once they are."""
    relation, rest = split_followed(name) or (name, "")
    f = model._schema.fields.get(relation)
    what = f"{model.resource_name}: values({name!r})"
    if f is None or not f.is_related or f.related_type != "to_one":
        raise FilterError(
            f"{what}: {relation!r} is not a to-one relation of "
            f"{model.resource_name}; only `<relation>__<field>` across one "
            "to-one relation can be followed."
        )
    if "__" in rest or not rest:
        raise FilterError(
            f"{what}: one relation deep only (`{relation}__<field>`); follow "
            "further relations with values() on the related resource."
        )


def _target_op(model: Any, relation: str) -> Operation[Any]:
    registry = model._registry
    f = model._schema.fields[relation]
    name = model._catalogue.target_of(model._schema, f)
    if name is None:
        yield from model._catalogue.learn_targets_op(model)
        name = model._catalogue.target_of(model._schema, f)
    if name is None:
        raise FilterError(
            f"{model.resource_name}.{relation}: the resource it points at is "
            "not known, so its fields cannot be read."
        )
    return (yield from registry.resource_op(name, listed_only=False))


def followed_field(model: Any, name: str) -> Field | None:
    """The target's field a followed column holds (once its schema is loaded)."""
    relation, rest = split_followed(name) or (name, "")
    f = model._schema.fields.get(relation)
    target = model._catalogue.target_of(model._schema, f) if f is not None else None
    schema: ResourceSchema | None = model._catalogue.loaded_schema(target) if target else None
    return schema.fields.get(rest) if schema is not None else None


def _uri_of(value: Any) -> str | None:
    if isinstance(value, dict):  # full=True: the object itself
        value = value.get("resource_uri")
    return value if isinstance(value, str) else None


def _key_of(uri: str) -> Any:
    last = uri.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else last


def follow_op(
    model: Any, names: Iterable[str], objects: list[dict[str, Any]]
) -> Operation[list[dict[str, Any]]]:
    """One page's raw objects with each followed name filled in from the related
    objects, fetched in bulk for this page only."""
    wanted: dict[str, list[str]] = {}
    for name in names:
        relation, rest = split_followed(name) or (name, "")
        wanted.setdefault(relation, []).append(name)
    if not wanted or not objects:
        return objects
    rows = [dict(data) for data in objects]
    for relation, columns in wanted.items():
        target = yield from _target_op(model, relation)
        for name in columns:
            rest = name.partition("__")[2]
            if target.typed and rest not in target.fields:
                raise FilterError(
                    f"{model.resource_name}: values({name!r}): "
                    f"{target.resource_name} has no field {rest!r}."
                )
        uris = {uri for data in rows if (uri := _uri_of(data.get(relation)))}
        found = yield from target.all()._in_bulk_op([_key_of(u) for u in sorted(uris)], "pk")
        by_uri = {obj.resource_uri: obj for obj in found.values()}
        for data in rows:
            obj = by_uri.get(_uri_of(data.get(relation)) or "")
            for name in columns:
                data[name] = None if obj is None else obj.get_raw(name.partition("__")[2])
    return rows
