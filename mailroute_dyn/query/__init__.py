"""Query: Django's QuerySet over a Tastypie list endpoint, without I/O. `checks` checks
filters and orderings against the schema, `paging` reads list pages, `rows` says what
a row becomes, `build` makes the requests, `walk` walks a listing, `run` iterates and
answers one-request questions, `habits` adds Django's habits (last, in_bulk, delete,
update's matches, values rows), `views` shows rows, and `queryset` puts `BaseQuerySet`
together; `follow` and `frames` follow relations in values() and build DataFrames.
The QuerySets users hold drive it from the model layer (model/querysets.py).
"""
