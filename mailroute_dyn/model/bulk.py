"""How a bulk write goes out: one request per object, concurrently, or the whole list in
one PATCH where the schema allows it; either way each row is told to the caller as it
finishes (`RowHook`) and announced just before its first write (`Announce`).

The functions take the resource class (`cls`) and objects already checked; they build
operations (see transport/sessions.py) and send nothing themselves, so both clients run
them. Which rows go out, and which way, is decided by the bulk verbs (bulkverbs.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import BadRequest, Interrupted, MailRouteError
from ..operations import NOT_STARTED, Answer, Call, Operation, Parallel, error_message
from ..query.habits import BulkResult
from ..query.paging import collection_name
from ..schema.conversions import encode_write_value
from .rerun import Became

__all__ = [
    "RowHook",
    "Announce",
    "announced",
    "tell",
    "each_op",
    "patch_list_allowed",
    "patch_list_op",
]


#: Told of each row as it finishes: the object (or the input refused before sending), its
#: error (None when it did not fail) and what became of it (one of `ROW_KINDS`, or
#: "failed"). Lets a caller print rows as they come.
RowHook = Callable[[Any, MailRouteError | None, str], None]

#: Told of a row just before its first write is sent (a journal records it then).
Announce = Callable[[Any], None]


def announced(op: Operation[Any], announce: Callable[[], None]) -> Operation[Any]:
    """`op`, with `announce()` called once, just before its first write goes out."""
    told_once = False
    try:
        step = next(op)
        while True:
            if not told_once and _is_write(step):
                announce()
                told_once = True
            try:
                reply = yield step
            except (MailRouteError, Interrupted) as exc:
                step = op.throw(exc)
            else:
                step = op.send(reply)
    except StopIteration as stop:
        return stop.value


def _is_write(step: Any) -> bool:
    return not isinstance(step, Call) or step.method not in ("GET", "HEAD", "OPTIONS")


def tell(
    on_row: RowHook | None, item: Any, error: MailRouteError | None, kind: str = "failed"
) -> None:
    """Tell `on_row`, when there is one, what became of a row: `kind`, or "failed"."""
    if on_row is not None:
        on_row(item, error, "failed" if error is not None else kind)


def _kind_of(outcome: Any, kind: str) -> str:
    return outcome.kind if isinstance(outcome, Became) else kind


def each_op(
    items: list[Any],
    make: Callable[[Any], Operation[Any]],
    result: BulkResult,
    on_row: RowHook | None = None,
    announce: Announce | None = None,
    kind: str = "created",
) -> Operation[BulkResult]:
    """One operation per item, concurrently; `announce` hears of each just before its
    first write, `on_row` as it finishes (a row that did not fail became `kind`, unless
    its operation says otherwise with `Became`). On Ctrl-C the session sends no new
    write and throws `Interrupted` in here: it leaves again carrying the partial
    result."""

    def done(index: int, outcome: Any) -> None:
        error = outcome if isinstance(outcome, MailRouteError) else None
        tell(on_row, items[index], error, _kind_of(outcome, kind))

    def op_for(item: Any) -> Operation[Any]:
        if announce is None:
            return make(item)
        return announced(make(item), lambda: announce(item))

    try:
        outcomes = yield Parallel(tuple(op_for(item) for item in items), done)
    except Interrupted as stop:
        _fill(result, items, stop.outcomes, kind)
        raise Interrupted(result, stop.outcomes) from None
    _fill(result, items, outcomes, kind)
    return result


def _fill(result: BulkResult, items: list[Any], outcomes: list[Any], kind: str) -> None:
    """Sort each item by its outcome, in the input's order."""
    for item, outcome in zip(items, outcomes, strict=True):
        if outcome is NOT_STARTED:
            result.not_started.append(item)
        elif isinstance(outcome, MailRouteError):
            result.failed.append((item, outcome))
        else:
            result.add(item, _kind_of(outcome, kind))


_MISSING_COLLECTION = r"missing '(\w+)'"  # compiled by `re` on first use


def _missing_collection(exc: BadRequest) -> str | None:
    """The list key a Tastypie 400 asks for: `Invalid data sent: missing 'items'`."""
    said = error_message(exc.body)[0]
    match = re.search(_MISSING_COLLECTION, said or "")
    return match.group(1) if match else None


def patch_list_allowed(cls: Any, *, deleting: bool = False) -> bool:
    """Tastypie's PATCH list needs `patch` on the list and `put` (or `delete` for
    deleted_objects) on the detail endpoint."""
    detail = "delete" if deleting else "put"
    return "patch" in cls.allowed_list_methods and detail in cls.allowed_detail_methods


def _sent_awaited(call: Call) -> Operation[Answer]:
    """One write that Ctrl-C does not cut in half: run as a `Parallel` of one, so the
    session awaits it; an interruption is raised again after its answer is in."""

    def alone() -> Operation[Answer]:
        answer: Answer = yield call
        return answer

    try:
        outcomes = yield Parallel((alone(),))
    except Interrupted as stop:
        outcome = stop.outcomes[0]
        if outcome is NOT_STARTED or isinstance(outcome, MailRouteError):
            raise
        raise Interrupted(outcome, stop.outcomes) from None  # finished: done, then stop
    if isinstance(outcomes[0], MailRouteError):
        raise outcomes[0]
    return outcomes[0]  # type: ignore[no-any-return]


def patch_list_op(
    cls: Any,
    items: list[Any],
    bodies: list[dict[str, Any]],
    deleted: list[str],
    result: BulkResult,
    extra: Mapping[str, Any] | None = None,
    on_row: RowHook | None = None,
    announce: Announce | None = None,
) -> Operation[BulkResult]:
    """The whole list in one PATCH (all or nothing); on Ctrl-C it is awaited, reported,
    then `Interrupted` is raised with the result."""
    if announce is not None:
        for item in items:
            announce(item)
    try:
        return (yield from _patch_list(cls, items, bodies, deleted, result, extra, on_row))
    except Interrupted as stop:
        answer = stop.result
        if isinstance(answer, Answer):
            _patch_list_done(cls, items, bodies, deleted, result, extra, on_row, answer)
        else:
            outcome = stop.outcomes[0] if stop.outcomes else NOT_STARTED
            _all_failed(result, items, outcome, on_row)
        raise Interrupted(result, stop.outcomes) from None


def _all_failed(result: BulkResult, items: list[Any], outcome: Any, on_row: RowHook | None) -> None:
    if outcome is NOT_STARTED:
        result.not_started += items
        return
    for item in items:
        result.failed.append((item, outcome))
        tell(on_row, item, outcome)


def _patch_list(
    cls: Any,
    items: list[Any],
    bodies: list[dict[str, Any]],
    deleted: list[str],
    result: BulkResult,
    extra: Mapping[str, Any] | None,
    on_row: RowHook | None,
) -> Operation[BulkResult]:
    sent = (
        [{**body, **encode_write_value(dict(extra))} for body in bodies] if extra else bodies
    )  # extra inputs are sent with each object, never kept
    while True:
        key = cls._collection
        payload: dict[str, Any] = {key: sent}
        if deleted:
            payload[f"deleted_{key}"] = deleted
        try:
            answer = yield from _sent_awaited(Call("PATCH", cls._list_url, json=payload))
            break
        except BadRequest as exc:
            # a 400 wrote nothing: name the list as the server asks (collection_name)
            named = _missing_collection(exc)
            if named is None or named == key:
                _all_failed(result, items, exc, on_row)
                return result
            cls._collection = named
        except MailRouteError as exc:
            _all_failed(result, items, exc, on_row)
            return result
    _patch_list_done(cls, items, bodies, deleted, result, extra, on_row, answer)
    return result


def _patch_list_done(
    cls: Any,
    items: list[Any],
    bodies: list[dict[str, Any]],
    deleted: list[str],
    result: BulkResult,
    extra: Mapping[str, Any] | None,
    on_row: RowHook | None,
    answer: Answer,
) -> None:
    """Every item succeeded: adopt what the answer echoed."""
    key = cls._collection
    returned = (
        answer.body.get(collection_name(answer.body) or key)
        if isinstance(answer.body, dict)
        else None
    )
    for i, item in enumerate(items):
        if deleted:
            item._deleted = True
        else:
            echo = (
                returned[i]
                if isinstance(returned, list)
                and len(returned) == len(items)
                and isinstance(returned[i], dict)
                else None
            )
            item._adopt(Answer(answer.status, {}, echo, answer.url), bodies[i], tuple(extra or ()))
        result.add(item, "deleted" if deleted else "created")
        tell(on_row, item, None, "deleted" if deleted else "created")
