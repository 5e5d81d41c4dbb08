"""What a QuerySet yields for each listed object: its *rows*, as a strategy the QuerySet
holds (Django's `_iterable_class`). `OBJECT_ROWS` builds instances of the resource class;
`ValueRows` keeps the raw values in the shape `values()`/`values_list()` asked for.

The strategy only turns a page's raw objects into rows and a row into what the caller
gets; it sends nothing itself, so the sync and the async QuerySet share it as it is.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..errors import FilterError, suggest
from ..operations import Operation
from .follow import check_followed, follow_op, split_followed

__all__ = ["OBJECT_ROWS", "ObjectRows", "ValueRows", "Rows", "shape_of"]


class _Shape(NamedTuple):
    """What values()/values_list() give for each row."""

    kind: str  # "dict" or "tuple"
    names: tuple[str, ...]
    flat: bool = False
    every: bool = False  # no names given: the schema's fields each row has


class _Row:
    """A raw list object as walks need it (its URI and raw keys), without an instance."""

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any]):
        self.data = data

    @property
    def resource_uri(self) -> str | None:
        uri = self.data.get("resource_uri")
        return uri if isinstance(uri, str) else None

    def get_raw(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


class ObjectRows:
    """Rows as instances of the resource class (Django's `ModelIterable`)."""

    shape: _Shape | None = None
    emits = False  # a walked object is already what the caller gets

    def wrap(self, model: Any, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        """A page's raw objects as instances (the class knows how to build them)."""
        built: list[Any] = yield from model._wrap_page(objects)
        return built

    def emit(self, row: Any) -> Any:
        return row

    def display(self, row: Any) -> dict[str, Any]:
        """The raw values a notebook table shows for one row."""
        return dict(row.to_dict())

    def describe(self) -> str:
        return ""


class ValueRows:
    """Rows as the raw values the server sent, in one shape: dicts (`values()`), tuples
    or single values (`values_list()`), with no instance built (Django's `ValuesIterable`,
    `ValuesListIterable`, `FlatValuesListIterable`)."""

    emits = True

    def __init__(self, shape: _Shape):
        self.shape = shape

    def wrap(self, model: Any, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        """A page's raw objects as rows; `domain__name` names read in bulk per page."""
        followed = [
            name
            for name in self.shape.names
            if split_followed(name) and name not in model._schema.fields
        ]
        if followed:
            objects = yield from follow_op(model, followed, objects)
        return [_Row(data) for data in objects]

    def emit(self, row: Any) -> Any:
        data = row.data
        shape = self.shape
        names = [n for n in shape.names if n in data] if shape.every else shape.names
        if shape.kind == "dict":
            return {name: data.get(name) for name in names}
        if shape.flat:
            return data.get(names[0])
        return tuple(data.get(name) for name in names)

    def display(self, row: Any) -> dict[str, Any]:
        return dict(row.data)

    def describe(self) -> str:
        kind = "values" if self.shape.kind == "dict" else "values_list"
        names = "" if self.shape.every else ", ".join(self.shape.names)
        return f" {kind}({names})"


Rows = ObjectRows | ValueRows
OBJECT_ROWS = ObjectRows()


def shape_of(model: Any, kind: str, names: tuple[str, ...], flat: bool) -> _Shape:
    """The row shape values()/values_list() give, once every named field is checked
    against the model's schema (a typo fails here, not as a missing key per row)."""
    fields = model._schema.fields
    if not names and not fields:
        raise FilterError(
            f"{model.resource_name} has no schema: name the keys values() should give."
        )
    if fields:
        for name in names:
            if "__" in name and name not in fields:
                check_followed(model, name)  # `domain__name`: read in bulk per page
                continue
            if name not in fields:
                raise FilterError(
                    f"{model.resource_name} has no field {name!r}."
                    f"{suggest(name, fields)} Fields: {', '.join(sorted(fields))}"
                )
    return _Shape(kind, names or tuple(fields), flat, not names)
