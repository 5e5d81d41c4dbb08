"""The sessions: the one place that sends (through a sender of `sending`), sleeps between
tries and runs calls concurrently. `SyncSession` and `AsyncSession` drive the same
*operations* (generators yielding `Call`, `Batch`, `Parallel` or `Exclusive` from
`operations`), differ only in how they wait, and save the schema cache file between
operations.
Deciding anything (what to send, how to read the answer, whether to try again) is left
to the plain functions in `decisions` and `tries`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Iterator
from typing import Any, TypeVar

import httpx

from ..errors import AmbiguousWriteError, Interrupted, MailRouteError
from ..operations import NOT_STARTED, Answer, Batch, Call, Exclusive, Operation, Parallel
from ..settings.config import Settings
from .cache_files import CacheKeeper
from .decisions import read_answer
from .interrupts import run_parallel, told
from .limits import (
    WritePacer,
    check_declared_size,
    deadline_for,
    read_limited,
    read_limited_async,
    time_limit,
)
from .sending import AsyncSender, SyncSender
from .tries import Tries

__all__ = ["SyncSession", "AsyncSession"]

T = TypeVar("T")


class SyncSession:
    """Sends calls with a blocking `httpx.Client` and drives operations."""

    is_async = False

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self.journal: Any = None  # the client's open run journal (`client.journal()`)
        self._sender = SyncSender(settings, transport)
        self._pacer = WritePacer(settings.max_rate)
        self._pool: Any = None  # a ThreadPoolExecutor, made on first concurrent use
        self._lock = threading.Lock()
        self._exclusive = _LocksByKey(threading.Lock)
        self.exact_numbers = False  # see keep_exact_numbers()
        self.sleep = time.sleep
        self.cache: CacheKeeper | None = None  # set by the client: the schema cache file

    def keep_exact_numbers(self) -> None:
        """From now on read numbers a float would change as `RawNumber`s (the API has a
        decimal field, whose digits must survive a read and a write back)."""
        self.exact_numbers = True

    def close(self) -> None:
        """Close the connection pool and the worker threads."""
        self._sender.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def _once(self, call: Call) -> Answer | Exception:
        deadline = deadline_for(self.settings)
        try:
            with time_limit(deadline):
                response = self._sender.send(call)
                try:
                    check_declared_size(response)
                    content = read_limited(response.iter_bytes(), response, deadline)
                finally:
                    response.close()
            return read_answer(
                response,
                content,
                call.method,
                write=not call.retry_safe,
                exact_numbers=self.exact_numbers,
            )
        except (httpx.TransportError, MailRouteError) as exc:
            return exc

    def send(self, call: Call) -> Answer:
        """One call through redirects and retries, waiting between tries (and before a
        write, as `max_rate` asks)."""
        tries = Tries(self.settings, call)
        first = True  # the first try is paced by `_drive`
        while True:
            pause = 0.0 if first else self._pacer.delay(tries.call.method)
            first = False
            if pause:
                self.sleep(pause)
            verdict = tries.judge(self._once(tries.call))
            if isinstance(verdict, Answer):
                return verdict
            if verdict:
                self.sleep(verdict)

    def _concurrently(self, work: Any, items: tuple[Any, ...]) -> list[Any]:
        def one(item: Any) -> Any:
            try:
                return work(item)
            except MailRouteError as exc:
                return exc

        if len(items) <= 1 or self.settings.concurrency <= 1 or _in_worker():
            return [one(i) for i in items]  # a worker waiting on its own pool would deadlock
        return list(self._workers().map(one, items))

    def _workers(self) -> Any:
        with self._lock:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(
                    self.settings.concurrency, thread_name_prefix="mailroute_dyn"
                )
        return self._pool

    def stream(self, ops: Iterable[Operation[Any]], window: int) -> Iterator[Any]:
        """Run operations with up to `window` in flight and give their results in order,
        as soon as each next one is ready (a sliding window, not batches): the worker
        threads bound what is in flight."""
        if window <= 1 or _in_worker():
            for op in ops:
                yield self.run(op)
            return
        pool = self._workers()
        started = _InOrder(ops, window - 1, lambda op: pool.submit(self.run, op))
        try:
            while (future := started.take()) is not None:
                yield future.result()
        finally:
            started.close()

    def _step(self, step: Call | Batch | Parallel | Exclusive) -> Any:
        if isinstance(step, Batch):
            return self._concurrently(self.send, step.calls)
        if isinstance(step, Parallel):
            return self._writes(step)  # the cache is saved by the outer run
        if isinstance(step, Exclusive):
            with self._exclusive.lock_for(step.key) as lock:
                with lock:  # (held while the operation runs)
                    return self._drive(step.op)
        return self.send(step)

    def _writes(self, step: Parallel) -> list[Any]:
        """Run a `Parallel`'s operations in the worker threads, at most `concurrency` at
        once, telling `on_done` of each as it finishes; Ctrl-C stops it cleanly (see
        `interrupts`). The main thread only waits, so the signal never lands inside a
        request."""
        if _in_worker():  # a worker waiting on its own pool would deadlock
            return [told(step, i, self._drive_caught(op)) for i, op in enumerate(step.ops)]
        return run_parallel(
            step,
            self._workers(),
            max(1, self.settings.concurrency),
            self.settings.timeout,
            self._drive,
        )

    def _drive_caught(self, op: Operation[Any]) -> Any:
        try:
            return self._drive(op)
        except MailRouteError as exc:
            return exc

    def save_cache(self) -> None:
        """Write what discovery learned to the schema cache file (between operations)."""
        if self.cache is not None:
            self.cache.save()

    def run(self, op: Operation[T]) -> T:
        """Drive an operation to its result, sending each call it yields; then save the
        schema cache, so the operation itself never writes a file."""
        try:
            return self._drive(op)
        finally:
            self.save_cache()

    def _drive(self, op: Operation[T], stop: threading.Event | None = None) -> T:
        """Drive `op`; once `stop` is set, it is closed before its next write instead
        (its result is then `NOT_STARTED`, or an `AmbiguousWriteError` when an earlier
        write of the same operation was sent)."""
        wrote = False
        try:
            step = next(op)
            while True:
                pause = self._pacer.delay(step.method) if isinstance(step, Call) else 0.0
                if pause and stop is not None:
                    stop.wait(pause)  # Ctrl-C ends the wait: checked just below
                elif pause:
                    self.sleep(pause)
                if stop is not None and _writes_something(step):
                    if stop.is_set():
                        op.close()
                        return _stopped_before_write(wrote)  # type: ignore[no-any-return]
                    wrote = True
                try:
                    reply: Any = self._step(step)
                except (MailRouteError, Interrupted) as exc:
                    step = op.throw(exc)
                else:
                    step = op.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


class AsyncSession:
    """Sends calls with an `httpx.AsyncClient` and drives the same operations."""

    is_async = True

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self.journal: Any = None  # (journals are kept by blocking clients only)
        self._sender = AsyncSender(settings, transport)
        self._pacer = WritePacer(settings.max_rate)
        import asyncio  # only async clients need it: ~20 ms of start-up for the others

        self._asyncio = asyncio
        self.sleep = asyncio.sleep
        self._exclusive = _LocksByKey(asyncio.Lock)
        self.exact_numbers = False  # see keep_exact_numbers()
        self.cache: CacheKeeper | None = None  # set by the client: the schema cache file

    def keep_exact_numbers(self) -> None:
        """From now on read numbers a float would change as `RawNumber`s (see
        `SyncSession.keep_exact_numbers`)."""
        self.exact_numbers = True

    async def close(self) -> None:
        """Close the connection pool."""
        await self._sender.close()

    async def _once(self, call: Call) -> Answer | Exception:
        deadline = deadline_for(self.settings)
        try:
            async with self._asyncio.timeout(
                None if deadline is None else deadline - time.monotonic()
            ):
                response = await self._sender.send(call)
                try:
                    check_declared_size(response)
                    content = await read_limited_async(response, deadline)
                finally:
                    await response.aclose()
            return read_answer(
                response,
                content,
                call.method,
                write=not call.retry_safe,
                exact_numbers=self.exact_numbers,
            )
        except TimeoutError:
            return httpx.ReadTimeout(f"no complete answer within {self.settings.timeout} s")
        except (httpx.TransportError, MailRouteError) as exc:
            return exc

    async def send(self, call: Call) -> Answer:
        """One call through redirects and retries, awaiting between tries (and before a
        write, as `max_rate` asks)."""
        tries = Tries(self.settings, call)
        first = True  # the first try is paced by `_drive`
        while True:
            pause = 0.0 if first else self._pacer.delay(tries.call.method)
            first = False
            if pause:
                await self.sleep(pause)
            verdict = tries.judge(await self._once(tries.call))
            if isinstance(verdict, Answer):
                return verdict
            if verdict:
                await self.sleep(verdict)

    async def stream(self, ops: Iterable[Operation[Any]], window: int) -> AsyncIterator[Any]:
        """Run operations with up to `window` requests on the wire and give their results
        in order. An operation's place is freed the moment its answer is in, and the next
        request goes out before that answer is read: reading a page does not hold back
        the requests after it. Up to `2 * window` operations are started ahead."""
        gate = self._asyncio.Semaphore(window)

        async def send(call: Call) -> Answer:
            async with gate:
                answer = await self.send(call)
            await self._asyncio.sleep(0)  # the next request goes out before this is read
            return answer

        started = _InOrder(
            ops, 2 * window, lambda op: self._asyncio.ensure_future(self.run(op, send))
        )
        try:
            while (task := started.take()) is not None:
                yield await task
        finally:
            started.close()

    async def _concurrently(
        self, work: Any, items: tuple[Any, ...], parallel: Parallel | None = None
    ) -> list[Any]:
        asyncio = self._asyncio
        limit = asyncio.Semaphore(self.settings.concurrency)

        async def one(index: int, item: Any) -> Any:
            async with limit:
                try:
                    outcome = await work(item)
                except MailRouteError as exc:
                    outcome = exc
            return told(parallel, index, outcome) if parallel is not None else outcome

        return list(await asyncio.gather(*(one(i, item) for i, item in enumerate(items))))

    async def _step(self, step: Call | Batch | Parallel | Exclusive, send: Any = None) -> Any:
        if isinstance(step, Batch):
            return await self._concurrently(self.send, step.calls)
        if isinstance(step, Parallel):  # the cache is saved by the outer run
            return await self._concurrently(self._drive, step.ops, step)
        if isinstance(step, Exclusive):
            with self._exclusive.lock_for(step.key) as lock:
                async with lock:  # (held while the operation runs)
                    return await self._drive(step.op, send)
        return await (send or self.send)(step)

    def save_cache(self) -> None:
        """Write what discovery learned to the schema cache file (between operations)."""
        if self.cache is not None:
            self.cache.save()

    async def run(self, op: Operation[T], send: Any = None) -> T:
        """Drive an operation to its result, awaiting each call it yields (through `send`
        when given); then save the schema cache, so the operation itself never writes a
        file."""
        try:
            return await self._drive(op, send)
        finally:
            self.save_cache()

    async def _drive(self, op: Operation[T], send: Any = None) -> T:
        try:
            step = next(op)
            while True:
                pause = self._pacer.delay(step.method) if isinstance(step, Call) else 0.0
                if pause:
                    await self.sleep(pause)  # `max_rate`: the first try of a write
                try:
                    reply: Any = await self._step(step, send)
                except MailRouteError as exc:
                    step = op.throw(exc)
                else:
                    step = op.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


class _LocksByKey:
    """One lock per key (`threading.Lock` or `asyncio.Lock`, from `make`), made when a
    first user comes and dropped when the last one leaves, so keys never pile up."""

    def __init__(self, make: Callable[[], Any]):
        self._make = make
        self._guard = threading.Lock()
        self._locks: dict[Hashable, tuple[Any, int]] = {}  # key -> (lock, users)

    @contextlib.contextmanager
    def lock_for(self, key: Hashable) -> Iterator[Any]:
        """The key's lock, for the caller to take; kept for the key until the block ends."""
        with self._guard:
            lock, users = self._locks.get(key) or (self._make(), 0)
            self._locks[key] = (lock, users + 1)
        try:
            yield lock
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


class _InOrder:
    """Operations started ahead, taken in the order they were started: at most `ahead`
    (at least 1; one at a time needs no window) wait besides the one being taken, so
    memory stays bounded however long the listing. `start` makes an operation an
    `asyncio.Task` or a `concurrent.futures.Future`."""

    def __init__(self, ops: Iterable[Operation[Any]], ahead: int, start: Any):
        self._ops = iter(ops)
        self._ahead, self._start = ahead, start
        self._pending: deque[Any] = deque()
        self._top_up()

    def _top_up(self) -> None:
        while len(self._pending) < self._ahead:
            op = next(self._ops, None)
            if op is None:
                return
            self._pending.append(self._start(op))

    def take(self) -> Any:
        """The oldest started operation's task or future (None when all are taken); the
        next one starts in its place at once, before the caller waits for this one."""
        if not self._pending:
            return None
        head = self._pending.popleft()
        self._top_up()
        return head

    def close(self) -> None:
        """Cancel what has not run yet."""
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()


def _writes_something(step: Call | Batch | Parallel | Exclusive) -> bool:
    """Whether `step` may write (an operation run in parallel or alone may)."""
    if isinstance(step, Call):
        return step.method not in ("GET", "HEAD", "OPTIONS")
    if isinstance(step, Batch):
        return any(_writes_something(call) for call in step.calls)
    return True


def _stopped_before_write(wrote: bool) -> Any:
    if not wrote:
        return NOT_STARTED
    return AmbiguousWriteError(
        "interrupted between two writes of one row: the first was sent, the rest not"
    )


def _in_worker() -> bool:
    return threading.current_thread().name.startswith("mailroute_dyn")
