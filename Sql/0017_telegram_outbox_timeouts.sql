-- Attempts that got no answer in time: Telegram may have delivered them, so such a row is retried once, never more.
ALTER TABLE telegram_outbox ADD COLUMN timeouts int NOT NULL DEFAULT 0;
