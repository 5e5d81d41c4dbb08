"""`diff`: what changed between the schema in the disk cache and the live server.

The live schema is fetched by a second, memory-only client, so the cache file stays as it
was while the comparison runs; afterwards it is replaced by the live schema (unless
`--no-update`), so the next `diff` reports only what changes after this one. Exit status:
1 when something changed, 0 when nothing did or there was no cached schema to compare
with (the live one then becomes the baseline).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..client import Client
from ..discovery import DiskCache
from ..errors import APIError
from ..schema import Field, ResourceSchema, parse_schema
from .context import Context

__all__ = ["SchemaDiff", "compare", "cmd_diff"]


@dataclass
class SchemaDiff:
    """Resources added to or removed from the listing, and line-per-change details."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    not_compared: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def report(self) -> str:
        lines = [f"+ resource {name}" for name in self.added]
        lines += [f"- resource {name}" for name in self.removed]
        for name, changes in sorted(self.changed.items()):
            lines.append(f"~ resource {name}")
            lines += [f"    {change}" for change in changes]
        return "\n".join(lines)


def _kind(f: Field) -> str:
    if f.is_related:
        return f"{f.related_type} {f.related_resource or ''}".strip()
    return f.type


def _rule(rule: Any) -> str:
    if rule == 1:
        return "ALL"
    if rule == 2:
        return "ALL_WITH_RELATIONS"
    if isinstance(rule, list):
        return ", ".join(sorted(map(str, rule))) or "(no terms)"
    return str(rule)


def _set_change(label: str, old: Iterable[str], new: Iterable[str]) -> list[str]:
    old_set, new_set = set(old), set(new)
    parts = [f"+{x}" for x in sorted(new_set - old_set)]
    parts += [f"-{x}" for x in sorted(old_set - new_set)]
    return [f"~ {label}: {' '.join(parts)}"] if parts else []


def _field_changes(old: Field, new: Field) -> list[str]:
    out = []
    if _kind(old) != _kind(new):
        out.append(f"~ field {new.name}: type {_kind(old)} -> {_kind(new)}")
    for flag in ("nullable", "blank", "readonly", "unique"):
        was, now = getattr(old, flag), getattr(new, flag)
        if was != now:
            out.append(f"~ field {new.name}: {'now' if now else 'no longer'} {flag}")
    return out


def compare_one(old: ResourceSchema, new: ResourceSchema) -> list[str]:
    """Readable changes between two schemas of one resource."""
    out = []
    for name in sorted(set(new.fields) - set(old.fields)):
        out.append(f"+ field {name} ({_kind(new.fields[name])})")
    for name in sorted(set(old.fields) - set(new.fields)):
        out.append(f"- field {name}")
    for name in sorted(set(old.fields) & set(new.fields)):
        out += _field_changes(old.fields[name], new.fields[name])
    for name in sorted(set(old.filtering) | set(new.filtering)):
        was = _rule(old.filtering[name]) if name in old.filtering else None
        now = _rule(new.filtering[name]) if name in new.filtering else None
        if was != now:
            out.append(f"~ filtering {name}: {was or '(none)'} -> {now or '(none)'}")
    out += _set_change("ordering", old.ordering, new.ordering)
    out += _set_change("list methods", old.allowed_list_methods, new.allowed_list_methods)
    out += _set_change("detail methods", old.allowed_detail_methods,
                       new.allowed_detail_methods)
    if old.default_limit != new.default_limit:
        out.append(f"~ default limit: {old.default_limit} -> {new.default_limit}")
    return out


def compare(old_listing: Iterable[str], old: Mapping[str, ResourceSchema],
            new_listing: Iterable[str], new: Mapping[str, ResourceSchema]) -> SchemaDiff:
    """The difference between two (listing, schemas) states."""
    was, now = set(old_listing), set(new_listing)
    diff = SchemaDiff(added=sorted(now - was), removed=sorted(was - now))
    for name in sorted(set(old) | (was & now)):
        if name not in old or name not in new:
            if name in now and name not in old:
                diff.not_compared.append(name)
            continue
        changes = compare_one(old[name], new[name])
        if changes:
            diff.changed[name] = changes
    return diff


def _live(client: Client, cached: Iterable[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The live listing and raw schemas: listed ones plus `cached` unlisted ones that are
    still reachable. Read through the client's discovery, whose caches are memory-only."""
    client.preload()
    discovery = client._discovery      # no public accessor for raw schemas yet
    listing = dict(discovery.cached_listing() or {})
    schemas = {name: discovery.cached_schema(name) for name in listing}
    api_path = client.settings.api_path
    for name in cached:
        if name not in listing:
            try:
                schemas[name] = client.request("GET", f"{api_path}{name}/schema/")
            except APIError:
                pass
    return listing, {k: v for k, v in schemas.items() if isinstance(v, dict)}


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def cmd_diff(ctx: Context) -> int:
    """Compare the cached schema with the live one; exit 1 when they differ."""
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
        listing, schemas = _live(live_client, old_raw)
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
        if diff.empty:
            print(f"no changes: {where}", file=ctx.out)
        else:
            print(f"schema changes: {where}", file=ctx.out)
            print(diff.report(), file=ctx.out)
        if diff.not_compared:
            ctx.note(f"not compared (no cached schema): {', '.join(diff.not_compared)}")
        code = 0 if diff.empty else 1
    if not ctx.args.no_update and disk.path is not None:
        disk.save(listing, schemas, time.time())
        if code or not payload:
            ctx.note(f"the cache now holds the live schema: {disk.path}")
    return code
