"""Recorded exchanges with a real server, replayed offline: the pytest plugin's
`--mailroute-record` and `--mailroute-replay`. Loaded by the plugin's fixtures only.

A cassette is one JSON file per test holding each request (method, path and query, body)
and its answer (status, headers, body), secrets stripped on the way in: no request
header is kept at all (Authorization, Cookie and X-CSRFToken go with them), `Set-Cookie`
is dropped from answers, query parameters and JSON keys the capture redaction rule
matches (`api_key`, `password`, `token`, `csrfmiddlewaretoken`, ...) are "REDACTED",
and every secret of the credentials in use (the API key, a password, a session id) is
replaced wherever it appears.

Why not vcrpy / pytest-recording: vcrpy records by patching httpx's own classes for the
whole process, so a transport the test chooses (the `mailroute_transport` override, a
WSGI app) is never recorded; and its secret filters are per-header and per-parameter
options, not the capture rule. Recording at the transport the client sends through
covers every transport, sync and async, with one redaction.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict, deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from ..errors import CassetteError
from ..settings.auth import Secret
from ..tools.redaction import REDACTED, Redactor
from ..vocabulary import is_secret_name

__all__ = ["Recorder", "Player", "cassette_path", "CASSETTE_VERSION"]

CASSETTE_VERSION = 1
_DROPPED_ANSWER_HEADERS = {
    "set-cookie",
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "date",
}


def cassette_path(test_file: Path, test_name: str) -> Path:
    """`cassettes/<module>/<test>.json` beside the test file (pytest-recording's layout)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", test_name).strip("_") or "test"
    return test_file.parent / "cassettes" / test_file.stem / f"{safe}.json"


class _Redactor:
    """Strips secrets from what goes into a cassette, and from requests matched against
    one, the same way, so a request matches its recording. The rule is capture's
    (`mailroute_dyn.tools.redaction`): schemas keep their field specs, whatever a field is
    called, so a replayed schema still describes the resource."""

    def __init__(self, secrets: Iterable[Secret]):
        self._rule = Redactor((), secrets)  # PEM blocks, URL passwords, these secrets

    def text(self, text: str) -> str:
        return self._rule.text(text)

    def url(self, url: httpx.URL) -> str:
        params: list[tuple[str, str | int | float | bool | None]] = [
            (k, REDACTED if is_secret_name(k) else v) for k, v in url.params.multi_items()
        ]
        query = str(httpx.QueryParams(params))
        return self.text(url.path + (f"?{query}" if query else ""))

    def body(self, content: bytes) -> dict[str, Any] | None:
        """A JSON body as `{"json": redacted data}` (a schema in it keeps its field specs),
        any other as `{"text": ...}`."""
        if not content:
            return None
        try:
            data = json.loads(content)
        except (ValueError, RecursionError):
            return {"text": self.text(content.decode("utf-8", "replace"))}
        return {"json": self._rule.value(data)}

    def key(self, request: httpx.Request) -> str:
        """What identifies a request in a cassette."""
        body = self.body(request.content)
        return json.dumps([request.method, self.url(request.url), body], sort_keys=True)

    def answer_headers(self, response: httpx.Response) -> list[list[str]]:
        return [
            [k, self.text(v)]
            for k, v in response.headers.multi_items()
            if k.lower() not in _DROPPED_ANSWER_HEADERS
        ]


class Recorder(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends through the real transports and keeps every exchange, redacted."""

    def __init__(
        self,
        sync_inner: httpx.BaseTransport,
        async_inner: httpx.AsyncBaseTransport,
        secrets: Iterable[Secret],
    ):
        self._sync = sync_inner
        self._async = async_inner
        self._redactor = _Redactor(secrets)
        self._lock = threading.Lock()
        self.exchanges: list[dict[str, Any]] = []

    def _keep(self, request: httpx.Request, response: httpx.Response) -> None:
        r = self._redactor
        exchange = {
            "request": {
                "method": request.method,
                "url": r.url(request.url),
                "body": r.body(request.content),
            },
            "response": {
                "status": response.status_code,
                "headers": r.answer_headers(response),
                "body": r.body(response.content),
            },
        }
        with self._lock:
            self.exchanges.append(exchange)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self._sync.handle_request(request)
        response.read()
        self._keep(request, response)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self._async.handle_async_request(request)
        await response.aread()
        self._keep(request, response)
        return response

    def write(self, path: Path, base_url: str, api_path: str) -> None:
        """The cassette, replacing an older one of the same test."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": CASSETTE_VERSION,
            "base_url": base_url,
            "api_path": api_path,
            "exchanges": self.exchanges,
        }
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


class Player(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers from a cassette, offline. Each request gets the answers recorded for the
    same request in their order (concurrent pages may come in another order); one the
    cassette does not hold raises `CassetteError`."""

    def __init__(self, path: Path):
        data = _read(path)
        self.path = path
        self.base_url: str = data["base_url"]
        self.api_path: str = data["api_path"]
        self._redactor = _Redactor(())
        self._lock = threading.Lock()
        self._answers: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
        try:
            for exchange in data["exchanges"]:
                sent, answer = exchange["request"], exchange["response"]
                key = json.dumps([sent["method"], sent["url"], sent["body"]], sort_keys=True)
                self._answers[key].append(
                    {
                        "status": int(answer["status"]),
                        "headers": list(answer["headers"]),
                        "body": answer["body"],
                    }
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(
                f"Cassette {path} has a broken exchange ({exc!r}): record it again"
            ) from None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self._answer(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self._answer(request)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            queue = self._answers.get(self._redactor.key(request))
            answer = queue.popleft() if queue else None
        if answer is None:
            raise CassetteError(
                f"{self.path} holds no (further) answer to {request.method} "
                f"{self._redactor.url(request.url)}: record the test again with "
                "--mailroute-record against the server"
            )
        return httpx.Response(
            answer["status"],
            headers=answer["headers"],
            content=_content(answer["body"]),
            request=request,
        )


def _content(body: Any) -> bytes:
    if isinstance(body, dict) and isinstance(body.get("text"), str):
        return str(body["text"]).encode("utf-8")
    if isinstance(body, dict) and "json" in body:
        return json.dumps(body["json"]).encode("utf-8")
    return b""


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CassetteError(
            f"No cassette {path}: record it with --mailroute-record against the server"
        ) from None
    except (OSError, ValueError) as exc:
        raise CassetteError(f"Cassette {path} cannot be read: {exc}") from None
    if (
        not isinstance(data, dict)
        or data.get("version") != CASSETTE_VERSION
        or not isinstance(data.get("base_url"), str)
        or not isinstance(data.get("api_path"), str)
        or not isinstance(data.get("exchanges"), list)
    ):
        raise CassetteError(
            f"Cassette {path} is not a version {CASSETTE_VERSION} "
            "mailroute cassette: record it again"
        )
    return data
