"""Model: one class per resource, built at run time. Writes and their checks
(`validation`, `detailuri`, `naming`, `rerun`, `bulk`, `writes`), the objects
(`fieldread`, `pagebuild`, `related`, `resources`), the class-level surface
(`metaclass`, `modelhooks`) and the `registry` that builds every class of a client.
"""
