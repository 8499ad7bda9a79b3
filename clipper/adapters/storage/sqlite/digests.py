"""Digests and their outbox: schedules, atomic composition, leased parts, outcomes.

Does not render or send anything (``logic.blockkit`` renders, ``outbox`` sends).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from ....logic.digest import SHARE_CHANNEL, DigestCandidate, MatchingProgress
from ....types import (
    ComposedDigest,
    DigestKind,
    DigestPart,
    DigestPartStatus,
    EventKind,
    PartState,
    Sink,
)
from .base import ConnectionPool, at, from_db, from_json, to_db, wrap_errors


class DigestsMixin:
    """Rep schedules, digests, digest items and the parts outbox."""

    pool: ConnectionPool

    def next_digest_at(self, rep: str) -> datetime | None:
        rows = self.pool.read(
            "reading a rep's schedule",
            "SELECT next_digest_at FROM rep_schedule WHERE rep = ?",
            (rep,),
        )
        return from_db(rows[0]["next_digest_at"]) if rows else None

    def last_digest_due(self, rep: str, kind: DigestKind) -> datetime | None:
        rows = self.pool.read(
            "reading a rep's digests",
            "SELECT MAX(due_at) AS due FROM digests WHERE rep = ? AND kind = ?",
            (rep, kind),
        )
        return from_db(rows[0]["due"]) if rows else None

    def matching_progress(self, fetched_by: datetime, now: datetime) -> MatchingProgress:
        """Count the articles fetched by ``fetched_by`` still waiting for page text (not
        those put off to a later retry) or matching, and the feeds being fetched now.

        Reads only the waiting articles through ``articles_stage``: once ``PRAGMA optimize``
        has seen that nearly every article is matched, SQLite would otherwise scan the whole
        table, for every rep of every digest tick (60 ms a rep at 60,000 articles)."""
        rows = self.pool.read(
            "reading matching progress",
            """SELECT
                (SELECT COUNT(*) FROM articles INDEXED BY articles_stage
                 WHERE stage IN ('new', 'extract') AND fetched_at <= ?1 AND (stage = 'new'
                    OR (stage = 'extract' AND (lease_owner IS NOT NULL OR lease_until IS NULL
                                               OR lease_until <= ?2)))) AS waiting,
                (SELECT COUNT(*) FROM feeds WHERE lease_owner IS NOT NULL
                    AND lease_until > ?2) AS in_flight""",
            (to_db(fetched_by), to_db(now)),
        )
        return MatchingProgress(rows[0]["waiting"], rows[0]["in_flight"])

    def reschedule(self, rep: str, next_digest_at: datetime) -> None:
        with self.pool.write("rescheduling a rep") as tx:
            tx.execute(
                "UPDATE rep_schedule SET next_digest_at = ? WHERE rep = ?",
                (to_db(next_digest_at), rep),
            )

    def _candidates(
        self, tx: Any, rep: str, accounts: Sequence[str], since: datetime, now: datetime
    ) -> list[DigestCandidate]:
        if not accounts:
            return []
        marks = ",".join("?" * len(accounts))
        cursor = tx.cursor()
        cursor.row_factory = None  # plain tuples: ``_candidates_of`` reads them by position
        rows = cursor.execute(
            f"""SELECT m.article_id, m.account, m.score, m.reasons, m.event, m.shareable,
                       a.title, a.url, a.source, a.published_at, a.story_id,
                       a.summary, substr(a.content, 1, 4000) AS content,
                       substr(a.full_text, 1, 4000) AS full_text, a.image,
                       (SELECT f.weight FROM feeds f WHERE f.id = a.feed_id) AS weight,
                       (SELECT t.rep FROM touches t WHERE t.account = m.account
                        AND t.article_id = m.article_id AND t.channel = ?
                        AND t.voided_at IS NULL
                        ORDER BY t.touched_at LIMIT 1) AS shared_by
                FROM matches m JOIN articles a ON a.id = m.article_id
                WHERE m.account IN ({marks}) AND a.published_at >= ?
                  AND NOT EXISTS (SELECT 1 FROM digest_items d WHERE d.rep = ?
                                  AND d.account = m.account AND d.article_id = m.article_id)
                  AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.account = m.account
                                  AND f.article_id = m.article_id)
                  AND NOT EXISTS (SELECT 1 FROM mutes u WHERE u.rep = ?
                                  AND ((u.kind = 'account' AND u.target = m.account)
                                       OR (u.kind = 'source' AND lower(u.target) = lower(a.source)))
                                  AND (u.until IS NULL OR u.until > ?))""",
            (SHARE_CHANNEL, *accounts, to_db(since), rep, rep, to_db(now)),
        )
        return _candidates_of(rows)

    def _industry_candidates(
        self, tx: Any, rep: str, industries: Sequence[str], since: datetime, now: datetime
    ) -> list[DigestCandidate]:
        """Articles of ``industries`` whose story matched no account, not yet in one of the
        rep's industry sections, not from a source the rep muted: one per article and
        industry."""
        if not industries:
            return []
        marks = ",".join("?" * len(industries))
        rows = tx.execute(
            f"""SELECT i.article_id, i.industry, i.score, a.title, a.url, a.source,
                       a.published_at, a.story_id,
                       a.summary, substr(a.content, 1, 4000) AS content,
                       substr(a.full_text, 1, 4000) AS full_text, a.image,
                       (SELECT f.weight FROM feeds f WHERE f.id = a.feed_id) AS weight
                FROM article_industries i JOIN articles a ON a.id = i.article_id
                WHERE i.industry IN ({marks}) AND a.published_at >= ?
                  AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.article_id = a.id)
                  AND NOT EXISTS (SELECT 1 FROM articles b JOIN matches m ON m.article_id = b.id
                                  WHERE b.story_id = a.story_id)
                  AND NOT EXISTS (SELECT 1 FROM digest_industry_items d WHERE d.rep = ?
                                  AND d.article_id = a.id)
                  AND NOT EXISTS (SELECT 1 FROM mutes u WHERE u.rep = ? AND u.kind = 'source'
                                  AND lower(u.target) = lower(a.source)
                                  AND (u.until IS NULL OR u.until > ?))""",
            (*industries, to_db(since), rep, rep, to_db(now)),
        )
        return [_industry_candidate(r) for r in rows]

    def digest_candidates(
        self,
        rep: str,
        accounts: Sequence[str],
        since: datetime,
        now: datetime,
        *,
        industries: Sequence[str] = (),
    ) -> list[DigestCandidate]:
        """Return the rep's undelivered matches (and, for ``industries``, the industry-only
        candidates), reading only (previews, alert checks)."""
        with wrap_errors("reading digest candidates"):
            tx = self.pool.get()
            return self._candidates(tx, rep, accounts, since, now) + self._industry_candidates(
                tx, rep, industries, since, now
            )

    def older_matches(
        self, rep: str, accounts: Sequence[str], before: datetime, now: datetime
    ) -> int:
        """Count the rep's undelivered, unmuted matches on ``accounts`` published before
        ``before`` (too old for the digest window); writes nothing."""
        if not accounts:
            return 0
        marks = ",".join("?" * len(accounts))
        rows = self.pool.read(
            "counting matches older than the digest window",
            f"""SELECT COUNT(*) AS n
                FROM matches m JOIN articles a ON a.id = m.article_id
                WHERE m.account IN ({marks}) AND a.published_at < ?
                  AND NOT EXISTS (SELECT 1 FROM digest_items d WHERE d.rep = ?
                                  AND d.account = m.account AND d.article_id = m.article_id)
                  AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.account = m.account
                                  AND f.article_id = m.article_id)
                  AND NOT EXISTS (SELECT 1 FROM mutes u WHERE u.rep = ?
                                  AND ((u.kind = 'account' AND u.target = m.account)
                                       OR (u.kind = 'source' AND lower(u.target) = lower(a.source)))
                                  AND (u.until IS NULL OR u.until > ?))""",
            (*accounts, to_db(before), rep, rep, to_db(now)),
        )
        return int(rows[0]["n"])

    def left_out_candidates(self, rep: str, account: str) -> list[DigestCandidate]:
        """Return the matches on ``account`` a digest of the rep's covered but did not show
        (over its caps), less those given feedback since. Reads only; ignores mutes and the
        lookback window (the rep asked for them)."""
        rows = self.pool.read(
            "reading a rep's left-out matches",
            """SELECT m.article_id, m.account, m.score, m.reasons, m.event, m.shareable,
                       a.title, a.url, a.source, a.published_at, a.story_id,
                       a.summary, substr(a.content, 1, 4000) AS content,
                       substr(a.full_text, 1, 4000) AS full_text, a.image,
                       (SELECT f.weight FROM feeds f WHERE f.id = a.feed_id) AS weight,
                       (SELECT t.rep FROM touches t WHERE t.account = m.account
                        AND t.article_id = m.article_id AND t.channel = ?
                        ORDER BY t.touched_at LIMIT 1) AS shared_by
                FROM digest_items d
                JOIN matches m ON m.account = d.account AND m.article_id = d.article_id
                JOIN articles a ON a.id = m.article_id
                WHERE d.rep = ? AND d.account = ? AND d.shown = 0
                  AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.account = m.account
                                  AND f.article_id = m.article_id)""",
            (SHARE_CHANNEL, rep, account),
        )
        return _candidates_of(rows)

    def industry_left_out_candidates(self, rep: str) -> list[DigestCandidate]:
        """Return the industry-only articles a digest of the rep's covered in "Your industries"
        but did not show (over ``max_industry_items``), each with the industry it was covered
        under. Reads only; ignores mutes and the lookback window (the rep asked for them)."""
        rows = self.pool.read(
            "reading a rep's left-out industry news",
            """SELECT d.article_id, d.industry, COALESCE(i.score, 0.0) AS score, a.title,
                       a.url, a.source, a.published_at, a.story_id,
                       a.summary, substr(a.content, 1, 4000) AS content,
                       substr(a.full_text, 1, 4000) AS full_text, a.image,
                       (SELECT f.weight FROM feeds f WHERE f.id = a.feed_id) AS weight
                FROM digest_industry_items d
                JOIN articles a ON a.id = d.article_id
                LEFT JOIN article_industries i
                    ON i.article_id = d.article_id AND i.industry = d.industry
                WHERE d.rep = ? AND d.shown = 0""",
            (rep,),
        )
        return [_industry_candidate(r) for r in rows]

    def mark_industry_shown(self, rep: str, article_ids: Sequence[int], now: datetime) -> int:
        """Record that the rep has now been shown these industry articles a digest left out;
        return how many were not shown before. Does not add articles no digest covered."""
        with self.pool.write("marking industry news shown") as tx:
            return sum(
                tx.execute(
                    """UPDATE digest_industry_items SET shown = 1, shown_at = ?
                    WHERE rep = ? AND article_id = ? AND shown = 0""",
                    (to_db(now), rep, article_id),
                ).rowcount
                for article_id in article_ids
            )

    def mark_shown(self, rep: str, items: Sequence[tuple[int, str]], now: datetime) -> int:
        """Record that the rep has now been shown these (article id, account) matches a digest
        left out; return how many were not shown before. Does not add matches no digest
        covered."""
        with self.pool.write("marking matches shown") as tx:
            return sum(
                tx.execute(
                    """UPDATE digest_items SET shown = 1, shown_at = ?
                    WHERE rep = ? AND account = ? AND article_id = ? AND shown = 0""",
                    (to_db(now), rep, account, article_id),
                ).rowcount
                for article_id, account in items
            )

    def shown_counts(
        self, since: datetime, until: datetime, rep: str | None = None
    ) -> dict[tuple[str, str], int]:
        """Return how many matches each (rep, account) was shown in ``[since, until)``: in a
        digest, by "Show more" or by ``/clip news``; matches only covered are not counted."""
        rows = self.pool.read(
            "counting shown matches",
            """SELECT rep, account, COUNT(*) AS n FROM digest_items
            WHERE shown = 1 AND shown_at >= ? AND shown_at < ? AND (? IS NULL OR rep = ?)
            GROUP BY rep, account""",
            (to_db(since), to_db(until), rep, rep),
        )
        return {(r["rep"], r["account"]): r["n"] for r in rows}

    def create_digest(
        self,
        rep: str,
        kind: DigestKind,
        due_at: datetime,
        now: datetime,
        accounts: Sequence[str],
        since: datetime,
        compose: Callable[[list[DigestCandidate]], ComposedDigest],
        *,
        expected_next: datetime | None = None,
        scheduled: bool = False,
        industries: Sequence[str] = (),
    ) -> int | None:
        """Compose and queue one digest in one transaction; return its id, or None when another
        process already made it (or it had nothing to say). ``compose`` must be pure and quick:
        it runs under the write lock; it gets the industry-only candidates of ``industries``
        after the matches."""
        with self.pool.write("creating a digest") as tx:
            if scheduled:
                row = tx.execute(
                    "SELECT next_digest_at FROM rep_schedule WHERE rep = ?", (rep,)
                ).fetchone()
                current = row["next_digest_at"] if row is not None else None
                if current != to_db(expected_next):
                    return None  # another scheduler got here first
            if tx.execute(
                "SELECT 1 FROM digests WHERE rep = ? AND kind = ? AND due_at = ?",
                (rep, kind, to_db(due_at)),
            ).fetchone():
                return None
            composed = compose(
                self._candidates(tx, rep, accounts, since, now)
                + self._industry_candidates(tx, rep, industries, since, now)
            )
            if composed.next_due is not None:
                tx.execute(
                    """INSERT INTO rep_schedule (rep, next_digest_at, last_digest_at)
                    VALUES (?, ?, ?)
                    ON CONFLICT (rep) DO UPDATE SET next_digest_at = excluded.next_digest_at,
                        last_digest_at = excluded.last_digest_at""",
                    (rep, to_db(composed.next_due), to_db(now)),
                )
            if not composed.parts:
                return None
            digest_id = int(
                tx.execute(
                    """INSERT INTO digests (rep, kind, due_at, created_at, sink, items)
                    VALUES (?, ?, ?, ?, ?, ?) RETURNING id""",
                    (
                        rep,
                        kind,
                        to_db(due_at),
                        to_db(now),
                        composed.sink,
                        sum(1 for c in composed.covered if c[2])
                        + sum(1 for c in composed.industry_covered if c[2]),
                    ),
                ).fetchone()[0]
            )
            shown_at = to_db(now)  # once, not once a row
            tx.executemany(
                """INSERT OR IGNORE INTO digest_items
                    (rep, account, article_id, digest_id, shown, shown_at)
                VALUES (?, ?, ?, ?, ?, ?)""",
                [
                    (rep, account, aid, digest_id, int(shown), shown_at if shown else None)
                    for aid, account, shown in composed.covered
                ],
            )
            tx.executemany(
                """INSERT OR IGNORE INTO digest_industry_items
                (rep, article_id, industry, digest_id, shown, shown_at)
                VALUES (?, ?, ?, ?, ?, ?)""",
                [
                    (rep, aid, industry, digest_id, int(shown), shown_at if shown else None)
                    for aid, industry, shown in composed.industry_covered
                ],
            )
            tx.executemany(
                """INSERT INTO digest_parts (digest_id, part, parts, text, payload)
                VALUES (?, ?, ?, ?, ?)""",
                [
                    (digest_id, n, len(composed.parts), text, payload)
                    for n, (text, payload) in enumerate(composed.parts, start=1)
                ],
            )
        return digest_id

    def claim_parts(
        self,
        now: datetime,
        owner: str,
        lease_s: float,
        limit: int,
        rep: str | None = None,
        *,
        terminal_only: bool = False,
    ) -> list[DigestPart]:
        """Lease the next deliverable part of each digest (earlier parts all sent), in digest
        order, at most ``limit`` of them (0: all); with ``terminal_only``, never a Slack one."""
        with self.pool.write("claiming digest parts") as tx:
            rows = list(
                tx.execute(
                    """UPDATE digest_parts SET lease_owner = :owner, lease_until = :until,
                        state = 'sending', first_claimed_at = COALESCE(first_claimed_at, :now)
                    WHERE (digest_id, part) IN (
                        SELECT p.digest_id, p.part FROM digest_parts p
                        JOIN (SELECT q.digest_id, MIN(q.part) AS part FROM digest_parts q
                              JOIN digests d ON d.id = q.digest_id
                              WHERE q.state IN ('pending', 'sending')
                                AND (:rep IS NULL OR d.rep = :rep)
                                AND (:terminal_only = 0 OR d.sink = 'terminal')
                              GROUP BY q.digest_id) first_unsent
                          ON first_unsent.digest_id = p.digest_id
                         AND first_unsent.part = p.part
                        WHERE (p.lease_until IS NULL OR p.lease_until < :now)
                          AND (p.next_attempt_at IS NULL OR p.next_attempt_at <= :now)
                        ORDER BY p.digest_id LIMIT :limit)
                    RETURNING digest_id, part, parts, text, payload, attempts,
                        first_claimed_at, channel""",
                    {
                        "owner": owner,
                        "until": to_db(now + timedelta(seconds=lease_s)),
                        "now": to_db(now),
                        "rep": rep,
                        "terminal_only": int(terminal_only),
                        "limit": limit or -1,
                    },
                )
            )
            if not rows:
                return []
            ids = sorted({r["digest_id"] for r in rows})
            marks = ",".join("?" * len(ids))
            digests = {
                d["id"]: d
                for d in tx.execute(
                    f"SELECT id, rep, kind, sink FROM digests WHERE id IN ({marks})", ids
                )
            }
        return [
            DigestPart(
                digest_id=r["digest_id"],
                part=r["part"],
                parts=r["parts"],
                rep=digests[r["digest_id"]]["rep"],
                kind=DigestKind(digests[r["digest_id"]]["kind"]),
                sink=Sink(digests[r["digest_id"]]["sink"]),
                text=r["text"],
                payload=r["payload"],
                attempts=r["attempts"],
                first_claimed_at=from_db(r["first_claimed_at"]),
                channel=r["channel"],
            )
            for r in sorted(rows, key=lambda r: (r["digest_id"], r["part"]))
        ]

    def release_part(self, digest_id: int, part: int, owner: str) -> None:
        with self.pool.write("releasing a digest part") as tx:
            tx.execute(
                """UPDATE digest_parts SET lease_owner = NULL, lease_until = NULL
                WHERE digest_id = ? AND part = ? AND lease_owner = ?""",
                (digest_id, part, owner),
            )

    def renew_part(
        self, digest_id: int, part: int, owner: str, now: datetime, lease_s: float
    ) -> bool:
        """Extend our lease on a part being sent to ``now + lease_s``; False when another
        deliverer holds it, or it is no longer being sent (then it must not be posted)."""
        with self.pool.write("renewing a digest part's lease") as tx:
            done = tx.execute(
                """UPDATE digest_parts SET lease_until = ?
                WHERE digest_id = ? AND part = ? AND lease_owner = ? AND state = 'sending'""",
                (to_db(now + timedelta(seconds=lease_s)), digest_id, part, owner),
            ).rowcount
        return bool(done)

    def finish_part(
        self,
        digest_id: int,
        part: int,
        owner: str,
        now: datetime,
        *,
        state: PartState,
        attempts: int,
        channel: str | None = None,
        slack_ts: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        """Record a delivery outcome, fenced by the lease; return False when the lease was lost."""
        with self.pool.write("recording a digest part") as tx:
            done = tx.execute(
                """UPDATE digest_parts SET state = ?, attempts = ?, channel = COALESCE(?, channel),
                    slack_ts = COALESCE(?, slack_ts), last_error = ?, next_attempt_at = ?,
                    sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END,
                    lease_owner = NULL, lease_until = NULL
                WHERE digest_id = ? AND part = ? AND lease_owner = ?""",
                (
                    state,
                    attempts,
                    channel,
                    slack_ts,
                    error,
                    to_db(next_attempt_at),
                    state,
                    to_db(now),
                    digest_id,
                    part,
                    owner,
                ),
            ).rowcount
        return bool(done)

    def hold_rep_parts(self, rep: str, error: str, until: datetime) -> None:
        """Put a rep's undelivered parts off until ``until`` with the reason."""
        with self.pool.write("holding a rep's digest parts") as tx:
            tx.execute(
                """UPDATE digest_parts SET last_error = ?, next_attempt_at = ?,
                    lease_owner = NULL, lease_until = NULL
                WHERE state IN ('pending', 'sending')
                  AND digest_id IN (SELECT id FROM digests WHERE rep = ?)""",
                (error, to_db(until), rep),
            )

    def digest_parts(self, rep: str | None = None) -> list[DigestPartStatus]:
        """Return every digest part (a rep's, or everyone's) with its state, in digest order."""
        rows = self.pool.read(
            "listing digest parts",
            """SELECT d.rep, d.kind, d.due_at, d.sink, p.* FROM digest_parts p
            JOIN digests d ON d.id = p.digest_id
            WHERE (? IS NULL OR d.rep = ?) ORDER BY p.digest_id, p.part""",
            (rep, rep),
        )
        return [
            DigestPartStatus(
                digest_id=r["digest_id"],
                part=r["part"],
                parts=r["parts"],
                rep=r["rep"],
                kind=DigestKind(r["kind"]),
                sink=Sink(r["sink"]),
                due_at=at(r["due_at"]),
                state=PartState(r["state"]),
                attempts=r["attempts"],
                text=r["text"],
                payload=r["payload"],
                last_error=r["last_error"],
                next_attempt_at=from_db(r["next_attempt_at"]),
                channel=r["channel"],
                slack_ts=r["slack_ts"],
                sent_at=from_db(r["sent_at"]),
                first_claimed_at=from_db(r["first_claimed_at"]),
            )
            for r in rows
        ]


def _industry_candidate(r: Any) -> DigestCandidate:
    """Return an industry-only candidate row (new industry news and left-out rows read the same
    fields); it names no account."""
    return DigestCandidate(
        article_id=r["article_id"],
        account="",
        title=r["title"] or "",
        url=r["url"],
        source=r["source"],
        published_at=from_db(r["published_at"]),
        score=r["score"],
        reasons=(f"industry: {r['industry']}",),
        story_id=r["story_id"],
        industry=r["industry"],
        summary=r["summary"] or "",
        content=r["content"],
        full_text=r["full_text"],
        image=r["image"],
        weight=r["weight"] if r["weight"] is not None else 1.0,
    )


def _candidates_of(rows: Iterable[Sequence[Any]]) -> list[DigestCandidate]:
    """Return candidate rows as candidates, read by position: ``_candidates`` and left-out
    rows select the same columns in the same order (article_id, account, score, reasons,
    event, shareable, title, url, source, published_at, story_id, summary, content,
    full_text, image, weight, shared_by). A digest tick reads every candidate, so an
    account's reasons (the same JSON for each of its matches) are decoded once per call.
    Does not check the column names."""
    reasons_of: dict[str, tuple[str, ...]] = {}
    out = []
    for (
        article_id,
        account,
        score,
        reasons,
        event,
        shareable,
        title,
        url,
        source,
        published_at,
        story_id,
        summary,
        content,
        full_text,
        image,
        weight,
        shared_by,
    ) in rows:
        if reasons:
            decoded = reasons_of.get(reasons)
            if decoded is None:
                decoded = reasons_of[reasons] = from_json(reasons)
        else:
            decoded = ()
        out.append(
            DigestCandidate(
                article_id=article_id,
                account=account,
                title=title or "",
                url=url,
                source=source,
                published_at=from_db(published_at),
                score=score,
                reasons=decoded,
                event=EventKind(event) if event else None,
                shareable=bool(shareable),
                story_id=story_id,
                shared_by=shared_by,
                summary=summary or "",
                content=content,
                full_text=full_text,
                image=image,
                weight=weight if weight is not None else 1.0,
            )
        )
    return out
