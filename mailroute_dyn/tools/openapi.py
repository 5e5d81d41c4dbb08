"""`mailroute-dyn openapi`: the live API as an OpenAPI 3.1 document, written as JSON or
YAML, and two such documents compared the way `diff` compares schemas.

The document is `Client.openapi()` (built by `mailroute_dyn.apidoc`); this module writes
it out byte-for-byte the same way every time (keys sorted), so two runs diff clean, and
reads it back: the server's own schemas travel in the document's `x-tastypie` extension.

    mailroute-dyn openapi -o api.json
    mailroute-dyn openapi --format yaml -o api.yaml      # needs the `cli` extra (PyYAML)
    mailroute-dyn diff old.json api.json                  # what changed between the two
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..client import Client
from ..errors import ConfigurationError, SchemaError
from ..escaping import json_dumps, yaml_dumps
from ..schema.definition import ResourceSchema, parse_schema
from .schemadiff import SchemaDiff, compare

__all__ = [
    "FORMATS",
    "generate_openapi",
    "render_openapi",
    "load_openapi",
    "schemas_of_openapi",
    "compare_openapi",
]

FORMATS = ("json", "yaml")
_NO_YAML = "YAML output needs PyYAML: pip install 'mailroute_dyn[cli]' (or use --format json)"


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:
        raise ConfigurationError(_NO_YAML) from None
    return yaml


def render_openapi(document: dict[str, Any], fmt: str = "json") -> str:
    """The document as text: keys sorted, so the same API always gives the same bytes."""
    if fmt == "json":
        return json_dumps(document, indent=2, sort_keys=True) + "\n"
    if fmt == "yaml":
        _yaml()
        return yaml_dumps(document)  # (names and help texts stay printable, as in JSON)
    raise ConfigurationError(f"Unknown format {fmt!r}: one of {', '.join(FORMATS)}.")


def generate_openapi(
    client: Client, fmt: str = "json", *, actions: Iterable[str] = (), nested: Iterable[str] = ()
) -> str:
    """`client.openapi(...)` rendered as `fmt`."""
    if fmt == "yaml":
        _yaml()  # say what is missing before reading any schema
    return render_openapi(client.openapi(actions=actions, nested=nested), fmt)


def load_openapi(path: str | Path) -> dict[str, Any]:
    """A document written by `openapi` (JSON, or YAML with PyYAML), from a file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"Cannot read {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except ValueError:
        try:
            doc = _yaml().safe_load(text)
        except ConfigurationError:
            raise ConfigurationError(f"{path} is not JSON; {_NO_YAML}") from None
        except Exception as exc:  # yaml.YAMLError: the file is neither form
            raise SchemaError(f"{path} is neither JSON nor YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise SchemaError(f"{path} is not an OpenAPI document (not an object).")
    return doc


def schemas_of_openapi(document: dict[str, Any]) -> tuple[list[str], dict[str, ResourceSchema]]:
    """The listing and parsed schemas a document written by `openapi` carries."""
    ext = document.get("x-tastypie")
    if not isinstance(ext, dict) or not isinstance(ext.get("schemas"), dict):
        raise SchemaError(
            "Not a document written by mailroute-dyn openapi: it has no "
            "x-tastypie schemas to compare."
        )
    api_path = str(ext.get("api_path") or "/api/v1/")
    listed = [str(n) for n in ext.get("listed") or []]
    schemas = {str(n): parse_schema(str(n), raw, api_path) for n, raw in ext["schemas"].items()}
    return listed, schemas


def compare_openapi(old: dict[str, Any], new: dict[str, Any]) -> SchemaDiff:
    """What changed between two documents, as `diff` reports schema changes."""
    old_listing, old_schemas = schemas_of_openapi(old)
    new_listing, new_schemas = schemas_of_openapi(new)
    return compare(old_listing, old_schemas, new_listing, new_schemas)
