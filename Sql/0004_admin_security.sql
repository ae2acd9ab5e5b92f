-- Enrollment links, shared Data Protection keys, and a fast path for counting recent failed logins.

CREATE TABLE admin_enrollments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_id    bigint      NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    -- SHA-256 of the link's random token; the token itself is never stored.
    token_hash  bytea       NOT NULL UNIQUE,
    -- The TOTP secret offered by this link (Data Protection encrypted); it replaces the admin's only when a code proves it.
    totp_secret text,
    created_by  bigint REFERENCES admins (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX admin_enrollments_admin_idx ON admin_enrollments (admin_id);

-- ASP.NET Core Data Protection key ring, shared by every instance.
CREATE TABLE data_protection_keys (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    friendly_name text        NOT NULL UNIQUE,
    xml           text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Login throttling counts the failures of the last minutes, per IP and per username, from the audit trail itself.
CREATE INDEX audit_log_login_failed_idx ON audit_log (at) WHERE action = 'login.failed';
