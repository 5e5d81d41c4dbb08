"""Query: Django's QuerySet over a Tastypie list endpoint. `build` checks filters,
ordering and slices and makes the requests, `paging` reads list pages, `run`
iterates and answers one-request questions, `habits` adds Django's habits
(last, in_bulk, update, delete, values rows), `queryset` puts the public classes
together; `display`, `follow` and `frames` show rows in notebooks, follow
relations in values() and build DataFrames.
"""
