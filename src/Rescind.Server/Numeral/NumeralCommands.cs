using System.Text.Json;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
using Rescind.Core.Mail;
using Rescind.Server.Http;

namespace Rescind.Server.Numeral;

public sealed record NewCustomer(string? ReferenceCustomerId, string? Name, string Email, bool IsTaxExempt = false);

public sealed record NewRequest(string CustomerId, string CertificateTypeId, IReadOnlyList<string> Jurisdictions, DateTimeOffset? ExpiresAt);

/// <summary>
/// Every Numeral write, as work inside the caller's unit of work: read and lock, decide with the pure rules, apply,
/// and return what happened as an <see cref="Outcome{T}"/>. The HTTP handlers render it (<see cref="NumeralEnvelope"/>);
/// the CLI, the demo, the jobs and Rescind's own API read it.
/// </summary>
public static class NumeralCommands
{
    /// <summary>A certificate request as of the transaction that read it: its public state is projected at
    /// <paramref name="Now"/>.</summary>
    public sealed record RequestAt(RequestRow Row, long Now);

    /// <summary>Creates a customer; a reference id already held by a customer of the same account and mode is
    /// refused with DUPLICATE_CUSTOMER [doc: the type; ours: 409], so a lookup by reference names one customer.</summary>
    public static async Task<Outcome<CustomerRow>> CreateCustomerAsync(UnitOfWork uow, string mode, NewCustomer input)
    {
        var accountId = uow.Context.AccountId!;
        if (input.ReferenceCustomerId is { } reference)
        {
            // The account row serialises the account's customer creates on PostgreSQL (SQLite writes one at a time),
            // so two creates with one reference id cannot both see it free.
            await uow.QuerySingleOrDefaultAsync<string>("SELECT id FROM accounts WHERE id = @accountId" + uow.Db.ForUpdate, new { accountId });
            if (await NumeralStore.LockCustomerByReferenceAsync(uow, accountId, mode, reference) is not null)
            {
                return Outcome<CustomerRow>.Refuse(NumeralEnvelope.DuplicateCustomer);
            }
        }
        var row = new CustomerRow
        {
            Id = Ids.New("cust_", uow.Clock),
            AccountId = accountId,
            Mode = mode,
            ReferenceCustomerId = input.ReferenceCustomerId,
            Name = input.Name,
            Email = input.Email,
            IsTaxExempt = input.IsTaxExempt ? 1 : 0,
            CreatedAt = uow.NowMs,
        };
        await uow.ExecuteAsync(
            """
            INSERT INTO numeral_customers (id, account_id, mode, reference_customer_id, name, email, is_tax_exempt, created_at)
            VALUES (@Id, @AccountId, @Mode, @ReferenceCustomerId, @Name, @Email, @IsTaxExempt, @CreatedAt)
            """,
            row);
        await uow.RecordAsync(new Change(NumeralStore.Api, NumeralStore.CustomerType, row.Id, "create", null, "active", "customer.created",
            NumeralJson.Serialize(NumeralJson.Customer(row))));
        return Outcome.Done(row);
    }

    /// <summary>Removes a customer; their requests stay, showing <c>customer: null</c> [doc].</summary>
    public static async Task<Outcome<CustomerRow>> DeleteCustomerAsync(UnitOfWork uow, string mode, string id)
    {
        var row = await NumeralStore.LockCustomerAsync(uow, uow.Context.AccountId!, mode, id);
        if (row is null)
        {
            return Outcome<CustomerRow>.Missing(id, NumeralStore.CustomerType);
        }
        await uow.ExecuteExpectingAsync(1, "UPDATE numeral_customers SET deleted_at = @Now WHERE id = @Id AND deleted_at IS NULL", new { Now = uow.NowMs, row.Id });
        row.DeletedAt = uow.NowMs;
        await uow.RecordAsync(new Change(NumeralStore.Api, NumeralStore.CustomerType, row.Id, "delete", "active", "deleted", "customer.deleted",
            NumeralJson.Serialize(NumeralJson.Customer(row))));
        return Outcome.Done(row);
    }

    public static async Task<Outcome<RequestAt>> CreateRequestAsync(UnitOfWork uow, NewRequest input, NumeralOptions options)
    {
        // Certificate requests are live-only, so their customer must be a live one.
        var customer = await NumeralStore.LockCustomerAsync(uow, uow.Context.AccountId!, "live", input.CustomerId);
        if (customer is null)
        {
            return Outcome<RequestAt>.Refuse(NumeralEnvelope.CustomerNotFound);
        }
        if (input.ExpiresAt is { } e && e <= uow.Now)
        {
            return Outcome<RequestAt>.Refuse(NumeralEnvelope.InvalidRequest, detail: "expires_at must be in the future.");
        }
        var row = new RequestRow
        {
            Id = Ids.New("cert_req_", uow.Clock),
            AccountId = uow.Context.AccountId!,
            CustomerId = customer.Id,
            CertificateTypeId = input.CertificateTypeId,
            Jurisdictions = JsonSerializer.Serialize(input.Jurisdictions),
            Status = NumeralRules.Pending,
            CreatedAt = uow.NowMs,
            UpdatedAt = uow.NowMs,
            ExpiresAt = input.ExpiresAt is { } x ? Time.ToUnixMs(x) : null,
            Version = 1,
            CustomerReference = customer.ReferenceCustomerId,
            CustomerEmail = customer.Email,
        };
        await uow.ExecuteAsync(
            """
            INSERT INTO numeral_requests (id, account_id, customer_id, certificate_type_id, jurisdictions, status,
                                          created_at, updated_at, expires_at, version)
            VALUES (@Id, @AccountId, @CustomerId, @CertificateTypeId, @Jurisdictions, @Status,
                    @CreatedAt, @UpdatedAt, @ExpiresAt, @Version)
            """,
            row);
        if (customer.Email is not null && NumeralRules.NextReminder(uow.NowMs, row.ExpiresAt, options.ReminderInterval) is { } due)
        {
            await uow.ExecuteAsync(
                "INSERT INTO numeral_reminders (request_id, account_id, due_at, sent_count) VALUES (@Id, @AccountId, @due, 0)",
                new { row.Id, row.AccountId, due });
        }
        await uow.RecordAsync(new Change(NumeralStore.Api, NumeralStore.RequestType, row.Id, "create", null, NumeralRules.Pending,
            NumeralRules.EventCreated, NumeralJson.Serialize(NumeralJson.Request(row, uow.NowMs))));
        return Outcome.Done(new RequestAt(row, uow.NowMs));
    }

    /// <summary>
    /// Runs a lifecycle command (cancel, expire, or a simulated customer action) on one request: a due expiry first,
    /// then the table's decision. The vendor route, Rescind's own API, the simulation and the jobs all come here.
    /// </summary>
    public static async Task<Outcome<RequestAt>> RunAsync(UnitOfWork uow, string requestId, string command)
    {
        var row = await NumeralStore.LockRequestAsync(uow, uow.Context.AccountId, requestId);
        if (row is null)
        {
            return Outcome<RequestAt>.Missing(requestId);
        }
        var (expiry, decision) = NumeralRules.Decide(row.Status, row.ExpiresAt, command, uow.NowMs);
        if (expiry is Decision.Transitioned expire)
        {
            row = await NumeralStore.ApplyAsync(uow, row, expire, NumeralRules.Expire);
        }
        switch (decision)
        {
            case Decision.Transitioned t:
                // The customer's submission, accepted or rejected, leaves an exemption certificate; an accepted one
                // is the request's certificate_id [doc].
                var certificate = command is NumeralRules.Accept or NumeralRules.Reject
                    ? await CreateCertificateAsync(uow, row, command == NumeralRules.Accept ? NumeralCertificates.Active : NumeralCertificates.Invalid)
                    : null;
                row = await NumeralStore.ApplyAsync(uow, row, t, command, command == NumeralRules.Accept ? certificate : null);
                return Outcome.Done(new RequestAt(row, uow.NowMs));
            case Decision.AlreadyDone:
                return Outcome.AlreadyDone(new RequestAt(row, uow.NowMs));
            case Decision.Refused r:
                return Outcome<RequestAt>.Refuse(r.Code, r.State);
            default:
                throw new InvalidOperationException($"Numeral has no deferred outcomes, got {decision}");
        }
    }

    /// <summary>Writes the certificate of a reviewed submission: valid from today for
    /// <see cref="NumeralCertificates.ValidityDays"/> [ours], with its document and the secret its download URLs are
    /// signed with. Audited, with the event <see cref="NumeralCertificates.EventCreated"/> whose payload is the
    /// certificate as the list shows it [ours: Numeral names no certificate event in 2026-03-01].</summary>
    private static async Task<string> CreateCertificateAsync(UnitOfWork uow, RequestRow request, string status)
    {
        var jurisdictions = JsonSerializer.Deserialize<string[]>(request.Jurisdictions) ?? [];
        var type = NumeralCertificates.TypeOf(request.CertificateTypeId) ?? new CertificateType("", request.CertificateTypeId, request.CertificateTypeId);
        var today = NumeralCertificates.Date(uow.NowMs);
        var id = Ids.New("cert_", uow.Clock);
        var row = new CertificateRow
        {
            Id = id,
            AccountId = request.AccountId,
            CustomerId = request.CustomerId,
            RequestId = request.Id,
            CertificateTypeId = request.CertificateTypeId,
            Jurisdictions = request.Jurisdictions,
            Status = status,
            EffectiveDate = today,
            ExpirationDate = NumeralCertificates.AddDays(today, NumeralCertificates.ValidityDays),
            Document = NumeralCertificates.Document(id, request.CustomerId ?? "(removed)", type, jurisdictions, today),
            DownloadSecret = Ids.Secret(40),
            CreatedAt = uow.NowMs,
            UpdatedAt = uow.NowMs,
            CustomerReference = request.CustomerReference,
            CustomerDeletedAt = request.CustomerDeletedAt,
        };
        await NumeralStore.InsertCertificateAsync(uow, row);
        await uow.RecordAsync(new Change(NumeralStore.Api, NumeralCertificates.ObjectName, id, "create", null, status,
            NumeralCertificates.EventCreated, NumeralJson.Serialize(NumeralJson.Certificate(row, uow.NowMs))));
        return id;
    }

    /// <summary>Sends one due reminder, if the request still waits for its customer, and schedules the next.</summary>
    internal static async Task<bool> SendReminderAsync(UnitOfWork uow, string requestId, long dueAt, TimeSpan interval)
    {
        var row = await NumeralStore.LockRequestAsync(uow, null, requestId); // parent first, as the cancel does
        var sent = await uow.QuerySingleOrDefaultAsync<int?>(
            "SELECT sent_count FROM numeral_reminders WHERE request_id = @requestId AND due_at = @dueAt" + uow.Db.ForUpdate,
            new { requestId, dueAt });
        if (sent is null)
        {
            return false; // sent by another node, or the request stopped waiting
        }
        if (row is null || row.Status != NumeralRules.Pending || row.CustomerEmail is null || row.CustomerDeletedAt is not null)
        {
            await uow.ExecuteAsync("DELETE FROM numeral_reminders WHERE request_id = @requestId", new { requestId });
            return false;
        }
        if (NumeralRules.HasExpired(row.Status, row.ExpiresAt, uow.NowMs))
        {
            // Applying the expiry removes the reminder with it.
            await NumeralStore.ApplyAsync(uow, row, (Decision.Transitioned)NumeralRules.Requests.Decide(row.Status, NumeralRules.Expire), NumeralRules.Expire);
            return false;
        }
        await MailSink.SendAsync(uow, row.CustomerEmail, $"Reminder: a {row.CertificateTypeId} exemption certificate is requested",
            $"Please submit your {row.CertificateTypeId} certificate for {string.Join(", ", JsonSerializer.Deserialize<string[]>(row.Jurisdictions) ?? [])}."
            + (row.ExpiresAt is { } e ? $" The request expires at {Time.Iso(e)}." : ""),
            row.Id);
        if (NumeralRules.NextReminder(uow.NowMs, row.ExpiresAt, interval) is { } next)
        {
            await uow.ExecuteExpectingAsync(1,
                "UPDATE numeral_reminders SET due_at = @next, sent_count = sent_count + 1 WHERE request_id = @requestId AND due_at = @dueAt",
                new { requestId, next, dueAt });
        }
        else
        {
            await uow.ExecuteAsync("DELETE FROM numeral_reminders WHERE request_id = @requestId", new { requestId });
        }
        return true;
    }

    /// <summary>Validates a create body; the first problem wins.</summary>
    public static (NewRequest? Input, FieldError? Error) ParseNewRequest(JsonElement root)
    {
        var f = new JsonFields(root).Allow("customer_id", "certificate_type_id", "jurisdictions", "expires_at");
        var customerId = f.String("customer_id", required: true, 64, id => Ids.HasUuidSuffix(id, "cust_"), "cust_<uuid>");
        var type = f.String("certificate_type_id", required: true, 64, IsCode, "an identifier such as US-CA-CDTFA-230");
        var known = NumeralCertificates.TypeOf(type);
        if (type is not null && known is null)
        {
            f.Fail("certificate_type_id", "certificate_type_id is not a known certificate type; give its stable identifier (e.g. US-CA-CDTFA-230) or its numeric id (e.g. 12).");
        }
        var jurisdictions = f.StringArray("jurisdictions", required: true, 60, 16, IsJurisdiction, "US-CA");
        var expiresAt = f.Timestamp("expires_at", required: false);
        return f.Ok ? (new NewRequest(customerId!, known!.CertificateIdentifier, jurisdictions!, expiresAt), null) : (null, f.Error);
    }

    /// <summary>The create body as the reference has it: <c>email</c> required, <c>name</c>, <c>is_tax_exempt</c>
    /// (default false) and <c>reference_customer_id</c> optional [doc].</summary>
    public static (NewCustomer? Input, FieldError? Error) ParseNewCustomer(JsonElement root)
    {
        var f = new JsonFields(root).Allow("name", "email", "is_tax_exempt", "reference_customer_id");
        var name = f.String("name", required: false, 255);
        var email = f.String("email", required: true, 320, IsEmail, "an email address");
        var exempt = f.Boolean("is_tax_exempt", required: false);
        var reference = f.String("reference_customer_id", required: false, 255);
        return f.Ok ? (new NewCustomer(reference, name, email!, exempt ?? false), null) : (null, f.Error);
    }

    public static bool IsEmail(string e) => e.IndexOf('@') is > 0 and var at && at < e.Length - 1 && !e.Any(char.IsWhiteSpace);

    public static bool IsCode(string s) => s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.');

    public static bool IsJurisdiction(string s) =>
        s.Length is >= 2 and <= 16 && s.All(ch => char.IsAsciiLetterUpper(ch) || char.IsAsciiDigit(ch) || ch == '-');
}
