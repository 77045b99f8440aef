using Microsoft.Extensions.DependencyInjection;
using Rescind.Server.Cancellations;
using Rescind.Server.Cli;
using Rescind.Server.Tests.Cancellations;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cli;

/// <summary><c>serve --demo</c> and <c>rescind demo</c>: every API gets a resource in each state that matters to its
/// cancel, made through its commands, so the database verifies and each cancel answers as the demo says.</summary>
public abstract class DemoTests(RescindServer server)
{
    [Fact]
    public async Task The_demo_gives_every_API_a_cancellable_a_cancelled_and_a_refused_resource_and_the_database_verifies()
    {
        var demo = await Demo.SeedAsync(server.Services, "http://127.0.0.1:5080", CancellationToken.None);

        Assert.Equal(5, demo.Apis.Count);
        foreach (var api in demo.Apis)
        {
            Assert.All(new[] { DemoCase.Cancellable, DemoCase.Cancelled, DemoCase.Refused }, c => Assert.Contains(api.Resources, r => r.Case == c));
            Assert.Contains("curl", api.Curl("http://127.0.0.1:5080"), StringComparison.Ordinal);
        }
        Assert.Equal(["CrissCross", "Circle"], demo.Apis.Where(a => a.Resources.Any(r => r.Case == DemoCase.Deferred)).Select(a => a.Api.Split(' ')[0]));
        var account = demo.Account.Account.Id;
        foreach (var r in demo.Apis.SelectMany(a => a.Resources))
        {
            var (_, detail) = await TargetCalls.FindOneAsync(server, account, r.Ref);
            Assert.True(r.State == detail.Resource.State, $"{r.Ref}: the demo says {r.State}, Rescind's API {detail.Resource.State}");
        }
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Each_demo_resources_cancel_answers_as_its_case_says_and_the_database_still_verifies()
    {
        var demo = await Demo.SeedAsync(server.Services, "http://127.0.0.1:5080", CancellationToken.None);
        var account = demo.Account.Account.Id;

        foreach (var r in demo.Apis.SelectMany(a => a.Resources))
        {
            var outcome = await TargetCalls.CancelAsync(server, account, r.Ref, "demo test");
            var expected = r.Case switch
            {
                DemoCase.Cancellable => [typeof(CancelOutcome.Canceled)],
                // A repeat is answered as the vendor answers it: done again, or refused where the vendor refuses it.
                DemoCase.Cancelled => [typeof(CancelOutcome.AlreadyCanceled), typeof(CancelOutcome.Refused)],
                DemoCase.Refused => [typeof(CancelOutcome.Refused)],
                _ => new[] { typeof(CancelOutcome.PendingCancellation) },
            };
            Assert.True(expected.Contains(outcome.GetType()), $"{r.Ref} ({r.Case}, {r.State}): {TargetCalls.Shape(outcome)}");
        }
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class DemoTests_Sqlite(SqliteServer server) : DemoTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DemoTests_Postgres(PostgresServer server) : DemoTests(server), IClassFixture<PostgresServer>;
