using Dapper;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Server.DigiCert;

public sealed class OrderRow
{
    public long Id { get; set; }

    public string AccountId { get; set; } = "";

    public string ProductNameId { get; set; } = "";

    public string ProductType { get; set; } = "";

    public string CommonName { get; set; } = "";

    public string Emails { get; set; } = "[]";

    public string? Csr { get; set; }

    public int ValidityYears { get; set; }

    public string PaymentMethod { get; set; } = "";

    public string Status { get; set; } = "";

    public int RefundRequired { get; set; }

    public long? CertificateId { get; set; }

    public string? SerialNumber { get; set; }

    public string? Thumbprint { get; set; }

    /// <summary>The additional names of a TLS order as a JSON array, or null.</summary>
    public string? DnsNames { get; set; }

    public long? OrganizationId { get; set; }

    /// <summary>The Secure Email fields as JSON (<see cref="SmimeDetails"/>), or null.</summary>
    public string? Smime { get; set; }

    public long DateCreated { get; set; }

    public long DateUpdated { get; set; }

    public long? DateIssued { get; set; }

    public long? ValidTill { get; set; }

    public int Version { get; set; }

    public bool HasCsr => Csr is not null;
}

public sealed class RequestRow
{
    public long Id { get; set; }

    public string AccountId { get; set; } = "";

    public long OrderId { get; set; }

    public string Type { get; set; } = "";

    public string Status { get; set; } = "";

    public string? RequesterId { get; set; }

    public string? ProcessorId { get; set; }

    public string? Comments { get; set; }

    public string? ProcessorComment { get; set; }

    public long Date { get; set; }

    public long? DateProcessed { get; set; }

    public int Version { get; set; }

    // The order as the request list shows it (joined, read-only).
    public string OrderStatus { get; set; } = "";

    public string CommonName { get; set; } = "";

    public string ProductNameId { get; set; } = "";

    // The users the requester's and processor's keys act as (joined, read-only; null for a change made outside
    // DigiCert's API, through Rescind's own API or the operator).
    public long? RequesterUserId { get; set; }

    public string? RequesterFirstName { get; set; }

    public string? RequesterLastName { get; set; }

    public string? RequesterEmail { get; set; }

    public long? ProcessorUserId { get; set; }

    public string? ProcessorFirstName { get; set; }

    public string? ProcessorLastName { get; set; }

    public string? ProcessorEmail { get; set; }
}

public sealed class AuditRow
{
    public long Id { get; set; }

    public string ResourceType { get; set; } = "";

    public string ResourceId { get; set; } = "";

    public string Action { get; set; } = "";

    public string? FromState { get; set; }

    public string? ToState { get; set; }

    public string ActorKind { get; set; } = "";

    public string? ActorId { get; set; }

    public string? RequestId { get; set; }

    public string? Reason { get; set; }

    public long At { get; set; }
}

/// <summary>DigiCert's SQL, explicit about every lock and condition. Locks go order first, then its requests.</summary>
public static class DigiCertStore
{
    public const string Api = "digicert";
    public const string OrderType = "order";
    public const string RequestType = "request";

    public const string NewRequest = "new_request";
    public const string ReissueRequest = "reissue";
    public const string RevokeRequest = "revoke";

    private const string OrderColumns =
        """
        id, account_id, product_name_id, product_type,
        common_name, emails, csr, validity_years,
        payment_method, status, refund_required,
        certificate_id, serial_number, date_created,
        date_updated, date_issued, valid_till, version,
        thumbprint, dns_names, organization_id, smime
        """;

    private const string RequestColumns =
        """
        r.id, r.account_id, r.order_id, r.type, r.status,
        r.requester_id, r.processor_id, r.comments,
        r.processor_comment, r.date, r.date_processed, r.version,
        o.status AS OrderStatus, o.common_name, o.product_name_id,
        ru.id AS RequesterUserId, ru.first_name AS RequesterFirstName, ru.last_name AS RequesterLastName, ru.email AS RequesterEmail,
        pu.id AS ProcessorUserId, pu.first_name AS ProcessorFirstName, pu.last_name AS ProcessorLastName, pu.email AS ProcessorEmail
        """;

    private const string SearchClause = @" AND (LOWER(common_name) LIKE @Like ESCAPE '\' OR LOWER(emails) LIKE @Like ESCAPE '\' OR id = @SearchId)";

    /// <summary>A request with its order, and the users its requester's and processor's keys act as.</summary>
    private const string RequestFrom =
        """
        FROM digicert_requests r JOIN digicert_orders o ON o.id = r.order_id
        LEFT JOIN digicert_keys rk ON rk.credential_id = r.requester_id LEFT JOIN digicert_users ru ON ru.id = rk.user_id
        LEFT JOIN digicert_keys pk ON pk.credential_id = r.processor_id LEFT JOIN digicert_users pu ON pu.id = pk.user_id
        """;

    /// <summary>A fresh id from the one DigiCert id space (orders, requests, certificates).</summary>
    public static Task<long> NextIdAsync(UnitOfWork uow, string kind) =>
        uow.ExecuteScalarAsync<long>("INSERT INTO digicert_ids (kind) VALUES (@kind) RETURNING id", new { kind });

    /// <summary>Reads and row-locks an order of the account (any account when <paramref name="accountId"/> is null).</summary>
    public static Task<OrderRow?> LockOrderAsync(UnitOfWork uow, string? accountId, long id) =>
        uow.QuerySingleOrDefaultAsync<OrderRow>(
            $"SELECT {OrderColumns} FROM digicert_orders WHERE id = @id{(accountId is null ? "" : " AND account_id = @accountId")}" + uow.Db.ForUpdate,
            new { id, accountId });

    public static Task<RequestRow?> LockRequestAsync(UnitOfWork uow, long id) =>
        uow.QuerySingleOrDefaultAsync<RequestRow>(
            $"SELECT {RequestColumns} {RequestFrom} WHERE r.id = @id" + uow.Db.ForUpdateOf("r"),
            new { id });

    /// <summary>The order's open request of a type (a pending approval, a pending reissue), locked after its order.</summary>
    public static Task<RequestRow?> LockOpenRequestAsync(UnitOfWork uow, long orderId, string type) =>
        uow.QuerySingleOrDefaultAsync<RequestRow>(
            $"SELECT {RequestColumns} {RequestFrom} WHERE r.order_id = @orderId AND r.type = @type AND r.status IN ('pending', 'submitted') ORDER BY r.id DESC LIMIT 1"
            + uow.Db.ForUpdateOf("r"),
            new { orderId, type });

    /// <summary>The order a request belongs to, read without a lock: the caller then locks order, then request.</summary>
    public static Task<long?> OrderOfRequestAsync(UnitOfWork uow, string accountId, long requestId) =>
        uow.QuerySingleOrDefaultAsync<long?>(
            "SELECT order_id FROM digicert_requests WHERE id = @requestId AND account_id = @accountId", new { requestId, accountId });

    public static async Task<OrderRow?> GetOrderAsync(Database db, string? accountId, long id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<OrderRow>(new CommandDefinition(
            $"SELECT {OrderColumns} FROM digicert_orders WHERE id = @id{(accountId is null ? "" : " AND account_id = @accountId")}", new { id, accountId }, cancellationToken: ct));
    }

    public static async Task<IReadOnlyList<RequestRow>> RequestsOfOrderAsync(Database db, long orderId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<RequestRow>(new CommandDefinition($"SELECT {RequestColumns} {RequestFrom} WHERE r.order_id = @orderId ORDER BY r.id", new { orderId }, cancellationToken: ct))).ToList();
    }

    public static Task<IEnumerable<RequestRow>> RequestsOfOrderAsync(UnitOfWork uow, long orderId) =>
        uow.QueryAsync<RequestRow>($"SELECT {RequestColumns} {RequestFrom} WHERE r.order_id = @orderId ORDER BY r.id", new { orderId });

    public static async Task<RequestRow?> GetRequestAsync(Database db, string accountId, long id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
            $"SELECT {RequestColumns} {RequestFrom} WHERE r.id = @id AND r.account_id = @accountId", new { id, accountId }, cancellationToken: ct));
    }

    /// <summary>The account's orders matching the query, one page with the total. Newest first unless the query
    /// sorts; ties go newest first [ours]. Search matches the order id exactly, or the common name or an email as a
    /// case-insensitive substring; common_name, domain_name, email and serial_number compare case-insensitively.</summary>
    public static async Task<(IReadOnlyList<OrderRow> Page, long Total)> ListOrdersAsync(Database db, string accountId, OrderQuery f, int offset, int limit, CancellationToken ct)
    {
        if (f.MatchesNothing)
        {
            return ([], 0);
        }
        var args = new DynamicParameters(new { accountId, offset, limit });
        var where = new List<string> { "account_id = @accountId" };
        void Add(string clause, string name, object? value)
        {
            where.Add(clause);
            args.Add(name, value);
        }
        if (f.Id is { } id) Add("id = @id", "id", id);
        if (f.Statuses is { } statuses) Add(db.AnyOf("status", "statuses"), "statuses", statuses.ToArray());
        if (f.OrganizationId is { } org) Add("organization_id = @org", "org", org);
        if (f.ProductNameId is { } product) Add("product_name_id = @product", "product", product);
        if (f.CommonName is { } cn) Add("LOWER(common_name) = @cn", "cn", cn.ToLowerInvariant());
        if (f.DomainName is { } domain)
        {
            // The common name or one of the JSON array's names, exactly (case-insensitive).
            Add(@"(LOWER(common_name) = @domain OR LOWER(dns_names) LIKE @domainLike ESCAPE '\')", "domain", domain.ToLowerInvariant());
            args.Add("domainLike", InJsonArray(domain));
        }
        if (f.Email is { } email) Add(@"LOWER(emails) LIKE @emailLike ESCAPE '\'", "emailLike", InJsonArray(email));
        if (f.CertificateId is { } cert) Add("certificate_id = @cert", "cert", cert);
        if (f.SerialNumber is { } serial) Add("serial_number = @serial", "serial", serial.ToUpperInvariant());
        foreach (var (column, range) in new[] { ("valid_till", f.ValidTill), ("date_created", f.DateCreated) })
        {
            if (range?.From is { } from) Add($"{column} >= @{column}_from", column + "_from", from);
            if (range?.To is { } to) Add($"{column} <= @{column}_to", column + "_to", to);
        }
        if (f.Search is { } search)
        {
            where.Add(SearchClause[" AND ".Length..]);
            args.Add("Like", "%" + Escape(search.ToLowerInvariant()) + "%");
            args.Add("SearchId", long.TryParse(search, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1);
        }
        // Orders without a valid_till or organization go last either way, on both databases (their NULL orders differ).
        var order = string.Join(", ", f.Sort.Select(s => (s.Column is "valid_till" or "organization_id" ? $"CASE WHEN {s.Column} IS NULL THEN 1 ELSE 0 END, " : "")
            + s.Column + (s.Descending ? " DESC" : " ASC")).Append("id DESC"));
        var sql = string.Join(" AND ", where);
        await using var connection = await db.OpenAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM digicert_orders WHERE {sql}", args, cancellationToken: ct));
        var rows = await connection.QueryAsync<OrderRow>(new CommandDefinition(
            $"SELECT {OrderColumns} FROM digicert_orders WHERE {sql} ORDER BY {order} LIMIT @limit OFFSET @offset", args, cancellationToken: ct));
        return (rows.ToList(), total);
    }

    /// <summary>The account's order whose primary certificate has this serial number or thumbprint [doc].</summary>
    public static async Task<OrderRow?> GetOrderByCertificateAsync(Database db, string accountId, string serialOrThumbprint, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QueryFirstOrDefaultAsync<OrderRow>(new CommandDefinition(
            $"SELECT {OrderColumns} FROM digicert_orders WHERE account_id = @accountId AND (serial_number = @value OR thumbprint = @value) ORDER BY id LIMIT 1",
            new { accountId, value = serialOrThumbprint.ToUpperInvariant() }, cancellationToken: ct));
    }

    /// <summary>The certificate issued just now, kept beside its order (not among the columns every read carries).</summary>
    public static Task StoreChainAsync(UnitOfWork uow, long orderId, string chainPem) =>
        uow.ExecuteExpectingAsync(1, "UPDATE digicert_orders SET certificate_chain = @chainPem WHERE id = @orderId", new { orderId, chainPem });

    /// <summary>What a download needs of an order of the account, by order id or by its current certificate's id.</summary>
    public sealed class Download
    {
        public long Id { get; set; }

        public string Status { get; set; } = "";

        public string CommonName { get; set; } = "";

        public long? CertificateId { get; set; }

        public long? DateIssued { get; set; }

        public string? CertificateChain { get; set; }
    }

    public static async Task<Download?> GetDownloadAsync(Database db, string accountId, long? orderId, long? certificateId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Download>(new CommandDefinition(
            "SELECT id, status, common_name, certificate_id, date_issued, certificate_chain FROM digicert_orders WHERE account_id = @accountId AND "
            + (orderId is null ? "certificate_id = @certificateId" : "id = @orderId"),
            new { accountId, orderId, certificateId }, cancellationToken: ct));
    }

    /// <summary>Newest first after the order <paramref name="afterId"/> (keyset paging for Rescind's own API), one
    /// more than <paramref name="limit"/> when there are more. Search as in <see cref="ListOrdersAsync"/>.</summary>
    public static async Task<IReadOnlyList<OrderRow>> ListOrdersAfterAsync(
        Database db, string? accountId, string? status, string? search, long? afterId, int limit, CancellationToken ct)
    {
        var where = "1 = 1"
            + (accountId is null ? "" : " AND account_id = @accountId")
            + (status is null ? "" : " AND status = @status")
            + (afterId is null ? "" : " AND id < @afterId")
            + (search is null ? "" : SearchClause);
        var args = new
        {
            accountId,
            status,
            afterId,
            Like = search is null ? null : "%" + Escape(search.ToLowerInvariant()) + "%",
            SearchId = long.TryParse(search, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1,
            take = limit + 1,
        };
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<OrderRow>(new CommandDefinition($"SELECT {OrderColumns} FROM digicert_orders WHERE {where} ORDER BY id DESC LIMIT @take", args, cancellationToken: ct))).ToList();
    }

    public sealed record RequestFilter(string AccountId, string? Status, string? Type, int Offset, int Limit);

    public static async Task<(IReadOnlyList<RequestRow> Page, long Total)> ListRequestsAsync(Database db, RequestFilter f, CancellationToken ct)
    {
        var where = "r.account_id = @AccountId" + (f.Status is null ? "" : " AND r.status = @Status") + (f.Type is null ? "" : " AND r.type = @Type");
        await using var connection = await db.OpenAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM digicert_requests r WHERE {where}", f, cancellationToken: ct));
        var rows = await connection.QueryAsync<RequestRow>(new CommandDefinition(
            $"SELECT {RequestColumns} {RequestFrom} WHERE {where} ORDER BY r.id DESC LIMIT @Limit OFFSET @Offset", f, cancellationToken: ct));
        return (rows.ToList(), total);
    }

    public sealed record AuditFilter(string AccountId, IReadOnlyList<string>? ResourceIds, long? From, long? To, int Offset, int Limit);

    /// <summary>The account's DigiCert audit rows, oldest first, from the shared audit log.</summary>
    public static async Task<(IReadOnlyList<AuditRow> Page, long Total)> AuditAsync(Database db, AuditFilter f, CancellationToken ct)
    {
        // Only orders' and requests' rows: the account's webhook endpoints are audited under the same API, and are not
        // entries of DigiCert's audit log.
        var where = $"account_id = @AccountId AND api = 'digicert' AND resource_type IN ('{OrderType}', '{RequestType}')"
            + (f.ResourceIds is null ? "" : " AND " + db.AnyOf("resource_id", "ResourceIds"))
            + (f.From is null ? "" : " AND at >= @From")
            + (f.To is null ? "" : " AND at <= @To");
        var args = new DynamicParameters(new { f.AccountId, f.From, f.To, f.Offset, f.Limit });
        if (f.ResourceIds is not null)
        {
            args.Add("ResourceIds", f.ResourceIds.ToArray());
        }
        await using var connection = await db.OpenAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM audit_log WHERE {where}", args, cancellationToken: ct));
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(
            $"""
            SELECT id, resource_type, resource_id, action, from_state,
                   to_state, actor_kind, actor_id, request_id, reason, at
            FROM audit_log WHERE {where} ORDER BY id LIMIT @Limit OFFSET @Offset
            """, args, cancellationToken: ct));
        return (rows.ToList(), total);
    }

    /// <summary>A LIKE pattern for one element of a lowercased JSON array of strings, written the way the
    /// serializer writes it (quotes included, the same characters escaped).</summary>
    private static string InJsonArray(string value) => "%" + Escape(System.Text.Json.JsonSerializer.Serialize(value).ToLowerInvariant()) + "%";

    private static string Escape(string s) => s.Replace(@"\", @"\\", StringComparison.Ordinal)
        .Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
}
