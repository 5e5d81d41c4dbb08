"""Tasks run in a fresh interpreter, so that imports, caches and memory start from zero.

    python -m benchmarks.child first  --url URL --cache-dir DIR --name NAME
    python -m benchmarks.child memory --url URL --mode rss|tracemalloc
    python -m benchmarks.child listing --url URL --arm NAME --objects N --runs K

Each prints one JSON line on stdout. Only 127.0.0.1 URLs are accepted.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()          # before anything else is imported

import argparse  # noqa: E402 - the clock above must start first
import json  # noqa: E402
import sys  # noqa: E402


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
    return {"import_s": t1 - t0, "first_result_s": t2 - t1, "since_start_s": t2 - _STARTED,
            "found": obj is not None and obj["name"] == name,
            "client_discovery_requests": discovery_requests}


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
        domain = client.domain                          # schema loaded before measuring
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
        for obj in qs:                                  # bounded by the server's total
            count += 1
            last_id = obj["id"]
        out.update(count=count, last_id=last_id, elapsed_s=time.perf_counter() - started)
        if mode == "tracemalloc":
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out["tracemalloc_peak_bytes"] = peak
        out.update(peak_rss_reset=reset, rss_at_start_kib=rss_start,
                   peak_rss_kib=_status_kib("VmHWM"), rss_at_end_kib=_status_kib("VmRSS"))
    return out


def listing(url: str, arm: str, objects: int, page_size: int, runs: int) -> dict[str, object]:
    """Build one listing arm of case 2 and run it `runs` times (for instruction counts:
    two runs of this under valgrind, with different `runs`, give one listing's cost)."""
    from . import cases

    listed = len(cases.walk_arm(url, objects, page_size, arm, runs))
    return {"arm": arm, "runs": runs, "listed": listed}


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
    args = parser.parse_args(argv)
    url = _check_url(args.url)
    if args.task == "first":
        result = first(url, args.cache_dir, args.name)
    elif args.task == "listing":
        result = listing(url, args.arm, args.objects, args.page_size, args.runs)
    else:
        result = memory(url, args.mode, args.page_size, args.walk)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
