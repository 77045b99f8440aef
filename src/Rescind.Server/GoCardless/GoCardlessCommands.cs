using System.Text.Json.Nodes;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
using Rescind.Server.Http;

namespace Rescind.Server.GoCardless;

/// <summary>Who acts and in which data: the account, the mode (live or sandbox) and the event origin
/// (<c>api</c>, <c>payer</c> or <c>gocardless</c>) [sdk].</summary>
public sealed record Caller(string AccountId, string Mode, string Origin);

/// <param name="Codes">purpose_code, payment_context_code and payment_purpose_code as given (null when not).</param>
public sealed record NewBillingRequest(JsonObject? MandateRequest, JsonObject? PaymentRequest, JsonObject Metadata, string? CustomerId, string? CreditorId, bool FallbackEnabled, JsonObject? Codes = null);

public sealed record NewFlow(string BillingRequestId, JsonObject Settings, bool AutoFulfil);

/// <summary>A billing request after a cancel, with its flows as they are now (those the cancel expired included).</summary>
public sealed record CancelledRequest(BillingRequestRow Request, IReadOnlyList<FlowRow> Flows);

/// <summary>
/// Every GoCardless write, as work inside the caller's unit of work: lock (request before its flows) → decide with
/// the pure rules → apply → an outcome. HTTP handlers render it with <see cref="GoCardlessEnvelope"/>; the hosted
/// flow page, the simulation, the jobs and Rescind's own API read it.
/// </summary>
public static class GoCardlessCommands
{
    public const string Cancelled = "This billing request has been cancelled none of the resources have been created.";

    public static async Task<Outcome<CustomerRow>> CreateCustomerAsync(UnitOfWork uow, Caller caller, JsonObject fields)
    {
        var row = new CustomerRow { Id = GoCardlessRules.NewId("CU"), AccountId = caller.AccountId, Mode = caller.Mode, CreatedAt = uow.NowMs, Body = GoCardlessJson.Write(CustomerBody(fields)) };
        await GoCardlessStore.InsertCustomerAsync(uow, row);
        await uow.RecordAsync(new Change(GoCardlessStore.ApiFor(caller.Mode), GoCardlessStore.Customers, row.Id, "create", null, "active", null, null));
        return Outcome.Done(row);
    }

    private static JsonObject CustomerBody(JsonObject fields)
    {
        var body = new JsonObject();
        foreach (var name in CustomerFields)
        {
            body[name] = GoCardlessJson.Clone(fields[name]);
        }
        body["metadata"] = GoCardlessJson.Clone(fields["metadata"]) ?? new JsonObject();
        return body;
    }

    public static readonly string[] CustomerFields =
    [
        "email", "given_name", "family_name", "company_name", "address_line1", "address_line2", "address_line3", "city",
        "region", "postal_code", "country_code", "language", "phone_number", "swedish_identity_number", "danish_identity_number",
    ];

    public static async Task<Outcome<BillingRequestRow>> CreateBillingRequestAsync(UnitOfWork uow, Caller caller, NewBillingRequest input)
    {
        var api = GoCardlessStore.ApiFor(caller.Mode);
        var creditor = await GoCardlessStore.EnsureCreditorAsync(uow, caller.AccountId, caller.Mode);
        if (input.CreditorId is not null && input.CreditorId != creditor.Id)
        {
            return Outcome<BillingRequestRow>.Refuse(GoCardlessEnvelope.UnknownCreditor);
        }
        CustomerRow? customer = null;
        if (input.CustomerId is not null)
        {
            customer = await GoCardlessStore.LockCustomerAsync(uow, caller.AccountId, caller.Mode, input.CustomerId);
            if (customer is null)
            {
                return Outcome<BillingRequestRow>.Refuse(GoCardlessEnvelope.UnknownCustomer);
            }
        }
        var newCustomer = customer is null;
        customer ??= new CustomerRow
        {
            Id = GoCardlessRules.NewId("CU"), AccountId = caller.AccountId, Mode = caller.Mode, CreatedAt = uow.NowMs,
            Body = GoCardlessJson.Write(CustomerBody([])),
        };
        if (newCustomer)
        {
            await GoCardlessStore.InsertCustomerAsync(uow, customer);
        }
        var id = GoCardlessRules.NewId("BRQ");
        var links = new JsonObject
        {
            ["customer"] = customer.Id,
            ["creditor"] = creditor.Id,
            ["organisation"] = "OR" + creditor.Id[2..],
        };
        if (input.MandateRequest is not null)
        {
            links["mandate_request"] = GoCardlessRules.NewId("MRQ");
        }
        if (input.PaymentRequest is not null)
        {
            links["payment_request"] = GoCardlessRules.NewId("PRQ");
        }
        var body = new JsonObject
        {
            ["mandate_request"] = input.MandateRequest,
            ["payment_request"] = input.PaymentRequest,
            ["metadata"] = input.Metadata,
            ["links"] = links,
            ["fallback_enabled"] = input.FallbackEnabled,
            ["fallback_occurred"] = false,
            ["creditor_name"] = creditor.Name,
            ["purpose_code"] = GoCardlessJson.Clone(input.Codes?["purpose_code"]),
            ["payment_context_code"] = GoCardlessJson.Clone(input.Codes?["payment_context_code"]),
            ["payment_purpose_code"] = GoCardlessJson.Clone(input.Codes?["payment_purpose_code"]),
            ["resources"] = new JsonObject
            {
                ["customer"] = GoCardlessJson.Customer(customer),
                ["customer_billing_detail"] = null,
                ["customer_bank_account"] = null,
            },
        };
        var row = new BillingRequestRow
        {
            Id = id, AccountId = caller.AccountId, Mode = caller.Mode, Status = GoCardlessRules.Pending, CustomerId = customer.Id,
            CreatedAt = uow.NowMs, UpdatedAt = uow.NowMs, Version = 1,
            Actions = GoCardlessJson.Actions(GoCardlessRules.InitialActions(input.MandateRequest is not null, input.PaymentRequest is not null)),
            Body = GoCardlessJson.Write(body),
        };
        await GoCardlessStore.InsertRequestAsync(uow, row);
        // The request's change comes first: the idempotency record names it as the created resource.
        await uow.RecordAsync(new Change(api, GoCardlessStore.BillingRequests, id, "create", null, GoCardlessRules.Pending,
            GoCardlessStore.BillingRequests + ".created",
            Event(caller.Origin, "created", "billing_request_created", "This billing request has been created.", id, input.Metadata)));
        if (newCustomer)
        {
            await uow.RecordAsync(new Change(api, GoCardlessStore.Customers, customer.Id, "create", null, "active"));
        }
        return Outcome.Done(row);
    }

    private static string Event(string origin, string action, string cause, string description, string billingRequestId, JsonNode? metadata, JsonObject? extraLinks = null, JsonObject? eventMetadata = null)
    {
        var links = new JsonObject { ["billing_request"] = billingRequestId };
        foreach (var (k, v) in extraLinks ?? [])
        {
            links[k] = GoCardlessJson.Clone(v);
        }
        return GoCardlessJson.EventPayload(GoCardlessStore.BillingRequests, action, origin, cause, description, links,
            eventMetadata, GoCardlessJson.Clone(metadata) as JsonObject);
    }

    /// <summary>
    /// Runs one action on a billing request (API, payer or GoCardless): <paramref name="type"/> is the action's name
    /// in the URL, <paramref name="data"/> its validated <c>data</c>. <paramref name="autoFulfil"/>: a payer flow
    /// with auto_fulfil fulfils in the same transaction when the last action completes.
    /// </summary>
    public static async Task<Outcome<BillingRequestRow>> ActAsync(UnitOfWork uow, Caller? caller, string id, string type, JsonObject data, string? viaFlow = null)
    {
        var row = await GoCardlessStore.LockRequestAsync(uow, caller?.AccountId, caller?.Mode, id);
        if (row is null)
        {
            return Outcome<BillingRequestRow>.Missing(id);
        }
        var origin = caller?.Origin ?? "gocardless";
        var autoFulfil = false;
        if (viaFlow is not null)
        {
            // The payer acts through a flow: it must still be open when the request is locked.
            var flow = await GoCardlessStore.LockFlowAsync(uow, viaFlow);
            if (flow is null || flow.BillingRequestId != row.Id)
            {
                return Outcome<BillingRequestRow>.Missing(viaFlow, GoCardlessStore.Flows);
            }
            if (GoCardlessRules.FlowState(flow.State, flow.ExpiresAt, uow.NowMs) == GoCardlessRules.FlowExpired)
            {
                return Outcome<BillingRequestRow>.Refuse(GoCardlessEnvelope.FlowLinkExpired, GoCardlessRules.FlowExpired);
            }
            autoFulfil = GoCardlessJson.Parse(flow.Body)["auto_fulfil"]?.GetValue<bool>() ?? false;
        }
        return type switch
        {
            GoCardlessRules.Cancel => Request(await CancelAsync(uow, row, origin, data)),
            GoCardlessRules.Fulfil => await FulfilAsync(uow, row, origin, data),
            GoCardlessRules.Notify or GoCardlessRules.Fallback => await SimpleAsync(uow, row, type),
            GoCardlessRules.StartFulfilling => await StartFulfillingAsync(uow, row),
            _ => await CompleteAsync(uow, row, origin, type, data, autoFulfil),
        };
    }

    /// <summary>The API's cancel inside the caller's unit of work, for Rescind's own cancellation API: the request of
    /// the account in whichever mode it lives, with its flows as the cancel leaves them.</summary>
    public static async Task<Outcome<CancelledRequest>> CancelAsync(UnitOfWork uow, string? accountId, string id)
    {
        var mode = await uow.QuerySingleOrDefaultAsync<string>(
            "SELECT mode FROM gc_billing_requests WHERE id = @id" + (accountId is null ? "" : " AND account_id = @accountId"), new { id, accountId });
        var row = mode is null ? null : await GoCardlessStore.LockRequestAsync(uow, accountId, mode, id);
        return row is null ? Outcome<CancelledRequest>.Missing(id) : await CancelAsync(uow, row, "api", []);
    }

    private static Outcome<BillingRequestRow> Request(Outcome<CancelledRequest> outcome) => outcome switch
    {
        Outcome<CancelledRequest>.Done { Value: var v } => Outcome.Done(v.Request),
        Outcome<CancelledRequest>.Refused r => new Outcome<BillingRequestRow>.Refused(r.Reason),
        _ => throw new InvalidOperationException($"a cancel has no such outcome: {outcome}"),
    };

    private static Outcome<BillingRequestRow> Refused(Decision.Refused r) => Outcome<BillingRequestRow>.Refuse(r.Code, r.State);

    private static async Task<Outcome<CancelledRequest>> CancelAsync(UnitOfWork uow, BillingRequestRow row, string origin, JsonObject data)
    {
        var flows = await GoCardlessStore.LockFlowsAsync(uow, row.Id); // children after their parent
        var children = flows.Select(f => new Child(f.Id, GoCardlessRules.FlowState(f.State, f.ExpiresAt, uow.NowMs), CanStop: true)).ToList();
        var decision = GoCardlessRules.Requests.DecideCascade(row.Status, GoCardlessRules.Cancel, GoCardlessRules.Flows, GoCardlessRules.Expire, children);
        if (decision is Decision.Refused r)
        {
            return Outcome<CancelledRequest>.Refuse(r.Code, r.State);
        }
        var t = (Decision.Transitioned)decision;
        var api = GoCardlessStore.ApiFor(row.Mode);
        var body = GoCardlessJson.Parse(row.Body);
        var metadata = TakeMetadata(body, data);
        row.Status = t.To;
        row.Body = GoCardlessJson.Write(body);
        await GoCardlessStore.SaveRequestAsync(uow, row, t.From);
        await uow.CheckpointAsync("gocardless:cancel:saved");
        await uow.RecordAsync(new Change(api, GoCardlessStore.BillingRequests, row.Id, GoCardlessRules.Cancel, t.From, t.To,
            GoCardlessStore.BillingRequests + "." + t.Event,
            Event(origin, "cancelled", "billing_request_cancelled", Cancelled, row.Id, body["metadata"], null, metadata)));
        foreach (var change in t.Cascade)
        {
            // Every open flow of the request ends now, in the same transaction [doc].
            await GoCardlessStore.ExpireFlowAsync(uow, change.Id, uow.NowMs);
            await uow.RecordAsync(new Change(api, GoCardlessStore.Flows, change.Id, GoCardlessRules.Expire, change.From, change.To, Reason: "billing request cancelled"));
            var flow = flows.First(f => f.Id == change.Id);
            flow.State = GoCardlessRules.FlowExpired;
            flow.ExpiresAt = uow.NowMs;
        }
        return Outcome.Done(new CancelledRequest(row, flows));
    }

    /// <summary>An action's <c>data.metadata</c> (cancel, fulfil, confirm_payer_details) becomes the request's metadata
    /// and is the event's <c>metadata</c> [ours: GoCardless documents the field, not where it goes]; the copy for
    /// the event, or null when none was given.</summary>
    private static JsonObject? TakeMetadata(JsonObject body, JsonObject data)
    {
        if (data["metadata"] is not JsonObject metadata)
        {
            return null;
        }
        body["metadata"] = GoCardlessJson.Clone(metadata);
        return (JsonObject)metadata.DeepClone();
    }

    private static async Task<Outcome<BillingRequestRow>> FulfilAsync(UnitOfWork uow, BillingRequestRow row, string origin, JsonObject data)
    {
        var decision = GoCardlessRules.Requests.Decide(row.Status, GoCardlessRules.Fulfil);
        if (decision is Decision.Refused r)
        {
            return Refused(r);
        }
        var t = (Decision.Transitioned)decision;
        var body = GoCardlessJson.Parse(row.Body);
        var metadata = TakeMetadata(body, data);
        var links = (JsonObject)body["links"]!;
        var created = new JsonObject();
        var api = GoCardlessStore.ApiFor(row.Mode);
        var creditor = links["creditor"]!.GetValue<string>();
        var resources = new List<Change>(); // audited after the request's own change, which comes first
        string? md = null;
        if (body["mandate_request"] is JsonObject mandate)
        {
            md = GoCardlessRules.NewId("MD");
            mandate["links"] = new JsonObject { ["mandate"] = md };
            links["mandate_request_mandate"] = md;
            created["mandate_request_mandate"] = md;
            await GoCardlessStore.InsertMandateAsync(uow, NewMandate(uow, row, md, mandate, creditor, links["customer_bank_account"]?.GetValue<string>()));
            resources.Add(Created(api, GoCardlessStore.Mandates, md, origin, new JsonObject { ["mandate"] = md }, mandate["metadata"], "mandate_created", "Mandate created from a billing request."));
        }
        if (body["payment_request"] is JsonObject payment)
        {
            var pm = GoCardlessRules.NewId("PM");
            payment["links"] = new JsonObject { ["payment"] = pm };
            links["payment_request_payment"] = pm;
            created["payment_request_payment"] = pm;
            await GoCardlessStore.InsertPaymentAsync(uow, NewPayment(uow, row, pm, payment, creditor, md));
            var paymentLinks = new JsonObject { ["payment"] = pm };
            if (md is not null)
            {
                paymentLinks["mandate"] = md;
            }
            resources.Add(Created(api, GoCardlessStore.Payments, pm, origin, paymentLinks, payment["metadata"], "payment_created", "Payment created from a billing request."));
        }
        row.Status = t.To;
        row.Body = GoCardlessJson.Write(body);
        await GoCardlessStore.SaveRequestAsync(uow, row, t.From);
        await uow.RecordAsync(new Change(GoCardlessStore.ApiFor(row.Mode), GoCardlessStore.BillingRequests, row.Id, GoCardlessRules.Fulfil, t.From, t.To,
            GoCardlessStore.BillingRequests + "." + t.Event,
            Event(origin, "fulfilled", "billing_request_fulfilled", "This billing request has been fulfilled, and the resources have been created.", row.Id, body["metadata"], created, metadata)));
        foreach (var change in resources)
        {
            await uow.RecordAsync(change);
        }
        return Outcome.Done(row);
    }

    /// <summary>A mandate's or payment's creation at fulfil: its audit row and its <c>created</c> event [doc: GoCardless
    /// sends mandates created and payments created; ours: the wording for one a billing request created].</summary>
    private static Change Created(string api, string type, string id, string origin, JsonObject links, JsonNode? metadata, string cause, string description) =>
        new(api, type, id, "create", null, GoCardlessRules.PendingSubmission, type + ".created",
            GoCardlessJson.EventPayload(type, "created", origin, cause, description, links, null, GoCardlessJson.Clone(metadata) as JsonObject),
            "billing request fulfilled");

    /// <summary>The mandate fulfil creates from the request's mandate_request: pending_submission, on the bank account
    /// collect_bank_account took, with the mandate request's reference, metadata, authorisation source, consent type
    /// and funds settlement [doc: the fields; ours: the reference, scheme and charge date when none is given].</summary>
    private static MandateRow NewMandate(UnitOfWork uow, BillingRequestRow request, string id, JsonObject mandateRequest, string creditor, string? bankAccount)
    {
        var mandateLinks = new JsonObject { ["creditor"] = creditor, ["customer"] = request.CustomerId };
        if (bankAccount is not null)
        {
            mandateLinks["customer_bank_account"] = bankAccount;
        }
        var body = new JsonObject
        {
            ["scheme"] = mandateRequest["scheme"]?.GetValue<string>() ?? GoCardlessRules.SchemeFor(mandateRequest["currency"]!.GetValue<string>()),
            ["next_possible_charge_date"] = GoCardlessRules.NextPossibleChargeDate(uow.NowMs),
            ["payments_require_approval"] = false,
            ["metadata"] = GoCardlessJson.Clone(mandateRequest["metadata"]) ?? new JsonObject(),
            ["authorisation_source"] = GoCardlessJson.Clone(mandateRequest["authorisation_source"]) ?? "web",
            ["consent_type"] = GoCardlessJson.Clone(mandateRequest["consent_type"]),
            ["funds_settlement"] = GoCardlessJson.Clone(mandateRequest["funds_settlement"]) ?? "managed",
            ["verified_at"] = null,
            ["links"] = mandateLinks,
        };
        return new MandateRow
        {
            Id = id, AccountId = request.AccountId, Mode = request.Mode, Status = GoCardlessRules.PendingSubmission, CustomerId = request.CustomerId,
            CustomerBankAccountId = bankAccount, CreditorId = creditor,
            Reference = mandateRequest["reference"]?.GetValue<string>() ?? GoCardlessRules.MandateReference(id), BillingRequestId = request.Id,
            CreatedAt = uow.NowMs, UpdatedAt = uow.NowMs, Version = 1, Body = GoCardlessJson.Write(body),
        };
    }

    /// <summary>The payment fulfil creates from the request's payment_request: pending_submission, charged today (an
    /// instant bank payment) or, on a Direct Debit scheme, on the first possible charge date [ours].</summary>
    private static PaymentRow NewPayment(UnitOfWork uow, BillingRequestRow request, string id, JsonObject paymentRequest, string creditor, string? mandate)
    {
        var scheme = paymentRequest["scheme"]?.GetValue<string>() ?? "faster_payments";
        var paymentLinks = new JsonObject { ["creditor"] = creditor };
        if (mandate is not null)
        {
            paymentLinks["mandate"] = mandate;
        }
        var body = new JsonObject
        {
            ["charge_date"] = scheme == "faster_payments" ? GoCardlessRules.Today(uow.NowMs) : GoCardlessRules.NextPossibleChargeDate(uow.NowMs),
            ["amount"] = paymentRequest["amount"]!.GetValue<long>(),
            ["description"] = GoCardlessJson.Clone(paymentRequest["description"]),
            ["currency"] = GoCardlessJson.Clone(paymentRequest["currency"]),
            ["reference"] = GoCardlessJson.Clone(paymentRequest["reference"]),
            ["app_fee"] = GoCardlessJson.Clone(paymentRequest["app_fee"]),
            ["metadata"] = GoCardlessJson.Clone(paymentRequest["metadata"]) ?? new JsonObject(),
            ["amount_refunded"] = 0,
            ["scheme"] = scheme,
            ["links"] = paymentLinks,
        };
        return new PaymentRow
        {
            Id = id, AccountId = request.AccountId, Mode = request.Mode, Status = GoCardlessRules.PendingSubmission, MandateId = mandate,
            CustomerId = request.CustomerId, CreditorId = creditor, BillingRequestId = request.Id,
            CreatedAt = uow.NowMs, UpdatedAt = uow.NowMs, Version = 1, Body = GoCardlessJson.Write(body),
        };
    }

    private static async Task<Outcome<BillingRequestRow>> StartFulfillingAsync(UnitOfWork uow, BillingRequestRow row)
    {
        switch (GoCardlessRules.Requests.Decide(row.Status, GoCardlessRules.StartFulfilling))
        {
            case Decision.Refused r:
                return Refused(r);
            case Decision.Transitioned t:
                row.Status = t.To;
                await GoCardlessStore.SaveRequestAsync(uow, row, t.From);
                await uow.RecordAsync(new Change(GoCardlessStore.ApiFor(row.Mode), GoCardlessStore.BillingRequests, row.Id, GoCardlessRules.StartFulfilling, t.From, t.To));
                return Outcome.Done(row);
            default:
                return Outcome.AlreadyDone(row);
        }
    }

    private static async Task<Outcome<BillingRequestRow>> SimpleAsync(UnitOfWork uow, BillingRequestRow row, string command)
    {
        var decision = GoCardlessRules.Requests.Decide(row.Status, command);
        if (decision is Decision.Refused r)
        {
            return Refused(r);
        }
        var t = (Decision.Transitioned)decision;
        var body = GoCardlessJson.Parse(row.Body);
        if (command == GoCardlessRules.Fallback)
        {
            if (body["fallback_enabled"]?.GetValue<bool>() != true)
            {
                return Outcome<BillingRequestRow>.Refuse(GoCardlessEnvelope.FallbackNotEnabled, row.Status);
            }
            body["fallback_occurred"] = true;
            row.Body = GoCardlessJson.Write(body);
        }
        await GoCardlessStore.SaveRequestAsync(uow, row, t.From);
        await uow.RecordAsync(new Change(GoCardlessStore.ApiFor(row.Mode), GoCardlessStore.BillingRequests, row.Id, command, t.From, t.To));
        return Outcome.Done(row);
    }

    private static readonly Dictionary<string, (string Event, string Description)> ActionEvents = new(StringComparer.Ordinal)
    {
        [GoCardlessRules.CollectCustomerDetails] = ("collect_customer_details", "The payer's details have been collected."),
        [GoCardlessRules.CollectBankAccount] = ("collect_bank_account", "The payer's bank account has been collected."),
        [GoCardlessRules.ConfirmPayerDetails] = ("payer_details_confirmed", "The payer has confirmed their details."),
        [GoCardlessRules.BankAuthorisation] = ("bank_authorisation_authorised", "The payer has authorised the payment with their bank."),
    };

    private static async Task<Outcome<BillingRequestRow>> CompleteAsync(UnitOfWork uow, BillingRequestRow row, string origin, string type, JsonObject data, bool autoFulfil)
    {
        if (GoCardlessRules.Requests.Decide(row.Status, GoCardlessRules.Act) is Decision.Refused refused)
        {
            return Refused(refused);
        }
        var (actions, command, problem) = GoCardlessRules.Complete(GoCardlessJson.Actions(row.Actions), type);
        switch (problem)
        {
            case GoCardlessRules.ActionProblem.NotRequired:
                return Outcome<BillingRequestRow>.Refuse(GoCardlessEnvelope.ActionNotAvailable, row.Status, type);
            case GoCardlessRules.ActionProblem.RequirementsNotMet:
                return Outcome<BillingRequestRow>.Refuse(GoCardlessEnvelope.RequiredActionsNotCompleted, row.Status, type);
        }
        var t = (Decision.Transitioned)GoCardlessRules.Requests.Decide(row.Status, command);
        var body = GoCardlessJson.Parse(row.Body);
        var resources = (JsonObject)body["resources"]!;
        var links = (JsonObject)body["links"]!;
        Change? collected = null; // the bank account's creation, audited after the request's change
        if (type == GoCardlessRules.CollectCustomerDetails)
        {
            var details = data["customer_billing_detail"] as JsonObject ?? [];
            if (body["mandate_request"] is not null)
            {
                foreach (var required in new[] { "address_line1", "postal_code", "country_code" })
                {
                    if (details[required] is null)
                    {
                        return Outcome<BillingRequestRow>.Refuse(GoCardlessEnvelope.MandateDetailRequired, row.Status, required);
                    }
                }
            }
            var customer = await GoCardlessStore.LockCustomerAsync(uow, row.AccountId, row.Mode, row.CustomerId);
            var customerBody = GoCardlessJson.Parse(customer!.Body);
            foreach (var (k, v) in data["customer"] as JsonObject ?? [])
            {
                customerBody[k] = GoCardlessJson.Clone(v);
            }
            customer.Body = GoCardlessJson.Write(customerBody);
            await GoCardlessStore.UpdateCustomerAsync(uow, customer.Id, customer.Body);
            var cbd = resources["customer_billing_detail"]?["id"]?.GetValue<string>() ?? GoCardlessRules.NewId("CBD");
            var billing = new JsonObject { ["id"] = cbd, ["created_at"] = Time.Iso(uow.NowMs) };
            foreach (var name in new[] { "address_line1", "address_line2", "address_line3", "city", "region", "postal_code", "country_code", "swedish_identity_number", "danish_identity_number", "ip_address" })
            {
                billing[name] = GoCardlessJson.Clone(details[name]);
            }
            resources["customer"] = GoCardlessJson.Customer(customer);
            resources["customer_billing_detail"] = billing;
            links["customer_billing_detail"] = cbd;
        }
        else if (type == GoCardlessRules.CollectBankAccount)
        {
            var ba = GoCardlessRules.NewId("BA");
            var number = data["account_number"]?.GetValue<string>() ?? data["iban"]?.GetValue<string>() ?? "";
            var branch = data["branch_code"]?.GetValue<string>();
            var account = new JsonObject
            {
                ["account_number_ending"] = number.Length >= 2 ? number[^2..] : number,
                ["account_holder_name"] = GoCardlessJson.Clone(data["account_holder_name"]),
                ["account_type"] = GoCardlessJson.Clone(data["account_type"]),
                ["bank_name"] = "REScind TEST BANK",
                ["currency"] = GoCardlessJson.Clone(data["currency"]) ?? GoCardlessJson.Clone(body["mandate_request"]?["currency"]),
                ["country_code"] = GoCardlessJson.Clone(data["country_code"]),
                ["metadata"] = GoCardlessJson.Clone(data["metadata"]) ?? new JsonObject(),
                ["enabled"] = true,
                ["links"] = new JsonObject { ["customer"] = row.CustomerId },
                ["branch_code_ending"] = branch is { Length: >= 2 } ? branch[^2..] : branch,
            };
            // The bank account is a resource of its own from here, in the same transaction as the action [doc].
            var bankAccount = new BankAccountRow
            {
                Id = ba, AccountId = row.AccountId, Mode = row.Mode, CustomerId = row.CustomerId, Enabled = 1, CreatedAt = uow.NowMs,
                Body = GoCardlessJson.Write(account),
            };
            await GoCardlessStore.InsertBankAccountAsync(uow, bankAccount);
            collected = new Change(GoCardlessStore.ApiFor(row.Mode), GoCardlessStore.BankAccounts, ba, "create", null, "enabled");
            resources["customer_bank_account"] = GoCardlessJson.BankAccount(bankAccount);
            links["customer_bank_account"] = ba;
        }
        JsonObject? metadata = null;
        if (type == GoCardlessRules.ConfirmPayerDetails)
        {
            metadata = TakeMetadata(body, data);
            if (body["mandate_request"] is JsonObject mandate && data["payer_requested_dual_signature"] is JsonValue dual)
            {
                mandate["payer_requested_dual_signature"] = dual.GetValue<bool>();
            }
        }
        row.Status = t.To;
        row.Actions = GoCardlessJson.Actions(actions);
        row.Body = GoCardlessJson.Write(body);
        await GoCardlessStore.SaveRequestAsync(uow, row, t.From);
        var (eventAction, description) = ActionEvents[type];
        await uow.RecordAsync(new Change(GoCardlessStore.ApiFor(row.Mode), GoCardlessStore.BillingRequests, row.Id, type, t.From, t.To,
            GoCardlessStore.BillingRequests + "." + eventAction,
            Event(origin, eventAction, "billing_request_" + eventAction, description, row.Id, body["metadata"], null, metadata)));
        if (collected is not null)
        {
            await uow.RecordAsync(collected);
        }
        if (autoFulfil && row.Status == GoCardlessRules.ReadyToFulfil)
        {
            return await FulfilAsync(uow, row, origin, []);
        }
        return Outcome.Done(row);
    }

    public static async Task<Outcome<FlowRow>> CreateFlowAsync(UnitOfWork uow, Caller caller, NewFlow input, string pageBase)
    {
        var request = await GoCardlessStore.LockRequestAsync(uow, caller.AccountId, caller.Mode, input.BillingRequestId);
        if (request is null)
        {
            return Outcome<FlowRow>.Refuse(GoCardlessEnvelope.UnknownBillingRequest);
        }
        // A flow is only for a request that still takes the payer's input (not after cancel or fulfil).
        if (GoCardlessRules.Requests.Decide(request.Status, GoCardlessRules.Act) is Decision.Refused refused)
        {
            return Outcome<FlowRow>.Refuse(refused.Code, refused.State);
        }
        var id = GoCardlessRules.NewId("BRF");
        var body = new JsonObject { ["authorisation_url"] = pageBase.TrimEnd('/') + "/gocardless/flows/" + id };
        foreach (var (k, v) in input.Settings)
        {
            body[k] = GoCardlessJson.Clone(v);
        }
        body["links"] = new JsonObject { ["billing_request"] = request.Id };
        var flow = new FlowRow
        {
            Id = id, AccountId = caller.AccountId, Mode = caller.Mode, BillingRequestId = request.Id, State = GoCardlessRules.FlowActive,
            CreatedAt = uow.NowMs, ExpiresAt = uow.NowMs + (long)GoCardlessRules.FlowLifetime.TotalMilliseconds,
            SessionToken = "sess_" + Ids.Secret(24), Body = GoCardlessJson.Write(body),
        };
        await GoCardlessStore.InsertFlowAsync(uow, flow);
        var api = GoCardlessStore.ApiFor(caller.Mode);
        await uow.RecordAsync(new Change(api, GoCardlessStore.Flows, id, "create", null, GoCardlessRules.FlowActive));
        await uow.RecordAsync(new Change(api, GoCardlessStore.BillingRequests, request.Id, "flow_created", request.Status, request.Status,
            GoCardlessStore.BillingRequests + ".flow_created",
            Event(caller.Origin, "flow_created", "billing_request_flow_created", "A billing request flow has been created.", request.Id,
                GoCardlessJson.Parse(request.Body)["metadata"], new JsonObject { ["billing_request_flow"] = id })));
        return Outcome.Done(flow);
    }

    /// <summary>Initialise: a fresh session token for a flow that is still open [sdk]; an expired flow refuses.</summary>
    public static async Task<Outcome<FlowRow>> InitialiseFlowAsync(UnitOfWork uow, Caller caller, FlowRow seen)
    {
        await GoCardlessStore.LockRequestAsync(uow, caller.AccountId, caller.Mode, seen.BillingRequestId); // parent first
        var flow = await GoCardlessStore.LockFlowAsync(uow, seen.Id);
        if (flow is null || GoCardlessRules.FlowState(flow.State, flow.ExpiresAt, uow.NowMs) == GoCardlessRules.FlowExpired)
        {
            return Outcome<FlowRow>.Refuse(GoCardlessEnvelope.FlowExpired, GoCardlessRules.FlowExpired);
        }
        flow.SessionToken = "sess_" + Ids.Secret(24);
        await GoCardlessStore.RenewSessionAsync(uow, flow.Id, flow.SessionToken);
        await uow.RecordAsync(new Change(GoCardlessStore.ApiFor(caller.Mode), GoCardlessStore.Flows, flow.Id, "initialise", flow.State, flow.State));
        return Outcome.Done(flow);
    }

    /// <summary>The payer leaves a flow for good (simulation) or its 7 days run out (job): it expires now. Already
    /// expired, or (for the job) not yet due: nothing changes, and the flow is answered as it is.</summary>
    public static async Task<Outcome<FlowRow>> ExpireFlowAsync(UnitOfWork uow, string flowId, bool abandoned)
    {
        var seen = await GoCardlessStore.ReadFlowAsync(uow, flowId); // unlocked: the request is locked first
        if (seen is null)
        {
            return Outcome<FlowRow>.Missing(flowId);
        }
        await GoCardlessStore.LockRequestAsync(uow, null, null, seen.BillingRequestId);
        var flow = (await GoCardlessStore.LockFlowAsync(uow, flowId))!;
        var state = GoCardlessRules.FlowState(flow.State, flow.ExpiresAt, uow.NowMs);
        if (GoCardlessRules.Flows.Decide(flow.State, GoCardlessRules.Expire) is Decision.Transitioned t && (abandoned || state == GoCardlessRules.FlowExpired))
        {
            var at = abandoned ? uow.NowMs : Math.Min(flow.ExpiresAt, uow.NowMs);
            await GoCardlessStore.ExpireFlowAsync(uow, flow.Id, at);
            flow.State = t.To;
            flow.ExpiresAt = at;
            await uow.RecordAsync(new Change(GoCardlessStore.ApiFor(flow.Mode), GoCardlessStore.Flows, flow.Id, abandoned ? "abandon" : GoCardlessRules.Expire, t.From, t.To));
            return Outcome.Done(flow);
        }
        return Outcome.AlreadyDone(flow);
    }
}
