using System.CommandLine;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Server.Cli;

namespace Rescind.Server.Circle;

/// <summary><c>rescind circle …</c>: the console step Circle's developers do by hand (registering the entity
/// secret) and the simulated chains' clock (mining blocks), from the command line.</summary>
public static class CircleCli
{
    public static IEnumerable<Command> Commands()
    {
        var blockchain = CliOptions.Value("blockchain", "CHAIN", "the chain, e.g. ETH-SEPOLIA", required: true);
        blockchain.CompletionSources.Add(CircleRules.Chains.Select(c => c.Name).ToArray());
        yield return new Command("circle", "Circle's console step and its simulated chains")
        {
            new Command("entity-secret", "register a Circle entity secret for an account (the console step)")
            {
                Account(),
                CliOptions.Value("secret", "HEX64", "the entity secret: 64 hexadecimal characters", required: true),
            }.Runs(async a =>
            {
                await using var services = await CliApp.OpenAsync(a);
                var accountId = await ExistingAccountAsync(a, services);
                var ok = await services.GetRequiredService<CircleEntitySecrets>().RegisterAsync(accountId, a.Require("secret"), Actor.Operator(null), CancellationToken.None);
                return ok ? Print($"entity secret registered for {accountId}") : throw new UsageException("--secret must be 64 hexadecimal characters");
            }),
            new Command("mine", "mine blocks of an account's simulated chain")
            {
                Account(),
                blockchain,
                CliOptions.Number("count", "N", "how many blocks (default 1)", 1, 1000, message: "--count must be 1 to 1000"),
            }.Runs(async a =>
            {
                await using var services = await CliApp.OpenAsync(a);
                var accountId = await ExistingAccountAsync(a, services);
                var chain = a.Require("blockchain");
                if (CircleRules.FindChain(chain) is null)
                {
                    throw new UsageException($"unknown blockchain {chain}");
                }
                var count = a.Get("count") is { } n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 1;
                var coordinator = services.GetRequiredService<Coordinator>();
                long height = 0;
                for (var i = 0; i < count; i++)
                {
                    height = await coordinator.RunAsync(new OperationContext(accountId, CircleStore.Api, Actor.Operator(null), null),
                        (uow, _) => CircleCommands.MineBlockAsync(uow, accountId, chain), CancellationToken.None);
                }
                return Print($"{chain} of {accountId} at height {height}");
            }),
        };
    }

    private static Option<string> Account() => CliOptions.Value("account", "ID", "the account", required: true);

    /// <summary>An unknown account is a usage error (exit 2), as it always was for these verbs.</summary>
    private static async Task<string> ExistingAccountAsync(CliArgs a, IServiceProvider services)
    {
        var accountId = a.Require("account");
        return await services.GetRequiredService<AccountStore>().FindAccountAsync(accountId, CancellationToken.None) is null
            ? throw new UsageException($"no account {accountId}")
            : accountId;
    }

    private static int Print(string text)
    {
        Console.WriteLine(text);
        return 0;
    }
}
