using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>
/// GoCardless's answers are what its OpenAPI documents say: every object of a response carries the properties its
/// schema requires and none it does not name, with values of the declared types (the simulation's answers against
/// the operator document).
/// </summary>
[Trait("Category", "Sqlite")]
public sealed class GoCardlessOpenApiTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    [Fact]
    public async Task Every_answer_of_a_billing_request_s_life_matches_its_documented_schema()
    {
        var docs = await DocsAsync();
        var t = await Tenant.CreateAsync(server);
        var customer = await t.Gc(HttpMethod.Post, "/customers", new { customers = new { email = "pat@example.com", given_name = "Pat", family_name = "Payer", metadata = new { crm = "7" } } });
        docs.Check(customer, "/customers", "post");
        var customerId = customer.Json.GetProperty("customers").GetProperty("id").GetString()!;
        docs.Check(await t.Gc(HttpMethod.Get, "/customers/" + customerId), "/customers/{id}", "get");
        docs.Check(await t.Gc(HttpMethod.Get, "/customers?limit=5"), "/customers", "get");

        var id = await t.CreateBillingRequestAsync(mandate: true, payment: true, customer: customerId);
        docs.Check(await t.BrGetAsync(id), "/billing_requests/{id}", "get");
        var (flowId, _) = await t.CreateFlowAsync(id);
        docs.Check(await t.Gc(HttpMethod.Get, "/billing_request_flows/" + flowId), "/billing_request_flows/{id}", "get");
        docs.Check(await t.Gc(HttpMethod.Post, $"/billing_request_flows/{flowId}/actions/initialise", new { data = new { } }),
            "/billing_request_flows/{id}/actions/initialise", "post");
        foreach (var action in new[] { "collect_customer_details", "collect_bank_account" })
        {
            docs.Operator(await t.PayerAsync(id, action), "/operator/gocardless/billing_requests/{id}/actions/{action}");
        }
        docs.Check(await t.BrActAsync(id, "confirm_payer_details"), "/billing_requests/{id}/actions/{action}", "post");
        docs.Operator(await t.SimulateAsync($"billing_requests/{id}/fulfilling"), "/operator/gocardless/billing_requests/{id}/fulfilling");
        docs.Operator(await t.SimulateAsync($"billing_requests/{id}/fulfil"), "/operator/gocardless/billing_requests/{id}/fulfil");
        docs.Check(await t.BrGetAsync(id), "/billing_requests/{id}", "get");
        docs.Check(await t.BrCancelAsync(id), "/billing_requests/{id}/actions/{action}", "post"); // 422: fulfilled
        docs.Operator(await t.SimulateAsync($"billing_requests/{id}/cancel"), "/operator/gocardless/billing_requests/{id}/cancel");

        var other = await t.CreateBillingRequestAsync();
        var (otherFlow, _) = await t.CreateFlowAsync(other);
        docs.Operator(await t.SimulateAsync($"billing_request_flows/{otherFlow}/abandon"), "/operator/gocardless/billing_request_flows/{id}/abandon");
        docs.Check(await t.BrCancelAsync(other, new { why = "changed mind" }), "/billing_requests/{id}/actions/{action}", "post");
        docs.Operator(await t.SimulateAsync("billing_requests/BRQ000000000000/cancel"), "/operator/gocardless/billing_requests/{id}/cancel");

        docs.Check(await t.Gc(HttpMethod.Get, "/billing_requests?limit=1"), "/billing_requests", "get");
        docs.Check(await t.Gc(HttpMethod.Get, "/billing_requests?colour=red"), "/billing_requests", "get");
        var events = await t.Gc(HttpMethod.Get, "/events?billing_request=" + id);
        docs.Check(events, "/events", "get");
        docs.Check(await t.Gc(HttpMethod.Get, "/events/" + events.Json.GetProperty("events")[0].GetProperty("id").GetString()), "/events/{id}", "get");
        var creditors = await t.Gc(HttpMethod.Get, "/creditors");
        docs.Check(creditors, "/creditors", "get");
        docs.Check(await t.Gc(HttpMethod.Get, "/creditors/" + creditors.Json.GetProperty("creditors")[0].GetProperty("id").GetString()), "/creditors/{id}", "get");
        docs.Check(await t.Gc(HttpMethod.Get, "/billing_requests/BRQ000000000000"), "/billing_requests/{id}", "get");
        docs.Check(await t.Gc(HttpMethod.Get, "/billing_requests", headers: new() { ["Authorization"] = null }), "/billing_requests", "get");
        docs.Check(await t.Gc(HttpMethod.Post, "/billing_requests", "{\"billing_requests\": {}}"), "/billing_requests", "post");
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "gc-openapi-" + Guid.NewGuid() };
        var body = new { billing_requests = new { mandate_request = new { currency = "GBP" } } };
        docs.Check(await t.Gc(HttpMethod.Post, "/billing_requests", body, key), "/billing_requests", "post");
        docs.Check(await t.Gc(HttpMethod.Post, "/billing_requests", body, key), "/billing_requests", "post"); // 409 conflict
    }

    private async Task<Docs> DocsAsync()
    {
        var gc = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/gocardless.json")).RootElement.Clone();
        var op = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/operator.json")).RootElement.Clone();
        return new Docs(gc, op);
    }

    private sealed record Docs(JsonElement GoCardless, JsonElement OperatorDoc)
    {
        public void Check(Answer a, string path, string method) => Validate(GoCardless, a, path, method);

        public void Operator(Answer a, string path) => Validate(OperatorDoc, a, path, "post");

        private static void Validate(JsonElement doc, Answer a, string path, string method)
        {
            var responses = doc.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses");
            Assert.True(responses.TryGetProperty(a.Code.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response),
                $"{method} {path}: {a.Code} is not documented: {a.Body}");
            var schema = response.GetProperty("content").GetProperty("application/json").GetProperty("schema");
            var problems = new List<string>();
            Conform(doc, a.Json, schema, "$", problems);
            Assert.True(problems.Count == 0, $"{method} {path} {a.Code}:\n{string.Join("\n", problems)}\n{a.Body}");
        }

        private static JsonElement Resolve(JsonElement doc, JsonElement schema) =>
            schema.TryGetProperty("$ref", out var r)
                ? doc.GetProperty("components").GetProperty("schemas").GetProperty(r.GetString()!["#/components/schemas/".Length..])
                : schema;

        private static void Conform(JsonElement doc, JsonElement value, JsonElement schema, string at, List<string> problems)
        {
            schema = Resolve(doc, schema);
            if (schema.TryGetProperty("oneOf", out var oneOf))
            {
                var fits = oneOf.EnumerateArray().Select(s =>
                {
                    var p = new List<string>();
                    Conform(doc, value, s, at, p);
                    return p;
                }).ToList();
                if (fits.All(p => p.Count > 0))
                {
                    problems.AddRange(fits.SelectMany(p => p));
                }
                return;
            }
            var types = !schema.TryGetProperty("type", out var t) ? []
                : t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.GetString()!).ToList() : [t.GetString()!];
            var kind = value.ValueKind switch
            {
                JsonValueKind.Object => "object",
                JsonValueKind.Array => "array",
                JsonValueKind.String => "string",
                JsonValueKind.Number => value.TryGetInt64(out _) ? "integer" : "number",
                JsonValueKind.True or JsonValueKind.False => "boolean",
                _ => "null",
            };
            if (types.Count > 0 && !types.Contains(kind) && !(kind == "integer" && types.Contains("number")))
            {
                problems.Add($"{at}: {kind}, documented as {string.Join("|", types)}");
                return;
            }
            if (kind == "object")
            {
                var properties = schema.TryGetProperty("properties", out var ps) ? ps : default;
                var extra = schema.TryGetProperty("additionalProperties", out var ap) ? ap : default;
                foreach (var p in value.EnumerateObject())
                {
                    if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(p.Name, out var ps1))
                    {
                        Conform(doc, p.Value, ps1, at + "." + p.Name, problems);
                    }
                    else if (extra.ValueKind == JsonValueKind.Object)
                    {
                        Conform(doc, p.Value, extra, at + "." + p.Name, problems);
                    }
                    else if (properties.ValueKind == JsonValueKind.Object)
                    {
                        problems.Add($"{at}.{p.Name}: not documented");
                    }
                }
                foreach (var required in schema.TryGetProperty("required", out var rs) ? rs.EnumerateArray().Select(r => r.GetString()!) : [])
                {
                    if (!value.TryGetProperty(required, out _))
                    {
                        problems.Add($"{at}.{required}: documented as required, absent");
                    }
                }
            }
            else if (kind == "array" && schema.TryGetProperty("items", out var items))
            {
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Conform(doc, item, items, $"{at}[{i++}]", problems);
                }
            }
        }
    }
}
