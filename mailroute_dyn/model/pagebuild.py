"""How a list page's raw objects become resource objects: the hot path of listing.

The usual page (every object this resource's, with the same keys) is checked as a whole
and its objects built without a copy; their other per-object state is made on first use.
Any other page takes the careful path, object by object (another resource's objects,
fields a list leaves out, secret-looking extras to drop).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import repeat
from typing import Any, ClassVar, Self

from ..operations import Operation
from ..vocabulary import looks_secret
from .adopt import clean_read
from .fieldread import UNCHANGED
from .metaclass import BaseResourceMeta
from .writes import Writes

__all__ = ["PageBuilding"]

#: Slots an object from a list page gets only when first used, and how each starts. Its
#: `_changes` (the shared empty `UNCHANGED`) is set when it is built: every field read
#: looks at it, and a slot read before it is set costs an exception.
_LAZY_STATE: dict[str, Callable[[], Any]] = {
    "_related": dict, "_deleted": bool, "_unread": bool, "_typed_cache": dict}
_FROM_LIST = "\0list"    # in `_related`: read from a list, detail-only fields may be missing


class PageBuilding(Writes, metaclass=BaseResourceMeta):
    """The part of `Resource` that builds objects from what the server sent."""

    __slots__ = ()
    _untargeted: ClassVar[set[str]]

    @classmethod
    def _from_raw(cls, data: Mapping[str, Any]) -> Self:
        obj = object.__new__(cls)
        raw = clean_read(cls, data)
        put = object.__setattr__         # slots, set past our own __setattr__; a hot path
        put(obj, "_raw", raw)
        put(obj, "_changes", UNCHANGED)
        put(obj, "_related", {})
        put(obj, "_snapshot", raw)
        put(obj, "_deleted", False)
        put(obj, "_unread", False)
        return obj

    def _make_slot(self, slot: str) -> Any:
        """One piece of the per-object state an object read from a list page is built
        without, made on its first use (listing and field reads stay cheap)."""
        value = self._raw if slot == "_snapshot" else _LAZY_STATE[slot]()
        object.__setattr__(self, slot, value)  # as read: a later `_raw` sets `_snapshot` too
        return value

    @classmethod
    def _wrap_page(cls, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        if cls._untargeted and objects:
            cls._registry.learn_from(cls, objects[0])
        if objects and not cls._uri_key:
            cls._learn_uri_key(objects[0])
        fast = cls._page_of_own(objects)
        if fast is not None:
            return fast
        own = cls._list_url.rstrip("/") + "/"   # (a slashless list URL is a prefix of more)
        deeper = cls._registry.endpoints_within(own)    # `thesaurus/keywords/` in `thesaurus/`
        make, fields = cls._from_raw, cls._schema.fields.keys()     # once a page: a hot path
        out: list[Any] = []
        for data in objects:
            uri = data.get("resource_uri")
            if not isinstance(uri, str) or (uri.startswith(own) and not uri.startswith(deeper)):
                obj = make(data)
                whole = fields <= obj._raw.keys()
            else:
                other = yield from cls._registry.class_for_uri_op(uri)
                obj = other._from_raw(data)
                whole = other._schema.fields.keys() <= obj._raw.keys()
            if not whole:                       # fields left out of lists (use_in)
                obj._related[_FROM_LIST] = True
            out.append(obj)
        return out

    @classmethod
    def _page_of_own(cls, objects: list[dict[str, Any]]) -> list[Any] | None:
        """The usual page, built with page-level checks instead of per-object ones: every
        object this resource's, with every schema field and the same keys, none of them a
        secret to drop. None when any of that does not hold (the careful path decides)."""
        if not objects or set(map(type, objects)) != {dict}:
            return None
        keys = set().union(*objects)
        fields = cls._schema.fields.keys()
        if not fields <= keys or set(map(len, objects)) != {len(keys)}:
            return None                 # some object lacks a field (use_in) or has extras
        if any(looks_secret(k) for k in keys - fields):
            return None                 # a secret-looking extra to drop object by object
        own = cls._list_url.rstrip("/") + "/"
        if "resource_uri" in keys:
            deeper = cls._registry.endpoints_within(own)  # another resource's, named longer
            try:
                uris = [d["resource_uri"] for d in objects]
                if not all(map(str.startswith, uris, repeat(own))) or (
                        deeper and any(map(str.startswith, uris, repeat(deeper)))):
                    return None         # another resource's object among them
            except TypeError:           # a URI that is not a string
                return None
        new, put = object.__new__, object.__setattr__
        out = []
        for data in objects:            # the one per-object step: the instance itself,
            obj = new(cls)              # its other state made on first use (_make_slot)
            put(obj, "_raw", data)
            put(obj, "_changes", UNCHANGED)
            out.append(obj)
        return out

