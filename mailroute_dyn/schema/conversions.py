"""Values between the wire and Python: typed views of what the server sent, and encodings
of what we send (filters in the form Django parses, writes in the form Tastypie hydrates).

Raw values are never replaced: the typed view is computed on access, so a field nobody
changed goes back exactly as it came.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import re
import sys
from typing import TYPE_CHECKING, Any

from ..errors import FilterError, ResponseError
from ..jsondecode import RawNumber

if TYPE_CHECKING:
    from decimal import Decimal

__all__ = [
    "parse_datetime",
    "parse_date",
    "parse_time",
    "parse_decimal",
    "typed_value",
    "encode_filter_value",
    "encode_write_value",
    "looks_like_uri",
    "same_raw",
]

#: A time with an optional UTC offset (a pattern `re` compiles on first use)
_TIME_WITH_OFFSET = r"^(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*([+-]\d{2}:?\d{2}|Z)?$"


def parse_datetime(raw: str) -> dt.datetime:
    """ISO 8601 or RFC 2822 (zero-padded day or not); aware when the text has an offset."""
    text = raw.strip()
    if text[:1].isdigit() and ("-" in text[:5]):
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_date(raw: str) -> dt.date:
    """'2024-05-02' (ISO) or '2 May 2024' (Tastypie's RFC mode)."""
    text = raw.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return dt.datetime.strptime(text, "%d %b %Y").date()


def parse_time(raw: str) -> dt.time:
    """'20:05:23' or '05:17:23 -0800' (RFC mode appends the zone's January offset)."""
    match = re.match(_TIME_WITH_OFFSET, raw.strip())
    if not match:
        raise ValueError(f"not a time: {raw!r}")
    clock, offset = match.groups()
    value = dt.time.fromisoformat(clock if clock.count(":") == 2 else clock + ":00")
    if offset:
        if offset == "Z":
            return value.replace(tzinfo=dt.UTC)
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        value = value.replace(tzinfo=dt.timezone(sign * delta))
    return value


def parse_decimal(raw: Any) -> Decimal:
    """A Decimal from Tastypie's decimal text (or number), exactly as sent: a JSON number
    too long for a float arrives as a `RawNumber`, whose `str()` is the server's digits."""
    from decimal import Decimal, InvalidOperation  # with the first decimal read: see below

    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(f"not a decimal: {raw!r}") from None


def _is_decimal(value: Any) -> bool:
    """Whether `value` is a `decimal.Decimal`. None exists until `decimal` is loaded, so it
    is not loaded to check: it is a noticeable part of `import mailroute_dyn` otherwise."""
    decimal = sys.modules.get("decimal")
    return decimal is not None and isinstance(value, decimal.Decimal)


_PARSERS = {
    "datetime": parse_datetime,
    "date": parse_date,
    "time": parse_time,
    "decimal": parse_decimal,
}


def typed_value(field_type: str, raw: Any, *, where: str = "") -> Any:
    """The Python view of a raw value for a schema type; other types come back unchanged."""
    parser = _PARSERS.get(field_type)
    if parser is None or raw is None:
        return raw
    number = field_type == "decimal" and isinstance(raw, int | float) and not isinstance(raw, bool)
    if not isinstance(raw, str) and not number:
        raise ResponseError(f"{where or 'value'}: expected a {field_type} string, got {raw!r}")
    try:
        return parser(raw)
    except (ValueError, TypeError):
        raise ResponseError(f"{where or 'value'}: {raw!r} is not a valid {field_type}") from None


def looks_like_uri(value: Any) -> bool:
    """Whether a raw value is a server-relative URI such as `/api/v1/domain/5/`."""
    return isinstance(value, str) and value.startswith("/") and value.endswith("/")


def _scalar_filter(value: Any) -> str:
    if value is None:
        return "None"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    pk = getattr(value, "pk", None)
    if pk is not None and hasattr(value, "resource_uri"):
        return str(pk)
    return str(value)


def encode_filter_value(term: str, value: Any) -> str:
    """A filter value as Tastypie reads it: booleans as true/false, None as None, ISO times,
    lists joined with commas for `in` and `range`, instances as their primary key."""
    if term in ("in", "range") and isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        texts = [_scalar_filter(v) for v in items]
        split = [t for t in texts if "," in t]
        if split:
            # Tastypie splits the joined value on every comma: ["a,b"] would match a and b
            raise FilterError(
                f"{term} cannot send {split[0]!r}: Tastypie splits {term} "
                "values on commas, so it would match each part instead."
            )
        return ",".join(texts)
    if term == "isnull":
        if isinstance(value, str):  # "false" is a true string: read the word instead
            word = value.strip().lower()
            if word not in ("true", "false", "1", "0"):
                raise FilterError(f"isnull takes True or False, not {value!r}")
            return "true" if word in ("true", "1") else "false"
        return "true" if value else "false"
    return _scalar_filter(value)


def encode_write_value(value: Any, field_type: str = "") -> Any:
    """A Python value as JSON for a write: times ISO 8601, decimals as strings, instances
    as their URI. Lists and dicts are encoded item by item.

    A number for a `decimal` field goes as its text too: Tastypie reads a string with
    `Decimal(text)`, exactly, but a JSON number through a float (0.1 would be stored as
    0.1000000000000000055...). NaN and Infinity stay floats, for validation to refuse."""
    if (
        field_type == "decimal"
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    ):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if _is_decimal(value):
        return str(value)
    uri = getattr(value, "resource_uri", None)
    if isinstance(uri, str) and hasattr(value, "to_dict"):
        return uri
    if isinstance(value, list | tuple):
        return [encode_write_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode_write_value(v) for k, v in value.items()}
    return value


def same_raw(a: Any, b: Any) -> bool:
    """Whether two raw values read from the server are the same representation: NaN is
    the same as NaN (though never equal to itself), and two `RawNumber`s are compared by
    their digits, not by the float nearest to them (a plain float, read before exact
    numbers were on, holds no more than its value)."""
    if isinstance(a, RawNumber) and isinstance(b, RawNumber):
        return a.text == b.text
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_raw(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same_raw, a, b))
    return bool(a == b)
