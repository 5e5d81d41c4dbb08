"""Fixture folders: what the fake server serves and what `capture()` writes.

A folder holds `schemas/<resource>.json` (a `/schema/` answer), `objects/<resource>.json`
(a JSON list of objects as the list endpoint returns them) and, optionally, `listing.json`
(the `/api/v1/` answer; without it every schema is listed) and `rules.json`. A resource
whose schema exists but which the listing leaves out is served, unlisted. Other subfolders
are ignored. A resource's file name is its name percent-encoded (`file_name`), so a name
with `/` or `..` stays one file inside the folder.

`rules.json` holds what a server checks or does that its schemas do not say, per resource:

    {"email_account": {"unique_together": [["domain", "localpart"]],
                       "actions": {"regenerate_api_key": {"status": 202,
                                                          "answer": {"api_key": "$token"}}}},
     "domain": {"fields": {"deliveryport": {"min": 1, "max": 65535}}},
     "wblist": {"fields": {"wb": {"choices": ["b", "w"]},
                           "rid": {"server_default": "1110000000"}}}}

`fields` rules: `min`, `max` (numbers), `choices` (a list of allowed values),
`max_length` (a form's length check), `column_length` (the column's length, which only
the database checks: PostgreSQL refuses a longer text with a 500, SQLite stores it; see
`database=`), `server_default` (the value the server fills in
when a create leaves the field out, although the schema calls it required),
`auto_now_add` / `auto_now` (`true`: the server fills a timestamp on create / on every
save), `reverse_of` (`"resource.field"`: computed from the rows of another resource whose
related `field` points here, their URIs or, with `"value": "name"`, that field's values).
Resource rules: `unique_together`, `one_to_one` (related fields whose target may have one
such row), `on_delete` (`{"field": "cascade" | "set_null" | "protect"}`),
`uri_of` (a string field whose values are URIs of that resource: writes look the object
up by the number the text ends with, filters take its key), `write_only` (`true`: the
server never shows the value; reads give null), `not_stored` (`true`: a key the server
accepts and drops, such as MailRoute's `send_welcome` flag; reads give null).
Resource rules: `always_return_data` and `form_validation` (`true`/`false`; constructor
options override),
`companions` (`{"other": "link"}`: each new object gets a new `other` row, at its
defaults, whose `link` points at it, as MailRoute makes a policy for each new domain),
`view_of` (the resource is a database view: its rows are computed from other resources,
part after part, each part `{"resource": "domain", "key": {"times": 2, "plus": 0},
"fields": {"name": "name", "type": {"value": "domain"}}}`, a row's key being
`times * source key + plus`).
`actions`: custom POST routes,
`{detail}/<name>/` (or `{list}/<name>/` with `"on": "list"`), answering `status` with
`answer` as JSON (`"$token"` becomes a fresh random token) or with an empty body when
`answer` is null.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

__all__ = ["Fixture", "load_fixture", "write_fixture", "check_rules"]

_FIELD_RULES = frozenset(
    {
        "min",
        "max",
        "choices",
        "server_default",
        "max_length",
        "column_length",
        "auto_now_add",
        "auto_now",
        "reverse_of",
        "value",
        "uri_of",
        "write_only",
        "not_stored",
    }
)
_RESOURCE_RULES = frozenset(
    {
        "unique_together",
        "fields",
        "actions",
        "one_to_one",
        "on_delete",
        "always_return_data",
        "form_validation",
        "companions",
        "view_of",
    }
)
ON_DELETE = ("cascade", "set_null", "protect")
_ACTION_KEYS = frozenset({"status", "answer", "on"})


@dataclass
class Fixture:
    """What a fixture folder holds: schemas, objects, and the listed names."""

    schemas: dict[str, dict[str, Any]]
    objects: dict[str, list[dict[str, Any]]]
    listed: list[str]
    api_path: str | None  # the API path the fixture's URIs use, when it shows
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)


def check_rules(rules: Any, schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`rules` if it is a valid rules object for these schemas; `ValueError` names the
    first thing wrong (a misspelt field would otherwise make a rule silently do nothing)."""
    if not isinstance(rules, dict):
        raise ValueError("rules must be a JSON object keyed by resource name")
    for name, spec in rules.items():
        where = f"rules for {name!r}"
        if name not in schemas:
            raise ValueError(f"{where}: no such resource (resources: {', '.join(sorted(schemas))})")
        if not isinstance(spec, dict) or set(spec) - _RESOURCE_RULES:
            raise ValueError(f"{where}: an object with keys among {sorted(_RESOURCE_RULES)}")
        fields = schemas[name].get("fields") or {}
        for group in spec.get("unique_together", []):
            if not isinstance(group, list) or len(group) < 2 or any(f not in fields for f in group):
                raise ValueError(
                    f"{where}: unique_together {group!r} must list two or more "
                    "of the resource's fields"
                )
        _check_resource_switches(where, spec, fields, schemas)
        field_rules = spec.get("fields", {})
        if not isinstance(field_rules, dict):
            raise ValueError(f"{where}: 'fields' must be an object")
        for fname, frule in field_rules.items():
            if fname not in fields:
                raise ValueError(f"{where}: no field {fname!r}")
            _check_field_rule(f"{where}, field {fname!r}", frule, schemas)
        actions = spec.get("actions", {})
        if not isinstance(actions, dict):
            raise ValueError(f"{where}: 'actions' must be an object")
        for action, aspec in actions.items():
            if (
                not isinstance(aspec, dict)
                or set(aspec) - _ACTION_KEYS
                or not isinstance(aspec.get("status", 200), int)
                or aspec.get("on", "detail") not in ("detail", "list")
                or not re.fullmatch(r"[\w-]+", action)
            ):
                raise ValueError(
                    f"{where}, action {action!r}: an object with 'status' (an "
                    "integer), 'answer' and 'on' ('detail' or 'list')"
                )
    return rules


def _related_fields(fields: Mapping[str, Any]) -> set[str]:
    return {
        name
        for name, spec in fields.items()
        if isinstance(spec, dict) and spec.get("type") in ("related", "string")
    }


def _check_resource_switches(
    where: str,
    spec: Mapping[str, Any],
    fields: Mapping[str, Any],
    schemas: Mapping[str, Mapping[str, Any]],
) -> None:
    """`one_to_one`, `on_delete`, `companions`, `always_return_data`, `form_validation`."""
    links = _related_fields(fields)
    one_to_one = spec.get("one_to_one", [])
    if not isinstance(one_to_one, list) or any(f not in links for f in one_to_one):
        raise ValueError(f"{where}: one_to_one must list related fields of the resource")
    on_delete = spec.get("on_delete", {})
    if not isinstance(on_delete, dict) or any(
        f not in links or how not in ON_DELETE for f, how in on_delete.items()
    ):
        raise ValueError(f"{where}: on_delete maps related fields to one of {', '.join(ON_DELETE)}")
    companions = spec.get("companions", {})
    if not isinstance(companions, dict) or any(
        link not in _related_fields((schemas.get(other) or {}).get("fields") or {})
        for other, link in companions.items()
    ):
        raise ValueError(
            f"{where}: companions maps resources of the folder to their related "
            "field that links a new row to this resource"
        )
    _check_view(where, spec.get("view_of", []), fields, schemas)
    for switch in ("always_return_data", "form_validation"):
        if not isinstance(spec.get(switch, False), bool):
            raise ValueError(f"{where}: {switch} must be true or false")


def _check_view(
    where: str, parts: Any, fields: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]]
) -> None:
    """`view_of`: the parts of a database view, each `{"resource", "key": {"times",
    "plus"}, "fields": {view field: source field or {"value": constant}}}`."""
    problem = (
        f"{where}: view_of must list parts with a resource of the folder, a key "
        "{times, plus} and fields naming this resource's and the source's fields"
    )
    if not isinstance(parts, list):
        raise ValueError(problem)
    for part in parts:
        source = schemas.get(str(part.get("resource"))) if isinstance(part, dict) else None
        key = part.get("key", {}) if isinstance(part, dict) else None
        mapping = part.get("fields") if isinstance(part, dict) else None
        if (
            source is None
            or not isinstance(key, dict)
            or not isinstance(mapping, dict)
            or any(not isinstance(key.get(n, 0), int) for n in ("times", "plus"))
        ):
            raise ValueError(problem)
        for name, origin in mapping.items():
            constant = isinstance(origin, dict) and set(origin) == {"value"}
            if name not in fields or not (constant or origin in (source.get("fields") or {})):
                raise ValueError(problem)


def _check_field_rule(where: str, frule: Any, schemas: Mapping[str, Mapping[str, Any]]) -> None:
    if not isinstance(frule, dict) or not frule or set(frule) - _FIELD_RULES:
        raise ValueError(f"{where}: an object with keys among {sorted(_FIELD_RULES)}")
    for bound in ("min", "max"):
        value = frule.get(bound, 0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}: {bound} must be a number")
    if "choices" in frule and not isinstance(frule["choices"], list):
        raise ValueError(f"{where}: choices must be a list")
    for name in ("max_length", "column_length"):
        length = frule.get(name, 1)
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise ValueError(f"{where}: {name} must be a positive integer")
    for switch in ("auto_now_add", "auto_now", "write_only", "not_stored"):
        if frule.get(switch, True) is not True:
            raise ValueError(f"{where}: {switch} can only be true")
    if "uri_of" in frule and frule["uri_of"] not in schemas:
        raise ValueError(f"{where}: uri_of must name a resource of the folder")
    if "value" in frule and "reverse_of" not in frule:
        raise ValueError(f"{where}: 'value' goes with 'reverse_of'")
    if "reverse_of" in frule:
        _check_reverse(where, frule, schemas)


def _check_reverse(
    where: str, frule: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]]
) -> None:
    """`"reverse_of": "resource.field"` names a related field of another resource."""
    other, _, link = str(frule["reverse_of"]).partition(".")
    fields = (schemas.get(other) or {}).get("fields") or {}
    if link not in _related_fields(fields):
        raise ValueError(
            f"{where}: reverse_of must name 'resource.field', a related field "
            "of a resource of the folder"
        )
    value = frule.get("value")
    if value is not None and value not in fields:
        raise ValueError(f"{where}: value must name a field of {other!r}")


def file_name(resource: str) -> str:
    """The file of a resource in `schemas/` and `objects/`: its name with `/` and every
    other character a file name cannot hold safely percent-encoded (`thesaurus/keywords`
    is `thesaurus%2Fkeywords.json`; a server's `../x` stays inside the folder). Plain
    names are their own file names."""
    return quote(resource, safe="") + ".json"


def _resource_of(path: Path) -> str:
    return unquote(path.name[: -len(".json")])


def _dump(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def write_fixture(
    directory: str | Path,
    schemas: Mapping[str, Mapping[str, Any]],
    objects: Mapping[str, list[Mapping[str, Any]]] | None = None,
    listing: Mapping[str, Any] | None = None,
    rules: Mapping[str, Any] | None = None,
) -> Path:
    """Write a fixture folder (sorted keys, 2-space indent, UTF-8), e.g. a tiny one that
    a test builds for itself; `listing=None` leaves `listing.json` out (all listed), and
    `rules=None` leaves any `rules.json` already there alone."""
    root = Path(directory)
    (root / "schemas").mkdir(parents=True, exist_ok=True)
    (root / "objects").mkdir(parents=True, exist_ok=True)
    for name, schema in schemas.items():
        _dump(root / "schemas" / file_name(name), schema)
    for name, rows in (objects or {}).items():
        _dump(root / "objects" / file_name(name), list(rows))
    if listing is not None:
        _dump(root / "listing.json", listing)
    if rules is not None:
        _dump(root / "rules.json", check_rules(dict(rules), schemas))
    return root


def load_fixture(directory: str | Path) -> Fixture:
    """Read a fixture folder; `ValueError` / `FileNotFoundError` name what is wrong."""
    root = Path(directory)
    schema_dir = root / "schemas"
    if not schema_dir.is_dir():
        raise FileNotFoundError(f"{root} has no schemas/ folder: not a fixture folder")
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(schema_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
            raise ValueError(f"{path} is not a Tastypie schema (no 'fields' object)")
        schemas[_resource_of(path)] = data
    objects: dict[str, list[dict[str, Any]]] = {}
    for name in schemas:
        path = root / "objects" / file_name(name)
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
        if not isinstance(data, list) or not all(isinstance(o, dict) for o in data):
            raise ValueError(f"{path} must hold a JSON list of objects")
        objects[name] = data
    listing_path = root / "listing.json"
    api_path = None
    if listing_path.is_file():
        listing = json.loads(listing_path.read_text(encoding="utf-8"))
        if not isinstance(listing, dict):
            raise ValueError(f"{listing_path} must hold a JSON object")
        listed = [name for name in listing if name in schemas]
        for name, entry in listing.items():
            endpoint = entry.get("list_endpoint") if isinstance(entry, dict) else None
            list_path = endpoint.rstrip("/") if isinstance(endpoint, str) else ""
            if list_path.endswith(f"/{name}"):  # the name may hold a slash itself
                api_path = list_path[: -len(name)]
                break
    else:
        listed = sorted(schemas)
    if api_path is None:
        api_path = _api_path_from_objects(objects)
    rules_path = root / "rules.json"
    rules: dict[str, Any] = {}
    if rules_path.is_file():
        try:
            rules = check_rules(json.loads(rules_path.read_text(encoding="utf-8")), schemas)
        except ValueError as exc:
            raise ValueError(f"{rules_path}: {exc}") from None
    return Fixture(schemas, objects, listed, api_path, rules)


def _api_path_from_objects(objects: Mapping[str, list[dict[str, Any]]]) -> str | None:
    for name, rows in objects.items():
        for row in rows:
            uri = row.get("resource_uri")
            if isinstance(uri, str) and f"/{name}/" in uri:
                return uri[: uri.rindex(f"/{name}/") + 1]
    return None
