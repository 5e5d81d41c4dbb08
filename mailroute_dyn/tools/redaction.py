"""What `capture()` keeps out of a fixture folder: secrets by name, secrets by value.

The rule, in full (docs/testing.md's capture section says the same):

- **Names.** A value under a secret-looking name becomes "REDACTED". A name is
  secret-looking when it contains `password`, `passwd`, `passphrase`, `passcode`,
  `secret`, `token`, `credential`, `apikey`/`api_key`, `private`, `privkey`,
  `sessionid`/`session_id`, `csrf` or `cookie` (case-insensitive, anywhere), or when one
  of its words (split at `_`, `-`, `.`, digits and case changes) is `pass`, `pwd`, `pw`,
  `pin`, `otp` or `authorization`, or its last
  word is `key` (`dkim_key`, `license_key`), except a `public_key`, `primary_key`,
  `foreign_key` or `sort_key`. So `smtp_pass`, `dkim_private_key` and `credentials` are
  redacted, while `domain_key_id`, `key_selector` and `passthrough` are kept. Names the
  caller adds (`redact=("my_field",)`, `--redact my_field`) count too, matched whole and
  case-insensitively. Nulls, booleans and empty values stay (`ssl_cert_passphrase_set:
  true` tells nothing and keeps the field's type).
- **Values.** Anywhere in a string, under any name, in objects, schemas and the listing:
  every PEM block (`-----BEGIN …-----` to its `END` line, or to the end of a cut-off
  block; certificates too), the password of a URL's userinfo (`smtp://relay:PW@host`)
  and every secret of the client's credentials (the ApiKey key, the Basic or Digest
  password and the Basic header's base64 text, the session id and CSRF token, also
  percent-encoded) become "REDACTED". An `httpx.Auth` of your own cannot be asked for
  its secrets: give them as `redact_values`.
- **Schemas** keep their field specs (a field may well be called `sasl_password`); only
  the default of a secret-looking field is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import quote

import httpx

from ..settings.auth import BasicAuth, Secret, secrets_of
from ..vocabulary import NO_DEFAULT_TEXT, SECRET_PARTS, is_secret_name

__all__ = ["REDACTED", "SECRET_NAME", "Redactor", "auth_secrets"]

REDACTED: Final = "REDACTED"
#: Parts that make a name secret wherever they occur in it.
SECRET_NAME: Final = re.compile(SECRET_PARTS, re.I)
_PEM: Final = re.compile(r"-----BEGIN [^\n-]*-----.*?(?:-----END [^\n-]*-----|\Z)", re.S)
#: The password of a URL's userinfo (`smtp://relay:PASSWORD@host`), in any string.
_URL_PASSWORD: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@")


def _is_schema(value: Any) -> bool:
    """Whether `value` is a Tastypie schema (a `fields` object of field specs), such as
    a `/schema/` answer or a listing's inline schema inside a recorded exchange."""
    fields = value.get("fields") if isinstance(value, dict) else None
    return (
        isinstance(fields, dict)
        and bool(fields)
        and all(isinstance(spec, dict) and "type" in spec for spec in fields.values())
    )


def _tells_something(value: Any) -> bool:
    """Booleans, nulls and empty values reveal nothing; keep them, so the field keeps its
    type."""
    if value is None or isinstance(value, bool):
        return False
    return value not in ("", [], {})


def auth_secrets(auth: httpx.Auth | None) -> tuple[str, ...]:
    """The secret texts of a client's credentials: this library's auth kinds, and httpx's
    own Basic and Digest (empty for any other `httpx.Auth`)."""
    found = [s.reveal() for s in secrets_of(auth)]
    if isinstance(auth, httpx.DigestAuth):
        found.append(auth._password.decode("utf-8", "replace"))
    elif isinstance(auth, httpx.BasicAuth):
        import base64

        token = auth._auth_header.split(" ", 1)[-1]
        found.append(base64.b64decode(token).decode("utf-8", "replace").partition(":")[2])
    if isinstance(auth, BasicAuth | httpx.BasicAuth):
        found.append(_basic_token(auth))  # the header itself, echoed by a server
    return tuple(s for s in found if s)


def _basic_token(auth: BasicAuth | httpx.BasicAuth) -> str:
    """The base64 text of a Basic `Authorization` header (it holds the password)."""
    request = next(auth.sync_auth_flow(httpx.Request("GET", "https://redaction.invalid/")))
    header: str = request.headers.get("authorization", "")
    return header.partition(" ")[2]


class Redactor:
    """The rule applied: `names` the caller adds, and the secret texts to cut out of every
    string (longest first, so a secret holding another is cut whole)."""

    def __init__(self, names: Iterable[str] = (), values: Iterable[str | Secret] = ()):
        self.names = tuple(names)
        texts = {v.reveal() if isinstance(v, Secret) else v for v in values}
        texts |= {quote(t, safe="") for t in texts}
        self._texts = sorted((t for t in texts if t), key=len, reverse=True)

    def text(self, value: str) -> str:
        """A string with every PEM block and every known secret replaced."""
        value = _PEM.sub(REDACTED, value)
        value = _URL_PASSWORD.sub(rf"\g<1>{REDACTED}@", value)
        for secret in self._texts:
            value = value.replace(secret, REDACTED)
        return value

    def value(self, value: Any, *, by_name: bool = True) -> Any:
        """A copy of `value`: with `by_name`, values under secret names become REDACTED;
        every string (keys too) goes through `text`."""
        if by_name and _is_schema(value):
            return self.schema(value)  # a spec under `change_pwd` is no secret
        if isinstance(value, dict):
            return {
                self.text(str(k)): REDACTED
                if by_name and is_secret_name(str(k), self.names) and _tells_something(v)
                else self.value(v, by_name=by_name)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.value(v, by_name=by_name) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def schema(self, schema: Any) -> Any:
        """A schema with its texts redacted and the defaults of secret-named fields hidden;
        field specs themselves are kept."""
        schema = self.value(schema, by_name=False)
        fields = schema.get("fields") if isinstance(schema, dict) else None
        for name, spec in (fields if isinstance(fields, dict) else {}).items():
            if (
                is_secret_name(name, self.names)
                and isinstance(spec, dict)
                and spec.get("default") != NO_DEFAULT_TEXT
                and _tells_something(spec.get("default"))
            ):
                spec["default"] = REDACTED
        return schema
