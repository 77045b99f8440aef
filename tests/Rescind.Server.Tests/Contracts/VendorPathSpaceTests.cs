using Rescind.Server.Coverage;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Contracts;

/// <summary>
/// Every operation of every vendor's list, served or not, called without credentials: the answer is in that
/// vendor's own envelope (401 for a served route, 404 or 405 for one Rescind does not serve), never Rescind's
/// problem details and never a 500, so the vendor's client raises the error it would raise against the vendor.
/// </summary>
public sealed class VendorPathSpaceTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    public static TheoryData<string> Apis() => [.. VendorOperations.All.Select(v => v.Api)];

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task Every_vendor_path_answers_in_the_vendor_s_envelope(string api)
    {
        var vendor = VendorOperations.All.Single(v => v.Api == api);
        Assert.NotEmpty(vendor.Families);
        foreach (var (_, op) in vendor.Operations)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(op.Path, "{[^}]+}", "unknown0");
            var body = op.Method is "GET" or "DELETE" ? null : "{}";
            var a = await Tenant.SendAsync(server, new HttpMethod(op.Method), path, body, []);
            var where = $"{op.Method} {path} ({op.Operation})";
            Assert.True(a.Code is 400 or 401 or 404 or 405, $"{where}: {a.Code} {a.Body}");
            Assert.NotEqual("application/problem+json", a.Message.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("https://rescind.dev/problems/", a.Body, StringComparison.Ordinal);
            if (a.Body.Length > 0)
            {
                Assert.Equal(System.Text.Json.JsonValueKind.Object, a.Json.ValueKind);
            }
        }
    }

    [Fact]
    public void Each_vendor_list_names_its_sources_and_every_operation_one_of_them()
    {
        Assert.Equal(5, VendorOperations.All.Count);
        foreach (var v in VendorOperations.All)
        {
            Assert.NotEmpty(v.Sources);
            foreach (var (family, op) in v.Operations)
            {
                Assert.Contains(v.Sources, s => s.Id == op.Source);
                Assert.False(string.IsNullOrWhiteSpace(family.Why), $"{v.Api} {family.Name}");
                Assert.Matches("^(GET|POST|PUT|PATCH|DELETE)$", op.Method);
                Assert.StartsWith("/", op.Path);
            }
        }
    }
}
