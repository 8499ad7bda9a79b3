"""A running ``clipper``'s health server as a probe reads it: its address from the log line,
``/readyz``, the ``/metrics`` samples, the fetch-and-match passes counted there; and a free
loopback port to put a server on. Does not start processes (``support.cli`` does) or judge
what it reads, except that the health check command is the same in both files.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from .cli import REPO, wait_until

#: the line ``clipper run`` / ``serve`` logs once the health server listens; group 1 its address
LISTENING = re.compile(r"health, readiness and metrics on (http://\S+)")

#: metric samples by (name, sorted labels)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def listening_at(text: str) -> str | None:
    """The health server's address in a log's ``text``, or None before it listens."""
    found = LISTENING.search(text)
    return found.group(1) if found else None


def wait_for_address(process: subprocess.Popen[bytes], log: Path, *logs: Path) -> str:
    """The health server's address, once ``log`` says it listens (``support.cli.wait_until``;
    ``logs`` are shown too when it never does)."""
    found: str = wait_until(
        lambda: listening_at(log.read_text()), "the health server's address", process, log, *logs
    )
    return found


def readyz(base: str) -> httpx.Response:
    """``GET base/readyz``."""
    return httpx.get(f"{base}/readyz", timeout=10)


def metric_samples(base: str) -> Samples:
    """Every sample ``base/metrics`` serves now."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def metric_value(found: Samples, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly ``labels`` (0 when it is not there)."""
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def passes(log_text: str) -> int:
    """Fetch-and-match passes finished so far: an idle pass prints nothing, so they are read
    from the health server's ``clipper_scheduler_tick_seconds_count`` (0 before it listens)."""
    base = listening_at(log_text)
    if base is None:
        return 0
    metrics = httpx.get(f"{base}/metrics", timeout=10).text
    ticks = re.search(
        r'^clipper_scheduler_tick_seconds_count\{job="fetch and match"\} (\S+)$', metrics, re.M
    )
    return int(float(ticks.group(1))) if ticks else 0


def image_healthcheck() -> list[str]:
    """The container's health check command, less ``clipper``: the same in the Dockerfile and
    docker-compose.yml (asserted here)."""
    dockerfile = (REPO / "Dockerfile").read_text()
    found = re.search(r"^HEALTHCHECK .* CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert found is not None, "the Dockerfile has no HEALTHCHECK ... CMD [...] line"
    command = json.loads(found.group(1))
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert compose["services"]["clipper"]["healthcheck"]["test"] == ["CMD", *command]
    assert command[0] == "clipper", command
    return list(command[1:])


def free_port() -> int:
    """A loopback port nothing listens on now (a probe bound it and let it go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
