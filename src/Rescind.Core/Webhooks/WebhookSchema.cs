using FluentMigrator;

namespace Rescind.Core.Webhooks;

/// <summary>Endpoints, one delivery per (event, endpoint), and a log row per attempt.</summary>
[Migration(2026_11_23_0002, "core: webhook endpoints, deliveries and attempts")]
public sealed class WebhookSchema : Migration
{
    public override void Up()
    {
        Create.Table("webhook_endpoints")
            .WithColumn("id").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("api").AsString(32).NotNullable()
            .WithColumn("url").AsString(2000).NotNullable()
            // The signing secret must be readable to sign with; it is shown to the owner once at creation.
            .WithColumn("secret").AsString(200).NotNullable()
            .WithColumn("timeout_ms").AsInt32().NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("disabled_at").AsInt64().Nullable();
        Create.Index("ix_webhook_endpoints_account").OnTable("webhook_endpoints")
            .OnColumn("account_id").Ascending().OnColumn("api").Ascending();

        Create.Table("webhook_deliveries")
            .WithColumn("id").AsInt64().PrimaryKey().Identity()
            .WithColumn("outbox_id").AsInt64().NotNullable()
            .WithColumn("event_id").AsString(64).NotNullable()
            .WithColumn("endpoint_id").AsString(64).NotNullable()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("status").AsString(16).NotNullable()
            .WithColumn("attempts").AsInt32().NotNullable()
            .WithColumn("next_attempt_at").AsInt64().NotNullable()
            .WithColumn("locked_until").AsInt64().Nullable()
            .WithColumn("last_status_code").AsInt32().Nullable()
            .WithColumn("last_error").AsString(500).Nullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("delivered_at").AsInt64().Nullable();
        Create.Index("ux_webhook_deliveries_event_endpoint").OnTable("webhook_deliveries")
            .OnColumn("outbox_id").Ascending().OnColumn("endpoint_id").Ascending().WithOptions().Unique();
        // Only pending deliveries are ever claimed: a partial index stays small however many were delivered.
        Execute.Sql("CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending'");
        Create.Index("ix_webhook_deliveries_endpoint").OnTable("webhook_deliveries")
            .OnColumn("endpoint_id").Ascending().OnColumn("id").Ascending();

        Create.Table("webhook_attempts")
            .WithColumn("id").AsInt64().PrimaryKey().Identity()
            .WithColumn("delivery_id").AsInt64().NotNullable()
            .WithColumn("attempt").AsInt32().NotNullable()
            .WithColumn("started_at").AsInt64().NotNullable()
            .WithColumn("duration_ms").AsInt32().NotNullable()
            .WithColumn("status_code").AsInt32().Nullable()
            .WithColumn("error").AsString(500).Nullable()
            .WithColumn("response_excerpt").AsString(500).Nullable();
        Create.Index("ix_webhook_attempts_delivery").OnTable("webhook_attempts").OnColumn("delivery_id");
    }

    public override void Down()
    {
        Delete.Table("webhook_attempts");
        Delete.Table("webhook_deliveries");
        Delete.Table("webhook_endpoints");
    }
}

/// <summary>The dispatcher claims per endpoint (its oldest due deliveries, whether it has one in flight): an index
/// seek per endpoint instead of a walk of every tenant's backlog.</summary>
[Migration(2026_12_06_2302, "core: webhook deliveries due per endpoint")]
public sealed class WebhookDeliveriesDuePerEndpoint : Migration
{
    public override void Up() =>
        Execute.Sql("CREATE INDEX ix_webhook_deliveries_endpoint_due ON webhook_deliveries (endpoint_id, next_attempt_at, id) WHERE status = 'pending'");

    public override void Down() => Execute.Sql("DROP INDEX ix_webhook_deliveries_endpoint_due");
}

[Migration(2026_12_06_2103, "core: an endpoint may take only some event types")]
public sealed class WebhookEventTypesSchema : Migration
{
    public override void Up() =>
        // Null: every event of its account and API. Else the types it takes, each between commas (",a,b,").
        Alter.Table("webhook_endpoints").AddColumn("event_types").AsString(4000).Nullable();

    public override void Down() => Delete.Column("event_types").FromTable("webhook_endpoints");
}
