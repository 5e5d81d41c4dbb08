"""Model: one class per resource, built at run time (its machinery is in `classes/`):
the writes (`rerun`, `bulk`, `writes`, `naming`), the objects (`pagebuild`, `related`,
`identity`, `resources`), the class-level surface (`metaclass`, `shortcuts`,
`modelhooks`) and the client's model put together (`assemble`).
"""
