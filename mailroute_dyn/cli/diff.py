"""`diff`: what changed between the schema in the disk cache and the live server.

The live schema is fetched by a second, memory-only client, so the cache file stays as it
was while the comparison runs; afterwards it is replaced by the live schema (unless
`--no-update`), so the next `diff` reports only what changes after this one. Exit status:
1 when something changed, 0 when nothing did or there was no cached schema to compare
with (the live one then becomes the baseline).
"""

from __future__ import annotations

import time

from ..errors import CommandUsageError
from ..schema.definition import parse_schema
from ..tools.schemadiff import SchemaDiff, compare, live_schemas
from ..transport.cache_files import DiskCache
from .context import Context
from .options import AddCommand

__all__ = ["register", "cmd_diff"]


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _diff_files(ctx: Context, old: str, new: str) -> int:
    """Two OpenAPI documents written by `openapi`, compared as schemas are."""
    from ..tools.openapi import compare_openapi, load_openapi

    diff = compare_openapi(load_openapi(old), load_openapi(new))
    return _report(ctx, diff, f"{new} against {old}", f"no schema in {old}")


def _report(ctx: Context, diff: SchemaDiff, where: str, missing: str) -> int:
    """The diff on stdout, what could not be compared on stderr; the exit code."""
    if diff.empty:
        print(f"no changes: {where}", file=ctx.out)
    else:
        print(f"schema changes: {where}", file=ctx.out)
        print(diff.report(), file=ctx.out)
    if diff.not_compared:
        ctx.note(f"not compared ({missing}): {', '.join(diff.not_compared)}")
    return 0 if diff.empty else 1


def cmd_diff(ctx: Context) -> int:
    """Compare the cached schema with the live one (or two OpenAPI files); exit 1 when
    they differ."""
    files = ctx.args.files or []
    if files:
        if len(files) != 2:
            raise CommandUsageError("diff takes two OpenAPI files (OLD NEW), or none")
        return _diff_files(ctx, files[0], files[1])
    if ctx.demo or ctx.args.no_cache:
        why = "the demo server keeps none" if ctx.demo else "--no-cache"
        ctx.note(f"no cached schema to compare with ({why}): nothing compared")
        return 0
    settings = ctx.client.settings
    disk = DiskCache(settings)
    payload = disk.load()
    live_client = ctx.make_client(cache_dir=None)
    try:
        old_raw = dict((payload or {}).get("schemas") or {})
        listing, schemas = live_schemas(live_client, old_raw)
    finally:
        live_client.close()
    api_path = settings.api_path
    if not payload:
        ctx.note(f"no cached schema at {disk.path}: nothing to compare with")
        code = 0
    else:
        old = {n: parse_schema(n, s, api_path) for n, s in old_raw.items()}
        new = {n: parse_schema(n, s, api_path) for n, s in schemas.items()}
        diff = compare(payload.get("listing") or {}, old, listing, new)
        saved = float(payload.get("saved_at", 0))
        where = f"{settings.api_url} against the cache of {_age(time.time() - saved)} ago"
        code = _report(ctx, diff, where, "no cached schema")
    if not ctx.args.no_update and disk.path is not None:
        disk.save(listing, schemas, time.time())
        if code or not payload:
            ctx.note(f"the cache now holds the live schema: {disk.path}")
    return code


def register(add: AddCommand) -> None:
    """The sub-parsers of diff."""
    p = add(
        "diff",
        cmd_diff,
        "compare the cached schema with the live one",
        "Compare the schema in the disk cache with the live one: resources and fields\n"
        "added or removed, changes of type, flags, filtering, ordering and methods.\n"
        "Exit 1 when something changed, 0 when not (or when nothing was cached).\n"
        "Afterwards the cache holds the live schema, unless --no-update.\n"
        "Given two files written by `openapi` (OLD.json NEW.json), compares those.",
    )
    p.add_argument(
        "files",
        nargs="*",
        metavar="OPENAPI_FILE",
        help="two documents written by `openapi` (OLD NEW) to compare instead",
    )
    p.add_argument("--no-update", action="store_true", help="leave the cache file as it was")
