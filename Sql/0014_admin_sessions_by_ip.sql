-- Once a username's failed-login budget is spent, a login looks up whether its admin has signed in from the same IP
-- lately (revoked and expired sessions count too): one index probe per refused attempt, also under a flood.
CREATE INDEX admin_sessions_admin_ip_idx ON admin_sessions (admin_id, ip, created_at);
