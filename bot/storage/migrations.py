"""Versioned schema; ``PRAGMA user_version`` records how far a database is."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: question log, feedback, per-chat settings
    """
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        asked_at TEXT NOT NULL,
        platform TEXT NOT NULL,
        chat_hash TEXT,
        user_hash TEXT,
        language TEXT NOT NULL,
        intent TEXT,
        score REAL NOT NULL,
        outcome TEXT NOT NULL,
        question TEXT,
        latency_ms REAL
    );
    CREATE INDEX questions_asked_at ON questions (asked_at);
    CREATE INDEX questions_user ON questions (platform, user_hash);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        given_at TEXT NOT NULL,
        platform TEXT NOT NULL,
        chat_hash TEXT,
        user_hash TEXT,
        reply_id TEXT NOT NULL,
        intent TEXT NOT NULL,
        helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
        UNIQUE (platform, user_hash, reply_id)
    );
    CREATE INDEX feedback_given_at ON feedback (given_at);
    CREATE TABLE chat_settings (
        platform TEXT NOT NULL,
        chat_hash TEXT NOT NULL,
        language TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, chat_hash)
    );
    """,
    # 2: "did you mean" picks, kept as proposed example phrasings for curation
    """
    CREATE TABLE suggestion_picks (
        id INTEGER PRIMARY KEY,
        picked_at TEXT NOT NULL,
        platform TEXT NOT NULL,
        user_hash TEXT,
        intent TEXT NOT NULL,
        question TEXT NOT NULL
    );
    CREATE INDEX suggestion_picks_picked_at ON suggestion_picks (picked_at);
    """,
    # 3: the reply id of a close call, so a "did you mean" pick finds its question again
    # (after a restart, on any replica) instead of in one process's memory
    """
    ALTER TABLE questions ADD COLUMN reply_id TEXT;
    CREATE INDEX questions_reply ON questions (platform, reply_id) WHERE reply_id IS NOT NULL;
    """,
)

LATEST = len(MIGRATIONS)
