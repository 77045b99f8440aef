using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Server.Http;

namespace Rescind.Server.Cancellations;

/// <summary>One resource as Rescind's own API and the console show it, whichever vendor API it came from.</summary>
/// <param name="State">The vendor's public state (what its own API shows).</param>
/// <param name="Reference">The caller's own reference for it, when the vendor API has one (searchable).</param>
public sealed record ResourceSummary(
    string Api,
    string Type,
    string Id,
    string AccountId,
    string Mode,
    string State,
    string? Reference,
    long CreatedAt,
    long UpdatedAt);

/// <summary>A resource with its children (transactions of a session, flows of a billing request, ...) and the
/// vendor API's own JSON for it.</summary>
public sealed record ResourceDetail(ResourceSummary Resource, IReadOnlyList<ResourceSummary> Children, string VendorJson);

/// <summary>A page of one target's resources, newest first.</summary>
/// <param name="State">A public state of the target (one of <see cref="CancelTarget.States"/>), or null for all.</param>
/// <param name="Search">An exact id or reference, or null.</param>
/// <param name="After">The id of the last resource of the previous page, or null for the first page.</param>
public sealed record ResourceQuery(string? AccountId, string? State, string? Search, string? After, int Limit);

/// <summary>
/// What a cancel did, or in a dry run would do, to one resource, in one vocabulary for every API. The vendor API's
/// own cancel decides; this only names its outcome.
/// </summary>
public abstract record CancelOutcome
{
    private CancelOutcome()
    {
    }

    /// <summary>The resource is canceled now. <paramref name="Effects"/> holds every state change of the cancel
    /// (the resource and its cascade); <paramref name="Notes"/> what else stops with it (reminders, flows).</summary>
    public sealed record Canceled(ResourceDetail After, IReadOnlyList<Change> Effects, IReadOnlyList<string> Notes) : CancelOutcome;

    /// <summary>It was canceled before; nothing changed.</summary>
    public sealed record AlreadyCanceled(ResourceDetail After) : CancelOutcome;

    /// <summary>The cancel was accepted but waits on children that cannot be stopped from here (a provider, a
    /// chain); the resource settles later.</summary>
    public sealed record PendingCancellation(
        ResourceDetail After, IReadOnlyList<ResourceSummary> Unstoppable, IReadOnlyList<Change> Effects, IReadOnlyList<string> Notes) : CancelOutcome;

    /// <summary>The vendor API refuses the cancel, with its own status, code and message.</summary>
    public sealed record Refused(int Status, string Code, string Message) : CancelOutcome;

    /// <summary>No such resource in the account.</summary>
    public sealed record NotFound : CancelOutcome;
}

/// <summary>
/// What one API's folder offers to Rescind's own cancellation API and the operator console: find, list and cancel
/// one kind of resource through the API's own rules and coordinator path. Declared once per cancelable resource
/// kind in the API's module (<see cref="Hosting.ApiModule.CancelTargets"/>).
/// </summary>
/// <param name="Api">The API's name (as in the audit log).</param>
/// <param name="Type">The resource type (as in the audit log).</param>
/// <param name="Title">How a person calls it ("Tax certificate request").</param>
/// <param name="States">The public states, for filters; <paramref name="PendingStates"/> those still waiting on
/// someone (the console's default filter).</param>
/// <param name="ReasonRequired">Whether the vendor's cancel requires a note or reason.</param>
/// <param name="MayOwn">A cheap check of the id's shape: false when the id cannot be one of this target's.</param>
/// <param name="FindAsync">The resource, scoped to the account (any account when null). Every function gets the
/// host's services, for the database, the clock and the API's options.</param>
/// <param name="ListAsync">A page of resources, newest first (one more than the limit when there are more).</param>
/// <param name="CountAsync">How many resources are in each public state, in the account (all accounts when null).</param>
/// <param name="CancelAsync">Runs the vendor API's cancel inside the caller's transaction (the unit of work's
/// context names the owning account and the actor) and names the outcome. It must not commit or roll back; the
/// caller does (a dry run rolls back).</param>
public sealed record CancelTarget(
    string Api,
    string Type,
    string Title,
    IReadOnlyList<string> States,
    IReadOnlyList<string> PendingStates,
    bool ReasonRequired,
    Func<string, bool> MayOwn,
    Func<IServiceProvider, string?, string, CancellationToken, Task<ResourceDetail?>> FindAsync,
    Func<IServiceProvider, ResourceQuery, CancellationToken, Task<IReadOnlyList<ResourceSummary>>> ListAsync,
    Func<IServiceProvider, string?, CancellationToken, Task<IReadOnlyDictionary<string, long>>> CountAsync,
    Func<UnitOfWork, IServiceProvider, string, string?, Task<CancelOutcome>> CancelAsync);

/// <summary>Helpers an adapter uses to name the outcome of its vendor cancel.</summary>
public static class CancelOutcomes
{
    /// <summary>
    /// Names the outcome of a vendor cancel in Rescind's vocabulary: done → canceled (with every change the unit of
    /// work recorded), already done → already canceled, deferred → pending cancellation (the children, or the resource
    /// itself, that it waits on),
    /// refused → refused with the status, code and message the vendor's API gives (<paramref name="describe"/>),
    /// not found → not found.
    /// </summary>
    public static CancelOutcome From<T>(
        UnitOfWork uow,
        Outcome<T> outcome,
        Func<T, ResourceDetail> detail,
        Func<Refusal, (int Status, string Code, string Message)> describe,
        IReadOnlyList<string> notes)
    {
        switch (outcome)
        {
            case Outcome<T>.Done done:
                return new CancelOutcome.Canceled(detail(done.Value), [.. uow.Recorded], notes);
            case Outcome<T>.AlreadyDone already:
                return new CancelOutcome.AlreadyCanceled(detail(already.Value));
            case Outcome<T>.Deferred deferred:
                var after = detail(deferred.Value);
                var waiting = deferred.Unstoppable.ToHashSet(StringComparer.Ordinal);
                // What cannot be stopped may be the resource itself (a transaction already on a chain).
                return new CancelOutcome.PendingCancellation(
                    after, [.. after.Children.Prepend(after.Resource).Where(c => waiting.Contains(c.Id))], [.. uow.Recorded], notes);
            case Outcome<T>.Refused refused:
                var (status, code, message) = describe(refused.Reason);
                return new CancelOutcome.Refused(status, code, message);
            case Outcome<T>.NotFound:
                return new CancelOutcome.NotFound();
            default:
                throw new InvalidOperationException($"unknown outcome {outcome}");
        }
    }

    /// <summary>The service clock's now, in unix ms (the adapters project public states with it).</summary>
    public static long NowMs(IServiceProvider services) => Time.ToUnixMs(services.GetRequiredService<TimeProvider>().GetUtcNow());
}
