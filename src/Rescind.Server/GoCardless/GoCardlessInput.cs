using System.Text.Json;
using System.Text.Json.Nodes;
using Rescind.Server.Http;

namespace Rescind.Server.GoCardless;

/// <summary>A validation failure: the field as GoCardless names it, and where in the body it sits.</summary>
public sealed record Invalid(FieldError Error, string Pointer);

/// <summary>Validates request bodies into the commands' inputs; the first problem wins. Pure.</summary>
public static class GoCardlessInput
{
    public static readonly string[] MandateCurrencies = ["GBP", "EUR", "SEK", "DKK", "AUD", "NZD", "USD", "CAD"];
    public static readonly string[] MandateSchemes = ["ach", "autogiro", "bacs", "becs", "becs_nz", "betalingsservice", "faster_payments", "pad", "pay_to", "sepa_core"];
    public static readonly string[] Verify = ["minimum", "recommended", "when_available", "always"];
    public static readonly string[] AuthorisationSources = ["web", "telephone", "paper"];
    public static readonly string[] ConsentTypes = ["one_off", "single", "recurring", "standing", "sporadic"];
    public static readonly string[] FundsSettlements = ["managed", "direct"];

    /// <summary>The request's purpose codes [sdk: the client's enums].</summary>
    public static readonly string[] PurposeCodes = ["mortgage", "utility", "loan", "dependant_support", "gambling", "retail", "salary", "personal", "government", "pension", "tax", "other"];
    public static readonly string[] PaymentContextCodes =
    [
        "billing_goods_and_services_in_advance", "billing_goods_and_services_in_arrears", "face_to_face_point_of_sale",
        "ecommerce_merchant_initiated_payment", "transfer_to_self", "transfer_to_third_party",
    ];

    /// <summary>Metadata: at most 3 keys, keys up to 50 characters, string values up to 500 [doc].</summary>
    public static Invalid? Metadata(JsonElement? value, string field, string pointer)
    {
        if (value is not { } v || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.Object)
        {
            return new(new(field, "must be an object"), pointer);
        }
        var count = 0;
        foreach (var p in v.EnumerateObject())
        {
            count++;
            if (p.Name.Length is 0 or > 50)
            {
                return new(new(field, "keys must be 1 to 50 characters"), pointer + "/" + p.Name);
            }
            if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString()!.Length > 500)
            {
                return new(new(field, "values must be strings of up to 500 characters"), pointer + "/" + p.Name);
            }
        }
        return count > 3 ? new(new(field, "must have at most 3 keys"), pointer) : null;
    }

    private static Invalid? Unknown(JsonElement obj, string pointer, params string[] allowed)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (Array.IndexOf(allowed, p.Name) < 0)
            {
                return new(new(p.Name, "is not a recognised field"), pointer + "/" + p.Name);
            }
        }
        return null;
    }

    private static JsonElement? Get(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static Invalid? OneOf(JsonElement obj, string name, string pointer, string[] values, bool required)
    {
        var v = Get(obj, name);
        if (v is null)
        {
            return required ? new(new(name, "is required"), pointer + "/" + name) : null;
        }
        return v.Value.ValueKind == JsonValueKind.String && values.Contains(v.Value.GetString())
            ? null
            : new(new(name, "must be one of " + string.Join(", ", values)), pointer + "/" + name);
    }

    private static Invalid? Text(JsonElement obj, string name, string pointer, bool required, int max = 255)
    {
        var v = Get(obj, name);
        if (v is null)
        {
            return required ? new(new(name, "is required"), pointer + "/" + name) : null;
        }
        return v.Value.ValueKind == JsonValueKind.String && v.Value.GetString()!.Length is > 0 and var n && n <= max
            ? null
            : new(new(name, $"must be a string of 1 to {max} characters"), pointer + "/" + name);
    }

    private static Invalid? Bool(JsonElement obj, string name, string pointer) =>
        Get(obj, name) is { } v && v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)
            ? new(new(name, "must be true or false"), pointer + "/" + name)
            : null;

    /// <summary>Mandate references: up to 35 characters, the longest any scheme takes (SEPA) [ours]; payment
    /// references up to 140 [ours: the longest scheme's remittance information].</summary>
    public const int MaxMandateReference = 35;
    public const int MaxPaymentReference = 140;

    /// <summary>An amount in minor units: an integer, or a string of digits (the client may send either) [sdk].</summary>
    private static long? MinorUnits(JsonElement a) =>
        a.ValueKind == JsonValueKind.Number && a.TryGetInt64(out var n) ? n
        : a.ValueKind == JsonValueKind.String && long.TryParse(a.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var m) ? m
        : null;

    private static JsonObject? Node(JsonElement? e) => e is { ValueKind: JsonValueKind.Object } v ? JsonNode.Parse(v.GetRawText())!.AsObject() : null;

    public static (NewBillingRequest? Input, Invalid? Error) BillingRequest(JsonElement br)
    {
        const string P = "/billing_requests";
        var error = Unknown(br, P, "mandate_request", "payment_request", "links", "metadata", "fallback_enabled", "purpose_code", "payment_context_code", "payment_purpose_code");
        JsonObject? mandate = null, payment = null;
        if (error is null && Get(br, "mandate_request") is { } m)
        {
            const string M = P + "/mandate_request";
            error = m.ValueKind != JsonValueKind.Object ? new(new("mandate_request", "must be an object"), M)
                : Unknown(m, M, "currency", "scheme", "verify", "constraints", "description", "metadata", "sweeping", "authorisation_source", "reference", "consent_type", "funds_settlement")
                  ?? OneOf(m, "currency", M, MandateCurrencies, required: true)
                  ?? OneOf(m, "scheme", M, MandateSchemes, required: false)
                  ?? OneOf(m, "verify", M, Verify, required: false)
                  ?? OneOf(m, "authorisation_source", M, AuthorisationSources, required: false)
                  ?? OneOf(m, "consent_type", M, ConsentTypes, required: false)
                  ?? OneOf(m, "funds_settlement", M, FundsSettlements, required: false)
                  ?? Text(m, "reference", M, required: false, MaxMandateReference)
                  ?? Text(m, "description", M, required: false, 500)
                  ?? Bool(m, "sweeping", M)
                  ?? Metadata(Get(m, "metadata"), "metadata", M + "/metadata");
            if (error is null)
            {
                var src = Node(m)!;
                mandate = new JsonObject
                {
                    ["currency"] = src["currency"]?.DeepClone(),
                    ["scheme"] = src["scheme"]?.DeepClone() ?? (src["currency"]!.GetValue<string>() == "GBP" ? "bacs" : null),
                    ["verify"] = src["verify"]?.DeepClone() ?? "recommended",
                    ["constraints"] = src["constraints"]?.DeepClone(),
                    ["links"] = new JsonObject(),
                    ["metadata"] = src["metadata"]?.DeepClone() ?? new JsonObject(),
                    ["description"] = src["description"]?.DeepClone(),
                    ["sweeping"] = src["sweeping"]?.DeepClone() ?? false,
                    ["payer_requested_dual_signature"] = false,
                    ["authorisation_source"] = src["authorisation_source"]?.DeepClone(),
                    ["consent_type"] = src["consent_type"]?.DeepClone(),
                    ["funds_settlement"] = src["funds_settlement"]?.DeepClone() ?? "managed",
                    ["reference"] = src["reference"]?.DeepClone(),
                };
            }
        }
        if (error is null && Get(br, "payment_request") is { } p)
        {
            const string Q = P + "/payment_request";
            error = p.ValueKind != JsonValueKind.Object ? new(new("payment_request", "must be an object"), Q)
                : Unknown(p, Q, "amount", "currency", "scheme", "description", "metadata", "app_fee", "reference", "funds_settlement")
                  ?? OneOf(p, "currency", Q, MandateCurrencies, required: true)
                  ?? Text(p, "description", Q, required: false, 500)
                  ?? Text(p, "scheme", Q, required: false, 40)
                  ?? Text(p, "reference", Q, required: false, MaxPaymentReference)
                  ?? OneOf(p, "funds_settlement", Q, FundsSettlements, required: false)
                  ?? Metadata(Get(p, "metadata"), "metadata", Q + "/metadata");
            if (error is null)
            {
                // Amounts are integers in the currency's minor unit [doc]; the client may send them as strings.
                var amount = Get(p, "amount");
                var value = amount is { } a ? MinorUnits(a) ?? 0 : 0;
                var ok = value > 0;
                if (!ok || value < 1)
                {
                    error = new(new("amount", amount is null ? "is required" : "must be a positive whole number of minor units"), Q + "/amount");
                }
                long? appFee = null;
                if (error is null && Get(p, "app_fee") is { } fee)
                {
                    // The fee comes out of the payment: a whole number of minor units, at most the amount [doc].
                    if (!(MinorUnits(fee) is { } f && f >= 0 && f <= value))
                    {
                        error = new(new("app_fee", "must be a whole number of minor units from 0 to the amount"), Q + "/app_fee");
                    }
                    appFee = MinorUnits(fee);
                }
                if (error is null)
                {
                    var src = Node(p)!;
                    payment = new JsonObject
                    {
                        ["amount"] = value,
                        ["currency"] = src["currency"]?.DeepClone(),
                        ["scheme"] = src["scheme"]?.DeepClone() ?? "faster_payments",
                        ["description"] = src["description"]?.DeepClone(),
                        ["metadata"] = src["metadata"]?.DeepClone() ?? new JsonObject(),
                        ["links"] = new JsonObject(),
                        ["app_fee"] = appFee,
                        ["reference"] = src["reference"]?.DeepClone(),
                        ["funds_settlement"] = src["funds_settlement"]?.DeepClone() ?? "managed",
                    };
                }
            }
        }
        if (error is null && mandate is null && payment is null)
        {
            error = new(new("mandate_request", "a billing request needs a mandate_request, a payment_request or both"), P);
        }
        string? customer = null, creditor = null;
        if (error is null && Get(br, "links") is { } links)
        {
            const string L = P + "/links";
            error = links.ValueKind != JsonValueKind.Object ? new(new("links", "must be an object"), L)
                : Unknown(links, L, "customer", "creditor")
                  ?? Text(links, "customer", L, required: false, 32)
                  ?? Text(links, "creditor", L, required: false, 32);
            if (error is null)
            {
                customer = Get(links, "customer")?.GetString();
                creditor = Get(links, "creditor")?.GetString();
            }
        }
        error ??= Metadata(Get(br, "metadata"), "metadata", P + "/metadata") ?? Bool(br, "fallback_enabled", P)
            ?? OneOf(br, "purpose_code", P, PurposeCodes, required: false)
            ?? OneOf(br, "payment_context_code", P, PaymentContextCodes, required: false)
            ?? Text(br, "payment_purpose_code", P, required: false, 35);
        if (error is not null)
        {
            return (null, error);
        }
        var codes = new JsonObject();
        foreach (var name in new[] { "purpose_code", "payment_context_code", "payment_purpose_code" })
        {
            codes[name] = Get(br, name)?.GetString();
        }
        return (new NewBillingRequest(mandate, payment, Node(Get(br, "metadata")) ?? [], customer, creditor,
            Get(br, "fallback_enabled")?.ValueKind == JsonValueKind.True, codes), null);
    }

    public static (JsonObject? Fields, Invalid? Error) Customer(JsonElement c)
    {
        const string P = "/customers";
        var error = Unknown(c, P, [.. GoCardlessCommands.CustomerFields, "metadata"]);
        foreach (var name in GoCardlessCommands.CustomerFields)
        {
            error ??= Text(c, name, P, required: false, name == "email" ? 254 : 255);
        }
        if (error is null && Get(c, "email") is { } email && email.GetString() is { } e && (e.IndexOf('@') is < 1 || e.IndexOf('@') == e.Length - 1))
        {
            error = new(new("email", "is not a valid email address"), P + "/email");
        }
        if (error is null && Get(c, "country_code") is { } cc && cc.GetString() is { } code && (code.Length != 2 || !code.All(char.IsAsciiLetterUpper)))
        {
            error = new(new("country_code", "must be an ISO 3166-1 alpha-2 code such as GB"), P + "/country_code");
        }
        error ??= Metadata(Get(c, "metadata"), "metadata", P + "/metadata");
        return error is null ? (Node(c), null) : (null, error);
    }

    public static (NewFlow? Input, Invalid? Error) Flow(JsonElement f)
    {
        const string P = "/billing_request_flows";
        string[] flags = ["auto_fulfil", "lock_bank_account", "lock_customer_details", "lock_currency", "show_redirect_buttons", "show_success_redirect_button", "skip_success_screen"];
        var error = Unknown(f, P, [.. flags, "redirect_uri", "exit_uri", "language", "links", "prefilled_customer", "prefilled_bank_account", "customer_details_captured"])
            ?? Text(f, "redirect_uri", P, required: false, 2000)
            ?? Text(f, "exit_uri", P, required: false, 2000)
            ?? Text(f, "language", P, required: false, 5);
        foreach (var flag in flags)
        {
            error ??= Bool(f, flag, P);
        }
        string? request = null;
        if (error is null)
        {
            if (Get(f, "links") is not { ValueKind: JsonValueKind.Object } links)
            {
                error = new(new("billing_request", "is required"), P + "/links/billing_request");
            }
            else
            {
                error = Unknown(links, P + "/links", "billing_request") ?? Text(links, "billing_request", P + "/links", required: true, 32);
                request = error is null ? links.GetProperty("billing_request").GetString() : null;
            }
        }
        if (error is not null)
        {
            return (null, error);
        }
        var settings = new JsonObject
        {
            ["redirect_uri"] = Get(f, "redirect_uri")?.GetString(),
            ["exit_uri"] = Get(f, "exit_uri")?.GetString(),
            ["language"] = Get(f, "language")?.GetString(),
            ["prefilled_customer"] = Node(Get(f, "prefilled_customer")),
            ["prefilled_bank_account"] = Node(Get(f, "prefilled_bank_account")),
            ["customer_details_captured"] = false,
        };
        foreach (var flag in flags)
        {
            settings[flag] = Get(f, flag)?.ValueKind == JsonValueKind.True;
        }
        return (new NewFlow(request!, settings, settings["auto_fulfil"]!.GetValue<bool>()), null);
    }

    /// <summary>The <c>data</c> of an action, validated for that action.</summary>
    public static (JsonObject? Data, Invalid? Error) ActionData(string action, JsonElement d)
    {
        const string P = "/data";
        Invalid? error = action switch
        {
            GoCardlessRules.Cancel or GoCardlessRules.Fulfil =>
                Unknown(d, P, "metadata") ?? Metadata(Get(d, "metadata"), "metadata", P + "/metadata"),
            GoCardlessRules.Notify =>
                Unknown(d, P, "notification_type", "redirect_uri") ?? OneOf(d, "notification_type", P, ["email"], required: true) ?? Text(d, "redirect_uri", P, false, 2000),
            GoCardlessRules.Fallback => Unknown(d, P),
            GoCardlessRules.ConfirmPayerDetails =>
                Unknown(d, P, "metadata", "payer_requested_dual_signature") ?? Metadata(Get(d, "metadata"), "metadata", P + "/metadata") ?? Bool(d, "payer_requested_dual_signature", P),
            GoCardlessRules.BankAuthorisation => Unknown(d, P),
            GoCardlessRules.CollectCustomerDetails => CustomerDetails(d),
            GoCardlessRules.CollectBankAccount => BankAccount(d),
            _ => new(new("action", "is not an action of billing requests"), P),
        };
        return error is null ? (Node(d), null) : (null, error);
    }

    /// <summary>The <c>data</c> of a mandate's or payment's cancel: only <c>metadata</c> [sdk].</summary>
    public static (JsonObject? Metadata, Invalid? Error) CancelData(JsonElement d)
    {
        var error = Unknown(d, "/data", "metadata") ?? Metadata(Get(d, "metadata"), "metadata", "/data/metadata");
        return error is null ? (Node(Get(d, "metadata")), null) : (null, error);
    }

    private static Invalid? CustomerDetails(JsonElement d)
    {
        const string P = "/data";
        var error = Unknown(d, P, "customer", "customer_billing_detail");
        if (error is not null)
        {
            return error;
        }
        if (Get(d, "customer") is not { ValueKind: JsonValueKind.Object } c)
        {
            return new(new("customer", "is required"), P + "/customer");
        }
        error = Unknown(c, P + "/customer", "email", "given_name", "family_name", "company_name", "language", "phone_number", "metadata")
            ?? Text(c, "email", P + "/customer", required: true, 254)
            ?? Text(c, "given_name", P + "/customer", false) ?? Text(c, "family_name", P + "/customer", false) ?? Text(c, "company_name", P + "/customer", false)
            ?? Metadata(Get(c, "metadata"), "metadata", P + "/customer/metadata");
        if (error is null && Get(c, "company_name") is null && (Get(c, "given_name") is null || Get(c, "family_name") is null))
        {
            error = new(new("given_name", "given_name and family_name, or company_name, are required"), P + "/customer/given_name");
        }
        if (error is null && Get(d, "customer_billing_detail") is { } b)
        {
            const string B = P + "/customer_billing_detail";
            error = b.ValueKind != JsonValueKind.Object ? new(new("customer_billing_detail", "must be an object"), B)
                : Unknown(b, B, "address_line1", "address_line2", "address_line3", "city", "region", "postal_code", "country_code", "swedish_identity_number", "danish_identity_number", "ip_address");
            if (error is null && Get(b, "country_code") is { } cc && (cc.ValueKind != JsonValueKind.String || cc.GetString() is not { Length: 2 } code || !code.All(char.IsAsciiLetterUpper)))
            {
                error = new(new("country_code", "must be an ISO 3166-1 alpha-2 code such as GB"), B + "/country_code");
            }
        }
        return error;
    }

    private static Invalid? BankAccount(JsonElement d)
    {
        const string P = "/data";
        var error = Unknown(d, P, "account_holder_name", "account_number", "branch_code", "bank_code", "iban", "country_code", "currency", "account_type", "metadata", "account_number_suffix")
            ?? Text(d, "account_holder_name", P, required: true, 18)
            ?? Text(d, "account_number", P, false, 34) ?? Text(d, "branch_code", P, false, 20) ?? Text(d, "iban", P, false, 34)
            ?? Text(d, "country_code", P, false, 2) ?? Text(d, "currency", P, false, 3)
            ?? Metadata(Get(d, "metadata"), "metadata", P + "/metadata");
        if (error is null && Get(d, "iban") is null && Get(d, "account_number") is null)
        {
            error = new(new("account_number", "account_number or iban is required"), P + "/account_number");
        }
        return error;
    }
}
