"""How a QuerySet shows, without sending anything itself: the table a notebook shows
(Jupyter, IPython), what rich's pretty printer shows, and the DataFrame of `to_pandas()`
made from rows another part has read. The sync QuerySet (query.py) sends the one
request a notebook preview costs; an AsyncClient's shows a note instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar, cast

from ..schema.display import PREVIEW_ROWS, rows_html
from ..vocabulary import looks_secret
from .follow import followed_field, split_followed
from .frames import frame, require
from .habits import DjangoHabits
from .paging import Page
from .rows import ValueRows

__all__ = ["QueryViews", "no_waiting_html"]

R = TypeVar("R")  # what a QuerySet yields: objects of one resource class


class QueryViews(DjangoHabits[R]):
    """A QuerySet's views: notebook, rich and pandas."""

    # -- how it shows in a notebook (Jupyter, IPython) and in rich

    def _preview_limit(self) -> int:
        if self._q.stop is None:
            return PREVIEW_ROWS
        return max(0, min(PREVIEW_ROWS, self._q.stop - self._q.start))

    def _preview_html(self, limit: int, page: Page, items: list[Any]) -> str:
        rows = [self._rows.display(item) for item in items]
        total = "?" if page.total_count is None else page.total_count
        note = (
            f"{len(rows)} shown of {total} matching. Showing this sent one request "
            f"(limit={limit}), as Django's repr evaluates a slice; iterate, or use "
            "values() or to_pandas(), for every row."
        )
        return rows_html(repr(self), self._display_columns(rows), rows, note)

    def _display_columns(self, rows: list[dict[str, Any]]) -> list[str]:
        shape = self._rows.shape
        if shape is not None and not shape.every:
            return list(shape.names)
        fields = list(self._model._schema.fields)
        extra = [k for row in rows for k in row if k not in fields]
        return fields + list(dict.fromkeys(extra)) if fields else list(dict.fromkeys(extra))

    def __rich_repr__(self) -> Iterator[Any]:
        """What rich's pretty printer shows: the resource and the query (no request)."""
        yield self._model._schema.name
        for check in self._q.filters:
            yield check.param, check.value
        for key, value in self._q.raw_params:
            yield key, "***" if looks_secret(key) else value
        if self._q.order:
            yield "order_by", list(self._q.order)

    # -- into pandas and Arrow (the `pandas` and `arrow` extras)

    def _frame_source(self, names: tuple[str, ...]) -> Any:
        """The values rows a DataFrame is read from: `names`, else this QuerySet's own."""
        require("pandas", "pandas", "to_pandas()")  # before any request
        shape = self._rows.shape
        if not names and shape is not None and not shape.every:
            names = shape.names
        rows = self._values_rows(names)
        return type(self)(self._model, self._q, rows)

    def _frame(self, source: Any, rows: list[dict[str, Any]]) -> Any:
        model = self._model
        names = cast(ValueRows, source._rows).shape.names
        fields = {
            name: model._schema.fields.get(name)
            or (followed_field(model, name) if split_followed(name) else None)
            for name in names
        }
        return frame(model._schema.name, names, rows, fields)


def no_waiting_html(qs: Any) -> str:
    """What a notebook shows of an AsyncClient's QuerySet: no rows, and why."""
    return rows_html(
        repr(qs),
        [],
        [],
        "An AsyncClient cannot wait inside a display: "
        "await qs[:10] (or async for) to see the rows.",
    )
