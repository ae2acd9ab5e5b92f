using System.Text.RegularExpressions;
using Npgsql;
using SupportChat.Data;

namespace SupportChat.Conversations;

/// <summary>
/// Tags: the shared list (create, rename, recolour, delete) and putting them on conversations. Each change is checked,
/// stored and audited in one transaction, then told to every console: "tags" for a conversation's tags, "tags-changed"
/// for the list of tags itself. Only admins tag.
/// </summary>
public sealed partial class Tags(NpgsqlDataSource db, IConversationEventBus bus)
{
    public const int MaxNameChars = 50;
    public const string DefaultColor = "#6b7280";

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex ColorPattern();

    public Task<IReadOnlyList<Tag>> ListAsync() => TagStore.ListAsync(db);

    /// <summary>A new tag (color: the default grey when null).</summary>
    public async Task<Outcome<Tag>> AddAsync(Sender sender, string? name, string? color)
    {
        if (NotAdmin(sender) is { } denied) return denied;
        var cleanName = CleanName(name);
        var cleanColor = color is null ? DefaultColor : CleanColor(color);
        if (cleanName is null) return NameError();
        if (cleanColor is null) return ColorError();
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        try
        {
            var tag = await TagStore.AddAsync(c, tx, cleanName, cleanColor);
            await AuditLog.WriteAsync(c, tx, Audit(sender, "tag.created", tag.Id, new { tag.Name, tag.Color }));
            await tx.CommitAsync();
            bus.Publish(new TagCatalogChangedEvent());
            return tag;
        }
        catch (PostgresException ex) when (ex.SqlState == TagStore.DuplicateName)
        {
            return Duplicate(cleanName);
        }
    }

    /// <summary>Renames and/or recolours a tag (a null one stays as it is); the result is the tag now.</summary>
    public async Task<Outcome<Tag>> UpdateAsync(Sender sender, long id, string? name, string? color)
    {
        if (NotAdmin(sender) is { } denied) return denied;
        if (name is null && color is null) return new Problem(ProblemCode.BadRequest, "Send a new name, a new color or both.");
        var cleanName = name is null ? null : CleanName(name);
        var cleanColor = color is null ? null : CleanColor(color);
        if (name is not null && cleanName is null) return NameError();
        if (color is not null && cleanColor is null) return ColorError();
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        try
        {
            if (await TagStore.UpdateAsync(c, tx, id, cleanName, cleanColor) is not { } updated) return NoSuchTag();
            var (before, after) = updated;
            if (before != after)
            {
                // Lists show tag names and colours, so cached pages must not outlive the change.
                await ConversationStore.BumpListVersionAsync(c, tx);
                await AuditLog.WriteAsync(c, tx, Audit(sender, "tag.updated", id,
                    new { from = new { before.Name, before.Color }, to = new { after.Name, after.Color } }));
            }
            await tx.CommitAsync();
            if (before != after) bus.Publish(new TagCatalogChangedEvent());
            return after;
        }
        catch (PostgresException ex) when (ex.SqlState == TagStore.DuplicateName)
        {
            return Duplicate(cleanName!);
        }
    }

    /// <summary>Deletes a tag and takes it off every conversation that carried it; the result is the deleted tag.</summary>
    public async Task<Outcome<Tag>> DeleteAsync(Sender sender, long id)
    {
        if (NotAdmin(sender) is { } denied) return denied;
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (await TagStore.DeleteAsync(c, tx, id) is not { } deleted) return NoSuchTag();
        var (tag, carried) = deleted;
        await ConversationStore.BumpListVersionAsync(c, tx);
        await AuditLog.WriteAsync(c, tx, Audit(sender, "tag.deleted", id, new { tag.Name, tag.Color, conversations = carried }));
        await tx.CommitAsync();
        bus.Publish(new TagCatalogChangedEvent());
        return tag;
    }

    /// <summary>
    /// Puts a tag on the conversation or takes it off (attach false); doing it twice changes nothing. Stored, audited and
    /// the list version moved in one transaction, then the conversation's whole tag list is told to every admin.
    /// </summary>
    public async Task<Outcome<TagsChangedEvent>> TagAsync(Sender sender, Guid conversationId, long tagId, bool attach)
    {
        if (NotAdmin(sender) is { } denied) return denied;
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (!await ConversationStore.ExistsForShareAsync(c, tx, conversationId)) return new Problem(ProblemCode.NotFound, "No such conversation.");
        if (await TagStore.FindForShareAsync(c, tx, tagId) is not { } tag) return NoSuchTag();
        var changed = attach ? await TagStore.AttachAsync(c, tx, conversationId, tagId) : await TagStore.DetachAsync(c, tx, conversationId, tagId);
        if (changed)
        {
            await ConversationStore.BumpListVersionAsync(c, tx);
            await AuditLog.WriteAsync(c, tx, new AuditEntry(attach ? "conversation.tagged" : "conversation.untagged", sender.AdminId,
                sender.Origin.Ip, sender.Origin.UserAgent, "conversation", conversationId.ToString(), new { tagId, tag = tag.Name }));
        }
        var tags = new TagsChangedEvent(conversationId, await TagStore.OfConversationAsync(c, tx, conversationId));
        await tx.CommitAsync();
        if (changed) bus.Publish(tags);
        return tags;
    }

    static Problem? NotAdmin(Sender sender) => sender.IsVisitor ? new Problem(ProblemCode.Forbidden, "Only admins tag conversations.") : null;

    static AuditEntry Audit(Sender sender, string action, long tagId, object details) =>
        new(action, sender.AdminId, sender.Origin.Ip, sender.Origin.UserAgent, "tag", tagId.ToString(), details);

    /// <summary>The trimmed name, or null when it is empty, too long or has control characters.</summary>
    static string? CleanName(string? name)
    {
        var trimmed = name?.Trim();
        return string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxNameChars || trimmed.Any(char.IsControl) ? null : trimmed;
    }

    /// <summary>The colour in lower case, or null when it is not #rrggbb.</summary>
    static string? CleanColor(string color) => ColorPattern().IsMatch(color) ? color.ToLowerInvariant() : null;

    static Problem NameError() => new(ProblemCode.BadRequest, $"name is 1 to {MaxNameChars} characters (trimmed), without control characters.");
    static Problem ColorError() => new(ProblemCode.BadRequest, "color is #rrggbb, e.g. #1d4ed8.");
    static Problem Duplicate(string name) => new(ProblemCode.Conflict, $"Another tag is named '{name}'.");
    static Problem NoSuchTag() => new(ProblemCode.NotFound, "No such tag.");
}
