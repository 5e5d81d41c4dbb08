"""What a QuerySet yields for each listed object: its *rows*, as a strategy the QuerySet
holds (Django's `_iterable_class`). `OBJECT_ROWS` builds instances of the resource class
(`URI_ROWS`: of the class of each object's own URI, for `client.list(uri)`); `ValueRows`
keeps the raw values in the shape `values()`/`values_list()` asked for.

The strategy only turns a page's raw objects into rows and a row into what the caller
gets; it sends nothing itself, so the sync and the async QuerySet share it as it is.
"""

from __future__ import annotations

from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple

from ..classes.adopt import uri_key_in
from ..classes.fieldread import view_allowed
from ..classes.instances import FROM_LIST, build_page
from ..errors import FilterError, suggest
from ..operations import Operation
from ..vocabulary import looks_secret
from .follow import check_followed, follow_op, split_followed

__all__ = ["OBJECT_ROWS", "URI_ROWS", "ObjectRows", "UriRows", "ValueRows", "Rows", "shape_of"]


_URI = itemgetter("resource_uri")


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
    """Rows as instances of the resource class (Django's `ModelIterable`): the hot path
    of listing. The usual page (every object a dict of this resource's, no
    secret-looking extra among its keys) is checked as a whole, in C, and each object
    built as the instance alone (instances.build_page). Any other page takes the careful
    path, object by object (another resource's objects, secret-looking extras to drop)."""

    shape: _Shape | None = None
    emits = False  # a walked object is already what the caller gets

    def wrap(self, model: Any, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        """A page's raw objects (dicts, as `read_page` and every read of one object
        check) as instances of `model`, or of the class of their own URI where that is
        another resource's."""
        if model._untargeted and objects:
            model._catalogue.learn_from(model, objects[0])
        if objects and not model._uri_key:
            model._uri_key = uri_key_in(model, objects[0])
        fast = _page_of_own(model, objects)
        if fast is not None:
            return fast
        own = model._list_url.rstrip("/") + "/"  # (a slashless list URL is a prefix of more)
        deeper = model._catalogue.endpoints_within(own)  # `thesaurus/keywords/` in `thesaurus/`
        make, fields = model._from_raw, model._schema.fields.keys()  # once a page: a hot path
        out: list[Any] = []
        for data in objects:
            uri = data.get("resource_uri")
            if not isinstance(uri, str) or (uri.startswith(own) and not uri.startswith(deeper)):
                obj = make(data)
                whole = fields <= obj._raw.keys()
            else:
                other = yield from model._registry.class_for_uri_op(uri)
                obj = other._from_raw(data)
                whole = other._schema.fields.keys() <= obj._raw.keys()
            if not whole:  # fields left out of lists (use_in)
                obj._related[FROM_LIST] = True
            out.append(obj)
        return out

    def emit(self, row: Any) -> Any:
        return row

    def display(self, row: Any) -> dict[str, Any]:
        """The raw values a notebook table shows for one row."""
        return dict(row.to_dict())

    def describe(self) -> str:
        return ""


def _page_of_own(model: Any, objects: list[dict[str, Any]]) -> list[Any] | None:
    """The usual page, built with checks made in C over the whole page instead of Python
    code per object: every object one of this resource's, no key of any of them a secret
    to drop. None when any of that does not hold (the careful path decides). Objects may
    lack fields (`use_in`): `_related` notes it when made."""
    if not objects:
        return None
    keys: set[str] = set().union(*objects)  # every key of the page, once
    if any(looks_secret(k) for k in keys - model._schema.fields.keys()):
        return None  # a secret-looking extra to drop object by object
    if not _all_own(model, objects):
        return None
    return build_page(model, objects, view_allowed(model, keys))


def _all_own(model: Any, objects: list[dict[str, Any]]) -> bool:
    """Whether every object's URI is one of this resource's (objects without one are:
    `include_resource_uri = False`; some with and some without: object by object)."""
    if "resource_uri" not in objects[0]:
        return not any(map(dict.__contains__, objects, repeat("resource_uri")))
    own = model._list_url.rstrip("/") + "/"
    deeper = model._catalogue.endpoints_within(own)  # another resource's, named longer
    try:
        uris = list(map(_URI, objects))
        # the strings that start with `own` sort together: when the first and the last
        # do, every one between them does
        return (
            min(uris).startswith(own)
            and max(uris).startswith(own)
            and not (deeper and any(map(str.startswith, uris, repeat(deeper))))
        )
    except (KeyError, TypeError, AttributeError):  # no URI; a URI not a string
        return False


class UriRows(ObjectRows):
    """Rows of `client.list(uri)`: each object an instance of the class of its own URI
    (untyped where it has none)."""

    def wrap(self, model: Any, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        out = []
        for data in objects:
            uri = data.get("resource_uri")
            if isinstance(uri, str):
                target = yield from model._registry.class_for_uri_op(uri)
            else:
                target = model._registry.untyped("(unknown)")
            out.append(target._from_raw(data))
        return out


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
URI_ROWS = UriRows()


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
