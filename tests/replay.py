"""Replay MailRoute's own recordings (``fixtures/recordings/``) as an httpx transport.

The recordings are real answers of the MailRoute API (VCR cassettes of ``mailroute_ruby``
against ``https://admin-dev.mailroute.net``, 2013) plus documentation examples; see
``fixtures/recordings/PROVENANCE.md`` for where each file comes from. A recording file is::

    {"source": {...},
     "interactions": [{"request": {"method", "path", "query", "body"?},
                       "response": {"status", "headers", "body"}}, ...]}

`ReplayTransport` answers a request with a recorded response when the request matches one:

* **Matching.** Method and path must be equal (both percent-decoded). The query is compared as
  a multiset of decoded ``(key, value)`` pairs, so parameter order and ``%20``/``+`` do not
  matter. Every recorded pair must be sent; a pair the recording lacks is accepted only when
  it is *tolerated* for that interaction (below). Request bodies are not matched, but every
  served request is logged (`ReplayTransport.log`) so tests can assert what was sent.

* **Tolerated extra parameters** (explicit and per interaction, see `derive_tolerance`):

  - ``GET /api/v1/`` (the listing): ``fullschema`` with any value. The 2012/2013 server
    predates ``?fullschema`` (tastypie 0.13), so it ignored the parameter and answered
    exactly what was recorded.
  - A list answer whose recorded query has no ``limit`` / ``offset``: ``limit=<meta.limit>``
    and ``offset=<meta.offset>`` of that very answer, i.e. the defaults the server applied.
    Asking for them explicitly gives the same answer.
  - A list answer of reseller, customer or domain whose recorded query has no ``order_by``,
    when its objects are ordered by ``name`` case-insensitively: ``order_by=name``. The
    server's default ordering of these lists is by name (MAILROUTE.md §1; every recorded
    list of them is name-ordered), and its recorded answer to ``order_by=name`` has the
    same case-insensitive order, so asking for it explicitly gives the same page.
  - An error answer (status >= 400) to a GET: ``limit``, ``offset`` and ``order_by`` with
    any value. Those failures (401 authentication, 400 bad filter value, 404 unknown
    parent, 400 unscoped admins) happen before sorting and paging.
  - Whatever a test adds on purpose with `ReplayTransport.tolerate`, with a comment why.

* **A timeline per file.** Each file is one scenario recorded in order (the files in
  ``doc-examples/`` are independent hand-written examples instead: served in any order,
  each once). A request is served by the earliest *unused* matching interaction after the
  file's current position, unless a write (any method but GET/HEAD) recorded in between
  has not been replayed yet: nothing may jump over a state change (a test may `skip` a
  recorded write on purpose, saying why). When there is no such forward match, a GET is
  answered again with the latest matching answer at or before the current position,
  provided no write was replayed since it was recorded (the state it shows is unchanged).
  So the same request recorded several times is served in order (a GET before a PUT, then
  the GET after it), a client that reads once more than the recorded client did still
  gets the right state, and writes are never served twice.

* **Responses.** JSON bodies are re-encoded as JSON with the recorded Content-Type, or
  ``application/json; charset=utf-8`` when none was recorded (the 2013 server's type).
  String bodies are sent as they are (``""`` = empty) with the recorded Content-Type, or
  none when it is unknown. A recorded ``status: null`` (doc examples that do not say)
  is served as 200.

* **Not recorded.** A request that matches nothing raises an ``AssertionError`` that shows
  the request and the nearest recorded requests (with their file, index and whether they
  were used or blocked by an unreplayed write).

* **Synthetic interactions.** `ReplayTransport.add` adds answers that are not on any
  timeline and may be served any number of times. `mailroute_replay` uses them for
  discovery: the ``/api/v1/`` listing (KB Part 1) and the ``/schema/`` answers (KB Parts
  2-5), which come from documentation dumps, not from the recorded admin-dev server, plus
  clearly labelled stand-ins (`SCHEMA_404`, `synthetic_schemas`) for schemas never seen.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

from mailroute_dyn import Client

__all__ = [
    "RECORDINGS",
    "BASE_URL",
    "LOGIN",
    "API_KEY",
    "Interaction",
    "Served",
    "ReplayTransport",
    "derive_tolerance",
    "load_recording",
    "recorded_schemas",
    "recorded_listing",
    "mailroute_replay",
    "replay_client",
    "synthetic_schemas",
    "SCHEMA_404",
]

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"
BASE_URL = "https://admin-dev.mailroute.net"
LOGIN = "replay"
API_KEY = "replay-key-not-real"  # obviously fake; the recordings hold no key either
JSON_TYPE = "application/json; charset=utf-8"
ANY: None = None  # a tolerated parameter whose value may be anything

KB = "kb-docs"
KB_LISTING = (f"{KB}/api-part-1-introduction-authentication-schema-and-resources.json", 0)
# Which recorded /schema/ answer stands for each resource. All are KB Parts 2-5 (dumps made
# on 2013-02-18 on a developer machine). email_account has two: Part 1's older one (no
# PATCH, `domain` writable) and Part 5's; Part 5 is the default, Part 1's is available via
# recorded_schemas(email_account="part-1").
KB_SCHEMAS: dict[str, tuple[str, int]] = {
    "reseller": (f"{KB}/api-part-2-reseller-resource.json", 0),
    "contact_reseller": (f"{KB}/api-part-2-reseller-resource.json", 5),
    "admins": (f"{KB}/api-part-2-reseller-resource.json", 10),
    "customer": (f"{KB}/api-part-3-customer-resource.json", 0),
    "contact_customer": (f"{KB}/api-part-3-customer-resource.json", 5),
    "domain": (f"{KB}/api-part-4-domain-resource.json", 0),
    "domain_alias": (f"{KB}/api-part-4-domain-resource.json", 5),
    "mail_server": (f"{KB}/api-part-4-domain-resource.json", 10),
    "outbound_server": (f"{KB}/api-part-4-domain-resource.json", 15),
    "policy_user": (f"{KB}/api-part-4-domain-resource.json", 20),
    "wblist": (f"{KB}/api-part-4-domain-resource.json", 22),
    "email_account": (f"{KB}/api-part-5-email-account-resource.json", 0),
    "localpart_alias": (f"{KB}/api-part-5-email-account-resource.json", 5),
}
KB_EMAIL_ACCOUNT_PART_1 = (KB_LISTING[0], 1)

# SYNTHETIC. The answer served for a /schema/ that no source shows (contact_domain,
# contact_email_account, domain_with_alias, notification_*_task, policy_domain, and the
# unlisted brandinginfo, mailaddr, ...). It copies the recorded 404 for a missing object
# (empty body, text/html, e.g. kb-docs Part 1 #8): the client must still read such objects,
# untyped. The real server had these routes; what they answered is unknown.
SCHEMA_404 = {"status": 404, "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": ""}

# Names under /api/v1/ that recordings use but the listing does not name (MAILROUTE.md §2.2).
UNLISTED = (
    "brandinginfo",
    "mailaddr",
    "branding_info",
    "notification_task",
    "quarantine",
    "quarantine_message",
)

# The default ordering of these lists (every recorded list of them is name-ordered).
DEFAULT_ORDERING = {"reseller": "name", "customer": "name", "domain": "name"}


def _policy_domain_schema(policy_user: Mapping[str, Any]) -> dict[str, Any]:
    """SYNTHETIC, hand-made: policy_domain's schema was never published. MAILROUTE.md §3 says
    it has "the same amavis fields + domain URI" as policy_user; the recordings show only
    GET detail and PUT on it, so those are the methods given here."""
    schema = copy.deepcopy(dict(policy_user))
    fields = schema["fields"]
    fields.pop("email_account", None)
    fields["domain"] = {
        "blank": False,
        "default": "No default provided.",
        "help_text": "A single related resource. Can be either a URI or set of nested "
        "resource data.",
        "nullable": False,
        "readonly": False,
        "related_type": "to_one",
        "type": "related",
        "unique": False,
    }
    schema["allowed_list_http_methods"] = ["get", "put"]
    schema["allowed_detail_http_methods"] = ["get", "put"]
    schema["filtering"] = {}
    schema["_synthetic"] = "hand-made in tests/replay.py from policy_user's schema"
    return schema


def load_recording(name: str | Path) -> dict[str, Any]:
    """A recording file, by path or by name relative to fixtures/recordings/."""
    path = Path(name)
    if not path.is_absolute() and not path.exists():
        path = RECORDINGS / path
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _recorded(ref: tuple[str, int]) -> dict[str, Any]:
    return load_recording(ref[0])["interactions"][ref[1]]  # type: ignore[no-any-return]


def recorded_listing() -> dict[str, Any]:
    """The `GET /api/v1/` answer of KB Part 1 (19 resources)."""
    return _recorded(KB_LISTING)["response"]["body"]  # type: ignore[no-any-return]


def recorded_schemas(*, email_account: str = "part-5") -> dict[str, dict[str, Any]]:
    """Every /schema/ answer the KB articles show, by resource name."""
    out = {name: _recorded(ref)["response"]["body"] for name, ref in KB_SCHEMAS.items()}
    if email_account == "part-1":
        out["email_account"] = _recorded(KB_EMAIL_ACCOUNT_PART_1)["response"]["body"]
    elif email_account != "part-5":
        raise ValueError("email_account is 'part-1' or 'part-5'")
    return out


def synthetic_schemas() -> dict[str, dict[str, Any]]:
    """SYNTHETIC schemas for resources whose schema was never published (labelled inside)."""
    return {"policy_domain": _policy_domain_schema(recorded_schemas()["policy_user"])}


# ---------------------------------------------------------------- interactions


def _pairs(query: str) -> Counter[tuple[str, str]]:
    return Counter(parse_qsl(query, keep_blank_values=True))


def _norm_path(path: str) -> str:
    return unquote(path)


@dataclass
class Interaction:
    """One recorded (or synthetic) request/answer pair."""

    source: str  # "ruby-vcr/<stem>" or "synthetic"
    index: int  # position in its file (-1 for synthetic)
    method: str
    path: str
    query: str
    status: int | None
    headers: dict[str, str]
    body: Any
    request_body: Any = None
    tolerated: dict[str, frozenset[str] | None] = field(default_factory=dict)
    repeatable: bool = False  # synthetic: never consumed, not on a timeline
    note: str = ""
    served: int = 0
    skipped: bool = False  # a recorded write the test does not replay, on purpose

    @property
    def pairs(self) -> Counter[tuple[str, str]]:
        return _pairs(self.query)

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD")

    def label(self) -> str:
        where = self.source if self.index < 0 else f"{self.source}#{self.index}"
        query = f"?{self.query}" if self.query else ""
        return f"{self.method} {self.path}{query} -> {self.status} ({where})"

    def extra_ok(self, extra: Counter[tuple[str, str]]) -> bool:
        for (key, value), _n in extra.items():
            if key not in self.tolerated:
                return False
            allowed = self.tolerated[key]
            if allowed is not ANY and value not in allowed:
                return False
        return True

    def matches(self, method: str, path: str, pairs: Counter[tuple[str, str]]) -> bool:
        if method != self.method or path != _norm_path(self.path):
            return False
        recorded = self.pairs
        if recorded - pairs:  # something recorded was not sent
            return False
        return self.extra_ok(pairs - recorded)

    def content(self) -> tuple[bytes, dict[str, str]]:
        """The body bytes and headers to serve."""
        headers = dict(self.headers)
        body = self.body
        if isinstance(body, str):
            return body.encode("utf-8"), headers
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = JSON_TYPE
        return json.dumps(body).encode("utf-8"), headers


def derive_tolerance(
    request: Mapping[str, Any], response: Mapping[str, Any]
) -> dict[str, frozenset[str] | None]:
    """The extra query parameters this recorded request tolerates (module docstring)."""
    method = request["method"].upper()
    path = _norm_path(request["path"])
    recorded = {k for k, _ in parse_qsl(request.get("query") or "", keep_blank_values=True)}
    body = response.get("body")
    status = response.get("status")
    out: dict[str, frozenset[str] | None] = {}
    if method != "GET":
        return out
    if path == "/api/v1/":
        out["fullschema"] = ANY
    if isinstance(status, int) and status >= 400:
        for key in ("limit", "offset", "order_by"):
            if key not in recorded:
                out[key] = ANY
        return out
    if not (
        isinstance(body, dict)
        and isinstance(body.get("meta"), dict)
        and isinstance(body.get("objects"), list)
    ):
        return out
    meta = body["meta"]
    for key in ("limit", "offset"):
        if key not in recorded and isinstance(meta.get(key), int):
            out[key] = frozenset({str(meta[key])})
    resource = path.removeprefix("/api/v1/").strip("/")
    order = DEFAULT_ORDERING.get(resource)
    objects = body["objects"]
    if (
        order
        and "order_by" not in recorded
        and all(isinstance(o, dict) and isinstance(o.get(order), str) for o in objects)
    ):
        names = [o[order] for o in objects]
        if names == sorted(names, key=str.casefold):
            out["order_by"] = frozenset({order})
    return out


@dataclass
class Served:
    """One request the transport answered (or refused)."""

    method: str
    path: str
    query: str
    pairs: Counter[tuple[str, str]]
    json: Any
    headers: dict[str, str]
    interaction: Interaction | None
    repeated: bool = False


class _Timeline:
    """The interactions of one file, in recorded order, and where the replay stands."""

    def __init__(self, name: str, interactions: list[Interaction], *, ordered: bool = True):
        self.name = name
        self.items = interactions
        self.ordered = ordered  # False: independent examples, no order and no barriers
        self.now = -1  # index of the latest interaction served (forward)

    def _write_between(self, lo: int, hi: int, *, served: bool) -> Interaction | None:
        for item in self.items[lo + 1 : hi]:
            if item.is_write and not item.skipped and (item.served > 0) == served:
                return item
        return None

    def forward(
        self, method: str, path: str, pairs: Counter[tuple[str, str]]
    ) -> tuple[Interaction | None, Interaction | None]:
        """(match, blocker): the next unused match, or the unreplayed write before it."""
        if not self.ordered:
            for item in self.items:
                if not item.served and not item.skipped and item.matches(method, path, pairs):
                    return item, None
            return None, None
        blocker = None
        for item in self.items[self.now + 1 :]:
            if item.served or item.skipped or not item.matches(method, path, pairs):
                continue
            wall = self._write_between(self.now, item.index, served=False)
            if wall is None:
                return item, None
            blocker = blocker or wall
        return None, blocker

    def backward(
        self, method: str, path: str, pairs: Counter[tuple[str, str]]
    ) -> Interaction | None:
        """The latest read at or before `now` whose state no replayed write has changed."""
        if method not in ("GET", "HEAD"):
            return None
        if not self.ordered:
            served = [
                i
                for i in self.items
                if i.served and not i.skipped and i.matches(method, path, pairs)
            ]
            return served[-1] if served else None
        for item in reversed(self.items[: self.now + 1]):
            if not item.skipped and item.matches(method, path, pairs):
                if self._write_between(item.index, self.now + 1, served=True) is None:
                    return item
                return None
        return None


class ReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport (sync and async) that answers from recordings (module docstring).

    `origin` and `authorization`, when given, are checked on every request: the client must
    only talk to its own server and must always send its key (the real server answers 401
    otherwise).
    """

    def __init__(
        self,
        files: Iterable[str | Path] = (),
        *,
        origin: str | None = BASE_URL,
        authorization: str | None = f"ApiKey {LOGIN}:{API_KEY}",
    ):
        self.origin = origin
        self.authorization = authorization
        self.timelines: list[_Timeline] = []
        self.synthetic: list[Interaction] = []
        self.log: list[Served] = []
        self._lock = threading.Lock()
        for name in files:
            self.load(name)

    # -- building

    def load(self, name: str | Path, *, ordered: bool | None = None) -> list[Interaction]:
        """Add one recording file as a timeline; returns its interactions. `ordered`
        defaults to True except for ``doc-examples/`` (independent examples)."""
        data = load_recording(name)
        path = Path(name)
        source = f"{path.parent.name}/{path.stem}" if path.parent.name else path.stem
        items = []
        for i, raw in enumerate(data["interactions"]):
            req, resp = raw["request"], raw["response"]
            items.append(
                Interaction(
                    source=source,
                    index=i,
                    method=req["method"].upper(),
                    path=req["path"],
                    query=req.get("query") or "",
                    status=resp.get("status"),
                    headers=dict(resp.get("headers") or {}),
                    body=resp.get("body"),
                    request_body=req.get("body"),
                    tolerated=derive_tolerance(req, resp),
                    note=raw.get("note", ""),
                )
            )
        if ordered is None:
            ordered = path.parent.name != "doc-examples"
        self.timelines.append(_Timeline(source, items, ordered=ordered))
        return items

    def add(
        self,
        method: str,
        path: str,
        query: str = "",
        *,
        status: int = 200,
        body: Any = "",
        headers: Mapping[str, str] | None = None,
        tolerate: Mapping[str, Iterable[str] | None] | None = None,
        note: str = "synthetic",
    ) -> Interaction:
        """A synthetic answer, served whenever it matches (recorded ones are tried first)."""
        item = Interaction(
            source=f"synthetic: {note}",
            index=-1,
            method=method.upper(),
            path=path,
            query=query,
            status=status,
            headers=dict(headers or {}),
            body=body,
            tolerated={
                k: (None if v is None else frozenset(v)) for k, v in (tolerate or {}).items()
            },
            repeatable=True,
            note=note,
        )
        self.synthetic.append(item)
        return item

    def tolerate(
        self, method: str, path: str, query: str = "", *, why: str, **params: Iterable[str] | None
    ) -> list[Interaction]:
        """Let the recorded `method path?query` also accept `params` (value sets, or None for
        any value). `why` must say why the recorded answer stays right; it is kept as a note.
        """
        if not why:
            raise ValueError("say why the recorded answer is still the right one")
        hits = [
            item
            for t in self.timelines
            for item in t.items
            if item.method == method.upper() and item.path == path and item.pairs == _pairs(query)
        ]
        if not hits:
            raise AssertionError(f"No recorded {method} {path}?{query} to tolerate extras on.")
        for item in hits:
            for key, values in params.items():
                item.tolerated[key] = None if values is None else frozenset(values)
            item.note = (item.note + " | " if item.note else "") + f"tolerates {params}: {why}"
        return hits

    def skip(self, method: str, path: str, query: str = "", *, why: str) -> list[Interaction]:
        """Mark recorded writes `method path?query` as not replayed on purpose: they no longer
        block later requests and are never served. Reads recorded after them may show their
        effect, so a test that skips a write must not rely on such reads."""
        if not why:
            raise ValueError("say why the write is not replayed")
        hits = [
            item
            for t in self.timelines
            for item in t.items
            if item.method == method.upper()
            and item.path == path
            and item.pairs == _pairs(query)
            and item.is_write
        ]
        if not hits:
            raise AssertionError(f"No recorded write {method} {path}?{query} to skip.")
        for item in hits:
            item.skipped = True
            item.note = (item.note + " | " if item.note else "") + f"skipped: {why}"
        return hits

    def override_headers(
        self, method: str, path: str, query: str = "", *, why: str, **headers: str
    ) -> list[Interaction]:
        """SYNTHETIC header additions on recorded answers (the recordings keep only
        Content-Type and Location); `why` documents the source of the header."""
        hits = [
            item
            for t in self.timelines
            for item in t.items
            if item.method == method.upper() and item.path == path and item.pairs == _pairs(query)
        ]
        if not hits:
            raise AssertionError(f"No recorded {method} {path}?{query} to add headers to.")
        for item in hits:
            item.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
            item.note = (item.note + " | " if item.note else "") + f"synthetic headers: {why}"
        return hits

    # -- inspecting

    @property
    def recorded(self) -> list[Interaction]:
        return [item for t in self.timelines for item in t.items]

    def unused(self) -> list[Interaction]:
        """Recorded interactions never served."""
        return [item for item in self.recorded if not item.served]

    def sent(self, method: str | None = None, path: str | None = None) -> list[Served]:
        """Logged requests, optionally of one method and/or path."""
        return [
            s
            for s in self.log
            if (method is None or s.method == method.upper()) and (path is None or s.path == path)
        ]

    def requests_summary(self) -> list[str]:
        return [f"{s.method} {s.path}{'?' + s.query if s.query else ''}" for s in self.log]

    # -- serving

    def _find(
        self, method: str, path: str, pairs: Counter[tuple[str, str]]
    ) -> tuple[Interaction | None, bool, list[Interaction]]:
        blockers: list[Interaction] = []
        for timeline in self.timelines:
            item, blocker = timeline.forward(method, path, pairs)
            if item is not None:
                if timeline.ordered:
                    timeline.now = item.index
                return item, False, blockers
            if blocker is not None:
                blockers.append(blocker)
        for timeline in self.timelines:
            item = timeline.backward(method, path, pairs)
            if item is not None:
                return item, True, blockers
        for item in self.synthetic:
            if item.matches(method, path, pairs):
                return item, True, blockers
        return None, False, blockers

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if self.origin is not None:
            here = f"{url.scheme}://{url.netloc.decode('ascii')}"
            assert here == self.origin, f"request to {here}, not to {self.origin}: {url}"
        if self.authorization is not None:
            got = request.headers.get("authorization")
            assert got == self.authorization, (
                f"{request.method} {url.path}: Authorization header "
                f"{'missing' if got is None else 'differs'}"
            )
        method = request.method.upper()
        path = _norm_path(url.path)
        query = url.query.decode("ascii") if isinstance(url.query, bytes) else str(url.query)
        pairs = _pairs(query)
        content = request.read()
        try:
            sent_json = json.loads(content) if content else None
        except ValueError:
            sent_json = content.decode("utf-8", errors="replace")
        with self._lock:
            item, repeated, blockers = self._find(method, path, pairs)
            self.log.append(
                Served(method, path, query, pairs, sent_json, dict(request.headers), item, repeated)
            )
            if item is None:
                raise AssertionError(self._not_recorded(method, path, query, pairs, blockers))
            item.served += 1
        body, headers = item.content()
        return httpx.Response(
            item.status if item.status is not None else 200,
            headers=headers,
            content=body,
            request=request,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The same answers for an `AsyncClient` (the body is read before matching)."""
        await request.aread()
        return self.handle_request(request)

    def _not_recorded(
        self,
        method: str,
        path: str,
        query: str,
        pairs: Counter[tuple[str, str]],
        blockers: list[Interaction],
    ) -> str:
        wanted = f"{method} {path}{'?' + query if query else ''}"
        pool = self.recorded + self.synthetic

        def flat(m: str, p: str, q: Counter[tuple[str, str]]) -> str:
            return f"{m} {p}?{'&'.join(sorted(f'{k}={v}' for k, v in q.elements()))}"

        mine = flat(method, path, pairs)

        def score(item: Interaction) -> float:
            text = flat(item.method, _norm_path(item.path), item.pairs)
            bonus = (item.method == method) + (_norm_path(item.path) == path)
            return bonus + difflib.SequenceMatcher(None, text, mine).ratio()

        nearest = sorted(pool, key=score, reverse=True)[:6]
        lines = [f"Request not recorded: {wanted}", "Nearest recorded requests:"]
        for item in nearest:
            state = "used" if item.served and not item.repeatable else "unused"
            if item.repeatable:
                state = "synthetic"
            why = []
            if item.method != method or _norm_path(item.path) != path:
                why.append("other method or path")
            else:
                missing = item.pairs - pairs
                refused = [
                    f"{k}={v}"
                    for (k, v) in (pairs - item.pairs)
                    if not item.extra_ok(Counter({(k, v): 1}))
                ]
                if missing:
                    why.append(f"not sent: {'&'.join(f'{k}={v}' for k, v in missing)}")
                if refused:
                    why.append(
                        f"extra not tolerated: {'&'.join(refused)} "
                        f"(tolerated: {', '.join(sorted(item.tolerated)) or 'none'})"
                    )
            lines.append(f"  {item.label()} [{state}]{' ' + '; '.join(why) if why else ''}")
        for wall in blockers:
            lines.append(f"  (a match exists after the unreplayed write {wall.label()})")
        return "\n".join(lines)


# ---------------------------------------------------------------- the MailRoute setup


def mailroute_replay(
    files: Iterable[str | Path] = (),
    *,
    with_schemas: bool = True,
    email_account_schema: str = "part-5",
    extra_schemas: Mapping[str, Mapping[str, Any]] | None = None,
) -> ReplayTransport:
    """A transport with `files` plus what discovery needs.

    With `with_schemas`: recorded listing and schema answers in `files` are set aside, and
    discovery gets the KB Part 1 listing at ``/api/v1/`` (``fullschema`` tolerated),
    the KB Parts 2-5 schemas, `extra_schemas` (e.g. `synthetic_schemas()`), and
    `SCHEMA_404` (synthetic) for every other listed resource, the known unlisted names and
    any other name the loaded recordings request or mention, so the client meets
    unreachable schemas and must read those objects untyped.
    """
    transport = ReplayTransport(files)
    if not with_schemas:
        return transport
    for item in transport.recorded:  # discovery answers come from the setup below only
        if item.method == "GET" and (item.path == "/api/v1/" or item.path.endswith("/schema/")):
            item.skipped = True
            item.note = (
                item.note + " | " if item.note else ""
            ) + "skipped: discovery is served by mailroute_replay's listing and schemas"
    listing = recorded_listing()
    transport.add(
        "GET",
        "/api/v1/",
        body=listing,
        headers={},
        tolerate={"fullschema": None},
        note="KB Part 1 listing (doc dump, 2012)",
    )
    schemas = recorded_schemas(email_account=email_account_schema)
    schemas.update({k: dict(v) for k, v in (extra_schemas or {}).items()})
    for name, schema in sorted(schemas.items()):
        transport.add(
            "GET",
            f"/api/v1/{name}/schema/",
            body=schema,
            headers={"Content-Type": JSON_TYPE},
            note=(
                "SYNTHETIC schema"
                if "_synthetic" in schema
                else f"KB schema of {name} (doc dump, 2013-02-18)"
            ),
        )
    for name in sorted((set(listing) | set(UNLISTED) | _resource_names(transport)) - set(schemas)):
        transport.add(
            "GET",
            f"/api/v1/{name}/schema/",
            status=SCHEMA_404["status"],
            body=SCHEMA_404["body"],
            headers=SCHEMA_404["headers"],
            note=f"SYNTHETIC 404: no source shows the schema of {name}",
        )
    return transport


_URI = re.compile(r"/api/v1/([a-z_]+)/")


def _resource_names(transport: ReplayTransport) -> set[str]:
    """Every resource name under /api/v1/ that the loaded recordings request or mention."""
    found: set[str] = set()
    for item in transport.recorded:
        found.update(_URI.findall(item.path))
        found.update(_URI.findall(json.dumps(item.body)))
    return found


def replay_client(transport: httpx.BaseTransport, **overrides: Any) -> Client:
    """The client under test on `transport`.

    ``page_size=20`` is the ``default_limit`` of every recorded schema, so the pages the
    client asks for are the pages the server gave the recording client, which sent no limit.
    """
    options: dict[str, Any] = dict(
        base_url=BASE_URL,
        login=LOGIN,
        api_key=API_KEY,
        transport=transport,
        cache_dir=None,
        retries=0,
        page_size=20,
    )
    options.update(overrides)
    return Client(**options)
