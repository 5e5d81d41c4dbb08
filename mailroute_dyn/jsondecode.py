"""JSON in and out: answers decoded by msgspec when it is installed (`mailroute-dyn[speed]`),
else by the standard library, with identical results either way; request bodies encoded as
strict JSON.

Decoding dominates the cost of reading a page, and msgspec does it about twice as fast.
Wherever it would answer differently from `json.loads` (NaN, huge floats, lone surrogates,
a byte-order mark, nesting past its limit) it refuses, and the standard library decides,
so the result never depends on which decoder is installed. Setting the environment
variable `MAILROUTE_DYN_JSON=stdlib` turns the fast decoder off.

The non-JSON `NaN`/`Infinity` a Python server may send is decoded as a `RawNumber`: it
acts as the float and keeps the server's text. With `exact_numbers` (a client turns it on
once its API has a decimal field) so is a number a float cannot hold digit for digit (a
decimal sent as the JSON number `12345678901234567890.123456789`, `1e400`): a typed
decimal is then exact and an untouched field goes back as it came. That costs a call per
number with a fraction, so APIs without decimal fields decode floats at full speed.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any

from .errors import ValidationError

__all__ = ["decode", "decoder_name", "encode", "dumps", "RawNumber", "non_finite_at"]

_fast: Callable[[bytes | str], Any] | None = None
_fast_exact: Callable[[bytes | str], Any] | None = None
_fast_errors: tuple[type[BaseException], ...] = ()
_chosen = False


class RawNumber(float):
    """A JSON number kept as the server wrote it: a float (the nearest one) whose `text`,
    `str()` and `repr()` are the server's digits. Only numbers a float would change are
    kept this way (NaN, Infinity, and where exact numbers are asked for, more than 15
    significant digits or an exponent out of range); the others are plain floats."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> RawNumber:
        number = super().__new__(cls, float(text))
        number.text = text
        return number

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__

    def __reduce__(self) -> tuple[type[RawNumber], tuple[str]]:
        return RawNumber, (self.text,)


def _number(text: str) -> float:
    """A JSON number with a fraction or exponent: a float when the float holds every digit
    the text has, else a `RawNumber`. Called for every such number of every answer, so the
    usual case (no exponent, at most 15 digits) is decided by its length alone."""
    if len(text) < 17 and "e" not in text and "E" not in text:
        return float(text)
    value = float(text)
    from decimal import Decimal  # only for long numbers and exponents

    return value if Decimal(repr(value)) == Decimal(text) else RawNumber(text)


def _choose() -> None:
    """Import msgspec on the first answer, not at import time (it costs start-up)."""
    global _fast, _fast_exact, _fast_errors, _chosen
    _chosen, _fast, _fast_exact, _fast_errors = True, None, None, ()
    if os.environ.get("MAILROUTE_DYN_JSON", "").lower() == "stdlib":
        return
    try:
        import msgspec
    except ImportError:
        return
    _fast = msgspec.json.Decoder().decode
    _fast_exact = msgspec.json.Decoder(float_hook=_number).decode
    _fast_errors = (msgspec.DecodeError, RecursionError)


def decode(content: bytes | str, exact_numbers: bool = False) -> Any:
    """The JSON value in `content`; `ValueError` (or `RecursionError`) as `json.loads` raises.
    `exact_numbers`: numbers a float would change become `RawNumber`s too."""
    if not _chosen:
        _choose()
    fast = _fast_exact if exact_numbers else _fast
    if fast is not None:
        try:
            return fast(content)
        except _fast_errors:
            pass  # let the standard library decide, as without msgspec
    return json.loads(
        content, parse_float=_number if exact_numbers else None, parse_constant=RawNumber
    )


def decoder_name() -> str:
    """`"msgspec"` or `"json"`: which decoder reads answers (for benchmarks and bug reports)."""
    if not _chosen:
        _choose()
    return "msgspec" if _fast is not None else "json"


def encode(value: Any) -> bytes:
    """A request body as strict JSON text. A `RawNumber` goes out as the server's own text
    (a field sent back untouched goes back exactly as it came); a NaN or Infinity float
    anywhere else is refused with `ValidationError`: JSON has neither, and Tastypie would
    store NULL or fail."""
    try:
        text = dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        where = non_finite_at(value)
        if where is None:
            raise  # (a body that refers to itself)
        raise ValidationError(
            f"A request body cannot hold NaN or Infinity (at "
            f"{where or 'the top'}): JSON has neither, and Tastypie would "
            "store NULL or fail. Nothing was sent.",
            {},
        ) from exc
    return text.encode()


def dumps(value: Any, **options: Any) -> str:
    """`json.dumps(value, **options)`, but each `RawNumber` written as the server's own
    digits (`json` writes a float subclass through `float.__repr__`, which rounds)."""
    kept: list[str] = []
    text = json.dumps(_swap_raw_numbers(value, kept), **options)
    for index, literal in enumerate(kept):
        text = text.replace(f'"{_marker(index)}"', literal, 1)
    return text


_TOKEN = os.urandom(12).hex()


def _marker(index: int) -> str:
    """Where a `RawNumber` goes while the rest of the body is encoded: a string no body
    holds (it has a random token), replaced by the number's text afterwards."""
    return f"raw-number-{_TOKEN}-{index}"


def _swap_raw_numbers(value: Any, kept: list[str]) -> Any:
    """`value` with each `RawNumber` replaced by its marker (its text appended to `kept`);
    `value` itself when it holds none, so a plain body is not copied."""
    if isinstance(value, RawNumber):
        kept.append(value.text)
        return _marker(len(kept) - 1)
    if isinstance(value, dict):
        items = {k: _swap_raw_numbers(v, kept) for k, v in value.items()}
        return items if any(items[k] is not value[k] for k in value) else value
    if isinstance(value, list | tuple):
        swapped = [_swap_raw_numbers(v, kept) for v in value]
        changed = any(a is not b for a, b in zip(swapped, value, strict=True))
        return swapped if changed else value
    return value


def non_finite_at(value: Any, path: str = "") -> str | None:
    """Where `value` holds a NaN or Infinity float: `path` itself (`""` for `value`), or a
    path inside it such as `rules[2].ratio`; None when it holds none. A `RawNumber` is
    the server's own text, sent back as it came: not counted."""
    if isinstance(value, RawNumber):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if isinstance(value, dict):
        inner = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        inner = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for where, item in inner:
        found = non_finite_at(item, where)
        if found is not None:
            return found
    return None
