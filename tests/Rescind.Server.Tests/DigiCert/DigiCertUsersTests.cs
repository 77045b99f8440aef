using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>CertCentral users and access roles: every key acts as a user, and only administrators and managers
/// approve or reject requests.</summary>
public abstract class DigiCertUsersTests(RescindServer server)
{
    /// <summary>A user the account's administrator added, and an API key acting as them.</summary>
    private sealed record Member(long Id, Dictionary<string, string?> Key);

    private static async Task<Member> AddUserAsync(Tenant admin, string username, int role, int? restrictedTo = null)
    {
        var added = await admin.DigiCertAsync(HttpMethod.Post, "/services/v2/user", new
        {
            username,
            first_name = "Jill",
            last_name = username,
            email = username + "@example.com",
            access_roles = new[] { new { id = role } },
        });
        Assert.True(added.Code == 201, added.Body);
        var id = added.Json.GetProperty("id").GetInt64();
        var key = await admin.DigiCertAsync(HttpMethod.Post, $"/services/v2/key/user/{id}", new { name = username + " key", restricted_to_role_id = restrictedTo });
        Assert.True(key.Code == 201, key.Body);
        Assert.NotEqual(0, key.Json.GetProperty("id").GetInt64());
        return new Member(id, new() { ["X-DC-DEVKEY"] = key.Str("api_key") });
    }

    private static Task<Answer> AsAsync(Tenant t, Member m, HttpMethod method, string path, object? body = null) =>
        t.DigiCertAsync(method, path, body, m.Key);

    private static int RoleOf(JsonElement user) => user.GetProperty("access_roles")[0].GetProperty("id").GetInt32();

    [Fact]
    public async Task The_accounts_own_key_acts_as_its_administrator_and_lists_the_users_it_adds()
    {
        var t = await Tenant.CreateAsync(server);

        var me = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/user/me");

        Assert.True(me.Code == 200, me.Body);
        Assert.Equal(1, RoleOf(me.Json));
        Assert.Equal("Administrator", me.Json.GetProperty("access_roles")[0].GetProperty("name").GetString());
        Assert.Equal("active", me.Json.GetProperty("status").GetString());
        var again = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/user/me");
        Assert.Equal(me.Json.GetProperty("id").GetInt64(), again.Json.GetProperty("id").GetInt64()); // one user per key

        var jill = await AddUserAsync(t, "jill.valentine", 5);
        var list = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/user");
        Assert.True(list.Code == 200, list.Body);
        Assert.Equal(2, list.Json.GetProperty("page").GetProperty("total").GetInt64());
        var listed = list.Json.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("id").GetInt64() == jill.Id);
        Assert.Equal("jill.valentine", listed.GetProperty("username").GetString());
        Assert.Equal("Standard user", listed.GetProperty("access_roles")[0].GetProperty("name").GetString());
        var info = await t.DigiCertAsync(HttpMethod.Get, $"/services/v2/user/{jill.Id}");
        Assert.Equal("jill.valentine@example.com", info.Json.GetProperty("email").GetString());
        var hers = await AsAsync(t, jill, HttpMethod.Get, "/services/v2/user/me");
        Assert.Equal(jill.Id, hers.Json.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Concurrent_first_calls_of_a_new_key_make_exactly_one_administrator_user()
    {
        var t = await Tenant.CreateAsync(server);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => t.DigiCertAsync(HttpMethod.Get, "/services/v2/user/me")));

        Assert.All(answers, a => Assert.True(a.Code == 200, a.Body));
        Assert.Single(answers.Select(a => a.Json.GetProperty("id").GetInt64()).Distinct());
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM digicert_users WHERE account_id = @a", new { a = t.AccountId }));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM digicert_keys WHERE account_id = @a", new { a = t.AccountId }));
    }

    [Fact]
    public async Task A_standard_users_order_waits_for_approval_which_a_standard_user_cannot_give_and_a_manager_can()
    {
        var t = await Tenant.CreateAsync(server);
        var standard = await AddUserAsync(t, "standard.user", 5);
        var other = await AddUserAsync(t, "other.standard", 5);
        var manager = await AddUserAsync(t, "the.manager", 4);
        object Body(bool skip) => new { certificate = new { common_name = "Dana Smith", emails = new[] { "dana@example.com" } }, skip_approval = skip };

        (await AsAsync(t, standard, HttpMethod.Post, "/services/v2/order/certificate/client_premium", Body(skip: true)))
            .IsDigiCertError(403, "access_denied|missing_permission");
        var placed = await AsAsync(t, standard, HttpMethod.Post, "/services/v2/order/certificate/client_premium", Body(skip: false));
        Assert.True(placed.Code == 201, placed.Body);
        var orderId = placed.Json.GetProperty("id").GetInt64();
        var requestId = placed.Json.GetProperty("requests")[0].GetProperty("id").GetInt64();
        var audited = await server.CountAsync("SELECT COUNT(*) FROM audit_log");

        foreach (var who in new[] { standard, other })
        {
            foreach (var status in new[] { "approved", "rejected" })
            {
                (await AsAsync(t, who, HttpMethod.Put, $"/services/v2/request/{requestId}/status", new { status }))
                    .IsDigiCertError(403, "access_denied|missing_permission");
            }
        }
        Assert.Equal("needs_approval", await t.StatusAsync(orderId));
        Assert.Equal(audited, await server.CountAsync("SELECT COUNT(*) FROM audit_log"));

        Assert.Equal(204, (await AsAsync(t, manager, HttpMethod.Put, $"/services/v2/request/{requestId}/status", new { status = "approved", processor_comment = "ok" })).Code);

        Assert.Equal("waiting_pickup", await t.StatusAsync(orderId));
        var request = (await t.GetRequestAsync(requestId)).Json;
        Assert.Equal(standard.Id, request.GetProperty("requester").GetProperty("id").GetInt64());
        Assert.Equal("standard.user@example.com", request.GetProperty("requester").GetProperty("email").GetString());
        Assert.Equal(manager.Id, request.GetProperty("processor").GetProperty("id").GetInt64());
        Assert.Equal("Jill", request.GetProperty("processor").GetProperty("first_name").GetString());
        Assert.Equal("the.manager", request.GetProperty("processor").GetProperty("last_name").GetString());
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Rejecting_is_the_managers_too_and_the_seeds_reject_then_cancel_completes()
    {
        var t = await Tenant.CreateAsync(server);
        var standard = await AddUserAsync(t, "standard.user", 5);
        var manager = await AddUserAsync(t, "the.manager", 4);
        var placed = await AsAsync(t, standard, HttpMethod.Post, "/services/v2/order/certificate/client_premium",
            new { certificate = new { common_name = "Dana Smith", emails = new[] { "dana@example.com" } } });
        var orderId = placed.Json.GetProperty("id").GetInt64();
        var requestId = placed.Json.GetProperty("requests")[0].GetProperty("id").GetInt64();

        Assert.Equal(204, (await AsAsync(t, manager, HttpMethod.Put, $"/services/v2/request/{requestId}/status", new { status = "rejected", processor_comment = "Dana left" })).Code);
        Assert.Equal(204, (await AsAsync(t, standard, HttpMethod.Put, $"/services/v2/order/certificate/{orderId}/status", new { status = "canceled", note = "Dana left" })).Code);

        Assert.Equal("rejected", await t.StatusAsync(orderId));
        Assert.Equal(manager.Id, (await t.GetRequestAsync(requestId)).Json.GetProperty("processor").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Users_see_only_themselves_unless_administrator_or_manager_and_only_administrators_add_users_or_keys_for_others()
    {
        var t = await Tenant.CreateAsync(server);
        var standard = await AddUserAsync(t, "standard.user", 5);
        var manager = await AddUserAsync(t, "the.manager", 4);
        var adminId = (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/user/me")).Json.GetProperty("id").GetInt64();
        var newUser = new { username = "x.y", first_name = "X", last_name = "Y", email = "x@example.com", access_roles = new[] { new { id = 5 } } };

        (await AsAsync(t, standard, HttpMethod.Get, "/services/v2/user")).IsDigiCertError(403, "access_denied|missing_permission");
        (await AsAsync(t, standard, HttpMethod.Get, $"/services/v2/user/{adminId}")).IsDigiCertError(403, "access_denied|missing_permission");
        Assert.Equal(200, (await AsAsync(t, standard, HttpMethod.Get, $"/services/v2/user/{standard.Id}")).Code);
        Assert.Equal(200, (await AsAsync(t, manager, HttpMethod.Get, $"/services/v2/user/{adminId}")).Code);
        Assert.Equal(200, (await AsAsync(t, manager, HttpMethod.Get, "/services/v2/user")).Code);
        (await AsAsync(t, manager, HttpMethod.Post, "/services/v2/user", newUser)).IsDigiCertError(403, "access_denied|missing_permission");
        (await AsAsync(t, standard, HttpMethod.Post, $"/services/v2/key/user/{manager.Id}", new { name = "theirs" })).IsDigiCertError(403, "access_denied|missing_permission");

        var own = await AsAsync(t, standard, HttpMethod.Post, "/services/v2/key/user/me", new { name = "my second key" });
        Assert.True(own.Code == 201, own.Body);
        var second = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/user/me", headers: new() { ["X-DC-DEVKEY"] = own.Str("api_key") });
        Assert.Equal(standard.Id, second.Json.GetProperty("id").GetInt64());
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task An_administrator_makes_a_standard_user_a_manager_who_can_then_approve()
    {
        var t = await Tenant.CreateAsync(server);
        var standard = await AddUserAsync(t, "standard.user", 5);
        var o = await t.OrderAsync(skipApproval: false);
        const int Manager = 4;
        var role = new { access_roles = new[] { new { id = Manager } } };

        (await AsAsync(t, standard, HttpMethod.Put, $"/services/v2/request/{o.RequestId}/status", new { status = "approved" })).IsDigiCertError(403, "access_denied|missing_permission");
        (await AsAsync(t, standard, HttpMethod.Put, $"/services/v2/user/{standard.Id}/role", role)).IsDigiCertError(403, "access_denied|missing_permission");
        Assert.Equal(204, (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/user/{standard.Id}/role", role)).Code);

        Assert.Equal(Manager, RoleOf((await AsAsync(t, standard, HttpMethod.Get, "/services/v2/user/me")).Json));
        Assert.Equal(204, (await AsAsync(t, standard, HttpMethod.Put, $"/services/v2/request/{o.RequestId}/status", new { status = "approved" })).Code);
        Assert.Equal("pending", await t.StatusAsync(o.Id));
        (await t.DigiCertAsync(HttpMethod.Put, "/services/v2/user/999999999/role", role)).IsDigiCertError(404, "not_found|user");
        (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/user/{standard.Id}/role", new { access_roles = new[] { new { id = 7 } } })).IsDigiCertError(400, "invalid_param|access_roles");
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_keys_API_role_limits_it_to_reading_or_to_users()
    {
        var t = await Tenant.CreateAsync(server);
        var order = await t.OrderAsync();
        var viewOnly = await AddUserAsync(t, "viewer", 1, restrictedTo: 102);
        var usersOnly = await AddUserAsync(t, "hr", 1, restrictedTo: 103);

        Assert.Equal(200, (await AsAsync(t, viewOnly, HttpMethod.Get, $"/services/v2/order/certificate/{order.Id}")).Code);
        (await AsAsync(t, viewOnly, HttpMethod.Put, $"/services/v2/order/certificate/{order.Id}/status", new { status = "canceled", note = "x" }))
            .IsDigiCertError(403, "access_denied|missing_permission");
        Assert.Equal("pending", await t.StatusAsync(order.Id));
        Assert.Equal(200, (await AsAsync(t, usersOnly, HttpMethod.Get, "/services/v2/user/me")).Code);
        (await AsAsync(t, usersOnly, HttpMethod.Get, "/services/v2/order/certificate")).IsDigiCertError(403, "access_denied|missing_permission");
    }

    [Fact]
    public async Task A_service_user_is_created_with_its_key_and_bad_user_bodies_are_refused_in_DigiCerts_envelope()
    {
        var t = await Tenant.CreateAsync(server);

        var service = await t.DigiCertAsync(HttpMethod.Post, "/services/v2/user", new { is_api_only = true, email = "bot@example.com", api_name = "CI" });
        Assert.True(service.Code == 201, service.Body);
        var me = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/user/me", headers: new() { ["X-DC-DEVKEY"] = service.Str("api_key") });
        Assert.Equal(service.Json.GetProperty("id").GetInt64(), me.Json.GetProperty("id").GetInt64());
        Assert.Equal(1, RoleOf(me.Json)); // the creating administrator's permissions [doc]

        var user = new Dictionary<string, object?> { ["username"] = "a.b", ["first_name"] = "A", ["last_name"] = "B", ["email"] = "a@example.com", ["access_roles"] = new[] { new { id = 5 } } };
        Assert.Equal(201, (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/user", user)).Code);
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/user", user)).IsDigiCertError(400, "duplicate_error");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/user", new Dictionary<string, object?>(user) { ["username"] = "c.d", ["access_roles"] = null }))
            .IsDigiCertError(400, "missing_param|access_roles");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/user", new Dictionary<string, object?>(user) { ["username"] = "c.d", ["access_roles"] = new[] { new { id = 9 } } }))
            .IsDigiCertError(400, "invalid_param|access_roles");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/user", new Dictionary<string, object?>(user) { ["username"] = "c d" }))
            .IsDigiCertError(400, "invalid_param|username");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/user", new Dictionary<string, object?>(user) { ["username"] = "c.d", ["email"] = "nope" }))
            .IsDigiCertError(400, "invalid_param|email");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/key/user/999999999", new { name = "k" })).IsDigiCertError(404, "not_found|user");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/key/user/me", new { name = "k", restricted_to_role_id = 7 })).IsDigiCertError(400, "invalid_param|restricted_to_role_id");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/key/user/me", new { })).IsDigiCertError(400, "missing_param|name");
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/user/999999999")).IsDigiCertError(404, "not_found|user");
        await Audit.AssertVerifiedAsync(server);
    }
}

public sealed class DigiCertUsersTests_Sqlite(SqliteServer server) : DigiCertUsersTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertUsersTests_Postgres(PostgresServer server) : DigiCertUsersTests(server), IClassFixture<PostgresServer>;
