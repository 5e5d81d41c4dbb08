"""Speed and memory of mailroute_dyn against a bare httpx loop and slumber.

Run `python -m benchmarks` (or `python -m benchmarks --quick`); see benchmarks/README.md.
Not part of the test suite. All traffic stays on 127.0.0.1.
"""

HOST = "127.0.0.1"
LOGIN = "bench"
API_KEY = "bench-key-not-secret"
AUTH_HEADER = f"ApiKey {LOGIN}:{API_KEY}"
