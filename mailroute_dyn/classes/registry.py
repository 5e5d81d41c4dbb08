"""The registry of one client: its resource classes (resourceclasses.py) and what
relations need from them: related objects fetched as instances of their own classes, and
the schemas a relation filter passes through. Classes are given it when they are built
(`_registry`); it knows them as values, built from the bases the client gives."""

from __future__ import annotations

from typing import Any

from ..errors import GuardError, MailRouteError, ResponseError
from ..operations import Batch, Call, Operation
from .adopt import check_own, other_owner, read_body_op
from .detailuri import has_dot_segments
from .resourceclasses import UNREACHABLE, ResourceClasses

__all__ = ["Registry"]


class Registry(ResourceClasses):
    """The classes of one client, and what relations need from them."""

    def objects_op(self, values: list[Any], target: str | None = None) -> Operation[list[Any]]:
        """Instances for related values: nested objects as they are, URIs fetched
        (concurrently when there are several). A nested object without a URI
        (`include_resource_uri = False`) is an object of `target`, the field's resource,
        or a plain dict when that resource's schema cannot be had; never dropped."""
        out: list[Any | None] = [None] * len(values)
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

    def _nested_op(self, value: dict[str, Any], target: str | None) -> Operation[Any]:
        """A nested object without a URI, typed from `target`'s schema where it can be had."""
        if target is None:
            return dict(value)
        try:
            cls = yield from self.resource_op(target, listed_only=False)
        except UNREACHABLE:
            return dict(value)
        return cls._from_raw(value) if cls.typed else dict(value)

    def get_op(self, uri: str) -> Operation[Any]:
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

    def schema_op_for_check(self, cls: Any, lookup: str) -> Operation[None]:
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
