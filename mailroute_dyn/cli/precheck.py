"""The rows of a write, checked in one pass before anything is sent: every row that
cannot be used (not an object, an unknown field, a value that does not fit its field, a
related name that finds nothing, a value the schema refuses) is listed, one line each as
`row N: <what is wrong>`, and the command stops with nothing sent."""

from __future__ import annotations

from typing import Any

from ..errors import CommandUsageError, MailRouteError, suggest
from ..model.resources import Resource
from .context import Context
from .keys import Related
from .values import convert_value, convert_values, read_rows, split_assignments

__all__ = ["checked_rows"]


def _related_json(
    cls: type[Resource], row: dict[str, Any], related: Related, where: str
) -> dict[str, Any]:
    """A JSON row as written, except related values given as keys become URIs."""
    out = dict(row)
    for name, value in row.items():
        f = cls.fields.get(name)
        if f is None or not f.is_related or value is None:
            continue
        items = value if isinstance(value, list) else [value]
        uris = []
        for item in items:
            text = str(item)
            plain = isinstance(item, int | str) and not isinstance(item, bool)
            if plain and not text.startswith(("/", "http://", "https://")):
                uris.append(related.uri(f, text, f"{where}{cls.resource_name}.{name}"))
            else:
                uris.append(item)
        out[name] = uris if isinstance(value, list) else uris[0]
    return out


def checked_rows(
    ctx: Context, cls: type[Resource], related: Related, *, creating: bool
) -> tuple[list[dict[str, Any]], bool]:
    """(rows to write, several): `--data` rows with `field=value` pairs on top of each,
    every bad row named at once (see the module doc)."""
    data = read_rows(ctx.args.data, getattr(ctx.args, "data_format", "auto"))
    given = split_assignments(ctx.args.values)
    if not data.rows and not given:
        raise CommandUsageError(
            f"nothing to write: give field=value pairs or --data "
            f"(fields of {cls.resource_name}: {', '.join(sorted(cls.fields))})"
        )
    common = convert_values(cls, given, related.uri)
    if not data.rows:
        return [common], False
    rows, problems = [], []
    for number, row in enumerate(data.rows, 1):
        where = f"row {number}: " if data.several else ""
        try:
            full = {**_typed(cls, row, data.text, related, where), **common}
            if creating and data.several:
                _validate(cls, full)
        except MailRouteError as exc:  # a CommandUsageError among them
            text = str(exc)
            problems.append(text if text.startswith(where) else f"{where}{text}")
            continue
        rows.append(full)
    if len(problems) == 1:
        raise CommandUsageError(problems[0])
    if problems:
        raise CommandUsageError(f"{len(problems)} rows cannot be used; nothing was sent:", problems)
    return rows, data.several


def _typed(
    cls: type[Resource], row: dict[str, Any], text: bool, related: Related, where: str
) -> dict[str, Any]:
    """One row's values typed by the schema; unknown fields named with a suggestion."""
    unknown = sorted(set(row) - set(cls.fields))
    if unknown:
        raise CommandUsageError(
            "; ".join(
                f"{cls.resource_name} has no field {name!r}.{suggest(name, cls.fields)}"
                for name in unknown
            )
            + f" Fields: {', '.join(sorted(cls.fields))}"
        )
    if not text:
        return _related_json(cls, row, related, where)
    return {k: convert_value(cls, k, v, related.uri) for k, v in row.items()}


def _validate(cls: type[Resource], values: dict[str, Any]) -> None:
    """The schema's verdict on a row to create (types, read-only, required fields)."""
    model: Any = cls
    model._validate(model._encoded_values(values), creating=True, explicit_readonly=values)
