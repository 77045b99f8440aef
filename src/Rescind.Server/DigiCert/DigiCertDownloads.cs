using Microsoft.AspNetCore.Http.Metadata;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Http;

namespace Rescind.Server.DigiCert;

/// <summary>
/// Certificate download [doc: Download certificate by format (order_id); the certificate-id and platform routes
/// from the vendor's index]. Only the order's active certificate is served [doc]: a reissue replaces it, and the
/// replaced one's id is then not found.
/// <code>
/// GET /services/v2/certificate/download/order/{order_id}                           the default format (ZIP)
/// GET /services/v2/certificate/download/order/{order_id}/format/{format_type}      one of the glossary's formats
/// GET /services/v2/certificate/{certificate_id}/download/format/{format_type}      the same, by certificate id
/// GET /services/v2/certificate/{certificate_id}/download/platform                  the order's platform: the default format
/// </code>
/// </summary>
public static class DigiCertDownloads
{
    private const string DefaultFormat = "default";

    public static void Map(RouteGroupBuilder v2)
    {
        var produces = new ProducesResponseTypeMetadata(200, typeof(string), [.. DigiCertCertificates.ContentTypes]);
        v2.MapGet("/certificate/download/order/{order_id}", (string order_id, HttpContext http, Database db, CancellationToken ct) =>
                ByOrderAsync(order_id, DefaultFormat, http, db, ct))
            .WithMetadata(produces, DigiCertApi.Error(400), DigiCertApi.Error(404));
        v2.MapGet("/certificate/download/order/{order_id}/format/{format_type}", ByOrderAsync)
            .WithMetadata(produces, DigiCertApi.Error(400), DigiCertApi.Error(404));
        v2.MapGet("/certificate/{certificate_id}/download/format/{format_type}", ByCertificateAsync)
            .WithMetadata(produces, DigiCertApi.Error(400), DigiCertApi.Error(404));
        // Rescind does not model server platforms: the platform's format is the default one [ours].
        v2.MapGet("/certificate/{certificate_id}/download/platform", (string certificate_id, HttpContext http, Database db, CancellationToken ct) =>
                ByCertificateAsync(certificate_id, DefaultFormat, http, db, ct))
            .WithMetadata(produces, DigiCertApi.Error(400), DigiCertApi.Error(404));
    }

    private static async Task<IResult> ByOrderAsync(string order_id, string format_type, HttpContext http, Database db, CancellationToken ct)
    {
        if (FormatOf(format_type, out var format) is { } bad)
        {
            return bad;
        }
        var row = DigiCertApi.TryId(order_id, out var id) ? await DigiCertStore.GetDownloadAsync(db, http.Caller().AccountId!, id, null, ct) : null;
        return row is null ? DigiCertApi.Answer(DigiCertEnvelope.NotFound(order_id)) : Send(row, format!);
    }

    private static async Task<IResult> ByCertificateAsync(string certificate_id, string format_type, HttpContext http, Database db, CancellationToken ct)
    {
        if (FormatOf(format_type, out var format) is { } bad)
        {
            return bad;
        }
        var row = DigiCertApi.TryId(certificate_id, out var id) ? await DigiCertStore.GetDownloadAsync(db, http.Caller().AccountId!, null, id, ct) : null;
        return row is null ? DigiCertApi.Answer(CertificateMissing(certificate_id)) : Send(row, format!);
    }

    private static IResult? FormatOf(string name, out DigiCertCertificates.Format? format) =>
        DigiCertCertificates.Formats.TryGetValue(name, out format)
            ? null
            : DigiCertApi.Answer(DigiCertEnvelope.InvalidParam("format_type",
                $"format_type must be one of {string.Join(", ", DigiCertCertificates.Formats.Keys)}."));

    private static IResult Send(DigiCertStore.Download row, DigiCertCertificates.Format format)
    {
        if (row.CertificateId is null)
        {
            // Nothing issued yet (or the order ended before issuance): no certificate to download [ours: the code].
            return DigiCertApi.Answer(DigiCertEnvelope.Fail(400, DigiCertRules.InvalidOrderStatus,
                $"The order is {row.Status} and has no issued certificate to download."));
        }
        if (row.CertificateChain is null)
        {
            return DigiCertApi.Answer(DigiCertEnvelope.Fail(404, CertificateNotFound,
                "The certificate was issued before Rescind kept certificate material; reissue the order to download one."));
        }
        var (body, file) = DigiCertCertificates.Render(row.CertificateChain, format, row.CommonName, Time.FromUnixMs(row.DateIssued!.Value));
        return Results.File(body, format.ContentType, file);
    }

    /// <summary>No certificate of the account with that id [ours: the code, after not_found|order].</summary>
    public const string CertificateNotFound = "not_found|certificate";

    private static StoredResponse CertificateMissing(string id) =>
        DigiCertEnvelope.Fail(404, CertificateNotFound, $"Certificate '{(id.Length > 40 ? id[..40] + "…" : id)}' was not found.");
}
