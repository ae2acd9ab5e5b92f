-- Tags on conversations, and files attached to messages.

CREATE TABLE tags (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    color      text        NOT NULL DEFAULT '#6b7280' CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tags_name_key ON tags (lower(name));

CREATE TABLE conversation_tags (
    conversation_id uuid        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    tag_id          bigint      NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, tag_id)
);
CREATE INDEX conversation_tags_tag_idx ON conversation_tags (tag_id);

CREATE TABLE attachments (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id uuid        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      bigint REFERENCES messages (id) ON DELETE CASCADE,
    uploader_kind   text        NOT NULL CHECK (uploader_kind IN ('visitor', 'admin')),
    admin_id        bigint REFERENCES admins (id) ON DELETE SET NULL,
    file_name       text        NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    -- Decided from the file's bytes, never from the client's name or header.
    content_type    text        NOT NULL,
    size_bytes      bigint      NOT NULL CHECK (size_bytes >= 0),
    sha256          bytea       NOT NULL CHECK (length(sha256) = 32),
    -- The bytes live here, or in a configured directory under storage_path.
    content         bytea,
    storage_path    text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((content IS NULL) <> (storage_path IS NULL))
);
CREATE INDEX attachments_conversation_idx ON attachments (conversation_id);
CREATE INDEX attachments_message_idx ON attachments (message_id) WHERE message_id IS NOT NULL;
