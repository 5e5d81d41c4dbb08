"""The benchmark cases. Each returns a plain dict (what goes into the JSON) and the
`Target`s it checks. Every loop is bounded; every URL is on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from . import API_KEY, AUTH_HEADER, LOGIN
from .server import ROOT, SCHEMA_FILE, BenchServer, domain_name, make_domain

API = "/api/v1/"
NOWHERE = "http://127.0.0.1:9"  # base URL for in-process transports (never dialled)


@dataclass
class Target:
    name: str
    measured: float
    limit: float
    unit: str
    higher_is_better: bool = False
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.measured >= self.limit if self.higher_is_better else self.measured <= self.limit

    @property
    def margin(self) -> str:
        """By how much it passes or misses, relative to the limit."""
        if self.limit == 0:
            return f"{self.measured:+g} {self.unit}"
        rel = (self.measured - self.limit) / abs(self.limit) * 100
        return f"{rel:+.0f}% vs limit"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "measured": self.measured,
            "limit": self.limit,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "passed": self.passed,
            "margin": self.margin,
            "detail": self.detail,
        }


def _loopback(url: str) -> str:
    if not url.startswith("http://127.0.0.1:"):
        raise RuntimeError(f"refusing a non-loopback URL: {url!r}")
    return url


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, process CPU seconds, result) of one call, after a GC."""
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - w0, time.process_time() - c0, result


# ============================================================== 1. detail GET overhead


class CannedTransport(httpx.BaseTransport):
    """Answers from canned Tastypie responses, in process: the client's own cost is what a
    benchmark over it measures. Each answer is a fresh `httpx.Response` over prebuilt
    headers and body bytes (a response's stream can be read only once, so one object
    cannot be handed out twice)."""

    def __init__(self, routes: dict[str, tuple[int, list[tuple[bytes, bytes]], bytes]]):
        self.routes = routes
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        status, headers, body = self.routes.get(request.url.path, (404, [], b""))
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


def _canned(body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = [
        (b"Content-Type", b"application/json"),
        (b"Vary", b"Accept"),
        (b"X-Frame-Options", b"DENY"),
        (b"Cache-Control", b"no-cache"),
        (b"Content-Length", str(len(body)).encode()),
    ]
    return 200, headers, body


def canned_transport() -> tuple[CannedTransport, str]:
    """A transport serving the listing, the domain schema and domain 42; and 42's path."""
    listing = {"domain": {"list_endpoint": f"{API}domain/", "schema": f"{API}domain/schema/"}}
    obj = make_domain(42)
    routes = {
        API: _canned(json.dumps(listing).encode()),
        f"{API}domain/schema/": _canned(SCHEMA_FILE.read_bytes()),
        f"{API}domain/42/": _canned(json.dumps(obj, separators=(", ", ": ")).encode()),
    }
    return CannedTransport(routes), f"{API}domain/42/"


def _ratios(mine: list[float], ref: list[float]) -> dict[str, Any]:
    """The ratio of each back-to-back pair (the two runs of a pair share the machine's load
    of the moment, so these are steadier than a ratio of medians): median and range."""
    ratios = [m / r for m, r in zip(mine, ref, strict=True)]
    return {
        "median_ratio": statistics.median(ratios),
        "min_ratio": min(ratios),
        "max_ratio": max(ratios),
        "ratios": [round(x, 4) for x in ratios],
    }


def _paired_ratio(res: dict[str, dict[str, Any]]) -> float:
    """mailroute_dyn over httpx, from the repeats (their two arms run back to back)."""
    return float(
        _ratios(res["mailroute_dyn"]["samples_us"], res["httpx"]["samples_us"])["median_ratio"]
    )


def _median_per_call(
    arms: dict[str, Callable[[], Any]], iterations: int, repeats: int
) -> dict[str, dict[str, Any]]:
    """Run each arm `iterations` times per repeat, arms interleaved (which one goes first
    alternates); µs per call."""
    samples: dict[str, list[float]] = {name: [] for name in arms}
    for repeat in range(repeats):
        order = list(arms.items())
        for name, fn in order if repeat % 2 == 0 else reversed(order):
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(iterations):
                fn()
            samples[name].append((time.perf_counter() - t0) / iterations * 1e6)
    return {
        name: {
            "median_us": statistics.median(s),
            "min_us": min(s),
            "samples_us": [round(x, 2) for x in s],
        }
        for name, s in samples.items()
    }


def detail_inprocess(iterations: int, repeats: int) -> dict[str, Any]:
    from mailroute_dyn import Client

    transport, path = canned_transport()
    client = Client(
        base_url=NOWHERE, login=LOGIN, api_key=API_KEY, cache_dir=None, transport=transport
    )
    domain = client.domain  # the schema is loaded before measuring
    bare = httpx.Client(
        transport=transport,
        base_url=NOWHERE,
        headers={"Authorization": AUTH_HEADER, "Accept": "application/json"},
    )
    url = NOWHERE + path
    assert domain.get(42)["name"] == bare.get(url).json()["name"] == domain_name(42)
    for _ in range(200):  # warm up both
        domain.get(42)
        bare.get(url).json()
    before = transport.requests
    res = _median_per_call(
        {"mailroute_dyn": lambda: domain.get(42), "httpx": lambda: bare.get(url).json()},
        iterations,
        repeats,
    )
    sent = transport.requests - before
    client.close()
    bare.close()
    assert sent == 2 * iterations * repeats, "each get() must be exactly one request"
    return {
        "iterations": iterations,
        "repeats": repeats,
        **res,
        "ratio": _paired_ratio(res),
        "overhead_us": res["mailroute_dyn"]["median_us"] - res["httpx"]["median_us"],
    }


def detail_live_tastypie(iterations: int, repeats: int) -> dict[str, Any]:
    """Against the real django-tastypie 0.15.1 test server over loopback (tests/)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from mailroute_dyn import Client
    from tests.tastypie_site import (
        DEMO_API_KEY,
        DEMO_LOGIN,
        auth_header,
        create_user,
        live_server,
        reset_data,
        seed_data,
    )

    create_user()
    reset_data()
    seed_data(domains=20, accounts_per_domain=1, examples=False)
    with live_server() as base_url:
        _loopback(base_url)
        client = Client(
            base_url=base_url,
            login=DEMO_LOGIN,
            api_key=DEMO_API_KEY,
            cache_dir=None,
            transport=httpx.HTTPTransport(),
        )
        domain = client.domain
        bare = httpx.Client(
            base_url=base_url,
            trust_env=False,
            headers={**auth_header(), "Accept": "application/json"},
        )
        url = f"{base_url}{API}domain/1/"
        assert domain.get(1)["name"] == bare.get(url).json()["name"]
        for _ in range(20):
            domain.get(1)
            bare.get(url).json()
        res = _median_per_call(
            {"mailroute_dyn": lambda: domain.get(1), "httpx": lambda: bare.get(url).json()},
            iterations,
            repeats,
        )
        client.close()
        bare.close()
    return {
        "iterations": iterations,
        "repeats": repeats,
        **res,
        "ratio": _paired_ratio(res),
        "overhead_us": res["mailroute_dyn"]["median_us"] - res["httpx"]["median_us"],
    }


# ============================================================== 2. listing


def _max_pages(n: int, page: int) -> int:
    return n // page + 5


def list_md_sync(url: str, n: int, page: int, concurrency: int | None) -> Callable[[], list]:
    from mailroute_dyn import Client

    client = Client(base_url=url, login=LOGIN, api_key=API_KEY, cache_dir=None)
    domain = client.domain  # discovery done before the clock starts

    def run() -> list[Any]:
        qs = domain.all().page_size(page)
        if concurrency:
            qs = qs.concurrently(concurrency)
        return list(qs)

    run.close = client.close  # type: ignore[attr-defined]
    return run


def list_md_async(
    url: str, n: int, page: int, walks: int = 1, read: Callable[[Any], Any] | None = None
) -> Callable[[], list]:
    """The async client's walk, timed inside its event loop; `walks` > 1 walks again on
    the same client (the last walk is timed); `read` is called on every object walked."""
    from mailroute_dyn import AsyncClient

    async def body() -> tuple[float, float, list[Any]]:
        async with AsyncClient(
            base_url=url, login=LOGIN, api_key=API_KEY, cache_dir=None
        ) as client:
            domain = await client.resource("domain")
            for _ in range(walks):
                gc.collect()
                w0, c0 = time.perf_counter(), time.process_time()
                out = [obj async for obj in domain.all().page_size(page)]
                for obj in out if read else ():
                    read(obj)
            return time.perf_counter() - w0, time.process_time() - c0, out

    def run() -> Any:
        return _Inner(*asyncio.run(body()))

    return run


@dataclass
class _Inner:
    """A run that timed itself (the async arm times inside its event loop)."""

    wall: float
    cpu: float
    objects: list[Any]


def list_slumber(url: str, n: int, page: int) -> Callable[[], list]:
    import requests
    import slumber

    session = requests.Session()
    session.trust_env = False  # no proxies, no .netrc: loopback only
    session.headers["Authorization"] = AUTH_HEADER
    api = slumber.API(f"{url}{API}", session=session)

    def run() -> list[Any]:
        objects: list[Any] = []
        params: dict[str, Any] = {"limit": page, "offset": 0}
        for _ in range(_max_pages(n, page)):
            body = api.domain.get(**params)
            objects.extend(body["objects"])
            nxt = body["meta"]["next"]
            if not nxt:
                break
            params = dict(parse_qsl(urlsplit(nxt).query))  # follow meta.next
        return objects

    run.close = session.close  # type: ignore[attr-defined]
    return run


def list_httpx(url: str, n: int, page: int) -> Callable[[], list]:
    http = httpx.Client(
        base_url=url,
        trust_env=False,
        headers={"Authorization": AUTH_HEADER, "Accept": "application/json"},
    )

    def run() -> list[Any]:
        objects: list[Any] = []
        nxt: str | None = f"{API}domain/?limit={page}&offset=0"
        for _ in range(_max_pages(n, page)):
            if not nxt:
                break
            body = http.get(nxt).json()
            objects.extend(body["objects"])
            nxt = body["meta"]["next"]
        return objects

    run.close = http.close  # type: ignore[attr-defined]
    return run


def list_httpx_async(
    url: str,
    n: int,
    page: int,
    concurrency: int = 8,
    walks: int = 1,
    read: Callable[[Any], Any] | None = None,
) -> Callable[[], Any]:
    """Reference: the async loop a user would write by hand with bare httpx.AsyncClient: the
    first page for the count, then every other offset at once under a semaphore of
    `concurrency`, pages kept in order. `walks` and `read` as for `list_md_async`."""

    async def walk(http: httpx.AsyncClient) -> list[Any]:
        path = f"{API}domain/"
        first = (await http.get(path, params={"limit": page, "offset": 0})).json()
        objects = list(first["objects"])
        offsets = range(page, min(first["meta"]["total_count"], n + page), page)
        gate = asyncio.Semaphore(concurrency)

        async def one(offset: int) -> list[Any]:
            async with gate:
                reply = await http.get(path, params={"limit": page, "offset": offset})
            return reply.json()["objects"]

        for chunk in await asyncio.gather(*(one(o) for o in offsets)):
            objects.extend(chunk)
        return objects

    async def body() -> _Inner:
        async with httpx.AsyncClient(
            base_url=url,
            trust_env=False,
            headers={"Authorization": AUTH_HEADER, "Accept": "application/json"},
        ) as http:
            for _ in range(walks):
                gc.collect()
                w0, c0 = time.perf_counter(), time.process_time()
                objects = await walk(http)
                for obj in objects if read else ():
                    read(obj)
            return _Inner(time.perf_counter() - w0, time.process_time() - c0, objects)

    def run() -> _Inner:
        return asyncio.run(body())

    return run


REFERENCE_ARM = "httpx async + semaphore(8) (reference)"


SYNC_ARM, ASYNC_ARM = "mailroute_dyn sync", "mailroute_dyn async (concurrent, 8)"
#: each target's two arms, run back to back in every repeat
PAIRS = {"sync": (SYNC_ARM, "httpx loop"), "async": (ASYNC_ARM, REFERENCE_ARM)}


def _make_arms(url: str, n: int, page: int) -> dict[str, Callable[[], Any]]:
    return {
        SYNC_ARM: list_md_sync(url, n, page, None),
        "httpx loop": list_httpx(url, n, page),
        ASYNC_ARM: list_md_async(url, n, page),
        REFERENCE_ARM: list_httpx_async(url, n, page),
        "mailroute_dyn sync concurrently(8)": list_md_sync(url, n, page, 8),
        "slumber": list_slumber(url, n, page),
    }


def walk_arm(url: str, n: int, page: int, name: str, walks: int) -> list[Any]:
    """Set up one arm of `_make_arms` alone and walk the listing `walks` times with it
    (for a child process counting instructions): the last walk's objects."""
    if name in (ASYNC_ARM, REFERENCE_ARM):  # one client, one event loop
        build = list_md_async if name == ASYNC_ARM else list_httpx_async
        out: _Inner = build(url, n, page, walks=walks)()
        return out.objects
    run = list_md_sync(url, n, page, None) if name == SYNC_ARM else list_httpx(url, n, page)
    objects: list[Any] = []
    for _ in range(walks):
        objects = run()
    return objects


def instructions(server: BenchServer, n: int, page: int) -> dict[str, Any]:
    """Instructions per listed object of each target's two arms, counted by valgrind
    (callgrind): a figure the machine's load does not move, unlike CPU time. One listing's
    count is the difference between a child running it three times and once (start-up,
    imports and the client's set-up cancel out). The server runs natively in its own
    process, uncounted. Needs valgrind; about two minutes."""
    import shutil

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return {"skipped": "valgrind is not installed"}
    url = _loopback(server.url)
    server.configure(objects=n, latency=0.0)
    per_object: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="mailroute_bench_cg_") as tmp:
        for arm in (name for pair in PAIRS.values() for name in pair):
            counts = []
            for runs in (1, 3):
                out = Path(tmp) / f"cg.{len(per_object)}.{runs}"
                proc = subprocess.run(
                    [
                        valgrind,
                        "--tool=callgrind",
                        f"--callgrind-out-file={out}",
                        sys.executable,
                        "-m",
                        "benchmarks.child",
                        "listing",
                        "--url",
                        url,
                        "--arm",
                        arm,
                        "--objects",
                        str(n),
                        "--page-size",
                        str(page),
                        "--runs",
                        str(runs),
                    ],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=True,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                listed = json.loads(proc.stdout.strip().splitlines()[-1])["listed"]
                if listed != n:
                    raise AssertionError(f"{arm}: listed {listed} under valgrind, expected {n}")
                counts.append(_callgrind_total(out))
            per_object[arm] = (counts[1] - counts[0]) / 2 / n
    ratios = {key: per_object[mine] / per_object[ref] for key, (mine, ref) in PAIRS.items()}
    return {"per_object": per_object, "ratios": ratios}


def _callgrind_total(path: Path) -> int:
    """The `totals:` (or `summary:`) line of a callgrind output file: instructions run."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction total in {path}")


def _pair_ratios(samples: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    """Per target, the ratio of its two arms in each repeat (they ran back to back):
    the median and the range."""
    return {key: _ratios(samples[mine], samples[ref]) for key, (mine, ref) in PAIRS.items()}


def _timed_listing(name: str, fn: Callable[[], Any], n: int) -> tuple[float, float]:
    """(wall, CPU) of one listing run, after checking it listed `n` objects; an async arm
    times itself inside its event loop."""
    wall, cpu, out = _timed(fn)
    if isinstance(out, _Inner):
        wall, cpu, out = out.wall, out.cpu, out.objects
    _check_listing(name, out, n)
    return wall, cpu


def _check_listing(name: str, objects: list[Any], n: int) -> None:
    ids = [o["id"] for o in objects]
    if len(ids) != n or len(set(ids)) != n:
        raise AssertionError(
            f"{name}: listed {len(ids)} objects ({len(set(ids))} distinct), expected {n}"
        )


def listing(
    server: BenchServer,
    n: int,
    page: int,
    latency: float,
    repeats: int,
    cpu_repeats: int,
    wall_pairs: int,
) -> dict[str, Any]:
    url = _loopback(server.url)
    server.configure(objects=n, latency=latency)
    results: dict[str, Any] = {
        "objects": n,
        "page_size": page,
        "latency_ms": latency * 1000,
        "repeats": repeats,
        "cpu_repeats": cpu_repeats,
        "arms": {},
    }
    arms = _make_arms(url, n, page)
    walls: dict[str, list[float]] = {a: [] for a in arms}
    cpus: dict[str, list[float]] = {a: [] for a in arms}
    requests: dict[str, int] = {}
    for r in range(repeats):
        for name, fn in arms.items():
            server.reset_counts()
            wall, cpu = _timed_listing(name, fn, n)
            walls[name].append(wall)
            cpus[name].append(cpu)
            if r == 0:
                requests[name] = server.counts().get("list", 0)
    # the async wall target, from back-to-back pairs: a pair shares the machine's load of
    # the moment, so the ratio of each pair is steadier than a ratio of medians
    mine, ref = arms[ASYNC_ARM], arms[REFERENCE_ARM]
    mine_walls, ref_walls = [], []
    for i in range(wall_pairs):
        order = (mine, ref) if i % 2 == 0 else (ref, mine)
        walls_now = {fn: _timed_listing("async pair", fn, n)[0] for fn in order}
        mine_walls.append(walls_now[mine])
        ref_walls.append(walls_now[ref])
    results["async_wall_pairs"] = {
        "pairs": wall_pairs,
        "mailroute_dyn_s": statistics.median(mine_walls),
        "reference_s": statistics.median(ref_walls),
        **_ratios(mine_walls, ref_walls),
    }
    # CPU per object without latency: the CPU is then busy, not waiting
    server.configure(latency=0.0)
    cpu0: dict[str, list[float]] = {a: [] for a in arms}
    wall0: dict[str, list[float]] = {a: [] for a in arms}
    for _ in range(cpu_repeats):
        for name, fn in arms.items():
            wall, cpu = _timed_listing(name, fn, n)
            cpu0[name].append(cpu)
            wall0[name].append(wall)
    results["cpu_pairs"] = _pair_ratios(cpu0)
    for name, fn in arms.items():
        close = getattr(fn, "close", None)
        if close:
            close()
        results["arms"][name] = {
            "wall_s": statistics.median(walls[name]),
            "wall_samples_s": [round(x, 4) for x in walls[name]],
            "cpu_s": statistics.median(cpus[name]),
            "requests": requests[name],
            "cpu_us_per_object_latency0": statistics.median(cpu0[name]) / n * 1e6,
            "cpu_us_per_object_latency0_min": min(cpu0[name]) / n * 1e6,
            "cpu_samples_latency0_s": [round(x, 4) for x in cpu0[name]],
            "wall_s_latency0": statistics.median(wall0[name]),
        }
    return results


# ============================================================== 3. memory


def _child(args: list[str], timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or {**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def memory(
    server: BenchServer, sizes: tuple[int, int], page: int, walk: str = "key"
) -> dict[str, Any]:
    url = _loopback(server.url)
    server.configure(latency=0.0)
    out: dict[str, Any] = {"sizes": list(sizes), "page_size": page, "walk": walk, "runs": {}}
    for n in sizes:
        server.configure(objects=n)
        common = ["--url", url, "--page-size", str(page), "--walk", walk]
        rss = _child(["memory", "--mode", "rss", *common], 300)
        trace = _child(["memory", "--mode", "tracemalloc", *common], 600)
        for r in (rss, trace):
            if r["count"] != n:
                raise AssertionError(f"memory run listed {r['count']} objects, expected {n}")
        out["runs"][str(n)] = {
            "peak_rss_while_iterating_kib": rss["peak_rss_kib"],
            "rss_before_iterating_kib": rss["rss_at_start_kib"],
            "peak_rss_growth_kib": rss["peak_rss_kib"] - rss["rss_at_start_kib"],
            "peak_rss_reset_worked": rss["peak_rss_reset"],
            "rss_at_end_kib": rss["rss_at_end_kib"],
            "tracemalloc_peak_bytes": trace["tracemalloc_peak_bytes"],
            "elapsed_s": rss["elapsed_s"],
        }
    small, big = (out["runs"][str(s)] for s in sizes)
    out["peak_rss_delta_mib"] = (
        big["peak_rss_while_iterating_kib"] - small["peak_rss_while_iterating_kib"]
    ) / 1024
    out["tracemalloc_delta_mib"] = (
        big["tracemalloc_peak_bytes"] - small["tracemalloc_peak_bytes"]
    ) / 2**20
    return out


# ============================================================== 4. start-up


def _python_env(pycache: str | None) -> dict[str, str]:
    """The child's environment. With `pycache`, bytecode is cached under that folder (as an
    installed package runs: compiled once); without it, the environment as it is."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _run_python(code: str, env: dict[str, str], limit: float = 60.0) -> tuple[float, float]:
    """(wall, CPU user+sys) seconds of a fresh `python -c code`.

    The wait is a blocking `waitpid`, with a timer that kills a child still running after
    `limit` seconds: `subprocess.run(timeout=...)` polls with sleeps of up to 50 ms, which
    rounds every start-up time to a multiple of 50 ms."""
    import resource
    import threading

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    watchdog = threading.Timer(limit, proc.kill)
    watchdog.start()
    try:
        status = proc.wait()
    finally:
        watchdog.cancel()
    wall = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"python -c {code!r} exited with {status}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


#: `from mailroute_dyn import Client` is what a program starts with (`import mailroute_dyn`
#: alone loads less: the model and query layers come with the first client). The last two
#: add making a client, which loads them, so no cost hides behind a later first use.
IMPORTS = {
    "bare interpreter": "pass",
    "httpx": "import httpx",
    "mailroute_dyn": "from mailroute_dyn import Client",
    "httpx + client": "import httpx\nhttpx.Client(base_url='http://127.0.0.1:9')",
    "mailroute_dyn + client": (
        "from mailroute_dyn import Client\nClient(base_url='http://127.0.0.1:9', "
        "login='bench', api_key='bench-key-not-secret', cache_dir=None)"
    ),
}
#: httpx imports its optional command line (click, rich, pygments) when they are installed;
#: a client-only install has none of them. Marking them missing measures that case.
HTTPX_CLI_ABSENT = "import sys\nfor _m in ('click', 'rich', 'pygments'): sys.modules[_m] = None\n"


def _import_set(runs: int, env: dict[str, str], prefix: str = "") -> dict[str, Any]:
    imports = {name: prefix + code for name, code in IMPORTS.items()}
    for code in imports.values():  # warm the bytecode and the OS file cache
        _run_python(code, env)
    walls: dict[str, list[float]] = {k: [] for k in imports}
    cpus: dict[str, list[float]] = {k: [] for k in imports}
    for _ in range(runs):  # interleaved, so load changes hit all
        for name, code in imports.items():
            wall, cpu = _run_python(code, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    med = {k: statistics.median(v) for k, v in walls.items()}
    cmed = {k: statistics.median(v) for k, v in cpus.items()}
    base, cbase = med["bare interpreter"], cmed["bare interpreter"]
    out: dict[str, Any] = {
        "median_s": med,
        "cpu_median_s": cmed,
        "samples_s": {k: [round(x, 4) for x in v] for k, v in walls.items()},
        "cpu_samples_s": {k: [round(x, 4) for x in v] for k, v in cpus.items()},
        "httpx_import_s": med["httpx"] - base,
        "mailroute_dyn_import_s": med["mailroute_dyn"] - base,
        "httpx_import_cpu_s": cmed["httpx"] - cbase,
        "mailroute_dyn_import_cpu_s": cmed["mailroute_dyn"] - cbase,
    }

    def round_ratio(mine: str, ref: str) -> float:
        """`mine` over `ref` minus the bare start, from each round's runs."""
        bare = walls["bare interpreter"]
        kept = [
            (m - b, r - b) for b, m, r in zip(bare, walls[mine], walls[ref], strict=True) if r > b
        ]
        return float(_ratios([m for m, _ in kept], [r for _, r in kept])["median_ratio"])

    out["ratio_of_medians"] = out["mailroute_dyn_import_s"] / out["httpx_import_s"]
    out["ratio"] = round_ratio("mailroute_dyn", "httpx")
    out["cpu_ratio"] = out["mailroute_dyn_import_cpu_s"] / out["httpx_import_cpu_s"]
    out["with_client_s"] = {
        "httpx": med["httpx + client"] - base,
        "mailroute_dyn": med["mailroute_dyn + client"] - base,
    }
    out["with_client_ratio"] = round_ratio("mailroute_dyn + client", "httpx + client")
    return out


def import_times(runs: int) -> dict[str, Any]:
    """Wall time of `python -c "import x"` minus `python -c "pass"`, median of `runs`.

    Measured with bytecode cached in a temporary PYTHONPYCACHEPREFIX (how an installed
    package runs; the tree is not written to), and as this environment runs it (it may set
    PYTHONDONTWRITEBYTECODE=1, so an editable checkout is compiled at every start)."""
    with tempfile.TemporaryDirectory(prefix="mailroute_bench_pyc_") as pyc:
        cached = _import_set(runs, _python_env(pyc))
        client_only = _import_set(runs, _python_env(pyc), HTTPX_CLI_ABSENT)
        breakdown = _importtime_breakdown(IMPORTS["mailroute_dyn"], _python_env(pyc))
    as_is = _import_set(max(3, runs // 2), _python_env(None))
    return {
        "runs": runs,
        **cached,
        "httpx_cli_absent": client_only,
        "as_is_environment": as_is,
        "dont_write_bytecode_set": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
        **breakdown,
    }


def _importtime_breakdown(code: str, env: dict[str, str]) -> dict[str, Any]:
    """What `code` imports, from `python -X importtime` (not what the interpreter imports
    at start-up, which ends with `site`): self time summed by top-level package, and the
    biggest single imports by cumulative time."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    )
    rows: list[dict[str, Any]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line.split(":", 1)[1].split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append(
            {
                "module": name.strip(),
                "self_ms": int(self_us) / 1000,
                "cumulative_ms": int(cum_us) / 1000,
                "depth": depth,
            }
        )
        if depth == 0 and rows[-1]["module"] == "site":
            rows = []  # start-up ends here
    by_package: dict[str, float] = {}
    for r in rows:
        top = r["module"].split(".")[0]
        by_package[top] = by_package.get(top, 0.0) + r["self_ms"]
    packages = sorted(by_package.items(), key=lambda kv: -kv[1])
    biggest = sorted((r for r in rows if r["depth"] <= 2), key=lambda r: -r["cumulative_ms"])
    return {
        "importtime_total_ms": sum(r["cumulative_ms"] for r in rows if r["depth"] == 0),
        "importtime_by_package_ms": [
            {"package": k, "self_ms": round(v, 1)} for k, v in packages[:15]
        ],
        "importtime_top": biggest[:12],
    }


def first_result(server: BenchServer, latency: float) -> dict[str, Any]:
    """Time and requests to `client.domain.filter(name=...).first()`, cold then warm."""
    url = _loopback(server.url)
    server.configure(latency=latency)
    name = domain_name(42)
    out: dict[str, Any] = {"latency_ms": latency * 1000, "query": f"filter(name={name!r})"}
    with (
        tempfile.TemporaryDirectory(prefix="mailroute_bench_cache_") as cache,
        tempfile.TemporaryDirectory(prefix="mailroute_bench_pyc_") as pyc,
    ):
        env = _python_env(pyc)
        _run_python("import mailroute_dyn", env)  # bytecode compiled once, as installed
        for label in ("cold", "warm"):
            server.reset_counts()
            t0 = time.perf_counter()
            child = _child(["first", "--url", url, "--cache-dir", cache, "--name", name], 120, env)
            process_s = time.perf_counter() - t0
            counts = server.counts()
            if not child["found"]:
                raise AssertionError(f"{label} start: the first result was not {name}")
            out[label] = {
                **child,
                "process_wall_s": process_s,
                "requests": counts.get("total", 0),
                "schema_or_listing_requests": counts.get("schema", 0) + counts.get("listing", 0),
                "by_kind": {k: v for k, v in counts.items() if k != "total"},
            }
        out["cache_files"] = sorted(p.name for p in Path(cache).iterdir())
    return out


# ============================================================== profiling (--profile)


@contextmanager
def _profiled(title: str, top: int) -> Iterator[None]:
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    try:
        yield
    finally:
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
        print(f"\n--- cProfile: {title} (top {top} by cumulative time) ---")
        print("\n".join(line for line in buf.getvalue().splitlines() if line.strip())[:12000])


def profile_hot_spots(server: BenchServer, n: int, page: int, top: int = 25) -> None:
    from mailroute_dyn import Client

    transport, path = canned_transport()
    client = Client(
        base_url=NOWHERE, login=LOGIN, api_key=API_KEY, cache_dir=None, transport=transport
    )
    domain = client.domain
    with _profiled("5000 x client.domain.get(42), in-process transport", top):
        for _ in range(5000):
            domain.get(42)
    client.close()
    server.configure(objects=n, latency=0.0)
    run = list_md_sync(_loopback(server.url), n, page, None)
    with _profiled(f"list(client.domain.all().page_size({page})), {n} objects, latency 0", top):
        run()
    run.close()  # type: ignore[attr-defined]
