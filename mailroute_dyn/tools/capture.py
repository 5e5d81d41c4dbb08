"""`capture()`: snapshot a real server into a fixture folder the fake server can serve.

It reads the listing, each schema and a sample of each resource's objects through a
`mailroute_dyn.Client`, and writes them in the fixture format (see
`mailroute_dyn.fake.fixtures`). Secrets are redacted by the rule in
`mailroute_dyn.tools.redaction`: values under secret-looking names, PEM blocks and every
secret of the client's credentials, so the folder can be committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..client import Client
from ..errors import APIError, ConfigurationError, ResponseError
from ..escaping import library_log
from ..fake.fixtures import load_fixture, write_fixture
from ..query.paging import collection_name
from ..settings.auth import Secret
from .redaction import SECRET_NAME, Redactor, auth_secrets

__all__ = ["capture", "redact", "SECRET_KEY"]

log = library_log()
#: The parts that make a name secret wherever they occur (see `is_secret_name` for all).
SECRET_KEY = SECRET_NAME


def redact(
    value: Any,
    api_key: str | Secret | None = None,
    *,
    by_key: bool = True,
    names: Iterable[str] = (),
) -> Any:
    """A copy of `value` redacted by capture's rule (`mailroute_dyn.tools.redaction`):
    with `by_key`, values under secret-looking names (and `names`) become "REDACTED";
    PEM blocks and `api_key` are cut out of every string."""
    return Redactor(names, [api_key] if api_key else []).value(value, by_name=by_key)


def capture(
    client: Client,
    directory: str | Path,
    *,
    limit: int = 50,
    resources: Iterable[str] | None = None,
    rules: str | Path | Mapping[str, Any] | None = None,
    redact: Iterable[str] = (),
    redact_values: Iterable[str | Secret] = (),
) -> Path:
    """Write the listing, every schema and up to `limit` objects per resource to
    `directory` in the fixture format; returns the folder.

    Secrets stay out (the full rule is in `mailroute_dyn.tools.redaction`): values under
    secret-looking names (`password`, `pass`, `pwd`, `secret`, `token`, `credential`,
    `api_key`, `private`, `session_id`, `csrf`, `cookie`, a name ending in `key` but not
    `public_key`..., and the names in `redact`) become "REDACTED"; so does every PEM
    block and every secret of the client's credentials (ApiKey key, Basic or Digest
    password, session id and CSRF token) inside any string of the objects, the schemas
    and the listing. A custom `httpx.Auth` cannot be asked for its secrets: pass them as
    `redact_values`.

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
        raise ConfigurationError("limit must be at least 1")
    redactor = Redactor(redact, [*auth_secrets(client.settings.credentials), *redact_values])
    api_path = client.settings.api_path
    listing = client.request("GET", api_path)
    if not isinstance(listing, dict):
        raise ResponseError(f"{api_path} did not answer with a listing object")
    names = list(resources) if resources is not None else sorted(listing)
    log.info(
        "capture: %d resources from %s into %s", len(names), client.settings.base_url, directory
    )
    schemas: dict[str, Any] = {}
    objects: dict[str, list[Any]] = {}
    written_listing: dict[str, Any] = {}
    for name in names:
        found = listing.get(name)
        entry: dict[str, Any] = found if isinstance(found, dict) else {}
        list_url = entry.get("list_endpoint") or f"{api_path}{name}/"
        schema = entry.get("schema")
        if not isinstance(schema, dict):
            schema_url = (
                schema if isinstance(schema, str) and schema else f"{list_url.rstrip('/')}/schema/"
            )
            schema = client.request("GET", schema_url)
        try:
            page = client.request("GET", list_url, params={"limit": limit})
        except APIError as exc:
            if exc.status_code not in (403, 405):
                raise
            log.warning(
                "capture %s: the list cannot be read (%s); no objects kept", name, exc.status_code
            )
            page = {}
        rows = page.get(collection_name(page) or "objects", []) if isinstance(page, dict) else []
        schemas[name] = redactor.schema(schema)
        objects[name] = redactor.value([o for o in rows if isinstance(o, dict)][:limit])
        if name in listing:
            written_listing[name] = redactor.value(
                {"list_endpoint": list_url, "schema": f"{list_url}schema/"}
            )
        log.info("capture %s: schema and %d objects", name, len(objects[name]))
    kept_rules = (
        json.loads(Path(rules).read_text(encoding="utf-8"))
        if isinstance(rules, str | Path)
        else rules
    )
    root = write_fixture(directory, schemas, objects, written_listing, kept_rules)
    load_fixture(root)  # what was written must be servable
    return root
