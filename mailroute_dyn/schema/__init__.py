"""Schema: what the server says its resources are. `discovery` reads `/api/v1/` and
each `/schema/`, `definition` turns one schema into data (fields, filter and
ordering rules, methods), `conversions` moves values between JSON and Python.
"""
