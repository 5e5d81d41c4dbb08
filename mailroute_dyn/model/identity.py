"""Which object an object is: its URI, primary key and `id`, and equality by URI.

Each is read from what the server sent, with a fallback for servers that leave something
out (no `resource_uri` in the answer, a detail URI carrying a slug rather than the key).
They are one concept that writes, listing and relations all rely on, kept apart from
BaseResource (resources.py), which reads fields, so that the rules of identity are read
in one place.
"""

from __future__ import annotations

from typing import Any

from ..classes.adopt import key_from_uri
from ..classes.fieldread import RawFirst
from .metaclass import BaseResourceMeta
from .writes import Writes

__all__ = ["Identity"]


class Identity(Writes, metaclass=BaseResourceMeta):
    """The part of `Resource` that says which object it is: its URI, key and `id`; two
    objects are equal when they have the same URI."""

    __slots__ = ()

    @property
    def resource_uri(self) -> str | None:
        """The object's URI as the server gave it (None before it is saved). Where the
        server sends no URIs (`include_resource_uri = False`), the one it would send."""
        uri = self.__dict__.get("resource_uri")  # the attribute view, when it has one
        if isinstance(uri, str):
            return uri
        uri = self._raw.get("resource_uri")
        if isinstance(uri, str):
            return uri
        cls = type(self)
        if cls.typed and "resource_uri" not in cls.fields:
            pk_name = cls._schema.primary_key
            key = self._raw.get(pk_name) if pk_name else None
            if key is not None and key != "":
                return cls.detail_url(key)
        return None

    @property
    def pk(self) -> Any:
        """The primary key (from the data, else the last part of the URI when the URI
        carries the key rather than another field such as a slug)."""
        cls = type(self)
        pk_name = cls._schema.primary_key if cls.typed else "id"
        if pk_name is not None and pk_name in self._raw:
            return self._raw[pk_name]
        uri = self._raw.get("resource_uri")
        if not isinstance(uri, str) or cls._uri_key not in ("", pk_name):
            return None
        return key_from_uri(uri)

    def _id(self) -> Any:
        """The `id` field, or the primary key when the object has none."""
        raw = self._raw
        return raw["id"] if "id" in raw else self.pk

    id = RawFirst(_id)  # the attribute view's `id` when it has one

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Identity) or self.resource_uri is None:
            return NotImplemented
        return self.resource_uri == other.resource_uri

    def __hash__(self) -> int:
        return hash(self.resource_uri) if self.resource_uri else id(self)
