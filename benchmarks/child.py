"""Tasks run in a fresh interpreter, so that imports, caches and memory start from zero.

    python -m benchmarks.child first  --url URL --cache-dir DIR --name NAME
    python -m benchmarks.child memory --url URL --mode rss|tracemalloc
    python -m benchmarks.child listing --url URL --arm NAME --objects N --runs K
    python -m benchmarks.child reads-cpu --url URL --objects N --repeats K
    python -m benchmarks.child reads-walk --url URL --objects N --side NAME --walks key=1,...
    python -m benchmarks.child reads-held --url URL --objects N --side NAME --read READ

With MAILROUTE_BENCH_BLOCK_MSGSPEC=1 in the environment, msgspec cannot be imported: the
base install, without the `speed` extra.

Each prints one JSON line on stdout. Only 127.0.0.1 URLs are accepted.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # before anything else is imported

import argparse  # noqa: E402 - the clock above must start first
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

if os.environ.get("MAILROUTE_BENCH_BLOCK_MSGSPEC") == "1":
    sys.modules["msgspec"] = None  # type: ignore[assignment] # the base install


def _check_url(url: str) -> str:
    if not url.startswith("http://127.0.0.1:"):
        raise SystemExit(f"refusing a non-loopback URL: {url!r}")
    return url


def first(url: str, cache_dir: str, name: str) -> dict[str, object]:
    """Import, build a client and fetch the first match: the time to a first result."""
    t0 = time.perf_counter()
    from mailroute_dyn import Client

    from . import API_KEY, LOGIN

    t1 = time.perf_counter()
    with Client(base_url=url, login=LOGIN, api_key=API_KEY, cache_dir=cache_dir) as client:
        obj = client.domain.filter(name=name).first()
        t2 = time.perf_counter()
        discovery_requests = client._discovery.requests
    return {
        "import_s": t1 - t0,
        "first_result_s": t2 - t1,
        "since_start_s": t2 - _STARTED,
        "found": obj is not None and obj["name"] == name,
        "client_discovery_requests": discovery_requests,
    }


def _status_kib(key: str) -> int:
    """A `VmHWM` / `VmRSS` figure of this process from /proc/self/status, in KiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/self/status")


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def memory(url: str, mode: str, page_size: int, walk: str = "key") -> dict[str, object]:
    """Iterate every object lazily (nothing kept) and report the peak memory.

    `walk`: `key` lets the client walk by `name` (unique, orderable, gt-filterable: it
    remembers one page); `offset` orders by `created_at`, which is not unique, so the
    client follows `meta.next` and remembers every URI it yielded.

    `rss` mode: the peak resident set while iterating (VmHWM, reset just before the loop;
    ru_maxrss is not used because Linux carries the parent's peak over fork + exec).
    `tracemalloc` mode: the peak of Python allocations while iterating.
    """
    import gc
    import tracemalloc

    from mailroute_dyn import Client

    from . import API_KEY, LOGIN

    with Client(base_url=url, login=LOGIN, api_key=API_KEY, cache_dir=None) as client:
        domain = client.domain  # schema loaded before measuring
        qs = domain.all().page_size(page_size)
        if walk == "offset":
            qs = qs.order_by("created_at")
        gc.collect()
        out: dict[str, object] = {"peak_rss_before_kib": _status_kib("VmHWM")}
        reset = _reset_peak_rss()
        rss_start = _status_kib("VmRSS")
        if mode == "tracemalloc":
            tracemalloc.start()
        started = time.perf_counter()
        count = 0
        last_id = 0
        for obj in qs:  # bounded by the server's total
            count += 1
            last_id = obj["id"]
        out.update(count=count, last_id=last_id, elapsed_s=time.perf_counter() - started)
        if mode == "tracemalloc":
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out["tracemalloc_peak_bytes"] = peak
        out.update(
            peak_rss_reset=reset,
            rss_at_start_kib=rss_start,
            peak_rss_kib=_status_kib("VmHWM"),
            rss_at_end_kib=_status_kib("VmRSS"),
        )
    return out


def _skip_explicit_collections() -> None:
    """Under valgrind, the `gc.collect()` the arms make before timing a walk is skipped:
    it walks the whole heap, whose size is what each side imported, not what a listing
    costs (the collections the allocations trigger still run, and are counted)."""
    import gc

    gc.collect = lambda generation=2: 0


def listing(url: str, arm: str, objects: int, page_size: int, runs: int) -> dict[str, object]:
    """Build one listing arm of case 2 and run it `runs` times (for instruction counts:
    two runs of this under valgrind, with different `runs`, give one listing's cost)."""
    from . import cases

    _skip_explicit_collections()
    listed = len(cases.walk_arm(url, objects, page_size, arm, runs))
    return {"arm": arm, "runs": runs, "listed": listed}


def _read_tasks(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The tasks of case 5 (benchmarks/reads.py): listings that read fields."""
    for task in ("reads-cpu", "reads-walk", "reads-held"):
        p = sub.add_parser(task)
        p.add_argument("--url", required=True)
        p.add_argument("--objects", type=int, required=True)
        p.add_argument("--page-size", type=int, default=100)
        p.add_argument("--repeats", type=int, default=9)
        p.add_argument("--side", default="")
        p.add_argument("--read", default="none")
        p.add_argument("--walks", default="")


def _run_read_task(url: str, args: argparse.Namespace) -> dict[str, object]:
    from . import reads

    if args.task == "reads-cpu":
        return reads.child_cpu(url, args.objects, args.page_size, args.repeats)
    if args.task == "reads-held":
        return reads.child_held(url, args.objects, args.page_size, args.side, args.read)
    _skip_explicit_collections()
    walks = {
        read: int(times)
        for read, _, times in (part.partition("=") for part in args.walks.split(","))
    }
    return {"listed": reads.child_walk(url, args.objects, args.page_size, args.side, walks)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="task", required=True)
    p = sub.add_parser("first")
    p.add_argument("--url", required=True)
    p.add_argument("--cache-dir", required=True)
    p.add_argument("--name", required=True)
    m = sub.add_parser("memory")
    m.add_argument("--url", required=True)
    m.add_argument("--mode", choices=("rss", "tracemalloc"), required=True)
    m.add_argument("--page-size", type=int, default=100)
    m.add_argument("--walk", choices=("key", "offset"), default="key")
    b = sub.add_parser("listing")
    b.add_argument("--url", required=True)
    b.add_argument("--arm", required=True)
    b.add_argument("--objects", type=int, required=True)
    b.add_argument("--page-size", type=int, default=100)
    b.add_argument("--runs", type=int, required=True)
    _read_tasks(sub)
    args = parser.parse_args(argv)
    url = _check_url(args.url)
    if args.task.startswith("reads-"):
        result = _run_read_task(url, args)
    elif args.task == "first":
        result = first(url, args.cache_dir, args.name)
    elif args.task == "listing":
        result = listing(url, args.arm, args.objects, args.page_size, args.runs)
    else:
        result = memory(url, args.mode, args.page_size, args.walk)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
