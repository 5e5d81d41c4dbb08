"""Re-runs that do the right thing: a create keyed by natural fields finds the row it
would duplicate (`on_conflict="skip"` reports it `exists`, `"update"` brings it to the
row's values: `updated`, or `unchanged` when it already holds them), an update with
nothing to change sends nothing, and a delete may find its object already gone.

Operations over a resource class and its objects, as in `bulk` (nothing is sent here).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from ..errors import NotFound, ValidationError
from ..operations import Operation
from ..schema.conversions import looks_like_uri
from .getorcreate import get_or_create_op

__all__ = [
    "keyed_create_op",
    "check_key",
    "has_nothing_to_send",
    "missing_ok_op",
    "key_lookup",
    "ON_CONFLICT",
    "Became",
]


class Became(NamedTuple):
    """What a row's operation returns when it knows what became of the row better than
    its bulk call does (a keyed create that found the row, a delete that found it gone)."""

    kind: str


ON_CONFLICT = ("skip", "update")

# an instance's state, as the model object keeps it (resources.Resource)
_STATE = ("_raw", "_changes", "_related", "_snapshot", "_deleted", "_unread")


def check_key(cls: Any, key: Iterable[str], on_conflict: str | None, body: dict[str, Any]) -> None:
    """Refuse, before anything is sent, a key this row cannot be looked up by."""
    if on_conflict not in ON_CONFLICT:
        raise ValidationError(
            f"{cls.resource_name}: on_conflict must be 'skip' or 'update', not {on_conflict!r}", {}
        )
    missing = [name for name in key if name not in body]
    if missing:
        raise ValidationError(
            f"{cls.resource_name}: key names {missing}, which this row does not set",
            {cls.resource_name: {name: ["Needed by the key."] for name in missing}},
        )


def keyed_create_op(
    cls: Any,
    obj: Any,
    key: tuple[str, ...],
    on_conflict: str,
    extra: dict[str, Any],
    check_required: bool,
) -> Operation[Became]:
    """get_or_create (`skip`) or update_or_create (`update`) of one row by its key
    fields; the row object takes on the server's object either way."""
    values = dict(obj._changes)
    lookups = dict(key_lookup(cls, name, values[name]) for name in key)
    rest = {name: value for name, value in values.items() if name not in lookups}
    found, created = yield from get_or_create_op(cls, lookups, rest, False, extra, check_required)
    rest = {name: value for name, value in values.items() if name not in key}
    kind = "created" if created else "exists"
    if not created and on_conflict == "update":
        for name, value in rest.items():
            found._set(name, value)
        if has_nothing_to_send(found):
            found._changes.clear()
            kind = "unchanged"
        else:
            yield from found._save_op({}, False)
            kind = "updated"
    for name in _STATE:  # through its __setattr__: its attribute view follows
        setattr(obj, name, getattr(found, name))
    return Became(kind)


def key_lookup(cls: Any, name: str, value: Any) -> tuple[str, Any]:
    """A key field as a filter takes it: a related object given by its URI (as rows
    from a file give it) is filtered by its key, the URI's last segment (`__exact`, so
    the create still sends the URI)."""
    f = cls.fields.get(name)
    if f is not None and f.is_related and looks_like_uri(value):
        return f"{name}__exact", value.rstrip("/").rsplit("/", 1)[-1]
    return name, value


def has_nothing_to_send(obj: Any) -> bool:
    """Whether every change the object holds equals what the server already has."""
    raw = obj._raw
    return all(name in raw and raw[name] == value for name, value in obj._encoded_changes().items())


def missing_ok_op(op: Operation[Any]) -> Operation[Any]:
    """A delete that finds its object gone is `gone`, not a failure."""
    try:
        return (yield from op)
    except NotFound:
        return Became("gone")
