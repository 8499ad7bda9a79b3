"""How the outbox paces and retries: every delivery number in one frozen policy.

    pace       = one post per DM every ``pace_s``, ``workspace_rate`` posts a second in all
    attempts   = ``max_attempts`` per part per run; a Retry-After over ``max_retry_wait_s`` waits
                 for the next run; 5xx and dropped connections back off 1, 2, 4, 8 s
    next run   = a part not sent yet is tried again after 2, 4 ... 64 min (at most an hour)
    lease      = a claimed part is ours for ``part_lease_s``, renewed every third of it
    hold       = a rep Slack does not know (or a missing scope) waits ``unknown_rep_hold``

Does not sleep, read a clock or talk to Slack: the outbox does, with these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """The outbox's pacing, retry, lease and hold numbers (``slack.*`` settings where named)."""

    #: seconds between two posts to one DM (``slack.pace_s``)
    pace_s: float = 1.1
    #: posts per second across all DMs (``slack.workspace_rate``)
    workspace_rate: float = 10.0
    #: posting attempts per part per run (``slack.max_attempts``)
    max_attempts: int = 4
    #: the longest Retry-After slept in a run (``slack.max_retry_wait_s``)
    max_retry_wait_s: float = 60.0
    #: how long a claimed part is ours before another run may take it over; renewed right
    #: before each post and every third of it while waiting (longer than a Slack request)
    part_lease_s: float = 300.0
    #: parts claimed at a time (each leased while the batch is delivered)
    claim_batch: int = 50
    #: a rep Slack does not know, or whose DM needs a missing scope, is tried again after this
    unknown_rep_hold: timedelta = timedelta(hours=6)
    #: a DM that could not be opened in a run is tried again after this
    dm_retry: timedelta = timedelta(minutes=5)
    #: the wait after a failed DM lookup (5xx, dropped connection) within a run
    dm_failure_wait_s: float = 1.0
    #: the longest backoff between two posting attempts in a run (1, 2, 4, 8 s)
    backoff_cap_s: float = 8.0
    #: the first wait before the next run retries an unsent part (doubled per attempt)
    retry_base_s: float = 60.0
    #: the longest wait before the next run retries an unsent part
    retry_cap_s: float = 3600.0

    def backoff_s(self, attempt: int) -> float:
        """Return the wait after failed attempt ``attempt`` (0-based) within a run."""
        return min(2.0**attempt, self.backoff_cap_s)

    def retry_later(self, attempts: int) -> timedelta:
        """Return how long an unsent part waits for a later run after ``attempts`` posts."""
        return timedelta(seconds=min(self.retry_base_s * 2 ** min(attempts, 6), self.retry_cap_s))

    def lease_step_s(self) -> float:
        """Return how often a waiting deliverer renews its lease."""
        return max(self.part_lease_s / 3, 0.05)

    def pace_wait_s(self, since_dm_post: float, since_any_post: float) -> float:
        """Return how long to wait before the next post, given the seconds since the last post
        to this DM and to any DM (negative or zero: post now)."""
        return max(self.pace_s - since_dm_post, 1.0 / self.workspace_rate - since_any_post)
