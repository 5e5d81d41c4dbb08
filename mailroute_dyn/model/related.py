"""Related objects: the objects behind a relation field, fetched once and kept, and the
fields a list representation left out (`use_in="detail"`), read from the detail once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from ..classes.adopt import clean_read
from ..classes.instances import FROM_LIST
from ..errors import FilterError, MailRouteError
from ..operations import Answer, Call, Operation
from ..schema.definition import Field
from ..vocabulary import NO_DEFAULT
from .metaclass import BaseResourceMeta
from .naming import names_an_object
from .querysets import QuerySet
from .writes import Writes

__all__ = ["RelatedReads"]


class RelatedReads(Writes, metaclass=BaseResourceMeta):
    """The part of `Resource` that reads beyond the representation it holds."""

    __slots__ = ()
    _omitted: ClassVar[set[str]]

    if TYPE_CHECKING:  # Resource defines it

        def get_raw(self, key: str, default: Any = None) -> Any: ...

    def _related_value(self, f: Field) -> Any:
        """The typed view of relation field `f`: the related object(s), fetched once."""
        if f.name in self._related:
            return self._related[f.name]
        change = self._changes.get(f.name, NO_DEFAULT)
        if _holds_a_name(change) and not self._session.is_async:
            self._session.run(self._resolve_names_op())  # `acct.domain = "acme.com"`
            change = self._changes[f.name]
        if isinstance(change, Writes) or (
            isinstance(change, list) and all(isinstance(c, Writes) for c in change)
        ):
            return change
        if self._session.is_async:
            raw = self.get_raw(f.name)
            if raw is None or raw == []:
                return raw
            raise MailRouteError(
                f"{type(self).__name__}.{f.name} is not fetched yet; on an AsyncClient use "
                f"'await obj.fetch({f.name!r})'."
            )
        return self._session.run(self._fetch_related(f.name))

    def _read_missing(self, name: str) -> None:
        """A field the schema has but a list representation lacks (`use_in="detail"`):
        read the object's detail once rather than report the field as None."""
        if self.resource_uri is None:
            return
        if self._session.is_async:
            raise MailRouteError(
                f"{type(self).__name__}.{name} is not in the list representation this "
                "object was read from; on an AsyncClient use 'await obj.refresh()' first."
            )
        self._session.run(self._fill_op())
        if name not in self._raw:
            # the detail lacks it too (a server that omits fields, a list-only field):
            # other objects of this class are not read again for it
            type(self)._omitted.add(name)

    def _fill_op(self) -> Operation[None]:
        """Add what the detail representation has and the list one lacked."""
        answer: Answer = yield Call("GET", self._detail())
        if isinstance(answer.body, dict):
            found = {
                k: v for k, v in clean_read(type(self), answer.body).items() if k not in self._raw
            }
            self._raw = {**self._raw, **found}
            self._snapshot = {**(self._snapshot or {}), **found}
        self._related.pop(FROM_LIST, None)
        return None

    def _fetch_related(self, name: str) -> Operation[Any]:
        f = type(self).fields.get(name)
        if f is None or not f.is_related:
            raise AttributeError(f"{type(self).__name__} has no related field {name!r}.")
        if name in self._related:
            return self._related[name]
        raw = self.get_raw(name)
        target = self._catalogue.target_of(type(self)._schema, f)  # for objects without URI
        if raw is None:
            value: Any = None
        elif f.related_type == "to_many" and isinstance(raw, list):
            value = yield from self._registry.objects_op(raw, target)
        else:
            value = (yield from self._registry.objects_op([raw], target))[0]
        self._related[name] = value
        return value

    def related(self, resource: str, via: str | None = None) -> QuerySet[Any]:
        """The objects of `resource` whose related field points at this object, as a
        QuerySet: `dom.related("email_account")` is Django's `dom.email_account_set`.
        `via` names that field when several point here. Lazy: nothing is sent until the
        QuerySet is used (an AsyncClient needs the class loaded: `await client.preload()`)."""
        if self.resource_uri is None and self.pk is None:
            raise FilterError(
                f"This {type(self).resource_name} is not saved yet: no "
                "object of another resource can point at it."
            )
        target = self._registry.class_named(resource)
        field = _pointing_field(target, type(self), via)
        return cast("QuerySet[Any]", target.filter(**{field: self}))


def _holds_a_name(change: Any) -> bool:
    """Whether a related field's unsaved value names an object still to look up."""
    items = change if isinstance(change, list | tuple) else [change]
    return any(names_an_object(item) for item in items)


def _pointing_field(target: Any, own: Any, via: str | None) -> str:
    """The field of `target` that points at resource `own` (`via` when given)."""
    related = [f for f in target.fields.values() if f.is_related]
    pointing: list[str] = [
        f.name for f in related if own._catalogue.target_of(target._schema, f) == own.resource_name
    ]
    if not pointing and any(own._catalogue.target_of(target._schema, f) is None for f in related):
        if not own._session.is_async:  # old schemas name no targets: one sample read
            own._session.run(own._catalogue.learn_targets_op(target))
        pointing = [
            f.name
            for f in related
            if own._catalogue.target_of(target._schema, f) == own.resource_name
        ]
    if via is not None:
        if via not in pointing:
            raise FilterError(
                f"{target.resource_name}.{via} does not point at "
                f"{own.resource_name}. Fields that do: "
                f"{', '.join(pointing) or 'none'}."
            )
        return via
    if len(pointing) != 1:
        what = (
            f"several fields of {target.resource_name} point at {own.resource_name} "
            f"({', '.join(pointing)}): name one with via=..."
            if pointing
            else f"no field of {target.resource_name} points at {own.resource_name}"
        )
        raise FilterError(
            f"{what}. Its related fields: {', '.join(f.name for f in related) or 'none'}."
        )
    return pointing[0]
