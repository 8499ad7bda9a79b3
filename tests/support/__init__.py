"""Helpers tests import by name (never through ``conftest.py``): builders and seeding
(``seeding``), the Slack stand-in fixture and signed requests (``slack``)."""
