"""Objects a test made on a real server, remembered and deleted after it (the staging
switch of the pytest plugin). Loaded by the plugin's fixtures, not with the plugin."""

from __future__ import annotations

import json
import threading
import warnings

import httpx
import pytest

from ..client import Client
from ..errors import MailRouteError, NotFound

__all__ = ["CreatedObjects", "delete_created"]


class CreatedObjects(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Remembers the URI of every object the server says it created (a 201's `Location`,
    the answer of a bulk PATCH), so the plugin can delete them after the test.

    It sits next to the server, inside any fault injection, so an object whose answer a
    fault then loses is still known. `async_inner` carries the `mailroute_async` client's
    requests, so objects either client creates are deleted alike.
    """

    def __init__(self, inner: httpx.BaseTransport, api_path: str, *,
                 async_inner: httpx.AsyncBaseTransport | None = None):
        self._inner = inner
        self._async_inner = async_inner
        self._api_path = api_path
        self._lock = threading.Lock()
        self.uris: list[str] = []
        self.untracked: list[str] = []      # bulk creates whose answer named no object

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if _is_bulk_write(request, response):
            response.read()
        self._note(request, response)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._async_inner is None:
            raise MailRouteError("CreatedObjects was given no async transport")
        response = await self._async_inner.handle_async_request(request)
        if _is_bulk_write(request, response):
            await response.aread()
        self._note(request, response)
        return response

    def _note(self, request: httpx.Request, response: httpx.Response) -> None:
        """Remember what this answer says was created."""
        method = request.method.upper()
        if method in ("POST", "PUT") and response.status_code == 201:
            location = response.headers.get("location")
            if location:        # with its query: a Location naming a filtered list is no object
                self._add([httpx.URL(location).raw_path.decode("ascii")])
        elif _is_bulk_write(request, response):
            self._bulk(request, response)

    def _add(self, uris: list[str]) -> None:
        with self._lock:
            self.uris.extend(u for u in uris if u.startswith(self._api_path)
                             and u not in self.uris)

    def _bulk(self, request: httpx.Request, response: httpx.Response) -> None:
        try:
            sent = json.loads(request.content or b"{}")
        except ValueError:
            return
        items = sent.get("objects") if isinstance(sent, dict) else None
        if not isinstance(items, list):
            return
        new = [i for i, item in enumerate(items)
               if isinstance(item, dict) and "resource_uri" not in item]
        if not new:
            return
        try:
            answer = json.loads(response.content) if response.content else None
        except ValueError:
            answer = None
        objects = answer.get("objects") if isinstance(answer, dict) else None
        if not isinstance(objects, list) or len(objects) != len(items):
            with self._lock:
                self.untracked.append(f"{len(new)} objects by PATCH {request.url.path}")
            return
        self._add([o["resource_uri"] for o in (objects[i] for i in new)
                   if isinstance(o, dict) and isinstance(o.get("resource_uri"), str)])

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        if self._async_inner is not None:
            await self._async_inner.aclose()


def _is_bulk_write(request: httpx.Request, response: httpx.Response) -> bool:
    return request.method.upper() == "PATCH" and 200 <= response.status_code < 300


def delete_created(client: Client, created: CreatedObjects) -> None:
    """Delete what the test created, newest first; warn about what may be left.

    Each URI is read as an object and deleted as one, so the delete passes the client's
    detail-URI guard: a server's answer naming the list (or the schema, or a path with
    `..`) is never sent a DELETE, which would remove every row."""
    left = []
    for uri in reversed(created.uris):
        try:
            client.get(uri).delete()
        except NotFound:
            pass                        # deleted by the test, or with its parent
        except MailRouteError as exc:
            left.append(f"{uri} ({exc})")
    problems = left + [f"{what} (the answer named none of them)" for what in created.untracked]
    if problems:
        warnings.warn(pytest.PytestWarning(
            "mailroute: objects this test created may be left on the server: "
            + "; ".join(problems)), stacklevel=1)
