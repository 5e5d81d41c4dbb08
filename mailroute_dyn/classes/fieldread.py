"""Field reads that cost what they do: one reader per field, made once per class.

Reading `obj.name` is the commonest thing a user does with an object, so it must not
build anything. An object as the server sent it (nothing changed, nothing unread) has
its raw dict as its `__dict__`, its *attribute view* (`sync_view`): a plain field
(string, integer, boolean, list, ...) is then answered by Python's own attribute lookup,
without running any Python code. A typed field (datetime, date, time, decimal) has a
reader that comes before the view: it converts the raw value on its first read and keeps
the result with the raw value it came from. Anything unusual (a change not yet saved, a
write not yet read back, a field the list left out, a related object) takes the object's
general path, `_typed`.

The readers sit on the class (`place_readers`): a name the class or its metaclass already
has (`save`, `count`, `fields`, ...) gets none and stays the object's or the class's; such
a field is read through `__getattr__`, which uses the same reader. A raw dict whose keys
would hide one of the class's own names is never made a view (`view_allowed`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from itertools import repeat
from types import MappingProxyType
from typing import Any, cast

from ..schema.conversions import parse_date, parse_datetime, parse_decimal, parse_time, typed_value
from ..schema.definition import Field, ResourceSchema

__all__ = [
    "UNCHANGED",
    "Reader",
    "FieldProperty",
    "RawFirst",
    "field_readers",
    "place_readers",
    "sync_view",
    "view_allowed",
]

#: The changes of an object as the server last gave it: one shared, read-only empty
#: mapping, so a listed object carries no dict of its own until its first change. It is
#: also what makes a field read a lookup: an object whose `_changes` is UNCHANGED has
#: nothing unsaved and nothing unread (a write whose answer was not read back gives the
#: object a dict of its own, `{}`), so its fields are its raw values.
UNCHANGED = cast("dict[str, Any]", MappingProxyType({}))

#: A field's reader: the typed view of that field of one object.
Reader = Callable[[Any], Any]

_PARSE: dict[str, Callable[[str], Any]] = {
    "datetime": parse_datetime,
    "date": parse_date,
    "time": parse_time,
    "decimal": parse_decimal,
}


class FieldProperty:
    """A plain field's reader on its class. It has no `__set__`, so the object's
    attribute view (its raw dict, while the object is as read) answers first; the
    reader runs only for an object with changes, an unread write or a missing field."""

    __slots__ = ("field", "name")

    def __init__(self, field: Field):
        self.field, self.name = field, field.name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        if obj._changes is UNCHANGED:
            raw: Mapping[str, Any] = obj._raw
            if self.name in raw:
                return raw[self.name]
        return obj._typed(self.field)

    def __call__(self, obj: Any) -> Any:
        """The read, for `__getattr__` (a field whose name the class keeps for itself)."""
        return self.__get__(obj, type(obj))


class TypedFieldProperty(FieldProperty):
    """A reader that converts: typed fields, and related ones (`kind` None: the general
    path, which fetches the related object once). It has `__set__` (which
    `Resource.__setattr__` never reaches), so it comes before the attribute view, whose
    value is the raw one. A value is converted on its first read and kept with the raw
    value it came from: a later read of the same raw value is a lookup, a new raw value
    (a refresh, a save) is converted again. Nothing else has to forget it."""

    __slots__ = ("kind", "where", "parse", "cache_slot")

    def __init__(self, field: Field, where: str):
        super().__init__(field)
        self.kind = None if field.is_related else field.type
        self.parse = _PARSE.get(field.type)
        self.where = where
        self.cache_slot: Any = None  # the objects' `_typed_cache` slot (place_readers)

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(f"{self.where} is set by assignment to the object")

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        name, view = self.name, obj.__dict__
        if self.kind is None:  # related: fetched once, by the object
            return obj._typed(self.field)
        if name in view:  # as read: its view is its raw dict
            value = view[name]
        else:  # an object without a view
            raw: Mapping[str, Any] = obj._raw
            if obj._changes is not UNCHANGED or name not in raw:
                return obj._typed(self.field)
            value = raw[name]
        try:  # its `_typed_cache`, read past
            cache = self.cache_slot.__get__(obj, None)  # __getattr__ (which costs more)
        except AttributeError:  # the first typed read: made here
            cache = {}
            self.cache_slot.__set__(obj, cache)
        kept = cache.get(name)
        if kept is not None and kept[0] is value:
            return kept[1]
        typed = self._convert(value)
        cache[name] = (value, typed)
        return typed

    def _convert(self, value: Any) -> Any:
        if type(value) is str and self.parse is not None:
            try:
                return self.parse(value)
            except (ValueError, TypeError):
                pass  # typed_value says what is wrong
        assert self.kind is not None
        return typed_value(self.kind, value, where=self.where)


class RawFirst:
    """An object's own read-only name that its attribute view answers when the raw
    dict has the key (`id`): `fget` runs only when it does not, or with no view."""

    def __init__(self, fget: Callable[[Any], Any]):
        self.fget = fget
        self.__doc__ = fget.__doc__

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else self.fget(obj)


def field_readers(schema: ResourceSchema) -> dict[str, FieldProperty]:
    """The reader of each field that is read as an attribute (not `_private` names)."""
    return {
        name: _reader(schema.name, f)
        for name, f in schema.fields.items()
        if not name.startswith("_")
    }


def _reader(resource: str, f: Field) -> FieldProperty:
    if f.is_related or f.type in _PARSE:
        return TypedFieldProperty(f, f"{resource}.{f.name}")
    return FieldProperty(f)


def place_readers(cls: type, readers: Mapping[str, Reader]) -> None:
    """Put each field's reader on `cls`, in place of the readers of its previous schema;
    never where a base class or the metaclass has the name (those are the object's own
    names and the class-level API, which fields never shadow). Then note which keys a
    raw dict must not hold to serve as an object's attribute view."""
    for name, value in list(vars(cls).items()):
        if isinstance(value, FieldProperty):
            delattr(cls, name)
    for name, reader in readers.items():
        taken = hasattr(type(cls), name) or any(name in vars(base) for base in cls.__mro__)
        if not taken:
            setattr(cls, name, reader)
        if isinstance(reader, TypedFieldProperty):
            reader.cache_slot = cast(Any, cls)._typed_cache  # the slot itself
    cast(Any, cls)._view_hides = _names_a_view_would_hide(cls, readers)


def _names_a_view_would_hide(cls: type, readers: Mapping[str, Reader]) -> frozenset[str]:
    """Names an instance's `__dict__` would answer before the class does: the class's
    methods and plain attributes (not data descriptors, which come first, nor readers
    that give the raw value anyway), and the converting fields that have no reader on
    the class (their names are the class API's: `__getattr__` reads them)."""
    hidden = {
        name
        for base in cls.__mro__
        for name, value in vars(base).items()
        if not _comes_before_the_view(value)
    }
    hidden.update(
        name
        for name, reader in readers.items()
        if isinstance(reader, TypedFieldProperty) and vars(cls).get(name) is not reader
    )
    return frozenset(hidden)


def _comes_before_the_view(value: Any) -> bool:
    kind = type(value)
    return (
        hasattr(kind, "__set__") or hasattr(kind, "__delete__") or kind in (FieldProperty, RawFirst)
    )


def view_allowed(cls: type, keys: Collection[str]) -> bool:
    """Whether a raw dict with these keys may be an object's attribute view: none is
    private (`_x`) nor hides a name of the class (`_view_hides`, None: no views)."""
    hides: frozenset[str] | None = getattr(cls, "_view_hides", None)
    if hides is None:
        return False
    try:  # (in C: every list page asks)
        return hides.isdisjoint(keys) and not any(map(str.startswith, keys, repeat("_")))
    except TypeError:  # a key that is not a string
        return False


def sync_view(obj: Any) -> None:
    """Make the object's attribute view true to its state after `_raw`, `_changes` or
    `_unread` changed: the raw dict while the object is as the server sent it, else an
    empty dict (reads then take the readers, which see changes and unread writes)."""
    raw = obj._raw  # (made from the view first, if it is still unmade)
    as_read = obj._changes is UNCHANGED and not _slot_or(obj, "_unread", False)
    view = raw if as_read and type(raw) is dict and view_allowed(type(obj), raw) else {}
    object.__setattr__(obj, "__dict__", view)


def _slot_or(obj: Any, slot: str, default: Any) -> Any:
    """A slot's value, or `default` when it is not set (without making it)."""
    try:
        return object.__getattribute__(obj, slot)
    except AttributeError:
        return default
