"""Model: one class per resource, built at run time (its machinery is in `classes/`):
the writes (`naming`, `writes`, `getorcreate`, `rerun`, `bulk`, `bulkverbs`,
`classops`), the QuerySets users hold (`querysets`), the class-level surface
(`metaclass`, `shortcuts`), the objects (`identity`, `related`, `resources`) and the
client's model put together (`assemble`).
"""
