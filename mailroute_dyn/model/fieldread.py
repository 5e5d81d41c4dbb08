"""Field reads that cost what they do: one reader per field, made once per class.

Reading `obj.name` is the commonest thing a user does with an object, so it must not
build anything: a plain field (string, integer, boolean, list, ...) is a lookup in the
raw dict the server sent, and a typed field (datetime, date, time, decimal) is converted
on its first read and kept with the raw value it came from. Anything unusual (a change
not yet saved, a write not yet read back, a field the list left out, a related object)
takes the object's general path, `_typed`.

The readers sit on the class as properties (`place_readers`), so a read is one call: a
name the class or its metaclass already has (`save`, `count`, `fields`, ...) gets none,
and stays the object's or the class's; such a field is read through `__getattr__`, which
uses the same reader.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, cast

from ..schema.conversions import typed_value
from ..schema.definition import Field, ResourceSchema

__all__ = ["UNCHANGED", "Reader", "field_readers", "place_readers"]

#: The changes of an object as the server last gave it: one shared, read-only empty
#: mapping, so a listed object carries no dict of its own until its first change. It is
#: also what makes a field read a lookup: an object whose `_changes` is UNCHANGED has
#: nothing unsaved and nothing unread (a write whose answer was not read back gives the
#: object a dict of its own, `{}`), so its fields are its raw values.
UNCHANGED = cast("dict[str, Any]", MappingProxyType({}))

#: A field's reader: the typed view of that field of one object.
Reader = Callable[[Any], Any]

_TYPED = frozenset({"datetime", "date", "time", "decimal"})


def field_readers(schema: ResourceSchema) -> dict[str, Reader]:
    """The reader of each field that is read as an attribute (not `_private` names)."""
    return {name: _reader(schema.name, f) for name, f in schema.fields.items()
            if not name.startswith("_")}


class FieldProperty(property):
    """A field's reader placed on its class (told apart from the class's own properties)."""


def place_readers(cls: type, readers: Mapping[str, Reader]) -> None:
    """Put each field's reader on `cls` as a property, in place of the readers of its
    previous schema; never where a base class or the metaclass has the name (those are
    the object's own names and the class-level API, which fields never shadow)."""
    for name, value in list(vars(cls).items()):
        if isinstance(value, FieldProperty):
            delattr(cls, name)
    for name, reader in readers.items():
        taken = hasattr(type(cls), name) or any(name in vars(base) for base in cls.__mro__)
        if not taken:
            setattr(cls, name, FieldProperty(reader))


def _reader(resource: str, f: Field) -> Reader:
    if f.is_related:
        return _general(f)
    if f.type in _TYPED:
        return _typed_reader(f, f"{resource}.{f.name}")
    return _plain_reader(f)


def _general(f: Field) -> Reader:
    """The general path: related objects, fetched once and kept by the object itself."""
    def read(obj: Any) -> Any:
        return obj._typed(f)
    return read


def _plain_reader(f: Field) -> Reader:
    """A value that is its own typed view: what the server sent, from the raw dict."""
    name = f.name

    def read(obj: Any) -> Any:
        if obj._changes is UNCHANGED:
            raw: Mapping[str, Any] = obj._raw
            if name in raw:
                return raw[name]
        return obj._typed(f)
    return read


def _typed_reader(f: Field, where: str) -> Reader:
    """A value converted on its first read, and kept with the raw value it came from:
    a later read of the same raw value is a lookup; a new raw value (a refresh, a save)
    is converted again. Nothing else has to forget it."""
    name, kind = f.name, f.type

    def read(obj: Any) -> Any:
        raw: Mapping[str, Any] = obj._raw
        if obj._changes is not UNCHANGED or name not in raw:
            return obj._typed(f)
        value = raw[name]
        cache: dict[str, tuple[Any, Any]] = obj._typed_cache
        kept = cache.get(name)
        if kept is not None and kept[0] is value:
            return kept[1]
        typed = typed_value(kind, value, where=where)
        cache[name] = (value, typed)
        return typed
    return read
