"""Fixture folders: what the fake server serves and what `capture()` writes.

A folder holds `schemas/<resource>.json` (a `/schema/` answer), `objects/<resource>.json`
(a JSON list of objects as the list endpoint returns them) and, optionally, `listing.json`
(the `/api/v1/` answer; without it every schema is listed). A resource whose schema exists
but which the listing leaves out is served, unlisted. Other subfolders are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Fixture", "load_fixture", "write_fixture"]


@dataclass
class Fixture:
    """What a fixture folder holds: schemas, objects, and the listed names."""

    schemas: dict[str, dict[str, Any]]
    objects: dict[str, list[dict[str, Any]]]
    listed: list[str]
    api_path: str | None       # the API path the fixture's URIs use, when it shows


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def write_fixture(directory: str | Path, schemas: Mapping[str, Mapping[str, Any]],
                  objects: Mapping[str, list[Mapping[str, Any]]] | None = None,
                  listing: Mapping[str, Any] | None = None) -> Path:
    """Write a fixture folder (sorted keys, 2-space indent, UTF-8), e.g. a tiny one that
    a test builds for itself; `listing=None` leaves `listing.json` out (all listed)."""
    root = Path(directory)
    (root / "schemas").mkdir(parents=True, exist_ok=True)
    (root / "objects").mkdir(parents=True, exist_ok=True)
    for name, schema in schemas.items():
        _dump(root / "schemas" / f"{name}.json", schema)
    for name, rows in (objects or {}).items():
        _dump(root / "objects" / f"{name}.json", list(rows))
    if listing is not None:
        _dump(root / "listing.json", listing)
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
        schemas[path.stem] = data
    objects: dict[str, list[dict[str, Any]]] = {}
    for name in schemas:
        path = root / "objects" / f"{name}.json"
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
        for entry in listing.values():
            endpoint = entry.get("list_endpoint") if isinstance(entry, dict) else None
            if isinstance(endpoint, str) and endpoint.count("/") >= 2:
                api_path = endpoint.rstrip("/").rsplit("/", 1)[0] + "/"
                break
    else:
        listed = sorted(schemas)
    if api_path is None:
        api_path = _api_path_from_objects(objects)
    return Fixture(schemas, objects, listed, api_path)


def _api_path_from_objects(objects: Mapping[str, list[dict[str, Any]]]) -> str | None:
    for name, rows in objects.items():
        for row in rows:
            uri = row.get("resource_uri")
            if isinstance(uri, str) and f"/{name}/" in uri:
                return uri[: uri.rindex(f"/{name}/") + 1]
    return None
