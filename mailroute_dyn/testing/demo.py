"""A client on the fake server with the demo data packaged with mailroute_dyn."""

from __future__ import annotations

from typing import Any

from mailroute_dyn import Client

from ..fake.server import FakeMailRoute

__all__ = ["demo_client", "DEMO_URL", "DEMO_LOGIN", "DEMO_KEY"]

DEMO_URL = "https://demo.mailroute.test"
DEMO_LOGIN = "demo"
DEMO_KEY = "demo-key"


def demo_client(**kwargs: Any) -> Client:
    """A `Client` on a fresh `FakeMailRoute()`: no network, nothing written to disk.

    Keyword arguments go to `Client` and win over the demo's own (e.g. `page_size=5`, or
    `transport=FakeMailRoute(...)` for a fake you keep a handle on).
    """
    settings: dict[str, Any] = {
        "base_url": DEMO_URL, "login": DEMO_LOGIN, "api_key": DEMO_KEY,
        "cache_dir": None,
    }
    settings.update(kwargs)
    if "transport" not in settings:
        settings["transport"] = FakeMailRoute(login=settings["login"],
                                              api_key=settings["api_key"])
    return Client(**settings)
