using FluentMigrator;

namespace Rescind.Core.Storage;

/// <summary>The shared tables every API writes through the coordinator. Timestamps are UTC unix milliseconds.</summary>
[Migration(2026_11_23_0001, "core: accounts, credentials, audit log, outbox, idempotency, mail sink")]
public sealed class CoreSchema : Migration
{
    public override void Up()
    {
        Create.Table("accounts")
            .WithColumn("id").AsString(64).PrimaryKey()
            .WithColumn("name").AsString(200).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable();

        // Every credential of every API, and the operator's, stored only as a SHA-256 hash.
        Create.Table("credentials")
            .WithColumn("id").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).Nullable()
            .WithColumn("api").AsString(32).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("hash").AsString(64).NotNullable().Unique("ux_credentials_hash")
            .WithColumn("hint").AsString(64).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("revoked_at").AsInt64().Nullable();
        Create.Index("ix_credentials_account").OnTable("credentials").OnColumn("account_id");

        Create.Table("audit_log")
            .WithColumn("id").AsInt64().PrimaryKey().Identity()
            .WithColumn("account_id").AsString(64).Nullable()
            .WithColumn("api").AsString(32).NotNullable()
            .WithColumn("resource_type").AsString(64).NotNullable()
            .WithColumn("resource_id").AsString(80).NotNullable()
            .WithColumn("action").AsString(64).NotNullable()
            .WithColumn("from_state").AsString(40).Nullable()
            .WithColumn("to_state").AsString(40).Nullable()
            .WithColumn("actor_kind").AsString(16).NotNullable()
            .WithColumn("actor_id").AsString(64).Nullable()
            .WithColumn("request_id").AsString(128).Nullable()
            .WithColumn("idempotency_key").AsString(256).Nullable()
            .WithColumn("reason").AsString(2000).Nullable()
            .WithColumn("at").AsInt64().NotNullable();
        Create.Index("ix_audit_resource").OnTable("audit_log").OnColumn("resource_id").Ascending().OnColumn("id").Ascending();
        Create.Index("ix_audit_account").OnTable("audit_log").OnColumn("account_id").Ascending().OnColumn("id").Ascending();

        Create.Table("outbox")
            .WithColumn("id").AsInt64().PrimaryKey().Identity()
            .WithColumn("event_id").AsString(64).NotNullable().Unique("ux_outbox_event_id")
            .WithColumn("account_id").AsString(64).Nullable()
            .WithColumn("api").AsString(32).NotNullable()
            .WithColumn("event_type").AsString(80).NotNullable()
            .WithColumn("resource_type").AsString(64).NotNullable()
            .WithColumn("resource_id").AsString(80).NotNullable()
            .WithColumn("payload").AsString(int.MaxValue).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("dispatched_at").AsInt64().Nullable();
        Create.Index("ix_outbox_resource").OnTable("outbox").OnColumn("resource_id");
        Create.Index("ix_outbox_undispatched").OnTable("outbox").OnColumn("dispatched_at").Ascending().OnColumn("id").Ascending();

        Create.Table("idempotency")
            .WithColumn("id").AsInt64().PrimaryKey().Identity()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("api").AsString(32).NotNullable()
            .WithColumn("key").AsString(256).NotNullable()
            .WithColumn("fingerprint").AsString(64).NotNullable()
            .WithColumn("response_status").AsInt32().NotNullable()
            .WithColumn("response_body").AsString(int.MaxValue).NotNullable()
            .WithColumn("resource_id").AsString(80).Nullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("expires_at").AsInt64().NotNullable();
        Create.Index("ux_idempotency_key").OnTable("idempotency")
            .OnColumn("account_id").Ascending().OnColumn("api").Ascending().OnColumn("key").Ascending()
            .WithOptions().Unique();
        Create.Index("ix_idempotency_expiry").OnTable("idempotency").OnColumn("expires_at");

        // Outgoing mail (reminders) lands here; an SMTP relay can drain it later.
        Create.Table("mail_sink")
            .WithColumn("id").AsInt64().PrimaryKey().Identity()
            .WithColumn("account_id").AsString(64).Nullable()
            .WithColumn("to_address").AsString(320).NotNullable()
            .WithColumn("subject").AsString(500).NotNullable()
            .WithColumn("body").AsString(int.MaxValue).NotNullable()
            .WithColumn("resource_id").AsString(80).Nullable()
            .WithColumn("created_at").AsInt64().NotNullable();
        Create.Index("ix_mail_resource").OnTable("mail_sink").OnColumn("resource_id");
    }

    public override void Down()
    {
        foreach (var table in new[] { "mail_sink", "idempotency", "outbox", "audit_log", "credentials", "accounts" })
        {
            Delete.Table(table);
        }
    }
}

/// <summary>Reads of one account's events of one API in order (Rescind's event stream, GoCardless's <c>/events</c>)
/// use an index instead of walking every tenant's outbox.</summary>
[Migration(2026_12_03_0001, "core: outbox by account, API and id")]
public sealed class OutboxByAccountIndex : Migration
{
    public override void Up() =>
        Create.Index("ix_outbox_account_api").OnTable("outbox")
            .OnColumn("account_id").Ascending().OnColumn("api").Ascending().OnColumn("id").Ascending();

    public override void Down() => Delete.Index("ix_outbox_account_api").OnTable("outbox");
}

/// <summary>Idempotency keys scoped to the credential's mode: a key used in test mode and the same key in live mode
/// are two keys (before, a test key could replay a live answer, live customer data included).</summary>
[Migration(2026_12_04_1802, "core: idempotency keys per mode")]
public sealed class IdempotencyPerMode : Migration
{
    public override void Up()
    {
        Alter.Table("idempotency").AddColumn("mode").AsString(16).NotNullable().WithDefaultValue("live");
        Delete.Index("ux_idempotency_key").OnTable("idempotency");
        Create.Index("ux_idempotency_key").OnTable("idempotency")
            .OnColumn("account_id").Ascending().OnColumn("api").Ascending().OnColumn("mode").Ascending().OnColumn("key").Ascending()
            .WithOptions().Unique();
    }

    public override void Down()
    {
        Delete.Index("ux_idempotency_key").OnTable("idempotency");
        Create.Index("ux_idempotency_key").OnTable("idempotency")
            .OnColumn("account_id").Ascending().OnColumn("api").Ascending().OnColumn("key").Ascending()
            .WithOptions().Unique();
        Delete.Column("mode").FromTable("idempotency");
    }
}

/// <summary>How many events of each resource the retention job deleted, so that the invariants comparing a
/// resource's events with its audit rows still hold after a purge.</summary>
[Migration(2026_12_06_2301, "core: events purged by retention, per resource")]
public sealed class OutboxPurged : Migration
{
    public override void Up() =>
        Create.Table("outbox_purged")
            .WithColumn("resource_id").AsString(80).NotNullable().PrimaryKey()
            .WithColumn("api").AsString(32).NotNullable().PrimaryKey()
            .WithColumn("events").AsInt64().NotNullable()
            .WithColumn("purged_at").AsInt64().NotNullable();

    public override void Down() => Delete.Table("outbox_purged");
}
