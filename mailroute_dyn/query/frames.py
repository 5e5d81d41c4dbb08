"""Rows of raw values as a pandas DataFrame or an Arrow table, typed from the schema.

`pd.DataFrame(qs.values())` would keep what the server sent: datetimes as RFC 2822 text,
relations as URIs, integers with nulls as floats. Here each column takes its field's
type: datetimes as `datetime64` in the server's zone (the offset its values carry; UTC
when they carry several), dates as `datetime64`, decimals as `Decimal`, booleans as
`boolean`, integers as `Int64` and floats as `Float64` (both nullable), strings as
`string`, and a relation as the related object's key. pandas and pyarrow are optional
(the `pandas` and `arrow` extras) and imported only when a frame is asked for.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ..errors import ConfigurationError
from ..schema.conversions import typed_value
from ..schema.definition import Field

__all__ = ["require", "frame", "arrow_table"]

#: pandas' nullable dtype for each plain schema type.
_DTYPES = {"integer": "Int64", "float": "Float64", "boolean": "boolean", "string": "string"}


def require(module: str, extra: str, what: str) -> Any:
    """Import `module`, or a `ConfigurationError` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigurationError(
            f"{what} needs {module}: pip install 'mailroute_dyn[{extra}]'"
        ) from None


def _key_of(value: Any) -> Any:
    if isinstance(value, dict):  # full=True: the nested object
        value = value.get("resource_uri")
    if not isinstance(value, str):
        return value
    last = value.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else last


def _keys(pd: Any, raw: list[Any], many: bool) -> Any:
    if many:
        return pd.Series(
            [None if v is None else [_key_of(i) for i in v] for v in raw], dtype=object
        )
    keys = [_key_of(v) for v in raw]
    numbers = all(k is None or isinstance(k, int) for k in keys)
    return pd.array(keys, dtype="Int64" if numbers else "string")


def _datetimes(pd: Any, raw: list[Any], where: str) -> Any:
    """Aware values in the one zone they share (UTC when they differ); naive as naive."""
    parsed = [typed_value("datetime", v, where=where) for v in raw]
    offsets = {d.utcoffset() for d in parsed if d is not None}
    if None in offsets or not offsets:
        if offsets - {None}:  # naive and aware together: kept as read
            return pd.Series(parsed, dtype=object)
        return pd.to_datetime(pd.Series(parsed, dtype=object))
    stamps = pd.to_datetime(pd.Series(parsed, dtype=object), utc=True)
    if len(offsets) == 1:
        offset = cast(dt.timedelta, next(iter(offsets)))
        return stamps.dt.tz_convert(dt.timezone(offset))
    return stamps


def _column(pd: Any, raw: list[Any], f: Field | None, where: str) -> Any:
    """One column, typed by its field (untyped, as sent, where there is none)."""
    if f is None:
        return pd.Series(raw, dtype=object)
    if f.is_related:
        return _keys(pd, raw, f.related_type == "to_many")
    if f.type in _DTYPES:
        return pd.array(raw, dtype=_DTYPES[f.type])
    if f.type == "datetime":
        return _datetimes(pd, raw, where)
    if f.type == "date":
        return pd.to_datetime(
            pd.Series([typed_value("date", v, where=where) for v in raw], dtype=object)
        )
    if f.type in ("decimal", "time"):
        return pd.Series([typed_value(f.type, v, where=where) for v in raw], dtype=object)
    return pd.Series(raw, dtype=object)


def frame(
    resource: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    fields: Mapping[str, Field | None],
) -> Any:
    """A DataFrame of `rows` with `columns`, each typed by `fields[column]`."""
    pd = require("pandas", "pandas", "to_pandas()")
    data = {
        name: _column(pd, [row.get(name) for row in rows], fields.get(name), f"{resource}.{name}")
        for name in columns
    }
    return pd.DataFrame(
        {name: pd.Series(col).reset_index(drop=True) for name, col in data.items()},
        columns=list(columns),
    )


def arrow_table(df: Any) -> Any:
    """An Arrow table of a DataFrame from `frame` (Decimal columns become decimal128)."""
    pa = require("pyarrow", "arrow", "to_arrow()")
    return pa.Table.from_pandas(df, preserve_index=False)
