"""What an object keeps of what the server sent: a read cleaned of secret-looking extras,
a write's answer cleaned of what it merely echoed, and the new raw data a write's answer
gives (its body, else what was sent plus the URI its `Location` names).

Plain functions over a resource class's data (`_schema`, `_list_url`, `_has_schema`,
`_uri_key`) and the answer: they return the data, and the object takes it (writes.py).
A read of one object's body, and the check that a body is an object of the class asked
for, live here too: every read of an object goes through them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, cast

from ..errors import DoesNotExist, NotFound, ResponseError
from ..operations import Answer, Call, Operation, error_message
from ..settings.urls import masked_url
from ..vocabulary import looks_secret
from .detailuri import detail_uri_problem, keep_own_uri, keys_in, location_path

__all__ = [
    "Adopted",
    "adopted",
    "clean_read",
    "clean_write_answer",
    "key_from_uri",
    "not_own",
    "uri_key_in",
    "read_body_op",
    "other_owner",
    "check_own",
]

_ECHO_KEYS = frozenset({"pk"})


def clean_read(cls: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """Raw data to keep: everything but secret-looking keys the schema does not describe,
    unless the value is a flag or null (`ssl_cert_passphrase_set: false` is data)."""
    fields = cls._schema.fields
    if type(data) is dict and data.keys() <= fields.keys():
        # only schema fields: nothing to drop, and no copy either (a hot path): what an
        # object keeps is replaced, never changed in place, so sharing `data` is safe
        return cast("dict[str, Any]", data)
    return {
        k: v
        for k, v in data.items()
        if k in fields or not looks_secret(k) or v is None or isinstance(v, bool)
    }


def clean_write_answer(
    cls: Any, body: Mapping[str, Any], sent_extra: Iterable[str]
) -> dict[str, Any]:
    """A write answer minus what it merely echoed (`pk`, write-only inputs, secrets)."""
    fields = cls._schema.fields
    extra = set(sent_extra)
    return {
        k: v
        for k, v in body.items()
        if k in fields or not (k in _ECHO_KEYS or k in extra or looks_secret(k))
    }


def key_from_uri(uri: str) -> Any:
    """The key a detail URI ends in: an int when it is all digits."""
    last = uri.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else last


def uri_key_in(cls: Any, data: Mapping[str, Any], uri: str | None = None) -> str:
    """The field a detail URI carries when it is not the primary key
    (`detail_uri_name = "slug"`), or '' when the URI's last part is the primary key or
    nothing tells: a detail URI names one object, so the field is a unique one."""
    uri = uri if uri is not None else data.get("resource_uri")
    if not cls._has_schema or not isinstance(uri, str):
        return ""
    last = uri.rstrip("/").rsplit("/", 1)[-1]
    pk_name = cls._schema.primary_key
    if pk_name is None or (pk_name in data and str(data[pk_name]) == last):
        return ""
    for name, value in data.items():
        f = cls._schema.fields.get(name)
        if f is not None and f.unique and not isinstance(value, dict | list) and str(value) == last:
            return str(name)
    return ""


def not_own(cls: Any, body: Mapping[str, Any]) -> str:
    """Why a detail answer is not an object of resource `cls` ('' when it may be): its
    URI names another resource or a list, or it has none where the schema has one
    (a list page, or a redirect's target)."""
    uri = body.get("resource_uri")
    if isinstance(uri, str):
        problem = detail_uri_problem(cls._list_url, uri, keys_in(cls, body))
        return f"its resource_uri {masked_url(uri)!r}: {problem}" if problem else ""
    if cls._has_schema and "resource_uri" in cls._schema.fields:
        return "it has no resource_uri"
    return ""


class Adopted(NamedTuple):
    """What a write's answer makes of an object."""

    data: dict[str, Any]  # the new raw data, as last read
    answered: bool  # the answer carried the object (else: read it back)
    uri_key: str  # the class's `_uri_key`, learnt from a Location if new


def adopted(
    cls: Any,
    before: Mapping[str, Any],
    answer: Answer,
    sent: Mapping[str, Any],
    extra: Iterable[str],
) -> Adopted:
    """The raw data after a write: `before` plus what was `sent`, then the answer's body
    (minus echoes) when it has one, and the URI and key its `Location` names when it
    is a detail URI of this resource."""
    data = {**before, **sent}
    answered = isinstance(answer.body, dict) and bool(answer.body)
    if answered:
        data.update(clean_write_answer(cls, answer.body, extra))
        keep_own_uri(cls, data, before)
    path = location_path(answer)
    if path and detail_uri_problem(cls._list_url, path, keys_in(cls, data)):
        path = None  # a Location naming the list or another resource
    if (
        path
        and "resource_uri" not in data
        and (not cls._has_schema or "resource_uri" in cls._schema.fields)
    ):
        data["resource_uri"] = path
    uri_key = cls._uri_key
    if path and not uri_key:
        uri_key = uri_key_in(cls, data, path)
    pk_name = cls._schema.primary_key
    if path and pk_name and pk_name not in data and uri_key in ("", pk_name):
        data[pk_name] = key_from_uri(path)
    return Adopted(clean_read(cls, data), answered, uri_key)


def read_body_op(url: str, missing: str) -> Operation[dict[str, Any]]:
    """GET one object's body; a 404 becomes DoesNotExist, a non-object a ResponseError."""
    try:
        answer: Answer = yield Call("GET", url)
    except NotFound as exc:  # keep what the server said (HTML title, error_message)
        said = error_message(exc.body)[0]
        raise DoesNotExist(
            exc.status_code,
            exc.method,
            exc.url,
            exc.body,
            f"{missing}: {said}" if said else missing,
        ) from None
    if not isinstance(answer.body, dict):
        raise ResponseError(f"GET {url}: expected an object, got {type(answer.body).__name__}")
    return answer.body


def other_owner(cls: Any, body: Mapping[str, Any]) -> str | None:
    """The resource `body` says it belongs to, when that is not `cls` (None: it is
    `cls`'s, or `cls` cannot tell: untyped, or no URIs in its representation)."""
    if not cls.typed or "resource_uri" not in cls.fields:
        return None
    uri = body.get("resource_uri")
    owner = cls._catalogue.name_of_uri(uri) if isinstance(uri, str) else None
    return None if owner == cls.resource_name else owner or ""


def check_own(cls: Any, body: Mapping[str, Any], url: str) -> None:
    """Refuse to build an answer as `cls` when it is not one of its objects (a schema,
    or another resource's object reached through a URL the server resolved elsewhere)."""
    owner = other_owner(cls, body)
    if owner is not None:
        what = f"an object of {owner!r}" if owner else "no object (it has no resource_uri)"
        raise ResponseError(f"GET {url}: expected a {cls.resource_name} object, got {what}")
