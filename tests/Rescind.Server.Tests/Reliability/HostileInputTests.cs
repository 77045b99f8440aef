using System.Text;
using System.Text.Json;
using CsCheck;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// Property: whatever arrives (bad JSON, wrong types, huge numbers, unicode edge cases, traversal in ids, duplicate
/// keys, oversized bodies, garbled headers), Rescind never answers 500, always answers in the API's own envelope,
/// and writes nothing it did not acknowledge.
/// </summary>
[Infrastructure.RandomisedRequests]
public abstract class HostileInputTests(RescindServer server)
{
    private static readonly Gen<string> Weird = Gen.OneOfConst(
        "", " ", "null", "../../etc/passwd", "..%2F..%2F", "%00", "\u0000", "\ud800", "\ufeff", "😀", "ǅ", "İ", "\u202e",
        "cert_req_", "cert_req_../x", new string('9', 400), "-1", "1e309", "cust_01900000-0000-7000-8000-000000000000",
        "cert_req_01900000-0000-7000-8000-000000000000", "' OR 1=1 --", "\"", "\\", "{}", "[]");

    private static readonly Gen<string> Id = Gen.OneOf(Weird, Gen.String[Gen.Char.AlphaNumeric, 0, 40], Gen.String[0, 60]);

    private static readonly Gen<string> JsonValue = Gen.OneOf(
        Gen.OneOfConst("null", "true", "false", "0", "-0", "1e309", "123456789012345678901234567890", "1.5", "\"\"", "[]", "{}", "[[[[[[[[]]]]]]]]",
            "\"2026-13-45T99:99:99Z\"", "\"2030-01-01T00:00:00Z\"", "[\"US-CA\"]", "[\"US-CA\",\"US-CA\"]", "\"\\ud800\"", "\"\\u0000\"", "\"US-CA-CDTFA-230\""),
        Weird.Select(w => JsonSerializer.Serialize(w)));

    private static readonly Gen<string> Field = Gen.OneOfConst(
        "customer_id", "certificate_type_id", "jurisdictions", "expires_at", "reference_customer_id", "name", "email", "status", "__proto__", "");

    private static readonly Gen<string> Body = Gen.OneOf(
        Gen.Select(Gen.Select(Field, JsonValue).Array[0, 6], pairs => "{" + string.Join(",", pairs.Select(p => JsonSerializer.Serialize(p.Item1) + ":" + p.Item2)) + "}"),
        Gen.OneOfConst("{", "}", "[", "\"x\"", "{\"a\":1,\"a\":2}", "{\"customer_id\":\"x\"}garbage", "\u0000\u0001", "{'single':'quotes'}", ""),
        Gen.Int[1, 3].Select(n => "{\"name\":\"" + new string('x', n * 40_000) + "\"}"),
        Weird);

    private static readonly Gen<string> Path = Gen.OneOf(
        Id.Select(id => "/tax/certificate-requests/" + Uri.EscapeDataString(id)),
        Id.Select(id => "/tax/customers/" + Uri.EscapeDataString(id)),
        Gen.OneOfConst("/tax/certificate-requests", "/tax/customers", "/tax/certificate-requests/", "/tax", "/tax/../operator/accounts",
            "/tax/certificate-requests?limit=1e3", "/tax/certificate-requests?cursor=%FF", "/tax/certificate-requests?status=%00",
            "/tax/certificate-requests?created_after=9999-99-99T00:00:00Z", "/tax/certificate-requests?limit=10&limit=20",
            "/tax/certificate-requests?customer_id=" + Uri.EscapeDataString("' OR 1=1 --") + "&id_type=reference_customer_id"));

    private static readonly Gen<HttpMethod> Method = Gen.OneOfConst(HttpMethod.Get, HttpMethod.Post, HttpMethod.Delete, HttpMethod.Put, HttpMethod.Patch);

    [Fact]
    public async Task No_generated_request_gets_a_500_or_leaves_the_numeral_envelope_or_writes_what_it_did_not_acknowledge()
    {
        var t = await Tenant.CreateAsync(server);
        var live = "Bearer " + t.LiveKey;
        var auth = Gen.OneOf(Gen.Const(live), Gen.Const(live), Gen.Const("Bearer " + t.TestKey), Weird.Select(w => "Bearer " + w), Gen.Const((string)null!));
        var version = Gen.OneOf(Gen.Const("2026-03-01"), Gen.Const("2026-03-01"), Weird, Gen.Const((string)null!));
        var key = Gen.OneOf(Gen.Const((string)null!), Id, Gen.Const(new string('k', 300)));
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();

        await Gen.Select(Method, Path, Body, auth, version, key).SampleAsync(async sample =>
        {
            var (method, path, body, authorization, apiVersion, idempotencyKey) = sample;
            Answer a;
            try
            {
                a = await Tenant.SendAsync(server, method, path, method == HttpMethod.Get ? null : body, new()
                {
                    ["Authorization"] = authorization,
                    ["X-API-Version"] = apiVersion,
                    ["Idempotency-Key"] = idempotencyKey,
                });
            }
            catch (Exception e) when (e is UriFormatException || e.Message.Contains("null characters", StringComparison.Ordinal))
            {
                return; // the client (or the in-memory test host) refused to send it; nothing reached Rescind
            }
            Assert.True(a.Code is >= 200 and < 500 or 503, $"{method} {path} → {a.Code}: {a.Body}");
            Assert.NotNull(a.Header("X-Request-Id"));
            if (a.Code >= 400 && path.StartsWith("/tax", StringComparison.Ordinal) && !path.StartsWith("/tax/..", StringComparison.Ordinal))
            {
                try
                {
                    a.IsNumeralError(a.Code, a.Json.GetProperty("type").GetString()!);
                }
                catch (Exception e)
                {
                    throw new InvalidOperationException($"{method} {path} → {a.Code}: {a.Body}", e);
                }
            }
            if (a.Code == 201)
            {
                acknowledged.Add(a.Str("id"));
            }
        }, iter: 400, threads: 4);

        // Nothing was written that was not acknowledged with a 201 (customers and certificate requests alike).
        var requests = await server.CountAsync("SELECT COUNT(*) FROM numeral_requests WHERE account_id = @AccountId", new { t.AccountId });
        var customers = await server.CountAsync("SELECT COUNT(*) FROM numeral_customers WHERE account_id = @AccountId", new { t.AccountId });
        Assert.Equal(acknowledged.Distinct().Count(), requests + customers);
        await Audit.AssertVerifiedAsync(server);
    }

    [Theory]
    [InlineData("{\"name\":\"\\ud800\"}")]
    [InlineData("{\"name\":\"a\\udc00b\"}")]
    [InlineData("{\"\\ud800\":\"x\"}")]
    [InlineData("{\"name\":\"\\ud83d\"}")]
    public async Task A_lone_surrogate_escape_is_400_not_a_storage_failure(string body)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Numeral(HttpMethod.Post, "/tax/customers", body)).IsNumeralError(400, "INVALID_REQUEST");
        Assert.Equal(200, (await t.Numeral(HttpMethod.Post, "/tax/customers", "{\"name\":\"\\ud83d\\ude00 ok\",\"email\":\"a@example.com\"}")).Code); // a proper pair is fine
    }

    [Fact]
    public async Task A_slow_trickling_body_is_read_whole_and_answered_once()
    {
        var t = await Tenant.CreateAsync(server);
        using var content = new StreamContent(new SlowStream(Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', 250) + "\",\"email\":\"slow@example.com\"}"), TimeSpan.FromMilliseconds(2)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/tax/customers") { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + t.LiveKey);
        request.Headers.TryAddWithoutValidation("X-API-Version", "2026-03-01");

        var response = await server.Client.SendAsync(request);

        // The in-memory test host has no minimum data rate, so a slow but finite body completes; what matters here is
        // that it is read whole and answered once, in the envelope (Kestrel's 240 B/s floor guards a real socket).
        Assert.Equal(200, (int)response.StatusCode);
    }

    private sealed class SlowStream(byte[] data, TimeSpan perChunk) : Stream
    {
        private int position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (position >= data.Length)
            {
                return 0;
            }
            await Task.Delay(perChunk, cancellationToken);
            var n = Math.Min(64, Math.Min(buffer.Length, data.Length - position));
            data.AsMemory(position, n).CopyTo(buffer);
            position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

[Trait("Category", "Sqlite")]
public sealed class HostileInputTests_Sqlite(SqliteServer server) : HostileInputTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class HostileInputTests_Postgres(PostgresServer server) : HostileInputTests(server), IClassFixture<PostgresServer>;
