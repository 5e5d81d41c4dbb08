"""The package's version, written once (pyproject.toml) and read from the installed
distribution's metadata: `mailroute_dyn.__version__`, the command line's `--version` and the
User-Agent of every request say the same, and a release changes one line.

Read on first use, not at import: `importlib.metadata` costs a few milliseconds that
`import mailroute_dyn` and the pytest plugin's start should not pay.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["DISTRIBUTION", "UNKNOWN_VERSION", "package_version", "user_agent"]

#: The name pip installs the package under (pyproject.toml's `project.name`).
DISTRIBUTION = "mailroute_dyn"
#: What a checkout that was never installed reports (PEP 440 local version: sorts first).
UNKNOWN_VERSION = "0+unknown"


@functools.cache
def package_version() -> str:
    """The installed distribution's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # imported from a source tree nobody installed
        return UNKNOWN_VERSION


def user_agent() -> str:
    """The User-Agent header of every request: the package, its version, the HTTP library."""
    return f"mailroute_dyn/{package_version()} (+httpx)"


def __getattr__(name: str) -> Any:
    """`__version__`, read when asked for (`mailroute_dyn.__version__` comes here)."""
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
