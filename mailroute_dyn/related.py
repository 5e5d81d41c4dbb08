"""Related objects: the objects behind a relation field, fetched once and kept, and the
fields a list representation left out (`use_in="detail"`), read from the detail once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .errors import MailRouteError
from .metaclass import ResourceMeta
from .operations import Answer, Call, Operation
from .pagebuild import _FROM_LIST
from .schema import NO_DEFAULT, Field
from .writes import Writes, _clean_read

__all__ = ["RelatedReads"]


class RelatedReads(Writes, metaclass=ResourceMeta):
    """The part of `Resource` that reads beyond the representation it holds."""

    __slots__ = ()
    _omitted: ClassVar[set[str]]

    if TYPE_CHECKING:                   # Resource defines it
        def get_raw(self, key: str, default: Any = None) -> Any: ...

    def _related_value(self, f: Field) -> Any:
        """The typed view of relation field `f`: the related object(s), fetched once."""
        if f.name in self._related:
            return self._related[f.name]
        change = self._changes.get(f.name, NO_DEFAULT)
        if isinstance(change, Writes) or (
                isinstance(change, list) and all(isinstance(c, Writes) for c in change)):
            return change
        if self._registry.is_async:
            raw = self.get_raw(f.name)
            if raw is None or raw == []:
                return raw
            raise MailRouteError(
                f"{type(self).__name__}.{f.name} is not fetched yet; on an AsyncClient use "
                f"'await obj.fetch({f.name!r})'.")
        return self._registry.run(self._fetch_related(f.name))

    def _read_missing(self, name: str) -> None:
        """A field the schema has but a list representation lacks (`use_in="detail"`):
        read the object's detail once rather than report the field as None."""
        if self.resource_uri is None:
            return
        if self._registry.is_async:
            raise MailRouteError(
                f"{type(self).__name__}.{name} is not in the list representation this "
                "object was read from; on an AsyncClient use 'await obj.refresh()' first.")
        self._registry.run(self._fill_op())
        if name not in self._raw:
            # the detail lacks it too (a server that omits fields, a list-only field):
            # other objects of this class are not read again for it
            type(self)._omitted.add(name)

    def _fill_op(self) -> Operation[None]:
        """Add what the detail representation has and the list one lacked."""
        answer: Answer = yield Call("GET", self._detail())
        if isinstance(answer.body, dict):
            found = {k: v for k, v in _clean_read(type(self), answer.body).items()
                     if k not in self._raw}
            self._raw = {**self._raw, **found}
            self._snapshot = {**(self._snapshot or {}), **found}
        self._related.pop(_FROM_LIST, None)
        return None

    def _fetch_related(self, name: str) -> Operation[Any]:
        f = type(self).fields.get(name)
        if f is None or not f.is_related:
            raise AttributeError(f"{type(self).__name__} has no related field {name!r}.")
        if name in self._related:
            return self._related[name]
        raw = self.get_raw(name)
        target = self._registry.target_of(type(self)._schema, f)   # for objects without URI
        if raw is None:
            value: Any = None
        elif f.related_type == "to_many" and isinstance(raw, list):
            value = yield from self._registry.objects_op(raw, target)
        else:
            value = (yield from self._registry.objects_op([raw], target))[0]
        self._related[name] = value
        return value

    def fetch(self, name: str) -> Any:
        """The related object(s) behind field `name`, fetched once (await it when async)."""
        return self._registry.run(self._fetch_related(name))

