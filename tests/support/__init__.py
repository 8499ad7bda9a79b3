"""Helpers tests import by name (never through ``conftest.py``): builders and seeding."""
