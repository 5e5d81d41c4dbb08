"""A QuerySet's filter, ordering and update checks against the schema of the class it
yields, as functions over the class's data (its schema, catalogue and registry, below
the query): a schema that came from a cache is read again once when it refuses a name,
since the server may have grown that field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from ..classes.validation import foreign_value
from ..errors import FilterError, MailRouteError, OrderingError
from ..operations import Operation
from ..schema.rules import FilterCheck, check_filter, check_method, check_ordering

__all__ = ["filter_check", "order_check", "update_check", "finish_filters_op", "refreshed_for"]

_Checked = TypeVar("_Checked")


def filter_check(model: Any, lookup: str, value: Any) -> FilterCheck:
    """`lookup=value` checked against `model`'s schema (and its relations' schemas)."""
    refused = getattr(model, "_unfilterable", "")  # (client.list(uri): no schema to check)
    if refused:
        raise MailRouteError(refused)
    catalogue = model._catalogue
    return _with_one_reread(
        model,
        lookup.split("__", 1)[0],
        FilterError,
        lambda: check_filter(
            model._schema,
            lookup,
            value,
            catalogue.loaded_schema,
            catalogue.target_of,
            partial(foreign_value, catalogue),
        ),
    )


def order_check(model: Any, key: str) -> str:
    """`order_by(key)` checked against `model`'s schema."""
    return _with_one_reread(
        model,
        key.lstrip("-").split("__", 1)[0],
        OrderingError,
        lambda: check_ordering(model._schema, key),
    )


def update_check(model: Any, fields: Mapping[str, Any]) -> None:
    """Refuse, before anything is read, an update of `fields` the schema would not
    take: the detail method a save sends, and the values as they would go out."""
    detail = model._schema.allowed_detail_methods
    check_method(model._schema, "patch" if "patch" in detail else "put", detail=True)
    model._validate(model._encoded_values(fields), creating=False)


def _with_one_reread(
    model: Any, name: str, refusal: type[MailRouteError], check: Callable[[], _Checked]
) -> _Checked:
    """`check()`; when it refuses `name` and the schema came from a cache, read the
    schema again and check once more. The second check runs after the handler, not
    inside it, so a refusal is one exception with no "During handling" chain."""
    try:
        return check()
    except refusal as exc:
        first = exc
    if not refreshed_for(model, name):
        raise first
    return check()


def refreshed_for(model: Any, name: str) -> bool:
    """Read a schema that came from a cache again, once, when the caller names a field
    (`name`) it does not know or allow: the server may have grown it since."""
    return bool(model.typed and model._registry.reread_schema(model))


def finish_filters_op(model: Any, checks: tuple[FilterCheck, ...]) -> Operation[None]:
    """Before a QuerySet runs: load the schemas its relation filters pass through and
    check those filters again, until each is checked or its target stays unknown (the
    server then judges)."""
    for check in checks:
        pending = check.pending
        while pending is not None:
            target, _rest, _term = pending
            if not target:
                yield from model._catalogue.learn_targets_op(model)
            yield from model._registry.schema_op_for_check(model, check.param)
            # checked again with the value as given: an object keeps its resource
            again = filter_check(
                model, check.param, check.value if check.given is None else check.given
            )
            if again.pending == pending:
                break  # the target stays unknown: the server will judge
            pending = again.pending
    return None
