"""State the Slack app keeps: replay keys, watch terms, mutes, rep settings, and the
Slack user cache (email, user, DM channel, time zone).

Does not call Slack.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ....types import Mute, RepSetting, RepSettings, StoredWatchTerm
from .base import ConnectionPool, from_db, to_db


class SlackAppMixin:
    """Replay keys, watch terms, mutes, rep settings, Slack users."""

    pool: ConnectionPool

    def remember_request(self, key: str, now: datetime) -> bool:
        """Record a Slack request key; return False when it was seen before (a replay)."""
        with self.pool.write("recording a Slack request") as tx:
            tx.execute(
                "DELETE FROM slack_requests WHERE received_at < ?",
                (to_db(now - timedelta(days=1)),),
            )
            done = tx.execute(
                "INSERT OR IGNORE INTO slack_requests (key, received_at) VALUES (?, ?)",
                (key, to_db(now)),
            ).rowcount
        return bool(done)

    def add_watch_term(self, rep: str, account: str, term: str, now: datetime) -> bool:
        """Store a rep's watch term on an account; False when it was there already."""
        with self.pool.write("adding a watch term") as tx:
            done = tx.execute(
                """INSERT OR IGNORE INTO watch_terms (rep, account, term, created_at)
                VALUES (?, ?, ?, ?)""",
                (rep, account, term, to_db(now)),
            ).rowcount
        return bool(done)

    def remove_watch_term(self, rep: str, term: str) -> int:
        """Remove a rep's term (any account, case-insensitive); return how many were removed."""
        with self.pool.write("removing a watch term") as tx:
            return int(
                tx.execute(
                    "DELETE FROM watch_terms WHERE rep = ? AND lower(term) = lower(?)",
                    (rep, term),
                ).rowcount
            )

    def watch_terms(self, rep: str | None = None) -> list[StoredWatchTerm]:
        """Return stored watch terms, a rep's or everyone's, by account and term."""
        rows = self.pool.read(
            "reading watch terms",
            """SELECT rep, account, term FROM watch_terms WHERE (? IS NULL OR rep = ?)
            ORDER BY account, term""",
            (rep, rep),
        )
        return [StoredWatchTerm(r["rep"], r["account"], r["term"]) for r in rows]

    def watch_terms_version(self) -> int:
        rows = self.pool.read(
            "reading watch terms", "SELECT COUNT(*) AS n, MAX(id) AS top FROM watch_terms"
        )
        return int(rows[0]["n"] or 0) * 1_000_003 + int(rows[0]["top"] or 0)

    def set_mute(
        self, rep: str, kind: str, target: str, until: datetime | None, now: datetime
    ) -> None:
        with self.pool.write("muting") as tx:
            tx.execute(
                """INSERT INTO mutes (rep, kind, target, until, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (rep, kind, target) DO UPDATE SET until = excluded.until""",
                (rep, kind, target, to_db(until), to_db(now)),
            )

    def remove_mutes(self, rep: str, target: str | None = None) -> int:
        with self.pool.write("unmuting") as tx:
            return int(
                tx.execute(
                    """DELETE FROM mutes WHERE rep = ?
                    AND (? IS NULL OR lower(target) = lower(?))""",
                    (rep, target, target),
                ).rowcount
            )

    def mutes(self, rep: str, now: datetime) -> list[Mute]:
        """Return the rep's mutes still in force at ``now``."""
        rows = self.pool.read(
            "reading mutes",
            """SELECT kind, target, until FROM mutes WHERE rep = ?
            AND (until IS NULL OR until > ?) ORDER BY kind, target""",
            (rep, to_db(now)),
        )
        return [Mute(r["kind"], r["target"], from_db(r["until"])) for r in rows]

    def rep_settings(self, rep: str) -> RepSettings:
        """Return the rep's stored overrides; all None when none were set."""
        rows = self.pool.read(
            "reading rep settings",
            "SELECT digest_time, timezone, quiet_hours, industries FROM rep_settings WHERE rep = ?",
            (rep,),
        )
        if not rows:
            return RepSettings()
        return RepSettings(
            rows[0]["digest_time"],
            rows[0]["timezone"],
            rows[0]["quiet_hours"],
            rows[0]["industries"],
        )

    def put_rep_setting(self, rep: str, name: RepSetting, value: str, now: datetime) -> None:
        column = RepSetting(name).value  # the enum's values are the columns
        with self.pool.write("saving a rep setting") as tx:
            tx.execute(
                f"""INSERT INTO rep_settings (rep, {column}, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (rep) DO UPDATE SET {column} = excluded.{column},
                    updated_at = excluded.updated_at""",
                (rep, value, to_db(now)),
            )
            if RepSetting(name).moves_schedule:
                # the next digest follows the new schedule
                tx.execute(
                    "DELETE FROM rep_schedule WHERE rep = ? AND last_digest_at IS NULL", (rep,)
                )

    def slack_user(self, email: str) -> tuple[str, str | None] | None:
        rows = self.pool.read(
            "reading the Slack user cache",
            "SELECT user_id, channel_id FROM slack_users WHERE email = ?",
            (email,),
        )
        return (rows[0]["user_id"], rows[0]["channel_id"]) if rows else None

    def put_slack_user(
        self,
        email: str,
        user_id: str,
        channel_id: str | None,
        now: datetime,
        timezone: str | None = None,
    ) -> None:
        with self.pool.write("caching a Slack user") as tx:
            tx.execute(
                """INSERT INTO slack_users (email, user_id, channel_id, timezone, checked_at)
                VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET
                    user_id = excluded.user_id,
                    channel_id = COALESCE(excluded.channel_id, channel_id),
                    timezone = COALESCE(excluded.timezone, timezone),
                    checked_at = excluded.checked_at""",
                (email, user_id, channel_id, timezone, to_db(now)),
            )

    def slack_timezone(self, email: str) -> str | None:
        rows = self.pool.read(
            "reading the Slack user cache",
            "SELECT timezone FROM slack_users WHERE email = ?",
            (email,),
        )
        return rows[0]["timezone"] if rows else None

    def email_of_slack_user(self, user_id: str) -> str | None:
        rows = self.pool.read(
            "reading the Slack user cache",
            "SELECT email FROM slack_users WHERE user_id = ?",
            (user_id,),
        )
        return rows[0]["email"] if rows else None
