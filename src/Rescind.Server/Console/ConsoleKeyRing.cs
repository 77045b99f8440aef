using System.Xml.Linq;
using Dapper;
using FluentMigrator;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Storage;

namespace Rescind.Server.OperatorConsole;

/// <summary>
/// The Data Protection key ring (which protects the console's cookie and antiforgery tokens) kept in Rescind's own
/// database, so every node sharing the database reads the same keys and a console sign-in made on one node is valid
/// on all. The application name is fixed so nodes installed in different directories share the protectors too.
/// </summary>
public sealed class DatabaseXmlRepository(Database db, TimeProvider clock, SecretBox box) : IXmlRepository
{
    public const string ApplicationName = "rescind";

    public static void AddTo(IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton(new SealedColumn("data_protection_keys", "name", "xml"));
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
            o.XmlRepository = new DatabaseXmlRepository(sp.GetRequiredService<Database>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<SecretBox>())));
    }

    // Synchronous because IXmlRepository is; the key ring reads it at start-up and when its cache expires, not per request.
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = db.Open();
        return [.. connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY created_at, name").Select(x => XElement.Parse(box.Open(x)))];
    }

    /// <summary>Keys and revocations are immutable documents with unique names: each is inserted once. Two nodes that
    /// start on an empty ring at the same moment may each add a key; both stay in the ring and each node reads the
    /// other's at its next refresh.</summary>
    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = db.Open();
        connection.Execute(
            "INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@name, @xml, @now) ON CONFLICT (name) DO NOTHING",
            new { name = friendlyName, xml = box.Seal(element.ToString(SaveOptions.DisableFormatting)), now = Time.ToUnixMs(clock.GetUtcNow()) });
    }
}

[Migration(2026_11_24_0900, "console: the Data Protection key ring shared by every node")]
public sealed class ConsoleKeyRingSchema : Migration
{
    public override void Up() =>
        Create.Table("data_protection_keys")
            .WithColumn("name").AsString(200).PrimaryKey()
            .WithColumn("xml").AsString(int.MaxValue).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable();

    public override void Down() => Delete.Table("data_protection_keys");
}
