namespace Rescind.Core.Lifecycles;

public enum Verdict
{
    /// <summary>Move to <see cref="Rule.To"/>.</summary>
    Go,

    /// <summary>The command's effect is already the current state: answer from it, write nothing.</summary>
    AlreadyDone,

    /// <summary>The state does not allow the command; <see cref="Rule.Code"/> says why.</summary>
    Refuse,

    /// <summary>The command is accepted but its effect is settled later by the outside world (a best-effort,
    /// same-nonce replacement on a chain): move to <see cref="Rule.DeferTo"/> and wait.</summary>
    Defer,
}

/// <summary>
/// One cell of a lifecycle table. <see cref="DeferTo"/> is the state a parent takes instead of <see cref="To"/>
/// when a cascade meets children that cannot be stopped (e.g. a checkout session pending cancellation).
/// </summary>
public sealed record Rule(Verdict Verdict, string? To = null, string? Code = null, string? Event = null, string? DeferTo = null, string? DeferEvent = null)
{
    public static Rule Go(string to, string? @event = null, string? deferTo = null, string? deferEvent = null) =>
        new(Verdict.Go, to, null, @event, deferTo, deferEvent);

    public static Rule Done { get; } = new(Verdict.AlreadyDone);

    public static Rule Refuse(string code) => new(Verdict.Refuse, Code: code);

    /// <summary>Accept the command now, let its outcome be settled later: the resource waits in
    /// <paramref name="to"/>, and <see cref="Lifecycle.Decide"/> answers <see cref="Decision.Deferred"/>.</summary>
    public static Rule Defer(string to, string? @event = null) => new(Verdict.Defer, null, null, null, to, @event);
}

/// <summary>
/// A resource kind's lifecycle as data: its states, which are terminal, how internal states show publicly, and
/// one rule per (state, command). A pair with no rule is refused with the table's default code.
/// </summary>
public sealed class Lifecycle
{
    private readonly Dictionary<(string State, string Command), Rule> rules;
    private readonly Dictionary<string, string> projection;

    public Lifecycle(
        string name,
        IReadOnlyList<string> states,
        IReadOnlyList<string> terminal,
        IReadOnlyList<string> commands,
        IReadOnlyList<(string State, string Command, Rule Rule)> table,
        string refusedByDefault,
        IReadOnlyDictionary<string, string>? projection = null)
    {
        Name = name;
        States = states;
        Terminal = terminal.ToHashSet(StringComparer.Ordinal);
        Commands = commands;
        RefusedByDefault = refusedByDefault;
        this.projection = new Dictionary<string, string>(projection ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        rules = new Dictionary<(string, string), Rule>();
        foreach (var state in terminal)
        {
            Require(states.Contains(state), $"unknown terminal state '{state}'");
        }
        foreach (var (state, command, rule) in table)
        {
            Require(states.Contains(state), $"unknown state '{state}'");
            Require(commands.Contains(command), $"unknown command '{command}'");
            Require(rule.Verdict != Verdict.Go || (rule.To is not null && states.Contains(rule.To)), $"{state}/{command}: unknown target '{rule.To}'");
            Require(rule.DeferTo is null || states.Contains(rule.DeferTo), $"{state}/{command}: unknown defer state '{rule.DeferTo}'");
            Require(rule.Verdict != Verdict.Go || !Terminal.Contains(state), $"{state} is terminal but has a transition on {command}");
            Require(rule.Verdict != Verdict.Defer || (rule.DeferTo is not null && !Terminal.Contains(state)), $"{state}/{command}: a deferral needs a defer state and a non-terminal source");
            Require(rules.TryAdd((state, command), rule), $"{state}/{command} is listed twice");
        }
        foreach (var group in rules.Where(r => r.Value.DeferTo is not null).GroupBy(r => (r.Value.DeferTo, r.Key.Command)))
        {
            // A parent waiting in a defer state must know, unambiguously, where it goes when its last child ends.
            Require(group.Select(r => (r.Value.To, r.Value.Event)).Distinct().Count() == 1,
                $"rules deferring {group.Key.Command} to {group.Key.DeferTo} disagree on the final state or event");
        }
        foreach (var (from, to) in this.projection)
        {
            Require(states.Contains(from) && states.Contains(to), $"projection {from}->{to} names an unknown state");
        }

        void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new ArgumentException($"lifecycle {name}: {message}");
            }
        }
    }

    public string Name { get; }

    public IReadOnlyList<string> States { get; }

    public IReadOnlySet<string> Terminal { get; }

    public IReadOnlyList<string> Commands { get; }

    public string RefusedByDefault { get; }

    public bool IsTerminal(string state) => Terminal.Contains(state);

    /// <summary>The state callers see (internal states collapse into public ones).</summary>
    public string Project(string state) => projection.TryGetValue(state, out var shown) ? shown : state;

    public Rule RuleFor(string state, string command)
    {
        if (!States.Contains(state))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, $"not a state of {Name}");
        }
        if (!Commands.Contains(command))
        {
            throw new ArgumentOutOfRangeException(nameof(command), command, $"not a command of {Name}");
        }
        return rules.TryGetValue((state, command), out var rule) ? rule : Rule.Refuse(RefusedByDefault);
    }

    /// <summary>The pure decision for a resource without children.</summary>
    public Decision Decide(string state, string command)
    {
        var rule = RuleFor(state, command);
        return rule.Verdict switch
        {
            Verdict.Go => new Decision.Transitioned(state, rule.To!, rule.Event, []),
            Verdict.AlreadyDone => new Decision.AlreadyDone(state),
            Verdict.Defer => new Decision.Deferred(state, rule.DeferTo!, rule.DeferEvent, [], []),
            _ => new Decision.Refused(state, rule.Code ?? RefusedByDefault),
        };
    }

    /// <summary>
    /// The pure decision for a parent whose command cascades to its children: every non-terminal child that can be
    /// stopped takes the child lifecycle's transition for <paramref name="childCommand"/> in the same decision; if
    /// any cannot be stopped, the parent goes to the rule's <see cref="Rule.DeferTo"/> state and the decision is
    /// <see cref="Decision.Deferred"/>, naming the children still pending. Terminal children are left untouched.
    /// </summary>
    public Decision DecideCascade(string state, string command, Lifecycle children, string childCommand, IReadOnlyList<Child> current)
    {
        var rule = RuleFor(state, command);
        if (rule.Verdict != Verdict.Go)
        {
            return Decide(state, command); // including a deferral of the parent alone
        }
        var changes = new List<ChildChange>();
        var pending = new List<string>();
        foreach (var child in current)
        {
            if (children.IsTerminal(child.State))
            {
                continue;
            }
            var childRule = children.RuleFor(child.State, childCommand);
            if (child.CanStop && childRule.Verdict == Verdict.Go)
            {
                changes.Add(new ChildChange(child.Id, child.State, childRule.To!, childRule.Event));
            }
            else
            {
                pending.Add(child.Id);
            }
        }
        if (pending.Count > 0 && rule.DeferTo is not null)
        {
            return new Decision.Deferred(state, rule.DeferTo, rule.DeferEvent, changes, pending);
        }
        if (pending.Count > 0)
        {
            return new Decision.Refused(state, RefusedByDefault);
        }
        return new Decision.Transitioned(state, rule.To!, rule.Event, changes);
    }

    /// <summary>
    /// The pure decision for a parent waiting in a defer state (see <see cref="Rule.DeferTo"/>) after one of its
    /// children changed: once no child is left non-terminal, the parent completes the deferred
    /// <paramref name="command"/> (the deferring rule's <see cref="Rule.To"/> and <see cref="Rule.Event"/>), to be
    /// applied in the same transaction as the child's change; until then it stays <see cref="Decision.Deferred"/>
    /// in its state, naming the children still pending. A state no rule defers <paramref name="command"/> to is
    /// refused with the default code.
    /// </summary>
    public Decision DecideDeferred(string state, string command, Lifecycle children, IReadOnlyList<Child> current)
    {
        RuleFor(state, command); // validates both names
        var rule = rules.Where(r => r.Key.Command == command && r.Value.DeferTo == state).Select(r => r.Value).FirstOrDefault();
        if (rule is null)
        {
            return new Decision.Refused(state, RefusedByDefault);
        }
        var pending = new List<string>();
        foreach (var child in current)
        {
            if (!children.States.Contains(child.State))
            {
                throw new ArgumentOutOfRangeException(nameof(current), child.State, $"not a state of {children.Name}");
            }
            if (!children.IsTerminal(child.State))
            {
                pending.Add(child.Id);
            }
        }
        return pending.Count > 0
            ? new Decision.Deferred(state, state, null, [], pending)
            : new Decision.Transitioned(state, rule.To!, rule.Event, []);
    }
}

/// <summary>A child of a cascading resource as the decision sees it.</summary>
public sealed record Child(string Id, string State, bool CanStop);

public sealed record ChildChange(string Id, string From, string To, string? Event);

/// <summary>The closed set of outcomes a decision can have. Every API maps these once to its own envelope.</summary>
public abstract record Decision
{
    private Decision()
    {
    }

    /// <summary>The resource moves from <paramref name="From"/> to <paramref name="To"/>, with its cascade.</summary>
    public sealed record Transitioned(string From, string To, string? Event, IReadOnlyList<ChildChange> Cascade) : Decision;

    /// <summary>The command has already taken effect (idempotent replay): nothing is written.</summary>
    public sealed record AlreadyDone(string State) : Decision;

    /// <summary>The state does not allow the command.</summary>
    public sealed record Refused(string State, string Code) : Decision;

    /// <summary>Part of the cascade cannot be stopped now: the parent waits in <paramref name="To"/> for
    /// <paramref name="Pending"/> to end on their own, emitting <paramref name="Event"/> (the rule's DeferEvent,
    /// not its final event: that comes when the last pending child ends).</summary>
    public sealed record Deferred(string From, string To, string? Event, IReadOnlyList<ChildChange> Cascade, IReadOnlyList<string> Pending) : Decision;
}
