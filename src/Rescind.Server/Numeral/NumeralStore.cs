using Dapper;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
using Rescind.Core.Storage;

namespace Rescind.Server.Numeral;

public sealed class RequestRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string? CustomerId { get; set; }

    public string CertificateTypeId { get; set; } = "";

    public string Jurisdictions { get; set; } = "[]";

    public string Status { get; set; } = "";

    public string? CertificateId { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? ExpiresAt { get; set; }

    public int Version { get; set; }

    public string? CustomerReference { get; set; }

    public string? CustomerEmail { get; set; }

    public long? CustomerDeletedAt { get; set; }
}

public sealed class CustomerRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string? ReferenceCustomerId { get; set; }

    public string? Name { get; set; }

    public string? Email { get; set; }

    public int IsTaxExempt { get; set; }

    public long CreatedAt { get; set; }

    public long? DeletedAt { get; set; }
}

/// <summary>Numeral's SQL, explicit about every lock and condition.</summary>
public static class NumeralStore
{
    public const string Api = "numeral";
    public const string RequestType = "tax.certificate_request";
    public const string CustomerType = "customer";

    private const string RequestColumns =
        """
        r.id, r.account_id, r.customer_id, r.certificate_type_id,
        r.jurisdictions, r.status, r.certificate_id, r.created_at,
        r.updated_at, r.expires_at, r.version,
        c.reference_customer_id AS CustomerReference, c.email AS CustomerEmail, c.deleted_at AS CustomerDeletedAt
        """;

    private const string RequestFrom = "FROM numeral_requests r LEFT JOIN numeral_customers c ON c.id = r.customer_id";

    private const string CustomerColumns =
        """
        id, account_id, mode, reference_customer_id, name,
        email, is_tax_exempt, created_at, deleted_at
        """;

    /// <summary>Reads and row-locks a request of the account (any account when <paramref name="accountId"/> is null).</summary>
    public static Task<RequestRow?> LockRequestAsync(UnitOfWork uow, string? accountId, string id) =>
        uow.QuerySingleOrDefaultAsync<RequestRow>(
            // FOR UPDATE OF: lock the request only; the customer row is read, not changed.
            $"SELECT {RequestColumns} {RequestFrom} WHERE r.id = @id{(accountId is null ? "" : " AND r.account_id = @accountId")}"
            + uow.Db.ForUpdateOf("r"),
            new { id, accountId });

    public static async Task<RequestRow?> GetRequestAsync(Database db, string? accountId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
            $"SELECT {RequestColumns} {RequestFrom} WHERE r.id = @id{(accountId is null ? "" : " AND r.account_id = @accountId")}", new { id, accountId }, cancellationToken: ct));
    }

    public static async Task<CustomerRow?> GetCustomerAsync(Database db, string accountId, string mode, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<CustomerRow>(new CommandDefinition(
            $"SELECT {CustomerColumns} FROM numeral_customers WHERE id = @id AND account_id = @accountId AND mode = @mode AND deleted_at IS NULL", new { id, accountId, mode }, cancellationToken: ct));
    }

    /// <summary>The mode's live customer with this reference id (at most one: creates refuse a duplicate).</summary>
    public static async Task<CustomerRow?> GetCustomerByReferenceAsync(Database db, string accountId, string mode, string reference, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QueryFirstOrDefaultAsync<CustomerRow>(new CommandDefinition(
            $"SELECT {CustomerColumns} FROM numeral_customers WHERE account_id = @accountId AND mode = @mode AND reference_customer_id = @reference AND deleted_at IS NULL ORDER BY created_at, id",
            new { accountId, mode, reference }, cancellationToken: ct));
    }

    public static Task<CustomerRow?> LockCustomerByReferenceAsync(UnitOfWork uow, string accountId, string mode, string reference) =>
        uow.QuerySingleOrDefaultAsync<CustomerRow>(
            // LIMIT 1: customers from before reference ids were kept unique may share one.
            $"SELECT {CustomerColumns} FROM numeral_customers WHERE account_id = @accountId AND mode = @mode AND reference_customer_id = @reference AND deleted_at IS NULL LIMIT 1"
            + uow.Db.ForUpdate,
            new { accountId, mode, reference });

    /// <summary>The mode's live customers, newest first, after the cursor customer; one extra row tells whether
    /// there is more.</summary>
    public static async Task<IReadOnlyList<CustomerRow>> ListCustomersAsync(Database db, string accountId, string mode, (long CreatedAt, string Id)? after, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<CustomerRow>(new CommandDefinition(
            $"""
            SELECT {CustomerColumns} FROM numeral_customers
            WHERE account_id = @accountId AND mode = @mode AND deleted_at IS NULL
              {(after is null ? "" : "AND (created_at < @AfterCreatedAt OR (created_at = @AfterCreatedAt AND id < @AfterId))")}
            ORDER BY created_at DESC, id DESC LIMIT @Take
            """,
            new { accountId, mode, AfterCreatedAt = after?.CreatedAt, AfterId = after?.Id, Take = limit + 1 }, cancellationToken: ct))).ToList();
    }

    /// <summary>A customer list cursor's position: any customer of the account and mode, removed ones included.</summary>
    public static async Task<(long CreatedAt, string Id)?> CustomerCursorAsync(Database db, string accountId, string mode, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var createdAt = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT created_at FROM numeral_customers WHERE id = @id AND account_id = @accountId AND mode = @mode", new { id, accountId, mode }, cancellationToken: ct));
        return createdAt is { } c ? (c, id) : null;
    }

    public static Task<CustomerRow?> LockCustomerAsync(UnitOfWork uow, string accountId, string mode, string id) =>
        uow.QuerySingleOrDefaultAsync<CustomerRow>(
            $"SELECT {CustomerColumns} FROM numeral_customers WHERE id = @id AND account_id = @accountId AND mode = @mode AND deleted_at IS NULL"
            + uow.Db.ForUpdate,
            new { id, accountId, mode });

    public sealed record ListFilter(
        string? AccountId,
        IReadOnlyList<string>? CustomerIds,
        string? CertificateTypeId,
        long? CreatedAfter,
        long? CreatedBefore,
        long? UpdatedAfter,
        long? UpdatedBefore,
        (long CreatedAt, string Id)? After,
        int Limit,
        string? PublicStatus,
        long Now);

    /// <summary>Newest first; the cursor is the last id of the previous page. Fetches one extra row to know
    /// whether there is more.</summary>
    public static async Task<IReadOnlyList<RequestRow>> ListRequestsAsync(Database db, ListFilter f, CancellationToken ct)
    {
        var where = new List<string>();
        if (f.AccountId is not null)
        {
            where.Add("r.account_id = @AccountId");
        }
        // A pending request past expires_at already shows as invalid, before the expiry job writes it.
        switch (f.PublicStatus)
        {
            case NumeralRules.Pending:
                where.Add("(r.status = 'processing' OR (r.status = 'pending' AND (r.expires_at IS NULL OR r.expires_at > @Now)))");
                break;
            case NumeralRules.Invalid:
                where.Add("(r.status IN ('invalid', 'failed') OR (r.status = 'pending' AND r.expires_at <= @Now))");
                break;
            case not null:
                where.Add("r.status = @PublicStatus");
                break;
        }
        if (f.CustomerIds is not null)
        {
            where.Add(db.AnyOf("r.customer_id", "CustomerIds"));
        }
        if (f.CertificateTypeId is not null)
        {
            where.Add("r.certificate_type_id = @CertificateTypeId");
        }
        Windows(where, "r", f.CreatedAfter, f.CreatedBefore, f.UpdatedAfter, f.UpdatedBefore, f.After);
        var sql = $"SELECT {RequestColumns} {RequestFrom} {(where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where))} ORDER BY r.created_at DESC, r.id DESC LIMIT @Take";
        await using var connection = await db.OpenAsync(ct);
        var args = new DynamicParameters(new
        {
            f.AccountId,
            f.CertificateTypeId,
            f.CreatedAfter,
            f.CreatedBefore,
            f.UpdatedAfter,
            f.UpdatedBefore,
            f.PublicStatus,
            f.Now,
            AfterCreatedAt = f.After?.CreatedAt,
            AfterId = f.After?.Id,
            Take = f.Limit + 1,
        });
        if (f.CustomerIds is not null)
        {
            args.Add("CustomerIds", f.CustomerIds.ToArray());
        }
        return (await connection.QueryAsync<RequestRow>(new CommandDefinition(sql, args, cancellationToken: ct))).ToList();
    }

    /// <summary>The exclusive time windows and the position after the cursor (newest first), on the table aliased
    /// <paramref name="t"/>; the parameters are named as the list filters name them.</summary>
    private static void Windows(List<string> where, string t, long? createdAfter, long? createdBefore, long? updatedAfter, long? updatedBefore, (long, string)? after)
    {
        (bool Given, string Clause)[] clauses =
        [
            (createdAfter is not null, $"{t}.created_at > @CreatedAfter"),
            (createdBefore is not null, $"{t}.created_at < @CreatedBefore"),
            (updatedAfter is not null, $"{t}.updated_at > @UpdatedAfter"),
            (updatedBefore is not null, $"{t}.updated_at < @UpdatedBefore"),
            (after is not null, $"({t}.created_at < @AfterCreatedAt OR ({t}.created_at = @AfterCreatedAt AND {t}.id < @AfterId))"),
        ];
        where.AddRange(clauses.Where(c => c.Given).Select(c => c.Clause));
    }

    public static async Task<(long CreatedAt, string Id)?> CursorAsync(Database db, string? accountId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var createdAt = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT created_at FROM numeral_requests WHERE id = @id" + (accountId is null ? "" : " AND account_id = @accountId"), new { id, accountId }, cancellationToken: ct));
        return createdAt is { } c ? (c, id) : null;
    }

    /// <summary>Customer ids the list filter resolves to; empty when the customer cannot be resolved [doc].</summary>
    public static async Task<IReadOnlyList<string>> ResolveCustomersAsync(Database db, string accountId, string idType, string value, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var column = idType == "reference_customer_id" ? "reference_customer_id" : "id";
        return (await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT id FROM numeral_customers WHERE account_id = @accountId AND mode = 'live' AND deleted_at IS NULL AND {column} = @value", new { accountId, value }, cancellationToken: ct))).ToList();
    }

    /// <summary>The customer's outstanding queue: the requests still waiting for them (public status pending).</summary>
    public static async Task<IReadOnlyList<RequestRow>> OutstandingAsync(Database db, string customerId, long now, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<RequestRow>(new CommandDefinition(
            $"""
            SELECT {RequestColumns} {RequestFrom}
            WHERE r.customer_id = @customerId
              AND (r.status = 'processing' OR (r.status = 'pending' AND (r.expires_at IS NULL OR r.expires_at > @now)))
            ORDER BY r.created_at, r.id
            """, new { customerId, now }, cancellationToken: ct))).ToList();
    }

    private const string CertificateColumns =
        """
        x.id, x.account_id, x.customer_id, x.request_id, x.certificate_type_id, x.jurisdictions, x.status,
        x.effective_date, x.expiration_date, x.document, x.download_secret, x.created_at, x.updated_at,
        c.reference_customer_id AS CustomerReference, c.deleted_at AS CustomerDeletedAt
        """;

    private const string CertificateFrom = "FROM numeral_certificates x LEFT JOIN numeral_customers c ON c.id = x.customer_id";

    public static Task InsertCertificateAsync(UnitOfWork uow, CertificateRow row) =>
        uow.ExecuteAsync(
            """
            INSERT INTO numeral_certificates (id, account_id, customer_id, request_id, certificate_type_id, jurisdictions, status,
                                              effective_date, expiration_date, document, download_secret, created_at, updated_at)
            VALUES (@Id, @AccountId, @CustomerId, @RequestId, @CertificateTypeId, @Jurisdictions, @Status,
                    @EffectiveDate, @ExpirationDate, @Document, @DownloadSecret, @CreatedAt, @UpdatedAt)
            """,
            row);

    /// <summary>A certificate of the account (any account when <paramref name="accountId"/> is null).</summary>
    public static async Task<CertificateRow?> GetCertificateAsync(Database db, string? accountId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<CertificateRow>(new CommandDefinition(
            $"SELECT {CertificateColumns} {CertificateFrom} WHERE x.id = @id{(accountId is null ? "" : " AND x.account_id = @accountId")}", new { id, accountId }, cancellationToken: ct));
    }

    public sealed record CertificateFilter(
        string AccountId,
        IReadOnlyList<string>? CustomerIds,
        string? CertificateTypeId,
        string? Jurisdiction,
        string? PublicStatus,
        string Today,
        long? CreatedAfter,
        long? CreatedBefore,
        long? UpdatedAfter,
        long? UpdatedBefore,
        (long CreatedAt, string Id)? After,
        int Limit);

    /// <summary>Newest first, after the cursor; one extra row tells whether there is more. The public status is
    /// computed from the stored one and the expiration date, as <see cref="NumeralCertificates.PublicStatus"/> does.</summary>
    public static async Task<IReadOnlyList<CertificateRow>> ListCertificatesAsync(Database db, CertificateFilter f, CancellationToken ct)
    {
        var where = new List<string> { "x.account_id = @AccountId" };
        switch (f.PublicStatus)
        {
            case NumeralCertificates.Active:
                where.Add("x.status = 'active' AND (x.expiration_date IS NULL OR x.expiration_date >= @Soon)");
                break;
            case "expiring":
                where.Add("x.status = 'active' AND x.expiration_date >= @Today AND x.expiration_date < @Soon");
                break;
            case "expired":
                where.Add("x.status = 'active' AND x.expiration_date < @Today");
                break;
            case not null:
                where.Add("x.status = @PublicStatus");
                break;
        }
        if (f.CustomerIds is not null)
        {
            where.Add(db.AnyOf("x.customer_id", "CustomerIds"));
        }
        if (f.CertificateTypeId is not null)
        {
            where.Add("x.certificate_type_id = @CertificateTypeId");
        }
        if (f.Jurisdiction is not null)
        {
            // Jurisdictions are validated to A-Z, 0-9 and '-', so the quoted value cannot carry a LIKE wildcard.
            where.Add("x.jurisdictions LIKE @JurisdictionPattern");
        }
        Windows(where, "x", f.CreatedAfter, f.CreatedBefore, f.UpdatedAfter, f.UpdatedBefore, f.After);
        var sql = $"SELECT {CertificateColumns} {CertificateFrom} WHERE {string.Join(" AND ", where)} ORDER BY x.created_at DESC, x.id DESC LIMIT @Take";
        var args = new DynamicParameters(new
        {
            f.AccountId,
            f.CertificateTypeId,
            JurisdictionPattern = "%\"" + f.Jurisdiction + "\"%",
            f.PublicStatus,
            f.Today,
            Soon = NumeralCertificates.AddDays(f.Today, NumeralCertificates.ExpiringDays),
            f.CreatedAfter,
            f.CreatedBefore,
            f.UpdatedAfter,
            f.UpdatedBefore,
            AfterCreatedAt = f.After?.CreatedAt,
            AfterId = f.After?.Id,
            Take = f.Limit + 1,
        });
        if (f.CustomerIds is not null)
        {
            args.Add("CustomerIds", f.CustomerIds.ToArray());
        }
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<CertificateRow>(new CommandDefinition(sql, args, cancellationToken: ct))).ToList();
    }

    public static async Task<(long CreatedAt, string Id)?> CertificateCursorAsync(Database db, string accountId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var createdAt = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT created_at FROM numeral_certificates WHERE id = @id AND account_id = @accountId", new { id, accountId }, cancellationToken: ct));
        return createdAt is { } c ? (c, id) : null;
    }

    /// <summary>
    /// Applies one transition of a locked request: the conditional update, the reminders that stop when the request
    /// stops waiting for its customer, and the audit row with its outbox event.
    /// </summary>
    public static async Task<RequestRow> ApplyAsync(UnitOfWork uow, RequestRow row, Decision.Transitioned t, string command, string? certificateId = null)
    {
        const string update =
            """
            UPDATE numeral_requests SET status = @To, updated_at = @Now, version = version + 1,
                   certificate_id = COALESCE(@certificateId, certificate_id)
            WHERE id = @Id AND version = @Version AND status = @From
            """;
        const string stopReminders = "DELETE FROM numeral_reminders WHERE request_id = @Id";
        var args = new { t.To, Now = uow.NowMs, certificateId, row.Id, row.Version, t.From };
        var stopsWaiting = t.From == NumeralRules.Pending;
        if (stopsWaiting && uow.Db.Kind == DatabaseKind.Postgres)
        {
            // One round trip: the reminders go in a data-modifying CTE; the count is the update's.
            await uow.DeferExpectingAsync(1, $"WITH reminders AS ({stopReminders}) {update}", args);
        }
        else
        {
            await uow.ExecuteExpectingAsync(1, update, args);
            if (stopsWaiting)
            {
                await uow.ExecuteAsync(stopReminders, args);
            }
        }
        row.Status = t.To;
        row.UpdatedAt = uow.NowMs;
        row.Version++;
        row.CertificateId = certificateId ?? row.CertificateId;
        await uow.RecordAsync(new Change(Api, RequestType, row.Id, command, t.From, t.To, t.Event,
            NumeralJson.Serialize(NumeralJson.Request(row, uow.NowMs))));
        return row;
    }
}
