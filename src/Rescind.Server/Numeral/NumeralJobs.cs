using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;
using Microsoft.Extensions.Options;

namespace Rescind.Server.Numeral;

/// <summary>Turns pending requests past <c>expires_at</c> into invalid ones, each in its own transaction.</summary>
public sealed class NumeralExpiryJob(Database db, Coordinator coordinator, TimeProvider clock) : IJob
{
    public string Name => "numeral-expiry";

    // The work re-reads under lock: a request canceled or submitted since the scan is left alone.
    public Task<int> RunOnceAsync(CancellationToken ct) => DueRows.RunEachAsync<DueRow>(db, clock,
        "SELECT id, account_id FROM numeral_requests WHERE status = 'pending' AND expires_at <= @now ORDER BY expires_at LIMIT @limit", 200,
        async r =>
        {
            var ctx = new OperationContext(r.AccountId, NumeralStore.Api, Actor.System, null);
            return (await coordinator.RunAsync(ctx, (uow, _) => NumeralCommands.RunAsync(uow, r.Id, NumeralRules.Expire), ct)).Changed;
        }, ct, page: true);
}

/// <summary>Sends the reminder emails that are due, every <see cref="NumeralOptions.ReminderInterval"/> while pending.</summary>
public sealed class NumeralReminderJob(Database db, Coordinator coordinator, TimeProvider clock, IOptions<NumeralOptions> options) : IJob
{
    public string Name => "numeral-reminders";

    public Task<int> RunOnceAsync(CancellationToken ct) => DueRows.RunEachAsync<DueReminder>(db, clock,
        "SELECT request_id, account_id, due_at FROM numeral_reminders WHERE due_at <= @now ORDER BY due_at LIMIT @limit", 1000,
        r => coordinator.RunAsync(new OperationContext(r.AccountId, NumeralStore.Api, Actor.System, null),
            (uow, _) => NumeralCommands.SendReminderAsync(uow, r.RequestId, r.DueAt, options.Value.ReminderInterval), ct), ct);

    private sealed class DueReminder
    {
        public string RequestId { get; set; } = "";

        public string AccountId { get; set; } = "";

        public long DueAt { get; set; }
    }
}
