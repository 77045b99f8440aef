using Dapper;
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

/// <summary>
/// The customer's tax exemption flag [doc], a column that keeps reference ids unique among a mode's live customers
/// (DUPLICATE_CUSTOMER), and the exemption certificates a customer's accepted or rejected submission leaves.
/// </summary>
[Migration(2026_12_03_0111, "numeral: tax-exempt customers, unique reference ids, exemption certificates")]
public sealed class NumeralCertificatesSchema : Migration
{
    public override void Up()
    {
        Alter.Table("numeral_customers")
            .AddColumn("is_tax_exempt").AsInt32().NotNullable().WithDefaultValue(0);

        Create.Table("numeral_certificates")
            .WithColumn("id").AsString(64).PrimaryKey()
            .WithColumn("account_id").AsString(64).NotNullable()
            .WithColumn("customer_id").AsString(64).Nullable()
            .WithColumn("request_id").AsString(64).NotNullable()
            .WithColumn("certificate_type_id").AsString(64).NotNullable()
            .WithColumn("jurisdictions").AsString(4000).NotNullable()
            .WithColumn("status").AsString(16).NotNullable()
            .WithColumn("effective_date").AsString(10).NotNullable()
            .WithColumn("expiration_date").AsString(10).Nullable()
            .WithColumn("document").AsString(4000).NotNullable()
            .WithColumn("download_secret").AsString(64).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable()
            .WithColumn("updated_at").AsInt64().NotNullable();
        Create.Index("ix_numeral_certificates_list").OnTable("numeral_certificates")
            .OnColumn("account_id").Ascending().OnColumn("created_at").Descending().OnColumn("id").Descending();
        Create.Index("ix_numeral_certificates_customer").OnTable("numeral_certificates").OnColumn("customer_id");

        // Requests fulfilled before certificates were kept name a certificate id: give each its certificate.
        Execute.WithConnection((connection, transaction) =>
        {
            var fulfilled = connection.Query<RequestRow>(
                "SELECT id, account_id, customer_id, certificate_type_id, jurisdictions, certificate_id, updated_at FROM numeral_requests WHERE status = 'fulfilled' AND certificate_id IS NOT NULL",
                transaction: transaction).ToList();
            foreach (var r in fulfilled)
            {
                var date = NumeralCertificates.Date(r.UpdatedAt);
                var type = NumeralCertificates.TypeOf(r.CertificateTypeId) ?? new CertificateType("", r.CertificateTypeId, r.CertificateTypeId);
                connection.Execute(
                    """
                    INSERT INTO numeral_certificates (id, account_id, customer_id, request_id, certificate_type_id, jurisdictions, status,
                                                      effective_date, expiration_date, document, download_secret, created_at, updated_at)
                    VALUES (@Id, @AccountId, @CustomerId, @RequestId, @CertificateTypeId, @Jurisdictions, 'active',
                            @EffectiveDate, @ExpirationDate, @Document, @DownloadSecret, @UpdatedAt, @UpdatedAt)
                    """,
                    new
                    {
                        Id = r.CertificateId,
                        r.AccountId,
                        r.CustomerId,
                        RequestId = r.Id,
                        r.CertificateTypeId,
                        r.Jurisdictions,
                        EffectiveDate = date,
                        ExpirationDate = NumeralCertificates.AddDays(date, NumeralCertificates.ValidityDays),
                        Document = NumeralCertificates.Document(r.CertificateId!, r.CustomerId ?? "(removed)", type,
                            System.Text.Json.JsonSerializer.Deserialize<string[]>(r.Jurisdictions) ?? [], date),
                        DownloadSecret = Rescind.Core.Ids.Secret(40),
                        r.UpdatedAt,
                    },
                    transaction);
            }
        });
    }

    public override void Down()
    {
        Delete.Table("numeral_certificates");
        Delete.Column("is_tax_exempt").FromTable("numeral_customers");
    }
}
