namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// The history checker can fail: fed a consistent history it finds nothing, and fed the same history doctored the
/// way a broken server would leave it (a lost cancel, two winners, a key applied twice, a gap in the audit chain, a
/// 500, a slow 503, a 503 outside the envelope, ...) it names the violation. Pure: no server, no database.
/// </summary>
public sealed class HistoryCheckerTests
{
    private const string Request = "ctr_01";
    private const string Billing = "BRQ0000000001";
    private const string Order = "17";
    private const string OrderRequest = "18";

    private const string NumeralUnavailable = """{"code":503,"type":"SERVICE_UNAVAILABLE","message":"The service is temporarily unavailable; retry shortly."}""";

    /// <summary>A Numeral request created and cancelled (the cancel replayed once under its key), a GoCardless billing
    /// request completed by the payer and fulfilled, a DigiCert order placed (its request approved on placement) and
    /// cancelled. Audit ids leave gaps for doctored rows.</summary>
    private static HistorySnapshot Consistent() => new(
        [
            new("numeral_requests", Request, "canceled"),
            new("gc_billing_requests", Billing, "fulfilled"),
            new("digicert_orders", Order, "canceled"),
            new("digicert_requests", OrderRequest, "approved"),
        ],
        [
            new(10, Request, "create", null, "pending", "k-create"),
            new(20, Billing, "create", null, "pending", "k-gc-create"),
            new(30, Request, "cancel", "pending", "canceled", "k-cancel"),
            new(40, Billing, "collect_customer_details", "pending", "pending", null),
            new(50, Billing, "confirm_payer_details", "pending", "ready_to_fulfil", null),
            new(60, Order, "create", null, "pending", null),
            new(70, OrderRequest, "create", null, "approved", null),
            new(80, Billing, "fulfil", "ready_to_fulfil", "fulfilled", null),
            new(90, Order, "cancel", "pending", "canceled", null),
        ]);

    private static List<Call> Calls() =>
    [
        Answered("numeral", "create", "", "k-create", 201, $$"""{"id":"{{Request}}","status":"pending"}"""),
        Answered("numeral", "cancel", Request, "k-cancel", 200, $$"""{"id":"{{Request}}","status":"canceled"}"""),
        Answered("numeral", "cancel", Request, "k-cancel", 200, $$"""{"id":"{{Request}}","status":"canceled"}"""),
        Answered("gocardless", "create", "", "k-gc-create", 201, $$$"""{"billing_requests":{"id":"{{{Billing}}}","status":"pending"}}"""),
        Answered("operator", "fulfil", Billing, null, 200, $$$"""{"billing_requests":{"id":"{{{Billing}}}","status":"fulfilled"}}"""),
        Answered("digicert", "create", "", null, 201, $$"""{"id":{{Order}},"requests":[{"id":{{OrderRequest}}}]}"""),
        Answered("digicert", "cancel", Order, null, 204, ""),
    ];

    private static Call Answered(string api, string kind, string resource, string? key, int? status, string? body, long ms = 20, string? retryAfter = null) =>
        new(0, 0, api, kind, resource, key, 1000, 1000 + ms, status, body, retryAfter);

    private static IReadOnlyList<string> Violations(HistorySnapshot snapshot, IReadOnlyCollection<Call> calls, HistoryFaults? faults = null) =>
        HistoryChecker.Check(snapshot, calls, faults ?? HistoryFaults.None).Violations;

    private static HistorySnapshot WithoutAudit(HistorySnapshot s, long id) => s with { Audit = s.Audit.Where(r => r.Id != id).ToList() };

    private static HistorySnapshot WithState(HistorySnapshot s, string id, string status) =>
        s with { States = s.States.Select(r => r.Id == id ? r with { Status = status } : r).ToList() };

    private static HistorySnapshot WithAudit(HistorySnapshot s, AuditRow row) => s with { Audit = [.. s.Audit, row] };

    [Fact]
    public void A_consistent_history_has_no_violation()
    {
        var (figures, violations) = HistoryChecker.Check(Consistent(), Calls(), HistoryFaults.None);

        Assert.Empty(violations);
        Assert.Equal(new HistoryFigures(7, 7, 0, 0, 0, 4, 0, 0), figures);
    }

    [Fact]
    public void An_acknowledged_cancel_missing_from_the_final_state_is_a_violation()
    {
        var lost = WithState(WithoutAudit(Consistent(), 30), Request, "pending");

        var v = Assert.Single(Violations(lost, Calls()).Distinct());
        Assert.Equal($"acknowledged numeral cancel of {Request}, but it is pending", v);
    }

    [Fact]
    public void An_acknowledged_cancel_in_the_state_but_not_in_the_audit_log_is_a_violation()
    {
        // The row changed without its audit row: the chain now ends at pending while the resource is canceled.
        var unaudited = WithoutAudit(Consistent(), 30);

        var violations = Violations(unaudited, Calls());
        Assert.Contains($"{Request}: stored canceled, but its audit log ends at pending", violations);
        Assert.Contains($"acknowledged numeral cancel of {Request} has no cancel audit row", violations);
    }

    [Fact]
    public void An_acknowledged_create_whose_resource_is_missing_is_a_violation()
    {
        var lost = Consistent() with { States = Consistent().States.Where(r => r.Id != Order).ToList() };

        Assert.Contains($"acknowledged digicert create created {Order}, but it is missing", Violations(lost, Calls()));
    }

    [Fact]
    public void Two_winning_terminal_transitions_are_a_violation()
    {
        // Both the payer's fulfilment and a cancel won: fulfilled, then cancelled from ready_to_fulfil.
        var twice = WithState(WithAudit(Consistent(), new(100, Billing, "cancel", "ready_to_fulfil", "cancelled", "k-gc-cancel")), Billing, "cancelled");

        var violations = Violations(twice, []);
        Assert.Contains($"{Billing}: cancelled explained by 2 winning transitions", violations);
        Assert.Contains($"{Billing}: audit row 100 (cancel) starts from ready_to_fulfil, but the resource was fulfilled", violations);
    }

    [Fact]
    public void A_terminal_resource_with_no_winning_transition_is_a_violation()
    {
        // Cancelled behind the audit log's back: no row took it there.
        var noWinner = WithState(WithoutAudit(Consistent(), 80), Billing, "cancelled");

        Assert.Equal(
            [$"{Billing}: stored cancelled, but its audit log ends at ready_to_fulfil", $"{Billing}: cancelled explained by 0 winning transitions"],
            Violations(noWinner, []));
    }

    [Fact]
    public void A_key_applied_twice_is_a_violation()
    {
        // An action under one Idempotency-Key took effect twice (no state change, so only the key tells).
        var twice = WithAudit(WithAudit(Consistent(), new(41, Billing, "collect_bank_account", "pending", "pending", "k-act")),
            new(42, Billing, "collect_bank_account", "pending", "pending", "k-act"));

        Assert.Equal(["key k-act applied 2 times to BRQ0000000001 (collect_bank_account)"], Violations(twice, []));
    }

    [Fact]
    public void A_key_whose_replays_answer_differently_is_a_violation()
    {
        var calls = Calls();
        calls.Add(Answered("numeral", "cancel", Request, "k-cancel", 200, $$"""{"id":"{{Request}}","status":"pending"}"""));

        Assert.Contains(Violations(Consistent(), calls), v => v.StartsWith("key k-cancel answered differently", StringComparison.Ordinal));
    }

    [Fact]
    public void A_broken_audit_chain_is_a_violation()
    {
        // The row that made the request ready is gone: fulfil starts from a state the chain never reached.
        var broken = WithoutAudit(Consistent(), 50);

        Assert.Equal([$"{Billing}: audit row 80 (fulfil) starts from ready_to_fulfil, but the resource was pending"], Violations(broken, Calls()));
    }

    [Fact]
    public void A_500_is_a_violation_even_where_faults_allow_503s()
    {
        var calls = Calls();
        calls.Add(Answered("gocardless", "cancel", Billing, "k-x", 500, """{"error":{"code":500}}"""));

        Assert.Equal([$"gocardless cancel {Billing} answered 500: {{\"error\":{{\"code\":500}}}}"], Violations(Consistent(), calls, new HistoryFaults(1, true, true)));
    }

    [Fact]
    public void A_slow_503_is_a_violation()
    {
        var calls = Calls();
        calls.Add(Answered("numeral", "cancel", Request, "k-y", 503, NumeralUnavailable, ms: HistoryChecker.Fast503Ms + 1000, retryAfter: "1"));

        Assert.Equal([$"numeral cancel {Request}: the 503 took {HistoryChecker.Fast503Ms + 1000} ms (not fast)"], Violations(Consistent(), calls, new HistoryFaults(1, true, false)));
    }

    [Fact]
    public void A_fast_503_in_the_envelope_with_Retry_After_passes_where_a_fault_allows_it_and_not_otherwise()
    {
        var calls = Calls();
        calls.Add(Answered("numeral", "cancel", Request, "k-y", 503, NumeralUnavailable, retryAfter: "1"));

        Assert.Empty(Violations(Consistent(), calls, new HistoryFaults(1, true, false)));
        Assert.Equal([$"numeral cancel {Request} answered 503 with no fault injected: {NumeralUnavailable}"], Violations(Consistent(), calls));
    }

    public static TheoryData<string, string, string?> OutsideTheEnvelope => new()
    {
        { "numeral", "Service Unavailable", "1" },                                                      // not JSON
        { "numeral", """{"type":"about:blank","title":"Service Unavailable","status":503}""", "1" },    // someone else's envelope
        { "numeral", NumeralUnavailable, null },                                                         // no Retry-After
        { "crisscross", """{"code":503,"type":"SERVICE_UNAVAILABLE","message":"x"}""", "1" },           // Numeral's on CrissCross
        { "gocardless", """{"errors":[{"code":"service_unavailable","message":"x"}]}""", "1" },         // DigiCert's on GoCardless
        { "digicert", """{"error":{"code":503,"type":"gocardless","message":"x"}}""", "1" },             // GoCardless's on DigiCert
        { "digicert", "", "1" },                                                                         // empty
    };

    [Theory]
    [MemberData(nameof(OutsideTheEnvelope))]
    public void A_503_outside_the_APIs_envelope_or_without_Retry_After_is_a_violation(string api, string body, string? retryAfter)
    {
        var calls = Calls();
        calls.Add(Answered(api, "cancel", "x", "k-z", 503, body, retryAfter: retryAfter));

        var v = Assert.Single(Violations(Consistent(), calls, new HistoryFaults(1, true, false)));
        Assert.StartsWith($"{api} cancel: 503 ", v, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_without_an_answer_is_a_violation_unless_a_fault_allows_it()
    {
        var calls = Calls();
        calls.Add(Answered("digicert", "cancel", Order, null, null, null));

        Assert.Equal([$"digicert cancel {Order} got no answer with no fault injected"], Violations(Consistent(), calls));
        Assert.Empty(Violations(Consistent(), calls, new HistoryFaults(1, false, true)));
    }
}
