using FluentMigrator;

namespace Rescind.Server.Circle;

[Migration(2026_11_23_0501, "circle: entity secrets, wallet sets, wallets, balances, ledger, chains, transactions")]
public sealed class CircleSchema : Migration
{
    public override void Up()
    {
        // One RSA key pair per account; the entity secret only as a SHA-256 hash.
        Create.Table("circle_entities")
            .WithColumn("account_id").AsString(64).PrimaryKey()
            .WithColumn("public_key").AsString(int.MaxValue).NotNullable()
            .WithColumn("private_key").AsString(int.MaxValue).NotNullable()
            .WithColumn("secret_hash").AsString(64).Nullable()
            .WithColumn("registered_at").AsInt64().Nullable()
            .WithColumn("created_at").AsInt64().NotNullable();

        // Each ciphertext is accepted once.
        Create.Table("circle_ciphertexts")
            .WithColumn("account_id").AsString(64).NotNullable().PrimaryKey()
            .WithColumn("hash").AsString(64).NotNullable().PrimaryKey()
            .WithColumn("used_at").AsInt64().NotNullable();

        Create.Table("circle_wallet_sets")
            .WithColumn("id").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("name").AsString(255).Nullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable();
        Create.Index("ix_circle_wallet_sets_list").OnTable("circle_wallet_sets")
            .OnColumn("account_id").Ascending().OnColumn("created_at").Ascending().OnColumn("id").Ascending();

        Create.Table("circle_wallets")
            .WithColumn("id").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("wallet_set_id").AsString(64).NotNullable()
            .WithColumn("blockchain").AsString(24).NotNullable()
            .WithColumn("address").AsString(80).NotNullable()
            .WithColumn("state").AsString(16).NotNullable()
            .WithColumn("next_nonce").AsInt64().NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable();
        Create.Index("ix_circle_wallets_list").OnTable("circle_wallets")
            .OnColumn("account_id").Ascending().OnColumn("created_at").Ascending().OnColumn("id").Ascending();
        Create.Index("ix_circle_wallets_address").OnTable("circle_wallets")
            .OnColumn("blockchain").Ascending().OnColumn("address").Ascending();

        Create.Table("circle_balances")
            .WithColumn("wallet_id").AsString(64).NotNullable().PrimaryKey()
            .WithColumn("token_id").AsString(64).NotNullable().PrimaryKey()
            .WithColumn("amount").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable();

        // Every balance movement, so balances can be checked against their history.
        Create.Table("circle_ledger")
            .WithColumn("id").AsInt64().PrimaryKey().Identity()
            .WithColumn("wallet_id").AsString(64).NotNullable()
            .WithColumn("token_id").AsString(64).NotNullable()
            .WithColumn("delta").AsInt64().NotNullable()
            .WithColumn("kind").AsString(16).NotNullable()
            .WithColumn("transaction_id").AsString(64).Nullable()
            .WithColumn("at").AsInt64().NotNullable();
        Create.Index("ix_circle_ledger_wallet").OnTable("circle_ledger").OnColumn("wallet_id");
        Create.Index("ix_circle_ledger_transaction").OnTable("circle_ledger").OnColumn("transaction_id");

        // Each account sees its own simulated chains [ours].
        Create.Table("circle_chains")
            .WithColumn("account_id").AsString(64).NotNullable().PrimaryKey()
            .WithColumn("blockchain").AsString(24).NotNullable().PrimaryKey()
            .WithColumn("height").AsInt64().NotNullable()
            .WithColumn("base_fee").AsInt64().NotNullable()
            .WithColumn("next_block_at").AsInt64().NotNullable();
        Create.Index("ix_circle_chains_due").OnTable("circle_chains").OnColumn("next_block_at");

        Create.Table("circle_screened")
            .WithColumn("account_id").AsString(64).NotNullable().PrimaryKey()
            .WithColumn("address").AsString(80).NotNullable().PrimaryKey();

        Create.Table("circle_transactions")
            .WithColumn("id").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("mode").AsString(8).NotNullable()
            .WithColumn("wallet_id").AsString(64).NotNullable()
            .WithColumn("blockchain").AsString(24).NotNullable()
            .WithColumn("state").AsString(16).NotNullable()
            .WithColumn("source_address").AsString(80).NotNullable()
            .WithColumn("destination_address").AsString(80).NotNullable()
            .WithColumn("token_id").AsString(64).NotNullable()
            .WithColumn("amount").AsInt64().NotNullable()
            .WithColumn("fee_level").AsString(8).Nullable()
            .WithColumn("gas_limit").AsInt64().NotNullable()
            .WithColumn("max_fee").AsInt64().NotNullable()
            .WithColumn("priority_fee").AsInt64().NotNullable()
            .WithColumn("replacement_fee").AsInt64().Nullable()
            .WithColumn("network_fee").AsInt64().Nullable()
            .WithColumn("tx_hash").AsString(80).Nullable()
            .WithColumn("nonce").AsInt64().Nullable()
            .WithColumn("block_height").AsInt64().Nullable()
            .WithColumn("ref_id").AsString(255).Nullable()
            .WithColumn("error_reason").AsString(64).Nullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable()
            .WithColumn("first_confirm_at").AsInt64().Nullable()
            .WithColumn("version").AsInt32().NotNullable();
        Create.Index("ix_circle_transactions_list").OnTable("circle_transactions")
            .OnColumn("account_id").Ascending().OnColumn("created_at").Ascending().OnColumn("id").Ascending();
        Create.Index("ix_circle_transactions_chain").OnTable("circle_transactions")
            .OnColumn("account_id").Ascending().OnColumn("blockchain").Ascending().OnColumn("state").Ascending();
    }

    public override void Down()
    {
        foreach (var t in new[] { "circle_transactions", "circle_screened", "circle_chains", "circle_ledger", "circle_balances", "circle_wallets", "circle_wallet_sets", "circle_ciphertexts", "circle_entities" })
        {
            Delete.Table(t);
        }
    }
}

[Migration(2026_12_03_0401, "circle: wallet metadata (name, refId)")]
public sealed class CircleWalletMetadata : Migration
{
    public override void Up()
    {
        Alter.Table("circle_wallets")
            .AddColumn("name").AsString(255).Nullable()
            .AddColumn("ref_id").AsString(255).Nullable();
    }

    public override void Down()
    {
        Delete.Column("name").Column("ref_id").FromTable("circle_wallets");
    }
}
