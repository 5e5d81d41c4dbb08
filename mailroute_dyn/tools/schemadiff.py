"""What changed between two states of an API's schema (listing and per-resource schemas).

`compare` works on parsed schemas alone, so it serves any two states: the disk cache and
the live server (the `diff` command), two fixture folders, two servers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..client import Client
from ..errors import APIError
from ..escaping import terminal_text
from ..schema.definition import Field, ResourceSchema
from ..vocabulary import rule_label

__all__ = ["SchemaDiff", "compare", "compare_one", "live_schemas"]


@dataclass
class SchemaDiff:
    """Resources added to or removed from the listing, and line-per-change details."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    not_compared: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing added, removed or changed (`not_compared` alone does not count)."""
        return not (self.added or self.removed or self.changed)

    def report(self) -> str:
        """One `+`/`-`/`~` line per change, resources first, for people and for diffs."""
        lines = [f"+ resource {terminal_text(name)}" for name in self.added]
        lines += [f"- resource {terminal_text(name)}" for name in self.removed]
        for name, changes in sorted(self.changed.items()):
            lines.append(f"~ resource {terminal_text(name)}")
            lines += [f"    {terminal_text(change)}" for change in changes]
        return "\n".join(lines)


def _kind(f: Field) -> str:
    if f.is_related:
        return f"{f.related_type} {f.related_resource or ''}".strip()
    return f.type


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
        was = rule_label(old.filtering[name]) if name in old.filtering else None
        now = rule_label(new.filtering[name]) if name in new.filtering else None
        if was != now:
            out.append(f"~ filtering {name}: {was or '(none)'} -> {now or '(none)'}")
    out += _set_change("ordering", old.ordering, new.ordering)
    out += _set_change("list methods", old.allowed_list_methods, new.allowed_list_methods)
    out += _set_change("detail methods", old.allowed_detail_methods, new.allowed_detail_methods)
    if old.default_limit != new.default_limit:
        out.append(f"~ default limit: {old.default_limit} -> {new.default_limit}")
    return out


def compare(
    old_listing: Iterable[str],
    old: Mapping[str, ResourceSchema],
    new_listing: Iterable[str],
    new: Mapping[str, ResourceSchema],
) -> SchemaDiff:
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


def live_schemas(client: Client, cached: Iterable[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The live listing and raw schemas: listed ones plus `cached` unlisted ones that are
    still reachable (a resource dropped from the listing may still answer). Read through
    the client's discovery: give it a client whose cache is memory-only, so the disk cache
    being compared stays as it was."""
    client.preload()
    discovery = client._discovery  # no public accessor for raw schemas yet
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
