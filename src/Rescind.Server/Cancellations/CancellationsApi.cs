using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Routing.Matching;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Http;

namespace Rescind.Server.Cancellations;

/// <summary>
/// Rescind's own cancellation API: one way to find and cancel any resource of the account, whichever vendor API
/// it came from. Authenticated with a Rescind key (<c>Authorization: Bearer rk_live_…</c> / <c>rk_test_…</c>); a
/// key sees the resources of its own mode only. Errors are RFC 9457 problem details.
/// <code>
/// GET  /v1/resources/{id}                   any resource of the account (id or api:id)
/// POST /v1/cancellations                    {resources, reason?, dry_run?, idempotency_key, cancel_at?}
/// GET  /v1/cancellations                    newest first (limit, starting_after)
/// GET  /v1/cancellations/{id}               re-reads deferred outcomes until they settle
/// POST /v1/cancellations/{id}/cancel        cancels a scheduled cancellation
/// GET  /v1/reports/cancellations            outcomes by day, API, reason and outcome (from, to); a Rescind key
///                                           only: any other credential reaches CrissCross Collect's report
/// GET  /v1/events/stream                    server-sent events of the account's cancellations (Last-Event-ID)
/// </code>
/// </summary>
public static class CancellationsApi
{
    public const string KeyPrefix = "rk_";
    public const int MaxResources = 1000;
    public const int MaxBodyBytes = 256 * 1024; // 1,000 qualified ids fit; above the shared 64 KiB [ours]

    public static IEndpointRouteBuilder MapCancellations(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithGroupName(CancellationStore.Api).RequireCaller(Credentials).ProducesProblems(401);
        v1.MapGet("/resources/{id}", GetResourceAsync).Produces<ResourceDetailObject>(200).ProducesProblems(404, 409, 429);
        v1.MapPost("/cancellations", CreateAsync)
            .Accepts<NewCancellationBody>("application/json").Produces<CancellationObject>(201).Produces<CancellationObject>(200)
            .ProducesProblems(400, 409, 413, 422, 429);
        v1.MapGet("/cancellations", ListAsync)
            .Parameters(ParameterDoc.Query("limit", "integer", "1 to 100, default 20."), ParameterDoc.Query("starting_after", description: "The id of the last cancellation of the previous page."))
            .Produces<PageObject<CancellationObject>>(200).ProducesProblems(400, 429);
        v1.MapGet("/cancellations/{id}", GetAsync).Produces<CancellationObject>(200).ProducesProblems(404, 429);
        v1.MapPost("/cancellations/{id}/cancel", CancelScheduleAsync).AcceptsNoFields().Produces<CancellationObject>(200).ProducesProblems(404, 409, 429);
        // Under /v1/reports the shared failures (429, …) are CrissCross Collect's envelope, not problem details.
        v1.MapGet("/reports/cancellations", ReportAsync).WithMetadata(RescindKeyOnly.Instance)
            .Parameters(ParameterDoc.Query("from", description: "ISO-8601 UTC; default 30 days before to."), ParameterDoc.Query("to", description: "ISO-8601 UTC; default now."))
            .Produces<CancellationReport>(200).ProducesProblems(400);
        v1.MapGet("/events/stream", StreamAsync)
            .Parameters(ParameterDoc.Header("Last-Event-ID", description: "Resume after this event id."), ParameterDoc.Query("after", "integer", "Resume after this event id (when no Last-Event-ID)."))
            .Produces<string>(200, "text/event-stream").ProducesProblems(429);
        return app;
    }

    public static bool HasRescindKey(HttpContext http) =>
        CredentialSchemes.BearerSecret(http)?.StartsWith(KeyPrefix, StringComparison.Ordinal) == true;

    /// <summary>A Rescind key of an account (<c>Authorization: Bearer rk_live_…</c> or <c>rk_test_…</c>); anything
    /// else is 401 in problem details.</summary>
    public static CredentialScheme Credentials { get; } = new(
        CancellationStore.Api,
        async http => await CredentialSchemes.BearerKeyAsync(http, CancellationStore.Api) is { AccountId: not null } p ? p : null,
        _ => ProblemEnvelope.Instance.Error(401, "unauthorized", "A Rescind key is required: Authorization: Bearer rk_live_… or rk_test_…"),
        "application/problem+json");

    private static Principal Of(HttpContext http) => http.Caller();

    private static Actor ActorOf(HttpContext http) => Actor.Credential(Of(http).CredentialId);

    public static IResult Problem(int status, string code, string detail) =>
        ProblemEnvelope.Instance.Error(status, code, detail).ToResult("application/problem+json");

    private static IResult Json<T>(T value, int status = 200) =>
        Results.Text(CancellationJson.Serialize(value), "application/json", System.Text.Encoding.UTF8, status);

    private static async Task<IResult> GetResourceAsync(string id, HttpContext http, CancelService cancels, CancellationToken ct)
    {
        var p = Of(http);
        var found = (await cancels.FindAsync(p.AccountId, id, ct)).Where(f => f.Detail.Resource.Mode == p.Mode).ToList();
        if (found.Count == 0)
        {
            return Problem(404, "not_found", $"No resource {id} in this account's {p.Mode} mode.");
        }
        if (found.Count > 1)
        {
            return Problem(409, "ambiguous_id", $"{id} names resources of {string.Join(" and ", found.Select(f => f.Target.Api))}; qualify it as api:id.");
        }
        var (r, d) = (found[0].Detail.Resource, found[0].Detail);
        using var vendor = JsonDocument.Parse(d.VendorJson);
        return Json(new ResourceDetailObject(r.Api, r.Type, r.Id, r.Mode, r.State, r.Reference, Time.Iso(r.CreatedAt), Time.Iso(r.UpdatedAt),
            [.. d.Children.Select(CancellationJson.Resource)], vendor.RootElement.Clone()));
    }

    /// <summary>A resource named twice (the same string, or <c>id</c> beside <c>api:id</c>): refused, since its second
    /// outcome would only repeat or contradict the first.</summary>
    private static string? Twice(IReadOnlyList<string> resources)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in resources)
        {
            if (!seen.Add(r))
            {
                return $"resources names {r} twice.";
            }
        }
        foreach (var r in resources)
        {
            if (CancelService.Qualified(r) is { Api: not null, Bare: var bare } && seen.Contains(bare))
            {
                return $"resources names {bare} both bare and as {r}; name each resource once.";
            }
        }
        return null;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, Coordinator coordinator, CancellationRunner runner, ResourceBudget budget, TimeProvider clock, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, MaxBodyBytes, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return Problem(read.Failure == SharedFailure.PayloadTooLarge ? 413 : 400, "invalid_request", read.Message!);
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            return Problem(400, "invalid_request", "The body must be a JSON object.");
        }
        var f = new JsonFields(doc.RootElement).Allow("resources", "reason", "dry_run", "idempotency_key", "cancel_at");
        var resources = f.StringArray("resources", required: true, MaxResources, 200);
        var reason = f.String("reason", required: false, 1000);
        var key = f.String("idempotency_key", required: true, 255);
        var cancelAt = f.Timestamp("cancel_at", required: false);
        var dryRun = false;
        if (doc.RootElement.TryGetProperty("dry_run", out var dr))
        {
            if (dr.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                f.Fail("dry_run", "dry_run must be true or false.");
            }
            dryRun = dr.ValueKind == JsonValueKind.True;
        }
        if (dryRun && cancelAt is not null)
        {
            f.Fail("cancel_at", "A dry run cannot be scheduled: it shows what a cancel would do now.");
        }
        if (!f.Ok)
        {
            return Problem(400, "invalid_request", f.Error!.Message);
        }
        if (Twice(resources!) is { } twice)
        {
            return Problem(400, "invalid_request", twice);
        }
        var p = Of(http);
        if (budget.TryCharge(p.AccountId!, resources!.Count) is { } wait)
        {
            http.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problem(429, "rate_limited",
                $"This account's bulk and dry-run cancellations are charged one permit per resource, and {resources.Count} are not available now; retry in {wait} s.");
        }
        var now = clock.GetUtcNow();
        if (dryRun)
        {
            // A dry run is not stored: it writes nothing, so its id cannot be read back and its key is not kept.
            var outcomes = await runner.PreviewAsync(p.AccountId!, p.Mode, ActorOf(http), RequestIds.Of(http), resources!, reason, ct);
            var iso = Time.Iso(now);
            return Json(new CancellationObject(Ids.New("can_", clock), "cancellation",
                outcomes.Any(o => o.Outcome == CancellationJson.Pending) ? CancellationStore.PendingStatus : CancellationStore.Completed,
                p.Mode, true, reason, key, resources!, null, iso, iso, CancellationJson.Summary(outcomes), outcomes));
        }
        var scheduled = cancelAt is { } at && at > now;
        var row = new CancellationRow
        {
            Id = Ids.New("can_", clock), AccountId = p.AccountId!, Mode = p.Mode, IdempotencyKey = key!,
            Fingerprint = CancellationRunner.Fingerprint(resources!, reason, cancelAt is { } c ? Time.ToUnixMs(c) : null),
            Reason = reason, Resources = JsonSerializer.Serialize(resources), Status = scheduled ? CancellationStore.Scheduled : CancellationStore.Processing,
            CancelAt = cancelAt is { } ca ? Time.ToUnixMs(ca) : null, CreatedAt = Time.ToUnixMs(now), UpdatedAt = Time.ToUnixMs(now),
        };
        var ctx = CancellationRunner.Context(row, ActorOf(http), RequestIds.Of(http));
        var (claimed, existing) = await coordinator.RunAsync(ctx, async (uow, _) =>
        {
            if (await CancellationStore.ClaimAsync(uow, row))
            {
                await uow.RecordAsync(new Change(CancellationStore.Api, CancellationStore.Type, row.Id, "create", null, row.Status, Reason: reason));
                return (true, (CancellationRow?)null);
            }
            return (false, await CancellationStore.ByKeyAsync(uow, row.AccountId, row.Mode, row.IdempotencyKey));
        }, ct);
        if (!claimed)
        {
            if (existing!.Fingerprint != row.Fingerprint)
            {
                return Problem(422, "idempotency_key_reused",
                    $"The idempotency key {key} was used for a different cancellation ({existing.Id}); use a new key for a new request.");
            }
            if (existing.Status == CancellationStore.Processing)
            {
                return Problem(409, "idempotency_key_in_flight", $"The cancellation {existing.Id} with this key is still running (a run cut short by a crash is resumed by the job runner); read it with GET /v1/cancellations/{existing.Id}.");
            }
            await runner.SettleAsync(existing, ActorOf(http), RequestIds.Of(http), ct);
            return Json(await runner.RenderAsync(existing, ct));
        }
        if (!scheduled)
        {
            await runner.ExecuteAsync(row, ActorOf(http), RequestIds.Of(http), ct);
        }
        return Json(await runner.RenderAsync(row, ct), 201);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, Database db, CancellationRunner runner, CancellationToken ct)
    {
        var p = Of(http);
        if (await CancellationStore.GetAsync(db, p.AccountId, p.Mode, id, ct) is not { } row)
        {
            return Problem(404, "not_found", $"No cancellation {id} in this account's {p.Mode} mode.");
        }
        await runner.SettleAsync(row, ActorOf(http), RequestIds.Of(http), ct);
        return Json(await runner.RenderAsync(row, ct));
    }

    private static async Task<IResult> ListAsync(HttpContext http, Database db, CancellationRunner runner, CancellationToken ct)
    {
        var p = Of(http);
        var q = http.Request.Query;
        var limit = 20;
        if (!StrictQuery.TryInteger(q.ContainsKey("limit") ? q["limit"].ToString() : null, 1, 100, ref limit))
        {
            return Problem(400, "invalid_request", "limit must be 1 to 100.");
        }
        string? after = q["starting_after"];
        if (after is not null && await CancellationStore.GetAsync(db, p.AccountId, p.Mode, after, ct) is null)
        {
            return Problem(400, "invalid_request", "starting_after must be the id of a cancellation of this account and mode.");
        }
        var rows = await CancellationStore.ListAsync(db, p.AccountId!, p.Mode, after, limit, ct);
        var page = new List<CancellationObject>();
        foreach (var row in rows.Take(limit))
        {
            page.Add(await runner.RenderAsync(row, ct));
        }
        return Json(new PageObject<CancellationObject>(page, rows.Count > limit, rows.Count > limit ? page[^1].Id : null));
    }

    private static async Task<IResult> CancelScheduleAsync(string id, HttpContext http, Database db, Coordinator coordinator, CancellationRunner runner, CancellationToken ct)
    {
        var p = Of(http);
        if (await CancellationStore.GetAsync(db, p.AccountId, p.Mode, id, ct) is not { } row)
        {
            return Problem(404, "not_found", $"No cancellation {id} in this account's {p.Mode} mode.");
        }
        var status = await coordinator.RunAsync(CancellationRunner.Context(row, ActorOf(http), RequestIds.Of(http)), async (uow, _) =>
        {
            var locked = (await CancellationStore.LockAsync(uow, id))!;
            if (locked.Status == CancellationStore.Scheduled)
            {
                await CancellationStore.SetStatusAsync(uow, id, CancellationStore.Scheduled, CancellationStore.CanceledStatus);
                await uow.RecordAsync(new Change(CancellationStore.Api, CancellationStore.Type, id, "cancel", CancellationStore.Scheduled, CancellationStore.CanceledStatus,
                    "cancellation.canceled", CancellationJson.Serialize(new { id, status = CancellationStore.CanceledStatus })));
                return CancellationStore.CanceledStatus;
            }
            return locked.Status;
        }, ct);
        if (status != CancellationStore.CanceledStatus)
        {
            return Problem(409, "not_scheduled", $"The cancellation {id} is {status}: only a scheduled cancellation can be canceled.");
        }
        row.Status = status;
        return Json(await runner.RenderAsync((await CancellationStore.GetAsync(db, null, null, id, ct))!, ct));
    }

    private static async Task<IResult> ReportAsync(HttpContext http, Database db, TimeProvider clock, CancellationToken ct)
    {
        var p = Of(http);
        var q = http.Request.Query;
        var to = clock.GetUtcNow();
        var from = to.AddDays(-30);
        if ((q.ContainsKey("from") && !Time.TryParseUtc(q["from"], out from)) || (q.ContainsKey("to") && !Time.TryParseUtc(q["to"], out to)) || from > to)
        {
            return Problem(400, "invalid_request", "from and to must be ISO-8601 UTC timestamps (from before to).");
        }
        var rows = await CancellationStore.ReportAsync(db, p.AccountId!, p.Mode, Time.ToUnixMs(from), Time.ToUnixMs(to), ct);
        return Json(new CancellationReport(Time.Iso(from), Time.Iso(to), rows));
    }

    /// <summary>Server-sent events: every cancellation event of the account and mode from the outbox, after the
    /// <c>Last-Event-ID</c> (or <c>?after=</c>) given, else from now; live until the client goes.</summary>
    private static async Task StreamAsync(HttpContext http, Database db, StreamSlots slots, CancellationToken ct)
    {
        var p = Of(http);
        using var slot = slots.TryEnter(p.AccountId!);
        if (slot is null)
        {
            http.Response.Headers.RetryAfter = "5";
            await Problem(429, "too_many_streams", $"This account already holds {slots.Limit} open event streams on this node; close one first.").ExecuteAsync(http);
            return;
        }
        long last;
        var resume = http.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } h ? h : http.Request.Query["after"].ToString();
        if (!long.TryParse(resume, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out last))
        {
            await using var c = await db.OpenAsync(ct);
            last = await c.ExecuteScalarAsync<long?>("SELECT MAX(id) FROM outbox WHERE account_id = @AccountId AND api = 'rescind'", new { p.AccountId }) ?? 0;
        }
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        await http.Response.WriteAsync(": stream of cancellation events\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                IReadOnlyList<(long Id, string EventType, string Payload)> events;
                await using (var c = await db.OpenAsync(ct))
                {
                    events = (await c.QueryAsync<(long, string, string)>(
                        """
                        SELECT o.id, o.event_type, o.payload FROM outbox o JOIN rescind_cancellations r ON r.id = o.resource_id
                        WHERE o.account_id = @AccountId AND o.api = 'rescind' AND r.mode = @Mode AND o.id > @last ORDER BY o.id LIMIT 100
                        """,
                        new { p.AccountId, p.Mode, last })).ToList();
                }
                foreach (var (id, type, payload) in events)
                {
                    await http.Response.WriteAsync($"id: {id}\nevent: {type}\ndata: {payload}\n\n", ct);
                    last = id;
                }
                await http.Response.Body.FlushAsync(ct);
                if (events.Count == 0)
                {
                    // Wall-clock polling: the stream is live whatever the service's clock says.
                    await Task.Delay(200, ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
    }
}

/// <summary>Marks an endpoint that shares its route with another API's and is chosen only for a Rescind key.</summary>
public sealed class RescindKeyOnly
{
    public static RescindKeyOnly Instance { get; } = new();
}

/// <summary>
/// <c>GET /v1/reports/cancellations</c> is both CrissCross Collect's report and Rescind's own: the route is
/// chosen by the credential. With a Rescind key (<c>Bearer rk_…</c>) only Rescind's endpoint stays a candidate;
/// with anything else Rescind's endpoint drops out and Collect's handler answers, unchanged.
/// </summary>
public sealed class RescindKeyMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<RescindKeyOnly>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var rescind = CancellationsApi.HasRescindKey(httpContext);
        var shared = false;
        for (var i = 0; i < candidates.Count; i++)
        {
            shared |= candidates.IsValidCandidate(i) && candidates[i].Endpoint.Metadata.GetMetadata<RescindKeyOnly>() is not null;
        }
        for (var i = 0; shared && i < candidates.Count; i++)
        {
            if ((candidates[i].Endpoint.Metadata.GetMetadata<RescindKeyOnly>() is not null) != rescind)
            {
                candidates.SetValidity(i, false);
            }
        }
        return Task.CompletedTask;
    }
}
