using System.Text.Json;
using CsCheck;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>
/// Property: whatever arrives at Collect's routes (bad JSON, wrong types, huge numbers, unicode edge cases, odd ids,
/// garbled tokens and keys, form bodies), Rescind never answers 500, always answers in Collect's envelope, and
/// writes nothing it did not acknowledge.
/// </summary>
[Infrastructure.RandomisedRequests]
public abstract class CrissCrossHostileInputTests(RescindServer server)
{
    private static readonly Gen<string> Weird = Gen.OneOfConst(
        "", " ", "null", "../../etc/passwd", "..%2F..%2F", "%00", "\u0000", "\ud800", "\ufeff", "😀", "İ", "\u202e",
        new string('9', 400), "-1", "1e309", "01900000-0000-7000-8000-000000000000", "01900000-0000-7000-8000-00000000000G",
        "' OR 1=1 --", "\"", "\\", "{}", "[]", "card", "mobile_money", "2026-03-01T00:00:00+01:00");

    private static readonly Gen<string> Id = Gen.OneOf(Weird, Gen.Guid.Select(g => g.ToString()), Gen.String[Gen.Char.AlphaNumeric, 0, 40]);

    private static readonly Gen<string> JsonValue = Gen.OneOf(
        Gen.OneOfConst("null", "true", "false", "0", "-0", "1", "1e309", "123456789012345678901234567890", "9223372036854775807", "1.5",
            "\"\"", "[]", "{}", "[[[[[[[[]]]]]]]]", "\"KES\"", "\"card\"", "\"mobile_money\"", "{\"name\":\"x\"}", "\"https://x.test/\"",
            "\"\\ud800\"", "\"\\u0000\"", "60", "604801"),
        Weird.Select(w => JsonSerializer.Serialize(w)));

    private static readonly Gen<string> Field = Gen.OneOfConst(
        "merchantReference", "amount", "currency", "payerDetails", "redirectUrl", "expiresInSeconds", "sessionId", "provider",
        "paymentMethod", "reason", "transactionId", "client_id", "client_secret", "grant_type", "merchantId", "__proto__", "");

    private static readonly Gen<string> Body = Gen.OneOf(
        Gen.Select(Gen.Select(Field, JsonValue).Array[0, 7], pairs => "{" + string.Join(",", pairs.Select(p => JsonSerializer.Serialize(p.Item1) + ":" + p.Item2)) + "}"),
        Gen.OneOfConst("{", "}", "[", "\"x\"", "{\"amount\":1,\"amount\":2}", "{\"sessionId\":\"x\"}garbage", "\u0000\u0001", "{'single':'quotes'}", "",
            "grant_type=client_credentials&client_id=%ZZ", "a=1&a=2&&&="),
        Gen.Int[1, 3].Select(n => "{\"reason\":\"" + new string('x', n * 40_000) + "\"}"),
        Weird);

    private static readonly Gen<string> Path = Gen.OneOf(
        Id.Select(id => "/v1/checkout/session/" + Uri.EscapeDataString(id)),
        Id.Select(id => "/v1/payment/" + Uri.EscapeDataString(id)),
        Gen.OneOfConst("/v1/checkout/session", "/v1/checkout/session/cancel", "/v1/checkout/sessions", "/v1/payment", "/v1/payment/refunds",
            "/v1/auth/oauth2/token", "/v1/reports/cancellations", "/v1/checkout", "/v1/checkout/sessions?limit=1e3", "/v1/checkout/sessions?cursor=%FF",
            "/v1/checkout/sessions?status=%00", "/v1/checkout/sessions?limit=10&limit=20", "/v1/reports/cancellations?from=9999-99-99T00:00:00Z",
            "/v1/reports/cancellations?from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z", "/v1/reports/cancellations?to=%20"));

    private static readonly Gen<HttpMethod> Method = Gen.OneOfConst(HttpMethod.Get, HttpMethod.Post, HttpMethod.Post, HttpMethod.Delete, HttpMethod.Put);

    [Fact]
    public async Task No_generated_request_gets_a_500_or_leaves_the_collect_envelope_or_writes_what_it_did_not_acknowledge()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var bearer = "Bearer " + m.Token;
        var auth = Gen.OneOf(Gen.Const(bearer), Gen.Const(bearer), Gen.Const(bearer), Weird.Select(w => "Bearer " + w), Weird.Select(w => "Basic " + w),
            Gen.Const((string)null!));
        var key = Gen.OneOf(Gen.Const((string)null!), Gen.Const((string)null!), Gen.Guid.Select(g => g.ToString()), Weird);
        var contentType = Gen.OneOfConst("application/json", "application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain");
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();

        await Gen.Select(Method, Path, Body, auth, key, contentType).SampleAsync(async sample =>
        {
            var (method, path, body, authorization, idempotencyKey, type) = sample;
            Answer a;
            try
            {
                using var request = new HttpRequestMessage(method, path);
                foreach (var (k, v) in new Dictionary<string, string?> { ["Authorization"] = authorization, ["Idempotency-Key"] = idempotencyKey })
                {
                    if (v is not null)
                    {
                        request.Headers.TryAddWithoutValidation(k, v);
                    }
                }
                if (method != HttpMethod.Get)
                {
                    request.Content = new StringContent(body, System.Text.Encoding.UTF8);
                    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type);
                }
                var response = await server.Client.SendAsync(request);
                a = new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
            }
            catch (Exception e) when (e is UriFormatException || e.Message.Contains("null characters", StringComparison.Ordinal))
            {
                return; // the client (or the in-memory test host) refused to send it; nothing reached Rescind
            }
            Assert.True(a.Code is >= 200 and < 500 or 503, $"{method} {path} ({type}) {body} → {a.Code}: {a.Body}");
            Assert.NotNull(a.Header("X-Request-Id"));
            if (a.Code >= 400)
            {
                try
                {
                    if (path == "/v1/auth/oauth2/token" && method == HttpMethod.Post && a.Code is 400 or 401)
                    {
                        a.IsOAuthError(a.Code, a.Json.GetProperty("error").GetString()!); // the token endpoint speaks OAuth 2
                    }
                    else
                    {
                        a.IsCollectError(a.Code, a.Json.GetProperty("error").GetString()!);
                    }
                }
                catch (Exception e)
                {
                    throw new InvalidOperationException($"{method} {path} ({type}) → {a.Code}: {a.Body}", e);
                }
            }
            if (a.Code == 201 && a.Json.TryGetProperty("sessionId", out var s))
            {
                acknowledged.Add(s.GetString()!);
            }
        }, iter: 400, threads: 4);

        // No session was written that was not acknowledged with a 201.
        Assert.Equal(acknowledged.Distinct().Count(), await server.CountAsync(
            "SELECT COUNT(*) FROM crisscross_sessions WHERE account_id = @AccountId", new { m.Tenant.AccountId }));
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossHostileInputTests_Sqlite(SqliteServer server) : CrissCrossHostileInputTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossHostileInputTests_Postgres(PostgresServer server) : CrissCrossHostileInputTests(server), IClassFixture<PostgresServer>;
