using Rescind.Core.Lifecycles;
using Rescind.Server.DigiCert;

namespace Rescind.Core.Tests;

/// <summary>
/// DigiCert's order and request lifecycles as pure rules: every (state, command) pair. Expectations are written out
/// from spec/digicert.md: the listed edges move (or are already done); every other pair is refused with
/// invalid_status|order (or |request).
/// </summary>
public sealed class DigiCertLifecycleTests
{
    private static readonly string[] OrderStates =
        ["needs_approval", "pending", "waiting_pickup", "reissue_pending", "issued", "canceled", "rejected", "revoked", "expired"];

    private static readonly string[] OrderCommands =
        ["approve", "approve_to_pickup", "reject", "cancel", "validate", "generate", "reissue", "revoke", "expire"];

    /// <summary>(state, command) → (target or null for already done, event).</summary>
    private static readonly Dictionary<(string, string), (string? To, string? Event)> OrderEdges = new()
    {
        [("needs_approval", "approve")] = ("pending", "order_approved"),
        [("needs_approval", "approve_to_pickup")] = ("waiting_pickup", "order_approved"),
        [("needs_approval", "reject")] = ("rejected", "order_rejected"),
        [("rejected", "reject")] = (null, null),
        [("pending", "cancel")] = ("canceled", "order_canceled"),
        [("waiting_pickup", "cancel")] = ("canceled", "order_canceled"),
        [("reissue_pending", "cancel")] = ("issued", "order_canceled"),
        [("rejected", "cancel")] = (null, null),
        [("pending", "validate")] = ("issued", "certificate_issued"),
        [("reissue_pending", "validate")] = ("issued", "certificate_issued"),
        [("waiting_pickup", "generate")] = ("issued", "certificate_issued"),
        [("reissue_pending", "generate")] = ("issued", "certificate_issued"),
        [("issued", "reissue")] = ("reissue_pending", "reissue_requested"),
        [("issued", "revoke")] = ("revoked", "certificate_revoked"),
        [("issued", "expire")] = ("expired", "certificate_expired"),
        [("reissue_pending", "expire")] = ("expired", "certificate_expired"),
        [("expired", "expire")] = (null, null),
    };

    public static TheoryData<string, string> OrderPairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in OrderStates)
        {
            foreach (var c in OrderCommands)
            {
                data.Add(s, c);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(OrderPairs))]
    public void Every_order_state_and_command_pair_decides_as_the_spec_says(string state, string command)
    {
        var decision = DigiCertRules.Orders.Decide(state, command);

        if (!OrderEdges.TryGetValue((state, command), out var edge))
        {
            Assert.Equal(new Decision.Refused(state, "invalid_status|order"), decision);
        }
        else if (edge.To is null)
        {
            Assert.Equal(new Decision.AlreadyDone(state), decision);
        }
        else
        {
            var moved = Assert.IsType<Decision.Transitioned>(decision);
            Assert.Equal((state, edge.To, edge.Event), (moved.From, moved.To, moved.Event));
            Assert.Empty(moved.Cascade);
        }
    }

    [Theory]
    [InlineData("needs_approval")]
    [InlineData("issued")]
    [InlineData("revoked")]
    [InlineData("expired")]
    [InlineData("canceled")]
    public void Cancel_is_refused_everywhere_but_before_issuance_a_pending_reissue_and_after_a_rejection(string state)
    {
        Assert.Equal(new Decision.Refused(state, "invalid_status|order"), DigiCertRules.Orders.Decide(state, "cancel"));
    }

    [Fact]
    public void Canceling_an_order_its_approver_rejected_is_already_done()
    {
        Assert.Equal(new Decision.AlreadyDone("rejected"), DigiCertRules.Orders.Decide("rejected", "cancel"));
    }

    [Fact]
    public void The_order_lifecycle_has_the_nine_documented_statuses_and_four_terminal_ones()
    {
        Assert.Equal(OrderStates.Order(StringComparer.Ordinal), DigiCertRules.Orders.States.Order(StringComparer.Ordinal));
        Assert.Equal(OrderCommands.Order(StringComparer.Ordinal), DigiCertRules.Orders.Commands.Order(StringComparer.Ordinal));
        Assert.Equal(["canceled", "expired", "rejected", "revoked"], DigiCertRules.Orders.Terminal.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("submitted", "approve", "approved")]
    [InlineData("pending", "approve", "approved")]
    [InlineData("submitted", "reject", "rejected")]
    [InlineData("pending", "reject", "rejected")]
    [InlineData("approved", "approve", null)]
    [InlineData("rejected", "reject", null)]
    [InlineData("approved", "reject", "refused")]
    [InlineData("rejected", "approve", "refused")]
    public void Every_request_state_and_command_pair_decides_as_the_spec_says(string state, string command, string? expected)
    {
        var decision = DigiCertRules.Requests.Decide(state, command);
        switch (expected)
        {
            case null:
                Assert.Equal(new Decision.AlreadyDone(state), decision);
                break;
            case "refused":
                Assert.Equal(new Decision.Refused(state, "invalid_status|request"), decision);
                break;
            default:
                var moved = Assert.IsType<Decision.Transitioned>(decision);
                Assert.Equal((state, expected, (string?)null), (moved.From, moved.To, moved.Event));
                break;
        }
    }

    [Theory]
    [InlineData("ssl_certificate", true, "approve", "pending", "validate")]
    [InlineData("client_certificate", true, "approve", "pending", "validate")]
    [InlineData("client_certificate", false, "approve_to_pickup", "waiting_pickup", "generate")]
    public void Where_an_order_goes_depends_on_its_product_and_CSR(string type, bool csr, string approve, string placed, string reissueCompletes)
    {
        Assert.Equal(approve, DigiCertRules.ApproveCommand(type, csr));
        Assert.Equal(placed, DigiCertRules.PlacedStatus(type, csr));
        Assert.Equal(reissueCompletes, DigiCertRules.ReissueCompletion(type, csr));
    }

    [Fact]
    public void A_pending_reissue_completes_only_the_way_its_product_completes()
    {
        Assert.IsType<Decision.Refused>(DigiCertRules.DecideOrder("reissue_pending", "ssl_certificate", true, "generate"));
        Assert.IsType<Decision.Transitioned>(DigiCertRules.DecideOrder("reissue_pending", "ssl_certificate", true, "validate"));
        Assert.IsType<Decision.Refused>(DigiCertRules.DecideOrder("reissue_pending", "client_certificate", false, "validate"));
        Assert.IsType<Decision.Transitioned>(DigiCertRules.DecideOrder("reissue_pending", "client_certificate", false, "generate"));
        Assert.IsType<Decision.Transitioned>(DigiCertRules.DecideOrder("reissue_pending", "client_certificate", false, "cancel"));
    }
}
