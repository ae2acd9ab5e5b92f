using Dapper;
using Npgsql;

namespace SupportChat.Data;

public sealed record AdminRow(long Id, string Username, string DisplayName, string Status, string? TotpSecret, long? TotpLastStep,
    DateTime CreatedAt, DateTime? EnrolledAt);

public sealed record EnrollmentRow(long Id, long AdminId, string Username, string DisplayName, string? TotpSecret, DateTime ExpiresAt);

/// <summary>Who issued an enrollment link: an admin's invitation, the first start, or the maintainer's <c>admin enroll</c> command.</summary>
public enum EnrollmentLinkKind { Invite, FirstAdmin, Recovery }

/// <summary>Admin accounts, their enrollment links and TOTP state.</summary>
public static class AdminStore
{
    const string SelectAdmin = "SELECT id, username, display_name, status, totp_secret, totp_last_step, created_at, enrolled_at FROM admins";

    public static async Task<AdminRow?> FindByUsernameAsync(NpgsqlDataSource db, string username)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<AdminRow>(SelectAdmin + " WHERE lower(username) = lower(@username)", new { username });
    }

    public static async Task<IReadOnlyList<AdminRow>> ListAsync(NpgsqlDataSource db)
    {
        await using var c = await db.OpenConnectionAsync();
        return (await c.QueryAsync<AdminRow>(SelectAdmin + " WHERE status <> 'removed' ORDER BY lower(username)")).ToList();
    }

    /// <summary>The admin, locked against removal until the caller's transaction ends; null when there is none.</summary>
    public static Task<AdminRow?> FindForShareAsync(NpgsqlConnection c, NpgsqlTransaction tx, long id) =>
        c.QuerySingleOrDefaultAsync<AdminRow>(SelectAdmin + " WHERE id = @id FOR SHARE", new { id }, tx);

    public static async Task<bool> AnyActiveAsync(NpgsqlDataSource db)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM admins WHERE status = 'active')");
    }

    /// <summary>The admin with this username, created as pending when missing (a removed one comes back as pending).</summary>
    public static Task<AdminRow> UpsertPendingAsync(NpgsqlConnection c, NpgsqlTransaction tx, string username, string displayName) =>
        c.QuerySingleAsync<AdminRow>("""
            INSERT INTO admins (username, display_name) VALUES (@username, @displayName)
            ON CONFLICT (lower(username)) DO UPDATE
                SET status = CASE WHEN admins.status = 'removed' THEN 'pending' ELSE admins.status END,
                    removed_at = NULL
            RETURNING id, username, display_name, status, totp_secret, totp_last_step, created_at, enrolled_at
            """, new { username, displayName }, tx);

    /// <summary>Accepts a TOTP time step once: true only if it is newer than every step accepted before for this admin.</summary>
    public static async Task<bool> ClaimTotpStepAsync(NpgsqlDataSource db, long adminId, long step)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.ExecuteAsync(
            "UPDATE admins SET totp_last_step = @step WHERE id = @adminId AND (totp_last_step IS NULL OR totp_last_step < @step)",
            new { adminId, step }) == 1;
    }

    /// <summary>Marks an admin removed and revokes their open links; returns false when there is no such admin or it was already removed.</summary>
    public static async Task<bool> RemoveAsync(NpgsqlConnection c, NpgsqlTransaction tx, long adminId) =>
        await c.ExecuteScalarAsync<int>("""
            WITH removed AS (
                UPDATE admins SET status = 'removed', removed_at = now() WHERE id = @adminId AND status <> 'removed' RETURNING id
            ), revoked AS (
                UPDATE admin_enrollments SET revoked_at = now(), totp_secret = NULL
                WHERE admin_id IN (SELECT id FROM removed) AND used_at IS NULL AND revoked_at IS NULL
            )
            SELECT count(*) FROM removed
            """, new { adminId }, tx) == 1;

    public static Task<int> CountActiveAsync(NpgsqlConnection c, NpgsqlTransaction tx) =>
        c.ExecuteScalarAsync<int>("SELECT count(*) FROM admins WHERE status = 'active'", transaction: tx);

    /// <summary>
    /// Stores a new link for the admin and revokes (and forgets the secret of) every earlier unused one, so that the newest
    /// link is the only one that works. The caller holds the admin's row lock (UpsertPendingAsync), which serialises issuers.
    /// Returns how many earlier links were revoked.
    /// </summary>
    public static async Task<int> CreateEnrollmentAsync(NpgsqlConnection c, NpgsqlTransaction tx, long adminId, byte[] tokenHash, long? createdBy,
        DateTime expiresAt, EnrollmentLinkKind kind)
    {
        var revoked = await c.ExecuteAsync("""
            UPDATE admin_enrollments SET revoked_at = now(), totp_secret = NULL
            WHERE admin_id = @adminId AND used_at IS NULL AND revoked_at IS NULL
            """, new { adminId }, tx);
        await c.ExecuteAsync("""
            INSERT INTO admin_enrollments (admin_id, token_hash, created_by, expires_at, kind) VALUES (@adminId, @tokenHash, @createdBy, @expiresAt, @kind)
            """, new { adminId, tokenHash, createdBy, expiresAt, kind = KindName(kind) }, tx);
        return revoked;
    }

    static string KindName(EnrollmentLinkKind kind) => kind switch
    {
        EnrollmentLinkKind.Invite => "invite",
        EnrollmentLinkKind.FirstAdmin => "first_admin",
        EnrollmentLinkKind.Recovery => "recovery",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// A link that may enroll now, with its admin locked for the caller's transaction: unused, unrevoked, unexpired; for an
    /// admin still pending, or any admin not removed when the maintainer's command issued it; a first-admin link only while
    /// no admin is active.
    /// </summary>
    public static Task<EnrollmentRow?> FindOpenEnrollmentAsync(NpgsqlConnection c, NpgsqlTransaction tx, byte[] tokenHash) =>
        c.QuerySingleOrDefaultAsync<EnrollmentRow>("""
            SELECT e.id, e.admin_id, a.username, a.display_name, e.totp_secret, e.expires_at
            FROM admin_enrollments e JOIN admins a ON a.id = e.admin_id
            WHERE e.token_hash = @tokenHash AND e.used_at IS NULL AND e.revoked_at IS NULL AND e.expires_at > now()
              AND a.status <> 'removed' AND (a.status = 'pending' OR e.kind = 'recovery')
              AND (e.kind <> 'first_admin' OR NOT EXISTS (SELECT 1 FROM admins WHERE status = 'active'))
            FOR UPDATE OF e, a
            """, new { tokenHash }, tx);

    public static Task SetEnrollmentSecretAsync(NpgsqlConnection c, NpgsqlTransaction tx, long enrollmentId, string protectedSecret) =>
        c.ExecuteAsync("UPDATE admin_enrollments SET totp_secret = @protectedSecret WHERE id = @enrollmentId",
            new { enrollmentId, protectedSecret }, tx);

    /// <summary>Completes an enrollment: the link is spent (its secret moves to the admin), the admin active, and the proving step used.</summary>
    public static async Task CompleteEnrollmentAsync(NpgsqlConnection c, NpgsqlTransaction tx, EnrollmentRow e, long step)
    {
        await c.ExecuteAsync("UPDATE admin_enrollments SET used_at = now(), totp_secret = NULL WHERE id = @Id", new { e.Id }, tx);
        await c.ExecuteAsync("""
            UPDATE admins SET totp_secret = @TotpSecret, totp_last_step = @step, status = 'active', enrolled_at = now()
            WHERE id = @AdminId
            """, new { e.TotpSecret, step, e.AdminId }, tx);
    }
}
