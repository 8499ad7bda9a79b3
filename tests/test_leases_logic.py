"""``logic.leases``: which earlier worker's claims may be released at once (pure)."""

from __future__ import annotations

from clipper.logic.leases import LeaseOwner, left_behind, needs_pid_check, parse_owner

ME = LeaseOwner("box", 1, "aaaa")


def test_owner_names_read_back_and_odd_ones_are_not_guessed() -> None:
    assert parse_owner("box:42:beef") == LeaseOwner("box", 42, "beef")
    assert str(parse_owner("box:42:beef")) == "box:42:beef"
    for odd in ("", "box", "box:beef", "box:x1:beef", ":42:beef", "box:42:"):
        assert parse_owner(odd) is None, odd


def test_a_restarted_container_s_earlier_pid_1_is_left_behind() -> None:
    # same host and pid, another token: the pid is ours now, so that process has ended
    assert left_behind(LeaseOwner("box", 1, "bbbb"), ME, pid_runs=True)
    assert not left_behind(ME, ME, pid_runs=False)  # our own claims are never "left behind"


def test_another_pid_on_this_host_is_left_behind_only_when_it_no_longer_runs() -> None:
    other = LeaseOwner("box", 77, "cccc")
    assert needs_pid_check(other, ME)
    assert left_behind(other, ME, pid_runs=False)
    assert not left_behind(other, ME, pid_runs=True)  # a second clipper run: keep its work


def test_an_owner_on_another_host_waits_for_its_lease_to_expire() -> None:
    remote = LeaseOwner("worker-2", 77, "dddd")
    assert not needs_pid_check(remote, ME)
    assert not left_behind(remote, ME, pid_runs=False)
