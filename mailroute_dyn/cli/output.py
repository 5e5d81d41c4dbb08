"""Writing objects out: an aligned table for people, JSON / JSON Lines / CSV for programs,
and a progress bar on stderr when it is a terminal.

With the `cli` extra (rich) a table on a terminal is drawn by rich and the progress bar
shows the rate and the time left; without it, or when the output is not a terminal, the
plain forms below are used, so what scripts read never depends on the extra.

Values are written as the server sent them (`obj.to_dict()`), so `--format jsonl | jq`
sees the API's own representation; the table only renders them shorter.

Data never drives the terminal: every table cell and header goes through
`terminal_text` (control characters shown as `\\x1b`, `\\n`), JSON through `json_dumps`
(non-printable characters as `\\uXXXX`, JSON's own escape); CSV keeps values exact,
quoted by CSV's rules, so `list --format csv` feeds `create --data @x.csv` unchanged.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

from ..errors import CommandUsageError
from ..escaping import json_dumps, terminal_text

__all__ = [
    "cell",
    "exact_text",
    "write_table",
    "write_objects",
    "write_record",
    "Progress",
    "progress",
    "RECORD_FORMATS",
    "yaml_item",
    "WriteBar",
]

#: What every command that prints records takes as `--format`.
RECORD_FORMATS = ("table", "json", "jsonl", "csv", "yaml")
_NO_YAML = "--format yaml needs PyYAML: pip install 'mailroute_dyn[cli]'"


def yaml_item(data: Any) -> str:
    """One record as an item of a YAML list (`- key: value`), so a stream of them is one
    YAML document; PyYAML comes with the `cli` extra."""
    try:
        import yaml
    except ImportError:
        raise CommandUsageError(_NO_YAML) from None
    text: str = yaml.safe_dump(
        [json.loads(json.dumps(data, default=str))],
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
    )
    return text


MAX_CELL = 48


def exact_text(value: Any) -> str:
    """A raw value as CSV text, exactly: null empty, booleans lower-case, containers as
    JSON (what `--data @x.csv` reads back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def cell(value: Any, limit: int | None = MAX_CELL) -> str:
    """A raw value as table text: `exact_text`, with non-printable characters escaped,
    cut at `limit`."""
    text = terminal_text(exact_text(value))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _rich_console(stream: TextIO) -> Any:
    """A rich Console on `stream` when it is a terminal and rich is installed, else None."""
    if not _is_terminal(stream):
        return None
    try:
        import rich  # noqa: F401  (the package first: a blocked rich stays blocked)
        from rich.console import Console
    except ImportError:
        return None
    return Console(file=stream)


def write_table(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Columns padded to their widest cell; the last column is not padded. On a terminal
    with rich installed, rich draws it (cells as plain text, never markup). Every cell and
    header is escaped here, so no caller can forget it."""
    header = [terminal_text(name) for name in header]
    rows = [[terminal_text(c) for c in row] for row in rows]
    console = _rich_console(out)
    if console is not None:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for name in header:
            table.add_column(name.strip(), overflow="fold")
        for row in rows:
            table.add_row(*(Text(c) for c in row))
        console.print(table)
        return
    rows = [list(header)] + rows
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        padded = [c.ljust(w) for c, w in zip(row[:-1], widths[:-1], strict=True)]
        print("  ".join(padded + [row[-1]]).rstrip(), file=out)


def write_objects(
    out: TextIO, objects: Iterable[dict[str, Any]], fmt: str, columns: Sequence[str]
) -> int:
    """Write raw objects in `fmt`; returns how many. `columns` chooses table and CSV
    columns always, and JSON keys only when the user named them (see `list --fields`)."""
    count = 0
    if fmt == "table":
        rows = []
        for data in objects:
            rows.append([cell(data.get(c)) for c in columns])
            count += 1
        write_table(out, list(columns), rows)
        return count
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for data in objects:
            writer.writerow([exact_text(data.get(c)) for c in columns])
            count += 1
        return count
    if fmt == "jsonl":
        for data in objects:
            print(json_dumps(data), file=out)
            count += 1
        return count
    if fmt == "yaml":
        for data in objects:
            out.write(yaml_item(data))
            count += 1
        if not count:
            out.write("[]\n")
        return count
    # json: an array written as it comes, so --all never holds every object as text
    out.write("[")
    for data in objects:
        out.write(",\n  " if count else "\n  ")
        out.write(json_dumps(data))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_record(out: TextIO, data: dict[str, Any], fmt: str, order: Sequence[str]) -> None:
    """One object: `field  value` lines, pretty JSON, one JSON line, a CSV header and
    row, or YAML."""
    if fmt == "yaml":
        out.write(yaml_item(data)[2:].replace("\n  ", "\n"))  # the mapping itself
        return
    if fmt == "csv":
        write_objects(out, [data], "csv", list(data))
        return
    if fmt == "json":
        print(json_dumps(data, indent=2), file=out)
        return
    if fmt == "jsonl":
        print(json_dumps(data), file=out)
        return
    keys = [k for k in order if k in data] + sorted(k for k in data if k not in order)
    write_table(out, ["field", "value"], [[k, cell(data[k], None)] for k in keys])


class Progress:
    """`name [#####.....] 40/100` on a terminal, redrawn in place once per page."""

    def __init__(self, stream: TextIO, label: str, total: int | None, page: int):
        self.stream, self.total, self.page = stream, total, max(1, page)
        self.label = terminal_text(label)
        self.done = 0
        self.draw()

    def draw(self) -> None:
        total = self.total or 0
        width = max(10, min(40, shutil.get_terminal_size((80, 24)).columns - 40))
        filled = int(width * self.done / total) if total else 0
        bar = "#" * filled + "." * (width - filled)
        of = f"/{total}" if self.total is not None else ""
        self.stream.write(f"\r{self.label} [{bar}] {self.done}{of}")
        self.stream.flush()

    def track(self, items: Iterable[Any]) -> Iterator[Any]:
        """Yield `items`, redrawing after each full page and at the end."""
        for item in items:
            yield item
            self.done += 1
            if self.done % self.page == 0:
                self.draw()
        if self.done % self.page or not self.done:
            self.draw()
        self.stream.write("\n")
        self.stream.flush()


def _rich_progress(
    stream: TextIO, label: str, total: int | None, items: Iterable[Any]
) -> Iterator[Any]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress

    rate = TextColumn("{task.fields[rate]}")
    with RichProgress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        rate,
        TimeRemainingColumn(),
        console=Console(file=stream),
    ) as bar:
        task = bar.add_task(terminal_text(label), total=total, rate="")
        for item in items:
            yield item
            bar.advance(task)
            speed = bar.tasks[0].speed
            bar.update(task, rate=f"{speed:,.0f}/s" if speed else "")


def progress(
    stream: TextIO, label: str, total: int | None, page: int, items: Iterable[Any]
) -> Iterator[Any]:
    """`items`, with a progress bar on `stream` (a terminal): rich's, with rate and time
    left, when it is installed, else `Progress`."""
    if _rich_console(stream) is not None:
        return _rich_progress(stream, label, total, items)
    return Progress(stream, label, total, page).track(items)


class WriteBar:
    """A bulk write's progress on `stream` when it is a terminal (else nothing): rich's
    bar with the count, rate and time left (the `cli` extra), or `Progress`. Rows are
    pushed in with `advance()` as they finish; `close()` ends the bar."""

    def __init__(self, stream: TextIO, label: str, total: int):
        self._rich: Any = None
        self._plain: Progress | None = None
        console = _rich_console(stream)
        if console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=console,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._task = self._rich.add_task(label, total=total, rate="")
            self._rich.start()
        elif _is_terminal(stream):
            self._plain = Progress(stream, label, total, 1)

    def advance(self) -> None:
        """One more row finished."""
        if self._rich is not None:
            self._rich.advance(self._task)
            speed = self._rich.tasks[0].speed
            self._rich.update(self._task, rate=f"{speed:,.1f}/s" if speed else "")
        elif self._plain is not None:
            self._plain.done += 1
            self._plain.draw()

    def close(self) -> None:
        """Stop drawing (before the summary is written)."""
        if self._rich is not None:
            self._rich.stop()
            self._rich = None
        elif self._plain is not None:
            self._plain.stream.write("\n")
            self._plain.stream.flush()
            self._plain = None
