"""What a bulk write prints: one record per row as soon as that row finishes (flushed,
so an interrupted run has shown every row it finished), then a summary on stderr.

A record names the row (`row`, counted from 1: the input's data row or the match's
position), `ok`, the object's `key` and `resource_uri`, and the `result` or the
`error`. Rows come in the order they finish: a row refused before sending comes first.
"""

from __future__ import annotations

import csv
from collections import Counter
from typing import Any

from ..errors import Interrupted, MailRouteError
from ..escaping import json_dumps, terminal_text
from ..model.resources import Resource
from .context import Context
from .output import WriteBar, yaml_item

__all__ = ["RowPrinter", "EXIT_INTERRUPTED"]

EXIT_INTERRUPTED = 130
CSV_COLUMNS = ("row", "ok", "result", "key", "resource_uri", "error")


def verb_label(verb: str) -> str:
    """ "created" -> "creating": what the progress bar says is going on."""
    return {"created": "creating", "updated": "updating", "deleted": "deleting"}.get(verb, verb)


class RowPrinter:
    """Pass it as `on_row` to a bulk call; `finish` or `interrupted` ends the run."""

    def __init__(self, ctx: Context, verb: str, cls: type[Resource], objects: list[Any]):
        self.ctx, self.verb, self.cls = ctx, verb, cls
        self._numbers = {id(obj): n for n, obj in enumerate(objects, 1)}
        self._width = len(str(len(objects)))
        self._records: list[dict[str, Any]] = []
        self._fmt = ctx.args.format
        self._bar = WriteBar(ctx.err, f"{verb_label(verb)} {cls.resource_name}", len(objects))
        if self._fmt == "table":
            self._line("row", "result", "detail")
        elif self._fmt == "csv":
            csv.writer(ctx.out, lineterminator="\n").writerow(CSV_COLUMNS)

    def __call__(self, obj: Any, error: MailRouteError | None, kind: str) -> None:
        record: dict[str, Any] = {
            "row": self._numbers.get(id(obj)),
            "ok": error is None,
            "result": kind,
        }
        if error is None:
            record["key"] = getattr(obj, "pk", None)
            record["resource_uri"] = getattr(obj, "resource_uri", None)
        else:
            record["error"] = self.ctx.mask(str(error))
        self._records.append(record)
        if self._fmt == "table":
            detail = record.get("resource_uri") or "" if error is None else record["error"]
            self._line(str(record["row"]), "FAILED" if error else kind, str(detail))
        else:
            self._emit(record)
        self.ctx.out.flush()
        self._bar.advance()

    def _emit(self, record: dict[str, Any]) -> None:
        """One record in a program's format, as it comes (JSON waits for the end)."""
        if self._fmt == "jsonl":
            print(json_dumps(record), file=self.ctx.out)
        elif self._fmt == "yaml":
            self.ctx.out.write(yaml_item(record))
        elif self._fmt == "csv":
            csv.writer(self.ctx.out, lineterminator="\n").writerow(
                ["" if record.get(c) is None else record.get(c) for c in CSV_COLUMNS]
            )

    def skipped(self, objects: list[Any]) -> None:
        """Rows a resumed journal showed done: printed as `skipped`, nothing sent."""
        for obj in objects:
            record = {
                "row": self._numbers.get(id(obj)),
                "ok": True,
                "result": "skipped",
                "key": getattr(obj, "pk", None),
                "resource_uri": getattr(obj, "resource_uri", None),
            }
            self._records.append(record)
            if self._fmt == "table":
                self._line(str(record["row"]), "skipped", str(record["resource_uri"] or ""))
            else:
                self._emit(record)
        self.ctx.out.flush()

    def _line(self, row: str, result: str, detail: str) -> None:
        width = max(len(self.verb), len("unchanged"), len("result"))
        line = f"{row.rjust(max(self._width, 3))}  {result.ljust(width)}  {detail}".rstrip()
        print(terminal_text(line), file=self.ctx.out)

    def _flush_json(self) -> None:
        if self._fmt == "json":
            print(json_dumps(self._records, indent=2), file=self.ctx.out)

    def finish(self) -> int:
        """The summary of a run that went to its end; exit 1 when any row failed."""
        self._bar.close()
        self._flush_json()
        counts = Counter(r["result"] for r in self._records)
        done = counts.pop(self.verb, 0)
        failed = counts.pop("failed", 0)
        skipped = counts.pop("skipped", 0)
        others = "".join(f", {n} {kind}" for kind, n in sorted(counts.items()))
        self.ctx.note(
            f"{self.verb} {done} {self.cls.resource_name} objects{others}"
            + (f", {failed} failed" if failed else "")
            + (f", {skipped} skipped (done before)" if skipped else "")
        )
        return 1 if failed else 0

    def interrupted(self, stop: Interrupted) -> int:
        """The summary of a run stopped by Ctrl-C or SIGTERM: every finished row is
        already printed; say how many were never sent. Exit 130."""
        self._bar.close()
        self._flush_json()
        failed = sum(r["result"] == "failed" for r in self._records)
        skipped = sum(r["result"] == "skipped" for r in self._records)
        not_started = len(stop.result.not_started) if stop.result is not None else 0
        self.ctx.note(
            f"interrupted: {len(self._records) - failed - skipped} done, {failed} "
            f"failed, {not_started} not started"
        )
        return EXIT_INTERRUPTED
