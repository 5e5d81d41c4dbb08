"""Testing kit for mailroute_dyn: a fake Tastypie server, fault injection, fixture capture.

`mailroute_dyn` never imports this package. The fake server lives in `mailroute_dyn.fake`
(`Client.demo()` runs on it) and is re-exported here.

>>> from mailroute_dyn import Client
>>> from mailroute_dyn.testing import FakeMailRoute
>>> fake = FakeMailRoute()                      # the demo data packaged with mailroute_dyn
>>> client = Client(base_url="https://fake.mailroute.test", login="demo",
...                 api_key="demo-key", transport=fake, cache_dir=None)
>>> fake.fail_next("503")                       # the next request fails once
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import loaded_on_use

if TYPE_CHECKING:
    from ..fake.faults import FAULT_KINDS, Fault, FaultyTransport
    from ..fake.fixtures import check_rules, load_fixture, write_fixture
    from ..fake.server import DEMO_DATA, FakeMailRoute, SeenRequest
    from ..tools.capture import capture
    from .demo import demo_client

__all__ = [
    "FakeMailRoute",
    "SeenRequest",
    "Fault",
    "FAULT_KINDS",
    "FaultyTransport",
    "DEMO_DATA",
    "capture",
    "demo_client",
    "load_fixture",
    "write_fixture",
    "check_rules",
]

# Each name's module loads on its first use: the pytest plugin lives in this package, and
# a test run that never uses the fixtures must not pay for the fake server.
_HOME = {
    "FakeMailRoute": "..fake.server",
    "SeenRequest": "..fake.server",
    "DEMO_DATA": "..fake.server",
    "Fault": "..fake.faults",
    "FAULT_KINDS": "..fake.faults",
    "FaultyTransport": "..fake.faults",
    "load_fixture": "..fake.fixtures",
    "write_fixture": "..fake.fixtures",
    "check_rules": "..fake.fixtures",
    "capture": "..tools.capture",
    "demo_client": ".demo",
}


__getattr__, __dir__ = loaded_on_use(__name__, _HOME)
