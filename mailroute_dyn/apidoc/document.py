"""The OpenAPI 3.1 document of an API, put together from what the client knows of it.

`build_document` is a pure function of `ApiFacts` (parsed schemas, list paths, relation
targets, the auth kind): the same facts always give the same document, sorted, so two
runs diff clean. The server's raw schemas go into the `x-tastypie` extension, which is
what `mailroute-dyn diff` compares two documents by.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx

from ..schema.definition import ResourceSchema
from ..settings.auth import ApiKeyAuth, BasicAuth, DigestAuth, SessionAuth
from .components import SHARED_SCHEMAS, key_schema, list_schema, read_schema, write_schema
from .params import PAGING, filter_parameters, order_parameter
from .paths import (
    SHARED_RESPONSES,
    Endpoint,
    action_operation,
    detail_operations,
    detail_path,
    list_operations,
    nested_operation,
)
from .text import component_names, path_template, plain_text, pointer, ref

__all__ = ["ResourceFacts", "ApiFacts", "Extra", "build_document", "security_schemes"]

OPENAPI_VERSION = "3.1.0"


class ResourceFacts(NamedTuple):
    """One resource as the client sees it."""

    schema: ResourceSchema
    list_path: str  # server-relative, in the server's own form
    targets: Mapping[str, str | None]  # related field -> target resource (None: unknown)
    listed: bool


class Extra(NamedTuple):
    """A custom action or nested list a caller names (the schema cannot tell them)."""

    resource: str
    name: str
    kind: str  # "action" (on the list), "detail-action" or "nested"
    target: str | None = None  # a nested list's resource, when known


class ApiFacts(NamedTuple):
    """Everything the document is made of."""

    base_url: str
    api_path: str
    resources: Mapping[str, ResourceFacts]
    auth: httpx.Auth | None = None
    extras: tuple[Extra, ...] = ()


def security_schemes(auth: httpx.Auth | None) -> dict[str, dict[str, Any]]:
    """The auth in use as security schemes: its kind, never its secret (none for an auth
    of the caller's own, whose kind the client cannot tell)."""
    if isinstance(auth, ApiKeyAuth):
        return {
            "ApiKeyAuth": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "Tastypie's ApiKey: the header value is `ApiKey login:key`.",
            }
        }
    if isinstance(auth, BasicAuth | httpx.BasicAuth):
        return {"BasicAuth": {"type": "http", "scheme": "basic"}}
    if isinstance(auth, DigestAuth | httpx.DigestAuth):
        return {"DigestAuth": {"type": "http", "scheme": "digest"}}
    if isinstance(auth, SessionAuth):
        return {
            "SessionCookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": auth.session_cookie,
                "description": plain_text(
                    f"Django's session cookie; writes also need the "
                    f"{auth.csrf_cookie} cookie and the X-CSRFToken header."
                ),
            }
        }
    return {}


def _components(facts: ApiFacts, names: Mapping[str, str]) -> dict[str, Any]:
    schemas: dict[str, Any] = copy.deepcopy(SHARED_SCHEMAS)
    for name, res in facts.resources.items():
        c = names[name]
        related = {f: names.get(t) if t else None for f, t in res.targets.items()}
        schemas[c] = read_schema(res.schema, (c, related), res.targets)
        schemas[f"{c}.create"] = write_schema(res.schema, creating=True, targets=res.targets)
        schemas[f"{c}.update"] = write_schema(res.schema, creating=False, targets=res.targets)
        schemas[f"{c}.list"] = list_schema(c)
    return {
        "schemas": schemas,
        "responses": copy.deepcopy(SHARED_RESPONSES),
        "parameters": copy.deepcopy(PAGING),
        "securitySchemes": security_schemes(facts.auth),
    }


def _resource_paths(facts: ApiFacts, name: str, component: str) -> dict[str, Any]:
    res = facts.resources[name]
    schema = res.schema

    def schema_of(target: str | None) -> ResourceSchema | None:
        found = facts.resources.get(target) if target else None
        return found.schema if found else None

    e = Endpoint(name, component, path_template(res.list_path), key_schema(schema))
    filters = filter_parameters(schema, res.targets, schema_of)
    paging = [{"$ref": pointer("components", "parameters", p)} for p in sorted(PAGING)]
    query = [*filters, *order_parameter(schema), *paging]
    out: dict[str, Any] = {}
    listing = list_operations(e, schema.allowed_list_methods, query, filters)
    if listing:
        out[e.list_path] = listing
    detail = detail_operations(e, schema.allowed_detail_methods)
    if detail:
        out[detail_path(e.list_path)] = {**detail, "parameters": [_key(e)]}
    return out


def _key(e: Endpoint) -> dict[str, Any]:
    return {
        "name": "pk",
        "in": "path",
        "required": True,
        "schema": e.key,
        "description": "The object's key, as in its resource\\_uri.",
    }


def _extra_paths(facts: ApiFacts, names: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for extra in sorted(facts.extras):
        res = facts.resources[extra.resource]
        e = Endpoint(
            extra.resource,
            names[extra.resource],
            path_template(res.list_path),
            key_schema(res.schema),
        )
        slash = "/" if e.list_path.endswith("/") else ""
        segment = path_template(extra.name)
        if extra.kind == "action":
            out[f"{e.list_path.rstrip('/')}/{segment}{slash}"] = action_operation(
                e, extra.name, on_detail=False
            )
            continue
        under = f"{detail_path(e.list_path).rstrip('/')}/{segment}{slash}"
        if extra.kind == "detail-action":
            item = action_operation(e, extra.name, on_detail=True)
        else:
            target = names.get(extra.target) if extra.target else None
            item = nested_operation(e, extra.name, ref(target) if target else None)
        out[under] = {**item, "parameters": [_key(e)]}
    return out


def _info(facts: ApiFacts, listed: list[str]) -> dict[str, Any]:
    version = facts.api_path.strip("/").rsplit("/", 1)[-1] or "api"
    where = plain_text(f"{facts.base_url}{facts.api_path}")
    return {
        "title": plain_text(f"Tastypie API at {urlsplit(facts.base_url).netloc}{facts.api_path}"),
        "version": plain_text(version),
        "description": (
            f"The API at {where} as mailroute-dyn reads it from the server's schemas: "
            f"{len(facts.resources)} resources ({len(listed)} listed). Relations are "
            "URIs; filters are checked by the server against each resource's "
            "filtering; a POST to a detail URL is not Tastypie's and is left out."
        ),
    }


def build_document(facts: ApiFacts) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `facts`."""
    names = component_names(facts.resources)
    listed = sorted(n for n, r in facts.resources.items() if r.listed)
    paths: dict[str, Any] = {}
    for name in sorted(facts.resources):
        paths.update(_resource_paths(facts, name, names[name]))
    paths.update(_extra_paths(facts, names))
    components = _components(facts, names)
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": _info(facts, listed),
        "servers": [{"url": facts.base_url}],
        "tags": [
            {"name": names[n], "description": plain_text(f"The {n} resource")}
            for n in sorted(facts.resources)
        ],
        "paths": dict(sorted(paths.items())),
        "components": components,
        "x-tastypie": {
            "api_path": facts.api_path,
            "listed": listed,
            "component_names": {names[n]: n for n in sorted(facts.resources)},
            "schemas": {
                n: copy.deepcopy(dict(facts.resources[n].schema.raw))
                for n in sorted(facts.resources)
            },
        },
    }
    if components["securitySchemes"]:
        doc["security"] = [{scheme: []} for scheme in sorted(components["securitySchemes"])]
    return doc
