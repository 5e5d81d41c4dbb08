"""A `Parallel` of writes run in worker threads so that Ctrl-C stops it cleanly: no write
starts after the signal, the writes in flight are awaited (bounded by the timeout), and
`Interrupted` carries what each operation came to (`NOT_STARTED` for the rest).

While it runs in the main thread, Ctrl-C (and a SIGTERM whose handler raises
`KeyboardInterrupt`, as the command line's does) only raises a flag: the signal never
lands in the middle of the bookkeeping, so no finished row can be lost and no write can
slip out after the caller stopped.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loaded with the first bulk write, not with every client
    from concurrent.futures import Future

from ..errors import AmbiguousWriteError, Interrupted, MailRouteError
from ..operations import NOT_STARTED, Parallel

__all__ = ["run_parallel", "told"]

POLL = 0.05  # seconds between looks at the signal flag while waiting


class _SignalFlag:
    """Turns Ctrl-C into a count while active (main thread only): the previous handler
    still runs, and its KeyboardInterrupt is counted instead of raised."""

    def __init__(self) -> None:
        self.count = 0
        self._before: dict[int, Callable[..., Any]] = {}

    def __enter__(self) -> _SignalFlag:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                before = signal.getsignal(signum)
                if callable(before):
                    self._before[signum] = before
                    signal.signal(signum, self._heard)
        return self

    def _heard(self, signum: int, frame: Any) -> None:
        try:
            self._before[signum](signum, frame)
        except KeyboardInterrupt:
            self.count += 1

    def __exit__(self, *exc: object) -> None:
        for signum, before in self._before.items():
            signal.signal(signum, before)


def told(step: Parallel, index: int, outcome: Any) -> Any:
    """Tell the step's `on_done` of one finished operation; gives the outcome back."""
    if step.on_done is not None and outcome is not NOT_STARTED:
        step.on_done(index, outcome)
    return outcome


def run_parallel(
    step: Parallel,
    pool: Any,
    width: int,
    timeout: float | None,
    drive: Callable[[Any, threading.Event], Any],
) -> list[Any]:
    """Run the step's operations in `pool`, at most `width` at once, each started only
    when a place is free; `drive(op, stop)` runs one and stops before its next write
    once `stop` is set. Returns every outcome, or raises `Interrupted` with them."""
    from concurrent import futures

    stop = threading.Event()
    outcomes: list[Any] = [NOT_STARTED] * len(step.ops)
    running: dict[Future[Any], int] = {}
    waiting = iter(enumerate(step.ops))
    with _SignalFlag() as heard:
        try:
            while not heard.count:
                while len(running) < width and (item := next(waiting, None)) is not None:
                    running[_start(pool, drive, item[1], stop)] = item[0]
                if not running:
                    return outcomes
                done, _ = futures.wait(running, timeout=POLL, return_when=futures.FIRST_COMPLETED)
                for future in done:
                    outcomes[running[future]] = told(step, running[future], future.result())
                    del running[future]
        except KeyboardInterrupt:  # raised inside a worker, e.g. by a transport
            heard.count += 1
        finally:
            stop.set()  # from now on no worker sends a new write
        _await_in_flight(running, outcomes, step, heard, timeout)
    raise Interrupted(outcomes=outcomes)


def _start(
    pool: Any, drive: Callable[[Any, threading.Event], Any], op: Any, stop: threading.Event
) -> Future[Any]:
    """A future made here first, so it is known before the worker can run it; one that
    is cancelled before a worker takes it never runs."""
    from concurrent.futures import Future

    future: Future[Any] = Future()

    def work() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(drive(op, stop))
        except MailRouteError as exc:
            future.set_result(exc)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            future.set_exception(exc)

    pool.submit(work)
    return future


def _await_in_flight(
    running: dict[Future[Any], int],
    outcomes: list[Any],
    step: Parallel,
    heard: _SignalFlag,
    timeout: float | None,
) -> None:
    """After Ctrl-C: the writes already sent are awaited (a row's write and its read-back,
    each bounded by the timeout); a second Ctrl-C stops waiting, and a write still out
    is reported as of unknown outcome."""
    from concurrent import futures

    for future in running:
        future.cancel()  # not yet taken by a worker: never sent
    deadline = None if timeout is None else time.monotonic() + 2 * timeout + 1
    first = heard.count
    while (
        any(not f.done() for f in running)
        and heard.count <= first
        and (deadline is None or time.monotonic() < deadline)
    ):
        futures.wait(running, timeout=POLL)
    for future, index in running.items():
        outcomes[index] = told(step, index, _outcome_of(future))


def _outcome_of(future: Future[Any]) -> Any:
    if future.cancelled():
        return NOT_STARTED
    if not future.done():
        return AmbiguousWriteError(
            "interrupted while the write was in flight: its outcome is unknown"
        )
    error = future.exception()
    if error is None:
        return future.result()
    if isinstance(error, KeyboardInterrupt):
        return AmbiguousWriteError("interrupted inside the request: its outcome is unknown")
    raise error
