using FluentMigrator;

namespace Rescind.Server.CrissCross;

[Migration(2026_11_23_0301, "crisscross: access tokens, checkout sessions, transactions, refunds")]
public sealed class CrissCrossSchema : Migration
{
    public override void Up()
    {
        // Bearer tokens from the client-credentials grant, kept only as SHA-256 hashes, with their expiry.
        Create.Table("crisscross_tokens")
            .WithColumn("hash").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("credential_id").AsString(64).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("expires_at").AsInt64().NotNullable();
        Create.Index("ix_crisscross_tokens_expiry").OnTable("crisscross_tokens").OnColumn("expires_at");

        Create.Table("crisscross_sessions")
            .WithColumn("id").AsString(36).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("merchant_reference").AsString(255).NotNullable()
            .WithColumn("amount").AsInt64().NotNullable()
            .WithColumn("currency").AsString(3).NotNullable()
            .WithColumn("payer_details").AsString(int.MaxValue).NotNullable()
            .WithColumn("redirect_url").AsString(2048).Nullable()
            .WithColumn("status").AsString(24).NotNullable()
            .WithColumn("expires_at").AsInt64().NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable()
            .WithColumn("version").AsInt32().NotNullable()
            .WithColumn("cancel_reason").AsString(1000).Nullable()
            .WithColumn("cancel_requested_at").AsInt64().Nullable()
            .WithColumn("cancelled_at").AsInt64().Nullable()
            .WithColumn("cancelled_transaction_ids").AsString(int.MaxValue).Nullable();
        Create.Index("ix_crisscross_sessions_list").OnTable("crisscross_sessions")
            .OnColumn("account_id").Ascending().OnColumn("created_at").Descending().OnColumn("id").Descending();
        Create.Index("ix_crisscross_sessions_expiry").OnTable("crisscross_sessions")
            .OnColumn("status").Ascending().OnColumn("expires_at").Ascending();
        Create.Index("ix_crisscross_sessions_cancel").OnTable("crisscross_sessions")
            .OnColumn("account_id").Ascending().OnColumn("cancel_requested_at").Ascending();

        Create.Table("crisscross_transactions")
            .WithColumn("id").AsString(36).PrimaryKey()
            .WithColumn("session_id").AsString(36).NotNullable()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("provider").AsString(32).NotNullable()
            .WithColumn("payment_method").AsString(int.MaxValue).NotNullable()
            .WithColumn("amount").AsInt64().NotNullable()
            .WithColumn("currency").AsString(3).NotNullable()
            .WithColumn("status").AsString(24).NotNullable()
            .WithColumn("late_completion").AsInt32().NotNullable()
            .WithColumn("refunded_amount").AsInt64().NotNullable()
            .WithColumn("timeout_at").AsInt64().Nullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable()
            .WithColumn("version").AsInt32().NotNullable();
        Create.Index("ix_crisscross_transactions_session").OnTable("crisscross_transactions")
            .OnColumn("session_id").Ascending().OnColumn("id").Ascending();
        Create.Index("ix_crisscross_transactions_timeout").OnTable("crisscross_transactions")
            .OnColumn("status").Ascending().OnColumn("timeout_at").Ascending();
        // One active transaction per session [doc], enforced by the database as well as by the session's lock.
        Execute.Sql(
            "CREATE UNIQUE INDEX ux_crisscross_transactions_active ON crisscross_transactions (session_id) " +
            "WHERE status IN ('PENDING', 'PROCESSING')");

        Create.Table("crisscross_refunds")
            .WithColumn("id").AsString(36).PrimaryKey()
            .WithColumn("transaction_id").AsString(36).NotNullable()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("amount").AsInt64().NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable();
        Create.Index("ix_crisscross_refunds_transaction").OnTable("crisscross_refunds").OnColumn("transaction_id");
    }

    public override void Down()
    {
        Delete.Table("crisscross_refunds");
        Delete.Table("crisscross_transactions");
        Delete.Table("crisscross_sessions");
        Delete.Table("crisscross_tokens");
    }
}

[Migration(2026_12_03_0301, "crisscross: the vendor's session fields, payment attributes, asynchronous refunds")]
public sealed class CrissCrossVendorFieldsSchema : Migration
{
    public override void Up()
    {
        Alter.Table("crisscross_sessions")
            .AddColumn("merchant_id").AsString(64).Nullable()
            .AddColumn("integration_type").AsString(16).Nullable()
            .AddColumn("payment_attributes").AsString(int.MaxValue).Nullable()
            .AddColumn("payer_id").AsString(36).Nullable();
        Alter.Table("crisscross_transactions")
            .AddColumn("attributes").AsString(int.MaxValue).Nullable();
        // Refunds made before this migration were synchronous and succeeded when they were made.
        Alter.Table("crisscross_refunds")
            .AddColumn("session_id").AsString(36).Nullable()
            .AddColumn("currency").AsString(3).Nullable()
            .AddColumn("reason").AsString(1000).Nullable()
            .AddColumn("status").AsString(16).NotNullable().WithDefaultValue("SUCCEEDED")
            .AddColumn("updated_at").AsInt64().Nullable();
        Create.Index("ix_crisscross_refunds_pending").OnTable("crisscross_refunds")
            .OnColumn("status").Ascending().OnColumn("created_at").Ascending();
    }

    public override void Down()
    {
        Delete.Index("ix_crisscross_refunds_pending").OnTable("crisscross_refunds");
        Delete.Column("updated_at").Column("status").Column("reason").Column("currency").Column("session_id").FromTable("crisscross_refunds");
        Delete.Column("attributes").FromTable("crisscross_transactions");
        Delete.Column("payer_id").Column("payment_attributes").Column("integration_type").Column("merchant_id").FromTable("crisscross_sessions");
    }
}

[Migration(2026_12_06_2201, "crisscross: a transaction's submitted authorization data")]
public sealed class CrissCrossAuthorizationSchema : Migration
{
    public override void Up() =>
        Alter.Table("crisscross_transactions")
            .AddColumn("authorization_data").AsString(int.MaxValue).Nullable()
            .AddColumn("authorized_at").AsInt64().Nullable();

    public override void Down() =>
        Delete.Column("authorized_at").Column("authorization_data").FromTable("crisscross_transactions");
}
