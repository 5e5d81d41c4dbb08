"""Failures the fake server can inject: reproducible random ones and one-shot queued ones.

A fault decides what the client sees for one request: an error status (the request was not
carried out unless `apply=True`), a network error raised by the transport, a cut body, or a
delay. `reset` is the interesting one for writes: the request is carried out, then the answer
is lost, which is how a retry makes a duplicate.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "Fault", "FaultPlan"]

FAULT_KINDS = ("500", "502", "503", "504", "429", "timeout", "connect", "reset", "truncated",
               "html", "latency")
_OPTIONS = frozenset({"retry_after", "ms", "apply"})


@dataclass(frozen=True)
class Fault:
    """One fault to inject. Options: `retry_after` (429, 503: the Retry-After header),
    `ms` (latency: the delay, default 100), `apply` (status kinds and timeout: carry the
    request out before failing)."""

    kind: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def applies_request(self) -> bool:
        """Whether the request changes the server's state before the fault shows."""
        if self.kind in ("reset", "truncated", "latency"):
            return True
        if self.kind == "connect":
            return False
        return bool(self.options.get("apply", False))


def _check(kind: str, options: dict[str, Any]) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"Unknown fault kind {kind!r}; kinds: {', '.join(FAULT_KINDS)}")
    unknown = set(options) - _OPTIONS
    if unknown:
        raise TypeError(f"Unknown fault options {sorted(unknown)}; options: {sorted(_OPTIONS)}")


class _Scope:
    """Which requests a fault setting applies to: methods and path prefixes or regexes."""

    def __init__(self, methods: Iterable[str] | None, paths: Iterable[str | re.Pattern[str]]
                 | None):
        self.methods = None if methods is None else {m.upper() for m in methods}
        self.paths = None if paths is None else list(paths)

    def covers(self, method: str, path: str) -> bool:
        if self.methods is not None and method.upper() not in self.methods:
            return False
        if self.paths is None:
            return True
        for pattern in self.paths:
            if isinstance(pattern, re.Pattern):
                if pattern.search(path):
                    return True
            elif path.startswith(pattern):
                return True
        return False


class FaultPlan:
    """Random faults at a rate (seeded, so a run repeats) plus queued one-shot faults."""

    def __init__(self, seed: int = 0):
        self._seed = seed
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ()
        self._options: dict[str, Any] = {}
        self._scope = _Scope(None, None)
        self._rng = random.Random(seed)
        self._queue: list[tuple[Fault, _Scope]] = []

    def configure(self, rate: float, kinds: Iterable[str], *, seed: int | None = None,
                  methods: Iterable[str] | None = None,
                  paths: Iterable[str | re.Pattern[str]] | None = None,
                  **options: Any) -> None:
        kinds = tuple(kinds)
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        if rate and not kinds:
            raise ValueError("kinds must name at least one fault kind")
        for kind in kinds:
            _check(kind, options)
        self._rate, self._kinds, self._options = rate, kinds, options
        self._scope = _Scope(methods, paths)
        self._rng = random.Random(self._seed if seed is None else seed)

    def queue(self, kind: str, count: int, methods: Iterable[str] | None,
              paths: Iterable[str | re.Pattern[str]] | None, options: dict[str, Any]) -> None:
        _check(kind, options)
        if count < 1:
            raise ValueError("count must be at least 1")
        scope = _Scope(methods, paths)
        self._queue.extend((Fault(kind, dict(options)), scope) for _ in range(count))

    def clear(self) -> None:
        self._rate, self._kinds, self._options = 0.0, (), {}
        self._queue.clear()

    @property
    def pending(self) -> int:
        """Queued one-shot faults not used yet."""
        return len(self._queue)

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any: the first queued one that covers it, else
        a random draw (one draw per covered request, so runs are reproducible)."""
        for i, (fault, scope) in enumerate(self._queue):
            if scope.covers(method, path):
                del self._queue[i]
                return fault
        if self._rate and self._scope.covers(method, path):
            if self._rng.random() < self._rate:
                return Fault(self._rng.choice(self._kinds), dict(self._options))
        return None
