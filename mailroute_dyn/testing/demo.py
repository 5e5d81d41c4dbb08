"""A client on the fake server with the demo data packaged with mailroute_dyn."""

from __future__ import annotations

from typing import Any

from ..client import Client

__all__ = ["demo_client"]


def demo_client(**kwargs: Any) -> Client:
    """`Client.demo(**kwargs)`, under the name the testing kit has always offered."""
    return Client.demo(**kwargs)
