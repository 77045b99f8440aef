using Dapper;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;

namespace Rescind.Server.GoCardless;

public sealed class GoCardlessOptions
{
    /// <summary>How long an Idempotency-Key is remembered [ours: 30 days].</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The base URL of flow pages in authorisation_url; unset, the URL the API was called on.</summary>
    public string? PublicUrl { get; set; }
}

/// <summary>What the GoCardless folder adds to the host: live and sandbox access tokens, the flow expiry job.</summary>
public static class GoCardlessModule
{
    public static ApiModule Module { get; } = new(
        GoCardlessStore.Api,
        AddCredentials,
        AddServices,
        GoCardlessApi.Prefixes,
        GoCardlessEnvelope.Instance,
        app => app.MapGoCardless(),
        group => group.MapGoCardlessSimulation(),
        new SimulateVerb(
            """
            rescind simulate gocardless collect_customer_details|collect_bank_account|confirm_payer_details|bank_authorisation|cancel|fulfilling|fulfil --billing-request ID
            rescind simulate gocardless abandon --flow ID
            """,
            ["billing-request", "flow"],
            GoCardlessSimulation.Actions,
            GoCardlessSimulation.RunFromCliAsync),
        CancelTargets: [GoCardlessCancelTarget.BillingRequests, GoCardlessCancelTarget.Mandates, GoCardlessCancelTarget.Payments],
        JsonNaming: System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Schemes: [GoCardlessApi.Credentials]);

    public static void AddCredentials(CredentialKinds kinds) => kinds
        .Add(new CredentialKind(GoCardlessStore.Api, GoCardlessStore.Live, "live_"))
        .Add(new CredentialKind(GoCardlessStore.Api, GoCardlessStore.Sandbox, "sandbox_"));

    public static void AddServices(IServiceCollection services)
    {
        services.AddOptions<GoCardlessOptions>().BindConfiguration("Rescind:GoCardless");
        services.AddSingleton<IJob, GoCardlessFlowExpiryJob>();
        // GoCardless's records are snake_case in the operator document too (the simulation's answers).
        Http.OpenApiDocs.NameTypesOf(services, "operator", typeof(GoCardlessModule).Namespace, System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        services.AddSingleton<Rescind.Core.Webhooks.IWebhookShape>(new GoCardlessWebhookShape(GoCardlessStore.ApiFor(GoCardlessStore.Live)));
        services.AddSingleton<Rescind.Core.Webhooks.IWebhookShape>(new GoCardlessWebhookShape(GoCardlessStore.ApiFor(GoCardlessStore.Sandbox)));
    }
}

/// <summary>Writes down the expiry of flows whose 7 days have run out (they already read as expired before).</summary>
public sealed class GoCardlessFlowExpiryJob(Database db, Coordinator coordinator, TimeProvider clock) : IJob
{
    public string Name => "gocardless-flow-expiry";

    // Each flow's own transaction re-reads it under lock: one expired or abandoned since the scan is left alone.
    public Task<int> RunOnceAsync(CancellationToken ct) => DueRows.RunEachAsync<(string Id, string AccountId, string Mode)>(db, clock,
        "SELECT id, account_id, mode FROM gc_flows WHERE state = 'active' AND expires_at <= @now ORDER BY expires_at LIMIT @limit", 200,
        async f =>
        {
            var ctx = new OperationContext(f.AccountId, GoCardlessStore.ApiFor(f.Mode), Actor.System, null);
            var outcome = await coordinator.RunAsync(ctx, (uow, _) => GoCardlessCommands.ExpireFlowAsync(uow, f.Id, abandoned: false), ct);
            return outcome.Changed;
        }, ct, page: true);
}
