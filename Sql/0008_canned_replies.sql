-- Canned replies: snippets an admin inserts in the reply box by typing / and the shortcut.

CREATE TABLE canned_replies (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shortcut   text        NOT NULL CHECK (shortcut ~ '^[a-z0-9_-]{1,32}$'),
    title      text        NOT NULL DEFAULT '' CHECK (length(title) <= 100),
    body       text        NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_by bigint REFERENCES admins (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Shortcuts are unique whatever their case.
CREATE UNIQUE INDEX canned_replies_shortcut_key ON canned_replies (lower(shortcut));
