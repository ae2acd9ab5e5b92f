-- Failed-login budgets: one counter per key (an IP, or a username) and fixed time window. A login claims a slot
-- atomically before its code is checked, so concurrent attempts on any instance cannot overrun the limit.

CREATE TABLE login_throttle (
    key          text        NOT NULL,
    window_start timestamptz NOT NULL,
    attempts     int         NOT NULL CHECK (attempts >= 0),
    PRIMARY KEY (key, window_start)
);
CREATE INDEX login_throttle_window_idx ON login_throttle (window_start);

-- Failures are no longer counted from the audit trail.
DROP INDEX IF EXISTS audit_log_login_failed_idx;
