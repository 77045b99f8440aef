using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>The audit log shows orders and requests only: a DigiCert webhook endpoint registered for the account is
/// audited under the same API and made every page a 500 before.</summary>
public abstract class DigiCertAuditLogTests(RescindServer server)
{
    [Fact]
    public async Task The_audit_log_answers_after_a_webhook_endpoint_is_registered_and_lists_only_orders_and_requests()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();
        var endpoint = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints",
            new { account_id = t.AccountId, api = "digicert", url = "http://127.0.0.1:9/hooks" });
        Assert.True(endpoint.Code == 201, endpoint.Body);

        var all = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/audit-log");
        Assert.True(all.Code == 200, all.Body);
        Assert.All(all.Json.GetProperty("audit_logs").EnumerateArray(), e => Assert.Contains(e.GetProperty("resource_type").GetString(), new[] { "order", "request" }));
        Assert.NotEmpty(await t.AuditLogAsync(o.Id));
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertAuditLogTests_Sqlite(SqliteServer server) : DigiCertAuditLogTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertAuditLogTests_Postgres(PostgresServer server) : DigiCertAuditLogTests(server), IClassFixture<PostgresServer>;
