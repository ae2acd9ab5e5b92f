-- Admins (support agents), their login sessions and the audit trail of what they do.

CREATE TABLE admins (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username         text        NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
    display_name     text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    -- TOTP secret encrypted with ASP.NET Core Data Protection; NULL until enrollment completes.
    totp_secret      text,
    -- Last accepted TOTP time step: a code is accepted once only.
    totp_last_step   bigint,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'removed')),
    telegram_user_id bigint UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    enrolled_at      timestamptz,
    removed_at       timestamptz
);
CREATE UNIQUE INDEX admins_username_key ON admins (lower(username));

CREATE TABLE admin_sessions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_id       bigint      NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    -- SHA-256 of the opaque cookie value; the value itself is never stored.
    token_hash     bytea       NOT NULL UNIQUE,
    csrf_token     text        NOT NULL,
    user_agent     text        NOT NULL,
    ip             inet,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX admin_sessions_admin_idx ON admin_sessions (admin_id) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    admin_id    bigint REFERENCES admins (id) ON DELETE SET NULL,
    action      text        NOT NULL,
    ip          inet,
    user_agent  text,
    target_type text,
    target_id   text,
    details     jsonb       NOT NULL DEFAULT '{}'::jsonb
);
-- Keyset paging newest first, overall and filtered by admin or action.
CREATE INDEX audit_log_admin_idx ON audit_log (admin_id, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC);
