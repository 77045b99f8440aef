using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>Collect as the vendor documents it: request bodies written from docs.crisscross.money, over HTTP.</summary>
public abstract class CrissCrossCollectTests(RescindServer server) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Audit.AssertVerifiedAsync(server);

    /// <summary>The account id as the vendor writes a merchant id: a bare UUID.</summary>
    private static string Bare(CrissCrossMerchant m) => m.Tenant.AccountId["acct_".Length..];

    private static string SessionBody(string merchantId, string integrationType = "hosted") => $$"""
        {
          "merchantId": "{{merchantId}}",
          "merchantReference": "ORDER12345",
          "amount": 15000,
          "currency": "NGN",
          "integrationType": "{{integrationType}}",
          "redirectUrl": "https://merchant.com/redirect",
          "payerDetails": {
            "emailAddress": "chinwe@example.com",
            "location": "NGA",
            "fullName": "Chinwe Okafor",
            "phoneNumber": "08012345678"
          },
          "paymentAttributes": { "orderChannel": "web", "basketId": "b-77" }
        }
        """;

    [Fact]
    public async Task A_session_created_with_the_documented_body_stores_and_returns_every_field()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);

        var hosted = await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", SessionBody(Bare(m)));
        var direct = await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", SessionBody(m.Tenant.AccountId, "direct"));

        Assert.True(hosted.Code == 201, hosted.Body);
        Assert.True(direct.Code == 201, direct.Body);
        var id = hosted.Str("sessionId");
        Assert.EndsWith("/" + id, hosted.Str("paymentLink"), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, direct.Json.GetProperty("paymentLink").ValueKind); // a direct integration has no link
        Assert.True(Guid.TryParseExact(hosted.Str("payerId"), "D", out _));
        Assert.Equal(JsonValueKind.Null, hosted.Json.GetProperty("signature").ValueKind);
        var s = (await m.GetSessionAsync(id)).Json;
        Assert.Equal(Bare(m), s.GetProperty("merchantId").GetString());
        Assert.Equal("hosted", s.GetProperty("integrationType").GetString());
        Assert.Equal(hosted.Str("payerId"), s.GetProperty("payerId").GetString());
        Assert.Equal("b-77", s.GetProperty("paymentAttributes").GetProperty("basketId").GetString());
        Assert.Equal("NGA", s.GetProperty("payerDetails").GetProperty("location").GetString());
        Assert.Equal((15000L, "NGN"), (s.GetProperty("amount").GetInt64(), s.GetProperty("currency").GetString()));
        Assert.Equal("direct", (await m.GetSessionAsync(direct.Str("sessionId"))).Json.GetProperty("integrationType").GetString());
    }

    [Fact]
    public async Task A_session_for_another_merchant_is_403_FORBIDDEN_and_creates_nothing()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var other = await CrissCrossMerchant.CreateAsync(server, "Other");

        (await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", SessionBody(Bare(other)))).IsCollectError(403, "FORBIDDEN");
        (await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", SessionBody(Guid.NewGuid().ToString()))).IsCollectError(403, "FORBIDDEN");

        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM crisscross_sessions WHERE account_id = @a", new { a = m.Tenant.AccountId }));
    }

    private static async Task<string> DocumentedSessionAsync(CrissCrossMerchant m, string location = "KEN", string currency = "KES", long amount = 2500)
    {
        var a = await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", $$"""
            {
              "merchantId": "{{Bare(m)}}",
              "merchantReference": "ORDER-{{Guid.NewGuid():N}}",
              "amount": {{amount}},
              "currency": "{{currency}}",
              "integrationType": "direct",
              "payerDetails": { "emailAddress": "amina@example.com", "location": "{{location}}", "fullName": "Amina Wanjiru", "phoneNumber": "+254700000001" },
              "paymentAttributes": { "orderChannel": "app" }
            }
            """);
        Assert.True(a.Code == 201, a.Body);
        return a.Str("sessionId");
    }

    private static Task<Answer> MobileMoneyAsync(CrissCrossMerchant m, string sessionId, string op = "mpesa", string? key = null) =>
        m.SendAsync(HttpMethod.Post, "/v1/payment", $$"""
            {
              "sessionId": "{{sessionId}}",
              "paymentMethodId": "mobilemoney",
              "paymentDetails": { "phoneNumber": "+254700000001", "operator": "{{op}}" },
              "attributes": { "basketId": "b-1" }
            }
            """, key);

    [Fact]
    public async Task Available_methods_lists_the_payers_operators_and_is_not_read_as_a_transaction_id()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var kenya = await DocumentedSessionAsync(m);
        var elsewhere = await DocumentedSessionAsync(m, location: "ZAF", currency: "ZAR");

        var a = await m.SendAsync(HttpMethod.Get, "/v1/payment/available-methods?sessionId=" + kenya);

        Assert.True(a.Code == 200, a.Body);
        Assert.Equal(kenya, a.Str("sessionId"));
        var methods = a.Json.GetProperty("paymentMethods").EnumerateArray().ToList();
        var momo = Assert.Single(methods, x => x.GetProperty("paymentMethodId").GetString() == "mobilemoney");
        Assert.Equal("mobilemoney", momo.GetProperty("type").GetString());
        Assert.Equal(["mpesa"], CrissCrossMerchant.Ids(momo.GetProperty("operators")));
        Assert.Contains(methods, x => x.GetProperty("type").GetString() == "card");
        var all = (await m.SendAsync(HttpMethod.Get, "/v1/payment/available-methods?sessionId=" + elsewhere)).Json.GetProperty("paymentMethods");
        Assert.Contains("mtn", CrissCrossMerchant.Ids(all.EnumerateArray().Single(x => x.GetProperty("type").GetString() == "mobilemoney").GetProperty("operators")));

        (await m.SendAsync(HttpMethod.Get, "/v1/payment/available-methods")).IsCollectError(400, "INVALID_REQUEST");
        (await m.SendAsync(HttpMethod.Get, "/v1/payment/available-methods?sessionId=" + kenya + "&x=1")).IsCollectError(400, "INVALID_REQUEST");
        (await m.SendAsync(HttpMethod.Get, "/v1/payment/available-methods?sessionId=" + Guid.CreateVersion7())).IsCollectError(404, "SESSION_NOT_FOUND");
        var other = await CrissCrossMerchant.CreateAsync(server, "Other");
        (await other.SendAsync(HttpMethod.Get, "/v1/payment/available-methods?sessionId=" + kenya)).IsCollectError(404, "SESSION_NOT_FOUND");
        // The documented literal paths under /v1/payment are not read as transaction ids.
        (await m.SendAsync(HttpMethod.Get, "/v1/payment/refunds")).IsCollectError(404, "NOT_FOUND");
        (await m.SendAsync(HttpMethod.Post, "/v1/payment/available-methods", "{}")).IsCollectError(405, "METHOD_NOT_ALLOWED");
    }

    [Fact]
    public async Task A_mobilemoney_payment_with_the_documented_body_is_pending_approval_and_its_status_names_the_method()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await DocumentedSessionAsync(m);

        var a = await MobileMoneyAsync(m, id);

        Assert.True(a.Code == 201, a.Body);
        Assert.Equal("PENDING", a.Str("status"));
        var tx = a.Str("transactionId");
        var status = (await m.GetPaymentAsync(tx)).Json;
        Assert.Equal(a.Body, (await m.GetPaymentAsync(tx)).Body);
        Assert.Equal("mobilemoney", status.GetProperty("paymentMethodId").GetString());
        Assert.False(status.TryGetProperty("provider", out _));
        Assert.Equal("pending_approval", status.GetProperty("authState").GetProperty("type").GetString());
        Assert.Equal(id, status.GetProperty("sessionId").GetString());
        Assert.StartsWith("ORDER-", status.GetProperty("merchantReference").GetString(), StringComparison.Ordinal);
        Assert.Equal(("app", "b-1"), (status.GetProperty("paymentAttributes").GetProperty("orderChannel").GetString(),
            status.GetProperty("paymentAttributes").GetProperty("basketId").GetString()));
        var cancel = await m.CancelAsync(id);
        Assert.Equal("PENDING_CANCELLATION", cancel.Str("status")); // mobile money cannot be stopped, whatever its spelling
        var completed = await m.ProviderAsync(tx, "complete");
        Assert.Equal(JsonValueKind.Null, completed.Json.GetProperty("authState").ValueKind);
        Assert.Equal("CANCELLED", await m.SessionStatusAsync(id));
    }

    [Theory]
    [InlineData("{\"paymentMethodId\":\"mobile-money\",\"paymentDetails\":{}}", "paymentMethodId is not valid")]
    [InlineData("{\"paymentMethodId\":\"mobilemoney\"}", "paymentDetails is required.")]
    [InlineData("{\"paymentMethodId\":\"mobilemoney\",\"paymentDetails\":{\"operator\":\"mpesa\"}}", "paymentDetails.phoneNumber is required.")]
    [InlineData("{\"paymentMethodId\":\"mobilemoney\",\"paymentDetails\":{\"phoneNumber\":\"+254700000001\",\"operator\":\"mtn-momo\"}}", "paymentDetails.operator is not valid")]
    [InlineData("{\"paymentMethodId\":\"card\",\"paymentDetails\":{},\"provider\":\"card\"}", "not both")]
    [InlineData("{\"paymentMethodId\":\"card\",\"paymentDetails\":{},\"attributes\":{\"n\":1}}", "attributes must map")]
    public async Task A_payment_body_that_breaks_the_documented_fields_is_400_and_starts_nothing(string fields, string message)
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await DocumentedSessionAsync(m);

        var a = await m.SendAsync(HttpMethod.Post, "/v1/payment", "{\"sessionId\":\"" + id + "\"," + fields[1..]);

        a.IsCollectError(400, "INVALID_REQUEST");
        Assert.Contains(message, a.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("OPEN", await m.SessionStatusAsync(id));
    }

    [Fact]
    public async Task An_operator_that_does_not_serve_the_payers_country_is_422_and_the_earlier_spelling_still_pays()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await DocumentedSessionAsync(m);

        (await MobileMoneyAsync(m, id, "orange")).IsCollectError(422, "OPERATOR_NOT_AVAILABLE");
        Assert.Equal("OPEN", await m.SessionStatusAsync(id));

        var legacy = await m.PayAsync(id, "mobile_money");
        Assert.True(legacy.Code == 201, legacy.Body);
        Assert.Equal("mobilemoney", legacy.Json.GetProperty("paymentMethodId").GetString());
        var card = await CrissCrossMerchant.CreateAsync(server, "Cards");
        var cardSession = await DocumentedSessionAsync(card);
        var paid = await card.SendAsync(HttpMethod.Post, "/v1/payment", new { sessionId = cardSession, paymentMethodId = "card", paymentDetails = new { token = "tok_from_secure_fields" } });
        Assert.True(paid.Code == 201, paid.Body);
        Assert.Equal("pending", paid.Json.GetProperty("authState").GetProperty("type").GetString());
    }

    private static Task<Answer> RefundAsync(CrissCrossMerchant m, string sessionId, long amount, string currency = "KES", string? original = null) =>
        m.SendAsync(HttpMethod.Post, "/v1/payment/refunds", original is null
            ? $$"""{ "sessionId": "{{sessionId}}", "refundValue": { "amount": {{amount}}, "currency": "{{currency}}" }, "reason": "customer returned the goods" }"""
            : $$"""{ "sessionId": "{{sessionId}}", "refundValue": { "amount": {{amount}}, "currency": "{{currency}}" }, "originalTransactionId": "{{original}}" }""");

    private static Task<Answer> GetRefundAsync(CrissCrossMerchant m, string refundId) =>
        m.SendAsync(HttpMethod.Get, "/v1/payment/refunds/" + refundId);

    private static Task<Answer> AuthorizeAsync(CrissCrossMerchant m, string transactionId, string? key = null) =>
        m.SendAsync(HttpMethod.Post, "/v1/payment/authorize", $$"""
            {
              "transactionId": "{{transactionId}}",
              "authorizationData": { "threeDSecureResult": "authenticated", "redirectResult": { "status": "ok" } }
            }
            """, key);

    private static Task<Answer> CardPaymentAsync(CrissCrossMerchant m, string sessionId) =>
        m.SendAsync(HttpMethod.Post, "/v1/payment", $$"""
            {
              "sessionId": "{{sessionId}}",
              "paymentMethodId": "card",
              "paymentDetails": { "token": "tok_from_secure_fields" },
              "attributes": { "basketId": "b-2" }
            }
            """);

    [Fact]
    public async Task A_refund_is_retrieved_by_its_transactionId_only_by_its_merchant_and_an_earlier_refund_reads_the_same_way()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await DocumentedSessionAsync(m, amount: 800);
        var tx = (await MobileMoneyAsync(m, id)).Str("transactionId");
        await m.ProviderAsync(tx, "complete");
        var refund = await RefundAsync(m, id, 300);
        var legacy = await m.RefundAsync(tx, 100); // Rescind's earlier synchronous refund

        var a = await GetRefundAsync(m, refund.Str("transactionId"));
        var b = await GetRefundAsync(m, legacy.Str("refundId"));

        Assert.True(a.Code == 200, a.Body);
        Assert.Equal(refund.Body, a.Body);
        Assert.True(b.Code == 200, b.Body);
        Assert.Equal(("SUCCEEDED", tx, id, 100L, "KES"), (b.Str("status"), b.Str("originalTransactionId"), b.Str("sessionId"),
            b.Json.GetProperty("refundValue").GetProperty("amount").GetInt64(), b.Json.GetProperty("refundValue").GetProperty("currency").GetString()));
        var other = await CrissCrossMerchant.CreateAsync(server, "Other");
        (await GetRefundAsync(other, refund.Str("transactionId"))).IsCollectError(404, "REFUND_NOT_FOUND");
        (await GetRefundAsync(m, Guid.CreateVersion7().ToString())).IsCollectError(404, "REFUND_NOT_FOUND");
        (await GetRefundAsync(m, "not-a-uuid")).IsCollectError(404, "REFUND_NOT_FOUND");
        (await GetRefundAsync(m, tx)).IsCollectError(404, "REFUND_NOT_FOUND"); // a payment is not a refund
    }

    [Fact]
    public async Task Authorize_moves_a_pending_card_payment_to_PROCESSING_keeps_the_data_and_refuses_mobile_money_and_ended_ones_with_422()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await DocumentedSessionAsync(m);
        var paid = await CardPaymentAsync(m, id);
        Assert.True(paid.Code == 201, paid.Body);
        var tx = paid.Str("transactionId");

        var a = await AuthorizeAsync(m, tx);

        Assert.True(a.Code == 200, a.Body);
        Assert.Equal(("PROCESSING", tx), (a.Str("status"), a.Str("transactionId")));
        Assert.Equal(["status", "transactionId", "message", "authState", "processorName", "processorReference", "paymentAttributes"],
            a.Json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, a.Json.GetProperty("authState").ValueKind); // nothing more is asked of the payer
        Assert.Equal("b-2", a.Json.GetProperty("paymentAttributes").GetProperty("basketId").GetString());
        Assert.Equal("PROCESSING", await m.PaymentStatusAsync(tx));
        Assert.Equal(1, await server.CountAsync(
            "SELECT COUNT(*) FROM crisscross_transactions WHERE id = @tx AND authorization_data LIKE '%authenticated%' AND authorized_at IS NOT NULL", new { tx }));
        Assert.Equal(a.Body, (await AuthorizeAsync(m, tx)).Body); // a repeat changes nothing
        var other = await CrissCrossMerchant.CreateAsync(server, "Other");
        (await AuthorizeAsync(other, tx)).IsCollectError(404, "TRANSACTION_NOT_FOUND");
        (await AuthorizeAsync(m, Guid.CreateVersion7().ToString())).IsCollectError(404, "TRANSACTION_NOT_FOUND");
        (await m.SendAsync(HttpMethod.Post, "/v1/payment/authorize", new { authorizationData = new { } })).IsCollectError(400, "INVALID_REQUEST");
        (await m.SendAsync(HttpMethod.Post, "/v1/payment/authorize", new { transactionId = tx, authorizationData = "3ds" })).IsCollectError(400, "INVALID_REQUEST");
        (await m.SendAsync(HttpMethod.Post, "/v1/payment/authorize", new { transactionId = tx, sessionId = id })).IsCollectError(400, "INVALID_REQUEST");

        await m.ProviderAsync(tx, "complete");
        (await AuthorizeAsync(m, tx)).IsCollectError(422, "TRANSACTION_NOT_AUTHORIZABLE");
        var momo = (await MobileMoneyAsync(m, await DocumentedSessionAsync(m))).Str("transactionId");
        (await AuthorizeAsync(m, momo)).IsCollectError(422, "AUTHORIZATION_NOT_REQUIRED");
        Assert.Equal("PENDING", await m.PaymentStatusAsync(momo));
    }

    [Fact]
    public async Task A_cancel_after_authorize_cancels_the_processing_card_payment_at_once_and_authorize_is_then_422()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await DocumentedSessionAsync(m);
        var tx = (await CardPaymentAsync(m, id)).Str("transactionId");
        Assert.Equal(200, (await AuthorizeAsync(m, tx)).Code);

        var cancel = await m.CancelAsync(id);

        Assert.Equal("CANCELLED", cancel.Str("status"));
        Assert.Equal([tx], CrissCrossMerchant.Ids(cancel.Json.GetProperty("cancelledTransactionIds")));
        Assert.Equal("CANCELLED", await m.PaymentStatusAsync(tx));
        (await AuthorizeAsync(m, tx)).IsCollectError(422, "TRANSACTION_NOT_AUTHORIZABLE");
        Assert.Equal(1, await Audit.EventCountAsync(server, tx, "transaction.cancelled"));
    }

    private static Task<Answer> SettleAsync(CrissCrossMerchant m, string refundId, string action) =>
        Tenant.Operator(m.Server, HttpMethod.Post, $"/operator/crisscross/refunds/{refundId}/{action}");

    [Fact]
    public async Task A_refund_is_PENDING_then_refund_succeeded_partial_refunds_hold_their_amount_and_the_last_makes_it_REFUNDED()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await DocumentedSessionAsync(m, amount: 1000);
        (await RefundAsync(m, id, 100)).IsCollectError(409, "TRANSACTION_NOT_COMPLETED");
        var tx = (await MobileMoneyAsync(m, id)).Str("transactionId");
        await m.ProviderAsync(tx, "complete");

        var part = await RefundAsync(m, id, 300);

        Assert.True(part.Code == 202, part.Body);
        Assert.Equal(("PENDING", tx, id), (part.Str("status"), part.Str("originalTransactionId"), part.Str("sessionId")));
        Assert.Equal((300L, "KES"), (part.Json.GetProperty("refundValue").GetProperty("amount").GetInt64(), part.Json.GetProperty("refundValue").GetProperty("currency").GetString()));
        Assert.Equal("COMPLETED", await m.PaymentStatusAsync(tx));
        (await RefundAsync(m, id, 701)).IsCollectError(400, "REFUND_EXCEEDS_PAID_AMOUNT"); // the pending 300 is held
        (await RefundAsync(m, id, 700, "USD")).IsCollectError(422, "CURRENCY_MISMATCH");
        var rest = await RefundAsync(m, id, 700);
        Assert.Equal(202, rest.Code);

        var polled = await GetRefundAsync(m, part.Str("transactionId"));
        Assert.True(polled.Code == 200, polled.Body);
        Assert.Equal(part.Body, polled.Body); // the record the create answered, until the provider answers
        var ok = await SettleAsync(m, part.Str("transactionId"), "succeed");
        Assert.Equal("SUCCEEDED", ok.Str("status"));
        Assert.Equal(ok.Body, (await GetRefundAsync(m, part.Str("transactionId"))).Body);
        Assert.Equal(1, await Audit.EventCountAsync(server, part.Str("transactionId"), "refund.succeeded"));
        Assert.Equal(300, (await m.GetPaymentAsync(tx)).Json.GetProperty("refundedAmount").GetInt64());
        Assert.Equal(200, (await SettleAsync(m, part.Str("transactionId"), "succeed")).Code); // the same answer twice is a no-op
        (await SettleAsync(m, part.Str("transactionId"), "fail")).IsCollectError(409, "REFUND_NOT_PENDING");

        server.Clock.Advance(TimeSpan.FromSeconds(6)); // the simulated provider pays the pending one back on the clock
        await CrissCrossMerchant.RunJobsAsync(server);
        Assert.Equal("REFUNDED", await m.PaymentStatusAsync(tx));
        Assert.Equal(1, await Audit.EventCountAsync(server, rest.Str("transactionId"), "refund.succeeded"));
        Assert.Equal(1000, (await m.GetSessionAsync(id)).Json.GetProperty("refundedAmount").GetInt64());
        (await RefundAsync(m, id, 1)).IsCollectError(409, "TRANSACTION_ALREADY_REFUNDED");
    }

    [Fact]
    public async Task A_failed_refund_announces_refund_failed_and_releases_what_it_held()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await DocumentedSessionAsync(m, amount: 500);
        var tx = (await MobileMoneyAsync(m, id)).Str("transactionId");
        await m.ProviderAsync(tx, "complete");
        var refund = (await RefundAsync(m, id, 500)).Str("transactionId");

        var failed = await SettleAsync(m, refund, "fail");

        Assert.Equal("FAILED", failed.Str("status"));
        Assert.Equal(1, await Audit.EventCountAsync(server, refund, "refund.failed"));
        Assert.Equal(("COMPLETED", 0L), (await m.PaymentStatusAsync(tx), (await m.GetPaymentAsync(tx)).Json.GetProperty("refundedAmount").GetInt64()));
        Assert.Equal(202, (await RefundAsync(m, id, 500)).Code);
        (await m.SendAsync(HttpMethod.Post, "/v1/payment/refunds", new { sessionId = id })).IsCollectError(400, "INVALID_REQUEST");
        (await m.SendAsync(HttpMethod.Post, "/v1/payment/refunds", new { sessionId = id, refundValue = new { amount = 0, currency = "KES" } })).IsCollectError(400, "INVALID_REQUEST");
        (await RefundAsync(m, Guid.CreateVersion7().ToString(), 1)).IsCollectError(404, "SESSION_NOT_FOUND");
        (await RefundAsync(m, id, 1, original: Guid.CreateVersion7().ToString())).IsCollectError(404, "TRANSACTION_NOT_FOUND");
        (await SettleAsync(m, Guid.CreateVersion7().ToString(), "succeed")).IsCollectError(404, "REFUND_NOT_FOUND");
    }

    /// <summary>The whole merchant integration with bodies as the vendor's guides write them: token, session, available
    /// methods, a mobile-money payment, the cancel (the prompt cannot be stopped), the late completion, the refund.</summary>
    [Fact]
    public async Task A_merchant_integration_from_the_docs_reaches_the_cancel_the_late_completion_and_its_refund()
    {
        var t = await Tenant.CreateAsync(server);
        var token = await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId["acct_".Length..], client_secret = t.Credential("crisscross", "live").Secret });
        Assert.True(token.Code == 200, token.Body);
        var m = new CrissCrossMerchant(t, token.Str("access_token"));
        var id = await DocumentedSessionAsync(m);
        var methods = await m.SendAsync(HttpMethod.Get, "/v1/payment/available-methods?sessionId=" + id);
        var op = CrissCrossMerchant.Ids(methods.Json.GetProperty("paymentMethods").EnumerateArray().Single(x => x.GetProperty("type").GetString() == "mobilemoney").GetProperty("operators"))[0];
        var tx = (await MobileMoneyAsync(m, id, op, Guid.NewGuid().ToString())).Str("transactionId");

        var cancel = await m.SendAsync(HttpMethod.Post, "/v1/checkout/session/cancel", new { sessionId = id, reason = "payer walked away" }, Guid.NewGuid().ToString());
        Assert.Equal("PENDING_CANCELLATION", cancel.Str("status"));
        (await MobileMoneyAsync(m, id)).IsCollectError(409, "SESSION_LOCKED");
        Assert.Equal("COMPLETED", (await m.ProviderAsync(tx, "complete")).Str("status")); // the payer approved after all
        var session = (await m.GetSessionAsync(id)).Json;
        Assert.Equal("CANCELLED", session.GetProperty("status").GetString());
        Assert.Equal([tx], CrissCrossMerchant.Ids(session.GetProperty("lateCompletedTransactionIds")));

        var refund = await RefundAsync(m, id, 2500);
        Assert.True(refund.Code == 202, refund.Body);
        Assert.Equal(("PENDING", tx), (refund.Str("status"), refund.Str("originalTransactionId")));
        Assert.Equal("PENDING", (await GetRefundAsync(m, refund.Str("transactionId"))).Str("status"));
        server.Clock.Advance(TimeSpan.FromSeconds(6));
        await CrissCrossMerchant.RunJobsAsync(server);
        Assert.Equal("SUCCEEDED", (await GetRefundAsync(m, refund.Str("transactionId"))).Str("status")); // polled, as the doc says
        Assert.Equal("REFUNDED", await m.PaymentStatusAsync(tx));
        Assert.Equal(2500, (await m.GetSessionAsync(id)).Json.GetProperty("refundedAmount").GetInt64());
        Assert.Equal(1, await Audit.EventCountAsync(server, refund.Str("transactionId"), "refund.succeeded"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.cancelled"));
    }

    /// <summary>The card side of the integration with the documented bodies: token, session, available methods, a card
    /// payment, its authorization (the 3-D Secure step), the provider's completion, a partial refund polled by its
    /// transactionId; and a second card payment cancelled after its authorization.</summary>
    [Fact]
    public async Task A_card_integration_from_the_docs_authorizes_pays_refunds_and_a_second_session_cancels_after_authorize()
    {
        var t = await Tenant.CreateAsync(server);
        var token = await CrissCrossMerchant.TokenAsync(t, new { merchantId = t.AccountId["acct_".Length..], clientSecret = t.Credential("crisscross", "live").Secret });
        Assert.True(token.Code == 200, token.Body);
        var m = new CrissCrossMerchant(t, token.Str("access_token"));
        var id = await DocumentedSessionAsync(m, amount: 4000);
        var methods = await m.SendAsync(HttpMethod.Get, "/v1/payment/available-methods?sessionId=" + id);
        Assert.Contains(methods.Json.GetProperty("paymentMethods").EnumerateArray(), x => x.GetProperty("paymentMethodId").GetString() == "card");
        var paid = await CardPaymentAsync(m, id);
        Assert.True(paid.Code == 201, paid.Body);
        var tx = paid.Str("transactionId");
        Assert.Equal("pending", paid.Json.GetProperty("authState").GetProperty("type").GetString()); // the payer's authorisation is due

        var authorized = await AuthorizeAsync(m, tx, Guid.NewGuid().ToString());
        Assert.True(authorized.Code == 200, authorized.Body);
        Assert.Equal("PROCESSING", authorized.Str("status"));
        Assert.Equal("COMPLETED", (await m.ProviderAsync(tx, "complete")).Str("status"));
        Assert.Equal("COMPLETED", await m.SessionStatusAsync(id));
        var refund = await RefundAsync(m, id, 1500, original: tx);
        Assert.True(refund.Code == 202, refund.Body);
        server.Clock.Advance(TimeSpan.FromSeconds(6));
        await CrissCrossMerchant.RunJobsAsync(server);
        var polled = await GetRefundAsync(m, refund.Str("transactionId"));
        Assert.Equal(("SUCCEEDED", tx), (polled.Str("status"), polled.Str("originalTransactionId")));
        Assert.Equal(1500, (await m.GetPaymentAsync(tx)).Json.GetProperty("refundedAmount").GetInt64());

        var second = await DocumentedSessionAsync(m);
        var tx2 = (await CardPaymentAsync(m, second)).Str("transactionId");
        Assert.Equal(200, (await AuthorizeAsync(m, tx2)).Code);
        var cancel = await m.SendAsync(HttpMethod.Post, "/v1/checkout/session/cancel", new { sessionId = second, reason = "payer walked away" }, Guid.NewGuid().ToString());
        Assert.Equal("CANCELLED", cancel.Str("status"));
        Assert.Equal([tx2], CrissCrossMerchant.Ids(cancel.Json.GetProperty("cancelledTransactionIds")));
        (await AuthorizeAsync(m, tx2)).IsCollectError(422, "TRANSACTION_NOT_AUTHORIZABLE");
        (await CardPaymentAsync(m, second)).IsCollectError(409, "SESSION_LOCKED");
        Assert.Equal(1, await Audit.EventCountAsync(server, second, "session.cancelled"));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossCollectTests_Sqlite(SqliteServer server) : CrissCrossCollectTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossCollectTests_Postgres(PostgresServer server) : CrissCrossCollectTests(server), IClassFixture<PostgresServer>;
