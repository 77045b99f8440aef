using Rescind.Core.Coordination;
using Rescind.Server.Cli;

namespace Rescind.Server.Circle;

/// <summary>
/// Circle's demo, on the demo account's simulated Ethereum Sepolia (test key): a transfer not yet broadcast
/// (cancellable at once, until the chain broadcasts it a few blocks later), a cancelled one, a complete one (refused,
/// 155215), one stuck under the base fee (its cancel is deferred: a same-nonce replacement races it) and one whose
/// replacement already races it (CANCEL_PENDING, shown as SENT; the next block settles it). The base fee is left
/// raised, so the stuck transfer stays stuck until its cancel. The entity secret is registered and printed, so
/// the curl lines can make ciphertexts.
/// </summary>
public static class CircleDemo
{
    private const string Chain = "ETH-SEPOLIA";

    public static async Task<DemoApi> SeedAsync(DemoSeed seed)
    {
        var secret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await seed.Get<CircleEntitySecrets>().RegisterAsync(seed.AccountId, secret, Actor.System, seed.Ct);
        Task<T> Run<T>(Func<UnitOfWork, Task<Outcome<T>>> work) => seed.RunAsync(CircleStore.Api, "test", work);
        var set = await Run(uow => CircleCommands.CreateWalletSetAsync(uow, "test", null, "Demo"));
        var wallets = await Run(uow => CircleCommands.CreateWalletsAsync(uow, "test", null, new NewWallets(set.Id, [Chain], 6)));
        var destination = wallets[0].Address;
        foreach (var w in wallets.Skip(1))
        {
            await Run(uow => CircleCommands.DripAsync(uow, Chain, w.Address, usdc: true, native: true));
        }
        var usdc = CircleRules.Usdc(Chain).Id;
        Task<TransactionRow> TransferAsync(WalletRow from) =>
            Run(uow => CircleCommands.TransferAsync(uow, "test", null, new NewTransfer(from.Id, destination, usdc, "1", "LOW", null, null, null, "demo")));
        Task<TransactionRow> CancelAsync(string id) => Run(uow => CircleCommands.ActAsync(uow, "test", null, id, CircleRules.Cancel));
        async Task<TransactionRow> MineUntilAsync(string id, string state)
        {
            for (var i = 0; i < 20; i++)
            {
                await seed.WorldAsync(CircleStore.Api, uow => CircleCommands.MineBlockAsync(uow, Chain));
                var t = (await CircleStore.GetTransactionAsync(seed.Get<Rescind.Core.Storage.Database>(), seed.AccountId, "test", id, seed.Ct))!;
                if (t.State == state)
                {
                    return t;
                }
            }
            throw new InvalidOperationException($"demo data: Circle transaction {id} did not reach {state}");
        }

        var complete = await MineUntilAsync((await TransferAsync(wallets[1])).Id, CircleRules.Complete);
        // Both offer LOW (the base fee) now; the base fee rises before they are broadcast, so both stick.
        var stuck = await TransferAsync(wallets[2]);
        var racing = await TransferAsync(wallets[3]);
        await MineUntilAsync(stuck.Id, CircleRules.Cleared);
        await seed.WorldAsync(CircleStore.Api, uow => CircleCommands.SetBaseFeeAsync(uow, Chain, 1000));
        await MineUntilAsync(stuck.Id, CircleRules.Stuck);
        await CancelAsync(racing.Id);
        var canceled = await TransferAsync(wallets[4]);
        await CancelAsync(canceled.Id);
        var initiated = await TransferAsync(wallets[5]);

        var key = seed.Credential(CircleStore.Api, "test").Secret;
        return new DemoApi("Circle (developer-controlled wallets, test key, ETH-SEPOLIA)", [
            new(DemoCase.Cancellable, "transaction", initiated.Id, CircleRules.Initiated, "CANCELLED at once, until the chain broadcasts it (its blocks resume about two minutes after start)", "circle:" + initiated.Id),
            new(DemoCase.Cancelled, "transaction", canceled.Id, CircleRules.Cancelled, "400 155215 (not cancellable now)", "circle:" + canceled.Id),
            new(DemoCase.Refused, "transaction", complete.Id, CircleRules.Complete, "400 155215", "circle:" + complete.Id),
            new(DemoCase.Deferred, "transaction", stuck.Id, CircleRules.Stuck, "answered SENT: its replacement races it; the next block mines the replacement (CANCELLED)", "circle:" + stuck.Id),
            new(DemoCase.Deferred, "transaction", racing.Id, CircleRules.Sent, "CANCEL_PENDING inside: its replacement already races it; the next block settles it", "circle:" + racing.Id),
        ], url => $$"""
              SECRET={{secret}}   # the demo account's entity secret
              curl -s {{url}}/v1/w3s/config/entity/publicKey -H "Authorization: Bearer {{key}}" | sed 's/.*"publicKey":"\([^"]*\)".*/\1/; s/\\n/\n/g; s/\\u002B/+/g' > pub.pem
              cipher() { echo -n "$SECRET" | xxd -r -p | openssl pkeyutl -encrypt -pubin -inkey pub.pem \
                -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 | base64 -w0; }
              for ID in {{initiated.Id}} {{canceled.Id}} {{complete.Id}} {{stuck.Id}} {{racing.Id}}; do
                curl -s -w ' %{http_code}\n' -X POST {{url}}/v1/w3s/developer/transactions/$ID/cancel -H "Authorization: Bearer {{key}}" \
                  -H "Content-Type: application/json" -d "{\"idempotencyKey\":\"$(cat /proc/sys/kernel/random/uuid)\",\"entitySecretCiphertext\":\"$(cipher)\"}"
              done
            """);
    }
}
