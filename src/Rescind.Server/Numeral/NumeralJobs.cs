using Dapper;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;
using Microsoft.Extensions.Options;

namespace Rescind.Server.Numeral;

/// <summary>Turns pending requests past <c>expires_at</c> into invalid ones, each in its own transaction.</summary>
public sealed class NumeralExpiryJob(Database db, Coordinator coordinator, TimeProvider clock) : IJob
{
    public string Name => "numeral-expiry";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var handled = 0;
        while (true)
        {
            IReadOnlyList<DueRow> due;
            await using (var connection = await db.OpenAsync(ct))
            {
                due = (await connection.QueryAsync<DueRow>(
                    "SELECT id AS Id, account_id AS AccountId FROM numeral_requests WHERE status = 'pending' AND expires_at <= @now ORDER BY expires_at LIMIT 200",
                    new { now = Time.ToUnixMs(clock.GetUtcNow()) })).ToList();
            }
            foreach (var r in due)
            {
                // The work re-reads under lock: a request canceled or submitted since the scan is left alone.
                var ctx = new OperationContext(r.AccountId, NumeralStore.Api, Actor.System, null);
                var outcome = await coordinator.RunAsync(ctx, (uow, _) => NumeralCommands.RunAsync(uow, r.Id, NumeralRules.Expire), ct);
                handled += outcome.Changed ? 1 : 0;
            }
            if (due.Count < 200)
            {
                return handled;
            }
        }
    }

    private sealed class DueRow
    {
        public string Id { get; set; } = "";

        public string AccountId { get; set; } = "";
    }
}

/// <summary>Sends the reminder emails that are due, every <see cref="NumeralOptions.ReminderInterval"/> while pending.</summary>
public sealed class NumeralReminderJob(Database db, Coordinator coordinator, TimeProvider clock, IOptions<NumeralOptions> options) : IJob
{
    public string Name => "numeral-reminders";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        IReadOnlyList<DueReminder> due;
        await using (var connection = await db.OpenAsync(ct))
        {
            due = (await connection.QueryAsync<DueReminder>(
                "SELECT request_id AS RequestId, account_id AS AccountId, due_at AS DueAt FROM numeral_reminders WHERE due_at <= @now ORDER BY due_at LIMIT 1000",
                new { now = Time.ToUnixMs(clock.GetUtcNow()) })).ToList();
        }
        var sent = 0;
        foreach (var r in due)
        {
            var ctx = new OperationContext(r.AccountId, NumeralStore.Api, Actor.System, null);
            if (await coordinator.RunAsync(ctx, (uow, _) => NumeralCommands.SendReminderAsync(uow, r.RequestId, r.DueAt, options.Value.ReminderInterval), ct))
            {
                sent++;
            }
        }
        return sent;
    }

    private sealed class DueReminder
    {
        public string RequestId { get; set; } = "";

        public string AccountId { get; set; } = "";

        public long DueAt { get; set; }
    }
}
