"""Composition root, one module per function: each builds the adapters its function needs from the
environment, once per container, and imports only what that function uses (a handler's cold start
pays for its own adapters, not for every function's).

`secrets` resolves the URLs and secrets every builder starts from.
"""

from __future__ import annotations

import sys
from typing import Any


def container_singletons() -> tuple[Any, ...]:
    """Every per-container singleton of the wiring modules loaded so far (what a fresh container
    starts without): each builder cached with `functools.cache`. A module not loaded yet holds
    none, so call this again after loading a handler."""
    found: dict[int, Any] = {}
    prefix = __name__ + "."
    for name, module in list(sys.modules.items()):
        if name.startswith(prefix) and module is not None:
            for value in vars(module).values():
                if callable(value) and hasattr(value, "cache_clear"):
                    found.setdefault(id(value), value)
    return tuple(found.values())
