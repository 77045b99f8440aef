using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rescind.Core.Accounts;
using Rescind.Server.OperatorConsole;
using Rescind.Server.Tests.DigiCert;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Console;

/// <summary>The operator console over HTTP: its credential, its forms' protection, and cancels that are the API's
/// own cancels with the operator as actor.</summary>
public abstract class ConsoleTests(RescindServer server)
{
    private const string Numeral = "/console/r/numeral/tax.certificate_request";

    private async Task<string> OperatorCredentialIdAsync() =>
        (await server.Services.GetRequiredService<AccountStore>().AuthenticateAsync(AccountStore.OperatorApi, server.OperatorToken, CancellationToken.None))!.CredentialId;

    [Fact]
    public async Task Every_console_page_requires_signing_in_but_the_sign_in_page_and_stylesheet()
    {
        using var anonymous = ConsoleSession.Anonymous(server);
        foreach (var path in new[] { "/console", Numeral, Numeral + "/cert_req_x", Numeral + "/cert_req_x/cancel", "/console/audit", "/console/audit?handler=csv" })
        {
            var page = await anonymous.GetAsync(path);
            Assert.True(page.Status == HttpStatusCode.Redirect, $"{path}: {page.Code}");
            Assert.StartsWith("/console/signin", page.Message.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }
        Assert.Equal(200, (await anonymous.GetAsync("/console/signin")).Code);
        Assert.Equal(200, (await anonymous.GetAsync("/console/console.css")).Code);
    }

    [Fact]
    public async Task A_bad_token_or_an_accounts_API_key_is_refused_and_a_good_one_sets_a_strict_HttpOnly_cookie()
    {
        var t = await Tenant.CreateAsync(server);
        using var session = ConsoleSession.Anonymous(server);

        var bad = await session.SubmitAsync("/console/signin", new() { ["token"] = "op_" + new string('x', 40) });
        var apiKey = await session.SubmitAsync("/console/signin", new() { ["token"] = t.LiveKey });
        var good = await session.SubmitAsync("/console/signin", new() { ["token"] = server.OperatorToken });

        Assert.Equal((401, 401), (bad.Code, apiKey.Code));
        Assert.Contains("not an active operator token", bad.Body, StringComparison.Ordinal);
        Assert.False(bad.Message.Headers.TryGetValues("Set-Cookie", out var none) && none.Any(c => c.StartsWith(ConsoleModule.CookieName + "=", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Redirect, good.Status);
        var cookie = Assert.Single(good.Message.Headers.GetValues("Set-Cookie"), c => c.StartsWith(ConsoleModule.CookieName + "=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("httponly", cookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", cookie, StringComparison.Ordinal);
        Assert.Contains("path=/console", cookie, StringComparison.Ordinal);
        Assert.Equal(200, (await session.GetAsync("/console")).Code);

        // The layout's sign-out form, with the token of the page it is on.
        var token = ConsoleSession.Token((await session.GetAsync("/console")).Body);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync("/console/signout", new() { ["__RequestVerificationToken"] = token })).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await session.GetAsync("/console")).Status);
    }

    [Fact]
    public async Task A_cancel_without_the_antiforgery_token_is_refused_and_changes_nothing()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        using var session = await ConsoleSession.SignInAsync(server);
        var auditBefore = (await Audit.RowsAsync(server, id)).Count;

        var withoutToken = await session.PostAsync($"{Numeral}/{id}/cancel", []);
        var forgedToken = await session.PostAsync($"{Numeral}/{id}/cancel", new() { ["__RequestVerificationToken"] = "CfDJ8forged" });

        Assert.Equal((400, 400), (withoutToken.Code, forgedToken.Code));
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
        Assert.Equal(auditBefore, (await Audit.RowsAsync(server, id)).Count);
    }

    [Fact]
    public async Task The_dialog_previews_without_writing_and_the_console_cancel_writes_the_APIs_rows_with_the_operator_as_actor()
    {
        var t = await Tenant.CreateAsync(server);
        var viaApi = await t.PendingRequestAsync();
        var viaConsole = await t.PendingRequestAsync();
        using var session = await ConsoleSession.SignInAsync(server);

        var preview = await session.GetAsync($"{Numeral}/{viaConsole}/cancel");
        Assert.Equal(200, preview.Code);
        Assert.Contains("pending → <strong>canceled</strong>", preview.Body, StringComparison.Ordinal);
        Assert.Contains("The scheduled reminder e-mails to the customer stop.", preview.Body, StringComparison.Ordinal);
        Assert.Contains("This cannot be undone.", preview.Body, StringComparison.Ordinal);
        Assert.Single(await Audit.RowsAsync(server, viaConsole));

        Assert.Equal(200, (await t.CancelAsync(viaApi)).Code);
        var done = await session.SubmitAsync($"{Numeral}/{viaConsole}/cancel", []);

        Assert.Equal(200, done.Code);
        Assert.Contains("<span class=\"state\" id=\"new-state\">canceled</span>", done.Body, StringComparison.Ordinal);
        Assert.Equal("canceled", (await t.GetAsync(viaConsole)).Str("status"));
        static object Shape(JsonElement r) => (r.GetProperty("resource_type").GetString(), r.GetProperty("action").GetString(), r.GetProperty("from_state").ToString(), r.GetProperty("to_state").GetString());
        var apiRows = await Audit.RowsAsync(server, viaApi);
        var consoleRows = await Audit.RowsAsync(server, viaConsole);
        Assert.Equal(apiRows.Select(Shape), consoleRows.Select(Shape));
        Assert.Equal((await Audit.EventsAsync(server, viaApi)).Select(e => e.GetProperty("type").GetString()),
            (await Audit.EventsAsync(server, viaConsole)).Select(e => e.GetProperty("type").GetString()));
        var cancel = consoleRows[^1].GetProperty("actor");
        Assert.Equal(("operator", await OperatorCredentialIdAsync()), (cancel.GetProperty("kind").GetString(), cancel.GetProperty("id").GetString()));
        Assert.Contains($"data-audit-id=\"{consoleRows[^1].GetProperty("id").GetInt64()}\"", done.Body, StringComparison.Ordinal);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_copy_of_the_cookie_taken_before_sign_out_opens_nothing_after_it_on_any_node()
    {
        var browser = new CookieContainer();
        using var session = new ConsoleSession(server.CreateDefaultClient(new CookieContainerHandler(browser)));
        Assert.Equal(HttpStatusCode.Redirect, (await session.SubmitAsync("/console/signin", new() { ["token"] = server.OperatorToken })).Status);
        var stolen = new CookieContainer();
        stolen.Add(browser.GetAllCookies());
        using var thief = new ConsoleSession(server.StartAnotherNode(new CookieContainerHandler(stolen)));
        Assert.Equal(200, (await thief.GetAsync("/console")).Code); // the copy works while the session lasts

        const string Ended = "SELECT COUNT(*) FROM console_sessions WHERE ended_at IS NOT NULL AND credential_id = @id";
        var operatorId = new { id = await OperatorCredentialIdAsync() };
        var endedBefore = await server.CountAsync(Ended, operatorId);
        var token = ConsoleSession.Token((await session.GetAsync("/console")).Body);
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync("/console/signout", new() { ["__RequestVerificationToken"] = token })).Status);

        var after = await thief.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, after.Status);
        Assert.StartsWith("/console/signin", after.Message.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(endedBefore + 1, await server.CountAsync(Ended, operatorId));
    }

    [Fact]
    public async Task A_sign_in_deletes_the_sessions_older_than_a_day()
    {
        var old = server.Clock.GetUtcNow().AddHours(-25).ToUnixTimeMilliseconds();
        await Audit.TamperAsync(server, "INSERT INTO console_sessions (id_hash, credential_id, created_at) VALUES (@hash, 'opc_gone', @old)",
            new { hash = Guid.NewGuid().ToString("N"), old });
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM console_sessions WHERE credential_id = 'opc_gone'"));

        using var session = await ConsoleSession.SignInAsync(server);

        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM console_sessions WHERE credential_id = 'opc_gone'"));
        Assert.Equal(200, (await session.GetAsync("/console")).Code); // the new one stays
    }

    [Fact]
    public async Task Every_console_answer_forbids_script_framing_sniffing_referrers_and_caching()
    {
        using var session = await ConsoleSession.SignInAsync(server);
        using var anonymous = ConsoleSession.Anonymous(server);
        foreach (var page in new[] { await session.GetAsync("/console"), await anonymous.GetAsync("/console/signin"), await anonymous.GetAsync("/console"), await session.GetAsync("/console/console.css") })
        {
            Assert.Equal(ConsoleModule.ContentSecurityPolicy, page.Header("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", page.Header("Content-Security-Policy"), StringComparison.Ordinal);
            Assert.Equal("nosniff", page.Header("X-Content-Type-Options"));
            Assert.Equal("DENY", page.Header("X-Frame-Options"));
            Assert.Equal("no-referrer", page.Header("Referrer-Policy"));
            Assert.True(page.Message.Headers.CacheControl?.NoStore, page.Message.Headers.CacheControl?.ToString());
            Assert.Null(page.Header("Strict-Transport-Security")); // plain HTTP here: HSTS only over HTTPS
        }
    }

    [Fact]
    public async Task A_sign_in_on_one_node_is_valid_on_another_and_so_is_a_cancel_form_it_served()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        var browser = new CookieContainer(); // one browser, a load balancer sending each request to either node
        using var first = new ConsoleSession(server.CreateDefaultClient(new CookieContainerHandler(browser)));
        using var second = new ConsoleSession(server.StartAnotherNode(new CookieContainerHandler(browser)));

        Assert.Equal(HttpStatusCode.Redirect, (await first.SubmitAsync("/console/signin", new() { ["token"] = server.OperatorToken })).Status);
        Assert.Equal(200, (await second.GetAsync("/console")).Code);
        var dialog = await first.GetAsync($"{Numeral}/{id}/cancel");
        var done = await second.PostAsync($"{Numeral}/{id}/cancel", new() { ["__RequestVerificationToken"] = ConsoleSession.Token(dialog.Body) });

        Assert.True(done.Code == 200, done.Body);
        Assert.Equal("canceled", (await t.GetAsync(id)).Str("status"));
        Assert.Equal(await OperatorCredentialIdAsync(), (await Audit.RowsAsync(server, id))[^1].GetProperty("actor").GetProperty("id").GetString());
        // The ring both nodes read is the database's, not a file of either host's.
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM data_protection_keys WHERE name LIKE 'key-%'"));
        Assert.IsType<DatabaseXmlRepository>(server.Services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.XmlRepository);
    }

    [Fact]
    public async Task The_console_never_cancels_what_the_API_refuses_and_shows_the_APIs_code_and_message()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        await t.SimulateAsync(id, "submit");
        await t.SimulateAsync(id, "accept");
        var apiAnswer = await t.CancelAsync(id);
        apiAnswer.IsNumeralError(409, "REQUEST_ALREADY_FULFILLED");
        using var session = await ConsoleSession.SignInAsync(server);
        var auditBefore = (await Audit.RowsAsync(server, id)).Count;

        var preview = await session.GetAsync($"{Numeral}/{id}/cancel");
        Assert.Contains("REQUEST_ALREADY_FULFILLED", preview.Body, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode(apiAnswer.Str("message")), preview.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Cancel it now", preview.Body, StringComparison.Ordinal);

        // Posting anyway (a stale dialog, a crafted form) runs the API's cancel, which refuses again.
        var forced = await session.PostAsync($"{Numeral}/{id}/cancel", new() { ["__RequestVerificationToken"] = ConsoleSession.Token((await session.GetAsync(Numeral)).Body) });
        Assert.Equal(409, forced.Code);
        Assert.Contains("REQUEST_ALREADY_FULFILLED", forced.Body, StringComparison.Ordinal);
        Assert.Equal("fulfilled", (await t.GetAsync(id)).Str("status"));
        Assert.Equal(auditBefore, (await Audit.RowsAsync(server, id)).Count);
    }

    [Fact]
    public async Task A_cancel_whose_API_needs_a_note_asks_for_it_and_records_it()
    {
        var t = await Tenant.CreateAsync(server);
        var order = await t.OrderAsync();
        var path = $"/console/r/digicert/order/{order.Id}/cancel";
        using var session = await ConsoleSession.SignInAsync(server);

        var preview = await session.GetAsync(path);
        Assert.Contains("<textarea id=\"reason\"", preview.Body, StringComparison.Ordinal);
        Assert.Contains("Cancel it now", preview.Body, StringComparison.Ordinal);
        var noReason = await session.SubmitAsync(path, new() { ["Reason"] = "  " });
        Assert.Contains("A reason is required", noReason.Body, StringComparison.Ordinal);
        Assert.Equal("pending", await t.StatusAsync(order.Id));

        var done = await session.SubmitAsync(path, new() { ["Reason"] = "ordered twice, by mistake" });

        Assert.Equal(200, done.Code);
        Assert.Equal("canceled", await t.StatusAsync(order.Id));
        var id = order.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(await Audit.RowsAsync(server, id), r => (r.GetProperty("reason").GetString() ?? "").Contains("ordered twice, by mistake", StringComparison.Ordinal)
            && r.GetProperty("actor").GetProperty("kind").GetString() == "operator");
    }

    [Fact]
    public async Task The_audit_CSV_export_holds_the_filtered_rows_quoted_as_RFC_4180()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        using var session = await ConsoleSession.SignInAsync(server);
        await session.SubmitAsync($"{Numeral}/{id}/cancel", []);

        var all = await session.GetAsync($"/console/audit?handler=csv&resource={id}");
        var byOperator = await session.GetAsync($"/console/audit?handler=csv&resource={id}&actor=operator");
        var none = await session.GetAsync($"/console/audit?handler=csv&resource={id}&from=2000-01-01T00:00&to=2000-01-02T00:00");

        Assert.Equal("text/csv; charset=utf-8", all.Message.Content.Headers.ContentType!.ToString());
        var lines = all.Body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(AuditCsv.Header, lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.Contains($",{id},cancel,pending,canceled,operator,{await OperatorCredentialIdAsync()},", lines[1], StringComparison.Ordinal);
        Assert.Contains($",{id},create,,pending,credential,{t.LiveKeyId},", lines[2], StringComparison.Ordinal);
        Assert.Equal([AuditCsv.Header, lines[1]], byOperator.Body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal([AuditCsv.Header], none.Body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("\"a, \"\"b\"\"\"", AuditCsv.Field("a, \"b\""));
        Assert.Equal("'=cmd()", AuditCsv.Field("=cmd()"));
        Assert.Equal("\"a;b\"", AuditCsv.Field("a;b")); // a separator in locales that use ';' or a tab
        Assert.Equal("\"a\tb\"", AuditCsv.Field("a\tb"));
    }

    [Fact]
    public async Task The_overview_and_lists_show_every_target_with_pending_resources_by_default()
    {
        var t = await Tenant.CreateAsync(server);
        var pending = await t.PendingRequestAsync();
        var canceled = await t.PendingRequestAsync();
        await t.CancelAsync(canceled);
        using var session = await ConsoleSession.SignInAsync(server);

        var overview = await session.GetAsync("/console");
        var pendingList = await session.GetAsync($"{Numeral}?account={t.AccountId}");
        var canceledList = await session.GetAsync($"{Numeral}?filtered=1&state=canceled&account={t.AccountId}");
        var searched = await session.GetAsync($"{Numeral}?filtered=1&q={canceled}");
        var detail = await session.GetAsync($"{Numeral}/{canceled}");

        Assert.Equal(200, overview.Code);
        foreach (var target in Rescind.Server.Cancellations.CancelService.Targets)
        {
            Assert.Contains(ConsoleLinks.List(target), overview.Body, StringComparison.Ordinal);
        }
        Assert.Contains("<svg class=\"chart\"", overview.Body, StringComparison.Ordinal);
        Assert.Contains(pending, pendingList.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(canceled, pendingList.Body, StringComparison.Ordinal);
        Assert.Contains(canceled, canceledList.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(pending, canceledList.Body, StringComparison.Ordinal);
        Assert.Contains(canceled, searched.Body, StringComparison.Ordinal);
        Assert.Contains("pending → canceled", detail.Body, StringComparison.Ordinal);
        Assert.Contains("id=\"resource-state\">canceled<", detail.Body, StringComparison.Ordinal);
    }
}

[Trait("Category", "Sqlite")]
public sealed class ConsoleTests_Sqlite(SqliteServer server) : ConsoleTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class ConsoleTests_Postgres(PostgresServer server) : ConsoleTests(server), IClassFixture<PostgresServer>;
