using System.Globalization;
using System.Text;
using Rescind.Core;
using Rescind.Core.Coordination;

namespace Rescind.Server.OperatorConsole;

/// <summary>The audit log as CSV (RFC 4180: comma separated, CRLF, fields quoted when they hold a comma, quote or
/// line break, and also a semicolon or a tab, which spreadsheets in many locales take as the separator). A field
/// that a spreadsheet would run as a formula is prefixed with an apostrophe.</summary>
public static class AuditCsv
{
    public const string Header = "id,at,account_id,api,resource_type,resource_id,action,from_state,to_state,actor_kind,actor_id,request_id,idempotency_key,reason";

    public static string Row(AuditEntry a) => string.Join(',', new[]
    {
        a.Id.ToString(CultureInfo.InvariantCulture), Time.Iso(a.At), a.AccountId, a.Api, a.ResourceType, a.ResourceId, a.Action,
        a.FromState, a.ToState, a.ActorKind, a.ActorId, a.RequestId, a.IdempotencyKey, a.Reason,
    }.Select(Field));

    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\r\n;\t") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    public static async Task WriteAsync(Stream output, IAsyncEnumerable<AuditEntry> rows, CancellationToken ct)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\r\n" };
        await writer.WriteLineAsync(Header);
        await foreach (var row in rows.WithCancellation(ct))
        {
            await writer.WriteLineAsync(Row(row));
        }
    }
}
