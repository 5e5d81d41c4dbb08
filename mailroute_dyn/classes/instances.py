"""A resource object's state, and an object made from what the server sent.

An object read on its own (`_from_raw`) gets its whole state at once. An object from a
list page is built as the instance alone, with the raw dict, uncopied, as its attribute
view (fieldread.py): the rest of its state is made on first use (`_make_slot`), so that
listing and field reads cost what they do. What a page of raw objects becomes is decided
by the QuerySet's rows (query/rows.py), which call `build_page` for the usual page.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from itertools import repeat
from typing import Any, ClassVar, Self

from .adopt import clean_read
from .fieldread import UNCHANGED, sync_view
from .validation import Validation

__all__ = ["FROM_LIST", "LAZY_STATE", "STATE_SLOTS", "ObjectState", "build_page"]

FROM_LIST = "\0list"  # in `_related`: read from a list, detail-only fields may be missing


def _whole_or_marked(obj: Any) -> dict[str, Any]:
    """`_related` of an object from a list page: marked when the list left out one of
    its fields (`use_in`), so that a read of it fetches the detail."""
    whole = type(obj)._schema.fields.keys() <= obj._raw.keys()
    return {} if whole else {FROM_LIST: True}


#: Slots an object from a list page gets only when first used, and how each starts. It
#: is built with its raw dict as its attribute view (fieldread.py) and nothing else:
#: `_raw` is that dict, `_changes` the shared empty `UNCHANGED`.
LAZY_STATE: dict[str, Callable[[Any], Any]] = {
    "_raw": lambda obj: obj.__dict__,
    "_changes": lambda obj: UNCHANGED,
    "_snapshot": lambda obj: obj._raw,
    "_related": _whole_or_marked,
    "_deleted": lambda obj: False,
    "_unread": lambda obj: False,
    "_typed_cache": lambda obj: {},
}


class ObjectState(Validation):
    """What every resource object holds (the base of `Writes`): its slots, and its
    `__dict__`, the attribute view."""

    # the object's state (Resource's own slots are empty: the layout is defined here)
    __slots__ = (
        "__dict__",
        "_raw",
        "_changes",
        "_related",
        "_snapshot",
        "_deleted",
        "_unread",
        "_typed_cache",
    )
    _untargeted: ClassVar[set[str]]  # related fields whose resource is not known yet
    #: keys a raw dict must not have to be an object's attribute view (place_readers)
    _view_hides: ClassVar[frozenset[str] | None] = None

    _raw: dict[str, Any]
    _changes: dict[str, Any]
    _related: dict[str, Any]
    _snapshot: dict[str, Any] | None
    _deleted: bool
    _unread: bool
    _typed_cache: dict[str, tuple[Any, Any]]

    @classmethod
    def _from_raw(cls, data: Mapping[str, Any]) -> Self:
        """An object of this class as the server sent it, its whole state set now."""
        obj = object.__new__(cls)
        raw = clean_read(cls, data)
        put = object.__setattr__  # slots, set past the class's own __setattr__
        put(obj, "_raw", raw)
        put(obj, "_changes", UNCHANGED)
        put(obj, "_related", {})
        put(obj, "_snapshot", raw)
        put(obj, "_deleted", False)
        put(obj, "_unread", False)
        sync_view(obj)
        return obj

    def _make_slot(self, slot: str) -> Any:
        """One piece of the per-object state an object read from a list page is built
        without, made on its first use (listing and field reads stay cheap)."""
        value = LAZY_STATE[slot](self)
        object.__setattr__(self, slot, value)  # as read: a later `_raw` sets `_snapshot` too
        return value


STATE_SLOTS = frozenset(ObjectState.__slots__) - {"__dict__"}  # an object's `_` names
_VIEW = ObjectState.__dict__["__dict__"]  # the instance's `__dict__`: its view


def build_page(cls: type[ObjectState], objects: list[dict[str, Any]], view: bool) -> list[Any]:
    """The one per-object step of the usual page: the instance itself, with the raw dict
    as its attribute view (fieldread.py), the rest of its state made on first use
    (`_make_slot`). Where the page's keys would hide the class's own names, no view:
    the raw dict and the changes are set as they are."""
    made = list(map(object.__new__, repeat(cls, len(objects))))  # (in C: a hot path)
    if view:
        deque(map(_VIEW.__set__, made, objects), maxlen=0)
    else:
        put = object.__setattr__
        for obj, data in zip(made, objects, strict=True):
            put(obj, "_raw", data)
            put(obj, "_changes", UNCHANGED)
    return made
