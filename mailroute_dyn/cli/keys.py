"""Finding objects from the command line without knowing their ids.

A related value or a key may be given by a natural key (`domain=acme-002.com`): when the
target resource has a unique field that can be filtered on, the object is looked up by it
(else the text goes into the detail URL, as MailRoute's `/email_account/<email>/` expects).
A value that finds nothing is refused before anything is written, naming the value, so a
cron job never sees a bare 404 from its write.

`get`, `update` and `delete` take `--filter` instead of a key: one match is required,
unless the command allows several (`--all`).
"""

from __future__ import annotations

from typing import Any

from ..errors import CommandFailed, CommandUsageError, DoesNotExist, NoMatchingObject
from ..model.naming import natural_key_fields
from ..model.querysets import QuerySet
from ..model.resources import Resource
from ..schema.definition import Field
from ..tools.graph import relation_targets
from .context import Context
from .values import convert_filter_value

__all__ = [
    "Related",
    "find_by_key",
    "build_query",
    "select_one",
    "selection",
    "describe_filters",
    "fetch_by_key",
]


def find_by_key(cls: type[Resource], text: str, where: str) -> Resource:
    """The object of `cls` that `text` names: by a natural key field, else by the text as
    its detail key. Nothing found, or several, is a `CommandUsageError` naming the value."""
    candidates = natural_key_fields(cls)
    for name in candidates:
        found = list(cls.all().filter(**{name: text})[:2])
        if len(found) == 1:
            return found[0]
        if found:
            raise CommandUsageError(
                f"{where}: several {cls.resource_name} objects have {name}={text!r}"
            )
    try:
        return cls.get(text)
    except DoesNotExist:
        by = " or ".join(candidates + ["key"])
        raise NoMatchingObject(f"{where}: no {cls.resource_name} has {by} {text!r}") from None


class Related:
    """Turns the text given for a related field into a URI (writes) or a key (filters),
    looking natural keys up once per run."""

    def __init__(self, ctx: Context, cls: type[Resource]):
        self.ctx, self.cls = ctx, cls
        self._targets: dict[str, str | None] | None = None
        self._found: dict[tuple[str, str], Resource] = {}
        self.given: list[tuple[str, str, str]] = []  # (where, text, URI) by id, unchecked

    def target(self, f: Field) -> type[Resource] | None:
        """The class a related field points at (one sample request when the schema does
        not say)."""
        if self._targets is None:
            self._targets = relation_targets(self.ctx.client, self.cls)
        name = self._targets.get(f.name) or f.related_resource
        return self.ctx.resource(name) if name else None

    def _lookup(self, f: Field, text: str, where: str) -> Resource:
        target = self._needed_target(f, text, where)
        key = (target.resource_name, text)
        if key not in self._found:
            self._found[key] = find_by_key(target, text, f"{where}={text}")
        return self._found[key]

    def _needed_target(self, f: Field, text: str, where: str) -> type[Resource]:
        target = self.target(f)
        if target is None:
            api_path = self.ctx.client.settings.api_path
            raise CommandUsageError(
                f"{where}: the resource this field points at is not known, so "
                f"give a URI (e.g. {api_path}<resource>/{text}/), not a key"
            )
        return target

    def uri(self, f: Field, text: str, where: str) -> str:
        """The URI for `field=text` on a write: digits are the target's key as given,
        anything else a natural key looked up first."""
        if text.isdigit():
            uri = self._needed_target(f, text, where).detail_url(text)
            self.given.append((where, text, uri))
            return uri
        found = self._lookup(f, text, where).resource_uri
        if not found:
            raise CommandUsageError(f"{where}={text}: the object found has no resource_uri")
        return found

    def key(self, f: Field, text: str, where: str) -> str:
        """The key for `--filter field=text`: digits as given, a natural key looked up."""
        if text.isdigit() or self.target(f) is None:
            return text
        return str(self._lookup(f, text, where).pk)


def describe_filters(filters: list[str]) -> str:
    """The filters as typed, for messages that say what matched."""
    return " ".join(f"--filter {item}" for item in filters)


def build_query(
    ctx: Context, cls: type[Resource], filters: list[str], order: list[str] | None = None
) -> QuerySet[Resource]:
    """A QuerySet from `--filter` and `--order` words, values typed by the schema and
    natural keys of related fields looked up."""
    qs = cls.all()
    related = Related(ctx, cls)
    for item in filters:
        lookup, sep, text = item.partition("=")
        if not sep or not lookup:
            raise CommandUsageError(f"--filter expects FIELD__TERM=VALUE, got {item!r}")
        qs.filter(**{lookup: text})  # field and term checked first (FilterError)
        qs = qs.filter(**{lookup: convert_filter_value(cls, lookup, text, related.key)})
    keys = [k.strip() for spec in order or [] for k in spec.split(",") if k.strip()]
    if keys:
        qs = qs.order_by(*keys)
    return qs


def selection(ctx: Context, cls: type[Resource]) -> tuple[str | None, QuerySet[Resource] | None]:
    """(key, None) or (None, filtered QuerySet): what `get`/`update`/`delete` act on."""
    key, filters = ctx.args.key, ctx.args.filter or []
    if key is not None and filters:
        raise CommandUsageError("give a key or --filter, not both")
    if getattr(ctx.args, "all", False) and not filters:
        raise CommandUsageError("--all acts on every match of --filter: give --filter")
    if key is None and not filters:
        raise CommandUsageError(
            f"which {cls.resource_name}? give its key (an id, a URI or a "
            f"unique name) or --filter FIELD=VALUE"
        )
    if key is not None:
        if "=" in key and not key.startswith(("/", "http://", "https://")):
            raise CommandUsageError(f"{key!r} is not a key: did you mean --filter {key}?")
        return key, None
    return None, build_query(ctx, cls, filters)


def fetch_by_key(ctx: Context, cls: type[Resource], key: str) -> Resource:
    """An object by id, URI, or natural key."""
    if key.startswith(("/", "http://", "https://")):
        return ctx.client.get(key)
    if key.isdigit():
        return cls.get(int(key))
    try:
        return find_by_key(cls, key, f"{cls.resource_name} {key}")
    except NoMatchingObject as exc:
        raise CommandFailed(str(exc)) from None


def select_one(ctx: Context, cls: type[Resource]) -> Resource:
    """The one object named by a key or matched by `--filter`; several matches are a
    usage error that says how many."""
    key, qs = selection(ctx, cls)
    if qs is None:
        assert key is not None
        return fetch_by_key(ctx, cls, key)
    found: list[Any] = list(qs[:2])
    filters = describe_filters(ctx.args.filter)
    if not found:
        raise CommandFailed(f"no {cls.resource_name} matches {filters}")
    if len(found) > 1:
        more = (
            "; add --all to act on every one"
            if hasattr(ctx.args, "all")
            else ("; use `list` to see them")
        )
        raise CommandUsageError(
            f"{filters} matches {qs.count()} {cls.resource_name} objects, not one{more}"
        )
    return found[0]  # type: ignore[no-any-return]
