"""Helpers tests import by name (never through ``conftest.py``): builders and seeding
(``seeding``), the Slack stand-in fixture, signed requests and ``BoltApp`` (``slack``),
``clipper`` in a child process (``cli``), its health server (``health``), and a touch-webhook
receiver (``webhook``)."""
