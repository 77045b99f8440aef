using FluentMigrator;

namespace Rescind.Server.GoCardless;

/// <summary>
/// GoCardless data, per account and mode (live and sandbox see separate data). Lifecycle state, version and the
/// columns lists filter on are columns; the rest of each vendor object is its JSON document.
/// </summary>
[Migration(2026_11_23_0401, "gocardless: creditors, customers, billing requests, flows")]
public sealed class GoCardlessSchema : Migration
{
    public override void Up()
    {
        Create.Table("gc_creditors")
            .WithColumn("id").AsString(32).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("name").AsString(200).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable();
        // One default creditor per account and mode; concurrent first uses race on this index.
        Create.Index("ux_gc_creditors_account").OnTable("gc_creditors")
            .OnColumn("account_id").Ascending().OnColumn("mode").Ascending().WithOptions().Unique();

        Create.Table("gc_customers")
            .WithColumn("id").AsString(32).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("body").AsString(int.MaxValue).NotNullable();
        Create.Index("ix_gc_customers_list").OnTable("gc_customers")
            .OnColumn("account_id").Ascending().OnColumn("mode").Ascending().OnColumn("created_at").Descending().OnColumn("id").Descending();

        Create.Table("gc_billing_requests")
            .WithColumn("id").AsString(32).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("status").AsString(24).NotNullable()
            .WithColumn("customer_id").AsString(32).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable()
            .WithColumn("version").AsInt32().NotNullable()
            .WithColumn("actions").AsString(int.MaxValue).NotNullable()
            .WithColumn("body").AsString(int.MaxValue).NotNullable();
        Create.Index("ix_gc_billing_requests_list").OnTable("gc_billing_requests")
            .OnColumn("account_id").Ascending().OnColumn("mode").Ascending().OnColumn("created_at").Descending().OnColumn("id").Descending();
        Create.Index("ix_gc_billing_requests_customer").OnTable("gc_billing_requests").OnColumn("customer_id");

        Create.Table("gc_flows")
            .WithColumn("id").AsString(32).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("billing_request_id").AsString(32).NotNullable()
            .WithColumn("state").AsString(16).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("expires_at").AsInt64().NotNullable()
            .WithColumn("session_token").AsString(64).NotNullable()
            .WithColumn("body").AsString(int.MaxValue).NotNullable();
        Create.Index("ix_gc_flows_request").OnTable("gc_flows").OnColumn("billing_request_id");
        Create.Index("ix_gc_flows_expiry").OnTable("gc_flows").OnColumn("state").Ascending().OnColumn("expires_at").Ascending();
    }

    public override void Down()
    {
        Delete.Table("gc_flows");
        Delete.Table("gc_billing_requests");
        Delete.Table("gc_customers");
        Delete.Table("gc_creditors");
    }
}

/// <summary>What a billing request leads to: the bank account collect_bank_account takes, the mandate and payment
/// fulfil creates. Each row belongs to one account and mode; the links lists filter on are columns.</summary>
[Migration(2026_12_04_0401, "gocardless: customer bank accounts, mandates, payments")]
public sealed class GoCardlessResourcesSchema : Migration
{
    public override void Up()
    {
        Create.Table("gc_customer_bank_accounts")
            .WithColumn("id").AsString(32).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("customer_id").AsString(32).NotNullable()
            .WithColumn("enabled").AsInt32().NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("body").AsString(int.MaxValue).NotNullable();
        Create.Index("ix_gc_customer_bank_accounts_list").OnTable("gc_customer_bank_accounts")
            .OnColumn("account_id").Ascending().OnColumn("mode").Ascending().OnColumn("created_at").Descending().OnColumn("id").Descending();

        Create.Table("gc_mandates")
            .WithColumn("id").AsString(32).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("status").AsString(32).NotNullable()
            .WithColumn("customer_id").AsString(32).NotNullable()
            .WithColumn("customer_bank_account_id").AsString(32).Nullable()
            .WithColumn("creditor_id").AsString(32).NotNullable()
            .WithColumn("reference").AsString(64).NotNullable()
            .WithColumn("billing_request_id").AsString(32).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable()
            .WithColumn("version").AsInt32().NotNullable()
            .WithColumn("body").AsString(int.MaxValue).NotNullable();
        Create.Index("ix_gc_mandates_list").OnTable("gc_mandates")
            .OnColumn("account_id").Ascending().OnColumn("mode").Ascending().OnColumn("created_at").Descending().OnColumn("id").Descending();
        Create.Index("ix_gc_mandates_customer").OnTable("gc_mandates").OnColumn("customer_id");

        Create.Table("gc_payments")
            .WithColumn("id").AsString(32).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("status").AsString(32).NotNullable()
            .WithColumn("mandate_id").AsString(32).Nullable()
            .WithColumn("customer_id").AsString(32).NotNullable()
            .WithColumn("creditor_id").AsString(32).NotNullable()
            .WithColumn("billing_request_id").AsString(32).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable()
            .WithColumn("version").AsInt32().NotNullable()
            .WithColumn("body").AsString(int.MaxValue).NotNullable();
        Create.Index("ix_gc_payments_list").OnTable("gc_payments")
            .OnColumn("account_id").Ascending().OnColumn("mode").Ascending().OnColumn("created_at").Descending().OnColumn("id").Descending();
        Create.Index("ix_gc_payments_mandate").OnTable("gc_payments").OnColumn("mandate_id");
    }

    public override void Down()
    {
        Delete.Table("gc_payments");
        Delete.Table("gc_mandates");
        Delete.Table("gc_customer_bank_accounts");
    }
}
