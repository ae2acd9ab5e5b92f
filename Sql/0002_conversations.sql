-- Visitors, their conversations and the messages in them.

CREATE TABLE visitors (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- SHA-256 of the visitor token (at least 128 random bits); the token itself is never stored.
    token_hash    bytea       NOT NULL UNIQUE,
    name          text CHECK (length(name) <= 100),
    email         text CHECK (length(email) <= 254),
    locale        text CHECK (length(locale) <= 16),
    page_url      text CHECK (length(page_url) <= 2048),
    user_agent    text CHECK (length(user_agent) <= 512),
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversations (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    visitor_id        uuid        NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    status            text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed')),
    assigned_admin_id bigint REFERENCES admins (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_activity_at  timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    -- Highest seq handed out in this conversation; incremented in the transaction that inserts a message.
    last_seq          bigint      NOT NULL DEFAULT 0,
    -- Read receipts: the highest seq each side has read.
    visitor_read_seq  bigint      NOT NULL DEFAULT 0,
    admin_read_seq    bigint      NOT NULL DEFAULT 0
);
-- Conversation list: newest activity first, keyset paging on (last_activity_at, id), with or without a status filter.
CREATE INDEX conversations_activity_idx ON conversations (last_activity_at DESC, id DESC);
CREATE INDEX conversations_status_activity_idx ON conversations (status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_visitor_idx ON conversations (visitor_id);
CREATE INDEX conversations_assigned_idx ON conversations (assigned_admin_id) WHERE assigned_admin_id IS NOT NULL;

CREATE TABLE messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id uuid        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- Per-conversation order; only grows, no gaps are promised.
    seq             bigint      NOT NULL,
    sender_kind     text        NOT NULL CHECK (sender_kind IN ('visitor', 'admin', 'system', 'note')),
    admin_id        bigint REFERENCES admins (id) ON DELETE SET NULL,
    body            text        NOT NULL,
    -- The sender's own id for this message, so that a retried send is stored once.
    client_msg_id   text CHECK (length(client_msg_id) <= 64),
    created_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq)
);
-- A client message id is unique per conversation and sender (the visitor, or one admin).
CREATE UNIQUE INDEX messages_client_msg_key
    ON messages (conversation_id, sender_kind, COALESCE(admin_id, 0), client_msg_id)
    WHERE client_msg_id IS NOT NULL;
