"""Undo of a journaled run: created objects are deleted, updated fields put back to their
before-values, deleted objects created again from their before-image (under the same
key with a PUT where the resource allows it, else a new one, reported).

A row someone changed since the run is not touched and is reported: the fields the run
wrote must still hold what it wrote (for a deleted object: it must still be gone). The
undo is itself journaled, as the inverse writes, so it can be undone in turn.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from ..classes.detailuri import checked_detail, keys_in
from ..errors import JournalError, MailRouteError, NotFound
from .journal import Journal, journal_events, kept

__all__ = ["UndoStep", "undo_run", "plan_line"]

_INVERSE = {"create": "delete", "update": "update", "delete": "create"}
#: Rows that were found as wanted: the run wrote nothing for them, undo has nothing to do.
_NOTHING_WRITTEN = ("exists", "unchanged", "gone")


class UndoStep(NamedTuple):
    """One row of an undo: what was (or would be) sent and what came of it. `result` is
    `undone`, `would undo` (dry run), `skipped` (changed since, or gone) or `failed`."""

    job: int
    row: Any
    method: str
    uri: str
    changes: dict[str, tuple[Any, Any]]  # field -> (now, back to)
    result: str
    detail: str = ""


def plan_line(step: UndoStep) -> str:
    """`PATCH /api/v1/email_account/5/ priority: 9 → 3`, one per changed field; a DELETE
    or a re-creating PUT/POST is one line."""
    if not step.changes:
        return f"{step.method} {step.uri}"
    return "\n".join(
        f"{step.method} {step.uri} {name}: {now!r} → {back!r}"
        for name, (now, back) in sorted(step.changes.items())
    )


class _Row(NamedTuple):
    job: int
    verb: str
    resource: str
    row: Any
    start: dict[str, Any]
    done: dict[str, Any]


def _rows(events: list[dict[str, Any]]) -> list[_Row]:
    """The rows a run carried out, last first (undo goes backwards)."""
    jobs = {e["job"]: e for e in events if e.get("event") == "job"}
    starts: dict[tuple[Any, Any], dict[str, Any]] = {}
    rows = []
    for event in events:
        key = (event.get("job"), _hashable(event.get("row")))
        if event.get("event") == "start":
            starts[key] = event
        elif (
            event.get("event") == "done"
            and event.get("ok")
            and key in starts
            and event.get("kind") not in _NOTHING_WRITTEN
        ):
            head = jobs.get(event["job"], {})
            rows.append(
                _Row(
                    event["job"],
                    head.get("verb", ""),
                    head.get("resource", ""),
                    event.get("row"),
                    starts[key],
                    event,
                )
            )
    return _folded(rows)[::-1]


def _folded(rows: list[_Row]) -> list[_Row]:
    """Later rows on an object the run itself created fold into that create: undoing it
    deletes the object, checked against what the run last left in it; an object the run
    created and deleted again needs nothing (re-creating it only to delete it would leave
    a copy where the resource has no PUT)."""
    kept_rows: list[_Row | None] = []
    created: dict[str, int] = {}  # URI -> index of its create row
    for row in rows:
        uri = row.start.get("uri")
        if row.verb != "create" and uri in created:
            index = created[uri]
            first = kept_rows[index]
            assert first is not None
            if row.verb == "delete":
                kept_rows[index] = None
                del created[uri]
            else:
                body = {**(first.start.get("body") or {}), **(row.start.get("body") or {})}
                after = {**(first.done.get("after") or {}), **(row.done.get("after") or {})}
                kept_rows[index] = first._replace(
                    start={**first.start, "body": body}, done={**first.done, "after": after}
                )
            continue
        if row.verb == "create" and row.done.get("kind") == "created" and row.done.get("uri"):
            created[row.done["uri"]] = len(kept_rows)
        kept_rows.append(row)
    return [row for row in kept_rows if row is not None]


def _hashable(row: Any) -> Any:
    return tuple(row) if isinstance(row, list) else row


def undo_run(
    client: Any,
    path: str | os.PathLike[str],
    *,
    dry_run: bool = False,
    journal: str | os.PathLike[str] | None = None,
) -> tuple[list[UndoStep], Path | None]:
    """Undo the run journaled in `path` (see the module doc). With `dry_run` only reads
    are sent. The undo's own journal goes to `journal` (default: beside `path`, named
    `<name>.undo.jsonl`); returns the steps and that journal's path (None on a dry run)."""
    rows = _rows(list(journal_events(path)))
    if dry_run:
        return [_step(client, row, None) for row in rows], None
    target = Path(journal) if journal else Path(path).with_suffix(".undo.jsonl")
    log = Journal(target)
    try:
        steps = []
        jobs: dict[int, Any] = {}
        for row in rows:
            if row.job not in jobs:
                plan = [r.row for r in rows if r.job == row.job]
                jobs[row.job] = log.job(_INVERSE[row.verb], row.resource, plan)
            steps.append(_step(client, row, jobs[row.job]))
    finally:
        log.close()
    return steps, target


def _step(client: Any, row: _Row, job: Any) -> UndoStep:
    cls = client.resource(row.resource)
    try:
        if row.verb == "create" and row.done.get("kind") == "updated":
            return UndoStep(
                row.job,
                row.row,
                "PUT",
                row.done.get("uri") or "",
                {},
                "skipped",
                "updated by an upsert: its before-values were not journaled",
            )
        if row.verb == "create":
            return _undo_create(client, cls, row, job)
        if row.verb == "update":
            return _undo_update(client, cls, row, job)
        return _undo_delete(client, cls, row, job)
    except MailRouteError as exc:
        uri = row.done.get("uri") or row.start.get("uri") or ""
        if job is not None:
            job.write("done", row=row.row, ok=False, error=str(exc))
        return UndoStep(row.job, row.row, "?", uri, {}, "failed", str(exc))


def _current(
    client: Any, cls: Any, uri: str, image: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The object at `uri` as the server has it now, or None when it is gone. `uri` comes
    from a file (and first from a server's answer): it must be a detail URI of the row's
    own resource, or `GuardError` and nothing is sent, so no undo step can reach a list
    (a DELETE there would remove every row) or another resource."""
    checked_detail(cls, uri, keys_in(cls, image or {}))
    try:
        body = client.request("GET", uri)
    except NotFound:
        return None
    if not isinstance(body, dict):
        raise JournalError(f"{uri} did not answer with an object")
    return body


def _changed_since(now: dict[str, Any], row: _Row) -> list[str]:
    """The fields the run wrote that no longer hold what it wrote: as the server stored
    it (the row's after-image, where the journal has one), not as it was sent, so a
    value the server normalised (a date, a related object's URI) is not taken for a
    change by someone else."""
    wrote = row.start.get("body") or {}
    after = row.done.get("after") or {}
    stored = {name: after.get(name, value) for name, value in wrote.items()}
    return sorted(name for name, value in stored.items() if name in now and now[name] != value)


def _send(
    client: Any,
    job: Any,
    row: _Row,
    method: str,
    uri: str,
    body: Any,
    before: dict[str, Any] | None,
) -> Any:
    """One undo write, journaled before and after."""
    if job is None:
        return None
    safe_body, hidden = kept(body if isinstance(body, dict) else None)
    safe_before, hidden_before = kept(before)
    job.write(
        "start",
        row=row.row,
        method=method,
        uri=uri,
        body=safe_body,
        before=safe_before,
        not_restorable=sorted(set(hidden) | set(hidden_before)),
    )
    answer = client.request(method, uri, json=body)
    job.write(
        "done",
        row=row.row,
        ok=True,
        uri=uri,
        after=kept(answer if isinstance(answer, dict) else None)[0],
    )
    return answer


def _undo_create(client: Any, cls: Any, row: _Row, job: Any) -> UndoStep:
    uri = row.done.get("uri") or ""
    now = _current(client, cls, uri, row.done.get("after") or row.start.get("body"))
    if now is None:
        return UndoStep(row.job, row.row, "DELETE", uri, {}, "skipped", "already gone")
    changed = _changed_since(now, row)
    if changed:
        return UndoStep(
            row.job,
            row.row,
            "DELETE",
            uri,
            {},
            "skipped",
            f"changed since the run: {', '.join(changed)}",
        )
    _send(client, job, row, "DELETE", uri, None, now)
    return UndoStep(row.job, row.row, "DELETE", uri, {}, "would undo" if job is None else "undone")


def _undo_update(client: Any, cls: Any, row: _Row, job: Any) -> UndoStep:
    uri = row.start.get("uri") or ""
    wrote = row.start.get("body") or {}
    before = row.start.get("before") or {}
    now = _current(client, cls, uri, before)
    if now is None:
        return UndoStep(row.job, row.row, "PATCH", uri, {}, "skipped", "deleted since")
    changed = _changed_since(now, row)
    back = {name: before[name] for name in wrote if name in before}
    lost = sorted(set(wrote) - set(before))
    changes = {name: (now.get(name), value) for name, value in back.items()}
    method = "PATCH" if "patch" in cls.allowed_detail_methods else "PUT"
    if changed:
        return UndoStep(
            row.job,
            row.row,
            method,
            uri,
            changes,
            "skipped",
            f"changed since the run: {', '.join(changed)}",
        )
    body = back if method == "PATCH" else {**_writable(cls, now), **back}
    _send(client, job, row, method, uri, body, now)
    note = f"not restorable: {', '.join(lost)}" if lost else ""
    return UndoStep(
        row.job, row.row, method, uri, changes, "would undo" if job is None else "undone", note
    )


def _undo_delete(client: Any, cls: Any, row: _Row, job: Any) -> UndoStep:
    uri = row.start.get("uri") or ""
    before = row.start.get("before") or {}
    if _current(client, cls, uri, before) is not None:
        return UndoStep(row.job, row.row, "PUT", uri, {}, "skipped", "exists again")
    body = _writable(cls, before)
    lost = row.start.get("not_restorable") or []
    note = f"not restorable: {', '.join(lost)}" if lost else ""
    if "put" in cls.allowed_detail_methods:  # Tastypie's PUT to a missing key creates it
        _send(client, job, row, "PUT", uri, body, None)
        return UndoStep(
            row.job, row.row, "PUT", uri, {}, "would undo" if job is None else "undone", note
        )
    answer = _send(client, job, row, "POST", cls._list_url, body, None)
    new = answer.get("resource_uri") if isinstance(answer, dict) else None
    detail = f"created again as a new object {new or ''}".strip()
    return UndoStep(
        row.job,
        row.row,
        "POST",
        cls._list_url,
        {},
        "would undo" if job is None else "undone",
        "; ".join(d for d in (detail if job else "", note) if d),
    )


def _writable(cls: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The values a write may carry back: writable schema fields only."""
    names = {f.name for f in cls._schema.writable()}
    return {name: value for name, value in values.items() if name in names}
