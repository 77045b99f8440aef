using FluentMigrator;

namespace Rescind.Server.Cancellations;

[Migration(2026_11_23_0901, "rescind: cancellations and their per-resource outcomes")]
public sealed class CancellationsSchema : Migration
{
    public override void Up()
    {
        Create.Table("rescind_cancellations")
            .WithColumn("id").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("idempotency_key").AsString(255).NotNullable()
            .WithColumn("fingerprint").AsString(64).NotNullable()
            .WithColumn("reason").AsString(1000).Nullable()
            .WithColumn("resources").AsString(int.MaxValue).NotNullable()
            .WithColumn("status").AsString(16).NotNullable()
            .WithColumn("cancel_at").AsInt64().Nullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable();
        // One cancellation per key, account and mode: a repeat finds the first, a race loses on this index.
        Create.Index("ux_rescind_cancellations_key").OnTable("rescind_cancellations")
            .OnColumn("account_id").Ascending().OnColumn("mode").Ascending().OnColumn("idempotency_key").Ascending()
            .WithOptions().Unique();
        Create.Index("ix_rescind_cancellations_due").OnTable("rescind_cancellations")
            .OnColumn("status").Ascending().OnColumn("cancel_at").Ascending();

        Create.Table("rescind_cancellation_items")
            .WithColumn("cancellation_id").AsString(64).NotNullable().PrimaryKey()
            .WithColumn("position").AsInt32().NotNullable().PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("api").AsString(32).Nullable()
            .WithColumn("outcome").AsString(24).NotNullable()
            .WithColumn("body").AsString(int.MaxValue).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable();
        Create.Index("ix_rescind_items_report").OnTable("rescind_cancellation_items")
            .OnColumn("account_id").Ascending().OnColumn("created_at").Ascending();
    }

    public override void Down()
    {
        Delete.Table("rescind_cancellation_items");
        Delete.Table("rescind_cancellations");
    }
}
