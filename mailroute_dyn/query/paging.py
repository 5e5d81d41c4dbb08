"""Paging: one list answer read as a `Page` (its objects, `meta`'s total and the next
page's URL, checked): what the walk over a whole listing (walk.py) decides from.
Nothing here sends a request.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..errors import ResponseError
from ..operations import Answer
from ..settings.urls import join_url, masked_url, url_problem

__all__ = ["Page", "read_page", "collection_name"]


class Page(NamedTuple):
    """One list answer: the raw objects and where the next page is."""

    objects: list[dict[str, Any]]
    next_url: str | None
    total_count: int | None
    limit: int | None
    offset: int
    url: str = ""  # the URL the page was asked for, with its query


def collection_name(body: Any) -> str | None:
    """The key holding a list answer's objects: `objects`, or the one other list beside
    `meta` (a resource's `Meta.collection_name`)."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("objects"), list):
        return "objects"
    lists = [k for k, v in body.items() if k != "meta" and isinstance(v, list)]
    return lists[0] if len(lists) == 1 else None


def read_page(answer: Answer) -> Page:
    """A `Page` from a list answer; `ResponseError` when it is not a Tastypie list."""
    body = answer.body
    if isinstance(body, list):  # a bare list: take it as the only page
        body = {"objects": body}
    objects = body.get(collection_name(body) or "objects") if isinstance(body, dict) else None
    if not isinstance(objects, list):
        raise ResponseError(
            f"GET {answer.url}: expected a list with 'objects', got {type(body).__name__}"
        )
    if set(map(type, objects)) - {dict}:  # a whole-page check; the culprit named below
        for item in objects:
            if not isinstance(item, dict):
                raise ResponseError(f"GET {answer.url}: a list item is not an object: {item!r:.80}")
    meta: dict[str, Any] = body["meta"] if isinstance(body.get("meta"), dict) else {}
    next_url = _next_url(answer, meta.get("next"))

    def number(key: str) -> int | None:
        value = meta.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    total = number("total_count")
    return Page(objects, next_url, total, number("limit"), number("offset") or 0, answer.url)


def _next_url(answer: Answer, nxt: Any) -> str | None:
    """`meta.next` resolved against the page's URL; `ResponseError` when unusable."""
    if not isinstance(nxt, str) or not nxt:
        return None
    problem = url_problem(nxt)
    if problem:
        raise ResponseError(
            f"GET {answer.url}: its meta.next {masked_url(nxt)!r} is not a usable URL ({problem})"
        )
    return join_url(answer.url, nxt)
