"""`python -m benchmarks [--quick] [--json PATH] [--profile] [--instructions] [--only CASE ...]`

Runs every case, prints a table and writes it as JSON (default
benchmarks/results/latest.json). All traffic stays on 127.0.0.1: the listing server is a
child process on loopback, the Tastypie server a thread on loopback, the rest in process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import cases, docs, reads
from .cases import Target
from .server import BenchServer

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
CASES = ("detail", "listing", "memory", "startup", "reads")

SIZES = {
    "default": {
        "detail_iterations": 1000,
        "detail_repeats": 11,
        "live_iterations": 60,
        "live_repeats": 20,
        "list_objects": 10_000,
        "page_size": 100,
        "latency": 0.020,
        "list_repeats": 3,
        "cpu_repeats": 11,
        "wall_pairs": 15,
        "memory_sizes": (10_000, 100_000),
        "import_runs": 41,
        "reads_objects": 10_000,
        "reads_repeats": 9,
        "reads_instr_objects": 2_000,
        "reads_held_objects": 100_000,
    },
    "quick": {
        "detail_iterations": 200,
        "detail_repeats": 5,
        "live_iterations": 20,
        "live_repeats": 4,
        "list_objects": 1_000,
        "page_size": 100,
        "latency": 0.020,
        "list_repeats": 1,
        "cpu_repeats": 2,
        "wall_pairs": 2,
        "memory_sizes": (1_000, 10_000),
        "import_runs": 3,
        "reads_objects": 1_000,
        "reads_repeats": 2,
        "reads_instr_objects": 500,
        "reads_held_objects": 10_000,
    },
}


def _loopback_only() -> None:
    """No proxy may take a request off this machine (children inherit this)."""
    for key in list(os.environ):
        if key.lower() in ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy"):
            del os.environ[key]
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    for key in ("MAILROUTE_URL", "MAILROUTE_LOGIN", "MAILROUTE_API_KEY", "MAILROUTE_CONFIG"):
        os.environ.pop(key, None)


def _verdict(t: Target) -> str:
    return ("pass" if t.passed else "MISS") + f" ({t.margin})"


def _print_table(res: dict[str, Any], targets: list[Target], quick: bool = False) -> None:
    out: list[str] = []
    w = out.append
    if "detail" in res:
        d = res["detail"]
        w("1. Detail GET: client.domain.get(id) vs httpx.Client.get(url).json(), same transport")
        w(f"   {'transport':<34}{'mailroute_dyn':>15}{'httpx':>12}{'overhead':>11}{'ratio':>8}")
        for key, label in (
            ("inprocess", "in-process canned (µs/call)"),
            ("live_tastypie", "real Tastypie, loopback (µs/call)"),
        ):
            if key in d:
                r = d[key]
                w(
                    f"   {label:<34}{r['mailroute_dyn']['median_us']:>15.1f}"
                    f"{r['httpx']['median_us']:>12.1f}{r['overhead_us']:>11.1f}{r['ratio']:>8.2f}"
                    f"   ({r['repeats']} x {r['iterations']} calls; ratio: median of the "
                    "repeats' ratios)"
                )
        w("")
    if "listing" in res:
        lst = res["listing"]
        w(
            f"2. Listing {lst['objects']:,} objects, page size {lst['page_size']}, "
            f"{lst['latency_ms']:.0f} ms latency per request (loopback server in a child process)"
        )
        w(
            f"   {'client':<40}{'wall s':>8}{'reqs':>6}{'vs slumber':>12}"
            f"{'CPU µs/obj*':>13}{'CPU vs httpx':>14}{'(min-based)':>13}"
        )
        base_wall = lst["arms"]["slumber"]["wall_s"]
        base_cpu = lst["arms"]["httpx loop"]["cpu_us_per_object_latency0"]
        base_min = lst["arms"]["httpx loop"]["cpu_us_per_object_latency0_min"]
        for name, a in lst["arms"].items():
            w(
                f"   {name:<40}{a['wall_s']:>8.2f}{a['requests']:>6}"
                f"{base_wall / a['wall_s']:>11.1f}x{a['cpu_us_per_object_latency0']:>13.1f}"
                f"{a['cpu_us_per_object_latency0'] / base_cpu:>13.2f}x"
                f"{a['cpu_us_per_object_latency0_min'] / base_min:>12.2f}x"
            )
        w(
            f"   * process CPU per object with latency 0, median of {lst['cpu_repeats']} "
            f"(last column: ratio of the fastest runs); wall: median of {lst['repeats']}"
        )
        for key, label in (
            ("sync", "sync client vs the httpx loop"),
            ("async", "async client vs the hand-written async loop"),
        ):
            c = lst["cpu_pairs"][key]
            w(
                f"   CPU per object, {label}, ratio of each back-to-back repeat: median "
                f"{c['median_ratio']:.3f}, range {c['min_ratio']:.3f}-{c['max_ratio']:.3f}"
            )
        pairs = lst["async_wall_pairs"]
        w(
            f"   async client vs the hand-written async loop, {pairs['pairs']} back-to-back pairs "
            f"at {lst['latency_ms']:.0f} ms latency: wall {pairs['mailroute_dyn_s']:.3f} s vs "
            f"{pairs['reference_s']:.3f} s (medians), ratio per pair: median "
            f"{pairs['median_ratio']:.3f}, range {pairs['min_ratio']:.3f}-{pairs['max_ratio']:.3f}"
        )
        w("")
    if "instructions" in res:
        ins = res["instructions"]
        if "skipped" in ins:
            w(f"2b. Instructions per listed object: skipped ({ins['skipped']})")
        else:
            w(
                "2b. Instructions per listed object (valgrind callgrind, latency 0; the "
                "machine's load does not move these)"
            )
            for name, count in ins["per_object"].items():
                w(f"   {name:<40}{count:>10,.0f}")
            w(
                f"   ratios: sync vs httpx loop {ins['ratios']['sync']:.3f}, async vs the "
                f"hand-written async loop {ins['ratios']['async']:.3f}"
            )
        w("")
    for key, label in (("memory", "walk by key"), ("memory_offset", "walk by offset")):
        if key not in res:
            continue
        m = res[key]
        w(
            f"3. Peak memory, sync client's lazy iteration (nothing kept), {label}, latency 0, "
            "fresh process per run"
        )
        w(
            f"   {'objects':>10}{'peak RSS MiB':>14}{'RSS before MiB':>16}{'growth MiB':>12}"
            f"{'tracemalloc peak MiB':>22}"
        )
        for n, r in m["runs"].items():
            w(
                f"   {int(n):>10,}{r['peak_rss_while_iterating_kib'] / 1024:>14.1f}"
                f"{r['rss_before_iterating_kib'] / 1024:>16.1f}"
                f"{r['peak_rss_growth_kib'] / 1024:>12.1f}"
                f"{r['tracemalloc_peak_bytes'] / 2**20:>22.1f}"
            )
        w(
            f"   difference: peak RSS {m['peak_rss_delta_mib']:+.1f} MiB (VmHWM, reset before the "
            f"loop), tracemalloc peak {m['tracemalloc_delta_mib']:+.1f} MiB"
        )
        w("")
    if "startup" in res:
        s = res["startup"]
        imp = s["imports"]
        w("4. Start-up")
        w(
            f"   import, {imp['runs']} rounds of fresh interpreters minus a bare start "
            f"({imp['median_s']['bare interpreter'] * 1000:.0f} ms), bytecode cached; times are "
            "medians, a ratio is the median of the rounds' ratios:"
        )
        w(
            "     `from mailroute_dyn import Client` vs `import httpx`, then each also making a "
            "client (no request):"
        )
        w(
            f"     wall: mailroute_dyn {imp['mailroute_dyn_import_s'] * 1000:.0f} ms, httpx "
            f"{imp['httpx_import_s'] * 1000:.0f} ms, ratio {imp['ratio']:.2f};  CPU (user+sys): "
            f"mailroute_dyn {imp['mailroute_dyn_import_cpu_s'] * 1000:.0f} ms, httpx "
            f"{imp['httpx_import_cpu_s'] * 1000:.0f} ms, ratio {imp['cpu_ratio']:.2f}"
        )
        wc = imp["with_client_s"]
        w(
            f"     import and make a client: mailroute_dyn {wc['mailroute_dyn'] * 1000:.0f} ms, "
            f"httpx {wc['httpx'] * 1000:.0f} ms, ratio {imp['with_client_ratio']:.2f}"
        )
        bare = imp["httpx_cli_absent"]
        w(
            f"     httpx's optional command line (click, rich, pygments) marked missing, as in "
            f"a client-only install: mailroute_dyn {bare['mailroute_dyn_import_s'] * 1000:.0f}"
            f" ms, httpx {bare['httpx_import_s'] * 1000:.0f} ms, ratio {bare['ratio']:.2f}; "
            f"with a client {bare['with_client_s']['mailroute_dyn'] * 1000:.0f} ms vs "
            f"{bare['with_client_s']['httpx'] * 1000:.0f} ms, ratio "
            f"{bare['with_client_ratio']:.2f}"
        )
        asis = imp["as_is_environment"]
        note = (
            " (PYTHONDONTWRITEBYTECODE=1: the checkout is compiled at every start)"
            if imp["dont_write_bytecode_set"]
            else ""
        )
        w(
            f"     as this environment runs it{note}: mailroute_dyn "
            f"{asis['mailroute_dyn_import_s'] * 1000:.0f} ms, httpx "
            f"{asis['httpx_import_s'] * 1000:.0f} ms, ratio {asis['ratio']:.2f}"
        )
        w(
            "     self time by package under `from mailroute_dyn import Client` (-X importtime, "
            "ms): "
            + ", ".join(
                f"{p['package']} {p['self_ms']:.0f}" for p in imp["importtime_by_package_ms"][:9]
            )
        )
        fr = s["first_result"]
        w(f"   first result, {fr['query']}.first(), {fr['latency_ms']:.0f} ms latency:")
        for label in ("cold", "warm"):
            r = fr[label]
            w(
                f"     {label:<5} cache: {r['first_result_s'] * 1000:7.1f} ms after import "
                f"(import {r['import_s'] * 1000:.0f} ms, whole process "
                f"{r['process_wall_s'] * 1000:.0f} ms), {r['requests']} requests "
                f"{r['by_kind']}, schema/listing requests: {r['schema_or_listing_requests']}"
            )
        w("")
    w(
        "Targets"
        + (
            " (--quick: sizes and repeats too small for these verdicts; a smoke run)"
            if quick
            else ""
        )
    )
    for t in targets:
        unit = f" {t.unit}" if t.unit else ""
        op = ">=" if t.higher_is_better else "<="
        w(f"   {t.name:<58}{t.measured:>9.2f}{unit}  {op} {t.limit:g}{unit}   {_verdict(t)}")
    print("\n".join(out))


#: case 5's limits: per install, (a) and (b) against the bare loop, (c) against the bare
#: loop doing the same conversions by hand
READ_LIMITS = {
    "base": {"key": 1.2, "two": 1.2, "every": 1.3},
    "speed": {"key": 1.0, "two": 1.0, "every": 1.3},
}
HELD_LIMIT = 1.5


def _read_cases(
    server: BenchServer,
    size: dict[str, Any],
    count_instructions: bool,
    res: dict[str, Any],
    note: Any,
) -> list[Target]:
    """Case 5, listings that read fields (benchmarks/reads.py), and its targets."""
    targets: list[Target] = []
    page = size["page_size"]
    note(f"5. field reads: CPU, {size['reads_objects']:,} objects, base and speed installs")
    res["reads_cpu"] = reads.cpu(server, size["reads_objects"], page, size["reads_repeats"])
    if count_instructions:
        note(f"5. field reads: instructions (valgrind), {size['reads_instr_objects']:,} objects")
        res["reads_instructions"] = reads.instructions(server, size["reads_instr_objects"], page)
    note(f"5. field reads: memory held, {size['reads_held_objects']:,} objects")
    res["reads_memory"] = reads.memory(server, size["reads_held_objects"], page)
    ins = res.get("reads_instructions", {})
    for install, limits in READ_LIMITS.items():
        for pair in reads.READ_PAIRS:
            for read, limit in limits.items():
                key = f"{pair}|{read}"
                what = f"5. {pair} {read} read vs bare loop, {install} install"
                if install in ins:
                    targets.append(
                        Target(f"{what}, instructions", ins[install]["ratios"][key], limit, "x")
                    )
                ratio = res["reads_cpu"][install]["ratios"][key]
                targets.append(
                    Target(
                        f"{what}, CPU",
                        ratio["median_ratio"],
                        limit,
                        "x",
                        detail=f"range {ratio['min_ratio']:.2f}-{ratio['max_ratio']:.2f}",
                    )
                )
    for install in reads.INSTALLS:
        held = res["reads_memory"][install]["ratios"]
        for read in ("none", "two"):
            targets.append(
                Target(
                    f"5. memory per held object vs raw dict, "
                    f"{'untouched' if read == 'none' else 'after two reads'}, "
                    f"{install} install",
                    held[f"mailroute_dyn sync|{read}"],
                    HELD_LIMIT,
                    "x",
                )
            )
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        metavar="PATH",
        help=f"where to write the results (default {DEFAULT_JSON})",
    )
    parser.add_argument(
        "--only", nargs="+", choices=CASES, default=list(CASES), help="run only these cases"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions per listed object with valgrind (a "
        "figure load does not move; about two minutes)",
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="rewrite the figures of docs/performance.md (its marked block) from this run",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print cProfile hot spots of the client (detail GET, listing)",
    )
    args = parser.parse_args(argv)
    _loopback_only()
    size = SIZES["quick" if args.quick else "default"]
    started = time.perf_counter()
    res: dict[str, Any] = {}
    targets: list[Target] = []
    need_server = (
        {"listing", "memory", "startup", "reads"} & set(args.only)
        or args.profile
        or args.instructions
    )
    biggest = max(size["list_objects"], *size["memory_sizes"], size["reads_held_objects"])
    server = BenchServer(objects=biggest) if need_server else None

    def note(msg: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    try:
        if server is not None:
            note(f"starting the loopback server ({biggest:,} objects)")
            server.start()
            note(f"server at {server.url}")
        if "detail" in args.only:
            note("1a. detail GET, in-process transport")
            res["detail"] = {
                "inprocess": cases.detail_inprocess(
                    size["detail_iterations"], size["detail_repeats"]
                )
            }
            note("1b. detail GET, real Tastypie server over loopback")
            res["detail"]["live_tastypie"] = cases.detail_live_tastypie(
                size["live_iterations"], size["live_repeats"]
            )
            for key, label in (("inprocess", "in-process"), ("live_tastypie", "real Tastypie")):
                targets.append(
                    Target(
                        f"1. detail GET ratio vs httpx ({label})",
                        res["detail"][key]["ratio"],
                        1.05,
                        "x",
                    )
                )
        if "listing" in args.only:
            assert server is not None
            note(f"2. listing {size['list_objects']:,} objects")
            lst = cases.listing(
                server,
                size["list_objects"],
                size["page_size"],
                size["latency"],
                size["list_repeats"],
                size["cpu_repeats"],
                size["wall_pairs"],
            )
            res["listing"] = lst
            arms = lst["arms"]
            speed = arms["slumber"]["wall_s"] / arms[cases.ASYNC_ARM]["wall_s"]
            targets.append(
                Target(
                    "2. async listing speed-up vs slumber", speed, 5.0, "x", higher_is_better=True
                )
            )
            cpu = lst["cpu_pairs"]
            targets.append(
                Target(
                    "2. CPU per listed object, sync vs httpx loop",
                    cpu["sync"]["median_ratio"],
                    1.0,
                    "x",
                )
            )
            targets.append(
                Target(
                    "2. CPU per listed object, async vs httpx async + semaphore",
                    cpu["async"]["median_ratio"],
                    1.0,
                    "x",
                )
            )
            pairs = lst["async_wall_pairs"]
            targets.append(
                Target(
                    "2. async listing wall vs httpx async + semaphore (20 ms latency)",
                    pairs["median_ratio"],
                    1.0,
                    "x",
                    detail=f"median of {pairs['pairs']} back-to-back pairs",
                )
            )
        if "memory" in args.only:
            assert server is not None
            note(
                f"3. peak memory, {size['memory_sizes'][0]:,} vs "
                f"{size['memory_sizes'][1]:,} objects"
            )
            res["memory"] = cases.memory(server, size["memory_sizes"], size["page_size"])
            res["memory_offset"] = cases.memory(
                server, size["memory_sizes"], size["page_size"], walk="offset"
            )
            small, big = size["memory_sizes"]
            for key, label in (("memory", "key"), ("memory_offset", "offset")):
                targets.append(
                    Target(
                        f"3. peak RSS {big:,} minus {small:,} objects, {label} walk",
                        res[key]["peak_rss_delta_mib"],
                        20.0,
                        "MiB",
                    )
                )
        if "startup" in args.only:
            assert server is not None
            note("4. start-up: import times")
            imports = cases.import_times(size["import_runs"])
            note("4. start-up: first result, cold and warm schema cache")
            first = cases.first_result(server, size["latency"])
            res["startup"] = {"imports": imports, "first_result": first}
            targets.append(
                Target(
                    "4. warm start: schema/listing requests",
                    first["warm"]["schema_or_listing_requests"],
                    0,
                    "",
                )
            )
            worse = max(imports["ratio"], imports["httpx_cli_absent"]["ratio"])
            targets.append(
                Target(
                    "4. import mailroute_dyn vs import httpx (the worse of "
                    f"with and without httpx's CLI; median of {size['import_runs']} rounds)",
                    worse,
                    1.2,
                    "x",
                )
            )
            worse = max(
                imports["with_client_ratio"], imports["httpx_cli_absent"]["with_client_ratio"]
            )
            targets.append(Target("4. the same, each also making a client", worse, 1.2, "x"))
        if args.instructions:
            assert server is not None
            note("2b. instructions per listed object (valgrind)")
            res["instructions"] = cases.instructions(
                server, size["list_objects"], size["page_size"]
            )
        if "reads" in args.only:
            assert server is not None
            targets += _read_cases(server, size, args.instructions, res, note)
        if args.profile:
            assert server is not None
            cases.profile_hot_spots(server, size["list_objects"], size["page_size"])
    finally:
        if server is not None:
            server.stop()
            note("server stopped")
    elapsed = time.perf_counter() - started
    _print_table(res, targets, args.quick)
    if "reads_cpu" in res:  # case 5, as docs/performance.md shows it
        print("\n5. " + "\n".join(docs.reads_table(res)))
        print("\n" + "\n".join(docs.held_table(res)))
    import httpx

    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "default",
        "sizes": size,
        "elapsed_s": elapsed,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "httpx": httpx.__version__,
        "argv": sys.argv[1:],
    }
    try:
        import slumber

        meta["slumber"] = getattr(slumber, "__version__", "0.7.1")
    except ImportError:
        pass
    document = {"meta": meta, "results": res, "targets": [t.as_dict() for t in targets]}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nWritten {args.json} in {elapsed:.0f} s.")
    if args.write_docs:
        docs.write_page(document)
        print(f"Rewritten the figures in {docs.PAGE}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
