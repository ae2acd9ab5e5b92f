using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace SupportChat.LoadTests;

public static partial class Scenarios
{
    const string SearchVisitorAgent = "supportchat-load-search";

    /// <summary>Terms an agent types: common and rare words in both languages, numbers, phrases, exclusions, name parts, no match.</summary>
    static readonly string[] SearchTerms =
    [
        "kargo", "sipariş", "iade", "fatura", "şifre", "ödeme", "teslimat", "müşteri", "değişim", "indirim",
        "order", "refund", "invoice", "password", "delivery", "payment", "account", "shipping", "discount", "broken",
        "\"kargo nerede\"", "\"order status\"", "iade -fatura", "refund -invoice", "ödeme or payment", "siparişim gelmedi",
        "4711", "12345", "ayş", "mehm", "yılmaz", "example.com", "çağrı", "zzqxj",
    ];

    /// <summary>
    /// search: generates SearchMessages messages over SearchConversations conversations in the service's database (once:
    /// skipped when they are there), then searches at Rate requests per second with varied terms, first pages and next pages.
    /// </summary>
    public static async Task SearchAsync(LoadOptions o, Recorder rec, Dictionary<string, double> values, CancellationToken ct)
    {
        var database = o.Database ?? throw new ArgumentException("--database is needed for the search scenario");
        var generation = Stopwatch.StartNew();
        var generated = await GenerateSearchDataAsync(database, o.SearchConversations, o.SearchMessages, ct);
        values["search.generated_messages"] = generated;
        values["search.generation_seconds"] = generation.Elapsed.TotalSeconds;

        var admin = (await Clients.CreateAdminSessionsAsync(database, 1))[0];
        using var http = Clients.Http(o.Url);
        http.DefaultRequestHeaders.Add("Cookie", admin.Cookie);
        http.DefaultRequestHeaders.UserAgent.ParseAdd(admin.UserAgent);
        // Each term's second page, so that keyset paging is measured too.
        var cursors = new Dictionary<string, string?>();
        foreach (var term in SearchTerms)
        {
            var page = await http.GetFromJsonAsync<JsonElement>(SearchPath(term, null), ct);
            cursors[term] = page.GetProperty("nextCursor").GetString();
        }

        // Searching while messages are written: visitors write on their own schedule (send_to_ack is measured too); the
        // searches start once the writes have.
        var writing = Task.CompletedTask;
        if (o.WriteRate > 0)
        {
            values["search.earlier_writes_removed"] = await RemoveEarlierWritesAsync(database, ct);
            var writesBegan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writers = new LoadOptions
            {
                Url = o.Url, Scenario = "chat", Rate = o.WriteRate, Visitors = o.WriteVisitors, Admins = 0, AdminRate = 0,
                WarmupSeconds = o.WarmupSeconds, DurationSeconds = o.DurationSeconds, Database = database,
            };
            writing = ChatAsync(writers, rec, values, ct, writesBegan.SetResult);
            await Task.WhenAny(writesBegan.Task, writing);
            if (writing.IsFaulted) await writing;
        }

        // The schedule starts now, not when the recorder was made: generating the data set can take a minute.
        var begin = rec.Now;
        rec.MeasureFrom = rec.At(begin + o.WarmupSeconds);
        var pending = new ConcurrentBag<Task>();
        await rec.OpenLoopAsync(o.Rate, begin, o.WarmupSeconds + o.DurationSeconds, (k, due) =>
        {
            var term = SearchTerms[k % SearchTerms.Length];
            var path = SearchPath(term, (k / SearchTerms.Length) % 2 == 1 ? cursors[term] : null);
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await http.GetAsync(path, ct);
                    if (response.IsSuccessStatusCode) rec.Record("api_search", due);
                    else rec["api_search"].Error();
                }
                catch (HttpRequestException) { rec["api_search"].Error(); }
            }, ct));
        }, ct, rampSeconds: o.WarmupSeconds);
        await Task.WhenAll(pending);
        await writing;
    }

    static string SearchPath(string term, string? before) =>
        $"/api/admin/search?limit=20&q={Uri.EscapeDataString(term)}" + (before is null ? "" : "&before=" + before);

    /// <summary>
    /// Deletes what earlier search-writing runs wrote (every message not of the generated visitors) and vacuums, so that each
    /// run searches past its own writes only: left there, every run added 15,000 messages for the next one to walk past.
    /// </summary>
    static async Task<long> RemoveEarlierWritesAsync(string database, CancellationToken ct)
    {
        await using var c = new NpgsqlConnection(database);
        await c.OpenAsync(ct);
        var removed = await new NpgsqlCommand("""
            DELETE FROM messages m USING conversations c, visitors v
            WHERE c.id = m.conversation_id AND v.id = c.visitor_id AND v.user_agent IS DISTINCT FROM $1
            """, c) { Parameters = { new() { Value = SearchVisitorAgent } }, CommandTimeout = 600 }.ExecuteNonQueryAsync(ct);
        if (removed > 0) await new NpgsqlCommand("VACUUM (ANALYZE) messages", c) { CommandTimeout = 600 }.ExecuteNonQueryAsync(ct);
        return removed;
    }

    /// <summary>Writes the data set with generate_series unless it is there; returns how many search messages the database holds.</summary>
    static async Task<long> GenerateSearchDataAsync(string database, int conversations, long messages, CancellationToken ct)
    {
        await using var c = new NpgsqlConnection(database);
        await c.OpenAsync(ct);
        async Task<long> CountAsync() => (long)(await new NpgsqlCommand(
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN visitors v ON v.id = c.visitor_id WHERE v.user_agent = $1",
            c) { Parameters = { new() { Value = SearchVisitorAgent } } }.ExecuteScalarAsync(ct))!;
        var present = await CountAsync();
        if (present >= messages) return present;

        await using var tx = await c.BeginTransactionAsync(ct);
        var perConversation = (int)Math.Ceiling(messages / (double)conversations);
        await using var generate = new NpgsqlCommand(SearchDataSql, c, tx)
        {
            CommandTimeout = 0,
            Parameters = { new("agent", SearchVisitorAgent), new("conversations", conversations), new("per", perConversation), new("messages", messages) },
        };
        await generate.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        // As autovacuum would after gradual inserts: GIN's pending list merged, hint bits and visibility set, statistics made.
        // Without it the first searches after a bulk load do that work and measure it. One statement each: no transaction.
        foreach (var table in new[] { "visitors", "conversations", "messages" })
            await new NpgsqlCommand($"VACUUM (ANALYZE) {table}", c) { CommandTimeout = 0 }.ExecuteNonQueryAsync(ct);
        return await CountAsync();
    }

    // @agent marks the generated visitors. Word choice is skewed (random()^2) so that some words are common and others
    // rare, as in real chats; a third of the messages carry a number (an order number, say).
    const string SearchDataSql = """
        DELETE FROM visitors WHERE user_agent = @agent;

        INSERT INTO visitors (token_hash, name, email, user_agent, first_seen_at, last_seen_at)
        SELECT sha256(convert_to('load-search-' || i, 'UTF8')),
               first[1 + i % array_length(first, 1)] || ' ' || last[1 + (i / array_length(first, 1)) % array_length(last, 1)],
               'customer' || i || '@example.com', @agent, now() - interval '1 day' * (i % 365), now() - interval '1 day' * (i % 365)
        FROM (SELECT
            ARRAY['Ayşe','Mehmet','Fatma','Mustafa','Emine','Ahmet','Hatice','Ali','Zeynep','Hüseyin','Elif','Çağrı','Özge','İbrahim',
                  'Şule','John','Mary','James','Emma','Oliver','Sophia','Liam','Olivia','Noah','Ava']::text[] AS first,
            ARRAY['Yılmaz','Kaya','Demir','Şahin','Çelik','Yıldız','Öztürk','Aydın','Özdemir','Arslan','Doğan','Kılıç','Smith','Johnson',
                  'Brown','Taylor','Wilson','Davies','Evans','Thomas']::text[] AS last) names,
             generate_series(1, @conversations) i;

        INSERT INTO conversations (visitor_id, status, created_at, last_activity_at, last_seq, visitor_read_seq, admin_read_seq)
        SELECT id, 'closed', first_seen_at, first_seen_at + interval '1 minute' * @per, @per, @per, @per FROM visitors WHERE user_agent = @agent;

        INSERT INTO messages (conversation_id, seq, sender_kind, body, created_at)
        SELECT c.id, s, CASE WHEN s % 2 = 1 THEN 'visitor' ELSE 'admin' END,
               -- g in the argument keeps the aggregate in the subquery (an aggregate of outer columns only belongs to the outer query).
               (SELECT string_agg(words.w[1 + floor(power(random(), 2) * array_length(words.w, 1))::int + 0 * g], ' ')
                FROM generate_series(1, 3 + (c.n + s) % 10) g)
               || CASE WHEN random() < 0.33 THEN ' ' || floor(random() * 100000)::int ELSE '' END,
               c.created_at + interval '1 minute' * s
        FROM (SELECT ARRAY[
            'merhaba','kargo','sipariş','siparişim','gelmedi','nerede','iade','fatura','şifre','ödeme','teslimat','müşteri','değişim',
            'indirim','ürün','kırık','eksik','hızlı','yardım','lütfen','teşekkürler','hesabım','giriş','yapamıyorum','kartım','çekildi',
            'iptal','adres','güncelleme','bekliyorum','ne','zaman','gelir','bugün','yarın','çağrı','mağaza','kampanya','kupon','beden',
            'renk','değil','çalışmıyor','garanti','servis','numara','takip','paket','ulaşmadı','ücret',
            'hello','order','status','where','is','my','refund','invoice','password','reset','delivery','payment','account','shipping',
            'discount','broken','missing','item','please','thanks','help','cannot','login','card','charged','twice','cancel','address',
            'update','waiting','when','will','arrive','today','tomorrow','store','coupon','size','colour','not','working','warranty',
            'tracking','number','package','late','fee','the','a','and','to','of','for','you','it','was','still'
        ]::text[] AS w) words,
        (SELECT c.id, c.created_at, row_number() OVER (ORDER BY c.created_at, c.id) AS n
         FROM conversations c JOIN visitors v ON v.id = c.visitor_id WHERE v.user_agent = @agent) c
        CROSS JOIN generate_series(1, @per) s
        WHERE (c.n - 1) * @per + s <= @messages
        ORDER BY c.created_at, c.id, s;
        """;
}
