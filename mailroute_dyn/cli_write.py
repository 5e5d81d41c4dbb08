"""The writing commands: `create`, `update` and `delete`.

Values are typed by the schema before anything is sent (see cli_values); the library then
validates the write against the resource's JSON Schema, as it does for any caller.
"""

from __future__ import annotations

import sys
from typing import Any

from .cli_context import Context, UsageError
from .cli_read import fetch_one, show
from .cli_values import TargetOf, convert_values, read_data, split_assignments
from .graph import relation_targets
from .resources import Resource
from .schema import Field

__all__ = ["cmd_create", "cmd_update", "cmd_delete"]


def _target_of(ctx: Context, cls: type[Resource]) -> TargetOf:
    """Where related fields point, learned (one sample request) only when a key needs it."""
    known: dict[str, str | None] = {}

    def target(f: Field) -> str | None:
        if not known:
            known.update(relation_targets(ctx.client, cls))
        return known.get(f.name)
    return target


def _values(ctx: Context, cls: type[Resource]) -> dict[str, Any]:
    """`--data` first, then `field=value` pairs on top of it."""
    data = read_data(ctx.args.data)
    given = split_assignments(ctx.args.values)
    if not data and not given:
        raise UsageError(f"nothing to write: give field=value pairs or --data "
                         f"(fields of {cls.resource_name}: {', '.join(sorted(cls.fields))})")
    data.update(convert_values(cls, given, _target_of(ctx, cls), ctx.client.settings.api_path))
    return data


def cmd_create(ctx: Context) -> int:
    """POST a new object; prints it as the server answered."""
    cls = ctx.resource(ctx.args.resource)
    obj = cls.create(**_values(ctx, cls))
    show(ctx, obj)
    return 0


def cmd_update(ctx: Context) -> int:
    """Change some fields of one object (PATCH where allowed, else a no-wipe PUT)."""
    cls = ctx.resource(ctx.args.resource)
    values = _values(ctx, cls)
    obj = fetch_one(ctx, cls, ctx.args.key)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save()
    show(ctx, obj)
    return 0


def _confirm(ctx: Context, question: str) -> bool:
    ctx.err.write(f"{question} [y/N] ")
    ctx.err.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def cmd_delete(ctx: Context) -> int:
    """DELETE one object, after a y/N question unless --yes."""
    if not ctx.args.yes and not sys.stdin.isatty():
        raise UsageError("refusing to delete without confirmation: stdin is not a terminal; "
                         "pass --yes to delete anyway")
    cls = ctx.resource(ctx.args.resource)
    obj = fetch_one(ctx, cls, ctx.args.key)
    label = obj.resource_uri or f"{cls.resource_name} {ctx.args.key}"
    if not ctx.args.yes and not _confirm(ctx, f"Delete {label} ({obj!r})?"):
        ctx.note("not deleted")
        return 1
    obj.delete()
    print(f"deleted {label}", file=ctx.out)
    return 0
