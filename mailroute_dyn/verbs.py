"""The one table of verbs: every public method that the sync and the async sibling of a
surface each hold (`QuerySet`/`AsyncQuerySet`, `ResourceMeta`/`AsyncResourceMeta` for the
class shortcuts `Domain.filter()`, `Resource`/`AsyncResource` for an object's own verbs).

The methods are written out once per sibling, so that help(), completion and a type
checker see real signatures and docstrings; tests/test_siblings.py holds them to this
table (each verb on both siblings, of the right kind, with the same parameters, and
nothing else public on a sibling), and tools/stubs.py writes a stub's verbs from it.
Adding a verb is one line here, then its method on each sibling.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Verb", "VERBS", "QUERYSET", "CLASS", "INSTANCE", "verbs_on", "SURFACES"]

QUERYSET = "queryset"  # QuerySet / AsyncQuerySet
CLASS = "class"  # ResourceMeta / AsyncResourceMeta: `Domain.count()`
INSTANCE = "instance"  # Resource / AsyncResource: `obj.save()`
SURFACES = (QUERYSET, CLASS, INSTANCE)


class Verb(NamedTuple):
    """One verb: its name, what it gives (as the sync sibling annotates it; `R` is the
    resource class's objects, `QS` the sibling's QuerySet), whether it sends requests
    (`sends`: a value at once on a `Client`, awaited on an `AsyncClient`; otherwise the
    same plain method on both) and the surfaces that have it."""

    name: str
    returns: str
    sends: bool
    on: frozenset[str]


_Q, _C, _I = frozenset({QUERYSET}), frozenset({CLASS}), frozenset({INSTANCE})
_QC = _Q | _C

VERBS: tuple[Verb, ...] = (
    # building a QuerySet: nothing is sent
    Verb("all", "QS", False, _QC),
    Verb("filter", "QS", False, _QC),
    Verb("exclude", "QS", False, _QC),  # always raises, saying why
    Verb("order_by", "QS", False, _QC),
    Verb("unchecked", "QS", False, _QC),
    Verb("page_size", "QS", False, _Q),
    Verb("concurrently", "QS", False, _Q),
    Verb("values", "ValuesQS", False, _QC),
    Verb("values_list", "ValuesQS", False, _QC),
    # answers
    Verb("count", "int", True, _QC),
    Verb("first", "R | None", True, _QC),
    Verb("last", "R | None", True, _QC),
    Verb("exists", "bool", True, _QC),
    Verb("get", "R", True, _QC),
    Verb("in_bulk", "dict[Any, R]", True, _QC),
    Verb("to_pandas", "Any", True, _QC),
    Verb("to_arrow", "Any", True, _QC),
    # writes
    Verb("get_or_create", "tuple[R, bool]", True, _QC),
    Verb("update_or_create", "tuple[R, bool]", True, _QC),
    Verb("update", "BulkResult", True, _Q),
    Verb("delete", "int | None", True, _Q),  # the list-level DELETE, guarded
    Verb("create", "R", True, _C),
    Verb("bulk_create", "BulkResult", True, _C),
    Verb("bulk_update", "BulkResult", True, _C),
    Verb("bulk_delete", "BulkResult", True, _C),
    # an object's own
    Verb("save", "Self", True, _I),
    Verb("delete", "None", True, _I),
    Verb("refresh", "Self", True, _I),
    Verb("fetch", "Any", True, _I),
)


def verbs_on(surface: str) -> dict[str, Verb]:
    """The verbs of one surface, by name."""
    return {verb.name: verb for verb in VERBS if surface in verb.on}
