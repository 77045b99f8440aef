using System.Text.Json;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>What the audit log and the outbox hold for one resource, read through the operator API.</summary>
public static class Audit
{
    public static async Task<IReadOnlyList<JsonElement>> RowsAsync(RescindServer server, string resourceId)
    {
        var a = await Tenant.Operator(server, HttpMethod.Get, $"/operator/audit?resource_id={resourceId}&limit=1000");
        Assert.True(a.Code == 200, a.Body);
        return a.Json.GetProperty("audit").EnumerateArray().ToList();
    }

    public static async Task<IReadOnlyList<JsonElement>> EventsAsync(RescindServer server, string resourceId)
    {
        var a = await Tenant.Operator(server, HttpMethod.Get, $"/operator/events?resource_id={resourceId}&limit=1000");
        Assert.True(a.Code == 200, a.Body);
        return a.Json.GetProperty("events").EnumerateArray().ToList();
    }

    /// <summary>The whole database satisfies every invariant (<c>rescind verify</c>).</summary>
    public static async Task AssertVerifiedAsync(RescindServer server)
    {
        var a = await Tenant.Operator(server, HttpMethod.Get, "/operator/verify");
        Assert.True(a.Code == 200 && a.Json.GetProperty("ok").GetBoolean(), a.Body);
    }

    /// <summary>The violations <c>rescind verify</c> reports for one named invariant.</summary>
    public static async Task<IReadOnlyList<string>> ViolationsAsync(RescindServer server, string invariant)
    {
        var a = await Tenant.Operator(server, HttpMethod.Get, "/operator/verify");
        Assert.True(a.Code == 200, a.Body);
        return a.Json.GetProperty("invariants").EnumerateArray()
            .Single(i => i.GetProperty("name").GetString() == invariant)
            .GetProperty("violations").EnumerateArray().Select(v => v.GetString()!).ToList();
    }

    /// <summary>Writes behind Rescind's back (to tamper with the database in invariant tests).</summary>
    public static async Task TamperAsync(RescindServer server, string sql, object? args = null)
    {
        await using var connection = await server.Db.OpenAsync(CancellationToken.None);
        await Dapper.SqlMapper.ExecuteAsync(connection, sql, args);
    }

    public static async Task<int> ActionCountAsync(RescindServer server, string resourceId, string action) =>
        (await RowsAsync(server, resourceId)).Count(r => r.GetProperty("action").GetString() == action);

    public static async Task<int> EventCountAsync(RescindServer server, string resourceId, string type) =>
        (await EventsAsync(server, resourceId)).Count(e => e.GetProperty("type").GetString() == type);
}
