"""The reading commands: `resources`, `schema`, `list` and `get`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..errors import CommandUsageError, suggest
from ..escaping import json_dumps, terminal_text
from ..model.resources import Resource
from ..schema.definition import Field
from ..schema.display import field_flags
from ..tools.graph import relation_targets
from ..vocabulary import NO_DEFAULT
from .context import Context
from .keys import build_query, select_one
from .options import AddCommand, add_format, add_resource, add_select, positive
from .output import RECORD_FORMATS, progress, write_objects, write_record, write_table

__all__ = [
    "register",
    "cmd_resources",
    "cmd_schema",
    "cmd_list",
    "cmd_get",
    "default_columns",
    "show",
]

_RULES = {1: "all terms", 2: "all terms and relations"}


def _methods(methods: tuple[str, ...]) -> str:
    return terminal_text(" ".join(m.upper() for m in methods)) or "-"


def cmd_resources(ctx: Context) -> int:
    """One line per resource: its list and detail methods."""
    names = ctx.client.preload()
    fmt = getattr(ctx.args, "format", "table")
    if fmt != "table":
        records = [
            {
                "resource": name,
                "list_methods": list(ctx.resource(name).allowed_list_methods),
                "detail_methods": list(ctx.resource(name).allowed_detail_methods),
            }
            for name in names
        ]
        write_objects(ctx.out, records, fmt, ["resource", "list_methods", "detail_methods"])
        return 0
    rows = []
    for name in names:
        cls = ctx.resource(name)
        rows.append(
            [name, _methods(cls.allowed_list_methods), _methods(cls.allowed_detail_methods)]
        )
    write_table(ctx.out, ["resource", "list methods", "detail methods"], rows)
    return 0


def _rule_text(rule: Any) -> str:
    if isinstance(rule, int) and rule in _RULES:
        return _RULES[rule]
    if isinstance(rule, list):
        return ", ".join(map(str, rule))
    return str(rule)


def _type_text(f: Field, target: str | None) -> str:
    if not f.is_related:
        return f.type
    return f"{f.related_type} -> {target or '?'}"


def schema_document(cls: type[Resource], targets: dict[str, str | None]) -> dict[str, Any]:
    """The schema as the `--format json` output shows it."""
    fields = {}
    for f in cls.fields.values():
        entry: dict[str, Any] = {
            "type": f.type,
            "python_type": f.python_type,
            "nullable": f.nullable,
            "blank": f.blank,
            "readonly": f.readonly,
            "unique": f.unique,
            "help_text": f.help_text,
        }
        if f.is_related:
            entry["related_type"] = f.related_type
            entry["related_resource"] = targets.get(f.name)
        if f.default is not NO_DEFAULT:
            entry["default"] = f.default
        fields[f.name] = entry
    return {
        "resource": cls.resource_name,
        "list_endpoint": cls.list_endpoint,
        "allowed_list_methods": list(cls.allowed_list_methods),
        "allowed_detail_methods": list(cls.allowed_detail_methods),
        "default_limit": cls.default_limit,
        "fields": fields,
        "filtering": dict(cls.filtering),
        "ordering": list(cls.ordering),
    }


def cmd_schema(ctx: Context) -> int:
    """Fields with their types and flags, then filtering, ordering and methods."""
    cls = ctx.resource(ctx.args.resource)
    targets = relation_targets(ctx.client, cls)
    if ctx.args.format == "json":
        print(json_dumps(schema_document(cls, targets), indent=2), file=ctx.out)
        return 0
    out = ctx.out
    print(terminal_text(f"{cls.resource_name} ({cls.list_endpoint})"), file=out)
    print(f"list methods:   {_methods(cls.allowed_list_methods)}", file=out)
    print(f"detail methods: {_methods(cls.allowed_detail_methods)}", file=out)
    print(f"default limit:  {cls.default_limit}", file=out)
    print(file=out)
    rows = []
    for f in sorted(cls.fields.values(), key=lambda f: f.name):
        default = "" if f.default is NO_DEFAULT else json.dumps(f.default, default=str)
        flags = ", ".join(field_flags(f))
        rows.append([f.name, _type_text(f, targets.get(f.name)), flags, default, f.help_text])
    write_table(out, ["field", "type", "flags", "default", "help"], rows)
    print(file=out)
    print("filtering:" + ("" if cls.filtering else " (none)"), file=out)
    if cls.filtering:
        write_table(
            out,
            ["  field", "terms"],
            [[f"  {k}", _rule_text(v)] for k, v in sorted(cls.filtering.items())],
        )
    print(terminal_text(f"ordering: {', '.join(cls.ordering) or '(none)'}"), file=out)
    return 0


def default_columns(cls: type[Resource]) -> list[str]:
    """The key, then the orderable fields (a schema's own idea of what matters), else the
    first few plain fields."""
    pk = next((f.name for f in cls.fields.values() if f.primary_key), "id")
    chosen = [pk] if pk in cls.fields else []
    orderable = [o for o in cls.ordering if o in cls.fields and o not in chosen]
    if orderable:
        return chosen + orderable[:6]
    plain = [
        f.name
        for f in cls.fields.values()
        if f.name not in chosen and f.name != "resource_uri" and not f.is_related
    ]
    return chosen + plain[:5]


def _columns(ctx: Context, cls: type[Resource]) -> tuple[list[str], bool]:
    """(columns, named by the user)."""
    spec = ctx.args.fields
    if not spec:
        fmt = ctx.args.format
        return (list(cls.fields) if fmt == "csv" else default_columns(cls)), False
    names = [n.strip() for n in spec.split(",") if n.strip()]
    for name in names:
        if name not in cls.fields and name not in ("resource_uri", "id"):
            raise CommandUsageError(
                f"--fields: {cls.resource_name} has no field {name!r}."
                f"{suggest(name, cls.fields)} "
                f"Fields: {', '.join(sorted(cls.fields))}"
            )
    return names, True


def cmd_list(ctx: Context) -> int:
    """Objects of a resource, filtered and ordered by the schema's rules."""
    a = ctx.args
    cls = ctx.resource(a.resource)
    columns, named = _columns(ctx, cls)
    qs = build_query(ctx, cls, a.filter or [], a.order)
    if a.count:  # the number only: one request, no objects
        print(qs.count(), file=ctx.out)
        return 0
    if not a.all:
        qs = qs[: a.limit]
    objects: Iterator[Any] = iter(qs)
    if a.all and ctx.err.isatty():
        total = qs.count()
        page = ctx.client.settings.page_size
        objects = progress(ctx.err, cls.resource_name, total, page, objects)
    raw = (obj.to_dict() for obj in objects)
    if named and a.format in ("json", "jsonl"):
        raw = ({c: data.get(c) for c in columns} for data in raw)
    write_objects(ctx.out, raw, a.format, columns)
    return 0


def show(ctx: Context, obj: Resource) -> None:
    """One object as `--format` and `--fields` ask."""
    data = obj.to_dict()
    if ctx.args.fields:
        names = [n.strip() for n in ctx.args.fields.split(",") if n.strip()]
        data = {n: data.get(n) for n in names}
    write_record(ctx.out, data, ctx.args.format, list(type(obj).fields))


def cmd_get(ctx: Context) -> int:
    """One object by id, URI, natural key or `--filter` (exactly one match)."""
    cls = ctx.resource(ctx.args.resource)
    show(ctx, select_one(ctx, cls))
    return 0


def register(add: AddCommand) -> None:
    """The sub-parsers of resources, schema, list and get."""
    p = add("resources", cmd_resources, "list the resources and their allowed methods")
    add_format(p, RECORD_FORMATS, "table")

    p = add("schema", cmd_schema, "show a resource's fields, filtering, ordering and methods")
    add_resource(p)
    add_format(p, ("table", "json"), "table")

    p = add(
        "list",
        cmd_list,
        "list objects of a resource",
        "List objects, filtered and ordered as the schema allows.\n\n"
        "  mailroute-dyn list domain --filter name__startswith=acme --order -created_at\n"
        "  mailroute-dyn list email_account --filter domain=acme-002.com "
        "--filter localpart__in=info,sales\n"
        "  mailroute-dyn list policy_domain --filter priority__gte=5 --order -priority\n"
        "  mailroute-dyn list email_account --all --format jsonl | jq .localpart",
    )
    add_resource(p)
    p.add_argument(
        "--filter",
        action="append",
        metavar="FIELD__TERM=VALUE",
        help="a filter lookup (repeatable), e.g. localpart__startswith=in; "
        "domain__name=acme-002.com; domain=acme-002.com (a related object "
        "by id or unique name); id__in=1,2,3",
    )
    p.add_argument(
        "--order",
        action="append",
        metavar="[-]FIELD",
        help="order by an orderable field, - for descending (repeatable, or comma-separated)",
    )
    amount = p.add_mutually_exclusive_group()
    amount.add_argument(
        "--limit", type=positive, default=20, metavar="N", help="at most N objects (default 20)"
    )
    amount.add_argument(
        "--all", action="store_true", help="every object (a progress bar on a terminal)"
    )
    amount.add_argument("--count", action="store_true", help="print only how many objects match")
    p.add_argument("--fields", metavar="A,B", help="columns (table, csv) or keys (json)")
    add_format(p, RECORD_FORMATS, "table")

    p = add(
        "get",
        cmd_get,
        "show one object by key, URI, unique name or filter",
        "Show one object.\n\n"
        "  mailroute-dyn get domain 2\n"
        "  mailroute-dyn get domain acme-002.com\n"
        "  mailroute-dyn get email_account --filter localpart=info "
        "--filter domain=acme-002.com",
    )
    add_resource(p)
    add_select(p, None)
    add_format(p, RECORD_FORMATS, "table")
    p.add_argument("--fields", metavar="A,B", help="show only these fields")
