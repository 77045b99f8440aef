using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Circle;

/// <summary>Circle's developer-controlled wallets over HTTP: auth, the entity secret, idempotency keys, wallets,
/// the faucet, transfers through the simulated chain, lists and their Link header.</summary>
public abstract class CircleApiTests(RescindServer server)
{
    [Fact]
    public async Task A_malformed_or_unknown_key_is_401_in_Circles_envelope_with_a_request_id()
    {
        var t = await Tenant.CreateAsync(server);
        foreach (var auth in new[] { "", "Bearer nonsense", "Bearer TEST_API_KEY:only-two", "Bearer SOME_KEY:a:b" })
        {
            var a = await t.SendAsync(HttpMethod.Get, "/v1/w3s/walletSets", null, new() { ["Authorization"] = auth });
            a.IsCircleError(401, 401);
            Assert.Equal("Malformed authorization.", a.Json.GetProperty("message").GetString());
            Assert.NotNull(a.Header("X-Request-Id"));
        }
        var unknown = await t.SendAsync(HttpMethod.Get, "/v1/w3s/walletSets", null, new() { ["Authorization"] = "Bearer TEST_API_KEY:abc:def", ["X-Request-Id"] = "mine-1" });
        unknown.IsCircleError(401, 401);
        Assert.Equal("mine-1", unknown.Header("X-Request-Id"));
    }

    [Fact]
    public async Task Keys_have_Circles_prefix_id_secret_shape_and_an_unknown_route_answers_in_Circles_envelope()
    {
        var c = await CircleClient.CreateAsync(server);
        Assert.Matches("^TEST_API_KEY:[A-Za-z0-9]{32}:[A-Za-z0-9]{32}$", c.ApiKey("test"));
        Assert.Matches("^LIVE_API_KEY:[A-Za-z0-9]{32}:[A-Za-z0-9]{32}$", c.ApiKey("live"));
        var a = await c.GetAsync("/v1/w3s/nothing-here");
        a.IsCircleError(404, 404);
    }

    [Fact]
    public async Task The_public_key_is_one_PEM_key_per_account()
    {
        var c1 = await CircleClient.CreateAsync(server);
        var c2 = await CircleClient.CreateAsync(server);
        var k1 = (await c1.GetAsync("/v1/w3s/config/entity/publicKey")).Json.GetProperty("data").GetProperty("publicKey").GetString()!;
        var again = (await c1.GetAsync("/v1/w3s/config/entity/publicKey", "live")).Json.GetProperty("data").GetProperty("publicKey").GetString()!;
        var k2 = (await c2.GetAsync("/v1/w3s/config/entity/publicKey")).Json.GetProperty("data").GetProperty("publicKey").GetString()!;
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", k1);
        Assert.Equal(k1, again);
        Assert.NotEqual(k1, k2);
    }

    [Fact]
    public async Task Each_ciphertext_is_accepted_once_and_a_wrong_secret_or_garbage_is_156013()
    {
        var c = await CircleClient.CreateAsync(server);
        var cipher = c.Ciphertext();
        var first = await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["entitySecretCiphertext"] = cipher });
        Assert.Equal(201, first.Code);
        (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["entitySecretCiphertext"] = cipher })).IsCircleError(400, 156004);
        (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["entitySecretCiphertext"] = c.Ciphertext(new string('a', 64)) })).IsCircleError(400, 156013);
        (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["entitySecretCiphertext"] = "bm90IGEgY2lwaGVydGV4dA==" })).IsCircleError(400, 156013);
        (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["entitySecretCiphertext"] = "%%%" })).IsCircleError(400, 156013);
        var missing = await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["entitySecretCiphertext"] = null });
        missing.IsCircleError(400, 2);
        Assert.Equal("entitySecretCiphertext", missing.Json.GetProperty("errors")[0].GetProperty("location").GetString());
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM circle_wallet_sets WHERE account_id = @AccountId", new { c.AccountId }));
    }

    [Fact]
    public async Task Without_a_registered_entity_secret_mutations_are_refused()
    {
        var t = await Tenant.CreateAsync(server);
        var a = await CircleClient.Send(t, HttpMethod.Post, "/v1/w3s/developer/walletSets",
            JsonSerializer.Serialize(new { idempotencyKey = Guid.NewGuid().ToString(), entitySecretCiphertext = "AAAA" }), "test");
        a.IsCircleError(400, 156016);
    }

    [Fact]
    public async Task The_same_idempotency_key_answers_the_original_and_a_different_request_is_403_156020()
    {
        var c = await CircleClient.CreateAsync(server);
        var key = Guid.NewGuid().ToString();
        var first = await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "A" });
        Assert.Equal(201, first.Code);
        var again = await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "A" }); // fresh ciphertext, as the SDK sends
        Assert.Equal(200, again.Code);
        Assert.Equal(first.Body, again.Body);
        (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "B" })).IsCircleError(403, 156020);
        (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = "not-a-uuid" })).IsCircleError(400, 2);
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM circle_wallet_sets WHERE account_id = @AccountId", new { c.AccountId }));
    }

    [Fact]
    public async Task A_repeat_of_a_known_key_is_answered_only_with_a_ciphertext_that_decrypts_to_the_entity_secret()
    {
        // Whether a key is known is read before the coordinator claims it; a key that expired in between must not
        // run its work with a ciphertext nobody decrypted, so the ciphertext is checked whatever that read saw.
        var c = await CircleClient.CreateAsync(server);
        var key = Guid.NewGuid().ToString();
        var used = c.Ciphertext();
        var first = await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "A", ["entitySecretCiphertext"] = used });
        Assert.Equal(201, first.Code);
        (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "A", ["entitySecretCiphertext"] = "AAAA" }))
            .IsCircleError(400, 156013);
        (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "A", ["entitySecretCiphertext"] = c.Ciphertext(new string('b', 64)) }))
            .IsCircleError(400, 156013);
        // The same ciphertext as the first call (used, but it decrypts) and a fresh one both get the original answer.
        var same = await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "A", ["entitySecretCiphertext"] = used });
        Assert.Equal((200, first.Body), (same.Code, same.Body));
        var fresh = await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "A" });
        Assert.Equal((200, first.Body), (fresh.Code, fresh.Body));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM circle_wallet_sets WHERE account_id = @AccountId", new { c.AccountId }));
    }

    [Fact]
    public async Task After_24_hours_a_key_is_new_again_and_its_ciphertext_is_checked_again()
    {
        var c = await CircleClient.CreateAsync(server);
        var key = Guid.NewGuid().ToString();
        Assert.Equal(201, (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "A" })).Code);
        server.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "A", ["entitySecretCiphertext"] = c.Ciphertext(new string('b', 64)) }))
            .IsCircleError(400, 156013);
        Assert.Equal(201, (await c.PostAsync("/v1/w3s/developer/walletSets", new() { ["idempotencyKey"] = key, ["name"] = "A" })).Code);
        Assert.Equal(2, await server.CountAsync("SELECT COUNT(*) FROM circle_wallet_sets WHERE account_id = @AccountId", new { c.AccountId }));
    }

    [Fact]
    public async Task Wallets_get_addresses_per_blockchain_and_keys_reach_only_their_networks()
    {
        var c = await CircleClient.CreateAsync(server);
        var set = await c.WalletSetAsync();
        var a = await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = set, ["blockchains"] = new[] { "ETH-SEPOLIA", "SOL-DEVNET" }, ["count"] = 2 });
        Assert.True(a.Code == 201, a.Body);
        var wallets = a.Json.GetProperty("data").GetProperty("wallets").EnumerateArray().ToList();
        Assert.Equal(4, wallets.Count);
        Assert.All(wallets.Where(w => w.GetProperty("blockchain").GetString() == "ETH-SEPOLIA"), w => Assert.Matches("^0x[0-9a-f]{40}$", w.GetProperty("address").GetString()));
        Assert.All(wallets, w => Assert.Equal("DEVELOPER", w.GetProperty("custodyType").GetString()));
        Assert.All(wallets, w => Assert.Equal("LIVE", w.GetProperty("state").GetString()));

        (await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = set, ["blockchains"] = new[] { "ETH" } })).IsCircleError(400, 156006);
        var liveSet = await c.WalletSetAsync("live");
        (await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = liveSet, ["blockchains"] = new[] { "ETH-SEPOLIA" } }, "live")).IsCircleError(400, 156006);
        Assert.Equal(201, (await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = liveSet, ["blockchains"] = new[] { "ETH" } }, "live")).Code);
        // Test and live are separate worlds [ours].
        (await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = set, ["blockchains"] = new[] { "ETH" } }, "live")).IsCircleError(404, 156005);

        var one = await c.GetAsync("/v1/w3s/wallets/" + wallets[0].GetProperty("id").GetString());
        Assert.Equal(200, one.Code);
        (await c.GetAsync("/v1/w3s/wallets/" + Guid.NewGuid())).IsCircleError(404, 156001);
        var list = await c.GetAsync("/v1/w3s/wallets?blockchain=SOL-DEVNET");
        Assert.Equal(2, list.Json.GetProperty("data").GetProperty("wallets").GetArrayLength());
        var sets = await c.GetAsync("/v1/w3s/walletSets");
        Assert.Equal(1, sets.Json.GetProperty("data").GetProperty("walletSets").GetArrayLength());
    }

    [Fact]
    public async Task The_faucet_funds_test_wallets_only()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, _) = await c.WalletPairAsync();
        var balances = await c.BalancesAsync(from.GetProperty("id").GetString()!);
        Assert.Equal("10", balances["USDC"]);
        Assert.Equal("1", balances["ETH"]);
        var live = await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v1/faucet/drips",
            JsonSerializer.Serialize(new { address = from.GetProperty("address").GetString(), blockchain = "ETH-SEPOLIA" }), "live");
        live.IsCircleError(403, 3);
        var unknown = await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v1/faucet/drips",
            JsonSerializer.Serialize(new { address = "0x" + new string('1', 40), blockchain = "ETH-SEPOLIA" }), "test");
        unknown.IsCircleError(404, 156001);
    }

    [Fact]
    public async Task A_transfer_moves_through_every_state_to_COMPLETE_and_the_balances_follow_what_was_mined()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to, "1.5");
        var seen = new List<string> { await c.StateAsync(id) };
        for (var i = 0; i < 8; i++)
        {
            await c.MineAsync();
            seen.Add(await c.StateAsync(id));
        }
        Assert.Equal(["INITIATED", "QUEUED", "CLEARED", "SENT", "CONFIRMED"], seen.Distinct().Take(5));
        Assert.Equal("COMPLETE", seen[^1]);
        var tx = await c.TransactionAsync(id);
        Assert.Equal(0, tx.GetProperty("nonce").GetInt64());
        Assert.StartsWith("0x", tx.GetProperty("txHash").GetString());
        Assert.Equal("0.00169", tx.GetProperty("networkFee").GetString()); // 65,000 gas × 26 gwei (MEDIUM over a base fee of 20)
        Assert.NotNull(tx.GetProperty("firstConfirmDate").GetString());
        Assert.Equal(["1.5"], tx.GetProperty("amounts").EnumerateArray().Select(x => x.GetString()));
        var source = await c.BalancesAsync(from.GetProperty("id").GetString()!);
        Assert.Equal("8.5", source["USDC"]);
        Assert.Equal("0.99831", source["ETH"]);
        Assert.Equal("1.5", (await c.BalancesAsync(to.GetProperty("id").GetString()!))["USDC"]);
        // One transactions.outbound event per state change, the transaction as its notification.
        var events = await Audit.EventsAsync(server, id);
        Assert.Equal(6, events.Count);
        Assert.All(events, e => Assert.Equal("transactions.outbound", e.GetProperty("type").GetString()));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task The_chains_advance_on_the_clock_when_the_jobs_run()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to);
        for (var i = 0; i < 10; i++)
        {
            server.Clock.Advance(TimeSpan.FromSeconds(12));
            Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run")).Code);
        }
        Assert.Equal("COMPLETE", await c.StateAsync(id));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Screening_denies_and_an_unfunded_transfer_fails_with_its_errorReason()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Post, "/operator/circle/screening",
            new { accountId = c.AccountId, address = to.GetProperty("address").GetString() })).Code);
        var denied = await c.TransferAsync(from, to);
        await c.MineAsync();
        Assert.Equal("DENIED", await c.StateAsync(denied));

        var (rich, other) = await c.WalletPairAsync();
        var tooMuch = await c.TransferAsync(rich, other, "100");
        await c.MineUntilAsync(tooMuch, "FAILED");
        Assert.Equal("INSUFFICIENT_TOKEN", (await c.TransactionAsync(tooMuch)).GetProperty("errorReason").GetString());
        Assert.Equal("10", (await c.BalancesAsync(rich.GetProperty("id").GetString()!))["USDC"]);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task An_id_in_the_path_that_is_not_a_UUID_is_400_156009_and_a_missing_wallet_set_156005()
    {
        var c = await CircleClient.CreateAsync(server);
        foreach (var path in new[] { "/v1/w3s/wallets/x", "/v1/w3s/wallets/x/balances", "/v1/w3s/walletSets/x", "/v1/w3s/transactions/x" })
        {
            (await c.GetAsync(path)).IsCircleError(400, 156009);
        }
        (await c.GetAsync("/v1/w3s/walletSets/" + Guid.NewGuid())).IsCircleError(404, 156005);
        (await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = Guid.NewGuid().ToString(), ["blockchains"] = new[] { "ETH-SEPOLIA" } }))
            .IsCircleError(404, 156005);
    }

    [Fact]
    public async Task Transfers_are_validated_in_Circles_envelope()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var baseBody = () => TransferBody(from, to);
        var noFee = baseBody();
        noFee.Remove("feeLevel");
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", noFee)).IsCircleError(400, 155231);
        var badAddress = baseBody();
        badAddress["destinationAddress"] = "not-an-address";
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", badAddress)).IsCircleError(400, 155219);
        var notDecimal = baseBody();
        notDecimal["amounts"] = new[] { "one" };
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", notDecimal)).IsCircleError(400, 155224);
        var tooFine = baseBody();
        tooFine["amounts"] = new[] { "0.0000001" };
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", tooFine)).IsCircleError(400, 155221);
        var noToken = baseBody();
        noToken["tokenId"] = Guid.NewGuid().ToString();
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", noToken)).IsCircleError(404, 156002);
        var both = baseBody();
        both["maxFee"] = "30";
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", both)).IsCircleError(400, 155234);
        var legacy = baseBody();
        legacy.Remove("feeLevel");
        legacy["gasLimit"] = "70000";
        legacy["gasPrice"] = "30";
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", legacy)).IsCircleError(400, 155235);
        var inverted = baseBody();
        inverted.Remove("feeLevel");
        inverted["gasLimit"] = "70000";
        inverted["maxFee"] = "3";
        inverted["priorityFee"] = "4";
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", inverted)).IsCircleError(400, 155237);
        var otherToken = baseBody();
        otherToken["tokenId"] = CircleClient.Usdc("MATIC-AMOY");
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", otherToken)).IsCircleError(400, 155220);
        var noWallet = baseBody();
        noWallet["walletId"] = Guid.NewGuid().ToString();
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", noWallet)).IsCircleError(404, 156001);
        var unknownField = baseBody();
        unknownField["walletID"] = "x";
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", unknownField)).IsCircleError(400, 2);
        var byAddress = baseBody();
        byAddress.Remove("walletId");
        byAddress.Remove("tokenId");
        byAddress["walletAddress"] = from.GetProperty("address").GetString();
        byAddress["blockchain"] = "ETH-SEPOLIA";
        byAddress["tokenAddress"] = "";
        var native = await c.PostAsync("/v1/w3s/developer/transactions/transfer", byAddress);
        Assert.True(native.Code == 201, native.Body);
        var nativeTx = await c.TransactionAsync(native.Json.GetProperty("data").GetProperty("id").GetString()!);
        Assert.Equal(Rescind.Server.Circle.CircleRules.Native("ETH-SEPOLIA").Id, nativeTx.GetProperty("tokenId").GetString());
        var byTokenAddress = baseBody();
        byTokenAddress.Remove("tokenId");
        byTokenAddress["tokenAddress"] = Rescind.Server.Circle.CircleRules.Usdc("ETH-SEPOLIA").Address;
        Assert.Equal(201, (await c.PostAsync("/v1/w3s/developer/transactions/transfer", byTokenAddress)).Code);
        byTokenAddress["tokenAddress"] = "0x" + new string('9', 40);
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", byTokenAddress)).IsCircleError(400, 155239);
        var twoSources = baseBody();
        twoSources["walletAddress"] = from.GetProperty("address").GetString();
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", twoSources)).IsCircleError(400, 155244);
        var otherChain = baseBody();
        otherChain["blockchain"] = "AVAX-FUJI";
        (await c.PostAsync("/v1/w3s/developer/transactions/transfer", otherChain)).IsCircleError(400, 155225);
        var custom = baseBody();
        custom.Remove("feeLevel");
        custom["gasLimit"] = "70000";
        custom["maxFee"] = "30.2";
        custom["priorityFee"] = "2";
        var ok = await c.PostAsync("/v1/w3s/developer/transactions/transfer", custom);
        Assert.Equal(201, ok.Code);
        var tx = await c.TransactionAsync(ok.Json.GetProperty("data").GetProperty("id").GetString()!);
        Assert.Equal("31", tx.GetProperty("estimatedFee").GetProperty("maxFee").GetString());
        Assert.Equal("70000", tx.GetProperty("estimatedFee").GetProperty("gasLimit").GetString());
    }

    [Fact]
    public async Task Refusals_where_the_SDK_s_table_has_a_code_carry_that_code_not_2()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var baseBody = () => TransferBody(from, to);
        const string Transfer = "/v1/w3s/developer/transactions/transfer";
        const string Estimate = "/v1/w3s/transactions/transfer/estimateFee";
        foreach (var amounts in new object?[] { new[] { "1", "2" }, Array.Empty<string>(), null, "1", new[] { "0" }, new[] { "-1" } })
        {
            var body = baseBody();
            if (amounts is null)
            {
                body.Remove("amounts");
            }
            else
            {
                body["amounts"] = amounts;
            }
            var estimate = body.Where(kv => kv.Key != "feeLevel").ToDictionary();
            (await c.PostAsync(Transfer, body)).IsCircleError(400, 155221);
            body = estimate;
            (await CircleClient.Send(c.Tenant, HttpMethod.Post, Estimate, JsonSerializer.Serialize(body), "test")).IsCircleError(400, 155221);
        }
        var numeric = baseBody();
        numeric["amounts"] = new object[] { 1 };
        (await c.PostAsync(Transfer, numeric)).IsCircleError(400, 155224);
        var noToken = baseBody();
        noToken.Remove("tokenId");
        (await c.PostAsync(Transfer, noToken)).IsCircleError(400, 155228);
        var nft = baseBody();
        nft["nftTokenIds"] = new[] { "2" };
        (await c.PostAsync(Transfer, nft)).IsCircleError(400, 155240);
        var badSource = baseBody();
        badSource.Remove("walletId");
        badSource["walletAddress"] = "not-an-address";
        badSource["blockchain"] = "ETH-SEPOLIA";
        (await c.PostAsync(Transfer, badSource)).IsCircleError(400, 155226);
        var unknownChain = baseBody();
        unknownChain["blockchain"] = "DOGE";
        (await c.PostAsync(Transfer, unknownChain)).IsCircleError(400, 156027);
        var custom = () =>
        {
            var b = baseBody();
            b.Remove("feeLevel");
            b["gasLimit"] = "70000";
            b["maxFee"] = "30";
            b["priorityFee"] = "2";
            return b;
        };
        var lowGas = custom();
        lowGas["gasLimit"] = "21000";
        (await c.PostAsync(Transfer, lowGas)).IsCircleError(400, 155233);
        var badFee = custom();
        badFee["maxFee"] = "-3";
        (await c.PostAsync(Transfer, badFee)).IsCircleError(400, 155236);
        var zeroPriority = custom();
        zeroPriority["priorityFee"] = "zero";
        (await c.PostAsync(Transfer, zeroPriority)).IsCircleError(400, 155236);
        var overCap = custom();
        overCap["gasLimit"] = "1000000";
        overCap["maxFee"] = "1001";
        (await c.PostAsync(Transfer, overCap)).IsCircleError(400, 155211);
        var set = await c.WalletSetAsync();
        (await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = set, ["blockchains"] = new[] { "DOGE" } })).IsCircleError(400, 156027);
        (await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = set, ["blockchains"] = new[] { "ETH-SEPOLIA" }, ["accountType"] = "SCA" }))
            .IsCircleError(400, 155507);
        (await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = set, ["blockchains"] = new[] { "ETH-SEPOLIA" }, ["accountType"] = "PDA" }))
            .IsCircleError(400, 2);
        (await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v1/faucet/drips", JsonSerializer.Serialize(new { address = "0x1", blockchain = "DOGE" }), "test"))
            .IsCircleError(400, 156027);
        (await c.GetAsync("/v1/w3s/developer/transactions/feeParameters?blockchain=ETH-SEPOLIA&accountType=SCA")).IsCircleError(400, 155507);
        (await c.GetAsync("/v1/w3s/transactions/lowestNonceTransaction?blockchain=DOGE&address=0x1")).IsCircleError(400, 156027);
        (await c.GetAsync("/v1/w3s/wallets?blockchain=DOGE")).IsCircleError(400, 156027);
        (await c.GetAsync("/v1/w3s/transactions?blockchain=DOGE")).IsCircleError(400, 156027);
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM circle_transactions WHERE wallet_id = @Id", new { Id = from.GetProperty("id").GetString() }));
    }

    [Fact]
    public async Task A_repeated_transfer_with_the_same_key_answers_200_with_the_same_transaction()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var body = () => new Dictionary<string, object?>
        {
            ["idempotencyKey"] = "3f1c1a36-2a7e-4a77-9d43-6f9b8b1d2c11",
            ["walletId"] = from.GetProperty("id").GetString(),
            ["destinationAddress"] = to.GetProperty("address").GetString(),
            ["tokenId"] = CircleClient.Usdc("ETH-SEPOLIA"),
            ["amounts"] = new[] { "1" },
            ["feeLevel"] = "HIGH",
        };
        var first = await c.PostAsync("/v1/w3s/developer/transactions/transfer", body());
        var again = await c.PostAsync("/v1/w3s/developer/transactions/transfer", body());
        Assert.Equal(201, first.Code);
        Assert.Equal(200, again.Code);
        Assert.Equal(first.Body, again.Body);
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM circle_transactions WHERE account_id = @AccountId", new { c.AccountId }));
    }

    [Fact]
    public async Task A_page_size_above_50_serves_50_and_every_page_links_itself_and_the_first_page()
    {
        var c = await CircleClient.CreateAsync(server);
        var set = await c.WalletSetAsync();
        var made = await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = set, ["blockchains"] = new[] { "ETH-SEPOLIA" }, ["count"] = 55 });
        Assert.Equal(201, made.Code);
        foreach (var size in new[] { "51", "1000", "99999999999999999999" })
        {
            var page = await c.GetAsync($"/v1/w3s/wallets?walletSetId={set}&pageSize={size}");
            Assert.Equal(200, page.Code);
            Assert.Equal(50, page.Json.GetProperty("data").GetProperty("wallets").GetArrayLength());
            var links = Links(page);
            Assert.Equal(["first", "next", "self"], links.Keys.Order());
            Assert.Contains("pageSize=50", links["self"]);
            Assert.DoesNotContain("pageAfter", links["first"]);
            Assert.Contains($"walletSetId={set}", links["first"]);
        }
        var second = await c.GetAsync(new Uri(Links(await c.GetAsync($"/v1/w3s/wallets?walletSetId={set}&pageSize=50"))["next"]).PathAndQuery);
        Assert.Equal(5, second.Json.GetProperty("data").GetProperty("wallets").GetArrayLength());
        var secondLinks = Links(second);
        Assert.Equal(["first", "prev", "self"], secondLinks.Keys.Order());
        Assert.Contains("pageAfter=", secondLinks["self"]);
        var first = await c.GetAsync(new Uri(secondLinks["first"]).PathAndQuery);
        Assert.Equal(50, first.Json.GetProperty("data").GetProperty("wallets").GetArrayLength());
        // An empty list still names itself and its first page.
        var none = await c.GetAsync("/v1/w3s/transactions");
        Assert.Equal(["first", "self"], Links(none).Keys.Order());

        static Dictionary<string, string> Links(Answer a) => a.Header("Link")!.Split(", ")
            .Select(l => l.Split("; rel="))
            .ToDictionary(p => p[1].Trim('"'), p => p[0].Trim('<', '>'));
    }

    [Fact]
    public async Task Balances_filter_by_name_token_address_and_standard_and_page_and_NFTs_list_empty()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var wallet = from.GetProperty("id").GetString()!;
        var usdc = Rescind.Server.Circle.CircleRules.Usdc("ETH-SEPOLIA");
        Assert.Equal(["ETH", "USDC"], Symbols(await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances")).Order());
        Assert.Equal(["USDC"], Symbols(await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?standard=ERC20")));
        Assert.Empty(Symbols(await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?standard=ERC721")));
        Assert.Equal(["USDC"], Symbols(await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?name={Uri.EscapeDataString(usdc.Name)}")));
        Assert.Equal(["USDC"], Symbols(await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?tokenAddress=0x{new string('1', 40)},{usdc.Address!.ToUpperInvariant().Replace("0X", "0x")}")));
        Assert.Empty(Symbols(await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?tokenAddress=0x{new string('1', 40)}")));
        var receiver = to.GetProperty("id").GetString()!;
        Assert.Empty(Symbols(await c.GetAsync($"/v1/w3s/wallets/{receiver}/balances")));
        Assert.Equal(2, Symbols(await c.GetAsync($"/v1/w3s/wallets/{receiver}/balances?includeAll=true")).Count);
        var first = await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?pageSize=1");
        Assert.Single(Symbols(first));
        Assert.Contains("rel=\"next\"", first.Header("Link")!);
        var next = first.Header("Link")!.Split(", ").Single(l => l.EndsWith("rel=\"next\"", StringComparison.Ordinal)).Split(';')[0].Trim('<', '>');
        var second = await c.GetAsync(new Uri(next).PathAndQuery);
        Assert.Single(Symbols(second));
        Assert.NotEqual(Symbols(first), Symbols(second));
        Assert.DoesNotContain("rel=\"next\"", second.Header("Link")!);
        (await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?standard=ERC9999")).IsCircleError(400, 2);
        (await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?includeAll=maybe")).IsCircleError(400, 2);
        (await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?pageAfter=nope")).IsCircleError(400, 156014);
        (await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?pageAfter={Guid.NewGuid()}")).IsCircleError(400, 156012);
        (await c.GetAsync($"/v1/w3s/wallets/{wallet}/balances?colour=red")).IsCircleError(400, 2);

        var nfts = await c.GetAsync($"/v1/w3s/wallets/{wallet}/nfts?includeAll=true&standard=ERC721");
        Assert.Equal(200, nfts.Code);
        Assert.Empty(nfts.Json.GetProperty("data").GetProperty("nfts").EnumerateArray());
        (await c.GetAsync("/v1/w3s/wallets/x/nfts")).IsCircleError(400, 156009);
        (await c.GetAsync($"/v1/w3s/wallets/{Guid.NewGuid()}/nfts")).IsCircleError(404, 156001);
        (await (await CircleClient.CreateAsync(server)).GetAsync($"/v1/w3s/wallets/{wallet}/nfts")).IsCircleError(404, 156001);

        static List<string> Symbols(Answer a) => a.Json.GetProperty("data").GetProperty("tokenBalances").EnumerateArray()
            .Select(b => b.GetProperty("token").GetProperty("symbol").GetString()!).ToList();
    }

    [Fact]
    public async Task Request_ids_subscriptions_and_notifications_are_UUIDs()
    {
        var c = await CircleClient.CreateAsync(server);
        var answer = await c.GetAsync("/v1/w3s/walletSets");
        Assert.True(Guid.TryParseExact(answer.Header("X-Request-Id"), "D", out _), answer.Header("X-Request-Id"));
        var refused = await c.GetAsync("/v1/w3s/wallets/x");
        Assert.True(Guid.TryParseExact(refused.Header("X-Request-Id"), "D", out _), refused.Header("X-Request-Id"));
        var mine = await CircleClient.Send(c.Tenant, HttpMethod.Get, "/v1/w3s/walletSets", null, "test");
        Assert.NotNull(mine.Header("X-Request-Id"));
        (await c.GetAsync("/v2/notifications/subscriptions/we_x")).IsCircleError(400, 156009);
        (await c.GetAsync("/v2/notifications/publicKey/not-a-uuid")).IsCircleError(400, 156009);
        (await CircleClient.Send(c.Tenant, HttpMethod.Delete, "/v2/notifications/subscriptions/nope", null, "test")).IsCircleError(400, 156009);
        (await c.GetAsync("/v2/notifications/subscriptions/" + Guid.NewGuid())).IsCircleError(404, 404);
    }

    [Fact]
    public async Task Transactions_list_with_filters_pages_and_Link_headers()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await c.TransferAsync(from, to, "0.1"));
        }
        await c.CancelAsync(ids[0]);
        var first = await c.GetAsync("/v1/w3s/transactions?pageSize=2");
        Assert.Equal(200, first.Code);
        var page1 = Ids(first);
        Assert.Equal([ids[4], ids[3]], page1);
        var link = first.Header("Link")!;
        Assert.Contains("rel=\"next\"", link);
        Assert.DoesNotContain("rel=\"prev\"", link);
        Assert.Contains("pageAfter=" + ids[3], link);

        var second = await c.GetAsync($"/v1/w3s/transactions?pageSize=2&pageAfter={ids[3]}");
        Assert.Equal([ids[2], ids[1]], Ids(second));
        Assert.Contains("rel=\"prev\"", second.Header("Link")!);
        var back = await c.GetAsync($"/v1/w3s/transactions?pageSize=2&pageBefore={ids[2]}");
        Assert.Equal([ids[4], ids[3]], Ids(back));
        var last = await c.GetAsync($"/v1/w3s/transactions?pageSize=2&pageAfter={ids[1]}");
        Assert.Equal([ids[0]], Ids(last));
        Assert.DoesNotContain("rel=\"next\"", last.Header("Link") ?? "");

        Assert.Equal([ids[0]], Ids(await c.GetAsync("/v1/w3s/transactions?state=CANCELLED")));
        Assert.Equal(4, Ids(await c.GetAsync("/v1/w3s/transactions?state=INITIATED")).Count);
        Assert.Equal(5, Ids(await c.GetAsync($"/v1/w3s/transactions?walletIds={from.GetProperty("id").GetString()}&blockchain=ETH-SEPOLIA&txType=OUTBOUND")).Count);
        Assert.Empty(Ids(await c.GetAsync($"/v1/w3s/transactions?walletIds={to.GetProperty("id").GetString()}")));
        Assert.Equal(ids, Ids(await c.GetAsync("/v1/w3s/transactions?order=ASC&pageSize=50")));
        Assert.Empty(Ids(await c.GetAsync("/v1/w3s/transactions?from=2100-01-01T00:00:00Z")));
        (await c.GetAsync("/v1/w3s/transactions?pageSize=0")).IsCircleError(400, 2);
        (await c.GetAsync("/v1/w3s/transactions?pageSize=-1")).IsCircleError(400, 2);
        (await c.GetAsync($"/v1/w3s/transactions?pageAfter={ids[0]}&pageBefore={ids[1]}")).IsCircleError(400, 2);
        (await c.GetAsync("/v1/w3s/transactions?state=NOPE")).IsCircleError(400, 2);
        (await c.GetAsync("/v1/w3s/transactions?pageAfter=not-a-uuid")).IsCircleError(400, 156014);
        (await c.GetAsync($"/v1/w3s/transactions?pageBefore={Guid.NewGuid()}")).IsCircleError(400, 156012);
        (await c.GetAsync("/v1/w3s/transactions?colour=red")).IsCircleError(400, 2);
        // Another account sees none of them.
        var other = await CircleClient.CreateAsync(server);
        Assert.Empty(Ids(await other.GetAsync("/v1/w3s/transactions")));
        (await other.GetAsync("/v1/w3s/transactions/" + ids[1])).IsCircleError(404, 156003);

        static List<string> Ids(Answer a) => a.Json.GetProperty("data").GetProperty("transactions").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToList();
    }

    /// <summary>A valid transfer of 1 USDC at the LOW fee level, for each test to break one field of.</summary>
    private static Dictionary<string, object?> TransferBody(JsonElement from, JsonElement to) => new()
    {
        ["walletId"] = from.GetProperty("id").GetString(),
        ["destinationAddress"] = to.GetProperty("address").GetString(),
        ["tokenId"] = CircleClient.Usdc("ETH-SEPOLIA"),
        ["amounts"] = new[] { "1" },
        ["feeLevel"] = "LOW",
    };
}

[Trait("Category", "Sqlite")]
public sealed class CircleApiTests_Sqlite(SqliteServer server) : CircleApiTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CircleApiTests_Postgres(PostgresServer server) : CircleApiTests(server), IClassFixture<PostgresServer>;
