"""Case 5: listings that read fields, as users do, on both sides.

Each listing arm of case 2 is run again reading, for every object, (a) the key only,
(b) two plain fields (`id`, `name`), or (c) every field: the client through attributes
(typed: datetimes, decimals; related fields read as their URIs, `obj["customer"]`, since
an attribute would fetch the related object), the bare loops doing the same conversions
by hand on the raw dicts (`email.utils.parsedate_to_datetime` or
`datetime.fromisoformat` for datetimes, `Decimal(str(v))` for decimals, related fields
left as URIs).

Everything runs in child processes, twice: with msgspec importable (the `speed` extra)
and with it blocked (the base install), so the same figures exist for both installs.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from .server import ROOT, SCHEMA_FILE, BenchServer

READS = ("key", "two", "every")
SIDES = ("mailroute_dyn sync", "httpx loop", "mailroute_dyn async", "httpx async + semaphore")
#: each target's two sides, run back to back in every repeat
READ_PAIRS = {
    "sync": ("mailroute_dyn sync", "httpx loop"),
    "async": ("mailroute_dyn async", "httpx async + semaphore"),
}
INSTALLS = {"base": True, "speed": False}  # install: whether msgspec is blocked
BLOCK_MSGSPEC = "MAILROUTE_BENCH_BLOCK_MSGSPEC"  # read by child.py before any import
#: what the issue measured and what a user's program reads
TWO_FIELDS = ("id", "name")


def _schema_types() -> dict[str, str]:
    fields = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["fields"]
    return {name: spec["type"] for name, spec in fields.items()}


def _datetime_by_hand(value: Any) -> Any:
    """What a user writes for Tastypie's datetimes: ISO 8601, or RFC 2822 in RFC mode."""
    if value is None:
        return None
    if value[:1].isdigit():
        return dt.datetime.fromisoformat(value)
    return email.utils.parsedate_to_datetime(value)


def _decimal_by_hand(value: Any) -> Any:
    return None if value is None else Decimal(str(value))


def bare_reader(read: str) -> Callable[[dict[str, Any]], Any]:
    """What the bare loops do with each raw dict for `read`."""
    if read == "key":
        return itemgetter("id")
    if read == "two":
        return itemgetter(*TWO_FIELDS)
    by_hand = {"datetime": _datetime_by_hand, "decimal": _decimal_by_hand}
    steps = [(name, by_hand.get(kind)) for name, kind in _schema_types().items()]

    def every(o: dict[str, Any]) -> list[Any]:
        return [o[name] if convert is None else convert(o[name]) for name, convert in steps]

    return every


def client_reader(read: str) -> Callable[[Any], Any]:
    """What the client's arms do with each object for `read`: attributes, as users read."""
    if read == "key":
        return attrgetter("id")
    if read == "two":
        return attrgetter(*TWO_FIELDS)
    steps = [
        itemgetter(name) if kind == "related" else attrgetter(name)
        for name, kind in _schema_types().items()
    ]

    def every(o: Any) -> list[Any]:
        return [step(o) for step in steps]

    return every


def _nothing(obj: Any) -> None:
    return None


def reader_for(side: str, read: str) -> Callable[[Any], Any]:
    if read == "none":  # the objects held untouched
        return _nothing
    return client_reader(read) if side.startswith("mailroute_dyn") else bare_reader(read)


def side_runner(
    url: str, n: int, page: int, side: str, read: str, walks: int = 1
) -> Callable[[], Any]:
    """One side of a pair, reading `read` of every object; a call returns `_Inner` (wall,
    CPU, objects) timed around the listing and the reads (inside the event loop when async)."""
    from . import cases

    each = reader_for(side, read)
    if side == "mailroute_dyn async":
        return cases.list_md_async(url, n, page, walks=walks, read=each)
    if side == "httpx async + semaphore":
        return cases.list_httpx_async(url, n, page, walks=walks, read=each)
    walk = (
        cases.list_md_sync(url, n, page, None)
        if side == "mailroute_dyn sync"
        else cases.list_httpx(url, n, page)
    )

    def run() -> Any:
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        objects = walk()
        for obj in objects:
            each(obj)
        return cases._Inner(time.perf_counter() - w0, time.process_time() - c0, objects)

    return run


# -------------------------------------------------------------- in the child process


def child_walk(url: str, n: int, page: int, side: str, walks: dict[str, int]) -> int:
    """Walk the listing `walks[read]` times reading `read`, for every read (a child under
    valgrind: the counts of a few such children give each read's cost)."""
    listed = 0
    for read, times in walks.items():
        if times:
            out = side_runner(url, n, page, side, read, walks=times)
            listed = 0
            for _ in range(1 if side.endswith(("async", "semaphore")) else times):
                listed = len(out().objects)
    return listed


def child_cpu(url: str, n: int, page: int, repeats: int) -> dict[str, Any]:
    """CPU per object of every side and read, the two sides of a pair back to back in
    each repeat (which goes first alternates): samples in seconds per listing."""
    from mailroute_dyn.jsondecode import decoder_name

    runners = {
        (side, read): side_runner(url, n, page, side, read) for side in SIDES for read in READS
    }
    for fn in runners.values():  # warm up: connections, caches
        fn()
    cpu: dict[str, list[float]] = {f"{side}|{read}": [] for side, read in runners}
    for repeat in range(repeats):
        for read in READS:
            for mine, ref in READ_PAIRS.values():
                order = (mine, ref) if repeat % 2 == 0 else (ref, mine)
                for side in order:
                    out = runners[side, read]()
                    if len(out.objects) != n:
                        raise AssertionError(f"{side}: listed {len(out.objects)}, expected {n}")
                    cpu[f"{side}|{read}"].append(out.cpu)
    return {"decoder": decoder_name(), "cpu_s": cpu}


def child_held(url: str, n: int, page: int, side: str, read: str) -> dict[str, Any]:
    """Python memory held per object after listing `n` objects into a list and reading
    `read` of each (`none`: not touched), from tracemalloc (started after set-up)."""
    from mailroute_dyn.jsondecode import decoder_name

    walk = side_runner(url, n, page, side, read)  # set-up: client, schema
    gc.collect()
    tracemalloc.start()
    objects = walk().objects  # listed, and `read` of each read
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if len(objects) != n:
        raise AssertionError(f"{side}: listed {len(objects)}, expected {n}")
    return {
        "decoder": decoder_name(),
        "held_bytes": held,
        "peak_bytes": peak,
        "per_object_bytes": held / n,
    }


# -------------------------------------------------------------- in the benchmark process


def _child(
    args: list[str], install: str, timeout: float, prefix: list[str] | None = None
) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(BLOCK_MSGSPEC, None)
    if INSTALLS[install]:
        env[BLOCK_MSGSPEC] = "1"
    proc = subprocess.run(
        [*(prefix or []), sys.executable, "-m", "benchmarks.child", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _check_decoder(install: str, decoder: str) -> None:
    expected = "json" if INSTALLS[install] else "msgspec"
    if decoder != expected:
        raise AssertionError(
            f"{install} install decoded with {decoder}, expected {expected} (is msgspec installed?)"
        )


def cpu(server: BenchServer, n: int, page: int, repeats: int) -> dict[str, Any]:
    """Per install: CPU µs per object (median) of every side and read, and per pair and
    read the median and range of the back-to-back repeats' ratios."""
    from .cases import _ratios

    server.configure(objects=n, latency=0.0)
    out: dict[str, Any] = {"objects": n, "page_size": page, "repeats": repeats}
    for install in INSTALLS:
        got = _child(
            [
                "reads-cpu",
                "--url",
                server.url,
                "--objects",
                str(n),
                "--page-size",
                str(page),
                "--repeats",
                str(repeats),
            ],
            install,
            1800,
        )
        _check_decoder(install, got["decoder"])
        samples = got["cpu_s"]
        out[install] = {
            "us_per_object": {key: statistics.median(s) / n * 1e6 for key, s in samples.items()},
            "ratios": {
                f"{pair}|{read}": _ratios(samples[f"{mine}|{read}"], samples[f"{ref}|{read}"])
                for pair, (mine, ref) in READ_PAIRS.items()
                for read in READS
            },
            "samples_s": {k: [round(x, 5) for x in s] for k, s in samples.items()},
        }
    return out


#: the walks (per read) of the children counted under valgrind: the first walks each read
#: once, each other walks one read twice more, so each difference is two walks of one read
_INSTR_WALKS = [
    {"key": 1, "two": 1, "every": 1},
    {"key": 3, "two": 1, "every": 1},
    {"key": 1, "two": 3, "every": 1},
    {"key": 1, "two": 1, "every": 3},
]


def instructions(server: BenchServer, n: int, page: int) -> dict[str, Any]:
    """Per install: instructions per object of every side and read (valgrind callgrind;
    start-up and set-up cancel out in the differences), and the pairs' ratios."""
    from .cases import _callgrind_total

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return {"skipped": "valgrind is not installed"}
    server.configure(objects=n, latency=0.0)
    out: dict[str, Any] = {"objects": n, "page_size": page}
    with tempfile.TemporaryDirectory(prefix="mailroute_bench_reads_cg_") as tmp:
        for install in INSTALLS:
            per: dict[str, float] = {}
            for side in SIDES:
                totals = []
                for i, walks in enumerate(_INSTR_WALKS):
                    cg = Path(tmp) / f"cg.{install}.{SIDES.index(side)}.{i}"
                    spec = ",".join(f"{r}={k}" for r, k in walks.items())
                    got = _child(
                        [
                            "reads-walk",
                            "--url",
                            server.url,
                            "--objects",
                            str(n),
                            "--page-size",
                            str(page),
                            "--side",
                            side,
                            "--walks",
                            spec,
                        ],
                        install,
                        900,
                        [valgrind, "--tool=callgrind", f"--callgrind-out-file={cg}"],
                    )
                    if got["listed"] != n:
                        raise AssertionError(f"{side}: listed {got['listed']}, expected {n}")
                    totals.append(_callgrind_total(cg))
                for read, total in zip(READS, totals[1:], strict=True):
                    per[f"{side}|{read}"] = (total - totals[0]) / 2 / n
            out[install] = {
                "per_object": per,
                "ratios": {
                    f"{pair}|{read}": per[f"{mine}|{read}"] / per[f"{ref}|{read}"]
                    for pair, (mine, ref) in READ_PAIRS.items()
                    for read in READS
                },
            }
    return out


HELD = (
    ("httpx loop", "none"),
    ("mailroute_dyn sync", "none"),
    ("mailroute_dyn sync", "two"),
    ("mailroute_dyn sync", "every"),
)


def memory(server: BenchServer, n: int, page: int) -> dict[str, Any]:
    """Per install: Python memory held per object in a list of `n` (tracemalloc), raw
    dicts against the client's objects untouched, after two reads and after reading
    every field; the ratios to the raw dicts."""
    server.configure(objects=n, latency=0.0)
    out: dict[str, Any] = {"objects": n, "page_size": page}
    for install in INSTALLS:
        per: dict[str, float] = {}
        for side, read in HELD:
            got = _child(
                [
                    "reads-held",
                    "--url",
                    server.url,
                    "--objects",
                    str(n),
                    "--page-size",
                    str(page),
                    "--side",
                    side,
                    "--read",
                    read,
                ],
                install,
                900,
            )
            _check_decoder(install, got["decoder"])
            per[f"{side}|{read}"] = got["per_object_bytes"]
        raw = per["httpx loop|none"]
        out[install] = {
            "per_object_bytes": per,
            "ratios": {k: v / raw for k, v in per.items() if k != "httpx loop|none"},
        }
    return out
