"""Transport: everything between a request as data and the bytes on the wire.

`decisions` builds requests and reads answers, and `tries` holds the redirect and
retry rules, as plain functions over data (no I/O); `sending`, `sockets` and `limits`
put one request through httpx with a deadline and a rate; `sessions` drives an
operation (a generator of requests) synchronously or with asyncio; `cache_files` is the
schema cache on disk the sessions write through; `interrupts` stops a batch of writes
cleanly.
"""
