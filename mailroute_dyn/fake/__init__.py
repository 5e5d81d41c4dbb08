"""A fake Tastypie server (an httpx transport) holding the demo data that ships with the
package, or any fixtures folder; with fault injection.

It imports nothing of the client, so the client builds `Client.demo()` on it and the
testing kit (`mailroute_dyn.testing`) re-exports it for tests. Its modules load on first
use of a name below, so `import mailroute_dyn` does not pay for a server it may never run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import loaded_on_use

if TYPE_CHECKING:
    from .faults import FAULT_KINDS, Fault, FaultyTransport
    from .fixtures import check_rules, load_fixture, write_fixture
    from .server import DEMO_DATA, FakeMailRoute, SeenRequest

__all__ = [
    "FakeMailRoute",
    "SeenRequest",
    "Fault",
    "FAULT_KINDS",
    "FaultyTransport",
    "DEMO_DATA",
    "load_fixture",
    "write_fixture",
    "check_rules",
    "DEMO_URL",
    "DEMO_LOGIN",
    "DEMO_KEY",
]

# where `Client.demo()` says it connects, and the credentials the demo server accepts
DEMO_URL = "https://demo.mailroute.test"
DEMO_LOGIN = "demo"
DEMO_KEY = "demo-key"

_HOME = {
    "FakeMailRoute": ".server",
    "SeenRequest": ".server",
    "DEMO_DATA": ".server",
    "Fault": ".faults",
    "FAULT_KINDS": ".faults",
    "FaultyTransport": ".faults",
    "load_fixture": ".fixtures",
    "write_fixture": ".fixtures",
    "check_rules": ".fixtures",
}


__getattr__, __dir__ = loaded_on_use(__name__, _HOME)
