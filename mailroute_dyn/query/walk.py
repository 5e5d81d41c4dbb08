"""The walk over a whole listing, page by page.

A walk goes by key (`field__gt=<last>`), by offsets fetched concurrently once the first
page gives the total, or by following `meta.next`; it checks what it saw and passes over
a listing again when it changed under it (see `Walk`). Nothing here sends a request: the
QuerySet runs the calls a walk asks for, on either client.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from itertools import repeat
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import APIError, ListingChanged, MailRouteError, ResponseError
from ..escaping import library_log
from ..operations import Call
from ..settings.urls import masked_url
from ..vocabulary import REWRITTEN_VALUES
from .build import QueryBuilder, plain_value
from .paging import Page

__all__ = ["Walk", "STALE_PAGES", "MAX_PASSES", "FRUITLESS_PASSES"]

STALE_PAGES = 3  # pages in a row with nothing new before a walk gives up
MAX_PASSES = 32  # passes over a listing that keeps changing (deletes halve it)
FRUITLESS_PASSES = 3  # passes in a row that saw changes but found nothing new
#: Answers to a key walk's first page that mean "this listing cannot be ordered so" (a
#: bad ordering, or a 500 such as an authorization handing Tastypie a plain list); a
#: 502/503/504 is transient and is retried by the session, never taken as such.
UNORDERABLE = (400, 500)


log = library_log()

#: What a next link may change: the window, and the order (which cannot widen a match).
_WINDOW = frozenset({"limit", "offset", "order_by"})


def _query_kept(page: Page) -> bool:
    """Whether the page's `meta.next` is its own list with its own filters (any window):
    a link that drops, changes or adds a filter, or names another list, would walk
    objects the caller never asked for (and `for o in qs: o.delete()` would delete them)."""

    def path_and_query(url: str) -> tuple[str, list[tuple[str, str]]]:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        return parts.path, sorted(p for p in pairs if p[0] not in _WINDOW)

    return not page.url or path_and_query(page.url) == path_and_query(page.next_url or "")


def _in_key_order(keys: list[Any], descending: bool) -> bool:
    """Whether a page came sorted by its key, as a database may sort it (strings with or
    without case)."""
    if None in keys:
        return False
    try:  # sorting a sorted list is one C-level pass (timsort)
        if keys == sorted(keys, reverse=descending):
            return True
        if set(map(type, keys)) != {str}:
            return False
        folded = [k.casefold() for k in keys]  # a database may sort text without case
        return folded == sorted(folded, reverse=descending)
    except TypeError:
        return False


def _each_beyond(keys: list[Any], last: Any, descending: bool) -> bool:
    """Whether each key comes strictly after the one before it, and the first after
    `last` (None: nothing before): then no key on the page is one seen before."""
    beyond = operator.gt if descending else operator.lt  # beyond(a, b): b after a
    try:
        return (last is None or beyond(last, keys[0])) and all(map(beyond, keys, keys[1:]))
    except TypeError:  # None, or keys of types that do not compare
        return False


def _uris_of(raws: list[dict[str, Any]], objects: list[Any]) -> list[Any]:
    """Each object's URI: as sent, or as built where the list sends none
    (`include_resource_uri = False`); None where there is none."""
    uris: list[Any] = list(map(dict.get, raws, repeat("resource_uri")))
    if set(map(type, uris)) != {str}:
        uris = [o.resource_uri for o in objects]
    return uris


class Walk:
    """Where one iteration stands: what was seen, how many are left, which pages next.

    Three ways to walk: by key (`field__gt=<last>`, safe against inserts and deletes
    during the walk), by offsets fetched concurrently once the first page gives the total,
    or by following `meta.next` (anything else, including lists of unknown shape).

    An offset walk shifts when rows before it are deleted or inserted meanwhile: rows slip
    between pages. Each pass checks what it saw (the same `total_count` on every page, as
    many rows as that total, no object on two pages); a pass that saw the listing change is
    followed by another that yields only objects not yielded yet, until one pass sees a
    still listing. So an object present for the whole walk is yielded, and none twice.
    """

    def __init__(self, qs: QueryBuilder[Any], concurrency: int):
        self.qs = qs
        self.concurrency = concurrency
        self.left = None if qs._q.stop is None else qs._q.stop - qs._q.start
        self.keyset = qs._keyset_field() if concurrency <= 1 else None
        self.last_raw: Any = None
        first = qs._first_call()
        self.ordered_by_walk = bool(self.keyset and not qs._q.order)  # not by the caller
        if self.keyset and self.ordered_by_walk:
            first = Call(first.method, first.url, _with(first.params, "order_by", self.keyset[0]))
        self.first = first
        # passes again over the listing only make sense for a whole offset walk whose
        # objects can be told apart (by resource_uri)
        self.repairable = self.keyset is None and qs._q.start == 0
        self.given: set[str] = set()  # objects yielded so far (offset walks)
        self.passes = 0
        self.fruitless = 0  # passes in a row that saw changes and found nothing
        self._new_pass()

    def _new_pass(self) -> None:
        self.passes += 1
        self.streaming = False  # offsets known: the rest goes to a sliding window
        self.plan: range = range(0)
        self.exhausted = False  # the listing ended (or shrank under the plan)
        # objects of this pass (of this page, by key); the first pass's are also `given`
        self.seen: set[str] = set() if self.passes > 1 else self.given
        self.previous: set[str] = set()  # by key: the objects of the page before
        #: by key: the page before, raw and built (its URIs are needed only when a page
        #: is not the usual one), and whether every key yielded is up to `last_raw`
        self.before: tuple[list[dict[str, Any]], list[Any]] = ([], [])
        self.keys_bound = True
        self.visited: set[str] = set()
        self.totals: set[int] = set()
        self.rows = 0
        self.overlap = False
        self.fresh = 0  # objects the latest pages brought that were new
        self.stale = 0  # pages in a row that brought nothing new
        self.found = 0  # objects this pass yielded for the first time

    def first_calls(self) -> list[Call]:
        return [self.first]

    def instead_of_failed(self, calls: list[Call], exc: MailRouteError) -> list[Call] | None:
        """What to ask instead of `calls`, which failed with `exc` (None: nothing, let it
        raise). A request the caller did not ask for must not turn a working listing into
        an error: when the first page of a key walk, ordered by the walk itself, is
        refused with a 400 or 500, the listing is asked for as the caller wrote it and
        walked by `meta.next`, and the resource is not walked by key again."""
        if not (
            self.keyset
            and self.ordered_by_walk
            and calls == [self.first]
            and self.passes == 1
            and not self.rows
            and isinstance(exc, APIError)
            and exc.status_code in UNORDERABLE
        ):
            return None
        model = self.qs._model
        why = (
            f"its list answered {exc.status_code} when the client ordered it by "
            f"{self.keyset[0]!r} to walk it by key"
        )
        log.warning(
            "%s: %s; it is walked by meta.next instead, for this client's lifetime.",
            model._schema.name,
            why,
        )
        model._catalogue.no_key_walk[model._schema.name] = why  # by meta.next from now on
        self.keyset, self.ordered_by_walk = None, False
        self.first = self.qs._first_call()
        self.repairable = self.qs._q.start == 0
        return [self.first]

    @property
    def done(self) -> bool:
        return self.left is not None and self.left <= 0

    def take(self, page: Page, objects: list[Any]) -> list[Any]:
        """The objects of `page` (built as `objects`, one per raw object) to yield, in
        order: none seen before, none past a slice's end. Checks are made on the page's
        raw data and, in the usual case, as whole-page operations."""
        raws = page.objects
        if page.total_count is not None:
            self.totals.add(page.total_count)
        self.rows += len(raws)
        if not raws:
            self.exhausted = True
        if self.keyset and objects:  # only the page's last key matters for the next one
            name, descending = self.keyset
            keys = list(map(dict.get, raws, repeat(name)))
            fresh_keys = self.keys_bound and _each_beyond(keys, self.last_raw, descending)
            if fresh_keys and self.left is None:
                # the usual key page: each key unique and past every key yielded before
                # (all up to `last_raw`), so each object is new, told apart by its key
                self.last_raw, self.before = keys[-1], (raws, objects)
                return self._all_new(objects)
            # a key repeated (a join) or not past the last page's: told apart by URI
            self.keys_bound = False
            if _in_key_order(keys, descending):
                self.last_raw = keys[-1]
                # the next page starts strictly after this key, so a row repeated by a join
                # can only repeat within this page: remembering one page keeps memory flat
                # (and one on the page before means the server ignored the key filter)
                self.previous, self.seen = set(_uris_of(*self.before)), set()
                self.before = (raws, objects)
            else:
                # the server did not sort by the key: "after the last key" would skip rows,
                # so the rest of the walk follows meta.next (offsets within this filter)
                self.keyset = None
                self.seen |= set(_uris_of(*self.before))
        uris = _uris_of(raws, objects)
        seen = self.seen
        if self.left is None and self.passes == 1 and None not in uris:
            on_page = set(uris)
            if (
                len(on_page) == len(uris)
                and on_page.isdisjoint(seen)
                and on_page.isdisjoint(self.previous)
            ):
                seen |= on_page  # the usual page: every object new, once
                return self._all_new(objects)
        return self._take_each(objects, uris)

    def _all_new(self, objects: list[Any]) -> list[Any]:
        """`take` of a page whose objects are each new: all of them."""
        self.fresh += len(objects)
        self.found += len(objects)
        self.stale = 0
        return objects

    def _take_each(self, objects: list[Any], uris: list[Any]) -> list[Any]:
        """`take` object by object: repeats within the page or from before, a second
        pass, a slice's end."""
        seen, on_page = self.seen, set()
        out: list[Any] = []
        new = False
        for obj, uri in zip(objects, uris, strict=True):
            if self.left is not None and self.left <= 0:
                return out  # the slice is full: nothing more to judge
            if uri is None:  # nothing tells such objects apart: no second pass
                self.repairable = False
            else:
                if uri in seen or uri in self.previous:
                    self.overlap = self.overlap or uri not in on_page
                    continue
                seen.add(uri)
                on_page.add(uri)
            new = True
            self.fresh += 1
            if uri is not None and self.passes > 1:
                if uri in self.given:
                    continue  # yielded by an earlier pass
                self.given.add(uri)
            self.found += 1
            if self.left is not None:
                self.left -= 1
            out.append(obj)
        self.stale = 0 if new or not objects else self.stale + 1
        if self.stale >= STALE_PAGES:
            raise ResponseError(
                f"GET {self.first.url}: {self.stale} pages in a row brought nothing new; the "
                "server does not seem to honour offset or its next links. Stopping here."
            )
        return out

    def next_calls(self, pages: list[tuple[Page, list[Any]]]) -> list[Call]:
        last = pages[-1][0]
        if (self.left is not None and self.left <= 0) or not last.objects:
            return []
        if self.concurrency > 1 and last.total_count is not None:
            size = last.limit or len(last.objects)
            end = last.total_count
            if self.left is not None:
                end = min(end, last.offset + len(last.objects) + self.left)
            self.streaming = True
            self.plan = range(last.offset + size, end, size)
            return []
        fresh, self.fresh = self.fresh, 0
        if self.keyset and isinstance(self.last_raw, str) and self.last_raw in REWRITTEN_VALUES:
            # Tastypie would read `key__gt=true` as `key__gt=True`: follow meta.next instead
            self.keyset = None
        if not last.next_url:
            self.exhausted = True
            return []
        if self.keyset and self.last_raw is not None:
            if not fresh:
                raise ResponseError(
                    f"GET {self.first.url}: the server answered a key-ordered page with "
                    "nothing new; it does not seem to honour the filter. Stopping here."
                )
            return [_after_key(self.first, self.keyset, self.last_raw)]
        if last.next_url in self.visited:
            raise ResponseError(
                f"The list at {self.first.url} links back to a page it "
                "already gave (meta.next loops); stopping."
            )
        if not _query_kept(last):
            raise ResponseError(
                f"The list at {self.first.url}: its meta.next {masked_url(last.next_url)!r} "
                "does not keep the page's own list and query; not followed (it would list "
                "objects the query does not ask for). Stopping."
            )
        self.visited.add(last.next_url)
        return [Call("GET", last.next_url)]

    def planned(self) -> Iterator[Call]:
        """The offsets still to fetch, one at a time as the window has room (a huge
        `total_count` plans nothing ahead), until the listing turns out shorter."""
        for offset in self.plan:
            if self.exhausted or self.done:
                return
            yield Call("GET", self.first.url, _with(self.first.params, "offset", str(offset)))

    def again(self) -> bool:
        """Whether to pass over the listing once more because it changed under this pass;
        `ListingChanged` when it keeps changing."""
        if self.done or not self.repairable:
            return False
        total = next(iter(self.totals)) if len(self.totals) == 1 else None
        still = len(self.totals) <= 1 and not self.overlap and (total is None or self.rows == total)
        if still:
            return False
        if self.passes > 1 and not self.found and len(self.totals) <= 1:
            return False  # the same listing again: rows repeated by joins
        self.fruitless = 0 if self.found else self.fruitless + 1
        if self.fruitless >= FRUITLESS_PASSES or self.passes >= MAX_PASSES:
            raise ListingChanged(
                f"The list at {self.first.url} kept changing during {self.passes} passes "
                f"(total_count {sorted(self.totals)}); some objects present all along may "
                "not have been yielded."
            )
        self._new_pass()
        return True


def _after_key(first: Call, keyset: tuple[str, bool], last: Any) -> Call:
    """The call for the page after key `last` of a walk by key that started with `first`."""
    name, descending = keyset
    params = _with(first.params, "offset", "0")
    params += ((f"{name}__{'lt' if descending else 'gt'}", plain_value(last)),)
    return Call("GET", first.url, params)


def _with(
    params: tuple[tuple[str, str], ...], name: str, value: str
) -> tuple[tuple[str, str], ...]:
    """`params` with `name` set to `value` (replacing it, or added before limit/offset)."""
    if any(k == name for k, _ in params):
        return tuple((k, value if k == name else v) for k, v in params)
    head = tuple(p for p in params if p[0] not in ("limit", "offset"))
    tail = tuple(p for p in params if p[0] in ("limit", "offset"))
    return head + ((name, value),) + tail
