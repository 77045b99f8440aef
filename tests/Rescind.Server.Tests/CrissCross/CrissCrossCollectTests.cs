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

        var ok = await SettleAsync(m, part.Str("transactionId"), "succeed");
        Assert.Equal("SUCCEEDED", ok.Str("status"));
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
        server.Clock.Advance(TimeSpan.FromSeconds(6));
        await CrissCrossMerchant.RunJobsAsync(server);
        Assert.Equal("REFUNDED", await m.PaymentStatusAsync(tx));
        Assert.Equal(2500, (await m.GetSessionAsync(id)).Json.GetProperty("refundedAmount").GetInt64());
        Assert.Equal(1, await Audit.EventCountAsync(server, refund.Str("transactionId"), "refund.succeeded"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.cancelled"));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossCollectTests_Sqlite(SqliteServer server) : CrissCrossCollectTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossCollectTests_Postgres(PostgresServer server) : CrissCrossCollectTests(server), IClassFixture<PostgresServer>;
