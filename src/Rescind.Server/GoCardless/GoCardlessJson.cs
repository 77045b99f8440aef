using System.Text.Json;
using System.Text.Json.Nodes;
using Rescind.Core;

namespace Rescind.Server.GoCardless;

/// <summary>GoCardless's wire objects, snake_case, each wrapped in its resource key [sdk].</summary>
public static class GoCardlessJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(JsonNode node) => node.ToJsonString(Options);

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public static JsonNode? Clone(JsonNode? node) => node?.DeepClone();

    public static string Wrap(string key, JsonNode value) => Write(new JsonObject { [key] = value });

    public static IReadOnlyList<BillingAction> Actions(string json) =>
        JsonSerializer.Deserialize<List<BillingAction>>(json, ActionOptions) ?? [];

    public static string Actions(IReadOnlyList<BillingAction> actions) => JsonSerializer.Serialize(actions, ActionOptions);

    private static readonly JsonSerializerOptions ActionOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The billing request as GET returns it. Cancelled and fulfilled requests show no actions [seed].</summary>
    public static JsonObject BillingRequest(BillingRequestRow row)
    {
        var body = Parse(row.Body);
        var actions = new JsonArray();
        if (row.Status is not (GoCardlessRules.Cancelled or GoCardlessRules.Fulfilled))
        {
            foreach (var a in Actions(row.Actions))
            {
                actions.Add(new JsonObject
                {
                    ["type"] = a.Type,
                    ["required"] = a.Required,
                    ["completes_actions"] = new JsonArray(a.CompletesActions.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
                    ["requires_actions"] = new JsonArray(a.RequiresActions.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
                    ["status"] = a.Status,
                });
            }
        }
        return new JsonObject
        {
            ["id"] = row.Id,
            ["created_at"] = Time.Iso(row.CreatedAt),
            ["status"] = row.Status,
            ["mandate_request"] = Clone(body["mandate_request"]),
            ["payment_request"] = Clone(body["payment_request"]),
            ["metadata"] = Clone(body["metadata"]) ?? new JsonObject(),
            ["links"] = Clone(body["links"]) ?? new JsonObject(),
            ["fallback_enabled"] = body["fallback_enabled"]?.GetValue<bool>() ?? false,
            ["fallback_occurred"] = body["fallback_occurred"]?.GetValue<bool>() ?? false,
            ["sign_flow_url"] = null,
            ["creditor_name"] = Clone(body["creditor_name"]),
            ["actions"] = actions,
            ["resources"] = Clone(body["resources"]) ?? new JsonObject(),
        };
    }

    public static JsonObject Flow(FlowRow row)
    {
        var body = Parse(row.Body);
        var o = new JsonObject
        {
            ["id"] = row.Id,
            ["created_at"] = Time.Iso(row.CreatedAt),
            ["expires_at"] = Time.Iso(row.ExpiresAt),
            ["session_token"] = row.SessionToken,
        };
        foreach (var (k, v) in body)
        {
            o[k] = Clone(v);
        }
        return o;
    }

    public static JsonObject Customer(CustomerRow row)
    {
        var o = new JsonObject { ["id"] = row.Id, ["created_at"] = Time.Iso(row.CreatedAt) };
        foreach (var (k, v) in Parse(row.Body))
        {
            o[k] = Clone(v);
        }
        return o;
    }

    public static JsonObject Creditor(CreditorRow row) => new()
    {
        ["id"] = row.Id,
        ["created_at"] = Time.Iso(row.CreatedAt),
        ["name"] = row.Name,
        ["country_code"] = "GB",
        ["creditor_type"] = "company",
        ["verification_status"] = "successful",
        ["scheme_identifiers"] = new JsonArray(),
        ["logo_url"] = null,
        ["fx_payout_currency"] = null,
        ["links"] = new JsonObject(),
    };

    public static JsonObject Event(EventRow row)
    {
        var o = new JsonObject { ["id"] = GoCardlessRules.EventId(row.Id), ["created_at"] = Time.Iso(row.CreatedAt) };
        foreach (var (k, v) in Parse(row.Payload))
        {
            o[k] = Clone(v);
        }
        return o;
    }

    /// <summary>An event's payload as the outbox stores it (id and created_at come from the outbox row).</summary>
    public static string EventPayload(string resourceType, string action, string origin, string cause, string description, JsonObject links, JsonObject? metadata = null, JsonObject? resourceMetadata = null) =>
        Write(new JsonObject
        {
            ["resource_type"] = resourceType,
            ["action"] = action,
            ["details"] = new JsonObject { ["origin"] = origin, ["cause"] = cause, ["description"] = description },
            ["metadata"] = metadata ?? new JsonObject(),
            ["resource_metadata"] = resourceMetadata ?? new JsonObject(),
            ["links"] = links,
        });

    public static string List(string key, IEnumerable<JsonObject> items, string? before, string? after, int limit) =>
        Write(new JsonObject
        {
            [key] = new JsonArray(items.Select(i => (JsonNode?)i).ToArray()),
            ["meta"] = new JsonObject
            {
                ["cursors"] = new JsonObject { ["before"] = before, ["after"] = after },
                ["limit"] = limit,
            },
        });
}
