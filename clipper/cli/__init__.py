"""The ``clipper`` command: parse arguments, call the facade, print with rich.

Thin on purpose: no decisions here. Every command has help text (a test checks it). One module
per family of commands (``app`` holds the group and what they share); importing this package
registers them all, so ``clipper --help`` lists every command.
"""

from . import cycle, db, manage, tools, touch
from .app import exit_code, main, print_error

__all__ = ["cycle", "db", "exit_code", "main", "manage", "print_error", "tools", "touch"]
