"""The operations behind the class shortcuts and custom actions: `Domain.get(5)` by key
or lookups, `Domain.create(...)`, `Domain.bulk_delete(keys)`, `obj.action("move")`.
Arguments are checked and the operation built here, without any I/O; the sync or the
async sibling (metaclass.py, resources.py) runs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import GuardError
from ..operations import NO_BODY, Answer, Call, Operation
from ..query.queryset import BaseQuerySet
from ..schema.conversions import encode_write_value
from .writes import Writes

__all__ = ["get_op", "create_op", "create_obj_op", "objects_of", "action_op"]


def objects_of(cls: Any, items: Iterable[Any]) -> list[Any]:
    """Objects for `bulk_delete()`: instances as given, keys as objects of `cls`."""
    return [
        item if isinstance(item, Writes) else cls._from_raw({"resource_uri": cls.detail_url(item)})
        for item in items
    ]


def get_op(cls: Any, key: Any, lookups: dict[str, Any]) -> Operation[Any]:
    """`get()`'s operation, once its arguments are checked."""
    if key is not None and lookups:
        raise TypeError("Give a key or lookups, not both.")
    if key is None:
        if not lookups:
            raise TypeError("get() needs a key or at least one lookup.")
        return BaseQuerySet(cls)._get_op(lookups)
    op: Operation[Any] = cls._get_op(key)
    return op


def create_op(
    cls: Any,
    dedupe_on: Iterable[str] | None,
    extra: Mapping[str, Any] | None,
    check_required: bool | None,
    values: dict[str, Any],
) -> Operation[Any]:
    """`create()`'s operation, once everything that can be checked is checked."""
    return create_obj_op(cls, dedupe_on, extra, check_required, values)[1]


def create_obj_op(
    cls: Any,
    dedupe_on: Iterable[str] | None,
    extra: Mapping[str, Any] | None,
    check_required: bool | None,
    values: dict[str, Any],
) -> tuple[Any, Operation[Any]]:
    """The new object and `create()`'s operation for it."""
    for option, given in (
        ("dedupe_on", dedupe_on),
        ("extra", extra),
        ("check_required", check_required),
    ):
        if given is not None and option in cls.fields:
            values[option] = given
    dedupe = () if dedupe_on is None or "dedupe_on" in cls.fields else tuple(dedupe_on)
    inputs = {} if extra is None or "extra" in cls.fields else dict(extra)
    required = check_required is not False or "check_required" in cls.fields
    unknown = set(values) - set(cls.fields)
    if unknown and cls.typed:  # raises, naming the unknown fields
        cls._validate(
            cls._encoded_values(values),
            creating=True,
            explicit_readonly=values,
            check_required=required,
        )
    obj = cls(**values)
    op: Operation[Any] = obj._create_op(inputs, dedupe, required)
    return obj, op


_ACTION_NAME = r"[A-Za-z0-9_\-.~]+"  # compiled by `re` on first use


def action_op(
    base: str, name: str, json: Any, method: str, params: Mapping[str, Any] | None
) -> Operation[Any]:
    if not isinstance(name, str) or not re.fullmatch(_ACTION_NAME, name) or not name.strip("."):
        # `.`, `..`, `a/b` or `%2F` would resolve to another URL: `action(".",
        # method="DELETE")` would be a DELETE of the whole list
        raise GuardError(
            f"Not an action name: {name!r}. An action is one plain path "
            "segment (letters, digits, '_', '-', '.', not only dots); use "
            "client.request() for other URLs. Nothing was sent."
        )
    slash = "/" if base.endswith("/") else ""  # the server's own form (slashless APIs)
    url = f"{base.rstrip('/')}/{name}{slash}"
    body = NO_BODY if json is None else encode_write_value(json)
    pairs = tuple((k, str(v)) for k, v in (params or {}).items())
    answer: Answer = yield Call(method.upper(), url, pairs, body)
    return answer.body
