"""BaseQuerySet: Django's lazy, immutable query surface over a Tastypie list endpoint,
without I/O.

A QuerySet holds checked filters, orderings and a slice; nothing is sent until it is
iterated, counted or asked for an object. Its jobs live in the modules before this one,
in the order data flows: rows.py (what each row becomes: an instance, or raw values),
build.py (filters, ordering, slices, the requests they make), run.py (the operations
of iteration and the one-request answers), habits.py (Django's habits: last, in_bulk,
delete, the matches of update), views.py (notebook, rich, pandas). `BaseQuerySet` is
all of them: it builds requests and reads answers as operations. Its two siblings,
which drive those operations and add the habits that write (`update()`,
`get_or_create()`), are the model layer's (model/querysets.py), as Django's `QuerySet`
sits beside its models.
"""

from __future__ import annotations

from typing import TypeVar

from .views import QueryViews

__all__ = ["BaseQuerySet"]

R = TypeVar("R")  # what a QuerySet yields: objects of one resource class


class BaseQuerySet(QueryViews[R]):
    """What both QuerySets share: building (`filter()`, `order_by()`, slices), the
    operations their answers run, and how they show (views.py); nothing here sends a
    request. Model code that only runs a lookup's operations uses it as it is."""
