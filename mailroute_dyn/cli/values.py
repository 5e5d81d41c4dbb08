"""Command-line text to typed values, by the schema: `priority=8` is an int because the
field is an integer, `active=yes` a bool, `domain=5` the URI of domain 5.

A value that does not fit its field is a `CommandUsageError` (exit 2), found before anything is
sent. Filters keep what the library checks (field, term) to the library, and convert only
the value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import CommandUsageError, suggest
from ..model.resources import Resource
from ..schema.definition import Field
from ..schema.rules import terms_for
from ..vocabulary import INT_TERMS as _INT_TERMS
from ..vocabulary import TEXT_TERMS as _TEXT_TERMS

__all__ = [
    "split_assignments",
    "read_data",
    "read_rows",
    "Rows",
    "convert_value",
    "convert_filter_value",
    "convert_values",
    "parse_bool",
    "RelatedText",
]

TRUE = frozenset({"true", "yes", "y", "on", "1", "t"})
FALSE = frozenset({"false", "no", "n", "off", "0", "f"})
NULL = frozenset({"null", "none"})

# (field, text, where) -> what a related value given as a key stands for: its URI on a
# write, its key in a filter (natural keys are looked up; see keys.Related)
RelatedText = Callable[[Field, str, str], str]


def split_assignments(items: list[str]) -> dict[str, str]:
    """`["a=1", "b=x=y"]` -> `{"a": "1", "b": "x=y"}`; anything else is a usage error."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CommandUsageError(f"expected field=value, got {item!r}")
        out[name.strip()] = value
    return out


def _read_text(spec: str) -> tuple[str, str | None]:
    """(text, file name or None) of `--data`: inline, `@file`, or `@-` for stdin."""
    if not spec.startswith("@"):
        return spec, None
    source = spec[1:]
    try:
        # newline="": a CSV value's own line ends ("a\r\nb", quoted) are kept exactly
        if source == "-":
            text = sys.stdin.read()
        else:
            with Path(source).open(encoding="utf-8", newline="") as file:
                text = file.read()
    except OSError as exc:
        raise CommandUsageError(f"cannot read --data {source}: {exc.strerror or exc}") from None
    return text, None if source == "-" else source


def read_data(spec: str | None) -> dict[str, Any]:
    """`--data`: inline JSON, `@file.json`, or `@-` for stdin; must be a JSON object."""
    if not spec:
        return {}
    text, _ = _read_text(spec)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CommandUsageError(f"--data is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CommandUsageError("--data must hold a JSON object")
    return data


@dataclass
class Rows:
    """What `--data` held: `rows` of values, `several` when it was a collection (an
    array, JSON Lines or CSV: the bulk path), `text` when the values are text to type by
    the schema (CSV)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    several: bool = False
    text: bool = False


_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}


def _json_lines(text: str) -> list[Any]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise CommandUsageError(f"--data line {number} is not valid JSON: {exc}") from None
    return rows


def read_rows(spec: str | None, fmt: str = "auto") -> Rows:
    """`--data` as rows: a JSON object is one row; a JSON array, JSON Lines (one object a
    line) or CSV (a header row of field names) are several. `fmt` is auto (by the file's
    suffix; JSON, else JSON Lines, for stdin and inline text), json, jsonl or csv."""
    if not spec:
        return Rows()
    text, name = _read_text(spec)
    if fmt == "auto":
        fmt = _SUFFIXES.get(Path(name).suffix.lower(), "json") if name else "json"
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        rows: list[Any] = []
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise CommandUsageError(
                    f"--data line {reader.line_num}: the row does not have as "
                    f"many cells as the header"
                )
            rows.append({k.strip(): v for k, v in row.items() if v != ""})
        return Rows(rows, True, True)
    if fmt == "jsonl":
        loaded: Any = _json_lines(text)
    else:
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            if fmt == "json" and name is not None or len(text.strip().splitlines()) < 2:
                raise CommandUsageError(f"--data is not valid JSON: {exc}") from None
            loaded = _json_lines(text)  # stdin or inline: JSON Lines
    if isinstance(loaded, dict):
        return Rows([loaded])
    if not isinstance(loaded, list):
        raise CommandUsageError(
            "--data must hold a JSON object, an array of objects, JSON Lines or CSV"
        )
    bad = [
        f"row {number}: --data row {number} is not a JSON object: {row!r:.60}"
        for number, row in enumerate(loaded, 1)
        if not isinstance(row, dict)
    ]
    if bad:  # every one at once, as the rows' pre-check does
        raise CommandUsageError("\n".join(bad))
    return Rows(loaded, True)


def parse_bool(text: str, where: str) -> bool:
    low = text.strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise CommandUsageError(f"{where}: {text!r} is not a boolean (use true/false, yes/no or 1/0)")


def _uri_for(f: Field, text: str, related: RelatedText, where: str) -> str:
    """A related value as a URI: URIs pass through, keys become the target's URI."""
    if text.startswith("/"):
        return text
    if text.startswith(("http://", "https://")):
        return urlsplit(text).path
    return related(f, text, where)


def _scalar(f: Field, text: str, where: str) -> Any:
    kind = f.type
    try:
        if kind == "integer":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "decimal":
            if not Decimal(text.strip()).is_finite():
                raise InvalidOperation
            return text.strip()  # checked, then sent as the string it was
        if kind == "boolean":
            return parse_bool(text, where)
        if kind == "datetime":
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if kind == "date":
            return dt.date.fromisoformat(text)
        if kind == "time":
            return dt.time.fromisoformat(text)
        if kind in ("list", "dict"):
            value = json.loads(text)
            if not isinstance(value, list if kind == "list" else dict):
                raise ValueError
            return value
    except (ValueError, InvalidOperation):
        article = "an" if kind[0] in "aeiou" else "a"
        raise CommandUsageError(
            f"{where} is {article} {kind} field: {text!r} is not {article} {kind}{_example(kind)}"
        ) from None
    return text


def _example(kind: str) -> str:
    return {
        "datetime": " (ISO 8601, e.g. 2024-05-02T10:30:00)",
        "date": " (ISO 8601, e.g. 2024-05-02)",
        "time": " (e.g. 10:30:00)",
        "list": " (a JSON list)",
        "dict": " (a JSON object)",
        "decimal": " (e.g. 12.50)",
    }.get(kind, "")


def convert_value(cls: type[Resource], name: str, text: str, related: RelatedText) -> Any:
    """The Python value for `name=text` on a write, typed by the schema."""
    where = f"{cls.resource_name}.{name}"
    f = cls.fields.get(name)
    if f is None:
        raise CommandUsageError(
            f"{cls.resource_name} has no field {name!r}.{suggest(name, cls.fields)} "
            f"Fields: {', '.join(sorted(cls.fields))}"
        )
    if text.strip().lower() in NULL and (f.nullable or f.type != "string"):
        if not f.nullable:
            raise CommandUsageError(f"{where} is not nullable")
        return None
    if f.is_related:
        if f.related_type == "to_many":
            parts = [p.strip() for p in text.split(",") if p.strip()]
            return [_uri_for(f, p, related, where) for p in parts]
        return _uri_for(f, text.strip(), related, where)
    return _scalar(f, text, where)


def convert_values(
    cls: type[Resource], given: Mapping[str, str], related: RelatedText
) -> dict[str, Any]:
    """`convert_value` for each `field=value` given."""
    return {name: convert_value(cls, name, text, related) for name, text in given.items()}


def _as_is(f: Field, text: str, where: str) -> str:
    return text


def _filter_scalar(
    f: Field, term: str, text: str, where: str, related: RelatedText = _as_is
) -> Any:
    if term == "isnull":
        return parse_bool(text, where)
    if term in _INT_TERMS:
        try:
            return int(text)
        except ValueError:
            raise CommandUsageError(f"{where}: {term} takes an integer, not {text!r}") from None
    if term == "date":
        return _scalar(Field(f.name, "date"), text, where)
    if term == "time":
        return _scalar(Field(f.name, "time"), text, where)
    if text.strip().lower() in NULL and term == "exact" and f.nullable:
        return None
    if term in _TEXT_TERMS or f.is_related:
        if f.is_related and text.startswith("/"):
            return text.rstrip("/").rsplit("/", 1)[-1]  # a URI filters by its key
        if f.is_related and term == "exact":
            return related(f, text, where)  # a natural key: its key
        return text
    return _scalar(f, text, where)


def convert_filter_value(
    cls: type[Resource], lookup: str, text: str, related: RelatedText = _as_is
) -> Any:
    """The value for `--filter lookup=text`, typed by the field when the lookup names one
    of this resource's fields directly; relation hops go as text (the server reads them).
    `related` turns a related field's natural key into the key the server filters by."""
    parts = lookup.split("__")
    where = f"filter {lookup}"
    f = cls.fields.get(parts[0])
    rest = parts[1:]
    if f is None or (rest and not (len(rest) == 1 and rest[0] in terms_for(f))):
        last = parts[-1]
        return parse_bool(text, where) if last == "isnull" else text
    term = rest[0] if rest else "exact"
    if term in ("in", "range"):
        items = [p.strip() for p in text.split(",") if p.strip()]
        return [_filter_scalar(f, "exact", p, where, related) for p in items]
    return _filter_scalar(f, term, text, where, related)
