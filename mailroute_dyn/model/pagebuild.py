"""How a list page's raw objects become resource objects: the hot path of listing.

The usual page (every object a dict of this resource's, no secret-looking extra among
its keys) is checked as a whole, in C, and each object is built as the instance alone,
with the raw dict, uncopied, as its attribute view (fieldread.py); the rest of its state
is made on first use. Any other page takes the careful path, object by object (another
resource's objects, secret-looking extras to drop).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import repeat
from operator import itemgetter
from typing import Any, ClassVar, Self

from ..classes.adopt import clean_read
from ..classes.fieldread import UNCHANGED, sync_view, view_allowed
from ..operations import Operation
from ..vocabulary import looks_secret
from .metaclass import BaseResourceMeta
from .writes import Writes

__all__ = ["PageBuilding"]

_FROM_LIST = "\0list"  # in `_related`: read from a list, detail-only fields may be missing
_URI = itemgetter("resource_uri")


def _whole_or_marked(obj: Any) -> dict[str, Any]:
    """`_related` of an object from a list page: marked when the list left out one of
    its fields (`use_in`), so that a read of it fetches the detail."""
    whole = type(obj)._schema.fields.keys() <= obj._raw.keys()
    return {} if whole else {_FROM_LIST: True}


#: Slots an object from a list page gets only when first used, and how each starts. It
#: is built with its raw dict as its attribute view (fieldread.py) and nothing else:
#: `_raw` is that dict, `_changes` the shared empty `UNCHANGED`.
_LAZY_STATE: dict[str, Callable[[Any], Any]] = {
    "_raw": lambda obj: obj.__dict__,
    "_changes": lambda obj: UNCHANGED,
    "_snapshot": lambda obj: obj._raw,
    "_related": _whole_or_marked,
    "_deleted": lambda obj: False,
    "_unread": lambda obj: False,
    "_typed_cache": lambda obj: {},
}


class PageBuilding(Writes, metaclass=BaseResourceMeta):
    """The part of `Resource` that builds objects from what the server sent."""

    __slots__ = ("__dict__",)  # the attribute view (fieldread.py), nothing else
    _untargeted: ClassVar[set[str]]
    #: keys a raw dict must not have to be an object's attribute view (place_readers)
    _view_hides: ClassVar[frozenset[str] | None] = None

    @classmethod
    def _from_raw(cls, data: Mapping[str, Any]) -> Self:
        obj = object.__new__(cls)
        raw = clean_read(cls, data)
        put = object.__setattr__  # slots, set past our own __setattr__; a hot path
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
        value = _LAZY_STATE[slot](self)
        object.__setattr__(self, slot, value)  # as read: a later `_raw` sets `_snapshot` too
        return value

    @classmethod
    def _wrap_page(cls, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        if cls._untargeted and objects:
            cls._catalogue.learn_from(cls, objects[0])
        if objects and not cls._uri_key:
            cls._learn_uri_key(objects[0])
        fast = cls._page_of_own(objects)
        if fast is not None:
            return fast
        own = cls._list_url.rstrip("/") + "/"  # (a slashless list URL is a prefix of more)
        deeper = cls._catalogue.endpoints_within(own)  # `thesaurus/keywords/` in `thesaurus/`
        make, fields = cls._from_raw, cls._schema.fields.keys()  # once a page: a hot path
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
            if not whole:  # fields left out of lists (use_in)
                obj._related[_FROM_LIST] = True
            out.append(obj)
        return out

    @classmethod
    def _page_of_own(cls, objects: list[dict[str, Any]]) -> list[Any] | None:
        """The usual page, built with checks made in C over the whole page instead of
        Python code per object: every object a dict of this resource's, no key of any
        of them a secret to drop. None when any of that does not hold (the careful path
        decides). Objects may lack fields (`use_in`): `_related` notes it when made."""
        if not objects or set(map(type, objects)) != {dict}:
            return None
        keys: set[str] = set().union(*objects)  # every key of the page, once
        if any(looks_secret(k) for k in keys - cls._schema.fields.keys()):
            return None  # a secret-looking extra to drop object by object
        if not cls._all_own(objects):
            return None
        return cls._build_page(objects, view_allowed(cls, keys))

    @classmethod
    def _all_own(cls, objects: list[dict[str, Any]]) -> bool:
        """Whether every object's URI is one of this resource's (objects without one are:
        `include_resource_uri = False`; some with and some without: object by object)."""
        if "resource_uri" not in objects[0]:
            return not any(map(dict.__contains__, objects, repeat("resource_uri")))
        own = cls._list_url.rstrip("/") + "/"
        deeper = cls._catalogue.endpoints_within(own)  # another resource's, named longer
        try:
            uris = list(map(_URI, objects))
            return all(map(str.startswith, uris, repeat(own))) and not (
                deeper and any(map(str.startswith, uris, repeat(deeper)))
            )
        except (KeyError, TypeError):  # an object without a URI, a URI not a string
            return False

    @classmethod
    def _build_page(cls, objects: list[dict[str, Any]], view: bool) -> list[Any]:
        """The one per-object step: the instance itself, with the raw dict as its
        attribute view (fieldread.py), the rest of its state made on first use
        (`_make_slot`). Where the page's keys would hide the class's own names, no view:
        the raw dict and the changes are set as they are."""
        new, put, with_view = object.__new__, object.__setattr__, _VIEW.__set__
        out = []
        for data in objects:
            obj = new(cls)
            if view:
                with_view(obj, data)
            else:
                put(obj, "_raw", data)
                put(obj, "_changes", UNCHANGED)
            out.append(obj)
        return out


_VIEW = PageBuilding.__dict__["__dict__"]  # the instance's `__dict__`: its view
