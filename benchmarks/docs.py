"""`--write-docs`: the docs' performance figures, written from a run's results, never by hand.

The block between the two markers of docs/performance.md ("The last run") is replaced by
the table of this run's targets and the field-read figures (case 5), with the command
that produced them, when, and on what machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .reads import HELD, INSTALLS, READ_PAIRS, READS

BEGIN = "<!-- benchmarks: begin (written by python -m benchmarks --write-docs) -->"
END = "<!-- benchmarks: end -->"
PAGE = Path(__file__).resolve().parents[1] / "docs" / "performance.md"

_READ_LABEL = {"key": "(a) the key", "two": "(b) `id`, `name`", "every": "(c) every field"}


def _verdict(t: dict[str, Any]) -> str:
    return "pass" if t["passed"] else f"**MISS** ({t['margin']})"


def _number(value: float, unit: str) -> str:
    return f"{value:,.0f}" if unit == "instr" else f"{value:.2f}"


def _targets(doc: dict[str, Any]) -> list[str]:
    out = ["| target | measured | limit | verdict |", "|---|---|---|---|"]
    for t in doc["targets"]:
        unit = f" {t['unit']}" if t["unit"] else ""
        op = "≥" if t["higher_is_better"] else "≤"
        detail = f" ({t['detail']})" if t.get("detail") else ""
        out.append(
            f"| {t['name']}{detail} | {t['measured']:.2f}{unit} | {op} "
            f"{t['limit']:g}{unit} | {_verdict(t)} |"
        )
    return out


def reads_table(res: dict[str, Any]) -> list[str]:
    """Case 5 per pair and read: instructions and CPU per object, both installs."""
    ins, cpu = res.get("reads_instructions", {}), res["reads_cpu"]
    out = [
        f"Field reads, per listed object ({cpu['objects']:,} objects for CPU, median of "
        f"{cpu['repeats']} back-to-back repeats, range of the repeats' ratios in "
        "brackets; "
        + (
            f"{ins['objects']:,} objects for instructions"
            if "base" in ins
            else "instructions not counted in this run"
        )
        + "):",
        "",
        "| listing | read | install | client instructions | bare | ratio | client CPU µs "
        "| bare | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for pair, (mine, ref) in READ_PAIRS.items():
        for read in READS:
            for install in INSTALLS:
                key = f"{pair}|{read}"
                c = cpu[install]
                r = c["ratios"][key]
                row = [pair, _READ_LABEL[read], install]
                if install in ins:
                    per = ins[install]["per_object"]
                    row += [
                        f"{per[f'{mine}|{read}']:,.0f}",
                        f"{per[f'{ref}|{read}']:,.0f}",
                        f"{ins[install]['ratios'][key]:.2f}x",
                    ]
                else:
                    row += ["", "", ""]
                row += [
                    f"{c['us_per_object'][f'{mine}|{read}']:.1f}",
                    f"{c['us_per_object'][f'{ref}|{read}']:.1f}",
                    f"{r['median_ratio']:.2f}x ({r['min_ratio']:.2f}–{r['max_ratio']:.2f})",
                ]
                out.append("| " + " | ".join(row) + " |")
    return out


def held_table(res: dict[str, Any]) -> list[str]:
    mem = res["reads_memory"]
    out = [
        f"Memory held per object in a list of {mem['objects']:,} (`list(qs)`, tracemalloc):",
        "",
        "| held | install | bytes per object | vs the raw dict |",
        "|---|---|---|---|",
    ]
    for side, read in HELD:
        for install in INSTALLS:
            m = mem[install]
            key = f"{side}|{read}"
            ratio = m["ratios"].get(key)
            label = (
                "raw dicts (bare httpx loop)"
                if side == "httpx loop"
                else f"client objects, {'untouched' if read == 'none' else _READ_LABEL[read]}"
                f"{' read' if read != 'none' else ''}"
            )
            out.append(
                f"| {label} | {install} | {m['per_object_bytes'][key]:,.0f} | "
                f"{'' if ratio is None else f'{ratio:.2f}x'} |"
            )
    return out


def render(doc: dict[str, Any]) -> str:
    """The marked block of the performance page for one run's JSON document."""
    meta = doc["meta"]
    command = " ".join(["python -m benchmarks", *meta["argv"]])
    load = ", ".join(f"{x:.1f}" for x in meta["load_average"])
    lines = [
        BEGIN,
        "",
        f"Run of {meta['when']} ({meta['mode']} sizes, {meta['elapsed_s'] / 60:.0f} min) "
        f"on {meta['cpus']} CPUs, load average {load} at the end, Python "
        f"{meta['python']}, httpx {meta['httpx']}:",
        "",
        "```sh",
        command,
        "```",
        "",
    ]
    lines += _targets(doc)
    res = doc["results"]
    if "reads_cpu" in res:
        lines += ["", *reads_table(res)]
    if "reads_memory" in res:
        lines += ["", *held_table(res)]
    lines += ["", END]
    return "\n".join(lines)


def write_page(doc: dict[str, Any], path: Path = PAGE) -> None:
    """Replace the marked block of `path` with `render(doc)`."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: no block marked {BEGIN!r} ... {END!r}")
    path.write_text(text[:start] + render(doc) + text[end + len(END) :], encoding="utf-8")
