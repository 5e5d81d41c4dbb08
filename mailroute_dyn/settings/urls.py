"""URLs as the settings judge them: what can be sent at all, what 'the same server' means,
and how a URL that may hold a secret is shown."""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

__all__ = [
    "url_problem",
    "join_url",
    "base_url_problem",
    "origin_of",
    "same_origin",
    "masked_url",
    "is_loopback",
]


def is_loopback(host: str) -> bool:
    """A host on this machine: plain http to it exposes nothing on a network."""
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
#: A path with a query in plain characters (no scheme, no host, nothing to quote, no
#: bracket or port to read): what a Tastypie next link is. Nothing to find wrong in it.
_PLAIN_PATH: Final = re.compile(r"/(?!/)[A-Za-z0-9._~%/?&=+:,;@!$'()*-]*")


def url_problem(url: object) -> str:
    """Why `url` cannot be sent as it is ('' when it can): what urllib or httpx would
    refuse (a bracket left open, a port past 65535, a control character, a lone
    surrogate, a host IDNA rejects), found here so no bare ValueError escapes later."""
    if not isinstance(url, str):
        return f"a URL is a string, not {type(url).__name__}"
    if _PLAIN_PATH.fullmatch(url):  # (in C: every page's next link is one)
        return ""
    if _CONTROL.search(url):
        return "it holds a control character"
    try:
        url.encode("utf-8")
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port out of range or not a number
        if parts.scheme or parts.netloc:
            httpx.URL(url).host  # noqa: B018 - IDNA-decoded only when read (xn--...)
        urlsplit(urlunsplit(parts))  # what the client rebuilds from it parses too
    except (ValueError, httpx.InvalidURL) as exc:  # (UnicodeError is a ValueError)
        return str(exc).split("\n", 1)[0][:80] or type(exc).__name__
    if parts.scheme.lower() not in ("", "http", "https"):
        return f"{parts.scheme[:20]!r} is not http or https"
    return ""


#: The scheme and a plain host[:port] (no brackets, no spaces) at the start of a URL.
_ORIGIN: Final = re.compile(r"https?://[A-Za-z0-9.:@_~%!$&'()*+,;=-]+")


def join_url(base: str, ref: str) -> str:
    """`urljoin(base, ref)`, with the usual link (a path from the root with a query, as
    every `meta.next` of Tastypie's) joined by slicing instead: it comes once per page.
    Anything urllib would rework (dot segments, `;` parameters, a fragment, an empty
    query, characters it strips) goes through `urljoin` itself, so the answer is always
    urljoin's."""
    origin = _ORIGIN.match(base)
    if (
        origin is not None
        and base[origin.end() : origin.end() + 1] in ("", "/", "?", "#")
        and ref[:1] == "/"
        and ref[1:2] != "/"
        and _CONTROL.search(ref) is None
        and "#" not in ref
    ):
        path, mark, query = ref.partition("?")
        if "/." not in path and ";" not in path and (query or not mark):
            return origin.group() + ref
    return urljoin(base, ref)


def origin_of(url: str) -> str:
    """scheme://host[:port], lower-cased, default ports dropped: what 'same server' means."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def same_origin(url: str, origin: str) -> bool:
    """True for a relative URL or one on `origin`: the only places the key may go."""
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return True
    return origin_of(url) == origin


def masked_url(url: object) -> str:
    """A URL that may not even parse, as it may be shown: no userinfo, no secret-looking
    query values, at most 80 characters."""
    text = re.sub(r"//[^/?#]*@", "//***@", str(url))
    return re.sub(r"(?i)((?:api_key|apikey|password|key)=)[^&#]*", r"\1***", text)[:80]


def base_url_problem(url: str) -> str:
    """What a URL may have but a base URL may not: the API path and every request's
    own path and query are appended to it."""
    parts = urlsplit(url)
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "a base URL has no query or fragment"
    if any(c.isspace() for c in url):
        return "it holds white space"
    return ""
