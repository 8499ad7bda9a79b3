"""Lease owners: the name a worker claims work under (``host:pid:token``), and whether an
earlier worker's claims may be given back at once instead of waiting for them to expire.

Does not probe processes or read storage: the caller says whether a pid runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LeaseOwner:
    """A worker's lease owner name, read back into its parts."""

    #: the machine's host name (a container's id in Docker)
    host: str
    #: the process id on that host
    pid: int
    #: random per process: tells two processes with the same pid apart (a container's pid 1)
    token: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"


def lease_owner(host: str, pid: int, token: str) -> str:
    """Return the owner name a worker claims under. Does not make the token."""
    return str(LeaseOwner(host, pid, token))


def parse_owner(name: str) -> LeaseOwner | None:
    """Read an owner name written by ``lease_owner``; None for any other shape (never guessed:
    an owner this cannot read keeps its claims until they expire)."""
    host, sep, rest = name.rpartition(":")  # host names may hold ':' (none do; be safe)
    if not sep:
        return None
    host, sep, pid = host.rpartition(":")
    if not sep or not host or not pid.isdigit() or not rest:
        return None
    return LeaseOwner(host, int(pid), rest)


def needs_pid_check(owner: LeaseOwner, me: LeaseOwner) -> bool:
    """Whether ``owner``'s process could be looked up here: same host, another pid."""
    return owner.host == me.host and owner.pid != me.pid


def left_behind(owner: LeaseOwner, me: LeaseOwner, *, pid_runs: bool) -> bool:
    """Whether ``owner`` is a process that no longer runs, so its claims may be released now.

    Only an owner on this host can be judged: one with this process's pid but another token
    ran before it (a container restarted as pid 1), one with another pid is gone when that pid
    does not run (``pid_runs``, asked only when ``needs_pid_check``). An owner on another host
    (PostgreSQL workers, later) is never judged: its claims wait for their expiry. A pid reused
    by an unrelated process counts as running, so the mistake is only ever a wait.
    """
    if owner == me or owner.host != me.host:
        return False
    if owner.pid == me.pid:
        return owner.token != me.token
    return not pid_runs
