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
