"""`mailroute-dyn` (also `python -m mailroute_dyn` and `python -m mailroute_dyn.cli`): the API
from the command line. `app` runs one command; each other module is one group of commands."""

from .app import main

__all__ = ["main"]
