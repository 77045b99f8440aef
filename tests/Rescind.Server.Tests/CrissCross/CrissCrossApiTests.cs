using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>Tokens, sessions, payments, refunds, idempotency keys, timestamps and the envelope, over HTTP.</summary>
public abstract class CrissCrossApiTests(RescindServer server) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>After every test, every invariant of the database holds (<c>rescind verify</c>).</summary>
    public Task DisposeAsync() => Audit.AssertVerifiedAsync(server);

    [Fact]
    public async Task The_token_endpoint_accepts_json_form_basic_and_the_merchantId_spelling()
    {
        var t = await Tenant.CreateAsync(server);
        var (credentialId, secret) = t.Credential("crisscross", "live");

        var json = await CrissCrossMerchant.TokenAsync(t, new { grant_type = "client_credentials", client_id = t.AccountId, client_secret = secret });
        var merchant = await CrissCrossMerchant.TokenAsync(t, new { merchantId = t.AccountId, clientSecret = secret });
        var byCredential = await CrissCrossMerchant.TokenAsync(t, new { client_id = credentialId, client_secret = secret });
        using var formRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = t.AccountId, ["client_secret"] = secret }),
        };
        var form = await server.Client.SendAsync(formRequest);
        using var basicRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        basicRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(t.AccountId + ":" + secret)));
        var basic = await server.Client.SendAsync(basicRequest);

        foreach (var a in new[] { json, merchant, byCredential })
        {
            Assert.True(a.Code == 200, a.Body);
            Assert.Equal("Bearer", a.Str("token_type"));
            Assert.Equal(3600, a.Json.GetProperty("expires_in").GetInt32());
            Assert.StartsWith("cct_", a.Str("access_token"), StringComparison.Ordinal);
        }
        Assert.Equal(200, (int)form.StatusCode);
        Assert.Equal(200, (int)basic.StatusCode);
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM crisscross_tokens WHERE hash = @h", new { h = json.Str("access_token") })); // stored hashed
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM crisscross_tokens WHERE hash = @h", new { h = Rescind.Core.Ids.Sha256Hex(json.Str("access_token")) }));
    }

    [Fact]
    public async Task Token_failures_answer_in_OAuth_2s_envelope_invalid_client_invalid_request_and_unsupported_grant_type()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server, "Other");
        var secret = t.Credential("crisscross", "live").Secret;

        (await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId, client_secret = "ccs_live_wrong" })).IsOAuthError(401, "invalid_client");
        (await CrissCrossMerchant.TokenAsync(t, new { client_id = other.AccountId, client_secret = secret })).IsOAuthError(401, "invalid_client");
        (await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId, client_secret = t.LiveKey })).IsOAuthError(401, "invalid_client"); // Numeral's key
        (await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId })).IsOAuthError(400, "invalid_request");
        (await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId, client_secret = 7 })).IsOAuthError(400, "invalid_request");
        (await CrissCrossMerchant.TokenAsync(t, new { grant_type = "password", client_id = t.AccountId, client_secret = secret })).IsOAuthError(400, "unsupported_grant_type");
        (await CrissCrossMerchant.TokenAsync(t, new { grant_type = "refresh_token", refresh_token = "x" })).IsOAuthError(400, "unsupported_grant_type");
        // The vendor's client_id is a bare UUID: the account id without its prefix names the same merchant.
        Assert.Equal(200, (await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId["acct_".Length..], client_secret = secret })).Code);
        using var basic = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/oauth2/token") { Content = new StringContent("grant_type=client_credentials", Encoding.UTF8, "application/x-www-form-urlencoded") };
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(t.AccountId + ":wrong")));
        var response = await server.Client.SendAsync(basic);
        var refused = new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
        refused.IsOAuthError(401, "invalid_client");
        Assert.StartsWith("Basic", refused.Header("WWW-Authenticate"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_form_larger_than_the_body_limit_is_413_unread_declared_or_streamed()
    {
        var t = await Tenant.CreateAsync(server);
        var secret = t.Credential("crisscross", "live").Secret;
        var padding = new string('a', 500 * 1024);
        foreach (var chunked in new[] { false, true })
        {
            var text = $"grant_type=client_credentials&client_id={t.AccountId}&client_secret={secret}&pad={padding}";
            HttpContent content = chunked
                ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(text))) // no Content-Length: sent chunked
                : new StringContent(text, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/oauth2/token") { Content = content };
            var response = await server.Client.SendAsync(request);
            var answer = new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
            Assert.True(answer.Code == 413, $"chunked={chunked}: {answer.Code} {answer.Body}");
        }
    }

    [Fact]
    public async Task A_token_request_with_an_unreadable_form_body_is_400_not_a_fault()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/oauth2/token") { Content = new StringContent("client_id=x") };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("multipart/form-data"); // no boundary

        var response = await server.Client.SendAsync(request);
        var a = new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response);

        a.IsOAuthError(400, "invalid_request");
    }

    [Fact]
    public async Task A_token_expires_after_an_hour_and_a_revoked_client_credential_stops_its_tokens()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        Assert.Equal(200, (await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions")).Code);

        server.Clock.Advance(TimeSpan.FromSeconds(3601));
        (await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions")).IsCollectError(401, "UNAUTHORIZED");

        var fresh = await CrissCrossMerchant.CreateAsync(server);
        var revoked = await Tenant.Operator(server, HttpMethod.Delete, "/operator/credentials/" + fresh.Tenant.Credential("crisscross", "live").Id);
        Assert.Equal(200, revoked.Code);
        (await fresh.SendAsync(HttpMethod.Get, "/v1/checkout/sessions")).IsCollectError(401, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Creating_a_session_returns_its_id_and_payment_link_and_GET_shows_it_open()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);

        var a = await m.CreateSessionAsync(amount: 4200);

        Assert.True(a.Code == 201, a.Body);
        var id = a.Str("sessionId");
        Assert.True(Guid.TryParseExact(id, "D", out var g));
        Assert.Equal(7, g.Version);
        Assert.EndsWith("/" + id, a.Str("paymentLink"), StringComparison.Ordinal);
        var s = (await m.GetSessionAsync(id)).Json;
        Assert.Equal("OPEN", s.GetProperty("status").GetString());
        Assert.Equal(4200, s.GetProperty("amount").GetInt64());
        Assert.Equal("KES", s.GetProperty("currency").GetString());
        Assert.Equal("Amina", s.GetProperty("payerDetails").GetProperty("name").GetString());
        Assert.EndsWith("Z", s.GetProperty("expiresAt").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, s.GetProperty("transactions").GetArrayLength());
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "create"));
    }

    [Theory]
    [InlineData("{\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{}}", "merchantReference is required.")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":0,\"currency\":\"KES\",\"payerDetails\":{}}", "amount must be an integer from 1 to 1000000000000.")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":1.5,\"currency\":\"KES\",\"payerDetails\":{}}", "amount must be an integer from 1 to 1000000000000.")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"kes\",\"payerDetails\":{}}", "currency is not valid; expected an ISO 4217 code such as KES.")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"KES\"}", "payerDetails is required.")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":\"x\"}", "payerDetails must be an object.")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{},\"redirectUrl\":\"ftp://x\"}", "redirectUrl is not valid; expected an absolute http(s) URL.")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{},\"expiresInSeconds\":5}", "expiresInSeconds must be an integer from 60 to 604800.")]
    [InlineData("not json", "The request body is not valid JSON (line 1, byte 1).")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":1000000000001,\"currency\":\"KES\",\"payerDetails\":{}}", "amount must be an integer from 1 to 1000000000000.")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{\"location\":\"KE\"}}", "payerDetails.location is not valid; expected an ISO 3166-1 alpha-3 country code such as KEN.")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{\"phoneNumber\":\"call me\"}}", "payerDetails.phoneNumber is not valid; expected a phone number such as +254700000001.")]
    [InlineData("{\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{},\"paymentAttributes\":{\"a\":1}}", "paymentAttributes must map at most 50 keys of 1 to 64 characters to strings of at most 1000 characters.")]
    [InlineData("{\"merchantId\":\"m\",\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{}}", "integrationType is required.")]
    [InlineData("{\"integrationType\":\"hosted\",\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{}}", "merchantId is required.")]
    [InlineData("{\"merchantId\":\"m\",\"integrationType\":\"iframe\",\"merchantReference\":\"o\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{}}", "integrationType is not valid; expected one of hosted, direct.")]
    [InlineData("{\"merchantReference\":\"a\\ud800b\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{}}", "The request body contains a string that is not valid Unicode (a lone surrogate escape).")]
    [InlineData("{\"merchantReference\":\"a\\u0000b\",\"amount\":100,\"currency\":\"KES\",\"payerDetails\":{}}", "merchantReference must not contain NUL characters (\\u0000).")]
    public async Task A_malformed_session_create_is_400_INVALID_REQUEST(string body, string message)
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        if (body.StartsWith("{\"merchantReference\"", StringComparison.Ordinal) || body.StartsWith("{\"amount\"", StringComparison.Ordinal))
        {
            body = "{\"merchantId\":\"" + m.Tenant.AccountId + "\",\"integrationType\":\"hosted\"," + body[1..];
        }

        var a = await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", body);

        a.IsCollectError(400, "INVALID_REQUEST");
        Assert.Equal(message, a.Json.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_session_has_at_most_one_active_transaction_and_the_payer_may_retry_after_a_failure()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var first = await m.TransactionAsync(id, "card");

        (await m.PayAsync(id, "mobile_money")).IsCollectError(409, "TRANSACTION_IN_PROGRESS");
        Assert.Equal("PROCESSING", (await m.ProviderAsync(first, "process")).Str("status"));
        (await m.PayAsync(id, "card")).IsCollectError(409, "TRANSACTION_IN_PROGRESS");
        Assert.Equal("FAILED", (await m.ProviderAsync(first, "fail")).Str("status"));
        var second = await m.TransactionAsync(id, "mobile_money");
        Assert.Equal("COMPLETED", (await m.ProviderAsync(second, "complete")).Str("status"));

        (await m.PayAsync(id, "card")).IsCollectError(409, "SESSION_COMPLETED");
        var s = (await m.GetSessionAsync(id)).Json;
        Assert.Equal("COMPLETED", s.GetProperty("status").GetString());
        Assert.Equal(2, s.GetProperty("transactions").GetArrayLength());
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.completed"));
        Assert.Equal(1, await Audit.EventCountAsync(server, second, "transaction.completed"));
        Assert.Equal(1, await Audit.EventCountAsync(server, first, "transaction.failed"));
    }

    [Fact]
    public async Task Payment_status_is_the_documented_object_and_the_webhook_payload_is_the_same_object()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync(amount: 999);
        var tx = await m.TransactionAsync(id, "card");
        await m.ProviderAsync(tx, "complete");
        var settled = await m.ProviderAsync(tx, "settle");

        var a = await m.GetPaymentAsync(tx);

        Assert.Equal(settled.Body, a.Body);
        var p = a.Json;
        Assert.Equal(tx, p.GetProperty("transactionId").GetString());
        Assert.Equal("SETTLED", p.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("message").GetString()));
        Assert.StartsWith("order-", p.GetProperty("merchantReference").GetString(), StringComparison.Ordinal);
        Assert.Equal(id, p.GetProperty("sessionId").GetString());
        Assert.Equal(999, p.GetProperty("amount").GetInt64());
        var e = Assert.Single(await Audit.EventsAsync(server, tx), x => x.GetProperty("type").GetString() == "transaction.settled");
        Assert.Equal(p.GetRawText(), e.GetProperty("payload").GetRawText());
        (await m.ProviderAsync(tx, "complete")).IsCollectError(409, "TRANSACTION_NOT_IN_FLIGHT");
    }

    [Fact]
    public async Task Provider_actions_cover_every_outcome_and_refuse_what_the_state_does_not_allow()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var expected = new Dictionary<string, (string Status, string Event)>
        {
            ["complete"] = ("COMPLETED", "transaction.completed"),
            ["fail"] = ("FAILED", "transaction.failed"),
            ["error"] = ("ERRORED", "transaction.errored"),
            ["expire"] = ("EXPIRED", "transaction.expired"),
        };
        foreach (var (action, (status, type)) in expected)
        {
            var id = await m.SessionAsync();
            var tx = await m.TransactionAsync(id, "card");
            Assert.Equal(status, (await m.ProviderAsync(tx, action)).Str("status"));
            Assert.Equal(200, (await m.ProviderAsync(tx, action)).Code); // a repeat of the same event is a no-op
            Assert.Equal(1, await Audit.EventCountAsync(server, tx, type));
            if (status != "COMPLETED")
            {
                (await m.ProviderAsync(tx, "settle")).IsCollectError(409, "TRANSACTION_NOT_COMPLETED");
                Assert.Equal("OPEN", await m.SessionStatusAsync(id));
            }
        }
        var unknown = await Tenant.Operator(server, HttpMethod.Post, $"/operator/crisscross/transactions/{Guid.CreateVersion7()}/complete");
        unknown.IsCollectError(404, "TRANSACTION_NOT_FOUND");
        var bad = await Tenant.Operator(server, HttpMethod.Post, $"/operator/crisscross/transactions/{Guid.CreateVersion7()}/teleport");
        bad.IsCollectError(404, "NOT_FOUND");
        var registry = await Tenant.Operator(server, HttpMethod.Get, "/operator/crisscross/providers");
        Assert.Contains(registry.Json.GetProperty("providers").EnumerateArray(),
            p => p.GetProperty("name").GetString() == "mobilemoney" && !p.GetProperty("supportsInFlightCancel").GetBoolean()
                 && p.GetProperty("promptTimeoutSeconds").GetInt64() == 120);
    }

    [Fact]
    public async Task An_unknown_provider_is_400_and_a_missing_session_is_404()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();

        var a = await m.PayAsync(id, "carrier_pigeon");
        a.IsCollectError(400, "INVALID_REQUEST");
        Assert.Contains("mobile_money", a.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
        (await m.PayAsync(Guid.CreateVersion7().ToString())).IsCollectError(404, "SESSION_NOT_FOUND");
        Assert.Equal("OPEN", await m.SessionStatusAsync(id));
    }

    [Fact]
    public async Task Refunds_may_be_partial_never_exceed_what_was_paid_and_end_in_REFUNDED()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync(amount: 1000);
        var tx = await m.TransactionAsync(id, "card");
        (await m.RefundAsync(tx)).IsCollectError(409, "TRANSACTION_NOT_COMPLETED");
        await m.ProviderAsync(tx, "complete");

        var part = await m.RefundAsync(tx, 300);
        Assert.True(part.Code == 201, part.Body);
        Assert.Equal((300L, 300L, 700L, "COMPLETED"), (part.Json.GetProperty("amount").GetInt64(), part.Json.GetProperty("refundedAmount").GetInt64(),
            part.Json.GetProperty("remainingAmount").GetInt64(), part.Str("status")));
        (await m.RefundAsync(tx, 701)).IsCollectError(400, "REFUND_EXCEEDS_PAID_AMOUNT");
        await m.ProviderAsync(tx, "settle");
        var rest = await m.RefundAsync(tx, 700);
        Assert.Equal(("REFUNDED", 0L), (rest.Str("status"), rest.Json.GetProperty("remainingAmount").GetInt64()));
        (await m.RefundAsync(tx, 1)).IsCollectError(409, "TRANSACTION_ALREADY_REFUNDED");
        (await m.RefundAsync(tx)).IsCollectError(409, "TRANSACTION_ALREADY_REFUNDED");

        Assert.Equal(1000, await server.CountAsync("SELECT SUM(amount) FROM crisscross_refunds WHERE transaction_id = @tx", new { tx }));
        Assert.Equal("REFUNDED", await m.PaymentStatusAsync(tx));
        Assert.Equal(2, await Audit.EventCountAsync(server, tx, "transaction.refunded"));
        var s = (await m.GetSessionAsync(id)).Json;
        Assert.Equal((1000L, 1000L), (s.GetProperty("paidAmount").GetInt64(), s.GetProperty("refundedAmount").GetInt64()));
    }

    [Fact]
    public async Task Listing_sessions_pages_newest_first_and_filters_by_status()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await m.SessionAsync());
        }
        await m.CancelAsync(ids[1]);
        await (await CrissCrossMerchant.CreateAsync(server, "Other")).SessionAsync();

        var page1 = await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions?limit=2");
        var page2 = await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions?limit=2&cursor=" + page1.Str("nextCursor"));
        var page3 = await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions?limit=2&cursor=" + page2.Str("nextCursor"));
        var cancelled = await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions?status=CANCELLED");

        IEnumerable<string> Ids(Answer a) => a.Json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("sessionId").GetString()!);
        Assert.Equal([ids[4], ids[3], ids[2], ids[1], ids[0]], Ids(page1).Concat(Ids(page2)).Concat(Ids(page3)));
        Assert.True(page1.Json.GetProperty("hasMore").GetBoolean());
        Assert.False(page3.Json.GetProperty("hasMore").GetBoolean());
        Assert.Equal(JsonValueKind.Null, page3.Json.GetProperty("nextCursor").ValueKind);
        Assert.Equal([ids[1]], Ids(cancelled));
        Assert.Equal(5, Ids(await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions")).Count());
        (await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions?limit=201")).IsCollectError(400, "INVALID_REQUEST");
        (await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions?status=open")).IsCollectError(400, "INVALID_REQUEST");
        (await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions?sort=asc")).IsCollectError(400, "INVALID_REQUEST");
        (await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions?cursor=" + Guid.CreateVersion7())).IsCollectError(400, "INVALID_REQUEST");
    }

    [Fact]
    public async Task An_idempotency_key_replays_the_first_answer_and_refuses_a_different_body_with_422()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var key = Guid.NewGuid().ToString();
        var body = new { merchantId = m.Tenant.AccountId, integrationType = "hosted", merchantReference = "idem-1", amount = 100, currency = "KES", payerDetails = new { } };

        var first = await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", body, key);
        var again = await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", body, key);
        var different = await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", body with { amount = 200 }, key);

        Assert.Equal(201, first.Code);
        Assert.Equal((first.Code, first.Body), (again.Code, again.Body));
        different.IsCollectError(422, "IDEMPOTENCY_CONFLICT");
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM crisscross_sessions WHERE merchant_reference = 'idem-1'"));
        (await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", body, "not-a-uuid")).IsCollectError(400, "INVALID_REQUEST");

        var id = first.Str("sessionId");
        var payKey = Guid.NewGuid().ToString();
        var pay1 = await m.PayAsync(id, "card", payKey);
        var pay2 = await m.PayAsync(id, "card", payKey);
        Assert.Equal((201, pay1.Body), (pay2.Code, pay2.Body)); // not a 409 for a second active transaction
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM crisscross_transactions WHERE session_id = @id", new { id }));
        var other = await CrissCrossMerchant.CreateAsync(server, "Other");
        Assert.Equal(201, (await other.SendAsync(HttpMethod.Post, "/v1/checkout/session", body with { merchantId = other.Tenant.AccountId }, key)).Code); // keys are per merchant
    }

    [Theory]
    [InlineData("2026-03-01T00:00:00+01:00")]
    [InlineData("2026-03-01T00:00:00+00:00")]
    [InlineData("2026-03-01T00:00:00")]
    [InlineData("2026-03-01")]
    [InlineData("yesterday")]
    public async Task A_timestamp_that_is_not_UTC_with_Z_is_400(string from)
    {
        var m = await CrissCrossMerchant.CreateAsync(server);

        var a = await m.SendAsync(HttpMethod.Get, "/v1/reports/cancellations?from=" + Uri.EscapeDataString(from));

        a.IsCollectError(400, "INVALID_REQUEST");
        Assert.Contains("UTC with Z", a.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, (await m.SendAsync(HttpMethod.Get, "/v1/reports/cancellations?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00.000Z")).Code);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_under_Collect_prefixes_answer_in_the_Collect_envelope_with_a_request_id()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);

        var missing = await m.SendAsync(HttpMethod.Get, "/v1/checkout/nowhere");
        var method = await m.SendAsync(HttpMethod.Delete, "/v1/checkout/sessions");

        missing.IsCollectError(404, "NOT_FOUND");
        method.IsCollectError(405, "METHOD_NOT_ALLOWED");
        Assert.False(string.IsNullOrEmpty(missing.Header("X-Request-Id")));
        (await m.GetSessionAsync("not-a-uuid")).IsCollectError(404, "SESSION_NOT_FOUND");
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_413_PAYLOAD_TOO_LARGE_in_the_Collect_envelope()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var body = JsonSerializer.Serialize(new { merchantId = m.Tenant.AccountId, integrationType = "hosted", merchantReference = "big", amount = 1, currency = "KES", payerDetails = new { note = new string('x', 70_000) } });

        (await m.SendAsync(HttpMethod.Post, "/v1/checkout/session", body)).IsCollectError(413, "PAYLOAD_TOO_LARGE");
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM crisscross_sessions WHERE merchant_reference = 'big'"));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossApiTests_Sqlite(SqliteServer server) : CrissCrossApiTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossApiTests_Postgres(PostgresServer server) : CrissCrossApiTests(server), IClassFixture<PostgresServer>;
