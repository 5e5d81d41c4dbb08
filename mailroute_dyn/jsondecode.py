"""Decoding JSON answers: msgspec when it is installed (`mailroute-dyn[speed]`), else the
standard library, with identical results either way.

Decoding dominates the cost of reading a page, and msgspec does it about twice as fast.
Wherever it would answer differently from `json.loads` (NaN, huge floats, lone surrogates,
a byte-order mark, nesting past its limit) it refuses, and the standard library decides,
so the result never depends on which decoder is installed. Setting the environment
variable `MAILROUTE_DYN_JSON=stdlib` turns the fast decoder off.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

__all__ = ["decode", "decoder_name"]

_fast: Callable[[bytes | str], Any] | None = None
_fast_errors: tuple[type[BaseException], ...] = ()
_chosen = False


def _choose() -> None:
    """Import msgspec on the first answer, not at import time (it costs start-up)."""
    global _fast, _fast_errors, _chosen
    _chosen, _fast, _fast_errors = True, None, ()
    if os.environ.get("MAILROUTE_DYN_JSON", "").lower() == "stdlib":
        return
    try:
        import msgspec
    except ImportError:
        return
    _fast = msgspec.json.Decoder().decode
    _fast_errors = (msgspec.DecodeError, RecursionError)


def decode(content: bytes | str) -> Any:
    """The JSON value in `content`; `ValueError` (or `RecursionError`) as `json.loads` raises."""
    if not _chosen:
        _choose()
    if _fast is not None:
        try:
            return _fast(content)
        except _fast_errors:
            pass                        # let the standard library decide, as without msgspec
    return json.loads(content)


def decoder_name() -> str:
    """`"msgspec"` or `"json"`: which decoder reads answers (for benchmarks and bug reports)."""
    if not _chosen:
        _choose()
    return "msgspec" if _fast is not None else "json"
