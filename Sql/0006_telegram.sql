-- Telegram: the notification outbox, which notification belongs to which conversation, handled updates, link codes.

-- Every message to Telegram (notifications and answers to commands) is written here in the transaction of what
-- caused it; a background sender delivers it with retries. Rows are claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE telegram_outbox (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id             bigint      NOT NULL,
    -- Set for notifications: the sent message's id is then mapped to the conversation, so a reply finds it.
    conversation_id     uuid REFERENCES conversations (id) ON DELETE CASCADE,
    text                text        NOT NULL,
    reply_to_message_id bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    attempts            int         NOT NULL DEFAULT 0,
    last_error          text,
    sent_at             timestamptz,
    telegram_message_id bigint,
    -- Telegram refused it for good (400 or 403: bad request, bot removed from the chat).
    failed_at           timestamptz
);
-- Pending rows by chat: only the oldest pending row of a chat is sent, so each chat gets its messages in order.
CREATE INDEX telegram_outbox_pending_idx ON telegram_outbox (chat_id, id) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE telegram_notifications (
    chat_id         bigint      NOT NULL,
    message_id      bigint      NOT NULL,
    conversation_id uuid        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX telegram_notifications_conversation_idx ON telegram_notifications (conversation_id);

-- Update ids already handled: Telegram retries a webhook call, and another instance may have handled it.
CREATE TABLE telegram_updates (
    update_id  bigint PRIMARY KEY,
    handled_at timestamptz NOT NULL DEFAULT now()
);

-- One-time codes of the /start deep link that links an admin's Telegram account.
CREATE TABLE telegram_link_codes (
    code_hash  bytea PRIMARY KEY,
    admin_id   bigint      NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX telegram_link_codes_admin_idx ON telegram_link_codes (admin_id);
