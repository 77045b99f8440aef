using Dapper;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Server.GoCardless;

public sealed class BillingRequestRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string Status { get; set; } = "";

    public string CustomerId { get; set; } = "";

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public int Version { get; set; }

    public string Actions { get; set; } = "[]";

    public string Body { get; set; } = "{}";
}

public sealed class FlowRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string BillingRequestId { get; set; } = "";

    public string State { get; set; } = "";

    public long CreatedAt { get; set; }

    public long ExpiresAt { get; set; }

    public string SessionToken { get; set; } = "";

    public string Body { get; set; } = "{}";
}

public sealed class CustomerRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public long CreatedAt { get; set; }

    public string Body { get; set; } = "{}";
}

public sealed class CreditorRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string Name { get; set; } = "";

    public long CreatedAt { get; set; }
}

public sealed class BankAccountRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string CustomerId { get; set; } = "";

    /// <summary>1 enabled, 0 disabled (the body's <c>enabled</c>, as a column for the list's filter).</summary>
    public int Enabled { get; set; } = 1;

    public long CreatedAt { get; set; }

    public string Body { get; set; } = "{}";
}

public sealed class MandateRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string Status { get; set; } = "";

    public string CustomerId { get; set; } = "";

    public string? CustomerBankAccountId { get; set; }

    public string CreditorId { get; set; } = "";

    public string Reference { get; set; } = "";

    public string BillingRequestId { get; set; } = "";

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public int Version { get; set; }

    public string Body { get; set; } = "{}";
}

public sealed class PaymentRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string Status { get; set; } = "";

    public string? MandateId { get; set; }

    public string CustomerId { get; set; } = "";

    public string CreditorId { get; set; } = "";

    public string BillingRequestId { get; set; } = "";

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public int Version { get; set; }

    public string Body { get; set; } = "{}";
}

public sealed class EventRow
{
    public long Id { get; set; }

    public string Payload { get; set; } = "{}";

    public long CreatedAt { get; set; }
}

/// <summary>A page request: newest first; <c>after</c> pages to older items, <c>before</c> to newer ones [sdk].</summary>
public sealed record PageQuery(int Limit, string? After, string? Before);

/// <summary>GoCardless's SQL, explicit about every lock and condition.</summary>
public static class GoCardlessStore
{
    public const string Api = "gocardless";
    public const string Live = "live";
    public const string Sandbox = "sandbox";
    public const string BillingRequests = "billing_requests";
    public const string Flows = "billing_request_flows";
    public const string Customers = "customers";
    public const string BankAccounts = "customer_bank_accounts";
    public const string Mandates = "mandates";
    public const string Payments = "payments";

    /// <summary>The api name the coordinator, audit log, outbox and idempotency keys use for a mode: sandbox data,
    /// keys and events are kept apart from live ones [ours].</summary>
    public static string ApiFor(string mode) => mode == Live ? Api : Api + "." + mode;

    private const string RequestColumns =
        "id, account_id, mode, status, customer_id, created_at, updated_at, version, actions, body";

    private const string FlowColumns =
        "id, account_id, mode, billing_request_id, state, created_at, expires_at, session_token, body";

    private const string CustomerColumns = "id, account_id, mode, created_at, body";

    private const string CreditorColumns = "id, account_id, mode, name, created_at";

    private const string BankAccountColumns = "id, account_id, mode, customer_id, enabled, created_at, body";

    private const string MandateColumns =
        "id, account_id, mode, status, customer_id, customer_bank_account_id, creditor_id, reference, billing_request_id, created_at, updated_at, version, body";

    private const string PaymentColumns =
        "id, account_id, mode, status, mandate_id, customer_id, creditor_id, billing_request_id, created_at, updated_at, version, body";

    /// <summary>One row of <paramref name="table"/> by id, only when it is the account's in this mode.</summary>
    private static async Task<T?> GetAsync<T>(Database db, string table, string columns, string accountId, string mode, string id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<T>(
            $"SELECT {columns} FROM {table} WHERE id = @id AND account_id = @accountId AND mode = @mode", new { id, accountId, mode });
    }

    // ---- creditors ------------------------------------------------------------------------------------------

    /// <summary>The account's default creditor in this mode, created on first use [ours].</summary>
    public static async Task<CreditorRow> EnsureCreditorAsync(UnitOfWork uow, string accountId, string mode)
    {
        var args = new { accountId, mode, Id = GoCardlessRules.NewId("CR"), Name = "Rescind Creditor", Now = uow.NowMs };
        await uow.ExecuteAsync(
            """
            INSERT INTO gc_creditors (id, account_id, mode, name, created_at) VALUES (@Id, @accountId, @mode, @Name, @Now)
            ON CONFLICT (account_id, mode) DO NOTHING
            """,
            args);
        return (await uow.QuerySingleOrDefaultAsync<CreditorRow>(
            $"SELECT {CreditorColumns} FROM gc_creditors WHERE account_id = @accountId AND mode = @mode", args))!;
    }

    public static async Task<CreditorRow?> FindCreditorAsync(Database db, string accountId, string mode, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<CreditorRow>(
            $"SELECT {CreditorColumns} FROM gc_creditors WHERE account_id = @accountId AND mode = @mode", new { accountId, mode });
    }

    // ---- customers ------------------------------------------------------------------------------------------

    public static Task InsertCustomerAsync(UnitOfWork uow, CustomerRow row) => uow.ExecuteAsync(
        "INSERT INTO gc_customers (id, account_id, mode, created_at, body) VALUES (@Id, @AccountId, @Mode, @CreatedAt, @Body)", row);

    public static Task<CustomerRow?> LockCustomerAsync(UnitOfWork uow, string accountId, string mode, string id) =>
        uow.QuerySingleOrDefaultAsync<CustomerRow>(
            $"SELECT {CustomerColumns} FROM gc_customers WHERE id = @id AND account_id = @accountId AND mode = @mode" + uow.Db.ForUpdate,
            new { id, accountId, mode });

    public static Task UpdateCustomerAsync(UnitOfWork uow, string id, string body) =>
        uow.ExecuteExpectingAsync(1, "UPDATE gc_customers SET body = @body WHERE id = @id", new { id, body });

    public static Task<CustomerRow?> GetCustomerAsync(Database db, string accountId, string mode, string id, CancellationToken ct) =>
        GetAsync<CustomerRow>(db, "gc_customers", CustomerColumns, accountId, mode, id, ct);

    // ---- customer bank accounts, mandates, payments -----------------------------------------------------------

    public static Task InsertBankAccountAsync(UnitOfWork uow, BankAccountRow row) => uow.ExecuteAsync(
        "INSERT INTO gc_customer_bank_accounts (id, account_id, mode, customer_id, enabled, created_at, body) VALUES (@Id, @AccountId, @Mode, @CustomerId, @Enabled, @CreatedAt, @Body)",
        row);

    public static Task InsertMandateAsync(UnitOfWork uow, MandateRow row) => uow.ExecuteAsync(
        """
        INSERT INTO gc_mandates (id, account_id, mode, status, customer_id, customer_bank_account_id, creditor_id, reference, billing_request_id, created_at, updated_at, version, body)
        VALUES (@Id, @AccountId, @Mode, @Status, @CustomerId, @CustomerBankAccountId, @CreditorId, @Reference, @BillingRequestId, @CreatedAt, @UpdatedAt, @Version, @Body)
        """,
        row);

    public static Task InsertPaymentAsync(UnitOfWork uow, PaymentRow row) => uow.ExecuteAsync(
        """
        INSERT INTO gc_payments (id, account_id, mode, status, mandate_id, customer_id, creditor_id, billing_request_id, created_at, updated_at, version, body)
        VALUES (@Id, @AccountId, @Mode, @Status, @MandateId, @CustomerId, @CreditorId, @BillingRequestId, @CreatedAt, @UpdatedAt, @Version, @Body)
        """,
        row);

    /// <summary>Reads and row-locks a mandate of the account and mode (the parent: locked before its payments).</summary>
    public static Task<MandateRow?> LockMandateAsync(UnitOfWork uow, string? accountId, string? mode, string id) =>
        uow.QuerySingleOrDefaultAsync<MandateRow>(
            $"SELECT {MandateColumns} FROM gc_mandates WHERE id = @id" + (accountId is null ? "" : " AND account_id = @accountId AND mode = @mode") + uow.Db.ForUpdate,
            new { id, accountId, mode });

    public static Task<PaymentRow?> LockPaymentAsync(UnitOfWork uow, string? accountId, string? mode, string id) =>
        uow.QuerySingleOrDefaultAsync<PaymentRow>(
            $"SELECT {PaymentColumns} FROM gc_payments WHERE id = @id" + (accountId is null ? "" : " AND account_id = @accountId AND mode = @mode") + uow.Db.ForUpdate,
            new { id, accountId, mode });

    /// <summary>A mandate's payments, locked after the mandate, in id order.</summary>
    public static async Task<IReadOnlyList<PaymentRow>> LockMandatePaymentsAsync(UnitOfWork uow, string mandateId) =>
        (await uow.QueryAsync<PaymentRow>(
            $"SELECT {PaymentColumns} FROM gc_payments WHERE mandate_id = @mandateId ORDER BY id" + uow.Db.ForUpdate, new { mandateId })).ToList();

    /// <summary>Writes a locked mandate's new state, conditional on the state and version read under the lock.</summary>
    public static Task SaveMandateAsync(UnitOfWork uow, MandateRow row, string from) => SaveStateAsync(uow, "gc_mandates", row.Id, row.Version, from, row.Status);

    public static Task SavePaymentAsync(UnitOfWork uow, PaymentRow row, string from) => SaveStateAsync(uow, "gc_payments", row.Id, row.Version, from, row.Status);

    private static Task SaveStateAsync(UnitOfWork uow, string table, string id, int version, string from, string to) => uow.ExecuteExpectingAsync(1,
        $"UPDATE {table} SET status = @to, updated_at = @Now, version = version + 1 WHERE id = @id AND version = @version AND status = @from",
        new { to, Now = uow.NowMs, id, version, from });

    /// <summary>A mandate or payment of any account and mode, for the simulation (which acts for GoCardless).</summary>
    public static async Task<(string AccountId, string Mode)?> OwnerAsync(Database db, string table, string id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<CustomerRow>($"SELECT account_id, mode FROM {table} WHERE id = @id", new { id });
        return row is null ? null : (row.AccountId, row.Mode);
    }

    public static Task<BankAccountRow?> GetBankAccountAsync(Database db, string accountId, string mode, string id, CancellationToken ct) =>
        GetAsync<BankAccountRow>(db, "gc_customer_bank_accounts", BankAccountColumns, accountId, mode, id, ct);

    public static Task<MandateRow?> GetMandateAsync(Database db, string accountId, string mode, string id, CancellationToken ct) =>
        GetAsync<MandateRow>(db, "gc_mandates", MandateColumns, accountId, mode, id, ct);

    public static Task<PaymentRow?> GetPaymentAsync(Database db, string accountId, string mode, string id, CancellationToken ct) =>
        GetAsync<PaymentRow>(db, "gc_payments", PaymentColumns, accountId, mode, id, ct);

    // ---- billing requests -----------------------------------------------------------------------------------

    public static Task InsertRequestAsync(UnitOfWork uow, BillingRequestRow row) => uow.ExecuteAsync(
        """
        INSERT INTO gc_billing_requests (id, account_id, mode, status, customer_id, created_at, updated_at, version, actions, body)
        VALUES (@Id, @AccountId, @Mode, @Status, @CustomerId, @CreatedAt, @UpdatedAt, @Version, @Actions, @Body)
        """,
        row);

    /// <summary>Reads and row-locks a request (the parent: always locked before its flows). Any account and mode
    /// when <paramref name="accountId"/> is null (operator simulation).</summary>
    public static Task<BillingRequestRow?> LockRequestAsync(UnitOfWork uow, string? accountId, string? mode, string id) =>
        uow.QuerySingleOrDefaultAsync<BillingRequestRow>(
            $"SELECT {RequestColumns} FROM gc_billing_requests WHERE id = @id"
            + (accountId is null ? "" : " AND account_id = @accountId AND mode = @mode") + uow.Db.ForUpdate,
            new { id, accountId, mode });

    public static async Task<BillingRequestRow?> GetRequestAsync(Database db, string? accountId, string? mode, string id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<BillingRequestRow>(
            $"SELECT {RequestColumns} FROM gc_billing_requests WHERE id = @id" + (accountId is null ? "" : " AND account_id = @accountId AND mode = @mode"),
            new { id, accountId, mode });
    }

    /// <summary>Writes a locked request's new state, conditional on the version read under the lock.</summary>
    public static async Task SaveRequestAsync(UnitOfWork uow, BillingRequestRow row, string from)
    {
        await uow.ExecuteExpectingAsync(1,
            """
            UPDATE gc_billing_requests SET status = @Status, actions = @Actions, body = @Body, updated_at = @Now, version = version + 1
            WHERE id = @Id AND version = @Version AND status = @from
            """,
            new { row.Status, row.Actions, row.Body, Now = uow.NowMs, row.Id, row.Version, from });
        row.Version++;
        row.UpdatedAt = uow.NowMs;
    }

    // ---- flows ----------------------------------------------------------------------------------------------

    public static Task InsertFlowAsync(UnitOfWork uow, FlowRow row) => uow.ExecuteAsync(
        """
        INSERT INTO gc_flows (id, account_id, mode, billing_request_id, state, created_at, expires_at, session_token, body)
        VALUES (@Id, @AccountId, @Mode, @BillingRequestId, @State, @CreatedAt, @ExpiresAt, @SessionToken, @Body)
        """,
        row);

    /// <summary>The request's flows, locked (after the request itself), oldest first.</summary>
    public static async Task<IReadOnlyList<FlowRow>> LockFlowsAsync(UnitOfWork uow, string billingRequestId) =>
        (await uow.QueryAsync<FlowRow>(
            $"SELECT {FlowColumns} FROM gc_flows WHERE billing_request_id = @billingRequestId ORDER BY created_at, id" + uow.Db.ForUpdate,
            new { billingRequestId })).ToList();

    public static Task<FlowRow?> LockFlowAsync(UnitOfWork uow, string id) =>
        uow.QuerySingleOrDefaultAsync<FlowRow>($"SELECT {FlowColumns} FROM gc_flows WHERE id = @id" + uow.Db.ForUpdate, new { id });

    public static Task<FlowRow?> ReadFlowAsync(UnitOfWork uow, string id) =>
        uow.QuerySingleOrDefaultAsync<FlowRow>($"SELECT {FlowColumns} FROM gc_flows WHERE id = @id", new { id });

    public static async Task<FlowRow?> GetFlowAsync(Database db, string? accountId, string? mode, string id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<FlowRow>(
            $"SELECT {FlowColumns} FROM gc_flows WHERE id = @id" + (accountId is null ? "" : " AND account_id = @accountId AND mode = @mode"),
            new { id, accountId, mode });
    }

    /// <summary>Ends an active flow now (cancel cascade, payer abandoning, expiry job).</summary>
    public static Task ExpireFlowAsync(UnitOfWork uow, string id, long expiresAt) => uow.ExecuteExpectingAsync(1,
        "UPDATE gc_flows SET state = 'expired', expires_at = @expiresAt WHERE id = @id AND state = 'active'", new { id, expiresAt });

    public static Task RenewSessionAsync(UnitOfWork uow, string id, string token) => uow.ExecuteExpectingAsync(1,
        "UPDATE gc_flows SET session_token = @token WHERE id = @id AND state = 'active'", new { id, token });

    // ---- lists ----------------------------------------------------------------------------------------------

    /// <summary>
    /// One page of <paramref name="table"/> rows, newest first by (created_at, id). Returns the rows and whether
    /// there are older (after) and newer (before) ones. Unknown cursors yield null.
    /// </summary>
    public static async Task<(IReadOnlyList<T> Rows, bool Older, bool Newer)?> PageAsync<T>(
        Database db, string table, string columns, List<string> where, DynamicParameters args, PageQuery page, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var cursorId = page.After ?? page.Before;
        var conditions = new List<string>(where);
        if (cursorId is not null)
        {
            args.Add("CursorId", cursorId);
            var at = await c.QuerySingleOrDefaultAsync<long?>($"SELECT created_at FROM {table} WHERE id = @CursorId AND {string.Join(" AND ", where)}", args);
            if (at is null)
            {
                return null;
            }
            args.Add("CursorAt", at.Value);
            conditions.Add(page.After is not null
                ? "(created_at < @CursorAt OR (created_at = @CursorAt AND id < @CursorId))"
                : "(created_at > @CursorAt OR (created_at = @CursorAt AND id > @CursorId))");
        }
        args.Add("Take", page.Limit + 1);
        var order = page.Before is not null && page.After is null ? "ASC" : "DESC";
        var rows = (await c.QueryAsync<T>(
            $"SELECT {columns} FROM {table} WHERE {string.Join(" AND ", conditions)} ORDER BY created_at {order}, id {order} LIMIT @Take", args)).ToList();
        var more = rows.Count > page.Limit;
        rows = rows.Take(page.Limit).ToList();
        if (order == "ASC")
        {
            rows.Reverse();
            return (rows, Older: true, Newer: more);
        }
        return (rows, Older: more, Newer: page.After is not null);
    }

    public static Task<(IReadOnlyList<BillingRequestRow> Rows, bool Older, bool Newer)?> ListRequestsAsync(
        Database db, string accountId, string mode, string? status, string? customer, IReadOnlyList<(string Op, long At)> created, PageQuery page, CancellationToken ct)
    {
        var (where, args) = Scope(accountId, mode);
        Equal(where, args, "status", status);
        Equal(where, args, "customer_id", customer);
        AddCreated(where, args, created);
        return PageAsync<BillingRequestRow>(db, "gc_billing_requests", RequestColumns, where, args, page, ct);
    }

    public static Task<(IReadOnlyList<BankAccountRow> Rows, bool Older, bool Newer)?> ListBankAccountsAsync(
        Database db, string accountId, string mode, string? customer, bool? enabled, IReadOnlyList<(string Op, long At)> created, PageQuery page, CancellationToken ct)
    {
        var (where, args) = Scope(accountId, mode);
        Equal(where, args, "customer_id", customer);
        Equal(where, args, "enabled", enabled is { } e ? (e ? 1 : 0) : null);
        AddCreated(where, args, created);
        return PageAsync<BankAccountRow>(db, "gc_customer_bank_accounts", BankAccountColumns, where, args, page, ct);
    }

    /// <summary>The account's mandates; <paramref name="statuses"/> matches any of them (the client sends a
    /// comma-separated list) [sdk].</summary>
    public static Task<(IReadOnlyList<MandateRow> Rows, bool Older, bool Newer)?> ListMandatesAsync(
        Database db, string accountId, string mode, string? customer, string? bankAccount, string? creditor, string[]? statuses, string? reference,
        string[]? schemes, IReadOnlyList<(string Op, long At)> created, PageQuery page, CancellationToken ct)
    {
        var (where, args) = Scope(accountId, mode);
        Equal(where, args, "customer_id", customer);
        Equal(where, args, "customer_bank_account_id", bankAccount);
        Equal(where, args, "creditor_id", creditor);
        Equal(where, args, "reference", reference);
        AnyOf(db, where, args, "status", statuses);
        if (schemes is not null)
        {
            // The official client sends a list of schemes comma-separated, as it does statuses [sdk].
            where.Add(db.AnyOf(db.JsonText("body", "scheme"), "Any_scheme"));
            args.Add("Any_scheme", schemes);
        }
        AddCreated(where, args, created);
        return PageAsync<MandateRow>(db, "gc_mandates", MandateColumns, where, args, page, ct);
    }

    public static Task<(IReadOnlyList<PaymentRow> Rows, bool Older, bool Newer)?> ListPaymentsAsync(
        Database db, string accountId, string mode, PaymentFilter filter,
        IReadOnlyList<(string Op, long At)> created, PageQuery page, CancellationToken ct)
    {
        var (where, args) = Scope(accountId, mode);
        Equal(where, args, "customer_id", filter.Customer);
        Equal(where, args, "mandate_id", filter.Mandate);
        Equal(where, args, "creditor_id", filter.Creditor);
        Equal(where, args, "status", filter.Status);
        // What only the body holds is filtered there: payments are listed per account and mode first [ours].
        foreach (var (name, value, path) in new[] { ("currency", filter.Currency, "currency"), ("scheme", filter.Scheme, "scheme"), ("subscription", filter.Subscription, "links.subscription") })
        {
            if (value is not null)
            {
                where.Add($"{db.JsonText("body", path.Split('.'))} = @J_{name}");
                args.Add("J_" + name, value);
            }
        }
        for (var i = 0; i < filter.ChargeDate.Count; i++)
        {
            // ISO dates (YYYY-MM-DD) order as text.
            where.Add($"{db.JsonText("body", "charge_date")} {filter.ChargeDate[i].Op} @ChargeDate{i}");
            args.Add($"ChargeDate{i}", filter.ChargeDate[i].Date);
        }
        AddCreated(where, args, created);
        return PageAsync<PaymentRow>(db, "gc_payments", PaymentColumns, where, args, page, ct);
    }

    /// <summary>Requests of any mode (of every account when <paramref name="accountId"/> is null) for Rescind's own
    /// API: <paramref name="search"/> is a request id or a customer id.</summary>
    public static async Task<IReadOnlyList<BillingRequestRow>> ListRequestsAnyModeAsync(
        Database db, string? accountId, string? status, string? search, string? after, int limit, CancellationToken ct)
    {
        var where = new List<string> { "1 = 1" };
        var args = new DynamicParameters();
        foreach (var (column, value) in new[] { ("account_id", accountId), ("status", status) })
        {
            if (value is not null)
            {
                where.Add($"{column} = @{column}");
                args.Add(column, value);
            }
        }
        if (search is not null)
        {
            where.Add("(id = @search OR customer_id = @search)");
            args.Add("search", search);
        }
        var page = await PageAsync<BillingRequestRow>(db, "gc_billing_requests", RequestColumns, where, args, new PageQuery(limit + 1, after, null), ct); // one more tells there are more
        return page?.Rows ?? [];
    }

    /// <summary>Mandates or payments of any mode (of every account when <paramref name="accountId"/> is null) for
    /// Rescind's own API: <paramref name="search"/> is the resource's id, its customer's or its billing request's.</summary>
    public static async Task<IReadOnlyList<T>> ListAnyModeAsync<T>(
        Database db, string table, string? accountId, string? status, string? search, string? after, int limit, CancellationToken ct)
    {
        var where = new List<string> { "1 = 1" };
        var args = new DynamicParameters();
        Equal(where, args, "account_id", accountId);
        Equal(where, args, "status", status);
        if (search is not null)
        {
            where.Add("(id = @search OR customer_id = @search OR billing_request_id = @search)");
            args.Add("search", search);
        }
        var columns = table == "gc_mandates" ? MandateColumns : PaymentColumns;
        var page = await PageAsync<T>(db, table, columns, where, args, new PageQuery(limit + 1, after, null), ct); // one more tells there are more
        return page?.Rows ?? [];
    }

    public static Task<(IReadOnlyList<CustomerRow> Rows, bool Older, bool Newer)?> ListCustomersAsync(
        Database db, string accountId, string mode, IReadOnlyList<(string Op, long At)> created, PageQuery page, CancellationToken ct)
    {
        var (where, args) = Scope(accountId, mode);
        AddCreated(where, args, created);
        return PageAsync<CustomerRow>(db, "gc_customers", CustomerColumns, where, args, page, ct);
    }

    private static (List<string>, DynamicParameters) Scope(string accountId, string mode)
    {
        var args = new DynamicParameters();
        args.Add("AccountId", accountId);
        args.Add("Mode", mode);
        return (["account_id = @AccountId", "mode = @Mode"], args);
    }

    /// <summary>A list's filter: <paramref name="column"/> equals the value, when one is given.</summary>
    private static void Equal(List<string> where, DynamicParameters args, string column, object? value)
    {
        if (value is not null)
        {
            where.Add($"{column} = @F_{column}");
            args.Add("F_" + column, value);
        }
    }

    private static void AnyOf(Database db, List<string> where, DynamicParameters args, string column, string[]? values)
    {
        if (values is not null)
        {
            where.Add(db.AnyOf(column, "Any_" + column));
            args.Add("Any_" + column, values);
        }
    }

    private static void AddCreated(List<string> where, DynamicParameters args, IReadOnlyList<(string Op, long At)> created)
    {
        for (var i = 0; i < created.Count; i++)
        {
            where.Add($"created_at {created[i].Op} @Created{i}");
            args.Add($"Created{i}", created[i].At);
        }
    }

    /// <summary>Events of one account and mode from the outbox, newest first by outbox id; <paramref name="resourceId"/>:
    /// those of one resource (a billing request, mandate or payment; its type given as <paramref name="resourceType"/>).</summary>
    public static async Task<(IReadOnlyList<EventRow> Rows, bool Older, bool Newer)> ListEventsAsync(
        Database db, string accountId, string mode, string? resourceType, string? action, string? resourceId,
        IReadOnlyList<(string Op, long At)> created, long? after, long? before, int limit, CancellationToken ct)
    {
        var where = new List<string> { "account_id = @AccountId", "api = @Api" };
        var args = new DynamicParameters();
        args.Add("AccountId", accountId);
        args.Add("Api", ApiFor(mode));
        if (resourceType is not null)
        {
            where.Add("resource_type = @ResourceType");
            args.Add("ResourceType", resourceType);
        }
        if (action is not null)
        {
            where.Add("event_type = @EventType");
            args.Add("EventType", (resourceType ?? BillingRequests) + "." + action);
        }
        if (resourceId is not null)
        {
            where.Add("resource_id = @ResourceId");
            args.Add("ResourceId", resourceId);
        }
        AddCreated(where, args, created);
        if (after is not null)
        {
            where.Add("id < @After");
            args.Add("After", after);
        }
        if (before is not null)
        {
            where.Add("id > @Before");
            args.Add("Before", before);
        }
        args.Add("Take", limit + 1);
        var ascending = before is not null && after is null;
        await using var c = await db.OpenAsync(ct);
        var rows = (await c.QueryAsync<EventRow>(
            $"SELECT id, payload, created_at FROM outbox WHERE {string.Join(" AND ", where)} ORDER BY id {(ascending ? "ASC" : "DESC")} LIMIT @Take",
            args)).ToList();
        var more = rows.Count > limit;
        rows = rows.Take(limit).ToList();
        if (ascending)
        {
            rows.Reverse();
            return (rows, true, more);
        }
        return (rows, more, after is not null);
    }

    public static async Task<EventRow?> GetEventAsync(Database db, string accountId, string mode, long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<EventRow>(
            "SELECT id, payload, created_at FROM outbox WHERE id = @id AND account_id = @accountId AND api = @api",
            new { id, accountId, api = ApiFor(mode) });
    }
}

/// <summary>The payments list's filters [sdk: PaymentListRequest]; <see cref="ChargeDate"/> holds
/// <c>charge_date[gt|gte|lt|lte]</c> as an operator and an ISO date.</summary>
public sealed record PaymentFilter(
    string? Customer, string? Mandate, string? Creditor, string? Status, string? Currency, string? Scheme, string? Subscription,
    IReadOnlyList<(string Op, string Date)> ChargeDate);
