using FluentMigrator;

namespace Rescind.Server.Numeral;

[Migration(2026_11_23_0101, "numeral: customers, certificate requests, reminders")]
public sealed class NumeralSchema : Migration
{
    public override void Up()
    {
        Create.Table("numeral_customers")
            .WithColumn("id").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("reference_customer_id").AsString(255).Nullable()
            .WithColumn("name").AsString(255).Nullable()
            .WithColumn("email").AsString(320).Nullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("deleted_at").AsInt64().Nullable();
        Create.Index("ix_numeral_customers_reference").OnTable("numeral_customers")
            .OnColumn("account_id").Ascending().OnColumn("reference_customer_id").Ascending();

        Create.Table("numeral_requests")
            .WithColumn("id").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("customer_id").AsString(64).Nullable()
            .WithColumn("certificate_type_id").AsString(64).NotNullable()
            .WithColumn("jurisdictions").AsString(4000).NotNullable()
            .WithColumn("status").AsString(16).NotNullable()
            .WithColumn("certificate_id").AsString(64).Nullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable()
            .WithColumn("expires_at").AsInt64().Nullable()
            .WithColumn("version").AsInt32().NotNullable();
        Create.Index("ix_numeral_requests_list").OnTable("numeral_requests")
            .OnColumn("account_id").Ascending().OnColumn("created_at").Descending().OnColumn("id").Descending();
        Create.Index("ix_numeral_requests_customer").OnTable("numeral_requests")
            .OnColumn("customer_id").Ascending().OnColumn("status").Ascending();
        Create.Index("ix_numeral_requests_expiry").OnTable("numeral_requests")
            .OnColumn("status").Ascending().OnColumn("expires_at").Ascending();

        // At most one scheduled reminder per request: sending it schedules the next one.
        Create.Table("numeral_reminders")
            .WithColumn("request_id").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("due_at").AsInt64().NotNullable()
            .WithColumn("sent_count").AsInt32().NotNullable();
        Create.Index("ix_numeral_reminders_due").OnTable("numeral_reminders").OnColumn("due_at");
    }

    public override void Down()
    {
        Delete.Table("numeral_reminders");
        Delete.Table("numeral_requests");
        Delete.Table("numeral_customers");
    }
}
