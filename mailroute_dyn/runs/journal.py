"""The journal of a bulk run: a JSON Lines file that says, row by row, what was about to
be written and what came of it, so that a run stopped anywhere (Ctrl-C, a crash, a lost
connection) can be resumed without writing a row twice, and undone.

One line per event, flushed as it happens:

- `{"event": "job", "job": 1, "verb": "update", "resource": ..., "plan": [...]}` opens a
  bulk call; `plan` names its rows (input row numbers for creates, object URIs otherwise);
- `{"event": "start", "job": 1, "row": ..., "method": "PATCH", "uri": ..., "body": {...},
  "before": {...}, "not_restorable": [...]}` just before the row's first write;
- `{"event": "done", "job": 1, "row": ..., "ok": true, "key": ..., "uri": ...,
  "after": {...}}` (or `"error"`) when it finished, `{"event": "not_started", ...}` when
  a stop kept it back.

The file is created 0600 in a 0700 folder; it holds no credential (the client's key is
never in a body), and values under secret-looking field names (`redacted_fields`) are
left out of bodies and before-images and listed as not restorable.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, Final

from ..errors import Interrupted, JournalError, MailRouteError, NotFound
from ..model.bulk import announced
from ..query.habits import BulkResult
from ..vocabulary import is_secret_name

__all__ = ["Journal", "Job", "default_journal_path", "journal_events", "kept", "VERBS"]

VERBS: Final = ("create", "update", "delete")
_METHOD: Final = {"create": "POST", "update": "PATCH", "delete": "DELETE"}


def kept(values: dict[str, Any] | None) -> tuple[dict[str, Any] | None, list[str]]:
    """`values` without secret-looking fields, and the names left out."""
    if values is None:
        return None, []
    dropped = sorted(k for k in values if is_secret_name(str(k)))
    return {k: v for k, v in values.items() if k not in dropped}, dropped


def default_journal_path(verb: str, resource: str) -> Path:
    """A new file in the user state folder: `runs/<UTC time>-<verb>-<resource>.jsonl`."""
    import platformdirs

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", resource)
    folder = platformdirs.user_state_path("mailroute_dyn") / "runs"
    return folder / f"{stamp}-{os.urandom(3).hex()}-{verb}-{safe}.jsonl"


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JournalError(f"cannot read the journal {path}: {exc.strerror}") from None
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            if number == len(text.splitlines()):
                break  # a line cut short by a crash: the last one only
            raise JournalError(f"{path}: line {number} is not JSON") from None
        if isinstance(event, dict):
            events.append(event)
    return events


class Job:
    """One bulk call in a journal: its rows, and (when resuming) what an earlier run of
    the same call did."""

    def __init__(
        self, journal: Journal, number: int, verb: str, resource: str, old: list[dict[str, Any]]
    ):
        self.journal, self.number, self.verb, self.resource = journal, number, verb, resource
        self.plan: list[Any] | None = None
        self.done: dict[Any, dict[str, Any]] = {}
        self.in_doubt: dict[Any, dict[str, Any]] = {}
        for event in old:
            if event.get("event") == "job":
                self.plan = event.get("plan")
            elif event.get("event") == "start":
                self.in_doubt[_row(event)] = event
            elif event.get("event") == "done" and event.get("ok"):
                self.in_doubt.pop(_row(event), None)
                self.done[_row(event)] = event
            elif event.get("event") in ("done", "not_started"):
                self.in_doubt.pop(_row(event), None)

    def write(self, event: str, **fields: Any) -> None:
        self.journal.write({"event": event, "job": self.number, **fields})


def _row(event: dict[str, Any]) -> Any:
    row = event.get("row")
    return tuple(row) if isinstance(row, list) else row


class Journal:
    """An open journal file; `bulk()` runs one bulk call through it. Made by
    `client.journal(path)` or the command line's `--journal`/`--resume`."""

    def __init__(self, path: str | os.PathLike[str], *, resume: bool = False):
        self.path = Path(path)
        self.resume = resume
        self._lock = threading.Lock()
        self._old = _read(self.path) if resume else []
        self._jobs = 0
        if not resume and self.path.exists():
            raise JournalError(
                f"the journal {self.path} exists: resume it (--resume, "
                "resume=True) or name a new file"
            )
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")

    def close(self) -> None:
        """Close the file (everything is already flushed)."""
        self._file.close()

    def write(self, event: dict[str, Any]) -> None:
        """One line, flushed at once, so that a crash leaves every event before it."""
        line = json.dumps({**event, "at": round(time.time(), 3)}, ensure_ascii=False, default=str)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def job(self, verb: str, resource: str, plan: list[Any]) -> Job:
        """The next bulk call: when resuming, the earlier run's call of the same number,
        which must have been the same verb on the same resource."""
        self._jobs += 1
        number = self._jobs
        old = [e for e in self._old if e.get("job") == number]
        head = next((e for e in old if e.get("event") == "job"), None)
        if head is not None and (head.get("verb"), head.get("resource")) != (verb, resource):
            raise JournalError(
                f"{self.path}: call {number} was {head.get('verb')} {head.get('resource')}, "
                f"not {verb} {resource}: this is not the run the journal recorded"
            )
        job = Job(self, number, verb, resource, old)
        job.write("job", verb=verb, resource=resource, plan=plan)
        return job

    def bulk(
        self,
        cls: Any,
        verb: str,
        objects: list[Any],
        send: Callable[[list[Any], Callable[[Any], None], Callable[..., None]], BulkResult],
        on_row: Callable[[Any, MailRouteError | None, str], None] | None = None,
    ) -> BulkResult:
        """Run one bulk call journaled: rows the journal shows done are skipped (in
        `result.skipped`), rows it shows started without an outcome are looked up first,
        each row is recorded before its first write and when it finished."""
        rows = {id(obj): _row_id(verb, n, obj) for n, obj in enumerate(objects, 1)}
        job = self.job(verb, cls.resource_name, [rows[id(obj)] for obj in objects])
        skipped, todo = [], []
        for obj in objects:
            row = rows[id(obj)]
            if row in job.done:
                skipped.append(obj)
                _take_done(verb, obj, job.done[row])
                continue
            found = _happened(cls, verb, obj, job.in_doubt[row]) if row in job.in_doubt else None
            if found is None:
                todo.append(obj)
                continue
            skipped.append(obj)
            job.write("done", row=row, ok=True, found=True, **_where(found))

        def announce(obj: Any) -> None:
            _write_start(job, verb, cls, obj, rows[id(obj)])

        def finished(obj: Any, error: MailRouteError | None, kind: str) -> None:
            row = rows.get(id(obj))
            if row is not None:
                fields: dict[str, Any] = _where(obj) if error is None else {"error": str(error)}
                if error is None and verb != "delete":
                    fields["after"] = kept(dict(obj._raw))[0]  # for undo's check
                job.write("done", row=row, ok=error is None, kind=kind, **fields)
            if on_row is not None:
                on_row(obj, error, kind)

        try:
            result = send(todo, announce, finished)
        except Interrupted as stop:
            if isinstance(stop.result, BulkResult):
                for obj in stop.result.not_started:
                    job.write("not_started", row=rows[id(obj)])
                stop.result.skipped = skipped
            raise
        result.skipped = skipped
        return result

    def single(self, cls: Any, verb: str, obj: Any, op: Any, run: Callable[[Any], Any]) -> None:
        """One `create()`, `save()` or `delete()` journaled as a call of one row: skipped
        when a resumed journal shows it done (the object then takes the URI it got),
        else recorded before its write and when it finished; its error is raised."""

        def send(
            todo: list[Any], announce: Callable[[Any], None], told: Callable[..., None]
        ) -> BulkResult:
            result = BulkResult()
            for item in todo:
                try:
                    run(announced(op, partial(announce, item)))
                except MailRouteError as exc:
                    result.failed.append((item, exc))
                    told(item, exc, "failed")
                else:
                    kind = {"create": "created", "update": "updated"}.get(verb, "deleted")
                    result.add(item, kind)
                    told(item, None, kind)
            return result

        self.bulk(cls, verb, [obj], send).raise_first()


def _take_done(verb: str, obj: Any, done: dict[str, Any]) -> None:
    """A row done in an earlier run: a created object takes what that run got."""
    if verb == "create" and not getattr(obj, "resource_uri", None) and done.get("uri"):
        raw = dict(done.get("after") or {})
        raw["resource_uri"] = done["uri"]
        obj._raw = raw  # through its __setattr__: its attribute view follows
        obj._changes = {}


def _row_id(verb: str, number: int, obj: Any) -> Any:
    """A create row is its input row number; any other row the object's URI (so a
    resumed run matches objects, not positions that moved)."""
    if verb == "create":
        return number
    return getattr(obj, "resource_uri", None) or number


def _where(obj: Any) -> dict[str, Any]:
    return {"key": getattr(obj, "pk", None), "uri": getattr(obj, "resource_uri", None)}


def _write_start(job: Job, verb: str, cls: Any, obj: Any, row: Any) -> None:
    body = obj._encoded_changes() if verb != "delete" else None
    before = dict(obj._raw) if verb != "create" else None
    body, hidden_body = kept(body)
    before, hidden = kept(before)
    uri = cls._list_url if verb == "create" else obj.resource_uri
    job.write(
        "start",
        row=row,
        method=_METHOD[verb],
        uri=uri,
        body=body,
        before=before,
        not_restorable=sorted(set(hidden) | set(hidden_body)),
    )


def _happened(cls: Any, verb: str, obj: Any, start: dict[str, Any]) -> Any:
    """For a row an earlier run started without an outcome: what shows it happened (the
    object found), else None. An update is sent again (the same values twice change
    nothing); a delete happened when the object is gone; a create when its unique
    fields find an object. A create that cannot be looked up is refused rather than
    risking a duplicate."""
    if verb == "update":
        return None
    if verb == "delete":
        try:
            cls.get(obj.resource_uri)
        except NotFound:
            return obj
        return None
    body = start.get("body") or {}
    unique = [
        name for name, f in cls.fields.items() if f.unique and name in body and not f.is_related
    ]
    if not unique:
        raise JournalError(
            f"row {start.get('row')} was being created when the run stopped, and "
            f"{cls.resource_name} has no unique field to look it up by: check it by hand, "
            "then leave that row out of the data"
        )
    return cls.filter(**{unique[0]: body[unique[0]]}).first()


def journal_events(path: str | os.PathLike[str]) -> Iterable[dict[str, Any]]:
    """Every event of a journal file, in order (for undo and for tests)."""
    return _read(Path(path))
