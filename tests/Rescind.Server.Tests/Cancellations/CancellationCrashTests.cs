using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Rescind.Client;
using Rescind.Core.Jobs;
using Rescind.Server.Cancellations;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cancellations;

/// <summary>A bulk cancellation whose runner dies half-way is resumed by the job runner once its lease runs out:
/// every resource ends with exactly one outcome and one effect, and its idempotency key answers the finished object.</summary>
public abstract class CancellationCrashTests(RescindServer server)
{
    private FaultSwitch Faults => ((IFaultyServer)server).Faults;

    [Fact]
    public async Task A_bulk_cancellation_cut_short_by_a_crash_is_resumed_by_one_job_run_after_its_lease()
    {
        var t = await Tenant.CreateAsync(server);
        var client = new RescindClient(server.Client, t.Credential("rescind", "live").Secret);
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await t.PendingRequestAsync());
        }
        var request = new CancellationRequest(ids, "crash-" + Guid.NewGuid().ToString("N"), "moved");

        Faults.Arm("record:tax.certificate_request:cancel", pass: 3); // the fourth resource's transaction dies
        try
        {
            var crashed = await Assert.ThrowsAsync<RescindApiException>(() => client.CreateCancellationAsync(request));
            Assert.Equal(500, crashed.Status);
        }
        finally
        {
            Faults.Disarm();
        }

        string id;
        await using (var connection = await server.Db.OpenAsync(CancellationToken.None))
        {
            id = await connection.QuerySingleAsync<string>("SELECT id FROM rescind_cancellations WHERE account_id = @AccountId", new { t.AccountId });
        }
        Assert.Equal(3, await server.CountAsync("SELECT COUNT(*) FROM rescind_cancellation_items WHERE cancellation_id = @id", new { id }));
        Assert.Equal("pending", (await t.GetAsync(ids[3])).Str("status"));
        var inFlight = await Assert.ThrowsAsync<RescindApiException>(() => client.CreateCancellationAsync(request));
        Assert.Equal((409, "idempotency_key_in_flight"), (inFlight.Status, inFlight.Code));

        var job = server.Services.GetServices<IJob>().OfType<CancellationJob>().Single();
        Assert.Equal(0, await job.RunOnceAsync(CancellationToken.None)); // within the lease: the runner may be alive
        server.Clock.Advance(CancellationJob.Lease);
        var resumed = await Task.WhenAll(job.RunOnceAsync(CancellationToken.None), job.RunOnceAsync(CancellationToken.None));
        Assert.Equal(1, resumed.Sum()); // two nodes' runs race: one claims it

        var done = await client.CreateCancellationAsync(request);
        Assert.Equal((id, "completed"), (done.Id, done.Status));
        Assert.Equal(ids, done.Outcomes.Select(o => o.Resource));
        Assert.All(done.Outcomes, o => Assert.Equal("canceled", o.Outcome));
        Assert.Equal(new CancellationSummary(6, 6, 0, 0, 0, 0), done.Summary);
        Assert.Equal(6, await server.CountAsync("SELECT COUNT(*) FROM rescind_cancellation_items WHERE cancellation_id = @id", new { id }));
        foreach (var resource in ids)
        {
            Assert.Equal("canceled", (await t.GetAsync(resource)).Str("status"));
            Assert.Equal(1, await Audit.ActionCountAsync(server, resource, "cancel"));
            Assert.Equal(1, await Audit.EventCountAsync(server, resource, "tax.certificate_request.canceled"));
        }
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "cancellation.completed"));
        Assert.Equal(JsonSerializer.Serialize(done.Outcomes), JsonSerializer.Serialize((await client.GetCancellationAsync(id)).Outcomes));
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class CancellationCrashTests_Sqlite(FaultySqliteServer server) : CancellationCrashTests(server), IClassFixture<FaultySqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CancellationCrashTests_Postgres(FaultyPostgresServer server) : CancellationCrashTests(server), IClassFixture<FaultyPostgresServer>;
