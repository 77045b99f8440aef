using System.Text.Json;
using CsCheck;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>
/// Property: whatever arrives at a DigiCert route (bad JSON, wrong types, huge numbers, unicode edge cases,
/// traversal in ids, weird filters, garbled keys), Rescind never answers 500, always answers in DigiCert's envelope,
/// creates no order it did not acknowledge, and every invariant still holds.
/// </summary>
[Infrastructure.RandomisedRequests]
public abstract class DigiCertHostileInputTests(RescindServer server)
{
    private static readonly Gen<string> Weird = Gen.OneOfConst(
        "", " ", "null", "../../etc/passwd", "..%2F..%2F", "%00", "\u0000", "\ud800", "\ufeff", "😀", "İ", "\u202e",
        new string('9', 400), "-1", "0", "1", "2", "3", "4", "5", "1e309", "9223372036854775807", "9223372036854775808",
        "' OR 1=1 --", "\"", "\\", "{}", "[]", "canceled", "approved", "rejected", "ssl_basic", "client_premium");

    private static readonly Gen<string> Id = Gen.OneOf(Weird, Gen.Long[1, 12].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.String[0, 40]);

    private static readonly Gen<string> JsonValue = Gen.OneOf(
        Gen.OneOfConst("null", "true", "false", "0", "-0", "1e309", "123456789012345678901234567890", "1.5", "2", "\"\"", "[]", "{}",
            "[[[[[[[[]]]]]]]]", "\"canceled\"", "\"renewed\"", "\"approved\"", "\"rejected\"", "\"balance\"", "\"card\"", "\"\\ud800\"", "\"\\u0000\"",
            "{\"common_name\":\"a.example\",\"csr\":\"x\"}", "{\"common_name\":\"Al\",\"emails\":[\"al@example.com\"]}",
            "{\"common_name\":1,\"emails\":[1,2]}", "{\"emails\":\"x@y\"}", "[\"a@b.c\"]"),
        Weird.Select(w => JsonSerializer.Serialize(w)));

    private static readonly Gen<string> Field = Gen.OneOfConst(
        "certificate", "status", "note", "processor_comment", "skip_approval", "payment_method", "validity_years", "comments", "__proto__", "");

    private static readonly Gen<string> Body = Gen.OneOf(
        Gen.Select(Gen.Select(Field, JsonValue).Array[0, 6], pairs => "{" + string.Join(",", pairs.Select(p => JsonSerializer.Serialize(p.Item1) + ":" + p.Item2)) + "}"),
        Gen.OneOfConst("{", "}", "[", "\"x\"", "{\"status\":\"canceled\",\"status\":\"renewed\",\"note\":\"n\"}", "{\"status\":\"canceled\",\"note\":\"x\"}garbage",
            "\u0000\u0001", "{'single':'quotes'}", ""),
        Gen.Int[1, 3].Select(n => "{\"status\":\"canceled\",\"note\":\"" + new string('x', n * 40_000) + "\"}"),
        Weird);

    private static readonly Gen<string> Path = Gen.OneOf(
        Id.Select(id => "/services/v2/order/certificate/" + Uri.EscapeDataString(id)),
        Id.Select(id => "/services/v2/order/certificate/" + Uri.EscapeDataString(id) + "/status"),
        Id.Select(id => "/services/v2/order/certificate/" + Uri.EscapeDataString(id) + "/reissue"),
        Id.Select(id => "/services/v2/order/certificate/" + Uri.EscapeDataString(id) + "/revoke"),
        Id.Select(id => "/services/v2/request/" + Uri.EscapeDataString(id)),
        Id.Select(id => "/services/v2/request/" + Uri.EscapeDataString(id) + "/status"),
        Weird.Select(w => "/services/v2/order/certificate?filters[search]=" + Uri.EscapeDataString(w)),
        Weird.Select(w => "/services/v2/audit-log?filters[order_id]=" + Uri.EscapeDataString(w)),
        Gen.OneOfConst("/services/v2/order/certificate", "/services/v2/request", "/services/v2/audit-log", "/services", "/services/v2/../../operator/accounts",
            "/services/v2/order/certificate?limit=1e3", "/services/v2/order/certificate?offset=99999999999", "/services/v2/order/certificate?filters[status]=%00",
            "/services/v2/request?status=%FF", "/services/v2/audit-log?filters[date_from]=9999-99-99T00:00:00Z", "/services/v2/order/certificate?limit=1&limit=5000",
            "/services/v2/order/certificate/ssl_basic", "/services/v2/order/certificate/client_premium"));

    private static readonly Gen<HttpMethod> Method = Gen.OneOfConst(HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch);

    [Fact]
    public async Task No_generated_request_gets_a_500_or_leaves_DigiCerts_envelope_or_creates_an_unacknowledged_order()
    {
        var t = await Tenant.CreateAsync(server);
        // Something to hit: orders in several states.
        await t.OrderAsync();
        await t.OrderAsync("client_premium", csr: false, skipApproval: false);
        await t.IssuedOrderAsync();
        var key = Gen.OneOf(Gen.Const(t.Key()), Gen.Const(t.Key()), Gen.Const(t.Key()), Weird, Gen.Const((string)null!));
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<long>();

        await Gen.Select(Method, Path, Body, key).SampleAsync(async sample =>
        {
            var (method, path, body, devKey) = sample;
            Answer a;
            try
            {
                a = await Tenant.SendAsync(server, method, path, method == HttpMethod.Get ? null : body, new() { ["X-DC-DEVKEY"] = devKey });
            }
            catch (Exception e) when (e is UriFormatException || e.Message.Contains("null characters", StringComparison.Ordinal)
                                      || e is InvalidOperationException or FormatException)
            {
                return; // the client refused to send it; nothing reached Rescind
            }
            Assert.True(a.Code is >= 200 and < 500 or 503, $"{method} {path} → {a.Code}: {a.Body}");
            Assert.NotNull(a.Header("X-Request-Id"));
            if (a.Code >= 400 && path.StartsWith("/services", StringComparison.Ordinal) && !path.Contains("/..", StringComparison.Ordinal))
            {
                try
                {
                    a.IsDigiCertError(a.Code, a.Json.GetProperty("errors")[0].GetProperty("code").GetString()!);
                }
                catch (Exception e)
                {
                    throw new InvalidOperationException($"{method} {path} → {a.Code}: {a.Body}", e);
                }
            }
            if (a.Code == 201 && method == HttpMethod.Post && !path.EndsWith("/reissue", StringComparison.Ordinal))
            {
                acknowledged.Add(a.Json.GetProperty("id").GetInt64());
            }
        }, iter: 400, threads: 4);

        Assert.Equal(acknowledged.Distinct().Count() + 3,
            await server.CountAsync("SELECT COUNT(*) FROM digicert_orders WHERE account_id = @AccountId", new { t.AccountId }));
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertHostileInputTests_Sqlite(SqliteServer server) : DigiCertHostileInputTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertHostileInputTests_Postgres(PostgresServer server) : DigiCertHostileInputTests(server), IClassFixture<PostgresServer>;
