"""The fake's HTTP details: a request as the views read it, an answer before it becomes an
httpx response, JSON bodies, content negotiation and request bodies (Tastypie's
`determine_format` and `deserialize`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import FakeHttpError
from .answers import bad_request, canned
from .query import QueryDict

__all__ = [
    "HTML",
    "JSON",
    "Reply",
    "Request",
    "to_json",
    "error_reply",
    "negotiate",
    "ok",
    "read_body",
    "accept_parses",
    "method_check",
]

HTML = "text/html; charset=utf-8"
JSON = "application/json"
_BODY_FORMATS = {"application/json"}


@dataclass
class Reply:
    status: int
    content_type: str | None = None
    body: bytes = b""
    headers: dict[str, str] | None = None
    returned: bool = True  # a view's own answer (gets Vary) rather than a raised one


@dataclass
class Request:
    method: str
    path: str
    raw_path: str
    raw_query: str
    query: QueryDict
    pairs: tuple[tuple[str, str], ...]
    headers: httpx.Headers
    body: bytes


def to_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")


def error_reply(exc: FakeHttpError) -> Reply:
    if exc.text is not None:
        return Reply(exc.status, HTML, exc.text.encode(), exc.headers, returned=False)
    if exc.body is None:
        return Reply(exc.status, HTML, b"", exc.headers, returned=False)
    return Reply(exc.status, JSON, to_json(exc.body), exc.headers, returned=False)


def negotiate(req: Request) -> None:
    """`determine_format`: only an unparsable Accept header is an error (the fake
    always answers JSON)."""
    if req.query.get("format") in ("json", "xml"):
        return
    accept = req.headers.get("accept", "*/*")
    if accept != "*/*" and not accept_parses(accept):
        raise bad_request("Invalid Accept header")


def ok(req: Request, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    negotiate(req)
    return Reply(status, JSON, to_json(data), headers)


def method_check(req: Request, allowed: list[str], method: str | None = None) -> str:
    """The method the request asks (an override header wins) if `allowed` has it;
    OPTIONS answers the list, anything else a 405 with it."""
    method = (method or req.method).lower()
    allows = ",".join(m.upper() for m in allowed)
    if method == "options":
        raise FakeHttpError(200, text=allows, headers={"Allow": allows})
    if method not in allowed:
        raise FakeHttpError(405, text=allows, headers={"Allow": allows})
    return method


def read_body(req: Request) -> Any:
    """`deserialize`: JSON only (XML bodies get 415 here), invalid JSON is a 400."""
    content_type = req.headers.get("content-type", "application/json").split(";")[0]
    if content_type not in _BODY_FORMATS:
        raise canned(415)
    try:
        text = req.body.decode("utf-8")
    except UnicodeDecodeError:
        raise canned(500) from None
    try:
        return json.loads(text)
    except ValueError:
        raise bad_request("Request is not valid JSON.") from None


# ------------------------------------------------------------ views


def accept_parses(accept: str) -> bool:
    """Whether python-mimeparse can read an Accept header (Tastypie 400s otherwise)."""
    for media_range in accept.split(","):
        if not media_range.strip():
            continue
        full_type = media_range.split(";")[0].strip()
        if full_type == "*":
            continue
        if "/" not in full_type or len(full_type.split("/")) > 2:
            return False
    return True
