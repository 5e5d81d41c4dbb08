"""Wire values of the fake server: how Tastypie 0.15.1 prints and reads them.

Objects are stored in their wire form (what the list endpoint returns in `rfc-2822` mode), so
a fixture written by `capture()` is served back byte for byte. This module parses those strings
for comparisons, prints them in the configured format, and turns filter and write values into
Python values with the messages Django would give (TASTYPIE.md §3, §4.2, §6).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ..errors import FakeFieldValueError, FakeLookupValueError
from ..vocabulary import DATE_PARTS, STRING_TO_PYTHON, TIME_PARTS

__all__ = [
    "MISMATCHED",
    "Clock",
    "string_to_python",
    "parse_stored",
    "prep_filter_value",
    "write_value",
]

MISMATCHED = "Invalid resource lookup data provided (mismatched type)."

_DATE_RE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})$")
_TIME_RE = re.compile(
    r"(?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<microsecond>\d{1,6})\d{0,6})?)?$"
)
_DATETIME_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"[T ](?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<microsecond>\d{1,6})\d{0,6})?)?"
    r"\s*(?P<tzinfo>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_RFC_TIME = re.compile(r"^(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?:\s*[+-]\d{2}:?\d{2}|\s*Z)?$")

# Django's messages (django.db.models.fields, Django 5.2).
_DATETIME_INVALID = (
    "“%s” value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format."
)
_DATETIME_BAD_DATE = "“%s” value has the correct format (YYYY-MM-DD) but it is an invalid date."
_DATETIME_BAD = (
    "“%s” value has the correct format (YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]) "
    "but it is an invalid date/time."
)
_DATE_INVALID = "“%s” value has an invalid date format. It must be in YYYY-MM-DD format."
_TIME_INVALID = "“%s” value has an invalid format. It must be in HH:MM[:ss[.uuuuuu]] format."
_TIME_BAD = "“%s” value has the correct format (HH:MM[:ss[.uuuuuu]]) but it is an invalid time."
# Django's messages for a date, time or datetime column given text it cannot read
TEMPORAL_INVALID = {"datetime": _DATETIME_INVALID, "date": _DATE_INVALID, "time": _TIME_INVALID}
_DECIMAL_INVALID = "“%s” value must be a decimal number."
_BOOL_INVALID = "“%s” value must be either True or False."
_BOOL_NULL_INVALID = "“%s” value must be either True, False, or None."


def string_to_python(value: Any) -> Any:
    """Tastypie's `string_to_python`: true/false/None words become Python values."""
    if isinstance(value, str) and value in STRING_TO_PYTHON:
        return STRING_TO_PYTHON[value]
    return value


# ---------------------------------------------------------------- the server's clock and zone


class Clock:
    """The server's time zone and datetime format; prints and reads stored values."""

    def __init__(self, time_zone: str = "America/Los_Angeles", datetime_format: str = "rfc-2822"):
        if datetime_format not in ("rfc-2822", "iso-8601", "iso-8601-strict"):
            raise ValueError(
                "datetime_format must be 'rfc-2822', 'iso-8601' or "
                f"'iso-8601-strict', not {datetime_format!r}"
            )
        self.zone = ZoneInfo(time_zone)
        self.format = datetime_format

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.zone)

    def aware(self, value: dt.datetime) -> dt.datetime:
        """A naive value is taken in the server's zone, as Django does with USE_TZ."""
        return value.replace(tzinfo=self.zone) if value.tzinfo is None else value

    # -- storing: new values in the form this server prints

    @property
    def rfc(self) -> bool:
        return self.format == "rfc-2822"

    def store_datetime(self, value: dt.datetime) -> str:
        local = self.aware(value).astimezone(self.zone)
        return email.utils.format_datetime(local) if self.rfc else local.isoformat()

    def store_date(self, value: dt.date) -> str:
        return (
            f"{value.day} {value.strftime('%b')} {value.year}" if self.rfc else (value.isoformat())
        )

    def store_time(self, value: dt.time) -> str:
        if not self.rfc:
            return value.replace(tzinfo=None).isoformat()
        offset = dt.datetime(2000, 1, 1, tzinfo=self.zone).strftime("%z")
        return f"{value.strftime('%H:%M:%S')} {offset}"

    # -- printing in the configured format

    def render(self, ftype: str, value: Any) -> Any:
        """A stored value as this server prints it; fixture values in the other format
        (a capture of an iso-8601 server) are converted."""
        if not isinstance(value, str) or ftype not in ("datetime", "date", "time"):
            return value
        iso_text = " " not in value.strip() if ftype == "time" else value[4:5] == "-"
        if self.rfc and not iso_text:
            return value
        try:
            if ftype == "datetime":
                parsed = self.aware(_parse_stored_datetime(value)).astimezone(self.zone)
                if self.rfc:
                    return email.utils.format_datetime(parsed)
                parsed = parsed.replace(tzinfo=None)
                if self.format == "iso-8601-strict":
                    parsed = parsed.replace(microsecond=0)
                return parsed.isoformat()
            if ftype == "date":
                return self.store_date(_parse_stored_date(value))
            return self.store_time(_parse_stored_time(value))
        except ValueError:
            return value


# ---------------------------------------------------------------- stored (wire) values


@functools.lru_cache(maxsize=65536)
def _parse_stored_datetime(text: str) -> dt.datetime:
    text = text.strip()
    if text[:4].isdigit():
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    parsed = email.utils.parsedate_to_datetime(text)
    if parsed is None:
        raise ValueError(text)
    return parsed


@functools.lru_cache(maxsize=4096)
def _parse_stored_date(text: str) -> dt.date:
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return dt.datetime.strptime(text, "%d %b %Y").date()


@functools.lru_cache(maxsize=4096)
def _parse_stored_time(text: str) -> dt.time:
    match = _RFC_TIME.match(text.strip())
    if not match:
        raise ValueError(text)
    return dt.time.fromisoformat(match.group(1))


def parse_stored(ftype: str, value: Any, clock: Clock) -> Any:
    """A stored value as a comparable Python value (None stays None; odd values as is)."""
    if value is None or not isinstance(value, str):
        return value
    try:
        if ftype == "datetime":
            return clock.aware(_parse_stored_datetime(value))
        if ftype == "date":
            return _parse_stored_date(value)
        if ftype == "time":
            return _parse_stored_time(value)
        if ftype == "decimal":
            return Decimal(value)
    except (ValueError, TypeError, InvalidOperation):
        return value
    return value


# ---------------------------------------------------------------- Django's parsers


def _django_datetime(text: str, clock: Clock) -> dt.datetime:
    """DateTimeField.to_python for a filter value: ISO only (an RFC value gives 400)."""
    try:
        parsed = _parse_iso_datetime(text)
    except ValueError:
        raise FakeLookupValueError(str([_DATETIME_BAD % text])) from None
    if parsed is not None:
        return clock.aware(parsed)
    try:
        day = _parse_iso_date(text)
    except ValueError:
        raise FakeLookupValueError(str([_DATETIME_BAD_DATE % text])) from None
    if day is not None:
        return clock.aware(dt.datetime(day.year, day.month, day.day))
    raise FakeLookupValueError(str([_DATETIME_INVALID % text]))


def _parse_iso_datetime(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        match = _DATETIME_RE.match(text)
        if not match:
            return None
        kw = match.groupdict()
        kw["microsecond"] = kw["microsecond"] and kw["microsecond"].ljust(6, "0")
        tz_text = kw.pop("tzinfo")
        tzinfo: dt.tzinfo | None = None
        if tz_text == "Z":
            tzinfo = dt.UTC
        elif tz_text is not None:
            minutes = int(tz_text[-2:]) if len(tz_text) > 3 else 0
            offset = 60 * int(tz_text[1:3]) + minutes
            tzinfo = dt.timezone(dt.timedelta(minutes=-offset if tz_text[0] == "-" else offset))
        return dt.datetime(**{k: int(v) for k, v in kw.items() if v is not None}, tzinfo=tzinfo)


def _parse_iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        match = _DATE_RE.match(text)
        if not match:
            return None
        return dt.date(**{k: int(v) for k, v in match.groupdict().items()})


def _parse_iso_time(text: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        match = _TIME_RE.match(text)
        if not match:
            return None
        kw = match.groupdict()
        kw["microsecond"] = kw["microsecond"] and kw["microsecond"].ljust(6, "0")
        parts: dict[str, Any] = {k: int(v) for k, v in kw.items() if v is not None}
        return dt.time(**parts)


def _django_date(text: str) -> dt.date:
    try:
        parsed = _parse_iso_date(text)
    except ValueError:
        raise FakeLookupValueError(str([_DATETIME_BAD_DATE % text])) from None
    if parsed is None:
        raise FakeLookupValueError(str([_DATE_INVALID % text]))
    return parsed


def _django_time(text: str) -> dt.time:
    try:
        parsed = _parse_iso_time(text)
    except ValueError:
        raise FakeLookupValueError(str([_TIME_BAD % text])) from None
    if parsed is None:
        raise FakeLookupValueError(str([_TIME_INVALID % text]))
    return parsed


# ---------------------------------------------------------------- filter values


def prep_filter_value(
    ftype: str, value: Any, clock: Clock, *, nullable: bool = False, transform: str | None = None
) -> Any:
    """One filter value as Django's `get_prep_value` makes it, or the error it raises.

    `ftype` is the schema type of the final field ("pk" for a related field, whose filters
    take the target's primary key). A ValueError in Django means "mismatched type"; a
    ValidationError comes back as its stringified message list.
    """
    if value is None:
        return None
    if transform in DATE_PARTS or transform in TIME_PARTS:
        return _to_int(value)
    if transform == "date":
        return _django_date(str(value))
    if transform == "time":
        return _django_time(str(value))
    if ftype in ("integer", "pk"):
        return _to_int(value)
    if ftype == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise FakeLookupValueError(MISMATCHED) from None
    if ftype == "decimal":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise FakeLookupValueError(str([_DECIMAL_INVALID % value]))
        return number
    if ftype == "boolean":
        if value in (True, False):
            return bool(value)
        if value in ("t", "True", "1"):
            return True
        if value in ("f", "False", "0"):
            return False
        if nullable and value == "":
            return None
        message = _BOOL_NULL_INVALID if nullable else _BOOL_INVALID
        raise FakeLookupValueError(str([message % value]))
    if ftype == "datetime":
        return _django_datetime(str(value), clock)
    if ftype == "date":
        return _django_date(str(value))
    if ftype == "time":
        return _django_time(str(value))
    return str(value)


def _to_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FakeLookupValueError(MISMATCHED) from None


# ---------------------------------------------------------------- write values


def write_value(ftype: str, value: Any, clock: Clock) -> Any:
    """A JSON value sent for a field, as stored; `FakeFieldValueError` with the form's message
    when its JSON type is wrong for the schema type (the fake is strict here)."""
    if ftype == "string":
        if not isinstance(value, str):
            raise FakeFieldValueError("Enter a valid value.")
        return value
    if ftype == "integer":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not value.is_integer())
        ):
            raise FakeFieldValueError("Enter a whole number.")
        return int(value)
    if ftype == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FakeFieldValueError("Enter a number.")
        return float(value)
    if ftype == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise FakeFieldValueError("Enter a number.")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise FakeFieldValueError("Enter a number.") from None
        if not number.is_finite():
            raise FakeFieldValueError("Enter a number.")
        return str(number)
    if ftype == "boolean":
        if not isinstance(value, bool):
            raise FakeFieldValueError(_BOOL_INVALID % value)
        return value
    if ftype == "datetime":
        parsed = _write_datetime(value)
        if parsed is None:
            raise FakeFieldValueError("Enter a valid date/time.")
        return clock.store_datetime(parsed)
    if ftype == "date":
        day = _write_date(value)
        if day is None:
            raise FakeFieldValueError("Enter a valid date.")
        return clock.store_date(day)
    if ftype == "time":
        clock_time = _write_time(value)
        if clock_time is None:
            raise FakeFieldValueError("Enter a valid time.")
        return clock.store_time(clock_time)
    if ftype == "list":
        if not isinstance(value, list):
            raise FakeFieldValueError("Enter a list of values.")
        return value
    if ftype == "dict":
        if not isinstance(value, dict):
            raise FakeFieldValueError("Enter a valid JSON.")
        return value
    return value


def _write_datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = _parse_iso_datetime(text)
    except ValueError:
        return None
    if parsed is not None:
        return parsed
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


_T = TypeVar("_T")


def _write_date(value: Any) -> dt.date | None:
    return _written(value, _parse_iso_date, _parse_stored_date)


def _write_time(value: Any) -> dt.time | None:
    return _written(value, _parse_iso_time, _parse_stored_time)


def _written(value: Any, iso: Callable[[str], _T | None], stored: Callable[[str], _T]) -> _T | None:
    """A date or time a write sent as text, read as ISO or as the server stores it; None
    when it is neither (the caller's error names the field)."""
    if not isinstance(value, str):
        return None
    try:
        return iso(value.strip()) or stored(value)
    except ValueError:
        return None
    try:
        return _parse_iso_time(value.strip()) or _parse_stored_time(value)
    except ValueError:
        return None
