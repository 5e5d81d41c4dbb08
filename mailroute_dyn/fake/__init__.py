"""A fake Tastypie server (an httpx transport) holding the demo data that ships with the
package, or any fixtures folder; with fault injection.

It imports nothing of the client, so the client builds `Client.demo()` on it and the
testing kit (`mailroute_dyn.testing`) re-exports it for tests.
"""

from .faults import FAULT_KINDS, Fault, FaultyTransport
from .fixtures import check_rules, load_fixture, write_fixture
from .server import DEMO_DATA, FakeMailRoute, SeenRequest

__all__ = ["FakeMailRoute", "SeenRequest", "Fault", "FAULT_KINDS", "FaultyTransport",
           "DEMO_DATA", "load_fixture", "write_fixture", "check_rules", "DEMO_URL",
           "DEMO_LOGIN", "DEMO_KEY"]

# where `Client.demo()` says it connects, and the credentials the demo server accepts
DEMO_URL = "https://demo.mailroute.test"
DEMO_LOGIN = "demo"
DEMO_KEY = "demo-key"
