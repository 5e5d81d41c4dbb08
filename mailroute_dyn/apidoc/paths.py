"""Paths and operations: per resource its list and detail paths (in the server's own
form, slashless APIs as they are) with the methods its schema allows, and the custom
actions and nested lists a caller names; responses as Tastypie answers them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .components import ERROR, ERROR_MESSAGE, FORM_ERRORS
from .text import plain_text, pointer, ref

__all__ = [
    "Endpoint",
    "list_operations",
    "detail_operations",
    "action_operation",
    "nested_operation",
    "SHARED_RESPONSES",
    "detail_path",
]

_HTML = {"text/html": {"schema": {"type": "string"}}}
SHARED_RESPONSES: dict[str, dict[str, Any]] = {
    "Tastypie.BadRequest": {
        "description": 'A bad filter, ordering, limit or body: {"error": ...}, '
        '{"error\\_message": ...} or form errors (older servers: plain text).',
        "content": {
            "application/json": {
                "schema": {"anyOf": [ref(ERROR), ref(ERROR_MESSAGE), ref(FORM_ERRORS)]}
            },
            **_HTML,
        },
    },
    "Tastypie.Unauthorized": {
        "description": "No or wrong credentials (an empty body).",
        "content": _HTML,
    },
    "Tastypie.NotFound": {
        "description": "No such object (an empty body), a key of the wrong form or a "
        'related URI of another resource ({"error\\_message": ...}).',
        "content": {"application/json": {"schema": ref(ERROR_MESSAGE)}, **_HTML},
    },
    "Tastypie.ServerError": {
        "description": "Tastypie answers some inputs this document allows with 500 (a "
        "value the database cannot hold, a uniqueness race, an order\\_by "
        "some listings cannot apply): a server error, not a client's.",
        "content": {"application/json": {"schema": ref(ERROR_MESSAGE)}, **_HTML},
    },
}


def _shared(*codes: str) -> dict[str, Any]:
    names = {
        "400": "Tastypie.BadRequest",
        "401": "Tastypie.Unauthorized",
        "404": "Tastypie.NotFound",
        "500": "Tastypie.ServerError",
    }
    return {c: {"$ref": pointer("components", "responses", names[c])} for c in codes}


class Endpoint(NamedTuple):
    """One resource's paths and names, as its operations need them."""

    name: str  # the server's resource name
    component: str  # its component name
    list_path: str  # the list path key
    key: dict[str, Any]  # the detail key's schema


def detail_path(list_path: str) -> str:
    """The detail path key in the list path's own form (slashless stays slashless)."""
    slash = "/" if list_path.endswith("/") else ""
    return f"{list_path.rstrip('/')}/{{pk}}{slash}"


def _json(schema: dict[str, Any], description: str, *, empty: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if empty:
        content.update(_HTML)
        description += " (an empty body where the resource does not return data)"
    return {"description": description, "content": content}


def _body(component: str, description: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": ref(component)}},
    }


def _op(
    e: Endpoint, verb: str, summary: str, responses: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "operationId": f"{e.component}.{verb}",
        "tags": [e.component],
        "summary": plain_text(summary),
        "responses": responses,
        **extra,
    }


def _objects(e: Endpoint, suffix: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["objects"],
        "properties": {"objects": {"type": "array", "items": ref(e.component + suffix)}},
    }


def list_operations(
    e: Endpoint,
    methods: tuple[str, ...],
    query: list[dict[str, Any]],
    filters: list[dict[str, Any]],
) -> dict[str, Any]:
    """The operations of the list path that `methods` (the schema's list methods) allow."""
    ops: dict[str, Any] = {}
    errors = _shared("400", "401", "500")
    writes = _shared("400", "401", "404", "500")
    if "get" in methods:
        ops["get"] = _op(
            e,
            "list",
            f"List {e.name} (one page)",
            {"200": _json(ref(e.component + ".list"), "A page of objects"), **errors},
            parameters=query,
        )
    if "post" in methods:
        ops["post"] = _op(
            e,
            "create",
            f"Create a {e.name}",
            {
                "201": {
                    **_json(ref(e.component), "Created; Location names the new object", empty=True),
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                **writes,
            },
            requestBody=_body(e.component + ".create", "The new object"),
        )
    if "put" in methods:
        ops["put"] = _op(
            e,
            "replace_all",
            f"Replace every (filtered) {e.name}",
            {
                "200": _json(_objects(e, ""), "The new collection"),
                "204": {"description": "Replaced"},
                **writes,
            },
            parameters=filters,
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": _objects(e, ".create")}},
                "description": "Deletes the whole (filtered) collection, then creates these.",
            },
        )
    if "patch" in methods:
        patch = _objects(e, ".update")
        patch["properties"]["deleted_objects"] = {
            "type": "array",
            "items": {"type": "string", "format": "uri-reference"},
        }
        ops["patch"] = _op(
            e,
            "bulk",
            f"Create, update and delete {e.name} objects at once",
            {"202": _json(_objects(e, ""), "Done, atomically", empty=True), **writes},
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": patch}},
                "description": "objects with a resource\\_uri are updated, others created",
            },
        )
    if "delete" in methods:
        ops["delete"] = _op(
            e,
            "delete_all",
            f"Delete every {e.name} the filters match",
            {"204": {"description": "Deleted (without filters: every object)"}, **errors},
            parameters=filters,
        )
    return ops


def detail_operations(e: Endpoint, methods: tuple[str, ...]) -> dict[str, Any]:
    """The operations of the detail path (a POST there is not Tastypie's: left out)."""
    ops: dict[str, Any] = {}
    found = ref(e.component)
    errors = _shared("400", "401", "404", "500")
    if "get" in methods:
        ops["get"] = _op(
            e, "read", f"Read one {e.name}", {"200": _json(found, "The object"), **errors}
        )
    if "put" in methods:
        ops["put"] = _op(
            e,
            "replace",
            f"Replace one {e.name}",
            {
                "200": _json(found, "Replaced"),
                "204": {"description": "Replaced"},
                "201": _json(found, "Created: Tastypie's PUT creates a missing key", empty=True),
                **errors,
            },
            requestBody=_body(
                e.component + ".update",
                "Every writable field (omitted blank and nullable fields become null)",
            ),
        )
    if "patch" in methods:
        ops["patch"] = _op(
            e,
            "update",
            f"Update fields of one {e.name}",
            {"202": _json(found, "Updated", empty=True), "200": _json(found, "Updated"), **errors},
            requestBody=_body(e.component + ".update", "The fields to change"),
        )
    if "delete" in methods:
        ops["delete"] = _op(
            e, "delete", f"Delete one {e.name}", {"204": {"description": "Deleted"}, **errors}
        )
    return ops


def _any_answer() -> dict[str, Any]:
    answer = {
        "description": "The server's answer (not described by the schema)",
        "content": {"application/json": {"schema": {}}, **_HTML},
    }
    return {
        "200": answer,
        "201": answer,
        "202": answer,
        "204": {"description": "Done"},
        **_shared("400", "401", "404", "500"),
    }


def action_operation(e: Endpoint, name: str, on_detail: bool) -> dict[str, Any]:
    """A custom action a caller names: POST under the list or detail URL."""
    where = "each object" if on_detail else "the list"
    verb = f"{'detail' if on_detail else 'list'}-action.{name}"
    return {
        "post": {
            **_op(e, verb, f"The custom action {name} on {where} of {e.name}", _any_answer()),
            "requestBody": {"required": False, "content": {"application/json": {"schema": {}}}},
        }
    }


def nested_operation(e: Endpoint, name: str, item: Mapping[str, Any] | None) -> dict[str, Any]:
    """A nested list a caller names: GET under the detail URL, a list page."""
    page = {
        "type": "object",
        "required": ["objects"],
        "properties": {
            "meta": ref("Tastypie.ListMeta"),
            "objects": {"type": "array", "items": dict(item) if item else {"type": "object"}},
        },
    }
    return {
        "get": _op(
            e,
            f"nested.{name}",
            f"The nested list {name} of one {e.name}",
            {"200": _json(page, "A page of objects"), **_shared("400", "401", "404", "500")},
            parameters=[
                {"$ref": pointer("components", "parameters", "Tastypie.limit")},
                {"$ref": pointer("components", "parameters", "Tastypie.offset")},
            ],
        )
    }
