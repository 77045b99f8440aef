using System.Text.Json.Nodes;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;

namespace Rescind.Server.GoCardless;

/// <summary>
/// Writes to what a billing request leads to: the API's cancel of a mandate (with its cancellable payments) or of a
/// payment, and GoCardless's own moves of them (the simulation). Each is work inside the caller's unit of work: lock
/// (a mandate before its payments) → decide with <see cref="GoCardlessRules.Mandates"/> or
/// <see cref="GoCardlessRules.Payments"/> → apply state, audit and events → an outcome.
/// </summary>
public static class GoCardlessResourceCommands
{
    /// <summary>The descriptions of the events GoCardless writes for these moves [ours: GoCardless's wording where its
    /// event reference gives it, else in its style].</summary>
    private static readonly Dictionary<(string Type, string Event), (string Cause, string Description)> Causes = new()
    {
        [(GoCardlessStore.Mandates, "cancelled")] = ("mandate_cancelled", "The mandate was cancelled at your request."),
        [(GoCardlessStore.Mandates, "submitted")] = ("mandate_submitted", "The mandate has been submitted to the banks."),
        [(GoCardlessStore.Mandates, "active")] = ("mandate_activated", "The mandate has been successfully set up by the customer's bank."),
        [(GoCardlessStore.Mandates, "failed")] = ("bank_account_closed", "The mandate could not be set up: the bank account is closed."),
        [(GoCardlessStore.Payments, "cancelled")] = ("payment_cancelled", "The payment was cancelled at your request."),
        [(GoCardlessStore.Payments, "submitted")] = ("payment_submitted", "Payment submitted to the banks. As a result, it can no longer be cancelled."),
        [(GoCardlessStore.Payments, "confirmed")] = ("payment_confirmed", "Enough time has passed since the payment was submitted for the banks to return an error, so this payment is now confirmed."),
    };

    private const string PaymentCancelledWithMandate = "The mandate for this payment was cancelled.";

    /// <summary>The mandate of the caller's account and mode (any, for the simulation, when <paramref name="caller"/>
    /// is null) takes <paramref name="command"/>: cancel (with its cancellable payments, one audit row and one event
    /// each) or a simulated move. <paramref name="metadata"/>: the cancel's, kept on its event [doc].</summary>
    public static async Task<Outcome<MandateRow>> MandateAsync(UnitOfWork uow, Caller? caller, string id, string command, JsonObject? metadata = null)
    {
        var row = await GoCardlessStore.LockMandateAsync(uow, caller?.AccountId, caller?.Mode, id);
        if (row is null)
        {
            return Outcome<MandateRow>.Missing(id);
        }
        IReadOnlyList<PaymentRow> payments = command == GoCardlessRules.Cancel ? await GoCardlessStore.LockMandatePaymentsAsync(uow, row.Id) : [];
        var children = payments.Where(p => GoCardlessRules.CancelledWithMandate(p.Status)).Select(p => new Child(p.Id, p.Status, CanStop: true)).ToList();
        var decision = GoCardlessRules.Mandates.DecideCascade(row.Status, command, GoCardlessRules.Payments, GoCardlessRules.Cancel, children);
        if (decision is Decision.Refused r)
        {
            return Outcome<MandateRow>.Refuse(r.Code, r.State, "mandate");
        }
        var t = (Decision.Transitioned)decision;
        var origin = caller?.Origin ?? "gocardless";
        var api = GoCardlessStore.ApiFor(row.Mode);
        var mandateMetadata = GoCardlessJson.Parse(row.Body)["metadata"] as JsonObject;
        row.Status = t.To;
        await GoCardlessStore.SaveMandateAsync(uow, row, t.From);
        row.Version++;
        row.UpdatedAt = uow.NowMs;
        await uow.CheckpointAsync("gocardless:mandate:saved");
        await uow.RecordAsync(Changed(api, GoCardlessStore.Mandates, row.Id, command, t, origin, mandateMetadata, metadata,
            new JsonObject { ["mandate"] = row.Id }, Causes[(GoCardlessStore.Mandates, t.Event!)]));
        foreach (var change in t.Cascade)
        {
            // GoCardless cancels the mandate's cancellable payments with it [doc], in the same transaction.
            var payment = payments.First(p => p.Id == change.Id);
            payment.Status = change.To;
            await GoCardlessStore.SavePaymentAsync(uow, payment, change.From);
            var cascaded = new Decision.Transitioned(change.From, change.To, change.Event, []);
            await uow.RecordAsync(Changed(api, GoCardlessStore.Payments, payment.Id, GoCardlessRules.Cancel, cascaded, origin,
                GoCardlessJson.Parse(payment.Body)["metadata"] as JsonObject, null, new JsonObject { ["payment"] = payment.Id, ["mandate"] = row.Id },
                ("mandate_cancelled", PaymentCancelledWithMandate), "mandate cancelled"));
        }
        return Outcome.Done(row);
    }

    /// <summary>The payment takes <paramref name="command"/>: the API's cancel (only from pending_submission [doc]) or a
    /// simulated move (submission to the banks, confirmation).</summary>
    public static async Task<Outcome<PaymentRow>> PaymentAsync(UnitOfWork uow, Caller? caller, string id, string command, JsonObject? metadata = null)
    {
        var row = await GoCardlessStore.LockPaymentAsync(uow, caller?.AccountId, caller?.Mode, id);
        if (row is null)
        {
            return Outcome<PaymentRow>.Missing(id);
        }
        var decision = GoCardlessRules.Payments.Decide(row.Status, command);
        if (decision is Decision.Refused r)
        {
            return Outcome<PaymentRow>.Refuse(r.Code, r.State, "payment");
        }
        var t = (Decision.Transitioned)decision;
        row.Status = t.To;
        await GoCardlessStore.SavePaymentAsync(uow, row, t.From);
        row.Version++;
        row.UpdatedAt = uow.NowMs;
        await uow.CheckpointAsync("gocardless:payment:saved");
        var links = new JsonObject { ["payment"] = row.Id };
        await uow.RecordAsync(Changed(GoCardlessStore.ApiFor(row.Mode), GoCardlessStore.Payments, row.Id, command, t, caller?.Origin ?? "gocardless",
            GoCardlessJson.Parse(row.Body)["metadata"] as JsonObject, metadata, links, Causes[(GoCardlessStore.Payments, t.Event!)]));
        return Outcome.Done(row);
    }

    private static Change Changed(string api, string type, string id, string command, Decision.Transitioned t, string origin, JsonObject? resourceMetadata,
        JsonObject? metadata, JsonObject links, (string Cause, string Description) why, string? reason = null) =>
        new(api, type, id, command, t.From, t.To, type + "." + t.Event,
            GoCardlessJson.EventPayload(type, t.Event!, origin, why.Cause, why.Description, links,
                GoCardlessJson.Clone(metadata) as JsonObject, GoCardlessJson.Clone(resourceMetadata) as JsonObject), reason);
}
