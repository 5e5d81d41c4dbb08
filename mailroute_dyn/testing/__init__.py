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

from ..fake.faults import FAULT_KINDS, Fault, FaultyTransport
from ..fake.fixtures import check_rules, load_fixture, write_fixture
from ..fake.server import DEMO_DATA, FakeMailRoute, SeenRequest
from ..tools.capture import capture
from .demo import demo_client

__all__ = ["FakeMailRoute", "SeenRequest", "Fault", "FAULT_KINDS", "FaultyTransport",
           "DEMO_DATA", "capture", "demo_client", "load_fixture", "write_fixture",
           "check_rules"]
