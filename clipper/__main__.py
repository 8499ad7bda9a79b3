"""``python -m clipper``."""

from .cli import main

main()
