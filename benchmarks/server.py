"""A small Tastypie look-alike for the benchmarks, on a real socket on 127.0.0.1 only.

It serves `/api/v1/` (MailRoute style: schema URLs, not inlined, unless `?fullschema=true`
and `inline=True`), `/api/v1/domain/schema/` (from `fixtures/schemas/domain.json`),
`/api/v1/domain/` lists and `/api/v1/domain/<id>/` details over N synthetic domain objects
generated once in memory (each pre-serialised to JSON), sleeping `latency` seconds before
each API answer. It is a `ThreadingHTTPServer` speaking HTTP/1.1 with keep-alive, so
concurrent requests overlap and connections are reused.

Lists honour `limit`/`offset`, `order_by` (`name`, `-name`, `id`, `-id`) and the filters
`name`, `name__exact`, `name__gt`/`gte`/`lt`/`lte`, `id`, `id__gt`/`lt`, which is what the
clients' paging uses (offset walks, key walks on `name__gt`, `meta.next`); other parameters
are ignored, as Tastypie ignores unknown ones.

Control endpoints (no latency, not counted): `GET /_bench/stats` (request counts by kind),
`POST /_bench/reset` (zero the counts), `POST /_bench/config?latency_ms=..&objects=..`
(change the latency, or serve only the first `objects` of the generated set).

Run it in its own process (`python -m benchmarks.server --objects 100000`; it prints
`PORT <n>` once listening) so that its CPU never counts against the client being measured:
`BenchServer.start_subprocess()` does that and `stop()` ends it.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from . import API_KEY, AUTH_HEADER, HOST, LOGIN

__all__ = ["BenchServer", "Dataset", "make_domain", "domain_name", "API_KEY", "LOGIN"]

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "fixtures" / "schemas" / "domain.json"
API = "/api/v1/"
PACIFIC = timezone(timedelta(hours=-7))
EPOCH = datetime(2012, 6, 8, 16, 1, 40, tzinfo=PACIFIC)
# Headers a Tastypie 0.15.1 answer carries (Django adds the rest).
_COMMON = [
    ("Content-Type", "application/json"),
    ("Vary", "Accept"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-cache"),
]


def domain_name(i: int) -> str:
    """Names sort like ids, so a key walk on `name` and an offset walk agree."""
    return f"bench-{i:06d}.example"


def make_domain(i: int) -> dict[str, Any]:
    """One object shaped like Tastypie's domain (same keys as fixtures/objects/domain.json)."""
    created = EPOCH + timedelta(days=i % 3000, minutes=(i * 37) % 60, seconds=(i * 13) % 60)
    return {
        "absolute_url": f"/domain/{i}/",
        "active": i % 10 != 0,
        "bounce_unlisted": i % 3 == 0,
        "created_at": format_datetime(created),
        "customer": f"{API}customer/{1 + i % 97}/",
        "deliveryport": 2525 if i % 25 == 0 else 25,
        "hold_email": i % 50 == 0,
        "id": i,
        "name": domain_name(i),
        "outbound_enabled": i % 4 == 0,
        "policy": f"{API}policy_domain/{i}/",
        "resource_uri": f"{API}domain/{i}/",
        "updated_at": format_datetime(created + timedelta(days=30)),
    }


class Dataset:
    """N domains generated once: the raw dicts' JSON, and the sorted names for key walks."""

    def __init__(self, size: int):
        self.size = size
        self.ids = list(range(1, size + 1))
        self.names = [domain_name(i) for i in self.ids]  # sorted, as ids are
        self.json = [json.dumps(make_domain(i), separators=(", ", ": ")).encode() for i in self.ids]
        self.by_name = {n: k for k, n in enumerate(self.names)}


class _State:
    def __init__(self, dataset: Dataset, latency: float, inline: bool):
        self.dataset = dataset
        self.active = dataset.size
        self.latency = latency
        self.inline = inline
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.schema_body = SCHEMA_FILE.read_bytes()
        self.schema = json.loads(self.schema_body)

    def count(self, kind: str) -> None:
        with self.lock:
            self.counts[kind] += 1
            self.counts["total"] += 1


def _select(state: _State, params: list[tuple[str, str]]) -> tuple[list[int], dict[str, str]]:
    """Positions (into the dataset) matching the filters, in the asked order."""
    q = dict(params)
    n = state.active
    names = state.dataset.names
    lo, hi = 0, n
    for key, value in params:
        field, _, term = key.partition("__")
        term = term or "exact"
        if field == "name":
            if term == "exact":
                k = state.dataset.by_name.get(value)
                lo, hi = (k, k + 1) if k is not None and k < n else (0, 0)
            elif term in ("gt", "gte", "lt", "lte"):
                side = "right" if term in ("gt", "lte") else "left"
                k = (bisect.bisect_right if side == "right" else bisect.bisect_left)(
                    names, value, 0, n
                )
                lo, hi = (max(lo, k), hi) if term in ("gt", "gte") else (lo, min(hi, k))
        elif field == "id" and value.lstrip("-").isdigit():
            v = int(value)  # id i sits at position i - 1
            if term == "exact":
                lo, hi = (v - 1, v) if 1 <= v <= n else (0, 0)
            elif term == "gt":
                lo = max(lo, min(n, max(0, v)))
            elif term == "lt":
                hi = min(hi, max(0, v - 1))
    rows = range(lo, max(lo, hi))
    order = q.get("order_by", "")
    positions = list(reversed(rows)) if order in ("-name", "-id") else list(rows)
    return positions, q


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass

    def _send(
        self,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
        reason: str = "OK",
    ) -> None:
        lines = [f"HTTP/1.1 {status} {reason}"]
        for k, v in headers if headers is not None else _COMMON:
            lines.append(f"{k}: {v}")
        lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body)  # one write: no Nagle / delayed-ACK stall

    def _json(self, obj: Any, status: int = 200) -> None:
        self._send(status, json.dumps(obj).encode(), reason="OK" if status < 400 else "Error")

    def do_POST(self) -> None:  # noqa: N802 - stdlib's name
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = urlsplit(self.path)
        q = dict(parse_qsl(parts.query))
        if parts.path == "/_bench/reset":
            with state.lock:
                state.counts.clear()
            return self._json({"ok": True})
        if parts.path == "/_bench/config":
            if "latency_ms" in q:
                state.latency = float(q["latency_ms"]) / 1000
            if "objects" in q:
                state.active = max(0, min(int(q["objects"]), state.dataset.size))
            if "inline" in q:
                state.inline = q["inline"] == "1"
            return self._json({"latency_ms": state.latency * 1000, "objects": state.active})
        return self._send(405, b"", reason="Method Not Allowed")

    def do_GET(self) -> None:  # noqa: N802 - stdlib's name
        state = self.server.state
        parts = urlsplit(self.path)
        path = parts.path
        if path == "/_bench/stats":
            with state.lock:
                return self._json(dict(state.counts))
        if self.headers.get("Authorization") != AUTH_HEADER:
            state.count("unauthorized")
            return self._send(
                401, b"", [("Content-Type", "text/html; charset=utf-8")], "Unauthorized"
            )
        params = parse_qsl(parts.query, keep_blank_values=True)
        if state.latency:
            time.sleep(state.latency)
        if path == API:
            state.count("listing")
            q = dict(params)
            entry: dict[str, Any] = {
                "list_endpoint": f"{API}domain/",
                "schema": f"{API}domain/schema/",
            }
            if state.inline and q.get("fullschema") in ("true", "True", "1"):
                entry["schema"] = state.schema
            return self._json({"domain": entry})
        if path == f"{API}domain/schema/":
            state.count("schema")
            return self._send(200, state.schema_body)
        if path == f"{API}domain/":
            state.count("list")
            return self._list(state, params)
        if path.startswith(f"{API}domain/"):
            state.count("detail")
            key = path[len(f"{API}domain/") :].strip("/")
            if key.isdigit() and 1 <= int(key) <= state.active:
                return self._send(200, state.dataset.json[int(key) - 1])
            return self._send(404, b"", [("Content-Type", "text/html; charset=utf-8")], "Not Found")
        state.count("not_found")
        return self._send(404, b"", [("Content-Type", "text/html; charset=utf-8")], "Not Found")

    def _list(self, state: _State, params: list[tuple[str, str]]) -> None:
        positions, q = _select(state, params)
        try:
            limit = int(q.get("limit", state.schema.get("default_limit", 20)))
            offset = int(q.get("offset", 0))
        except ValueError:
            return self._json({"error": "Invalid limit or offset."}, 400)
        limit = min(limit, 1000) if limit > 0 else 1000  # Tastypie's max_limit
        page = positions[offset : offset + limit]
        total = len(positions)
        nxt = None
        if offset + limit < total:
            rest = [(k, v) for k, v in params if k not in ("limit", "offset")]
            nxt = f"{API}domain/?" + urlencode(
                rest + [("limit", limit), ("offset", offset + limit)]
            )
        prev = None
        if offset > 0:
            rest = [(k, v) for k, v in params if k not in ("limit", "offset")]
            prev = f"{API}domain/?" + urlencode(
                rest + [("limit", limit), ("offset", max(0, offset - limit))]
            )
        meta = json.dumps(
            {"limit": limit, "next": nxt, "offset": offset, "previous": prev, "total_count": total}
        ).encode()
        rows = state.dataset.json
        body = b'{"meta": ' + meta + b', "objects": [' + b", ".join(rows[p] for p in page) + b"]}"
        self._send(200, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    state: _State


class BenchServer:
    """The benchmark server, run in a child process; a context manager that stops it."""

    def __init__(self, objects: int, latency: float = 0.0, inline: bool = False):
        self.objects, self.latency, self.inline = objects, latency, inline
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self._control: httpx.Client | None = None

    def start(self, timeout: float = 120.0) -> BenchServer:
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.server",
            "--objects",
            str(self.objects),
            "--latency-ms",
            str(self.latency * 1000),
        ]
        if self.inline:
            cmd.append("--inline")
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        line = ""
        while time.monotonic() < deadline:  # bounded: one line is expected
            line = self.proc.stdout.readline()
            if line.startswith("PORT ") or not line:
                break
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"benchmark server did not start (got {line!r})")
        self.url = f"http://{HOST}:{int(line.split()[1])}"
        self._control = httpx.Client(base_url=self.url, trust_env=False, timeout=10)
        return self

    def __enter__(self) -> BenchServer:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None

    def configure(
        self,
        *,
        latency: float | None = None,
        objects: int | None = None,
        inline: bool | None = None,
    ) -> None:
        assert self._control is not None
        params: dict[str, Any] = {}
        if latency is not None:
            params["latency_ms"] = latency * 1000
        if objects is not None:
            params["objects"] = objects
        if inline is not None:
            params["inline"] = int(inline)
        self._control.post("/_bench/config", params=params).raise_for_status()

    def reset_counts(self) -> None:
        assert self._control is not None
        self._control.post("/_bench/reset").raise_for_status()

    def counts(self) -> dict[str, int]:
        assert self._control is not None
        return self._control.get("/_bench/stats").json()


def serve(objects: int, latency: float, inline: bool, port: int = 0) -> None:
    state = _State(Dataset(objects), latency, inline)
    server = _Server((HOST, port), Handler)
    server.state = state
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument(
        "--inline",
        action="store_true",
        help="inline the schema in /api/v1/?fullschema=true (Tastypie >= 0.10)",
    )
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    serve(args.objects, args.latency_ms / 1000, args.inline, args.port)


if __name__ == "__main__":
    main()
