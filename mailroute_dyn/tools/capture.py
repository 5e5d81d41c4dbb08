"""`capture()`: snapshot a real server into a fixture folder the fake server can serve.

It reads the listing, each schema and a sample of each resource's objects through a
`mailroute_dyn.Client`, and writes them in the fixture format (see
`mailroute_dyn.fake.fixtures`). Values under secret-looking keys become "REDACTED" and the
client's API key is cut out of every string, so the folder can be committed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..client import Client
from ..config import Secret
from ..errors import APIError
from ..fake.fixtures import load_fixture, write_fixture
from ..query import collection_name

__all__ = ["capture", "redact", "SECRET_KEY", "REDACTED"]

log = logging.getLogger("mailroute_dyn")
SECRET_KEY = re.compile(r"password|passwd|secret|api_?key|apikey|token|passphrase", re.I)
REDACTED = "REDACTED"
_NO_DEFAULT = "No default provided."


def _is_secret_value(value: Any) -> bool:
    """Booleans and nulls reveal nothing (`ssl_cert_passphrase_set: true`); keep them, so
    the field keeps its type."""
    if value is None or isinstance(value, bool):
        return False
    return value not in ("", [], {})


def redact(value: Any, api_key: str | Secret | None = None, *, by_key: bool = True) -> Any:
    """A copy of `value`: with `by_key`, values under secret-looking keys become "REDACTED";
    `api_key` is replaced inside every string."""
    if isinstance(value, dict):
        return {k: REDACTED if by_key and SECRET_KEY.search(str(k)) and _is_secret_value(v)
                else redact(v, api_key, by_key=by_key) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, api_key, by_key=by_key) for v in value]
    if isinstance(value, str) and api_key:
        secret = api_key.reveal() if isinstance(api_key, Secret) else api_key
        if secret in value:
            return value.replace(secret, REDACTED)
    return value


def _redact_schema(schema: Any, api_key: str | Secret | None) -> Any:
    """Schemas keep their field specs (a field may be called `sasl_password`); only such a
    field's default is hidden."""
    schema = redact(schema, api_key, by_key=False)
    fields = schema.get("fields") if isinstance(schema, dict) else None
    for name, spec in (fields or {}).items():
        if (SECRET_KEY.search(name) and isinstance(spec, dict)
                and spec.get("default") != _NO_DEFAULT and _is_secret_value(spec.get("default"))):
            spec["default"] = REDACTED
    return schema


def capture(client: Client, directory: str | Path, *, limit: int = 50,
            resources: Iterable[str] | None = None,
            rules: str | Path | Mapping[str, Any] | None = None) -> Path:
    """Write the listing, every schema and up to `limit` objects per resource to
    `directory` in the fixture format; returns the folder.

    Capture only reads (GET). What the schemas cannot tell (forms, lengths, unique and
    one-to-one rules, bounds, choices, what deletes do, values, timestamps and rows the
    server fills in, reverse relations, custom actions) cannot be read from a server
    without writing to it: keep it in a rules file you complete (see
    `mailroute_dyn.fake.fixtures`) and pass it as `rules`
    (a path or a mapping), checked against the captured schemas. Without `rules`, a `rules.json`
    already in `directory` is kept.

    `resources` picks the names (unlisted ones such as `brandinginfo` too: they are served
    but stay out of `listing.json`). A resource whose list cannot be read (403, 405) gets
    an empty object list. Progress goes to the "mailroute_dyn" logger.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    key = client.settings.api_key
    api_path = client.settings.api_path
    listing = client.request("GET", api_path)
    if not isinstance(listing, dict):
        raise ValueError(f"{api_path} did not answer with a listing object")
    names = list(resources) if resources is not None else sorted(listing)
    log.info("capture: %d resources from %s into %s", len(names), client.settings.base_url,
             directory)
    schemas: dict[str, Any] = {}
    objects: dict[str, list[Any]] = {}
    written_listing: dict[str, Any] = {}
    for name in names:
        found = listing.get(name)
        entry: dict[str, Any] = found if isinstance(found, dict) else {}
        list_url = entry.get("list_endpoint") or f"{api_path}{name}/"
        schema = entry.get("schema")
        if not isinstance(schema, dict):
            schema_url = (schema if isinstance(schema, str) and schema
                          else f"{list_url.rstrip('/')}/schema/")
            schema = client.request("GET", schema_url)
        try:
            page = client.request("GET", list_url, params={"limit": limit})
        except APIError as exc:
            if exc.status_code not in (403, 405):
                raise
            log.warning("capture %s: the list cannot be read (%s); no objects kept", name,
                        exc.status_code)
            page = {}
        rows = page.get(collection_name(page) or "objects", []) if isinstance(page, dict) else []
        schemas[name] = _redact_schema(schema, key)
        objects[name] = redact([o for o in rows if isinstance(o, dict)][:limit], key)
        if name in listing:
            written_listing[name] = {"list_endpoint": list_url, "schema": f"{list_url}schema/"}
        log.info("capture %s: schema and %d objects", name, len(objects[name]))
    kept_rules = (json.loads(Path(rules).read_text(encoding="utf-8"))
                  if isinstance(rules, str | Path) else rules)
    root = write_fixture(directory, schemas, objects, written_listing, kept_rules)
    load_fixture(root)          # what was written must be servable
    return root
