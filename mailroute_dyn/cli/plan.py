"""`--dry-run` on create, update and delete: what the command would send, worked out with
the reads it needs (lookups, matches, current values) and no write at all.

One line per changed field, `PATCH /api/v1/email_account/5/ priority: 3 → 9` (a create
names each field it would send, a delete its object), rows refused by the schema as
`row N: <why>`, then a summary: `would create 40, update 12, leave 382 unchanged,
delete 0`.
"""

from __future__ import annotations

from typing import Any

from ..errors import GuardError, MethodNotAllowed, ValidationError
from ..escaping import terminal_text
from ..model.rerun import key_lookup
from ..model.resources import Resource
from .context import Context

__all__ = ["plan_create", "plan_update", "plan_delete"]


def _say(ctx: Context, line: str) -> None:
    """One plan line: a server's names and values in it cannot drive the terminal."""
    print(terminal_text(line), file=ctx.out)


def _summary(
    ctx: Context,
    create: int = 0,
    update: int = 0,
    unchanged: int = 0,
    delete: int = 0,
    refused: int = 0,
) -> int:
    tail = f", {refused} refused" if refused else ""
    _say(
        ctx,
        f"would create {create}, update {update}, leave {unchanged} unchanged, "
        f"delete {delete}{tail}",
    )
    return 1 if refused else 0


def _refused(ctx: Context, number: int, exc: Exception) -> None:
    _say(ctx, f"row {number}: {ctx.mask(str(exc))}")


def plan_create(
    ctx: Context,
    cls: type[Resource],
    rows: list[dict[str, Any]],
    key: tuple[str, ...] = (),
    on_conflict: str | None = None,
) -> int:
    """The POST of each row, field by field; rows the schema refuses are named. With a
    `key`, each row is looked up first: one found is left alone (`skip`) or planned as
    an update of the fields that differ (`update`)."""
    model: Any = cls
    counts = {"create": 0, "update": 0, "unchanged": 0, "refused": 0}
    for number, row in enumerate(rows, 1):
        try:
            obj: Any = cls(**row)
            body = obj._encoded_changes()
            model._validate(body, creating=True, explicit_readonly=obj._changes)
        except (ValidationError, GuardError, MethodNotAllowed, AttributeError) as exc:
            _refused(ctx, number, exc)
            counts["refused"] += 1
            continue
        found = (
            cls.filter(
                **dict(key_lookup(cls, name, body[name]) for name in key if name in body)
            ).first()
            if key
            else None
        )
        if found is not None:
            rest = {n: v for n, v in row.items() if n not in key}
            if on_conflict == "skip" or plan_update(ctx, cls, [found], rest, quiet=True):
                counts["unchanged"] += 1
            else:
                counts["update"] += 1
            continue
        counts["create"] += 1
        suffix = f"  (row {number})" if len(rows) > 1 else ""
        for name, value in sorted(body.items()):
            _say(ctx, f"POST {model._list_url} {name}: {value!r}{suffix}")
    return _summary(
        ctx,
        create=counts["create"],
        update=counts["update"],
        unchanged=counts["unchanged"],
        refused=counts["refused"],
    )


def plan_update(
    ctx: Context,
    cls: type[Resource],
    objects: list[Resource],
    values: dict[str, Any],
    *,
    quiet: bool = False,
) -> int:
    """For each object, the fields whose value would change, from what to what. With
    `quiet` (one object planned inside a create) no summary: True when it would stay
    unchanged."""
    model: Any = cls
    method = "PATCH" if "patch" in cls.allowed_detail_methods else "PUT"
    changed = unchanged = refused = 0
    for number, obj in enumerate(objects, 1):
        target: Any = obj
        try:
            for name, value in values.items():
                setattr(target, name, value)
            body = target._encoded_changes()
            model._validate(body, creating=False)
        except (ValidationError, GuardError, AttributeError) as exc:
            _refused(ctx, number, exc)
            refused += 1
            continue
        diffs = {n: (target._raw.get(n), v) for n, v in body.items() if target._raw.get(n) != v}
        if not diffs:
            unchanged += 1
            continue
        changed += 1
        for name, (old, new) in sorted(diffs.items()):
            _say(ctx, f"{method} {obj.resource_uri} {name}: {old!r} → {new!r}")
    if quiet:
        return int(unchanged == len(objects))
    return _summary(ctx, update=changed, unchanged=unchanged, refused=refused)


def plan_delete(ctx: Context, cls: type[Resource], objects: list[Resource]) -> int:
    """The DELETE of each object."""
    for obj in objects:
        _say(ctx, f"DELETE {obj.resource_uri}")
    return _summary(ctx, delete=len(objects))
