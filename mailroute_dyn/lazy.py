"""Package names that load their module on first use (PEP 562): `import mailroute_dyn`
and the pytest plugin's start stay cheap, and each name still answers
`from package import X`, `package.X`, `import *` and `dir()`. A package's modules and
subpackages answer as attributes too (`mailroute_dyn.settings`), as when the package loaded
them all."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["loaded_on_use"]


def loaded_on_use(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, whose `homes` map each name to the
    module that defines it, relative to the package."""
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's own name
        home = homes.get(name)
        if home is not None:
            value = getattr(importlib.import_module(home, package), name)
        elif not name.startswith("_") and _is_submodule(package, name):
            value = importlib.import_module(f"{package}.{name}")  # `mailroute_dyn.settings.config`
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value  # later uses find it without this function
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(set(namespace) | set(homes))

    return __getattr__, __dir__


def _is_submodule(package: str, name: str) -> bool:
    """Whether `package.name` is a module of the package (it may not be loaded yet)."""
    import importlib.util

    try:
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except (ImportError, ValueError):
        return False
