-- Full-text search over message bodies (PostgreSQL full text, 'simple' configuration: no stemming, no stop words, so
-- Turkish and English are treated alike) and partial-word search over visitor names and e-mails (pg_trgm).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Stored, so that a search that walks messages newest first tests each row without re-parsing its body.
ALTER TABLE messages ADD COLUMN body_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED;
-- Only what search may return: deleted messages and private notes are never indexed for it.
CREATE INDEX messages_body_tsv_idx ON messages USING gin (body_tsv) WHERE deleted_at IS NULL AND sender_kind <> 'note';

CREATE INDEX visitors_name_trgm_idx ON visitors USING gin (name gin_trgm_ops);
CREATE INDEX visitors_email_trgm_idx ON visitors USING gin (email gin_trgm_ops);
-- Matching visitors most recently seen first: a text that most visitors contain walks this and stops at the first few.
CREATE INDEX visitors_last_seen_idx ON visitors (last_seen_at DESC, id DESC);
