"""Named migrations, applied in order, each in its own transaction with its record.

Never edit an applied migration: add a new one. Contains no business logic.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_feeds_and_articles",
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            config_url TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            host TEXT NOT NULL,
            name TEXT NOT NULL,
            industry TEXT,
            account TEXT,
            interval_s REAL,
            user_agent TEXT,
            full_text INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '[]',
            active INTEGER NOT NULL DEFAULT 1,
            next_check_at TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            first_error_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            last_status TEXT,
            last_http_status INTEGER,
            last_checked_at TEXT,
            last_success_at TEXT,
            disabled_reason TEXT,
            disabled_at TEXT,
            baseline_done INTEGER NOT NULL DEFAULT 0,
            adaptive_interval_s REAL,
            retry_after_until TEXT,
            lease_owner TEXT,
            lease_until TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX feeds_due ON feeds (next_check_at) WHERE active = 1
            AND disabled_reason IS NULL;

        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds (id),
            guid TEXT,
            guid_hash TEXT,
            url_hash TEXT,
            content_hash TEXT NOT NULL,
            url TEXT,
            title TEXT NOT NULL,
            summary TEXT NOT NULL,
            content TEXT,
            full_text TEXT,
            extract_error TEXT,
            extract_attempts INTEGER NOT NULL DEFAULT 0,
            published_at TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            updated_at TEXT,
            source TEXT NOT NULL,
            author TEXT,
            categories TEXT NOT NULL DEFAULT '[]',
            image TEXT,
            stage TEXT NOT NULL,
            lease_owner TEXT,
            lease_until TEXT,
            UNIQUE (feed_id, guid_hash),
            UNIQUE (url_hash)
        ) STRICT;
        CREATE INDEX articles_content ON articles (feed_id, content_hash);
        CREATE INDEX articles_stage ON articles (stage, published_at);
        CREATE INDEX articles_published ON articles (published_at);
        """,
    ),
    (
        "0002_embeddings",
        """
        CREATE TABLE embeddings (
            text_key TEXT NOT NULL,
            model_key TEXT NOT NULL,
            dim INTEGER NOT NULL,
            vec BLOB NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (text_key, model_key)
        ) STRICT, WITHOUT ROWID;
        """,
    ),
    (
        "0003_matches",
        """
        CREATE TABLE matches (
            article_id INTEGER NOT NULL REFERENCES articles (id),
            account TEXT NOT NULL,
            score REAL NOT NULL,
            reasons TEXT NOT NULL,
            event TEXT,
            shareable INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (article_id, account)
        ) STRICT;
        CREATE INDEX matches_account ON matches (account, created_at);
        CREATE TABLE article_industries (
            article_id INTEGER NOT NULL REFERENCES articles (id),
            industry TEXT NOT NULL,
            score REAL NOT NULL,
            PRIMARY KEY (article_id, industry)
        ) STRICT;
        """,
    ),
    (
        "0004_feedback",
        """
        CREATE TABLE feedback (
            account TEXT NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles (id),
            kind TEXT NOT NULL,
            rep TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (account, article_id, kind)
        ) STRICT;
        """,
    ),
    (
        "0005_stories",
        """
        ALTER TABLE articles ADD COLUMN story_id INTEGER;
        CREATE INDEX articles_story ON articles (story_id);
        """,
    ),
    (
        "0006_digests",
        """
        CREATE TABLE rep_schedule (
            rep TEXT PRIMARY KEY,
            next_digest_at TEXT NOT NULL,
            last_digest_at TEXT
        ) STRICT;
        CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            rep TEXT NOT NULL,
            kind TEXT NOT NULL,
            due_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sink TEXT NOT NULL,
            items INTEGER NOT NULL,
            UNIQUE (rep, kind, due_at)
        ) STRICT;
        CREATE TABLE digest_items (
            rep TEXT NOT NULL,
            account TEXT NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles (id),
            digest_id INTEGER NOT NULL REFERENCES digests (id),
            shown INTEGER NOT NULL,
            PRIMARY KEY (rep, account, article_id)
        ) STRICT;
        CREATE TABLE digest_parts (
            digest_id INTEGER NOT NULL REFERENCES digests (id),
            part INTEGER NOT NULL,
            parts INTEGER NOT NULL,
            text TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at TEXT,
            lease_owner TEXT,
            lease_until TEXT,
            first_claimed_at TEXT,
            channel TEXT,
            slack_ts TEXT,
            sent_at TEXT,
            PRIMARY KEY (digest_id, part)
        ) STRICT;
        CREATE INDEX digest_parts_state ON digest_parts (state, next_attempt_at);
        CREATE TABLE slack_users (
            email TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            channel_id TEXT,
            timezone TEXT,
            checked_at TEXT NOT NULL
        ) STRICT;
        CREATE TABLE touches (
            id INTEGER PRIMARY KEY,
            rep TEXT NOT NULL,
            account TEXT NOT NULL,
            article_id INTEGER REFERENCES articles (id),
            channel TEXT NOT NULL,
            note TEXT,
            touched_at TEXT NOT NULL,
            idempotency_key TEXT UNIQUE
        ) STRICT;
        CREATE INDEX touches_account ON touches (account, touched_at);
        """,
    ),
    (
        "0007_slack_app",
        """
        CREATE TABLE watch_terms (
            id INTEGER PRIMARY KEY,
            rep TEXT NOT NULL,
            account TEXT NOT NULL,
            term TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (rep, account, term)
        ) STRICT;
        CREATE TABLE mutes (
            rep TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('account', 'source')),
            target TEXT NOT NULL,
            until TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (rep, kind, target)
        ) STRICT;
        CREATE TABLE rep_settings (
            rep TEXT PRIMARY KEY,
            digest_time TEXT,
            timezone TEXT,
            quiet_hours TEXT,
            updated_at TEXT NOT NULL
        ) STRICT;
        CREATE TABLE slack_requests (
            key TEXT PRIMARY KEY,
            received_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX touches_article ON touches (account, article_id);
        """,
    ),
    (
        "0008_feed_gaps",
        """
        ALTER TABLE feeds ADD COLUMN gap_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE feeds ADD COLUMN last_gap_at TEXT;
        """,
    ),
    (
        "0009_feed_source_type",
        """
        ALTER TABLE feeds ADD COLUMN source_type TEXT NOT NULL DEFAULT 'feed';
        """,
    ),
    (
        "0010_industry_news",
        """
        ALTER TABLE rep_settings ADD COLUMN industries TEXT;
        CREATE TABLE digest_industry_items (
            rep TEXT NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles (id),
            industry TEXT NOT NULL,
            digest_id INTEGER NOT NULL REFERENCES digests (id),
            shown INTEGER NOT NULL,
            PRIMARY KEY (rep, article_id)
        ) STRICT;
        CREATE INDEX article_industries_industry ON article_industries (industry, article_id);
        """,
    ),
    (
        "0011_feed_weight",
        """
        ALTER TABLE feeds ADD COLUMN weight REAL NOT NULL DEFAULT 1.0;
        """,
    ),
    (
        "0012_digest_items_shown_at",
        """
        ALTER TABLE digest_items ADD COLUMN shown_at TEXT;
        UPDATE digest_items SET shown_at =
            (SELECT d.created_at FROM digests d WHERE d.id = digest_items.digest_id)
            WHERE shown = 1;
        CREATE INDEX digest_items_left_out ON digest_items (rep, account) WHERE shown = 0;
        """,
    ),
    (
        "0014_touch_ledger",
        """
        ALTER TABLE touches ADD COLUMN contact TEXT;
        ALTER TABLE touches ADD COLUMN subject TEXT;
        ALTER TABLE touches ADD COLUMN kind TEXT;
        ALTER TABLE touches ADD COLUMN origin TEXT;
        ALTER TABLE touches ADD COLUMN created_at TEXT;
        ALTER TABLE touches ADD COLUMN voided_at TEXT;
        ALTER TABLE touches ADD COLUMN voided_by TEXT;
        ALTER TABLE touches ADD COLUMN void_reason TEXT;
        CREATE INDEX touches_rep ON touches (rep, touched_at);
        """,
    ),
    (
        "0018_touch_webhook",
        """
        CREATE TABLE touch_webhook (
            touch_id INTEGER PRIMARY KEY REFERENCES touches (id),
            queued_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            delivered_at TEXT,
            skipped_at TEXT,
            gave_up_at TEXT
        );
        CREATE INDEX touch_webhook_pending ON touch_webhook (next_attempt_at)
            WHERE delivered_at IS NULL AND skipped_at IS NULL AND gave_up_at IS NULL;
        CREATE TRIGGER touch_webhook_queue AFTER INSERT ON touches
        BEGIN
            INSERT INTO touch_webhook (touch_id, queued_at)
            VALUES (NEW.id, COALESCE(NEW.created_at, NEW.touched_at));
        END;
        """,
    ),
    (
        # "Customer found it useful" on a share: once per (rep who shared, account, article)
        "0021_share_useful",
        """
        CREATE TABLE share_useful (
            rep TEXT NOT NULL,
            account TEXT NOT NULL,
            article_id INTEGER NOT NULL,
            touch_id INTEGER NOT NULL REFERENCES touches (id),
            marked_by TEXT NOT NULL,
            marked_at TEXT NOT NULL,
            PRIMARY KEY (rep, account, article_id)
        );
        CREATE INDEX share_useful_touch ON share_useful (touch_id);
        """,
    ),
    (
        # the touch webhook's claims are leased, like digest parts: two deliverers on one
        # database never POST the same touch at once; a crashed one's touches come back
        "0021_touch_webhook_lease",
        """
        ALTER TABLE touch_webhook ADD COLUMN lease_owner TEXT;
        ALTER TABLE touch_webhook ADD COLUMN lease_until TEXT;
        """,
    ),
    (
        "0022_industry_items_shown_at",
        """
        ALTER TABLE digest_industry_items ADD COLUMN shown_at TEXT;
        UPDATE digest_industry_items SET shown_at =
            (SELECT d.created_at FROM digests d WHERE d.id = digest_industry_items.digest_id)
            WHERE shown = 1;
        CREATE INDEX digest_industry_items_left_out ON digest_industry_items (rep)
            WHERE shown = 0;
        """,
    ),
    (
        # feed-health alerts and retention (issue 15): once-a-day jobs are recorded so a
        # restart or a second process never repeats one; pruning articles needs their
        # children found by article (every foreign key to articles is checked on delete)
        "0023_care",
        """
        CREATE TABLE daily_jobs (
            job TEXT NOT NULL,
            due_at TEXT NOT NULL,
            done_at TEXT NOT NULL,
            PRIMARY KEY (job, due_at)
        ) STRICT;
        CREATE INDEX digest_items_article ON digest_items (article_id);
        CREATE INDEX digest_industry_items_article ON digest_industry_items (article_id);
        CREATE INDEX feedback_article ON feedback (article_id);
        CREATE INDEX touches_article_id ON touches (article_id) WHERE article_id IS NOT NULL;
        CREATE INDEX articles_feed_fetched ON articles (feed_id, fetched_at);
        CREATE INDEX articles_fetched ON articles (fetched_at);
        CREATE INDEX embeddings_created ON embeddings (created_at);
        """,
    ),
    (
        # /readyz writes this row and rolls back: BEGIN IMMEDIATE alone succeeds on a read-only
        # file, a write does not
        "0024_health_heartbeat",
        """
        CREATE TABLE health_heartbeat (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            at TEXT NOT NULL
        ) STRICT;
        """,
    ),
)
