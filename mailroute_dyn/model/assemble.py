"""A client's model layer, put together from its top: the registry with the bases its
resource classes are built from (sync or async), and the model of `client.list(uri)`,
whose objects each take the class of their own URI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..classes.registry import Registry
from ..classes.resourceclasses import ClassBases
from ..query.build import _Query
from ..query.rows import URI_ROWS
from ..schema.definition import ResourceSchema
from ..schema.discovery import Discovery
from ..settings.config import Settings
from .querysets import QuerySet, queryset_for
from .resources import INSTANCE_NAMES, AsyncResource, Resource
from .shortcuts import AsyncResourceMeta, ResourceMeta

if TYPE_CHECKING:
    from ..operations import Session

__all__ = ["CLASS_API", "client_registry", "any_list"]

#: What help() of a resource class lists as its class API (dir() of the class shows it).
CLASS_API = tuple(name for name in dir(Resource) if name not in INSTANCE_NAMES)


def client_registry(settings: Settings, discovery: Discovery, session: Session) -> Registry:
    """The registry of a client on `session`: its classes are `Resource`s, or
    `AsyncResource`s on an async session."""
    bases = (
        ClassBases(AsyncResource, AsyncResourceMeta, CLASS_API, INSTANCE_NAMES)
        if session.is_async
        else ClassBases(Resource, ResourceMeta, CLASS_API, INSTANCE_NAMES)
    )
    return Registry(settings, discovery, session, bases)


def any_list(registry: Registry, url: str, start: int, page_size: int | None) -> QuerySet[Any]:
    """The QuerySet of `client.list(uri)`: any list URL, each object read as the class of
    its own URI."""
    return queryset_for(
        _AnyList.bind(registry, url),
        _Query(url=url, start=start, page_size=page_size),
        URI_ROWS,  # each object as the class of its own URI
    )


class _AnyList(Resource):
    """The model of `client.list(uri)`: a list URL without a schema (its rows,
    `URI_ROWS`, give each object the class of its own URI)."""

    __slots__ = ()
    _has_schema = False

    @classmethod
    def bind(cls, registry: Registry, uri: str) -> type[Resource]:
        return type(
            "AnyList",
            (cls,),
            {
                "_registry": registry,
                "_session": registry.session,
                "_catalogue": registry.catalogue,
                "_list_url": uri,
                "_schema": ResourceSchema(name=uri, fields={}, allowed_list_methods=("get",)),
                "_untargeted": set(),
                "_validators": {},
                "_omitted": set(),
                "__slots__": (),
            },
        )

    #: what a filter on it is told (query/checks.py): no schema checks it
    _unfilterable = (
        "Filters on client.list(uri) are not schema-checked: put them "
        "in the URI's query, or use .unchecked()."
    )
