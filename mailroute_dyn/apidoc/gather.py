"""What the document needs, read through a client's registry as one operation: every
listed schema, the schemas of relation targets outside the listing, and where related
fields point (the schema's `related_schema`, else one object's URIs, else the field's
name, as the client itself infers them for MailRoute's 2012 schemas)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..classes.registry import Registry
from ..classes.resourceclasses import UNREACHABLE
from ..errors import ConfigurationError, UnknownResource
from ..operations import Operation
from ..schema.discovery import Discovery
from ..settings.config import Settings
from .document import ApiFacts, Extra, ResourceFacts, build_document

__all__ = ["describe_op", "parse_extras"]

_SEGMENT = re.compile(r"[A-Za-z0-9_\-.~]+")  # one plain path segment, as actions are
_KEY = "/{pk}/"


def _segment(name: str, spec: str) -> str:
    if not _SEGMENT.fullmatch(name) or not name.strip("."):
        raise ConfigurationError(f"{spec!r}: {name!r} is not one plain path segment.")
    return name


def _parse_one(spec: str, kind: str) -> Extra:
    text, _, target = spec.partition("=") if kind == "nested" else (spec, "", "")
    if _KEY in text:
        resource, _, name = text.rpartition(_KEY)
        on_detail = True
    else:
        resource, _, name = text.rpartition("/")
        on_detail = False
    if not resource or not name or (kind == "nested" and not on_detail):
        form = (
            "RESOURCE/{pk}/NAME[=TARGET]"
            if kind == "nested"
            else "RESOURCE/NAME or RESOURCE/{pk}/NAME"
        )
        raise ConfigurationError(f"{spec!r} is not of the form {form}.")
    if kind == "action":
        kind = "detail-action" if on_detail else "action"
    return Extra(resource, _segment(name, spec), kind, target or None)


def parse_extras(actions: Iterable[str] = (), nested: Iterable[str] = ()) -> tuple[Extra, ...]:
    """`email_account/{pk}/regenerate_api_key` (an action on each object),
    `email_account/mass_resend_welcome` (on the list) and `reseller/{pk}/contacts=
    contact_reseller` (a nested list of that resource) as `Extra`s."""
    found = [_parse_one(s, "action") for s in actions]
    found += [_parse_one(s, "nested") for s in nested]
    return tuple(sorted(set(found)))


def _facts_op(registry: Registry, name: str) -> Operation[ResourceFacts | None]:
    try:
        cls = yield from registry.resource_op(name, listed_only=False)
    except UNREACHABLE:
        return None
    if not cls.typed:
        return None
    yield from registry.catalogue.learn_targets_op(cls)
    schema = cls._schema
    targets = {
        f.name: registry.catalogue.target_of(schema, f)
        for f in schema.fields.values()
        if f.is_related
    }
    return ResourceFacts(schema, cls.list_endpoint, targets, cls.listed)


def describe_op(
    settings: Settings, discovery: Discovery, registry: Registry, extras: tuple[Extra, ...] = ()
) -> Operation[dict[str, Any]]:
    """The OpenAPI document of the API a client reads (see `build_document`)."""
    queue = sorted((yield from discovery.preload()))
    resources: dict[str, ResourceFacts] = {}
    seen: set[str] = set()
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        facts = yield from _facts_op(registry, name)
        if facts is not None:
            resources[name] = facts
            queue += sorted(t for t in facts.targets.values() if t and t not in seen)
    for extra in extras:
        for name in filter(None, (extra.resource, extra.target)):
            if name not in resources:
                raise UnknownResource(name, resources)
    return build_document(
        ApiFacts(settings.origin, settings.api_path, resources, settings.credentials, extras)
    )
