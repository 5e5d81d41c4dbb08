"""Django's QuerySet habits, where Tastypie allows them: `last()`, `in_bulk()`,
`update()` and the list-level `delete()`, as operations, and the row shapes of
`values()`/`values_list()`; `exclude()` refuses with the reason.

Each is built from the runner's operations, so sync and async QuerySets share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, Self, TypeVar

from ..errors import (
    FilterError,
    GuardError,
    ListingChanged,
    MailRouteError,
    NotFound,
    ResponseError,
)
from ..operations import Batch, Call, Operation
from ..schema.rules import allowed_terms, check_method
from .build import key_url
from .checks import update_check
from .paging import read_page
from .rows import OBJECT_ROWS, ValueRows, shape_of
from .run import QueryRunner

__all__ = ["DjangoHabits", "BulkResult", "ROW_KINDS"]

R = TypeVar("R")  # what a QuerySet yields: objects of one resource class

LAST_TRIES = 5  # counts and fetches last() makes while rows come and go


#: What became of a row that did not fail: `created`, `updated`, `unchanged` (nothing to
#: send), `exists` (a keyed create found it), `deleted`, `gone` (a delete found nothing).
ROW_KINDS = ("created", "updated", "unchanged", "exists", "deleted", "gone")


class BulkResult:
    """What a bulk write did, object by object: `succeeded` (every row that did not
    fail; `created`, `updated`, `unchanged`, `exists`, `deleted` and `gone` split them
    by what became of them), `failed` (object, error) pairs, `not_started`: the objects
    an interruption kept from being sent (see `Interrupted`), and `skipped`: rows a
    resumed journal showed done already."""

    __slots__ = ("succeeded", "failed", "not_started", "skipped", "_kinds")

    def __init__(
        self,
        succeeded: list[Any] | None = None,
        failed: list[tuple[Any, MailRouteError]] | None = None,
        not_started: list[Any] | None = None,
    ):
        self.succeeded: list[Any] = [] if succeeded is None else succeeded
        self.failed: list[tuple[Any, MailRouteError]] = [] if failed is None else failed
        self.not_started: list[Any] = [] if not_started is None else not_started
        self.skipped: list[Any] = []
        self._kinds: dict[str, list[Any]] = {kind: [] for kind in ROW_KINDS}

    def add(self, item: Any, kind: str) -> None:
        """Record a row that did not fail, as `kind` (one of `ROW_KINDS`)."""
        self.succeeded.append(item)
        self._kinds[kind].append(item)

    @property
    def created(self) -> list[Any]:
        """Rows created."""
        return self._kinds["created"]

    @property
    def updated(self) -> list[Any]:
        """Rows whose changed fields were sent."""
        return self._kinds["updated"]

    @property
    def unchanged(self) -> list[Any]:
        """Rows that already held the values: nothing was sent."""
        return self._kinds["unchanged"]

    @property
    def exists(self) -> list[Any]:
        """Rows a keyed create found already there (`on_conflict="skip"`)."""
        return self._kinds["exists"]

    @property
    def deleted(self) -> list[Any]:
        """Rows deleted."""
        return self._kinds["deleted"]

    @property
    def gone(self) -> list[Any]:
        """Rows a delete found already gone (`missing_ok=True`)."""
        return self._kinds["gone"]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BulkResult):
            return NotImplemented
        return (self.succeeded, self.failed, self.not_started) == (
            other.succeeded,
            other.failed,
            other.not_started,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like the lists it holds

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def raise_first(self) -> None:
        """Raise the first failure's error, if any."""
        if self.failed:
            raise self.failed[0][1]

    def __repr__(self) -> str:
        stopped = f", {len(self.not_started)} not started" if self.not_started else ""
        stopped += f", {len(self.skipped)} skipped" if self.skipped else ""
        return f"<BulkResult {len(self.succeeded)} succeeded, {len(self.failed)} failed{stopped}>"


class DjangoHabits(QueryRunner[R]):
    """Django's habits on a QuerySet, as operations over its runner."""

    def _values_rows(self, names: tuple[str, ...]) -> ValueRows:
        return ValueRows(shape_of(self._model, "dict", names, False))

    def _values_list_rows(self, names: tuple[str, ...], flat: bool) -> ValueRows:
        if flat and len(names) != 1:
            raise TypeError("values_list(flat=True) takes exactly one field name.")
        return ValueRows(shape_of(self._model, "tuple", names, flat))

    def _last(self) -> Operation[R | None]:
        if self._q.order and not self._q.start and self._q.stop is None:
            flipped = tuple(k[1:] if k.startswith("-") else f"-{k}" for k in self._q.order)
            return (yield from self._clone(order=flipped)._first())
        total = yield from self._total()
        for _ in range(LAST_TRIES):
            window = self._window(total)
            if not window:
                return None
            offset = self._q.start + window - 1
            page, objects = yield from self._fetch(self._first_call(limit=1, offset=offset))
            if page.total_count is not None and self._window(page.total_count) != window:
                total = page.total_count  # rows came or went since the count: again
                continue
            if objects or page.total_count is None:  # (no total: nothing to check)
                found: R | None = objects[0] if objects else None
                return found
            raise ResponseError(
                f"GET {self._model._list_url}: the server counts {page.total_count} "
                f"{self._model._schema.name} rows but lists none at offset {offset}; "
                "it does not page as it says."
            )
        raise ListingChanged(
            f"last() on {self!r}: the listing changed between each count and fetch "
            f"({LAST_TRIES} tries); the last object could not be pinned down."
        )

    def _last_op(self) -> Operation[R | None]:
        row = yield from self._last()
        return None if row is None else self._emit(row)

    def exclude(self, **lookups: Any) -> Self:
        """Not available: Tastypie has no negated filters, and sending `exclude` terms
        would be ignored by the server (matching everything). Always raises."""
        raise FilterError(
            f"exclude({', '.join(lookups)}) has no Tastypie equivalent: the server has no "
            "negated filters. Filter for what you want instead (e.g. active=False, "
            "name__in=[...]), or drop objects in Python: [o for o in qs if ...]."
        )

    def _in_bulk_op(
        self, id_list: Iterable[Any] | None, field_name: str
    ) -> Operation[dict[Any, R]]:
        schema = self._model._schema
        # (None for "pk" when the schema names no primary key)
        name: Any = schema.primary_key if field_name == "pk" else field_name
        f = schema.fields.get(name)
        if name != schema.primary_key and (f is None or not f.unique):
            raise FilterError(
                f"in_bulk() needs a unique field; {name!r} is not one of "
                f"{self._model._schema.name}'s."
            )
        if id_list is None:
            parts = [self]
        else:
            keys = list(dict.fromkeys(id_list))
            if (
                name == schema.primary_key
                and self._plain()
                and (f is None or "in" not in allowed_terms(schema, f))
            ):
                # no `pk__in` filter (MailRoute's domain): the detail URLs, concurrently
                return self._in_bulk_by_detail(keys)
            parts = [
                self.filter(**{f"{name}__in": keys[i : i + 100]}) for i in range(0, len(keys), 100)
            ]
        return self._in_bulk(parts, name)

    def _in_bulk_by_detail(self, keys: list[Any]) -> Operation[dict[Any, R]]:
        check_method(self._model._schema, "get", detail=True)
        if not keys:
            return {}
        calls = tuple(
            Call("GET", key_url(self._model._list_url, key, self._model._schema.name))
            for key in keys
        )
        replies = yield Batch(calls)
        found: dict[Any, R] = {}
        for key, reply in zip(keys, replies, strict=True):
            if isinstance(reply, NotFound):
                continue  # absent keys are absent, as in Django
            if isinstance(reply, MailRouteError):
                raise reply
            if not isinstance(reply.body, dict):
                raise ResponseError(f"GET {reply.url}: expected an object")
            obj = (yield from self._wrap_page([reply.body]))[0]
            found[obj.get_raw(self._model._schema.primary_key, key)] = self._emit(obj)
        return found

    @staticmethod
    def _in_bulk(parts: list[DjangoHabits[R]], name: str) -> Operation[dict[Any, R]]:
        found: dict[Any, R] = {}
        for qs in parts:
            for obj in (yield from qs._collect()):
                found[obj.get_raw(name)] = qs._emit(obj)
        return found

    def _delete(self, everything: bool) -> Operation[int | None]:
        check_method(self._model._schema, "delete", detail=False)
        yield from self._prepare()
        # Tastypie's list DELETE answers 204 with no count: count the same filters first
        if everything:
            matched = read_page((yield self._first_call(limit=1, offset=0))).total_count
        else:
            matched = yield from self._narrower_count()
        params = self._params(0, 0)[:-2]
        yield Call("DELETE", self._model._list_url, params)
        return matched

    def _narrower_count(self) -> Operation[int]:
        """How many rows the filters match, once the resource's whole count shows that
        they leave at least one row out; `GuardError` otherwise (nothing is deleted).

        The whole count is asked first: a row added between the two counts can only
        make a refusal likelier, never let a filter that matches everything through."""
        name = self._model._schema.name
        everything = Call("GET", self._model._list_url, (("limit", "1"), ("offset", "0")))
        whole = read_page((yield everything)).total_count
        matched = read_page((yield self._first_call(limit=1, offset=0))).total_count
        if whole is None or matched is None:
            raise GuardError(
                f"Refusing a list-level DELETE of {name}: the server gives no total_count, "
                f"so the client cannot tell whether {self._filters_text()} leave any row "
                "out. Nothing was deleted; delete(confirm='all') deletes every match anyway."
            )
        if matched and matched >= whole:
            raise GuardError(
                f"Refusing a list-level DELETE: {self._filters_text()} match all {matched} "
                f"{name} objects, the whole resource ({whole} counted just now). Nothing "
                f"was deleted. If every {name} is meant, say so: delete(confirm='all')."
            )
        return matched

    def _filters_text(self) -> str:
        return ", ".join(f"{c.param}={c.value!r}" for c in self._q.filters)

    def _checked_delete(self, confirm: bool | Literal["all"]) -> Operation[int | None]:
        """The list-level DELETE, once every guard has passed (else nothing is sent)."""
        if not self._q.filters:
            raise GuardError(
                "Refusing a list-level DELETE without a filter: Tastypie would delete every "
                f"{self._model._schema.name}. Add a filter() (unchecked() does not count)."
            )
        if all(c.matches_all for c in self._q.filters):
            why = "; ".join(f"{c.param}: {c.matches_all}" for c in self._q.filters)
            raise GuardError(
                "Refusing a list-level DELETE whose filters match every row by construction "
                f"({why}): Tastypie would delete every {self._model._schema.name}. "
                "Nothing was sent."
            )
        if confirm is not True and confirm != "all":
            given = "" if confirm is False else f" (not confirm={confirm!r})"
            raise GuardError(
                f"A list-level DELETE needs confirm=True, or confirm='all' "
                f"when every row may go{given}; nothing was sent."
            )
        if self._q.start or self._q.stop is not None or self._q.order:
            raise GuardError(
                "A list-level DELETE ignores slicing and ordering; refusing a "
                "sliced or ordered QuerySet so no more is deleted than was meant."
            )
        return self._delete(everything=confirm == "all")

    def _update_matches(self, fields: dict[str, Any]) -> Operation[list[Any]]:
        """The objects `update(**fields)` will save, read whole as instances (whatever
        rows this QuerySet gives), once everything that can be checked is checked."""
        if not fields:
            raise TypeError("update() needs at least one field=value.")
        if self._q.url is not None:
            raise GuardError("update() works on a resource's QuerySet, not client.list().")
        update_check(self._model, fields)
        return type(self)(self._model, self._q, OBJECT_ROWS)._collect()
