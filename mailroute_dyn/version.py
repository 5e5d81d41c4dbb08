"""The package's version, written once (pyproject.toml) and read from the installed
distribution's metadata: `mailroute_dyn.__version__`, the command line's `--version` and the
User-Agent of every request say the same, and a release changes one line.

Read on first use, not at import, and from the `*.dist-info` folder itself where that is
plain: importing `importlib.metadata` costs about 10 ms, half of what making a client costs
beyond httpx's own start, for one line of one file.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from typing import Any

__all__ = ["DISTRIBUTION", "UNKNOWN_VERSION", "package_version", "user_agent"]

#: The name pip installs the package under (pyproject.toml's `project.name`).
DISTRIBUTION = "mailroute_dyn"
#: What a checkout that was never installed reports (PEP 440 local version: sorts first).
UNKNOWN_VERSION = "0+unknown"


@functools.cache
def package_version() -> str:
    """The installed distribution's version."""
    found = _dist_info_version(sys.path)
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # imported from a source tree nobody installed
        return UNKNOWN_VERSION


def _dist_info_version(path: list[str]) -> str | None:
    """The `Version:` of this distribution's `METADATA`, found as `importlib.metadata`
    finds it (the first folder of `path` that holds one; names compared normalized), or
    None wherever that is not one metadata folder in a directory (a zip, two candidates,
    an `.egg-info` file, an unreadable file): `importlib.metadata` then decides, so the
    answer is always the one it gives."""
    for entry in path:
        try:
            with os.scandir(entry or ".") as children:
                found = [c.name for c in children if _names_us(c.name)]
        except NotADirectoryError:
            return None  # a zip on the path: importlib.metadata reads those
        except OSError:
            continue  # not there: importlib.metadata skips it too
        if not found:
            continue
        if len(found) > 1:
            return None
        # a wheel's folder holds METADATA; setuptools' `.egg-info` folder (an editable
        # install's build leaves one in the checkout) holds the same headers as PKG-INFO
        headers = "METADATA" if found[0].lower().endswith(".dist-info") else "PKG-INFO"
        try:
            with open(os.path.join(entry or ".", found[0], headers), encoding="utf-8") as fh:
                for line in fh:
                    if not line.strip():
                        break  # the headers end: no version among them
                    if line.startswith("Version:"):
                        return line.partition(":")[2].strip() or None
        except (OSError, UnicodeDecodeError):  # (an `.egg-info` file: NotADirectoryError)
            pass
        return None
    return None


def _names_us(folder: str) -> bool:
    """Whether `folder` is a metadata folder of this distribution (`Mailroute.Dyn-0.2.0.dist-info`
    counts: names compare as `importlib.metadata` compares them)."""
    low = folder.lower()
    if not low.endswith((".dist-info", ".egg-info")):
        return False
    name = low.rpartition(".")[0].partition("-")[0]
    return re.sub(r"[-_.]+", "_", name) == DISTRIBUTION


def user_agent() -> str:
    """The User-Agent header of every request: the package, its version, the HTTP library."""
    return f"mailroute_dyn/{package_version()} (+httpx)"


def __getattr__(name: str) -> Any:
    """`__version__`, read when asked for (`mailroute_dyn.__version__` comes here)."""
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
