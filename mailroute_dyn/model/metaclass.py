"""What a resource class says of itself, on its metaclass.

Every resource class answers `fields`, `json_schema`, `resource_name`, `detail_url()`,
... and shows itself in `repr()`, `dir()` and a notebook. Living on the metaclass, where
an object's attribute lookup never looks, these never hide a server field of the same
name (`obj.fields` is the field, `Domain.fields` the schema's). As httpx's clients:
`BaseResourceMeta` here holds what the schema says (no I/O), and its two siblings in
shortcuts.py hold the shortcuts to a QuerySet and the writes (`Domain.count()`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..classes.fieldread import FieldProperty
from ..schema.definition import Field, ResourceSchema
from ..schema.display import class_html
from .writes import detail_url_for

__all__ = ["BaseResourceMeta"]

#: Class names dir() does not offer: `exclude` exists only to say why it cannot work.
_NOT_OFFERED = frozenset({"exclude"})


class BaseResourceMeta(type):
    """What every resource class says of itself, sync or async: what the schema says,
    its detail URLs, how it shows. It lives here, on the metaclass, where an instance's
    attribute lookup never looks, so a server field named `count`, `filter`, `fields` or
    `get` is the field on an object (`obj.count`) while `Domain.count()` stays the query."""

    _schema: ResourceSchema
    _list_url: str
    _json_schema: dict[str, Any]
    _has_schema: bool
    _listed: bool

    def __repr__(cls) -> str:
        name = cls.resource_name
        return f"<resource class {cls.__name__} ({name})>" if name else super().__repr__()

    def __dir__(cls) -> list[str]:
        """What the class offers, for completion and `help()`: the class API (which lives
        here, where dir() of a class does not look by itself) and the object's own names.
        Dunders, private names and `exclude` (which always raises) are left out."""
        api = {
            name
            for meta in type.mro(type(cls))
            if meta not in (type, object)
            for name in vars(meta)
        }
        offered = {name for name in set(super().__dir__()) | api if not name.startswith("_")}
        fields = {name for name, value in vars(cls).items() if isinstance(value, FieldProperty)}
        return sorted(offered - _NOT_OFFERED - fields)  # fields are the objects' to offer

    def _repr_html_(cls) -> str:
        """A notebook's view of the class (IPython looks for it here, on the metaclass):
        fields with types, filters, ordering, methods and the class and object API."""
        names = dir(cls)
        api = [name for name in names if hasattr(type(cls), name)]
        own = [name for name in names if name not in api]
        return class_html(cls._schema, cls._list_url, api, own)

    def __await__(cls) -> Any:
        """`await client.resource(name)` also works once the class is loaded (the
        AsyncClient then returns the class itself rather than an awaitable)."""
        return _itself(cls).__await__()

    # -- what the schema says (read-only; a rediscovered schema updates the class)

    @property
    def resource_name(cls) -> str:
        """The resource's name on the server (`email_account`)."""
        return cls._schema.name

    @property
    def fields(cls) -> Mapping[str, Field]:
        """The schema's fields by name."""
        return cls._schema.fields

    @property
    def filtering(cls) -> Mapping[str, Any]:
        """The schema's `filtering`: which lookups each field allows."""
        return cls._schema.filtering

    @property
    def ordering(cls) -> tuple[str, ...]:
        """The fields the server orders by."""
        return cls._schema.ordering

    @property
    def allowed_list_methods(cls) -> tuple[str, ...]:
        """HTTP methods the list endpoint takes (lower case)."""
        return cls._schema.allowed_list_methods

    @property
    def allowed_detail_methods(cls) -> tuple[str, ...]:
        """HTTP methods the detail endpoint takes (lower case)."""
        return cls._schema.allowed_detail_methods

    @property
    def default_limit(cls) -> int:
        """Objects per page when a request names no limit."""
        return cls._schema.default_limit

    @property
    def json_schema(cls) -> dict[str, Any]:
        """A JSON Schema of one object, as written (what validation checks)."""
        return cls._json_schema

    @property
    def list_endpoint(cls) -> str:
        """The list URL, in the server's own form (with or without a trailing slash)."""
        return cls._list_url

    @property
    def typed(cls) -> bool:
        """False for the stand-in class of a resource whose schema is not reachable."""
        return cls._has_schema

    @property
    def listed(cls) -> bool:
        """Whether the API's top-level listing names the resource."""
        return cls._listed

    def detail_url(meta, key: Any) -> str:
        """The detail URL for a primary or natural key (a string key goes in as is), in
        the server's own form: with a trailing slash only where its list URL has one."""
        return detail_url_for(meta, key)


async def _itself(value: Any) -> Any:
    return value
