"""Every write a test sends to a real server, journaled with before-images and taken back
at teardown (the staging switch of the pytest plugin): created objects deleted, updated
fields put back, deleted objects created again. Loaded by the plugin's fixtures only.

The journal is the admin runs' (`mailroute_dyn.runs.journal`), written at the transport, so
the sync and the async client, model calls and raw `client.request()` writes alike are
in it; teardown takes it back with `undo`. A test whose teardown never ran (a killed run)
leaves its journal for `mailroute-dyn undo FILE`.
"""

from __future__ import annotations

import json
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..client import Client
from ..errors import MailRouteError
from ..runs.journal import Journal, kept

__all__ = ["JournaledWrites", "put_back"]

_WRITES = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class _Write:
    """One object a request writes: its verb (`create`, `update`, `delete`), URI (None
    for a create until the answer names it), and images around the write."""

    verb: str
    uri: str | None
    sent: dict[str, Any] | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    row: Any = None  # the row's name in its journal job
    job: Any = field(default=None, repr=False)
    unread: str = ""  # why the before-image could not be read

    def read_before(self, response: httpx.Response) -> None:
        """The before-image from a GET's answer: a 404 means the object is missing (a
        PUT then creates it); any other failure leaves the row unknown, never guessed."""
        self.before = _image(response)
        if self.before is None and response.status_code != 404:
            self.unread = f"HTTP {response.status_code}"


class JournaledWrites(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Journals each write request to `path` (created on the first write) with the
    objects' before-images, read from the server just before the write.

    It sits next to the server, inside any fault injection, so a write whose answer a
    fault then loses is still journaled as the server answered it.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        api_path: str,
        path: Path,
        *,
        async_inner: httpx.AsyncBaseTransport | None = None,
    ):
        self._inner = inner
        self._async_inner = async_inner
        self._api_path = api_path
        self.path = path
        self._lock = threading.Lock()
        self._journal: Journal | None = None
        self._closed = False  # teardown's own writes are not journaled
        self.untracked: list[str] = []  # writes the journal cannot take back

    @property
    def wrote(self) -> bool:
        return self._journal is not None

    def close_journal(self) -> None:
        """Stop journaling (teardown's undo writes go straight through)."""
        self._closed = True
        if self._journal is not None:
            self._journal.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._is_api_write(request):
            return self._inner.handle_request(request)
        request.read()
        writes = self._plan(request)
        for write in writes:
            if write.uri and write.verb != "create":
                write.read_before(self._inner.handle_request(_reading(request, write.uri)))
        self._start(request, writes)
        try:
            response = self._inner.handle_request(request)
            response.read()
        except BaseException:
            self._in_doubt(request, writes)
            raise
        for write in self._outcome(request, response, writes):
            write.after = _image(self._inner.handle_request(_reading(request, write.uri or "")))
        self._finish(request, response, writes)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._async_inner is None:
            raise MailRouteError("JournaledWrites was given no async transport")
        inner = self._async_inner
        if not self._is_api_write(request):
            return await inner.handle_async_request(request)
        await request.aread()
        writes = self._plan(request)
        for write in writes:
            if write.uri and write.verb != "create":
                reading = _reading(request, write.uri)
                write.read_before(await _read_through(inner, reading))
        self._start(request, writes)
        try:
            response = await inner.handle_async_request(request)
            await response.aread()
        except BaseException:
            self._in_doubt(request, writes)
            raise
        for write in self._outcome(request, response, writes):
            reading = _reading(request, write.uri or "")
            write.after = _image(await _read_through(inner, reading))
        self._finish(request, response, writes)
        return response

    def _is_api_write(self, request: httpx.Request) -> bool:
        return (
            not self._closed
            and request.method.upper() in _WRITES
            and request.url.path.startswith(self._api_path)
        )

    def _plan(self, request: httpx.Request) -> list[_Write]:
        """The objects this request writes, as far as the request says."""
        path, method = request.url.path, request.method.upper()
        sent = _json(request.content)
        if _is_detail(path, self._api_path):
            verb = {"POST": "create", "DELETE": "delete"}.get(method, "update")
            return [_Write(verb, path, sent if isinstance(sent, dict) else None)]
        if method == "POST":
            return [_Write("create", None, sent if isinstance(sent, dict) else None)]
        if method == "PATCH" and isinstance(sent, dict):
            return _bulk_plan(sent, self._api_path)
        with self._lock:
            self.untracked.append(f"{method} {path} (a write to a whole list)")
        return []

    def _start(self, request: httpx.Request, writes: list[_Write]) -> None:
        """Each object's row, in the journal before the request goes out."""
        for write in writes:
            if write.unread:
                with self._lock:
                    self.untracked.append(
                        f"{request.method} {write.uri} (its before-image "
                        f"could not be read: {write.unread})"
                    )
                continue
            if write.verb == "update" and write.before is None:
                write.verb = "create"  # a PUT to a missing key creates it
            resource = _resource(write.uri or request.url.path, self._api_path)
            write.row = write.uri or 1
            with self._lock:
                write.job = self._open().job(write.verb, resource, [write.row])
            body, hidden = kept(write.sent)
            before, hidden_before = kept(write.before)
            write.job.write(
                "start",
                row=write.row,
                method=request.method.upper(),
                uri=write.uri or request.url.path,
                body=body,
                before=before,
                not_restorable=sorted(set(hidden) | set(hidden_before)),
            )

    def _open(self) -> Journal:
        if self._journal is None:
            self._journal = Journal(self.path)
        return self._journal

    def _outcome(
        self, request: httpx.Request, response: httpx.Response, writes: list[_Write]
    ) -> list[_Write]:
        """The writes whose after-image is to be read: each object the server kept."""
        if not response.is_success:
            return []
        created = [w for w in writes if w.verb == "create" and w.uri is None]
        for write, uri in zip(
            created, _created_uris(request, response, len(created)), strict=False
        ):
            write.uri = uri
        return [w for w in writes if w.verb != "delete" and w.uri and w.job is not None]

    def _in_doubt(self, request: httpx.Request, writes: list[_Write]) -> None:
        """No answer came: whether the server wrote is unknown, so it is reported."""
        if writes:
            with self._lock:
                self.untracked.append(
                    f"{request.method} {request.url.path} (no answer came: "
                    "it may have been written)"
                )

    def _finish(
        self, request: httpx.Request, response: httpx.Response, writes: list[_Write]
    ) -> None:
        """Each row's outcome; a create whose answer named no object cannot be taken
        back and is reported at teardown."""
        for write in writes:
            if write.job is None:  # not journaled: reported already
                continue
            if not response.is_success:
                write.job.write(
                    "done", row=write.row, ok=False, error=f"HTTP {response.status_code}"
                )
            elif write.verb == "create" and write.uri is None:
                write.job.write("done", row=write.row, ok=False, error="no object named")
                with self._lock:
                    self.untracked.append(
                        f"an object created by {request.method} "
                        f"{request.url.path} (the answer named none)"
                    )
            else:
                write.job.write(
                    "done",
                    row=write.row,
                    ok=True,
                    kind=f"{write.verb}d",
                    uri=write.uri,
                    after=kept(write.after)[0],
                )

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        if self._async_inner is not None:
            await self._async_inner.aclose()


def _reading(write: httpx.Request, uri: str) -> httpx.Request:
    """A GET of `uri` as the write's client would send it (its headers and query carry
    the credentials), to read an object's image around the write."""
    headers = [
        (k, v)
        for k, v in write.headers.multi_items()
        if k.lower() not in ("content-type", "content-length", "transfer-encoding")
    ]
    return httpx.Request("GET", write.url.copy_with(path=uri), headers=headers)


async def _read_through(inner: httpx.AsyncBaseTransport, request: httpx.Request) -> httpx.Response:
    response = await inner.handle_async_request(request)
    await response.aread()
    return response


def _image(response: httpx.Response) -> dict[str, Any] | None:
    """The object a GET answered, or None (gone, or not an object)."""
    response.read()
    if not response.is_success:
        return None
    body = _json(response.content)
    return body if isinstance(body, dict) else None


def _json(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None


def _is_detail(path: str, api_path: str) -> bool:
    """`/api/v1/<resource>/<key>/`: a path one step below a resource's list."""
    return len(path[len(api_path) :].strip("/").split("/")) >= 2


def _resource(path: str, api_path: str) -> str:
    return path[len(api_path) :].strip("/").split("/")[0]


def _bulk_plan(sent: dict[str, Any], api_path: str) -> list[_Write]:
    """A Tastypie bulk PATCH: `objects` with a URI update (or create) it, the others are
    created, `deleted_objects` are deleted."""
    writes = []
    for item in sent.get("objects") or []:
        if not isinstance(item, dict):
            continue
        uri = item.get("resource_uri")
        known = isinstance(uri, str) and uri.startswith(api_path)
        writes.append(_Write("update" if known else "create", uri if known else None, item))
    writes += [
        _Write("delete", uri, None)
        for uri in sent.get("deleted_objects") or []
        if isinstance(uri, str) and uri.startswith(api_path)
    ]
    return writes


def _created_uris(request: httpx.Request, response: httpx.Response, count: int) -> list[str]:
    """The URIs of the objects an answer says were created, in the order sent."""
    location = response.headers.get("location")
    answer = _json(response.content)
    if request.method.upper() != "PATCH":
        if location:
            return [httpx.URL(location).path]
        uri = answer.get("resource_uri") if isinstance(answer, dict) else None
        return [uri] if isinstance(uri, str) else []
    sent = _json(request.content)
    items = sent.get("objects") if isinstance(sent, dict) else None
    objects = answer.get("objects") if isinstance(answer, dict) else None
    if not isinstance(items, list) or not isinstance(objects, list) or len(objects) != len(items):
        return []
    new = [
        o
        for i, o in zip(items, objects, strict=True)
        if isinstance(i, dict) and "resource_uri" not in i
    ]
    uris = [o.get("resource_uri") for o in new if isinstance(o, dict)]
    return [u for u in uris if isinstance(u, str)][:count]


def put_back(client: Client, writes: JournaledWrites) -> bool:
    """Take back what the test wrote: True when all was put back (its journal is then
    removed), else a warning names each row left (changed since, failed, or with a
    secret field that no journal keeps) and where the journal is kept."""
    writes.close_journal()
    problems = _undo(client, writes.path) if writes.wrote else []
    problems += writes.untracked
    if not problems:
        _remove(writes.path)
        return True
    where = (
        (f". Its journal is kept: {writes.path} (mailroute-dyn undo FILE --url URL sweeps it)")
        if writes.wrote
        else ""
    )
    _warn("mailroute: this test's writes were not all taken back: " + "; ".join(problems) + where)
    return False


def _undo(client: Client, journal: Path) -> list[str]:
    """Undo the journal; the rows not (fully) put back."""
    undo_file = journal.with_suffix(".undo.jsonl")
    try:
        steps, _ = client.undo(journal, journal_to=undo_file)
    except MailRouteError as exc:
        return [f"the undo stopped: {exc}"]
    finally:
        undo_file.unlink(missing_ok=True)  # `mailroute-dyn undo FILE` writes its own
    return [
        f"{s.method} {s.uri} ({s.result}: {s.detail})"
        for s in steps
        if s.result in ("skipped", "failed") or "not restorable" in s.detail
    ]


def _warn(text: str) -> None:
    warnings.warn(pytest.PytestWarning(text), stacklevel=1)


def _remove(journal: Path) -> None:
    """The journal, then its worker's and its run's folders when they are empty."""
    journal.unlink(missing_ok=True)
    for folder in (journal.parent, journal.parent.parent):
        try:
            folder.rmdir()
        except OSError:
            return
