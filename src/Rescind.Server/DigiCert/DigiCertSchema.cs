using FluentMigrator;

namespace Rescind.Server.DigiCert;

[Migration(2026_11_23_0201, "digicert: certificate orders and their requests")]
public sealed class DigiCertSchema : Migration
{
    public override void Up()
    {
        // One id space for orders, requests and certificates: DigiCert ids are integers, and drawing them from one
        // sequence keeps an order's and a request's audit rows apart (resource_id is the id as text).
        Create.Table("digicert_ids")
            .WithColumn("id").AsInt64().PrimaryKey().Identity()
            .WithColumn("kind").AsString(16).NotNullable();

        Create.Table("digicert_orders")
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("product_name_id").AsString(64).NotNullable()
            .WithColumn("product_type").AsString(32).NotNullable()
            .WithColumn("common_name").AsString(255).NotNullable()
            .WithColumn("emails").AsString(4000).NotNullable()
            .WithColumn("csr").AsString(16000).Nullable()
            .WithColumn("validity_years").AsInt32().NotNullable()
            .WithColumn("payment_method").AsString(16).NotNullable()
            .WithColumn("status").AsString(24).NotNullable()
            .WithColumn("refund_required").AsInt32().NotNullable() // 0 or 1: one mapping on both databases
            .WithColumn("certificate_id").AsInt64().Nullable()
            .WithColumn("serial_number").AsString(64).Nullable()
            .WithColumn("date_created").AsInt64().NotNullable()
            .WithColumn("date_updated").AsInt64().NotNullable()
            .WithColumn("date_issued").AsInt64().Nullable()
            .WithColumn("valid_till").AsInt64().Nullable()
            .WithColumn("version").AsInt32().NotNullable();
        Create.Index("ix_digicert_orders_list").OnTable("digicert_orders")
            .OnColumn("account_id").Ascending().OnColumn("id").Descending();
        Create.Index("ix_digicert_orders_expiry").OnTable("digicert_orders")
            .OnColumn("status").Ascending().OnColumn("valid_till").Ascending();

        Create.Table("digicert_requests")
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("order_id").AsInt64().NotNullable()
            .WithColumn("type").AsString(16).NotNullable()
            .WithColumn("status").AsString(16).NotNullable()
            .WithColumn("requester_id").AsString(64).Nullable()
            .WithColumn("processor_id").AsString(64).Nullable()
            .WithColumn("comments").AsString(2000).Nullable()
            .WithColumn("processor_comment").AsString(2000).Nullable()
            .WithColumn("date").AsInt64().NotNullable()
            .WithColumn("date_processed").AsInt64().Nullable()
            .WithColumn("version").AsInt32().NotNullable();
        Create.Index("ix_digicert_requests_order").OnTable("digicert_requests").OnColumn("order_id");
        Create.Index("ix_digicert_requests_list").OnTable("digicert_requests")
            .OnColumn("account_id").Ascending().OnColumn("id").Descending();
    }

    public override void Down()
    {
        Delete.Table("digicert_requests");
        Delete.Table("digicert_orders");
        Delete.Table("digicert_ids");
    }
}

[Migration(2026_12_03_0211, "digicert: dns names, organization, S/MIME details and thumbprints of orders")]
public sealed class DigiCertOrderDetailsSchema : Migration
{
    public override void Up()
    {
        Alter.Table("digicert_orders")
            .AddColumn("dns_names").AsString(8000).Nullable()        // JSON array of the additional names (TLS)
            .AddColumn("organization_id").AsInt64().Nullable()
            .AddColumn("smime").AsString(2000).Nullable()            // JSON: profile_type, common_name_indicator, individual, usage_designation
            .AddColumn("thumbprint").AsString(64).Nullable();        // set at issuance with the serial number
        Create.Index("ix_digicert_orders_serial").OnTable("digicert_orders").OnColumn("serial_number").Ascending();
        Create.Index("ix_digicert_orders_thumbprint").OnTable("digicert_orders").OnColumn("thumbprint").Ascending();
    }

    public override void Down()
    {
        Delete.Index("ix_digicert_orders_thumbprint").OnTable("digicert_orders");
        Delete.Index("ix_digicert_orders_serial").OnTable("digicert_orders");
        Delete.Column("thumbprint").Column("smime").Column("organization_id").Column("dns_names").FromTable("digicert_orders");
    }
}

[Migration(2026_12_06_2101, "digicert: the issued certificate's chain as PEM, for the download endpoints")]
public sealed class DigiCertCertificateChainSchema : Migration
{
    public override void Up()
    {
        Alter.Table("digicert_orders")
            .AddColumn("certificate_chain").AsString(16000).Nullable(); // end-entity, intermediate, root; set at each issuance
        Create.Index("ix_digicert_orders_certificate").OnTable("digicert_orders").OnColumn("certificate_id").Ascending();
    }

    public override void Down()
    {
        Delete.Index("ix_digicert_orders_certificate").OnTable("digicert_orders");
        Delete.Column("certificate_chain").FromTable("digicert_orders");
    }
}

[Migration(2026_12_06_2102, "digicert: users with their access roles, and the API keys that act as them")]
public sealed class DigiCertUsersSchema : Migration
{
    public override void Up()
    {
        Create.Table("digicert_users")
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("username").AsString(128).NotNullable()
            .WithColumn("first_name").AsString(128).NotNullable()
            .WithColumn("last_name").AsString(128).NotNullable()
            .WithColumn("email").AsString(255).NotNullable()
            .WithColumn("job_title").AsString(64).Nullable()
            .WithColumn("telephone").AsString(64).Nullable()
            .WithColumn("access_role_id").AsInt32().NotNullable()
            .WithColumn("status").AsString(16).NotNullable()
            .WithColumn("is_api_only").AsInt32().NotNullable()
            .WithColumn("date_created").AsInt64().NotNullable()
            .WithColumn("root_credential_id").AsString(64).Nullable(); // the key Rescind issued that this administrator was made for
        Create.Index("ux_digicert_users_root").OnTable("digicert_users").OnColumn("root_credential_id").Unique();
        Create.Index("ix_digicert_users_account").OnTable("digicert_users").OnColumn("account_id").Ascending().OnColumn("username").Ascending();

        Create.Table("digicert_keys")
            .WithColumn("credential_id").AsString(64).PrimaryKey()
            .WithColumn("id").AsInt64().NotNullable()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("user_id").AsInt64().NotNullable()
            .WithColumn("name").AsString(128).NotNullable()
            .WithColumn("restricted_to_role_id").AsInt32().NotNullable()
            .WithColumn("date_created").AsInt64().NotNullable();
        Create.Index("ix_digicert_keys_user").OnTable("digicert_keys").OnColumn("user_id").Ascending();
    }

    public override void Down()
    {
        Delete.Table("digicert_keys");
        Delete.Table("digicert_users");
    }
}

[Migration(2026_12_06_2104, "digicert: the account's webhook set up through the Services API")]
public sealed class DigiCertWebhooksSchema : Migration
{
    public override void Up()
    {
        Create.Table("digicert_webhooks")
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable().Unique() // one webhook per account [doc]
            .WithColumn("endpoint_id").AsString(64).NotNullable()         // its endpoint in webhook_endpoints
            .WithColumn("endpoint").AsString(2000).NotNullable()
            .WithColumn("secret").AsString(200).Nullable()
            .WithColumn("events").AsString(4000).NotNullable()            // JSON array of event types
            .WithColumn("status").AsString(16).NotNullable()
            .WithColumn("settings").AsString(2000).Nullable()             // webhook_settings as given
            .WithColumn("challenge_token").AsString(64).Nullable()
            .WithColumn("challenge_expires_at").AsInt64().Nullable()
            .WithColumn("challenge_verified").AsInt32().NotNullable()
            .WithColumn("date_created").AsInt64().NotNullable();
    }

    public override void Down() => Delete.Table("digicert_webhooks");
}
