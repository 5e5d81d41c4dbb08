"""`python -m mailroute_dyn.demo`: a short tour against the built-in demo server.

No credentials and no network: the demo server is the testing kit's fake Tastypie server
loaded with demo data that ships inside the package.
"""

from __future__ import annotations

from .testing.tour import tour


def main() -> int:
    """Run the tour; returns its exit status."""
    return tour()


if __name__ == "__main__":
    raise SystemExit(main())
