"""Clipper: customer-intelligence news clipping for B2B sales teams."""

from .config import Config as Config
from .config import load_config as load_config
from .core import Clipper as Clipper
from .exceptions import ClipperError as ClipperError
from .exceptions import ConfigError as ConfigError
from .exceptions import FeedError as FeedError
from .exceptions import FetchError as FetchError
from .exceptions import ParseError as ParseError
from .exceptions import StorageError as StorageError
from .wiring import make_clipper as make_clipper

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
