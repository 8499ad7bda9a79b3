"""Clipper: customer-intelligence news clipping for B2B sales teams.

``Config``, ``load_config``, ``Clipper`` and ``make_clipper`` are imported on first use (PEP 562
``__getattr__``), not with the package: ``python -m clipper``, ``clipper --help`` and
``clipper check`` do not pay for the facade and every adapter behind it. Does not change what
the names are.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .exceptions import ClipperError as ClipperError
from .exceptions import ConfigError as ConfigError
from .exceptions import FeedError as FeedError
from .exceptions import FetchError as FetchError
from .exceptions import ParseError as ParseError
from .exceptions import StorageError as StorageError

if TYPE_CHECKING:
    from .config import Config as Config
    from .config import load_config as load_config
    from .core import Clipper as Clipper
    from .wiring import make_clipper as make_clipper

#: the public names imported when first asked for, and the module each comes from
_LAZY = {
    "Config": ".config",
    "load_config": ".config",
    "Clipper": ".core",
    "make_clipper": ".wiring",
}


def __getattr__(name: str) -> Any:
    """Import one of ``_LAZY``'s names on first use; any other name is an AttributeError."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Clipper",
    "ClipperError",
    "Config",
    "ConfigError",
    "FeedError",
    "FetchError",
    "ParseError",
    "StorageError",
    "load_config",
    "make_clipper",
]
