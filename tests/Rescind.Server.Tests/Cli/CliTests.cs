using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cli;

/// <summary>The <c>rescind</c> executable itself, run as a process against a database of its own.</summary>
public abstract class CliTests(ProcessStorage store) : IAsyncLifetime
{
    private string[] storage = [];

    public async Task InitializeAsync() => storage = await store.CreateAsync();

    public Task DisposeAsync() => store.DropAsync();

    protected static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => RescindProcess.RunAsync(args);

    private Task<(int Code, string Out, string Err)> Rescind(params string[] args) => RescindProcess.RunAsync([.. args, .. storage]);

    private Task CorruptAsync(string sql) => store.ExecuteAsync(sql);

    [Fact]
    public async Task Demo_json_prints_the_account_and_every_credential_as_one_object()
    {
        var (code, output, err) = await Rescind("demo", "--json");

        Assert.True(code == 0, err);
        var o = JsonDocument.Parse(output).RootElement;
        Assert.StartsWith("acct_", o.GetProperty("account_id").GetString(), StringComparison.Ordinal);
        var secrets = o.GetProperty("credentials").EnumerateArray().Select(c => c.GetProperty("secret").GetString()!).ToList();
        Assert.Contains(secrets, s => s.StartsWith("sk_live_", StringComparison.Ordinal));
        Assert.Contains(secrets, s => s.StartsWith("sk_test_", StringComparison.Ordinal));
        Assert.StartsWith("op_", o.GetProperty("operator_token").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("cert_req_", o.GetProperty("numeral").GetProperty("certificate_request_id").GetString(), StringComparison.Ordinal);
        var cases = o.GetProperty("resources").EnumerateArray()
            .Select(r => (Api: r.GetProperty("api").GetString()!.Split(' ')[0], Case: r.GetProperty("case").GetString()!)).ToHashSet();
        foreach (var api in new[] { "Numeral", "DigiCert", "CrissCross", "Circle", "GoCardless" })
        {
            Assert.All(new[] { "cancellable", "cancelled", "refused" }, c => Assert.Contains((api, c), cases));
        }
        Assert.Contains(("CrissCross", "deferred"), cases);
        Assert.Contains(("Circle", "deferred"), cases);
        Assert.Equal(0, (await Rescind("verify")).Code);
    }

    [Fact]
    public async Task Circle_entity_secret_registration_and_block_mining_work_from_the_command_line()
    {
        var created = await Rescind("accounts", "create", "--name", "Wallets", "--json");
        Assert.True(created.Code == 0, created.Err);
        var account = JsonDocument.Parse(created.Out).RootElement.GetProperty("account").GetProperty("id").GetString()!;

        var registered = await Rescind("circle", "entity-secret", "--account", account, "--secret", new string('a', 64));
        Assert.True(registered.Code == 0, registered.Err);
        Assert.Equal(2, (await Rescind("circle", "entity-secret", "--account", account, "--secret", "short")).Code);
        Assert.Equal(2, (await Rescind("circle", "entity-secret", "--account", "acct_missing", "--secret", new string('a', 64))).Code);

        var mined = await Rescind("circle", "mine", "--account", account, "--blockchain", "ETH-SEPOLIA", "--count", "3");
        Assert.True(mined.Code == 0, mined.Err);
        Assert.Contains("height 3", mined.Out, StringComparison.Ordinal);
        Assert.Equal(2, (await Rescind("circle", "mine", "--account", account, "--blockchain", "NOPE")).Code);
        Assert.Equal(0, (await Rescind("verify")).Code);
    }

    [Fact]
    public async Task Accounts_keys_and_the_customers_side_work_from_the_command_line()
    {
        var created = await Rescind("accounts", "create", "--name", "Acme", "--json");
        Assert.True(created.Code == 0, created.Err);
        var account = JsonDocument.Parse(created.Out).RootElement.GetProperty("account").GetProperty("id").GetString()!;
        Assert.Contains(account, (await Rescind("accounts", "list")).Out, StringComparison.Ordinal);

        var key = await Rescind("keys", "create", "--account", account, "--api", "numeral", "--mode", "live", "--json");
        Assert.True(key.Code == 0, key.Err);
        var keyId = JsonDocument.Parse(key.Out).RootElement.GetProperty("id").GetString()!;
        Assert.Equal(0, (await Rescind("keys", "revoke", "--id", keyId)).Code);
        Assert.Equal(1, (await Rescind("keys", "revoke", "--id", keyId)).Code);

        var demo = JsonDocument.Parse((await Rescind("demo", "--json")).Out).RootElement;
        var request = demo.GetProperty("numeral").GetProperty("certificate_request_id").GetString()!;
        var submitted = await Rescind("simulate", "numeral", "submit", "--request", request);
        Assert.True(submitted.Code == 0, submitted.Out + submitted.Err);
        var accepted = await Rescind("simulate", "numeral", "accept", "--request", request);
        Assert.Equal("fulfilled", JsonDocument.Parse(accepted.Out).RootElement.GetProperty("status").GetString());
        var again = await Rescind("simulate", "numeral", "reject", "--request", request);
        Assert.Equal(1, again.Code);
        Assert.Contains("REQUEST_NOT_PENDING", again.Out, StringComparison.Ordinal);

        var audit = await Rescind("audit", "--resource", request, "--json");
        var actions = JsonDocument.Parse(audit.Out).RootElement.EnumerateArray().Select(r => r.GetProperty("Action").GetString()).ToList();
        Assert.Equal(["create", "submit", "accept"], actions);
        Assert.Equal(0, (await Rescind("jobs", "run")).Code);
        Assert.Equal(0, (await Rescind("migrate")).Code);
    }

    [Fact]
    public async Task Verify_passes_on_a_healthy_database_and_exits_1_naming_each_violation()
    {
        var demo = JsonDocument.Parse((await Rescind("demo", "--json")).Out).RootElement;
        var request = demo.GetProperty("numeral").GetProperty("certificate_request_id").GetString()!;
        var healthy = await Rescind("verify");
        Assert.True(healthy.Code == 0, healthy.Out + healthy.Err);

        // Corrupt the database behind Rescind's back: a state change with no audit row or event.
        await CorruptAsync("UPDATE numeral_requests SET status = 'canceled' WHERE id = '" + request + "'");
        var broken = await Rescind("verify");

        Assert.Equal(1, broken.Code);
        Assert.Contains("FAIL  numeral: each request's state is its last audited state", broken.Out, StringComparison.Ordinal);
        Assert.Contains(request, broken.Out, StringComparison.Ordinal);
        Assert.Contains("reminders only for pending requests", broken.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("accounts")]
    [InlineData("accounts", "create")]
    [InlineData("accounts", "create", "--name")]
    [InlineData("accounts", "list", "--colour", "red")]
    [InlineData("keys", "create", "--account", "acct_x", "--api", "nope", "--mode", "live")]
    [InlineData("simulate", "numeral", "explode", "--request", "cert_req_x")]
    [InlineData("audit", "--limit", "zero")]
    [InlineData("serve", "--bogus")]
    [InlineData("demo", "--json=yes")]
    public async Task Bad_arguments_exit_with_2_and_say_what_was_wrong(params string[] args)
    {
        var (code, _, err) = await Rescind(args);
        Assert.Equal(2, code);
        Assert.StartsWith("rescind: ", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("serve", "--help")]
    [InlineData("accounts", "--help")]
    [InlineData("keys", "--help")]
    [InlineData("simulate", "--help")]
    [InlineData("demo", "--help")]
    public async Task Help_is_available_everywhere(params string[] args)
    {
        var (code, output, _) = await RunAsync(args);
        Assert.Equal(0, code);
        Assert.Contains("Usage", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_exits_2_naming_it_on_stderr_and_nothing_on_stdout()
    {
        var (code, output, err) = await Rescind("audit", "--colour", "red");

        Assert.Equal(2, code);
        Assert.Contains("'--colour'", err, StringComparison.Ordinal);
        Assert.Contains("rescind audit --help", err, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task A_configured_operator_token_shorter_than_32_characters_stops_the_start_with_exit_1()
    {
        var (code, _, err) = await Rescind("serve", "--urls", $"http://127.0.0.1:{RescindProcess.FreePort()}", "--Rescind:OperatorToken=op_short");

        Assert.Equal(1, code);
        Assert.Contains("rescind: cannot start: Rescind:OperatorToken must be at least 32 characters", err, StringComparison.Ordinal);
        Assert.DoesNotContain("op_short", err, StringComparison.Ordinal); // the secret itself is never echoed
    }

    [Fact]
    public async Task A_module_contributed_verb_has_help_listing_its_options()
    {
        var mine = await RunAsync("circle", "mine", "--help");
        Assert.Equal(0, mine.Code);
        foreach (var option in new[] { "--account", "--blockchain", "--count", "--data", "--database" })
        {
            Assert.Contains(option, mine.Out, StringComparison.Ordinal);
        }
        var circle = await RunAsync("circle", "--help");
        Assert.Contains("entity-secret", circle.Out, StringComparison.Ordinal);
        Assert.Contains("circle", (await RunAsync("--help")).Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[suggest:4]", "webh", "webhooks")]
    [InlineData("[suggest:7]", "circle ", "mine")]
    [InlineData("[suggest:14]", "simulate numer", "numeral")]
    public async Task The_suggest_directive_completes_verb_names(string directive, string typed, string completion)
    {
        var (code, output, _) = await RunAsync(directive, typed);

        Assert.Equal(0, code);
        Assert.Contains(completion, output.Split('\n', StringSplitOptions.TrimEntries));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CliTests_Sqlite() : CliTests(new SqliteProcessStorage());

[Trait("Category", "Postgres")]
public sealed class CliTests_Postgres() : CliTests(new PostgresProcessStorage());
