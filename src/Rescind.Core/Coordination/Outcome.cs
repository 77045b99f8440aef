namespace Rescind.Core.Coordination;

/// <summary>
/// Why a command was refused, in the words of the resource's rules: a code (a lifecycle table's, or the API's own
/// for a check outside the table), the state the resource was in, and a detail the API's rendering may show.
/// Each API turns a refusal into its vendor's status, code and message in one place (its envelope).
/// </summary>
public sealed record Refusal(string Code, string? State = null, string? Detail = null);

/// <summary>
/// What a command (create, cancel, fulfil, approve, simulate, ...) did: a closed set of cases, never an HTTP answer.
/// The API's edge renders it once into its vendor's status and body (and that rendering is what an idempotency
/// record keeps); Rescind's own API, the jobs, the console and the CLI read the value itself.
/// </summary>
/// <typeparam name="T">The command's result: the resource (a row) or whatever the API renders from.</typeparam>
public abstract record Outcome<T> : IOutcome
{
    private Outcome()
    {
    }

    /// <summary>The command took effect; <paramref name="Value"/> is the resource as it is now.</summary>
    public sealed record Done(T Value) : Outcome<T>;

    /// <summary>The command's effect was already the resource's state: nothing changed.</summary>
    public sealed record AlreadyDone(T Value) : Outcome<T>;

    /// <summary>Accepted, but settled later: the resource waits on children that cannot be stopped from here (a
    /// payment provider, a chain), named in <paramref name="Unstoppable"/> by id.</summary>
    public sealed record Deferred(T Value, IReadOnlyList<string> Unstoppable) : Outcome<T>;

    /// <summary>The rules refuse the command; nothing of it was applied.</summary>
    public sealed record Refused(Refusal Reason) : Outcome<T>;

    /// <summary>No resource <paramref name="Id"/> in the account (<paramref name="Kind"/> names which kind, when a
    /// command reads several).</summary>
    public sealed record NotFound(string Id, string? Kind = null) : Outcome<T>;

    string IOutcome.Name => this switch
    {
        Done => Telemetry.OutcomeNames.Transitioned,
        AlreadyDone => Telemetry.OutcomeNames.Already,
        Deferred => Telemetry.OutcomeNames.Deferred,
        Refused => Telemetry.OutcomeNames.Refused,
        _ => Telemetry.OutcomeNames.NotFound,
    };

    /// <summary>Whether the command changed something (done or deferred).</summary>
    public bool Changed => this is Done or Deferred;

    public static Outcome<T> Refuse(string code, string? state = null, string? detail = null) => new Refused(new Refusal(code, state, detail));

    public static Outcome<T> Missing(string id, string? kind = null) => new NotFound(id, kind);
}

/// <summary>An outcome of any type, as metrics and spans name it (transitioned, already, deferred, refused, not_found).</summary>
public interface IOutcome
{
    string Name { get; }
}

/// <summary>Shorthands that infer the outcome's type from the value.</summary>
public static class Outcome
{
    public static Outcome<T> Done<T>(T value) => new Outcome<T>.Done(value);

    public static Outcome<T> AlreadyDone<T>(T value) => new Outcome<T>.AlreadyDone(value);

    public static Outcome<T> Deferred<T>(T value, IReadOnlyList<string> unstoppable) => new Outcome<T>.Deferred(value, unstoppable);
}
