-- Attachments: a small thumbnail made by the uploading page (so a list of images does not download every full-size
-- file), and an index for "is this stored file still used by another attachment?" (files are shared by SHA-256).

ALTER TABLE attachments
    ADD COLUMN thumbnail      bytea CHECK (length(thumbnail) <= 65536),
    ADD COLUMN thumbnail_type text  CHECK (thumbnail_type IN ('image/png', 'image/jpeg', 'image/webp')),
    ADD CHECK ((thumbnail IS NULL) = (thumbnail_type IS NULL));

CREATE INDEX attachments_storage_path_idx ON attachments (storage_path) WHERE storage_path IS NOT NULL;
