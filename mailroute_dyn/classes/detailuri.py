"""Which URIs are detail URIs of a resource: the check every detail operation passes
before it is sent (writes.py `_detail`), and what an answer may set an object's URI to.

A detail URI of a resource is its list endpoint plus one key segment (slashless APIs
too), or deeper only when it ends in the object's own key (MailRoute's nested
`/admins/customer/1300/admin/43698/`). The list itself, another resource's URI, the
schema, a query or a path step never are: a DELETE there removes every row, or another.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import GuardError
from ..operations import Answer
from ..settings.urls import masked_url, url_problem

__all__ = [
    "detail_uri_problem",
    "checked_detail",
    "keys_in",
    "keep_own_uri",
    "location_path",
    "has_dot_segments",
]


def has_dot_segments(uri: str) -> bool:
    """True for `/api/v1/domain/../email_account/5/`: the server resolves such a path to
    another resource than its first part names. (Plain string work: it never raises,
    whatever the URI.)"""
    path = uri.split("?", 1)[0].split("#", 1)[0]
    return any(part in (".", "..") for part in unquote(path).split("/"))


def detail_uri_problem(list_url: str, uri: str, keys: Collection[str]) -> str:
    """Why `uri` is not a detail URI of the resource at `list_url` ('' when it is): under
    the list endpoint with one key segment more (slashless or not), or deeper only when its last
    segment is one of the object's own `keys` (MailRoute's nested admin URIs). The list
    itself, another resource's URI, the schema, a query or a path step are refused: a
    detail operation sent there could change every object, or another one."""
    problem = url_problem(uri)
    if problem:
        return f"it is not a usable URL ({problem})"
    parts = urlsplit(uri)
    if parts.query or parts.fragment or uri.endswith(("?", "#")):
        return "a detail URI has no query"
    if has_dot_segments(uri):
        return "it has '.' or '..' segments"
    own = urlsplit(list_url).path.rstrip("/") + "/"
    if not parts.path.startswith(own):
        return f"it is not under {own}"
    rest = parts.path[len(own) :]
    segments = (rest[:-1] if rest.endswith("/") else rest).split("/")
    if "" in segments:
        return "it names the list, not one object"
    if len(segments) == 1:
        return "it is the schema" if segments[0] == "schema" else ""
    if unquote(segments[-1]) in keys:
        return ""
    return "it is more than one key under the list, and does not end in this object's key"


def keys_in(cls: Any, data: Mapping[str, Any]) -> frozenset[str]:
    """The object's own key values as text (primary key, and the field its detail URIs
    carry when that is another one): what a nested detail URI must end in."""
    names = {cls._schema.primary_key or "id", cls._uri_key}
    return frozenset(
        str(data[n]) for n in names if n and data.get(n) is not None and data.get(n) != ""
    )


def checked_detail(cls: Any, uri: str, keys: Collection[str]) -> str:
    """`uri` when it is a detail URI of `cls`'s resource; `GuardError` otherwise."""
    problem = detail_uri_problem(cls._list_url, uri, keys)
    if problem:
        raise GuardError(
            f"Refusing a detail operation of {cls._schema.name} on "
            f"{masked_url(uri)!r}: {problem}. Nothing was sent."
        )
    return uri


def keep_own_uri(cls: Any, data: dict[str, Any], before: Mapping[str, Any]) -> None:
    """An answer may not change an object's URI to one that is not a detail URI of its
    own resource (the list, another resource's object): the URI it had stays."""
    uri = data.get("resource_uri")
    if (
        not isinstance(uri, str)
        or uri == before.get("resource_uri")
        or not detail_uri_problem(cls._list_url, uri, keys_in(cls, data))
    ):
        return
    if before.get("resource_uri") is None:
        data.pop("resource_uri", None)
    else:
        data["resource_uri"] = before["resource_uri"]


def location_path(answer: Answer) -> str | None:
    """The path of a write answer's `Location`, in the server's own form (slashless
    APIs have no trailing slash, and adding one would make it another URI)."""
    location = answer.headers.get("location")
    if not location or has_dot_segments(location):
        return None
    return urlsplit(location).path or None
