using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Core.Webhooks;
using Rescind.Server.Hosting;
using Rescind.Server.Http;

namespace Rescind.Server.DigiCert;

public sealed class WebhookRow
{
    public long Id { get; set; }

    public string AccountId { get; set; } = "";

    public string EndpointId { get; set; } = "";

    public string Endpoint { get; set; } = "";

    public string? Secret { get; set; }

    public string Events { get; set; } = "[]";

    public string Status { get; set; } = "";

    public string? Settings { get; set; }

    public string? ChallengeToken { get; set; }

    public long? ChallengeExpiresAt { get; set; }

    public int ChallengeVerified { get; set; }
}

/// <summary>
/// The account's webhook, set up through the Services API [doc: Webhooks]. One per account [doc]; created
/// <c>pending</c>, it receives only the challenge until it is verified and activated [doc: create, send and verify
/// the challenge, activate]. Deliveries go through the shared webhook machinery: the webhook is one endpoint there,
/// taking only the challenge while pending or inactive, and the subscribed events once active.
/// <code>
/// POST /services/v2/webhook                               create {endpoint, secret?, events?, webhook_settings?} → 201 {webhook_id}
/// GET  /services/v2/webhook                               {webhooks: [the one]}
/// PUT  /services/v2/webhook/{webhook_id}                  change the endpoint URL (verify it again)
/// PUT  /services/v2/webhook/{webhook_id}/send-challenge   deliver {event: challenge_webhook_endpoint, data: {token, webhook_id}}
/// PUT  /services/v2/webhook/{webhook_id}/check-challenge  {token}
/// PUT  /services/v2/webhook/{webhook_id}/activate         start receiving the subscribed events
/// PUT  /services/v2/webhook/{webhook_id}/deactivate       stop
/// </code>
/// </summary>
public static class DigiCertWebhookConfig
{
    public const string Pending = "pending";
    public const string Active = "active";
    public const string Inactive = "inactive";

    public const string ChallengeEvent = "challenge_webhook_endpoint";

    /// <summary>The event types DigiCert documents [doc: CertCentral event types], and the ones Rescind adds for the
    /// changes around a cancel [ours] (<c>order_canceled</c> among them).</summary>
    public static IReadOnlyList<string> EventTypes { get; } =
    [
        "certificate_issued", "certificate_revoked", "order_rejected", "organization_revalidation_notice", "domain_expired",
        "domain_revalidation_notice", "organization_expired", "organization_validated", "domain_validated",
        "order_canceled", "order_created", "order_approved", "reissue_requested", "certificate_expired",
    ];

    /// <summary>Without <c>events</c> the webhook takes certificate issuance [doc: the issuance events are what a
    /// webhook sends by default].</summary>
    private static readonly string[] DefaultEvents = ["certificate_issued"];

    private static readonly TimeSpan ChallengeLife = TimeSpan.FromMinutes(30); // [doc]

    public const string WebhookNotFound = "not_found|webhook";

    private const string Columns =
        "id, account_id, endpoint_id, endpoint, secret, events, status, settings, challenge_token, challenge_expires_at, challenge_verified";

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapPost("/webhook", CreateAsync).Accepts<NewWebhookBody>("application/json").Produces<CreatedWebhook>(201)
            .WithMetadata(DigiCertApi.Error(400), DigiCertApi.Error(403), DigiCertApi.Error(413));
        v2.MapGet("/webhook", ListAsync).Produces<WebhookList>(200).WithMetadata(DigiCertApi.Error(400), DigiCertApi.Error(403));
        v2.MapPut("/webhook/{webhook_id}", (string webhook_id, HttpContext http, Coordinator coordinator, WebhookStore store, IOptions<RescindOptions> options, CancellationToken ct) =>
                ChangeAsync(webhook_id, "update", http, coordinator, store, options, ct))
            .Accepts<WebhookEndpointBody>("application/json").Produces(204).WithMetadata(DigiCertApi.Error(400), DigiCertApi.Error(403), DigiCertApi.Error(404), DigiCertApi.Error(413));
        foreach (var action in new[] { "send-challenge", "check-challenge", "activate", "deactivate" })
        {
            var route = v2.MapPut($"/webhook/{{webhook_id}}/{action}", (string webhook_id, HttpContext http, Coordinator coordinator, WebhookStore store, IOptions<RescindOptions> options, CancellationToken ct) =>
                    ChangeAsync(webhook_id, action, http, coordinator, store, options, ct))
                .Produces(204).WithMetadata(DigiCertApi.Error(400), DigiCertApi.Error(403), DigiCertApi.Error(404), DigiCertApi.Error(413));
            if (action == "check-challenge")
            {
                route.Accepts<ChallengeBody>("application/json");
            }
            else
            {
                route.Accepts<DigiCertEventBody>(isOptional: true, "application/json"); // no fields; a body is ignored
            }
        }
    }

    /// <summary>Only an administrator sets up the account's webhook [ours].</summary>
    private static IResult? NotAdministrator(HttpContext http) =>
        DigiCertUsers.Of(http).AccessRoleId == DigiCertUsers.Administrator ? null
            : DigiCertApi.Answer(DigiCertUsers.Forbidden("Only an administrator can manage the account's webhook."));

    private static OperationContext Context(HttpContext http) =>
        new(http.Caller().AccountId, DigiCertStore.Api, Actor.Credential(http.Caller().CredentialId), RequestIds.Of(http));

    private static IReadOnlyCollection<string> Takes(WebhookRow w) =>
        w.Status == Active ? [ChallengeEvent, .. JsonSerializer.Deserialize<string[]>(w.Events)!] : [ChallengeEvent];

    /// <summary>The endpoint URL: https [doc], or http when the operator lets webhooks reach private networks (a
    /// local setup) [ours]; and a URL the outbound policy accepts.</summary>
    private static async Task<StoredResponse?> CheckEndpointAsync(string url, WebhookStore store, CancellationToken ct)
    {
        var scheme = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Scheme : null;
        var refusal = await store.CheckUrlAsync(url, ct);
        return (scheme == "https" || (scheme == "http" && store.AllowsPrivateNetworks)) && refusal == WebhookStore.Refusal.None
            ? null
            : DigiCertEnvelope.Fail(400, "webhook_invalid_endpoint",
                refusal == WebhookStore.Refusal.NotAllowed ? WebhookStore.NotAllowedMessage : "The endpoint must be an https:// URL of at most 2000 characters.");
    }

    private static async Task<IResult> CreateAsync(HttpContext http, Coordinator coordinator, WebhookStore store, TimeProvider clock, IOptions<RescindOptions> options, CancellationToken ct)
    {
        if (NotAdministrator(http) is { } refused)
        {
            return refused;
        }
        var (doc, failure) = await DigiCertApi.ReadBodyAsync(http, options, ct);
        using var body = doc;
        if (doc is null)
        {
            return failure!;
        }
        var root = doc.RootElement;
        var (url, e1) = DigiCertOrderBody.Str(root, "endpoint", "endpoint", 2000, required: true);
        var (secret, e2) = DigiCertOrderBody.Str(root, "secret", "secret", 200, required: false);
        if ((e1 ?? e2) is { } e)
        {
            return DigiCertApi.Answer(e);
        }
        if (secret is { Length: < 32 })
        {
            return DigiCertApi.Answer(DigiCertEnvelope.InvalidParam("secret", "secret must be at least 32 characters."));
        }
        var events = DefaultEvents;
        if (root.TryGetProperty("events", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0
                || list.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String || !EventTypes.Contains(x.GetString())))
            {
                return DigiCertApi.Answer(DigiCertEnvelope.InvalidParam("events", $"events must be a non-empty list of {string.Join(", ", EventTypes)}."));
            }
            events = [.. list.EnumerateArray().Select(x => x.GetString()!).Distinct()];
        }
        string? settings = null;
        if (root.TryGetProperty("webhook_settings", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            // Stored and returned as given [doc: its fields]; Rescind sends no notices it would tune [ours].
            if (s.ValueKind != JsonValueKind.Object || s.GetRawText().Length > 2000)
            {
                return DigiCertApi.Answer(DigiCertEnvelope.InvalidParam("webhook_settings", "webhook_settings must be an object of at most 2000 characters."));
            }
            settings = s.GetRawText();
        }
        if (await CheckEndpointAsync(url!, store, ct) is { } bad)
        {
            return DigiCertApi.Answer(bad);
        }
        return DigiCertApi.Answer(await coordinator.ExecuteAsync(Context(http), async (uow, _) =>
        {
            // One webhook per account [doc]: the account row serialises concurrent creates on PostgreSQL.
            await uow.ExecuteScalarAsync<string>("SELECT id FROM accounts WHERE id = @AccountId" + uow.Db.ForUpdate, new { uow.Context.AccountId });
            if (await uow.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM digicert_webhooks WHERE account_id = @AccountId", new { uow.Context.AccountId }) > 0)
            {
                return Outcome<long>.Missing("exists");
            }
            var row = new WebhookRow
            {
                Id = await DigiCertStore.NextIdAsync(uow, "webhook"),
                AccountId = uow.Context.AccountId!,
                Endpoint = url!,
                Secret = secret,
                Events = JsonSerializer.Serialize(events),
                Status = Pending,
                Settings = settings,
            };
            row.EndpointId = (await WebhookStore.InsertEndpointAsync(uow, row.AccountId, DigiCertStore.Api, url!, secret ?? "", Takes(row), clock)).Id;
            await uow.ExecuteAsync(
                $"""
                INSERT INTO digicert_webhooks ({Columns}, date_created)
                VALUES (@Id, @AccountId, @EndpointId, @Endpoint, @Secret, @Events, @Status, @Settings, NULL, NULL, 0, @Now)
                """, new { row.Id, row.AccountId, row.EndpointId, row.Endpoint, row.Secret, row.Events, row.Status, row.Settings, Now = uow.NowMs });
            await uow.RecordAsync(new Change(DigiCertStore.Api, "webhook", DigiCertCommands.Rid(row.Id), "create", null, Pending, Reason: row.Events));
            return Outcome.Done(row.Id);
        }, o => o is Outcome<long>.Done { Value: var id }
            ? new StoredResponse(201, DigiCertJson.Serialize(new CreatedWebhook(id)))
            : DigiCertEnvelope.Fail(400, "webhook_already_exists", "The account already has a webhook; change its endpoint with PUT /services/v2/webhook/{webhook_id}."), ct));
    }

    private static async Task<IResult> ListAsync(HttpContext http, Database db, CancellationToken ct)
    {
        if (NotAdministrator(http) is { } refused)
        {
            return refused;
        }
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {Columns} FROM digicert_webhooks WHERE account_id = @AccountId", new { http.Caller().AccountId }, cancellationToken: ct));
        if (row is null)
        {
            return DigiCertApi.Answer(DigiCertEnvelope.Fail(400, "webhook_invalid_account", "No webhook exists for the account."));
        }
        var settings = row.Settings is null ? (JsonElement?)null : JsonDocument.Parse(row.Settings).RootElement.Clone();
        return DigiCertApi.Answer(new StoredResponse(200, DigiCertJson.Serialize(new WebhookList(
            [new WebhookObject(row.Id, row.Endpoint, row.Secret, JsonSerializer.Deserialize<string[]>(row.Events)!, row.Status, settings)]))));
    }

    /// <summary>The changes of an existing webhook, each one transaction on the locked row.</summary>
    private static async Task<IResult> ChangeAsync(string webhook_id, string action, HttpContext http, Coordinator coordinator, WebhookStore store,
        IOptions<RescindOptions> options, CancellationToken ct)
    {
        if (NotAdministrator(http) is { } refused)
        {
            return refused;
        }
        string? url = null;
        string? token = null;
        if (action is "update" or "check-challenge")
        {
            var (doc, failure) = await DigiCertApi.ReadBodyAsync(http, options, ct);
            using var body = doc;
            if (doc is null)
            {
                return failure!;
            }
            if (action == "update")
            {
                var (u, e) = DigiCertOrderBody.Str(doc.RootElement, "endpoint", "endpoint", 2000, required: true);
                if (e is not null)
                {
                    return DigiCertApi.Answer(e);
                }
                if (await CheckEndpointAsync(u!, store, ct) is { } bad)
                {
                    return DigiCertApi.Answer(bad);
                }
                url = u;
            }
            else
            {
                var (t, e) = DigiCertOrderBody.Str(doc.RootElement, "token", "token", 200, required: false);
                if (e is not null)
                {
                    return DigiCertApi.Answer(e);
                }
                token = t ?? "";
            }
        }
        if (!DigiCertApi.TryId(webhook_id, out var id))
        {
            return DigiCertApi.Answer(Missing(webhook_id));
        }
        return DigiCertApi.Answer(await coordinator.ExecuteAsync(Context(http), async (uow, _) =>
        {
            var row = await uow.QuerySingleOrDefaultAsync<WebhookRow>(
                $"SELECT {Columns} FROM digicert_webhooks WHERE id = @id AND account_id = @AccountId" + uow.Db.ForUpdate, new { id, uow.Context.AccountId });
            if (row is null)
            {
                return Outcome<bool>.Missing(webhook_id, "webhook");
            }
            var from = row.Status;
            switch (action)
            {
                case "update":
                    // A new URL is verified again before it receives events [ours].
                    (row.Endpoint, row.Status, row.ChallengeToken, row.ChallengeExpiresAt, row.ChallengeVerified) = (url!, Pending, null, null, 0);
                    break;
                case "send-challenge":
                    row.ChallengeToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
                    row.ChallengeExpiresAt = uow.NowMs + (long)ChallengeLife.TotalMilliseconds;
                    break;
                case "check-challenge":
                    if (row.ChallengeToken is null || row.ChallengeExpiresAt < uow.NowMs
                        || !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(row.ChallengeToken), System.Text.Encoding.UTF8.GetBytes(token!)))
                    {
                        return new Outcome<bool>.Refused(new Refusal("webhook_invalid_token", row.Status, action));
                    }
                    (row.ChallengeToken, row.ChallengeExpiresAt, row.ChallengeVerified) = (null, null, 1);
                    break;
                case "activate":
                    if (row.ChallengeVerified == 0)
                    {
                        return new Outcome<bool>.Refused(new Refusal("webhook_not_verified", row.Status, action));
                    }
                    row.Status = Active;
                    break;
                default:
                    row.Status = Inactive;
                    break;
            }
            await uow.ExecuteExpectingAsync(1,
                """
                UPDATE digicert_webhooks SET endpoint = @Endpoint, status = @Status, challenge_token = @ChallengeToken,
                       challenge_expires_at = @ChallengeExpiresAt, challenge_verified = @ChallengeVerified
                WHERE id = @Id
                """, row);
            await WebhookStore.UpdateEndpointAsync(uow, DigiCertStore.Api, row.EndpointId, row.Endpoint, Takes(row));
            await uow.RecordAsync(action == "send-challenge"
                ? new Change(DigiCertStore.Api, "webhook", DigiCertCommands.Rid(row.Id), action, from, row.Status, ChallengeEvent,
                    JsonSerializer.Serialize(new { token = row.ChallengeToken, webhook_id = row.Id }))
                : new Change(DigiCertStore.Api, "webhook", DigiCertCommands.Rid(row.Id), action, from, row.Status, Reason: action == "update" ? row.Endpoint : null));
            return Outcome.Done(true);
        }, o => o switch
        {
            Outcome<bool>.Done => DigiCertEnvelope.NoContent,
            Outcome<bool>.NotFound => Missing(webhook_id),
            Outcome<bool>.Refused { Reason.Code: "webhook_invalid_token" } => DigiCertEnvelope.Fail(400, "webhook_invalid_token",
                "The token is invalid, expired, or missing from the request; send a new one with PUT /services/v2/webhook/{webhook_id}/send-challenge."),
            _ => DigiCertEnvelope.Fail(400, "webhook_not_verified", "Complete the verification challenge (send-challenge, then check-challenge) before activating the webhook."),
        }, ct));
    }

    private static StoredResponse Missing(string id) =>
        DigiCertEnvelope.Fail(404, WebhookNotFound, $"Webhook '{(id.Length > 40 ? id[..40] + "…" : id)}' was not found.");
}

public sealed record NewWebhookBody(string Endpoint, string? Secret, IReadOnlyList<string>? Events, JsonElement? WebhookSettings);

public sealed record WebhookEndpointBody(string Endpoint);

public sealed record ChallengeBody(string Token);

public sealed record CreatedWebhook(long WebhookId);

public sealed record WebhookObject(long Id, string Endpoint, string? Secret, IReadOnlyList<string> Events, string Status, JsonElement? WebhookSettings);

public sealed record WebhookList(IReadOnlyList<WebhookObject> Webhooks);
