using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cancellations;

/// <summary>A server whose per-account resource budget is five resources, refilled at one a second.</summary>
public sealed class SmallResourceBudgetServer : SqliteServer
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Rescind:RateLimit:ResourcesPerSecond", "1"),
        new("Rescind:RateLimit:ResourceBurst", "5"),
    ];
}

/// <summary>Bulk and dry-run cancellations are charged per resource named, per account; a resource named twice
/// (also as <c>id</c> beside <c>api:id</c>) is refused before anything runs.</summary>
[Trait("Category", "Sqlite")]
public sealed class CancellationBudgetTests(SmallResourceBudgetServer server) : IClassFixture<SmallResourceBudgetServer>
{
    private static Task<Answer> BulkAsync(Tenant t, IEnumerable<string> resources, bool dryRun = false) =>
        t.SendAsync(HttpMethod.Post, "/v1/cancellations",
            JsonSerializer.Serialize(new { resources, dry_run = dryRun, idempotency_key = "key-" + Guid.NewGuid().ToString("N") }),
            new() { ["Authorization"] = "Bearer " + t.Credential("rescind", "live").Secret, ["Content-Type"] = "application/json" });

    private static void IsProblem(Answer a, int status, string code)
    {
        Assert.True(a.Code == status, $"expected {status} {code}, got {a.Code}: {a.Body}");
        Assert.Equal(code, a.Json.GetProperty("title").GetString());
    }

    [Fact]
    public async Task An_account_out_of_its_resource_budget_gets_429_and_another_account_is_not_affected()
    {
        var t = await Tenant.CreateAsync(server);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await t.PendingRequestAsync());
        }
        var preview = await BulkAsync(t, ids, dryRun: true); // the 5 permits; the refill takes 5 s
        Assert.True(preview.Code == 200, preview.Body);

        var refused = await BulkAsync(t, ids);
        IsProblem(refused, 429, "rate_limited");
        Assert.True(int.Parse(refused.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        foreach (var id in ids)
        {
            Assert.Equal("pending", (await t.GetAsync(id)).Str("status")); // nothing ran
        }
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM rescind_cancellations WHERE account_id = @AccountId", new { t.AccountId }));

        var other = await Tenant.CreateAsync(server, "Other");
        var theirs = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            theirs.Add(await other.PendingRequestAsync());
        }
        var done = await BulkAsync(other, theirs);
        Assert.True(done.Code == 201, done.Body);
        foreach (var id in theirs)
        {
            Assert.Equal("canceled", (await other.GetAsync(id)).Str("status"));
        }
    }

    [Fact]
    public async Task A_resource_named_twice_or_both_bare_and_qualified_is_refused_before_anything_runs()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        IsProblem(await BulkAsync(t, [id, id]), 400, "invalid_request");
        var both = await BulkAsync(t, [id, "numeral:" + id]);
        IsProblem(both, 400, "invalid_request");
        Assert.Contains("numeral:" + id, both.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        IsProblem(await BulkAsync(t, ["numeral:" + id, id], dryRun: true), 400, "invalid_request");
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM rescind_cancellations WHERE account_id = @AccountId", new { t.AccountId }));
    }
}
