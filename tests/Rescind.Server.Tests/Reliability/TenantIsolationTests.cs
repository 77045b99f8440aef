using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rescind.Server.Tests.Circle;
using Rescind.Server.Tests.CrissCross;
using Rescind.Server.Tests.DigiCert;
using Rescind.Server.Tests.GoCardless;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// Tenant isolation over every route the host maps, read from its <see cref="EndpointDataSource"/> so that a new
/// route cannot escape: each route that names a resource, called by another account with the owner's ids, answers
/// that API's 404 and writes nothing; every operator route refuses a missing or wrong operator credential; revoked
/// keys, test keys on live-only routes and one API's credential on another are refused in the API's envelope.
/// </summary>
public abstract class TenantIsolationTests(RescindServer server)
{
    /// <summary>What the owner has in every API, for the intruder to aim at.</summary>
    private sealed record Owner(
        string NumeralCustomer, string NumeralRequest, string DigiCertOrder, string DigiCertRequest, string Session, string Transaction,
        string BillingRequest, string Flow, string GcCustomer, string Creditor, string GcEvent, string WalletSet, string Wallet,
        string CircleTransaction, string Subscription, string Cancellation, string NumeralCertificate, string Mandate, string Payment, string BankAccount, string Refund,
        string DigiCertIssued, string DigiCertCertificate, string DigiCertUser, string DigiCertWebhook);

    /// <summary>One aimed call; <paramref name="Status"/> is the API's documented answer for an id that is not the
    /// caller's (404, except where the vendor validates a link: GoCardless answers 422 as for a missing one).</summary>
    private sealed record Probe(string Api, HttpMethod Method, string Path, object? Body = null, int Status = 404);

    /// <summary>Every tenant route with a resource id (in the path or, for CrissCross, the body), and how to aim it.</summary>
    private static readonly Dictionary<string, Func<Owner, Func<Dictionary<string, object?>>, Probe>> Swept = new()
    {
        ["GET /tax/customers/{id}"] = (o, _) => new("numeral", HttpMethod.Get, "/tax/customers/" + o.NumeralCustomer),
        ["DELETE /tax/customers/{id}"] = (o, _) => new("numeral", HttpMethod.Delete, "/tax/customers/" + o.NumeralCustomer),
        ["GET /tax/certificate-requests/{request_id}"] = (o, _) => new("numeral", HttpMethod.Get, "/tax/certificate-requests/" + o.NumeralRequest),
        ["DELETE /tax/certificate-requests/{request_id}"] = (o, _) => new("numeral", HttpMethod.Delete, "/tax/certificate-requests/" + o.NumeralRequest),
        ["GET /tax/certificates/{certificate_id}"] = (o, _) => new("numeral", HttpMethod.Get, "/tax/certificates/" + o.NumeralCertificate),
        ["POST /tax/certificate-requests/"] = (o, _) => new("numeral", HttpMethod.Post, "/tax/certificate-requests",
            new { customer_id = o.NumeralCustomer, certificate_type_id = "US-CA-CDTFA-230", jurisdictions = new[] { "US-CA" } }),
        ["GET /services/v2/order/certificate/{order_id}"] = (o, _) => new("digicert", HttpMethod.Get, "/services/v2/order/certificate/" + o.DigiCertOrder),
        ["PUT /services/v2/order/certificate/{order_id}/status"] = (o, _) => new("digicert", HttpMethod.Put, $"/services/v2/order/certificate/{o.DigiCertOrder}/status",
            new { status = "canceled", note = "intruder" }),
        ["POST /services/v2/order/certificate/{order_id}/reissue"] = (o, _) => new("digicert", HttpMethod.Post, $"/services/v2/order/certificate/{o.DigiCertOrder}/reissue", new { }),
        ["PUT /services/v2/order/certificate/{order_id}/revoke"] = (o, _) => new("digicert", HttpMethod.Put, $"/services/v2/order/certificate/{o.DigiCertOrder}/revoke", new { comments = "intruder" }),
        ["GET /services/v2/certificate/download/order/{order_id}"] = (o, _) => new("digicert", HttpMethod.Get, "/services/v2/certificate/download/order/" + o.DigiCertIssued),
        ["GET /services/v2/certificate/download/order/{order_id}/format/{format_type}"] = (o, _) => new("digicert", HttpMethod.Get, $"/services/v2/certificate/download/order/{o.DigiCertIssued}/format/pem_all"),
        ["GET /services/v2/certificate/{certificate_id}/download/format/{format_type}"] = (o, _) => new("digicert", HttpMethod.Get, $"/services/v2/certificate/{o.DigiCertCertificate}/download/format/pem_all"),
        ["GET /services/v2/certificate/{certificate_id}/download/platform"] = (o, _) => new("digicert", HttpMethod.Get, $"/services/v2/certificate/{o.DigiCertCertificate}/download/platform"),
        ["GET /services/v2/user/{user_id}"] = (o, _) => new("digicert", HttpMethod.Get, "/services/v2/user/" + o.DigiCertUser),
        ["PUT /services/v2/user/{user_id}/role"] = (o, _) => new("digicert", HttpMethod.Put, $"/services/v2/user/{o.DigiCertUser}/role", new { access_roles = new[] { new { id = 5 } } }),
        ["POST /services/v2/key/user/{user_id}"] = (o, _) => new("digicert", HttpMethod.Post, $"/services/v2/key/user/{o.DigiCertUser}", new { name = "intruder" }),
        ["PUT /services/v2/webhook/{webhook_id}"] = (o, _) => new("digicert", HttpMethod.Put, "/services/v2/webhook/" + o.DigiCertWebhook, new { endpoint = "https://example.com/intruder" }),
        ["PUT /services/v2/webhook/{webhook_id}/send-challenge"] = (o, _) => new("digicert", HttpMethod.Put, $"/services/v2/webhook/{o.DigiCertWebhook}/send-challenge"),
        ["PUT /services/v2/webhook/{webhook_id}/check-challenge"] = (o, _) => new("digicert", HttpMethod.Put, $"/services/v2/webhook/{o.DigiCertWebhook}/check-challenge", new { token = "x" }),
        ["PUT /services/v2/webhook/{webhook_id}/activate"] = (o, _) => new("digicert", HttpMethod.Put, $"/services/v2/webhook/{o.DigiCertWebhook}/activate"),
        ["PUT /services/v2/webhook/{webhook_id}/deactivate"] = (o, _) => new("digicert", HttpMethod.Put, $"/services/v2/webhook/{o.DigiCertWebhook}/deactivate"),
        ["GET /services/v2/request/{request_id}"] = (o, _) => new("digicert", HttpMethod.Get, "/services/v2/request/" + o.DigiCertRequest),
        ["PUT /services/v2/request/{request_id}/status"] = (o, _) => new("digicert", HttpMethod.Put, $"/services/v2/request/{o.DigiCertRequest}/status", new { status = "rejected", processor_comment = "intruder" }),
        ["GET /v1/checkout/session/{sessionId}"] = (o, _) => new("crisscross", HttpMethod.Get, "/v1/checkout/session/" + o.Session),
        ["POST /v1/checkout/session/cancel"] = (o, _) => new("crisscross", HttpMethod.Post, "/v1/checkout/session/cancel", new { sessionId = o.Session }),
        ["POST /v1/payment"] = (o, _) => new("crisscross", HttpMethod.Post, "/v1/payment", new { sessionId = o.Session, provider = "card", paymentMethod = new { type = "card" } }),
        ["POST /v1/payment/refunds"] = (o, _) => new("crisscross", HttpMethod.Post, "/v1/payment/refunds", new { transactionId = o.Transaction }),
        ["GET /v1/payment/{transactionId:crisscrossPaymentId}"] = (o, _) => new("crisscross", HttpMethod.Get, "/v1/payment/" + o.Transaction),
        ["GET /v1/payment/refunds/{transactionId}"] = (o, _) => new("crisscross", HttpMethod.Get, "/v1/payment/refunds/" + o.Refund),
        ["POST /v1/payment/authorize"] = (o, _) => new("crisscross", HttpMethod.Post, "/v1/payment/authorize", new { transactionId = o.Transaction }),
        ["GET /v1/payment/available-methods"] = (o, _) => new("crisscross", HttpMethod.Get, "/v1/payment/available-methods?sessionId=" + o.Session),
        ["GET /billing_requests/{id}"] = (o, _) => new("gocardless", HttpMethod.Get, "/billing_requests/" + o.BillingRequest),
        ["POST /billing_requests/{id}/actions/{action}"] = (o, _) => new("gocardless", HttpMethod.Post, $"/billing_requests/{o.BillingRequest}/actions/cancel", new { data = new { } }),
        ["GET /billing_request_flows/{id}"] = (o, _) => new("gocardless", HttpMethod.Get, "/billing_request_flows/" + o.Flow),
        ["POST /billing_request_flows/{id}/actions/initialise"] = (o, _) => new("gocardless", HttpMethod.Post, $"/billing_request_flows/{o.Flow}/actions/initialise", new { data = new { } }),
        ["POST /billing_request_flows"] = (o, _) => new("gocardless", HttpMethod.Post, "/billing_request_flows",
            new { billing_request_flows = new { links = new { billing_request = o.BillingRequest } } }, 422),
        ["GET /customers/{id}"] = (o, _) => new("gocardless", HttpMethod.Get, "/customers/" + o.GcCustomer),
        ["GET /creditors/{id}"] = (o, _) => new("gocardless", HttpMethod.Get, "/creditors/" + o.Creditor),
        ["GET /events/{id}"] = (o, _) => new("gocardless", HttpMethod.Get, "/events/" + o.GcEvent),
        ["GET /mandates/{id}"] = (o, _) => new("gocardless", HttpMethod.Get, "/mandates/" + o.Mandate),
        ["GET /payments/{id}"] = (o, _) => new("gocardless", HttpMethod.Get, "/payments/" + o.Payment),
        ["POST /mandates/{id}/actions/cancel"] = (o, _) => new("gocardless", HttpMethod.Post, $"/mandates/{o.Mandate}/actions/cancel", new { data = new { } }),
        ["POST /payments/{id}/actions/cancel"] = (o, _) => new("gocardless", HttpMethod.Post, $"/payments/{o.Payment}/actions/cancel", new { data = new { } }),
        ["GET /customer_bank_accounts/{id}"] = (o, _) => new("gocardless", HttpMethod.Get, "/customer_bank_accounts/" + o.BankAccount),
        ["GET /v1/w3s/walletSets/{id}"] = (o, _) => new("circle", HttpMethod.Get, "/v1/w3s/walletSets/" + o.WalletSet),
        ["GET /v1/w3s/wallets/{id}"] = (o, _) => new("circle", HttpMethod.Get, "/v1/w3s/wallets/" + o.Wallet),
        ["GET /v1/w3s/wallets/{id}/balances"] = (o, _) => new("circle", HttpMethod.Get, $"/v1/w3s/wallets/{o.Wallet}/balances"),
        ["GET /v1/w3s/wallets/{id}/nfts"] = (o, _) => new("circle", HttpMethod.Get, $"/v1/w3s/wallets/{o.Wallet}/nfts"),
        ["GET /v1/w3s/transactions/{id}"] = (o, _) => new("circle", HttpMethod.Get, "/v1/w3s/transactions/" + o.CircleTransaction),
        ["POST /v1/w3s/developer/transactions/{id}/cancel"] = (o, secret) => new("circle", HttpMethod.Post, $"/v1/w3s/developer/transactions/{o.CircleTransaction}/cancel", secret()),
        ["POST /v1/w3s/developer/transactions/{id}/accelerate"] = (o, secret) => new("circle", HttpMethod.Post, $"/v1/w3s/developer/transactions/{o.CircleTransaction}/accelerate", secret()),
        ["POST /v1/w3s/developer/wallets"] = (o, secret) => new("circle", HttpMethod.Post, "/v1/w3s/developer/wallets",
            new Dictionary<string, object?>(secret()) { ["walletSetId"] = o.WalletSet, ["blockchains"] = new[] { "ETH-SEPOLIA" }, ["count"] = 1 }),
        ["PUT /v1/w3s/wallets/{id}"] = (o, _) => new("circle", HttpMethod.Put, "/v1/w3s/wallets/" + o.Wallet, new Dictionary<string, object?> { ["name"] = "intruder" }),
        ["PUT /v1/w3s/developer/walletSets/{id}"] = (o, _) => new("circle", HttpMethod.Put, "/v1/w3s/developer/walletSets/" + o.WalletSet, new Dictionary<string, object?> { ["name"] = "intruder" }),
        ["GET /v1/w3s/transactions/lowestNonceTransaction"] = (o, _) => new("circle", HttpMethod.Get, "/v1/w3s/transactions/lowestNonceTransaction?walletId=" + o.Wallet),
        ["POST /v1/w3s/transactions/transfer/estimateFee"] = (o, _) => new("circle", HttpMethod.Post, "/v1/w3s/transactions/transfer/estimateFee",
            new Dictionary<string, object?> { ["walletId"] = o.Wallet, ["destinationAddress"] = "0x" + new string('1', 40), ["tokenId"] = CircleClient.Usdc("ETH-SEPOLIA"), ["amounts"] = new[] { "1" } }),
        ["GET /v2/notifications/subscriptions/{id}"] = (o, _) => new("circle", HttpMethod.Get, "/v2/notifications/subscriptions/" + o.Subscription),
        ["DELETE /v2/notifications/subscriptions/{id}"] = (o, _) => new("circle", HttpMethod.Delete, "/v2/notifications/subscriptions/" + o.Subscription),
        ["GET /v2/notifications/publicKey/{id}"] = (o, _) => new("circle", HttpMethod.Get, "/v2/notifications/publicKey/" + o.Subscription),
        ["GET /v1/resources/{id}"] = (o, _) => new("rescind", HttpMethod.Get, "/v1/resources/" + o.NumeralRequest),
        ["GET /v1/cancellations/{id}"] = (o, _) => new("rescind", HttpMethod.Get, "/v1/cancellations/" + o.Cancellation),
        ["POST /v1/cancellations/{id}/cancel"] = (o, _) => new("rescind", HttpMethod.Post, $"/v1/cancellations/{o.Cancellation}/cancel", new { }),
        // Bulk: the answer is a cancellation whose every outcome is not_found; the owner's resources stay untouched.
        ["POST /v1/cancellations"] = (o, _) => new("rescind", HttpMethod.Post, "/v1/cancellations",
            new { resources = new[] { o.NumeralRequest, "digicert:" + o.DigiCertOrder, "crisscross:" + o.Session, o.BillingRequest, "circle:" + o.CircleTransaction }, reason = "intruder", idempotency_key = Guid.NewGuid().ToString() },
            201),
    };

    /// <summary>Tenant routes the id sweep does not aim at, each with the reason.</summary>
    private static readonly Dictionary<string, string> NotSwept = new()
    {
        ["GET /healthz"] = "liveness: no tenant data",
        ["GET /coverage"] = "the build's coverage tables: no tenant data",
        ["* /metrics"] = "the Prometheus scrape: operator-only, counts without account ids; its credential is tested in Observability/MetricsTests",
        ["GET /gocardless/flows/{id}"] = "the payer's hosted page: the unguessable flow id is the capability, no account credential (GoCardless's model)",
        ["POST /gocardless/flows/{id}/actions/{action}"] = "the payer's hosted page: the unguessable flow id is the capability, no account credential (GoCardless's model)",
        ["POST /v1/auth/oauth2/token"] = "issues a token for the client_id whose secret is given: another account's id without its secret is 401 (CrissCrossApiTests)",
        ["POST /tax/customers"] = "creates: names no existing resource",
        ["GET /tax/certificates/{certificate_id}/document"] = "a pre-signed download URL: its signature is the capability, no account credential (Numeral's model); signatures and expiry are tested in NumeralCertificateTests",
        ["POST /services/v2/order/certificate/{product_name_id}"] = "creates: the id is a product, not an account's resource",
        ["POST /services/v2/user"] = "creates: names no existing resource",
        ["POST /services/v2/webhook"] = "creates the caller's own webhook: names no existing resource",
        ["GET /services/v2/webhook"] = "the caller's own webhook (none is 400 webhook_invalid_account, the vendor's answer); another account's is never listed (DigiCertWebhookConfigTests)",
        ["POST /v1/checkout/session"] = "creates: names no existing resource",
        ["POST /billing_requests"] = "creates: names no existing resource",
        ["POST /customers"] = "creates: names no existing resource",
        ["POST /v1/w3s/developer/walletSets"] = "creates: names no existing resource",
        ["POST /v1/w3s/developer/transactions/transfer"] = "moves the caller's own wallet: another account's walletId is covered by the wallet GET sweep and CircleApiTests",
        ["POST /v1/faucet/drips"] = "funds an address on a simulated chain; addresses are not account resources",
        ["POST /v2/notifications/subscriptions"] = "creates: names no existing resource",
        ["GET /v1/w3s/config/entity/publicKey"] = "the caller's own entity public key: names no resource",
        ["POST /v1/w3s/config/entity/entitySecret"] = "registers the caller's own entity secret: names no resource",
        ["GET /v1/w3s/tokens/{id}"] = "tokens are the simulated chains' fixed table, the same for every account",
        ["POST /v1/w3s/transactions/validateAddress"] = "checks an address's format: reads no tenant data",
        ["GET /v1/w3s/developer/transactions/feeParameters"] = "the caller's own chain's fee prices: names no resource",
        ["GET /v1/events/stream"] = "a stream that never ends: its account and mode scoping is tested in CancellationsApiTests (Keys_see_their_own_account_and_mode_only, the event stream test)",
        ["* /console"] = Console,
        ["* /console/signin"] = Console,
        ["* /console/signout"] = Console,
        ["* /console/audit"] = Console,
        ["* /console/coverage"] = Console,
        ["* /console/r/{api}/{type}"] = Console,
        ["* /console/r/{api}/{type}/{id}"] = Console,
        ["* /console/r/{api}/{type}/{id}/cancel"] = Console,
    };

    private const string Console = "the operator console: operator-only and across accounts by design; sign-in, the operator credential and antiforgery are tested in Console/ConsoleTests";

    private IReadOnlyList<(string Method, string Pattern)> Routes() =>
        server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Distinct().ToList();

    private static bool IsOperator(string pattern) => pattern.StartsWith("/operator", StringComparison.Ordinal);

    private static bool IsDocument(string pattern) => pattern.StartsWith("/openapi", StringComparison.Ordinal) || pattern.Contains("{**", StringComparison.Ordinal);

    /// <summary>A GET naming no resource: swept by checking the intruder's answer shows none of the owner's ids.</summary>
    private static bool IsList(string route) => route.StartsWith("GET ", StringComparison.Ordinal) && !route.Contains('{', StringComparison.Ordinal);

    private static string Key((string Method, string Pattern) r) => r.Method + " " + r.Pattern;

    [Fact]
    public async Task Every_route_naming_a_resource_answers_another_account_404_in_its_envelope_and_writes_nothing()
    {
        var routes = Routes();
        var tenantRoutes = routes.Where(r => !IsOperator(r.Pattern) && !IsDocument(r.Pattern)).Select(Key).ToList();
        var unlisted = tenantRoutes.Where(k => !Swept.ContainsKey(k) && !NotSwept.ContainsKey(k) && !IsList(k)).ToList();
        Assert.True(unlisted.Count == 0, "routes neither swept nor listed with a reason (add them to Swept or NotSwept): " + string.Join(", ", unlisted));
        var stale = Swept.Keys.Concat(NotSwept.Keys).Except(tenantRoutes).ToList();
        Assert.True(stale.Count == 0, "listed routes the host no longer maps: " + string.Join(", ", stale));

        var (owner, ids) = await OwnerAsync();
        var intruder = await Intruder.CreateAsync(server);
        var stored = new HashSet<string>(); // ids the intruder's own stored bulk cancel names (as not_found)
        foreach (var (route, aim) in Swept)
        {
            var probe = aim(owner, intruder.Secret);
            // A bulk cancel records the intruder's own cancellation object; nothing else may be written.
            var own = probe.Status < 300 ? intruder.AccountId : null;
            if (own is not null)
            {
                stored.UnionWith(ids.Where(id => JsonSerializer.Serialize(probe.Body).Contains(id, StringComparison.Ordinal)));
            }
            var before = await WritesAsync(own);
            var a = await intruder.SendAsync(probe);
            Assert.True(a.Code == probe.Status, $"{route} with another account's id: {a.Code} {a.Body}");
            if (a.Code < 300)
            {
                // Rescind's bulk cancel answers per resource: every one of the owner's is not_found to the intruder.
                var outcomes = a.Json.GetProperty("outcomes").EnumerateArray().Select(x => x.GetProperty("outcome").GetString()).ToList();
                Assert.True(outcomes.Count > 0 && outcomes.All(x => x == "not_found"), $"{route}: {a.Body}");
            }
            else
            {
                InEnvelope(probe.Api, a);
            }
            Assert.True(before == await WritesAsync(own), $"{route} with another account's id wrote something");
            var sent = probe.Path + JsonSerializer.Serialize(probe.Body);
            var leaked = ids.Where(id => a.Body.Contains(id, StringComparison.Ordinal) && !sent.Contains(id, StringComparison.Ordinal)).ToList();
            Assert.True(leaked.Count == 0, $"{route} leaked the owner's {string.Join(", ", leaked)}: {a.Body}");
        }

        // The routes that list (no id): the intruder's lists show none of the owner's resources.
        foreach (var route in tenantRoutes.Where(k => IsList(k) && !NotSwept.ContainsKey(k) && !Swept.ContainsKey(k)))
        {
            var path = route[4..];
            var a = await intruder.SendAsync(new Probe(ApiOf(path), HttpMethod.Get, path));
            Assert.True(a.Code == 200, $"{route}: {a.Code} {a.Body}");
            Assert.DoesNotContain(ids.Except(stored), id => a.Body.Contains(id, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Every_operator_route_refuses_a_missing_or_wrong_operator_credential_with_401_problem_details()
    {
        var tenant = await Tenant.CreateAsync(server);
        var operatorRoutes = Routes().Where(r => IsOperator(r.Pattern)).ToList();
        Assert.True(operatorRoutes.Count > 20, "the endpoint data source did not list the operator routes");
        var wrong = new string?[] { null, "Bearer op_wrong_" + Guid.NewGuid().ToString("N"), "Bearer " + tenant.LiveKey, "Basic " + server.OperatorToken, server.OperatorToken };
        foreach (var (method, pattern) in operatorRoutes)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(pattern, "{[^}]+}", "1");
            foreach (var authorization in wrong)
            {
                var before = await WritesAsync();
                var a = await Tenant.SendAsync(server, new HttpMethod(method), path, method is "POST" or "PUT" or "PATCH" ? "{}" : null, new() { ["Authorization"] = authorization });
                Assert.True(a.Code == 401, $"{method} {pattern} with {authorization ?? "no credential"}: {a.Code} {a.Body}");
                Assert.Equal(401, a.Json.GetProperty("status").GetInt32());
                Assert.Equal("application/problem+json", a.Message.Content.Headers.ContentType?.MediaType);
                Assert.Equal(before, await WritesAsync());
            }
        }
    }

    [Fact]
    public async Task Revoked_keys_and_other_APIs_credentials_are_refused_in_each_APIs_envelope()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server);
        var reads = new (string Api, string Path, string Auth, Dictionary<string, string?> Extra)[]
        {
            ("numeral", "/tax/certificate-requests", "Authorization", new() { ["X-API-Version"] = Tenant.NumeralVersion }),
            ("digicert", "/services/v2/order/certificate", "X-DC-DEVKEY", []),
            ("gocardless", "/billing_requests", "Authorization", new() { ["GoCardless-Version"] = GoCardlessClient.Version }),
            ("circle", "/v1/w3s/wallets", "Authorization", []),
        };
        string Header(string auth, string secret) => auth == "Authorization" ? "Bearer " + secret : secret;
        foreach (var (api, path, auth, extra) in reads)
        {
            var mode = api == "circle" ? "test" : "live";
            var own = new Dictionary<string, string?>(extra) { [auth] = Header(auth, t.Credential(api, mode).Secret) };
            Assert.Equal(200, (await t.SendAsync(HttpMethod.Get, path, null, own)).Code);
            foreach (var foreign in new[] { "numeral", "digicert", "crisscross", "gocardless", "circle" }.Where(f => f != api))
            {
                var headers = new Dictionary<string, string?>(extra) { [auth] = Header(auth, t.Credential(foreign, foreign == "circle" ? "test" : "live").Secret) };
                var a = await t.SendAsync(HttpMethod.Get, path, null, headers);
                Assert.True(a.Code == 401, $"{api} with a {foreign} credential: {a.Code} {a.Body}");
                InEnvelope(api, a);
            }
        }

        // CrissCross: another API's secret as the client secret gets no token.
        var token = await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId, client_secret = t.Credential("numeral", "live").Secret });
        Assert.Equal(401, token.Code);
        Assert.Equal("invalid_client", token.Json.GetProperty("error").GetString()); // the token endpoint's OAuth 2 envelope

        // Revoked: every API's credential stops working at once.
        foreach (var (api, path, auth, extra) in reads)
        {
            var mode = api == "circle" ? "test" : "live";
            var (id, secret) = other.Credential(api, mode);
            Assert.Equal(200, (await other.SendAsync(HttpMethod.Get, path, null, new(extra) { [auth] = Header(auth, secret) })).Code);
            Assert.True((await Tenant.Operator(server, HttpMethod.Delete, "/operator/credentials/" + id)).Code is 200 or 204);
            var a = await other.SendAsync(HttpMethod.Get, path, null, new(extra) { [auth] = Header(auth, secret) });
            Assert.True(a.Code == 401, $"{api} with a revoked key: {a.Code} {a.Body}");
            InEnvelope(api, a);
        }
        var (ccId, ccSecret) = other.Credential("crisscross", "live");
        var m = await CrissCrossMerchant.TokenAsync(other, new { client_id = other.AccountId, client_secret = ccSecret });
        Assert.Equal(200, m.Code);
        Assert.True((await Tenant.Operator(server, HttpMethod.Delete, "/operator/credentials/" + ccId)).Code is 200 or 204);
        var afterRevoke = await other.SendAsync(HttpMethod.Get, "/v1/checkout/sessions", null, new() { ["Authorization"] = "Bearer " + m.Str("access_token") });
        Assert.True(afterRevoke.Code == 401, "a token issued to a revoked client secret still works: " + afterRevoke.Body);
        InEnvelope("crisscross", afterRevoke);
    }

    [Fact]
    public async Task A_test_key_cannot_reach_live_only_certificate_requests_nor_live_data()
    {
        var t = await Tenant.CreateAsync(server);
        var live = await t.PendingRequestAsync();
        var test = new Dictionary<string, string?> { ["Authorization"] = "Bearer " + t.TestKey };
        var before = await WritesAsync();
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/tax/certificate-requests/" + live), (HttpMethod.Delete, "/tax/certificate-requests/" + live) })
        {
            var a = await t.Numeral(method, path, null, test);
            Assert.True(a.Code is 403 or 404, $"{method} {path} with a test key: {a.Code} {a.Body}");
            InEnvelope("numeral", a);
        }
        var list = await t.Numeral(HttpMethod.Get, "/tax/certificate-requests", null, test);
        Assert.DoesNotContain(live, list.Body, StringComparison.Ordinal);
        Assert.Equal(before, await WritesAsync());
        Assert.Equal("pending", (await t.GetAsync(live)).Str("status"));
    }

    /// <summary>Effects: audit rows, events, and idempotency records of anything but a refusal (a refusal may be
    /// remembered under the caller's own key, as the API's idempotency rules say).</summary>
    /// <param name="except">An account whose own cancellation objects (Rescind's bulk cancel records one per call)
    /// are not counted.</param>
    private async Task<(long Audit, long Outbox, long Idempotency)> WritesAsync(string? except = null)
    {
        var mine = except is null ? "" : $" WHERE NOT (account_id = '{except}' AND resource_type = 'cancellation')";
        return (
            await server.CountAsync("SELECT COUNT(*) FROM audit_log" + mine),
            await server.CountAsync("SELECT COUNT(*) FROM outbox" + mine),
            await server.CountAsync("SELECT COUNT(*) FROM idempotency WHERE response_status < 400"));
    }

    private static string ApiOf(string path) => path switch
    {
        _ when path.StartsWith("/tax", StringComparison.Ordinal) => "numeral",
        _ when path.StartsWith("/v1/cancellations", StringComparison.Ordinal) || path.StartsWith("/v1/resources", StringComparison.Ordinal) => "rescind",
        _ when path.StartsWith("/services/v2", StringComparison.Ordinal) => "digicert",
        _ when path.StartsWith("/v1/checkout", StringComparison.Ordinal) || path.StartsWith("/v1/payment", StringComparison.Ordinal) || path.StartsWith("/v1/reports", StringComparison.Ordinal) => "crisscross",
        _ when path.StartsWith("/v1/w3s", StringComparison.Ordinal) || path.StartsWith("/v2/notifications", StringComparison.Ordinal) || path.StartsWith("/v1/faucet", StringComparison.Ordinal) => "circle",
        _ => "gocardless",
    };

    /// <summary>The body is the error envelope of <paramref name="api"/>, and nothing else.</summary>
    private static void InEnvelope(string api, Answer a)
    {
        var j = a.Json;
        var ok = api switch
        {
            "numeral" => j.GetProperty("code").GetInt32() == a.Code && j.GetProperty("type").ValueKind == JsonValueKind.String && j.EnumerateObject().Count() == 3,
            "digicert" => j.GetProperty("errors")[0].GetProperty("code").ValueKind == JsonValueKind.String && j.EnumerateObject().Count() == 1,
            "crisscross" => j.GetProperty("statusCode").GetInt32() == a.Code && j.GetProperty("error").ValueKind == JsonValueKind.String && j.EnumerateObject().Count() == 3,
            "gocardless" => j.GetProperty("error").GetProperty("code").GetInt32() == a.Code && j.EnumerateObject().Count() == 1,
            "circle" => j.GetProperty("code").ValueKind == JsonValueKind.Number && j.GetProperty("message").ValueKind == JsonValueKind.String,
            "rescind" => j.GetProperty("status").GetInt32() == a.Code && a.Message.Content.Headers.ContentType?.MediaType == "application/problem+json",
            _ => false,
        };
        Assert.True(ok, $"not {api}'s envelope: {a.Body}");
    }

    private async Task<(Owner Owner, string[] Ids)> OwnerAsync()
    {
        var c = await CircleClient.CreateAsync(server);
        var t = c.Tenant;
        var customer = await t.CreateCustomerAsync();
        var request = await t.CreateRequestAsync(customer);
        var accepted = await t.CreateRequestAsync(customer);
        await t.SimulateAsync(accepted, "submit");
        var certificate = (await t.SimulateAsync(accepted, "accept")).Str("certificate_id");
        var order = await t.OrderAsync();
        var issued = await t.IssuedOrderAsync();
        var issuedCertificate = (await t.GetOrderAsync(issued)).Json.GetProperty("certificate").GetProperty("id").GetInt64();
        var digicertUser = (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/user/me")).Json.GetProperty("id").GetInt64();
        var token = await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId, client_secret = t.Credential("crisscross", "live").Secret });
        var m = new CrissCrossMerchant(t, token.Str("access_token"));
        var session = await m.SessionAsync();
        var tx = await m.TransactionAsync(session);
        var paidSession = await m.SessionAsync();
        var paidTx = await m.TransactionAsync(paidSession);
        await m.ProviderAsync(paidTx, "complete");
        var refund = (await m.RefundAsync(paidTx)).Str("refundId");
        var br = await t.CreateBillingRequestAsync(payment: true);
        var (flow, _) = await t.CreateFlowAsync(br);
        var fulfilled = (await t.FulfilledRequestAsync()).GetProperty("links");
        async Task<string> FirstAsync(string path, string collection) => (await t.Gc(HttpMethod.Get, path)).Json.GetProperty(collection)[0].GetProperty("id").GetString()!;
        var gcCustomer = (await t.Gc(HttpMethod.Post, "/customers", new { customers = new { email = "owner@example.com", given_name = "Own", family_name = "Er" } })).Json
            .GetProperty("customers").GetProperty("id").GetString()!;
        var (from, to) = await c.WalletPairAsync();
        var ctx = await c.TransferAsync(from, to);
        await using var receiver = await Receiver.StartAsync();
        var sub = await CircleClient.Send(t, HttpMethod.Post, "/v2/notifications/subscriptions",
            JsonSerializer.Serialize(new { endpoint = receiver.BaseUrl + "/owner", notificationTypes = new[] { "*" } }), "test");
        Assert.True(sub.Code == 201, sub.Body);
        var digicertWebhook = await t.DigiCertAsync(HttpMethod.Post, "/services/v2/webhook", new { endpoint = receiver.BaseUrl + "/digicert" });
        Assert.True(digicertWebhook.Code == 201, digicertWebhook.Body);
        var scheduled = await t.SendAsync(HttpMethod.Post, "/v1/cancellations",
            JsonSerializer.Serialize(new { resources = new[] { request }, reason = "later", cancel_at = Rescind.Core.Time.Iso(server.Clock.GetUtcNow().AddYears(5)), idempotency_key = Guid.NewGuid().ToString() }),
            new() { ["Authorization"] = "Bearer " + t.Credential("rescind", "live").Secret });
        Assert.True(scheduled.Code == 201, scheduled.Body);
        var owner = new Owner(customer, request, Str(order.Id), Str(order.RequestId), session, tx, br, flow, gcCustomer, await FirstAsync("/creditors", "creditors"),
            await FirstAsync("/events", "events"), from.GetProperty("walletSetId").GetString()!, from.GetProperty("id").GetString()!, ctx,
            sub.Json.GetProperty("data").GetProperty("id").GetString()!, scheduled.Str("id"), certificate,
            fulfilled.GetProperty("mandate_request_mandate").GetString()!, fulfilled.GetProperty("payment_request_payment").GetString()!,
            fulfilled.GetProperty("customer_bank_account").GetString()!, refund, Str(issued), Str(issuedCertificate), Str(digicertUser),
            Str(digicertWebhook.Json.GetProperty("webhook_id").GetInt64()));
        string[] ids = [customer, request, accepted, certificate, session, tx, paidSession, paidTx, refund, br, flow, gcCustomer, owner.Creditor, owner.GcEvent, owner.WalletSet, owner.Wallet, ctx, owner.Subscription, owner.Cancellation,
            owner.Mandate, owner.Payment, owner.BankAccount];
        return (owner, ids);
    }

    private static string Str(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Another account, with every API's credential and its own registered Circle entity secret.</summary>
    private sealed class Intruder(CircleClient circle, string crissCrossToken)
    {
        public static async Task<Intruder> CreateAsync(RescindServer server)
        {
            var c = await CircleClient.CreateAsync(server);
            var token = await CrissCrossMerchant.TokenAsync(c.Tenant, new { client_id = c.Tenant.AccountId, client_secret = c.Tenant.Credential("crisscross", "live").Secret });
            Assert.True(token.Code == 200, token.Body);
            return new Intruder(c, token.Str("access_token"));
        }

        public string AccountId => circle.AccountId;

        public Dictionary<string, object?> Secret() => new() { ["idempotencyKey"] = Guid.NewGuid().ToString(), ["entitySecretCiphertext"] = circle.Ciphertext() };

        public Task<Answer> SendAsync(Probe p)
        {
            var t = circle.Tenant;
            var headers = p.Api switch
            {
                "numeral" => new Dictionary<string, string?> { ["Authorization"] = "Bearer " + t.LiveKey, ["X-API-Version"] = Tenant.NumeralVersion },
                "digicert" => new() { ["X-DC-DEVKEY"] = t.Credential("digicert", "live").Secret },
                "crisscross" => new() { ["Authorization"] = "Bearer " + crissCrossToken },
                "gocardless" => new() { ["Authorization"] = "Bearer " + t.Credential("gocardless", "live").Secret, ["GoCardless-Version"] = GoCardlessClient.Version },
                "rescind" => new() { ["Authorization"] = "Bearer " + t.Credential("rescind", "live").Secret },
                _ => new() { ["Authorization"] = "Bearer " + t.Credential("circle", "test").Secret },
            };
            if (p.Method != HttpMethod.Get && p.Api is "gocardless" or "crisscross")
            {
                headers["Idempotency-Key"] = Guid.NewGuid().ToString();
            }
            return t.SendAsync(p.Method, p.Path, p.Body is null ? null : JsonSerializer.Serialize(p.Body), headers);
        }
    }
}

[Trait("Category", "Sqlite")]
public sealed class TenantIsolationTests_Sqlite(SqliteServer server) : TenantIsolationTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class TenantIsolationTests_Postgres(PostgresServer server) : TenantIsolationTests(server), IClassFixture<PostgresServer>;
