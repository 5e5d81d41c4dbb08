"""The registry of one client: its resource classes (resourceclasses.py) and what
relations need from them: related objects fetched as instances of their own classes,
relation targets, and write values of related fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import GuardError, MailRouteError, ResponseError
from ..operations import Batch, Call, Operation
from ..query.build import _Query
from ..query.queryset import QuerySet, queryset_for
from ..schema.definition import ResourceSchema
from ..schema.discovery import Discovery
from ..settings.config import Settings
from .adopt import check_own, other_owner, read_body_op
from .detailuri import has_dot_segments
from .resourceclasses import UNREACHABLE, ResourceClasses
from .resources import Resource

if TYPE_CHECKING:
    from ..operations import Session

__all__ = ["Registry"]


class Registry(ResourceClasses):
    """The classes of one client, and what relations need from them."""

    def __init__(self, settings: Settings, discovery: Discovery, session: Session):
        super().__init__(settings, discovery, session)

    def any_list(self, url: str, start: int, page_size: int | None) -> QuerySet[Any]:
        """The QuerySet of `client.list(uri)`: any list URL, each object read as the class
        of its own URI."""
        return queryset_for(
            _AnyList.bind(self, url), _Query(url=url, start=start, page_size=page_size)
        )

    def objects_op(
        self, values: list[Any], target: str | None = None
    ) -> Operation[list[Resource | dict[str, Any]]]:
        """Instances for related values: nested objects as they are, URIs fetched
        (concurrently when there are several). A nested object without a URI
        (`include_resource_uri = False`) is an object of `target`, the field's resource,
        or a plain dict when that resource's schema cannot be had; never dropped."""
        out: list[Resource | dict[str, Any] | None] = [None] * len(values)
        to_fetch: list[tuple[int, str]] = []
        for i, value in enumerate(values):
            if isinstance(value, dict):
                uri = value.get("resource_uri")
                if isinstance(uri, str):
                    out[i] = (yield from self.class_for_uri_op(uri))._from_raw(value)
                else:
                    out[i] = yield from self._nested_op(value, target)
            elif isinstance(value, str):
                to_fetch.append((i, value))
            else:
                raise ResponseError(f"Not a related value: {value!r:.80}")
        if len(to_fetch) == 1:
            i, uri = to_fetch[0]
            out[i] = yield from self.get_op(uri)
        elif to_fetch:
            classes = []
            for _, uri in to_fetch:
                classes.append((yield from self.class_for_uri_op(uri)))
            replies = yield Batch(tuple(Call("GET", uri) for _, uri in to_fetch))
            for (i, uri), cls, reply in zip(to_fetch, classes, replies, strict=True):
                if isinstance(reply, MailRouteError):
                    raise reply
                if not isinstance(reply.body, dict):
                    raise ResponseError(f"GET {uri}: expected an object")
                out[i] = cls._from_raw(reply.body)
        return [o for o in out if o is not None]

    def _nested_op(
        self, value: dict[str, Any], target: str | None
    ) -> Operation[Resource | dict[str, Any]]:
        """A nested object without a URI, typed from `target`'s schema where it can be had."""
        if target is None:
            return dict(value)
        try:
            cls = yield from self.resource_op(target, listed_only=False)
        except UNREACHABLE:
            return dict(value)
        return cls._from_raw(value) if cls.typed else dict(value)

    def get_op(self, uri: str) -> Operation[Resource]:
        """Any object by URI, as an instance of its own resource's class."""
        if has_dot_segments(uri):
            raise GuardError(
                f"Refusing {uri!r}: a URI with '.' or '..' segments may name "
                "another resource than it seems to; give the object's own URI."
            )
        cls = yield from self.class_for_uri_op(uri)
        body = yield from read_body_op(uri, f"nothing at {uri}")
        if other_owner(cls, body):  # e.g. redirected: build it as what it says it is
            cls = yield from self.class_for_uri_op(body["resource_uri"])
        check_own(cls, body, uri)
        return cls._from_raw(body)

    def schema_op_for_check(self, cls: type[Resource], lookup: str) -> Operation[None]:
        """Load the schemas a relation lookup passes through."""
        schema = cls._schema
        for part in lookup.split("__")[:-1]:
            f = schema.fields.get(part)
            if f is None or not f.is_related:
                return None
            target = self.catalogue.target_of(schema, f)
            if target is None:
                return None
            target_cls = yield from self.resource_op(target, listed_only=False)
            if not target_cls.typed:
                return None
            yield from self.catalogue.learn_targets_op(target_cls)
            schema = target_cls._schema
        return None


class _AnyList(Resource):
    """The model of `client.list(uri)`: each object takes the class of its own URI."""

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

    @classmethod
    def _wrap_page(cls, objects: list[dict[str, Any]]) -> Operation[list[Any]]:
        out = []
        for data in objects:
            uri = data.get("resource_uri")
            if isinstance(uri, str):
                target = yield from cls._registry.class_for_uri_op(uri)
            else:
                target = cls._registry.untyped("(unknown)")
            out.append(target._from_raw(data))
        return out

    @classmethod
    def _check_filter(cls, lookup: str, value: Any) -> Any:
        raise MailRouteError(
            "Filters on client.list(uri) are not schema-checked: put them "
            "in the URI's query, or use .unchecked()."
        )
