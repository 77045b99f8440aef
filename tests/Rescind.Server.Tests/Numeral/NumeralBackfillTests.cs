using Dapper;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Numeral;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Numeral;

/// <summary>
/// A database of a release before exemption certificates were kept, holding fulfilled requests that name a
/// certificate id: the server's start-up migration gives each its certificate, so the certificate a 409
/// REQUEST_ALREADY_FULFILLED tells the caller to retrieve exists there too.
/// </summary>
public static class LegacyNumeralData
{
    /// <summary>The last migration before the certificates table (2026_12_03_0111).</summary>
    public const long BeforeCertificates = 2026_12_03_0001;

    public const string Account = "acct_legacy_numeral";
    public const string Fulfilled = "cert_req_01900000-0000-7000-8000-000000000001";
    public const string FulfilledForRemoved = "cert_req_01900000-0000-7000-8000-000000000002";
    public const string Pending = "cert_req_01900000-0000-7000-8000-000000000003";
    public const string Certificate = "cert_01900000-0000-7000-8000-0000000000c1";
    public const string CertificateForRemoved = "cert_01900000-0000-7000-8000-0000000000c2";
    public const string Customer = "cust_01900000-0000-7000-8000-0000000000a1";
    public const string RemovedCustomer = "cust_01900000-0000-7000-8000-0000000000a2";

    /// <summary>2026-02-10T12:00:00Z, when the legacy requests were last written.</summary>
    public const long FulfilledAt = 1_770_724_800_000;

    /// <summary>Migrates <paramref name="spec"/> to the release before certificates and writes what it would have
    /// held: two fulfilled requests (one whose customer was removed since) and a pending one, each with its audit row
    /// and event as that release wrote them.</summary>
    public static async Task SeedAsync(string spec)
    {
        await using var db = Database.Open(spec);
        await Migrator.MigrateUpToAsync(db, CoreServices.MigrationAssemblies, BeforeCertificates, CancellationToken.None);
        await using var c = await db.OpenAsync(CancellationToken.None);
        var at = FulfilledAt;
        await c.ExecuteAsync("INSERT INTO accounts (id, name, created_at) VALUES (@Account, 'Legacy', @at)", new { Account, at });
        await c.ExecuteAsync(
            """
            INSERT INTO numeral_customers (id, account_id, mode, reference_customer_id, name, email, created_at, deleted_at)
            VALUES (@Id, @Account, 'live', @Reference, 'Legacy buyer', 'ap@legacy.example', @at, @DeletedAt)
            """,
            new[]
            {
                new { Id = Customer, Account, Reference = (string?)"legacy-1", at, DeletedAt = (long?)null },
                new { Id = RemovedCustomer, Account, Reference = (string?)null, at, DeletedAt = (long?)(at + 1000) },
            });
        (string Id, string CustomerId, string Status, string? CertificateId)[] requests =
        [
            (Fulfilled, Customer, "fulfilled", Certificate),
            (FulfilledForRemoved, RemovedCustomer, "fulfilled", CertificateForRemoved),
            (Pending, Customer, "pending", null),
        ];
        foreach (var r in requests)
        {
            await c.ExecuteAsync(
                """
                INSERT INTO numeral_requests (id, account_id, customer_id, certificate_type_id, jurisdictions, status, certificate_id,
                                              created_at, updated_at, expires_at, version)
                VALUES (@Id, @Account, @CustomerId, 'US-CA-CDTFA-230', '["US-CA","US-NV"]', @Status, @CertificateId, @Created, @at, NULL, 1)
                """,
                new { r.Id, Account, r.CustomerId, r.Status, r.CertificateId, Created = at - 60_000, at });
            await c.ExecuteAsync(
                """
                INSERT INTO audit_log (account_id, api, resource_type, resource_id, action, from_state, to_state, actor_kind, at)
                VALUES (@Account, 'numeral', 'certificate_request', @Id, @Action, NULL, @Status, 'system', @at)
                """,
                new { Account, r.Id, Action = r.Status == "pending" ? "create" : "accept", r.Status, at });
            await c.ExecuteAsync(
                """
                INSERT INTO outbox (event_id, account_id, api, event_type, resource_type, resource_id, payload, created_at)
                VALUES (@EventId, @Account, 'numeral', @Type, 'certificate_request', @Id, '{}', @at)
                """,
                new { EventId = "evt_legacy_" + r.Id[^1], Account, Type = "tax.certificate_request." + (r.Status == "pending" ? "created" : r.Status), r.Id, at });
        }
    }
}

public sealed class LegacyNumeralSqliteServer : SqliteServer
{
    protected override async Task<string> CreateDatabaseAsync()
    {
        var spec = await base.CreateDatabaseAsync();
        await LegacyNumeralData.SeedAsync(spec);
        return spec;
    }
}

public sealed class LegacyNumeralPostgresServer : PostgresServer
{
    protected override async Task<string> CreateDatabaseAsync()
    {
        var spec = await base.CreateDatabaseAsync();
        await LegacyNumeralData.SeedAsync(spec);
        return spec;
    }
}

public abstract class NumeralBackfillTests(RescindServer server)
{
    private sealed record Row(string Id, string AccountId, string? CustomerId, string RequestId, string CertificateTypeId, string Jurisdictions,
        string Status, string EffectiveDate, string? ExpirationDate, string Document, string DownloadSecret, long CreatedAt);

    [Fact]
    public async Task Requests_fulfilled_before_certificates_were_kept_get_theirs_when_the_server_migrates()
    {
        await using var c = await server.Db.OpenAsync(CancellationToken.None);
        var rows = (await c.QueryAsync<Row>(
            "SELECT id, account_id, customer_id, request_id, certificate_type_id, jurisdictions, status, effective_date, expiration_date, document, download_secret, created_at FROM numeral_certificates ORDER BY id")).ToList();

        Assert.Equal([LegacyNumeralData.Certificate, LegacyNumeralData.CertificateForRemoved], rows.Select(r => r.Id));
        Assert.Equal([LegacyNumeralData.Fulfilled, LegacyNumeralData.FulfilledForRemoved], rows.Select(r => r.RequestId));
        Assert.Equal([LegacyNumeralData.Customer, LegacyNumeralData.RemovedCustomer], rows.Select(r => r.CustomerId));
        Assert.All(rows, r =>
        {
            Assert.Equal(LegacyNumeralData.Account, r.AccountId);
            Assert.Equal("active", r.Status);
            Assert.Equal("US-CA-CDTFA-230", r.CertificateTypeId);
            Assert.Equal("""["US-CA","US-NV"]""", r.Jurisdictions);
            Assert.Equal("2026-02-10", r.EffectiveDate); // the day the request was fulfilled
            Assert.Equal(NumeralCertificates.AddDays("2026-02-10", NumeralCertificates.ValidityDays), r.ExpirationDate);
            Assert.Equal(LegacyNumeralData.FulfilledAt, r.CreatedAt);
            Assert.Contains(r.Id, r.Document, StringComparison.Ordinal);
            Assert.True(r.DownloadSecret.Length >= 32);
        });
        Assert.NotEqual(rows[0].DownloadSecret, rows[1].DownloadSecret);
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM numeral_certificates WHERE request_id = @Pending", new { LegacyNumeralData.Pending }));

        // The certificate is served: its pre-signed document URL works against the migrated database.
        var expires = server.Clock.GetUtcNow().ToUnixTimeSeconds() + 600;
        var document = await Tenant.SendAsync(server, HttpMethod.Get,
            $"{NumeralCertificates.DocumentPath(rows[0].Id)}?{NumeralCertificates.DownloadQuery(rows[0].Id, rows[0].DownloadSecret, expires)}", null, []);
        Assert.Equal(200, document.Code);
        Assert.Equal(rows[0].Document, document.Body);

        // Every invariant holds, "a fulfilled request's certificate exists" among them.
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class NumeralBackfillTests_Sqlite(LegacyNumeralSqliteServer server) : NumeralBackfillTests(server), IClassFixture<LegacyNumeralSqliteServer>;

[Trait("Category", "Postgres")]
public sealed class NumeralBackfillTests_Postgres(LegacyNumeralPostgresServer server) : NumeralBackfillTests(server), IClassFixture<LegacyNumeralPostgresServer>;
