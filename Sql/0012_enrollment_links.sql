-- Enrollment links know who issued them (an invitation, the first start, or the maintainer's `admin enroll` command)
-- and when a newer link for the same admin replaced them.

ALTER TABLE admin_enrollments
    ADD COLUMN kind       text NOT NULL DEFAULT 'invite' CHECK (kind IN ('invite', 'first_admin', 'recovery')),
    ADD COLUMN revoked_at timestamptz;

-- A used link keeps no secret: the admin's row holds it now.
UPDATE admin_enrollments SET totp_secret = NULL WHERE used_at IS NOT NULL;

-- Of the links still open, only each admin's newest stays valid.
UPDATE admin_enrollments e SET revoked_at = now(), totp_secret = NULL
WHERE e.used_at IS NULL
  AND EXISTS (SELECT 1 FROM admin_enrollments newer WHERE newer.admin_id = e.admin_id AND newer.id > e.id);
