using System.Security.Cryptography;
using Dapper;
using Npgsql;
using SupportChat.Data;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Foundation;

public sealed class MigrationTests
{
    static readonly string[] Scripts = typeof(Program).Assembly.GetManifestResourceNames()
        .Where(n => n.Contains(".Sql.", StringComparison.Ordinal)).Order().ToArray();

    static async Task<List<(string Name, DateTime Applied)>> JournalAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(connectionString);
        return (await c.QueryAsync<(string, DateTime)>("SELECT scriptname, applied FROM schemaversions ORDER BY scriptname")).ToList();
    }

    [Fact]
    public async Task Migrations_apply_once_and_a_restart_applies_nothing_new()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        try
        {
            await using (var first = new SupportChatApp(db))
            {
                _ = first.Server;
                Assert.Equal(Scripts, first.Get<MigrationReport>().AppliedScripts.Order());
            }
            var journal = await JournalAsync(db);
            Assert.Equal(Scripts, journal.Select(j => j.Name));

            await using (var second = new SupportChatApp(db))
            {
                _ = second.Server;
                Assert.True(second.Get<MigrationReport>().Completed);
                Assert.Empty(second.Get<MigrationReport>().AppliedScripts);
            }
            Assert.Equal(journal, await JournalAsync(db));
        }
        finally { await TestPostgres.DropDatabaseAsync(db); }
    }

    [Fact]
    public async Task Two_instances_starting_together_migrate_once()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        try
        {
            await using var a = new SupportChatApp(db);
            await using var b = new SupportChatApp(db);
            await Task.WhenAll(Task.Run(() => a.Server), Task.Run(() => b.Server));

            var applied = new[] { a, b }.Select(app => app.Get<MigrationReport>().AppliedScripts.Count).Order().ToArray();
            Assert.Equal([0, Scripts.Length], applied);
            Assert.Equal(Scripts, (await JournalAsync(db)).Select(j => j.Name));
            foreach (var app in new[] { a, b })
                Assert.Equal(System.Net.HttpStatusCode.OK, (await app.CreateClient().GetAsync("/health/ready")).StatusCode);
        }
        finally { await TestPostgres.DropDatabaseAsync(db); }
    }

    [Fact]
    public async Task A_failing_script_stops_start_up_naming_it_and_keeps_the_scripts_before_it()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        try
        {
            // An object in the way makes 0002 fail half-way; its transaction must leave nothing behind.
            await using (var c = new NpgsqlConnection(db))
                await c.ExecuteAsync("CREATE TABLE messages (x int)");

            var failure = await AppProcess.ExpectStartupFailureAsync(new Dictionary<string, string>
            {
                ["Database:ConnectionString"] = db,
                ["Server:Port"] = AppProcess.FreePort().ToString(),
            });
            Assert.Contains("0002_conversations.sql", failure);

            Assert.Equal([Scripts[0]], (await JournalAsync(db)).Select(j => j.Name));
            await using var check = new NpgsqlConnection(db);
            Assert.Equal(0, await check.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_tables WHERE tablename IN ('visitors', 'conversations')"));
        }
        finally { await TestPostgres.DropDatabaseAsync(db); }
    }

    // An applied script is never edited: changes come as new scripts. Adding a script means adding its line here.
    static readonly Dictionary<string, string> AppliedScriptHashes = new()
    {
        ["SupportChat.Sql.0001_admins.sql"] = "caa154373052c7dc798ce046a440ad8eaf19ac75008388f3e99f200e883399a5",
        ["SupportChat.Sql.0002_conversations.sql"] = "4432985dda3f8cd883c412d635c93d8666c0a7d7c2dfabfc99eb8a3917b58745",
        ["SupportChat.Sql.0003_tags_attachments.sql"] = "574c63b57b843ea2c4767541b84dd8c216c340925e7d2ce2ed8d9bb42722304c",
        ["SupportChat.Sql.0004_admin_security.sql"] = "f1f75954956158fc7eb0916c1028803b204b523d9db6240d3c79da2a11f3dcc4",
        ["SupportChat.Sql.0005_conversation_list_version.sql"] = "04052bb5aaf3d3caca0fb58fbcd52aca12f9952e9b2862ea510adb67e7cdbced",
        ["SupportChat.Sql.0006_telegram.sql"] = "f92bf5dc303193de542c3109ca36e6138ddba76bcfaa97d2d7bad293fd25c2f8",
        ["SupportChat.Sql.0007_search.sql"] = "5ab58be30dbfabf47ee3fa4fd15d1f828de5e1c7b8ac765aab55172e917186dd",
        ["SupportChat.Sql.0008_canned_replies.sql"] = "c5297eff54b5700a5b00bde35fe59be3d4b320966398738138332a85eee32770",
        ["SupportChat.Sql.0010_attachments.sql"] = "35871f0a6dc5427f9d00b05faad3319d03731b5312f271544ac7ead34866068b",
        ["SupportChat.Sql.0011_search_index_without_pending_list.sql"] = "21eaf8cd04a03b7621de8987f7fff34246a4a413a1747f19edd600a62b6ee39e",
        ["SupportChat.Sql.0012_enrollment_links.sql"] = "ffa05878cac8af15722421e3afed1219b71280fe58ac7aac7e196a7f96c31ef7",
        ["SupportChat.Sql.0013_login_throttle.sql"] = "e3c0f22c1e17c4680ee0cdcfb0d928fcc3a51a9e2aad2f0b70cb034da702ca47",
        ["SupportChat.Sql.0014_admin_sessions_by_ip.sql"] = "88376f29255af05a46ada75b1bc0f309ba0ab34633e1cdcb60900d3e690c39b2",
        ["SupportChat.Sql.0017_telegram_outbox_timeouts.sql"] = "e277905391fd8eeb021429932becf947456a59815e3ff78efd874401c6ba68d9",
    };

    [Fact]
    public void Applied_scripts_are_never_edited()
    {
        var actual = Scripts.ToDictionary(name => name, name =>
        {
            using var stream = typeof(Program).Assembly.GetManifestResourceStream(name)!;
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
        Assert.Equal(AppliedScriptHashes.OrderBy(p => p.Key), actual.OrderBy(p => p.Key));
    }
}
