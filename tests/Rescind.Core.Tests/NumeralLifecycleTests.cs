using Rescind.Core.Lifecycles;
using Rescind.Server.Numeral;

namespace Rescind.Core.Tests;

/// <summary>
/// Numeral's certificate-request lifecycle as pure rules: every (state, command) pair, the public projection and
/// the time rules (expiry, reminders, status filters). Expectations are written out from spec/numeral.md.
/// </summary>
public sealed class NumeralLifecycleTests
{
    private const string Go = "transitioned";
    private const string Done = "already-done";
    private const string Refused = "refused";

    private const long ExpiresAt = 1_000_000;
    private const long Day = 86_400_000;

    private static readonly string[] AllStates = ["pending", "processing", "fulfilled", "failed", "canceled", "invalid"];
    private static readonly string[] AllCommands = ["cancel", "submit", "accept", "reject", "expire"];

    /// <summary>
    /// (state, command, outcome, target state or refusal code, event). Written by hand from the spec: cancel rules
    /// are [doc]; the edges pending→processing→fulfilled|failed, pending→invalid and pending/processing→canceled
    /// are the lifecycle section; a command on a state already holding its effect is idempotent; anything else is
    /// refused with the table's default REQUEST_NOT_PENDING.
    /// </summary>
    public static TheoryData<string, string, string, string?, string?> Table => new()
    {
        { "pending", "cancel", Go, "canceled", "tax.certificate_request.canceled" },
        { "processing", "cancel", Go, "canceled", "tax.certificate_request.canceled" },
        { "fulfilled", "cancel", Refused, "REQUEST_ALREADY_FULFILLED", null },
        { "failed", "cancel", Refused, "REQUEST_INVALID", null },
        { "canceled", "cancel", Done, null, null },
        { "invalid", "cancel", Refused, "REQUEST_INVALID", null },

        { "pending", "submit", Go, "processing", "tax.certificate_request.submitted" },
        { "processing", "submit", Done, null, null },
        { "fulfilled", "submit", Refused, "REQUEST_NOT_PENDING", null },
        { "failed", "submit", Refused, "REQUEST_NOT_PENDING", null },
        { "canceled", "submit", Refused, "REQUEST_NOT_PENDING", null },
        { "invalid", "submit", Refused, "REQUEST_NOT_PENDING", null },

        { "pending", "accept", Refused, "REQUEST_NOT_PROCESSING", null },
        { "processing", "accept", Go, "fulfilled", "tax.certificate_request.fulfilled" },
        { "fulfilled", "accept", Done, null, null },
        { "failed", "accept", Refused, "REQUEST_NOT_PENDING", null },
        { "canceled", "accept", Refused, "REQUEST_NOT_PENDING", null },
        { "invalid", "accept", Refused, "REQUEST_NOT_PENDING", null },

        { "pending", "reject", Refused, "REQUEST_NOT_PROCESSING", null },
        { "processing", "reject", Go, "failed", "tax.certificate_request.invalid" },
        { "fulfilled", "reject", Refused, "REQUEST_NOT_PENDING", null },
        { "failed", "reject", Done, null, null },
        { "canceled", "reject", Refused, "REQUEST_NOT_PENDING", null },
        { "invalid", "reject", Refused, "REQUEST_NOT_PENDING", null },

        { "pending", "expire", Go, "invalid", "tax.certificate_request.invalid" },
        { "processing", "expire", Refused, "REQUEST_NOT_PENDING", null },
        { "fulfilled", "expire", Refused, "REQUEST_NOT_PENDING", null },
        { "failed", "expire", Refused, "REQUEST_NOT_PENDING", null },
        { "canceled", "expire", Refused, "REQUEST_NOT_PENDING", null },
        { "invalid", "expire", Done, null, null },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Every_state_and_command_pair_decides_as_the_spec_says(string state, string command, string outcome, string? toOrCode, string? @event)
    {
        var decision = NumeralRules.Requests.Decide(state, command);

        switch (outcome)
        {
            case Go:
                var moved = Assert.IsType<Decision.Transitioned>(decision);
                Assert.Equal(state, moved.From);
                Assert.Equal(toOrCode, moved.To);
                Assert.Equal(@event, moved.Event);
                Assert.Empty(moved.Cascade);
                break;
            case Done:
                Assert.Equal(new Decision.AlreadyDone(state), decision);
                break;
            case Refused:
                Assert.Equal(new Decision.Refused(state, toOrCode!), decision);
                break;
            default:
                Assert.Fail($"unknown outcome '{outcome}' in the table");
                break;
        }
    }

    [Fact]
    public void The_table_lists_every_state_and_command_pair_exactly_once()
    {
        var listed = Table.Select(row => ((string)row[0], (string)row[1])).ToList();

        Assert.Equal(30, listed.Count);
        Assert.Equal(listed.Count, listed.Distinct().Count());
        var every = AllStates.SelectMany(s => AllCommands.Select(c => (s, c)));
        Assert.Equal(every.Order(), listed.Order());
    }

    [Fact]
    public void The_lifecycle_has_the_six_internal_states_and_five_commands_of_the_spec()
    {
        Assert.Equal(AllStates.Order(StringComparer.Ordinal), NumeralRules.Requests.States.Order(StringComparer.Ordinal));
        Assert.Equal(AllCommands.Order(StringComparer.Ordinal), NumeralRules.Requests.Commands.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Canceling_a_fulfilled_request_is_refused_with_REQUEST_ALREADY_FULFILLED()
    {
        Assert.Equal(new Decision.Refused("fulfilled", "REQUEST_ALREADY_FULFILLED"), NumeralRules.Requests.Decide("fulfilled", "cancel"));
    }

    [Fact]
    public void Canceling_a_canceled_request_is_already_done_and_writes_nothing()
    {
        Assert.Equal(new Decision.AlreadyDone("canceled"), NumeralRules.Requests.Decide("canceled", "cancel"));
    }

    [Theory]
    [InlineData("pending", "pending")]
    [InlineData("processing", "pending")]
    [InlineData("fulfilled", "fulfilled")]
    [InlineData("failed", "invalid")]
    [InlineData("canceled", "canceled")]
    [InlineData("invalid", "invalid")]
    public void Internal_states_project_to_the_public_vocabulary(string state, string shown)
    {
        Assert.Equal(shown, NumeralRules.Requests.Project(state));
        Assert.Contains(NumeralRules.Requests.Project(state), NumeralRules.PublicStates);
    }

    [Fact]
    public void The_public_states_are_pending_fulfilled_canceled_and_invalid()
    {
        Assert.Equal(["pending", "fulfilled", "canceled", "invalid"], NumeralRules.PublicStates);
    }

    [Fact]
    public void Fulfilled_failed_canceled_and_invalid_are_terminal_and_nothing_else_is()
    {
        Assert.Equal(["canceled", "failed", "fulfilled", "invalid"], NumeralRules.Requests.Terminal.Order(StringComparer.Ordinal));
        Assert.False(NumeralRules.Requests.IsTerminal("pending"));
        Assert.False(NumeralRules.Requests.IsTerminal("processing"));
    }

    [Theory]
    [InlineData("pending", ExpiresAt, ExpiresAt - 1, false)]
    [InlineData("pending", ExpiresAt, ExpiresAt, true)]
    [InlineData("pending", ExpiresAt, ExpiresAt + 1, true)]
    [InlineData("pending", null, long.MaxValue, false)]
    [InlineData("processing", ExpiresAt, ExpiresAt + Day, false)]
    [InlineData("fulfilled", ExpiresAt, ExpiresAt + Day, false)]
    [InlineData("canceled", ExpiresAt, ExpiresAt + Day, false)]
    [InlineData("invalid", ExpiresAt, ExpiresAt + Day, false)]
    public void Only_a_pending_request_at_or_past_its_expiry_has_expired(string state, long? expiresAt, long now, bool expired)
    {
        Assert.Equal(expired, NumeralRules.HasExpired(state, expiresAt, now));
    }

    [Theory]
    [InlineData("pending", ExpiresAt, ExpiresAt - 1, "pending")]
    [InlineData("pending", ExpiresAt, ExpiresAt, "invalid")]
    [InlineData("pending", ExpiresAt, ExpiresAt + 1, "invalid")]
    [InlineData("pending", null, long.MaxValue, "pending")]
    [InlineData("processing", ExpiresAt, ExpiresAt + Day, "pending")]
    [InlineData("processing", null, 0L, "pending")]
    [InlineData("failed", ExpiresAt, ExpiresAt - 1, "invalid")]
    [InlineData("fulfilled", ExpiresAt, ExpiresAt + Day, "fulfilled")]
    [InlineData("canceled", ExpiresAt, ExpiresAt + Day, "canceled")]
    [InlineData("invalid", null, 0L, "invalid")]
    public void The_public_status_shows_an_expired_pending_request_as_invalid(string state, long? expiresAt, long now, string status)
    {
        Assert.Equal(status, NumeralRules.PublicStatus(state, expiresAt, now));
    }

    [Fact]
    public void Canceling_an_expired_pending_request_first_expires_it_then_is_refused_with_REQUEST_INVALID()
    {
        var (expiry, decision) = NumeralRules.Decide("pending", ExpiresAt, "cancel", ExpiresAt + 1);

        var expired = Assert.IsType<Decision.Transitioned>(expiry);
        Assert.Equal(("pending", "invalid", "tax.certificate_request.invalid"), (expired.From, expired.To, expired.Event));
        Assert.Empty(expired.Cascade);
        Assert.Equal(new Decision.Refused("invalid", "REQUEST_INVALID"), decision);
    }

    [Fact]
    public void Canceling_a_pending_request_exactly_at_its_expiry_is_refused_with_REQUEST_INVALID()
    {
        var (expiry, decision) = NumeralRules.Decide("pending", ExpiresAt, "cancel", ExpiresAt);

        Assert.IsType<Decision.Transitioned>(expiry);
        Assert.Equal(new Decision.Refused("invalid", "REQUEST_INVALID"), decision);
    }

    [Fact]
    public void Submitting_to_an_expired_pending_request_expires_it_and_is_refused_with_REQUEST_NOT_PENDING()
    {
        var (expiry, decision) = NumeralRules.Decide("pending", ExpiresAt, "submit", ExpiresAt + Day);

        var expired = Assert.IsType<Decision.Transitioned>(expiry);
        Assert.Equal(("pending", "invalid"), (expired.From, expired.To));
        Assert.Equal(new Decision.Refused("invalid", "REQUEST_NOT_PENDING"), decision);
    }

    [Theory]
    [InlineData(ExpiresAt)]
    [InlineData(null)]
    public void Canceling_a_pending_request_before_its_expiry_cancels_it_with_no_expiry(long? expiresAt)
    {
        var (expiry, decision) = NumeralRules.Decide("pending", expiresAt, "cancel", ExpiresAt - 1);

        Assert.Null(expiry);
        var canceled = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal(("pending", "canceled", "tax.certificate_request.canceled"), (canceled.From, canceled.To, canceled.Event));
    }

    [Theory]
    [InlineData(ExpiresAt, ExpiresAt - 1)]
    [InlineData(null, long.MaxValue)]
    public void Expiring_a_pending_request_before_it_is_due_is_refused_with_REQUEST_NOT_EXPIRED(long? expiresAt, long now)
    {
        var (expiry, decision) = NumeralRules.Decide("pending", expiresAt, "expire", now);

        Assert.Null(expiry);
        Assert.Equal(new Decision.Refused("pending", "REQUEST_NOT_EXPIRED"), decision);
    }

    [Theory]
    [InlineData(ExpiresAt)]
    [InlineData(ExpiresAt + Day)]
    public void Expiring_a_pending_request_at_or_after_its_expiry_makes_it_invalid(long now)
    {
        var (expiry, decision) = NumeralRules.Decide("pending", ExpiresAt, "expire", now);

        Assert.Null(expiry);
        var expired = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal(("pending", "invalid", "tax.certificate_request.invalid"), (expired.From, expired.To, expired.Event));
    }

    [Theory]
    [InlineData("cancel", "canceled")]
    [InlineData("accept", "fulfilled")]
    [InlineData("reject", "failed")]
    public void A_processing_request_past_its_expiry_is_not_expired_and_may_finish(string command, string to)
    {
        var (expiry, decision) = NumeralRules.Decide("processing", ExpiresAt, command, ExpiresAt + Day);

        Assert.Null(expiry);
        var moved = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal(("processing", to), (moved.From, moved.To));
    }

    [Fact]
    public void Expiring_a_processing_request_past_its_expiry_is_refused_with_REQUEST_NOT_PENDING()
    {
        var (expiry, decision) = NumeralRules.Decide("processing", ExpiresAt, "expire", ExpiresAt + Day);

        Assert.Null(expiry);
        Assert.Equal(new Decision.Refused("processing", "REQUEST_NOT_PENDING"), decision);
    }

    [Fact]
    public void Expiring_an_invalid_request_again_is_already_done()
    {
        var (expiry, decision) = NumeralRules.Decide("invalid", ExpiresAt, "expire", ExpiresAt + Day);

        Assert.Null(expiry);
        Assert.Equal(new Decision.AlreadyDone("invalid"), decision);
    }

    [Theory]
    [InlineData("fulfilled", "REQUEST_ALREADY_FULFILLED")]
    [InlineData("canceled", null)]
    [InlineData("failed", "REQUEST_INVALID")]
    public void A_terminal_request_past_its_expiry_decides_from_its_own_state(string state, string? code)
    {
        var (expiry, decision) = NumeralRules.Decide(state, ExpiresAt, "cancel", ExpiresAt + Day);

        Assert.Null(expiry);
        Assert.Equal(code is null ? new Decision.AlreadyDone(state) : new Decision.Refused(state, code), decision);
    }

    [Fact]
    public void The_next_reminder_is_one_interval_after_the_last_when_it_falls_before_expiry()
    {
        Assert.Equal(3 * Day, NumeralRules.NextReminder(0, 10 * Day, TimeSpan.FromDays(3)));
        Assert.Equal(10 * Day - 1, NumeralRules.NextReminder(7 * Day - 1, 10 * Day, TimeSpan.FromDays(3)));
    }

    [Fact]
    public void There_is_no_next_reminder_when_it_would_fall_at_the_expiry()
    {
        Assert.Null(NumeralRules.NextReminder(7 * Day, 10 * Day, TimeSpan.FromDays(3)));
    }

    [Fact]
    public void There_is_no_next_reminder_when_it_would_fall_after_the_expiry()
    {
        Assert.Null(NumeralRules.NextReminder(8 * Day, 10 * Day, TimeSpan.FromDays(3)));
        Assert.Null(NumeralRules.NextReminder(11 * Day, 10 * Day, TimeSpan.FromDays(3)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(7 * Day)]
    [InlineData(1000 * Day)]
    public void A_request_that_never_expires_always_has_a_next_reminder(long after)
    {
        Assert.Equal(after + 3 * Day, NumeralRules.NextReminder(after, null, TimeSpan.FromDays(3)));
    }

    [Theory]
    [InlineData("pending", new[] { "pending", "processing" })]
    [InlineData("invalid", new[] { "invalid", "failed" })]
    [InlineData("fulfilled", new[] { "fulfilled" })]
    [InlineData("canceled", new[] { "canceled" })]
    public void A_public_status_filter_selects_the_internal_states_shown_as_it(string status, string[] internalStates)
    {
        Assert.Equal(internalStates.Order(StringComparer.Ordinal), NumeralRules.InternalStatesFor(status).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_public_status_filters_together_select_every_internal_state_exactly_once()
    {
        var selected = NumeralRules.PublicStates.SelectMany(NumeralRules.InternalStatesFor).ToList();

        Assert.Equal(AllStates.Order(StringComparer.Ordinal), selected.Order(StringComparer.Ordinal));
        Assert.All(selected, s => Assert.Contains(s, NumeralRules.InternalStatesFor(NumeralRules.Requests.Project(s))));
    }
}
