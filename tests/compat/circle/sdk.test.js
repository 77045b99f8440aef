// Drives Rescind's Circle API through the official @circle-fin/developer-controlled-wallets client, unmodified
// except for its baseUrl. Needs: RESCIND_URL, CIRCLE_API_KEY (a TEST_API_KEY), CIRCLE_ENTITY_SECRET (registered),
// RESCIND_OPERATOR_TOKEN and RESCIND_ACCOUNT_ID (to step the simulated chain).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sdk = require('@circle-fin/developer-controlled-wallets');

const { initiateDeveloperControlledWalletsClient } = sdk;

const url = process.env.RESCIND_URL;
const client = initiateDeveloperControlledWalletsClient({
  apiKey: process.env.CIRCLE_API_KEY,
  entitySecret: process.env.CIRCLE_ENTITY_SECRET,
  baseUrl: url,
});

async function mine(count = 1) {
  const r = await fetch(`${url}/operator/circle/chains/ETH-SEPOLIA/blocks`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${process.env.RESCIND_OPERATOR_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ accountId: process.env.RESCIND_ACCOUNT_ID, count }),
  });
  assert.equal(r.status, 200, await r.text());
}

async function state(id) {
  const r = await client.getTransaction({ id });
  return r.data.transaction.state;
}

async function mineUntil(id, wanted) {
  for (let i = 0; i < 10 && (await state(id)) !== wanted; i++) await mine();
  assert.equal(await state(id), wanted);
}

async function sdkError(promise, code) {
  await assert.rejects(promise, (e) => {
    const body = e.response?.data ?? e;
    assert.equal(body.code ?? e.code, code, JSON.stringify(body) + ' ' + String(e));
    return true;
  });
}

let wallets;
let usdc;

test('reads the entity public key', async () => {
  const r = await client.getPublicKey();
  assert.match(r.data.publicKey, /^-----BEGIN PUBLIC KEY-----/);
});

test('creates a wallet set and wallets, funds one from the faucet, reads balances', async () => {
  const set = await client.createWalletSet({ name: 'compat' });
  assert.ok(set.data.walletSet.id);
  const created = await client.createWallets({ walletSetId: set.data.walletSet.id, blockchains: ['ETH-SEPOLIA'], count: 2 });
  wallets = created.data.wallets;
  assert.equal(wallets.length, 2);
  assert.match(wallets[0].address, /^0x[0-9a-f]{40}$/);
  const drip = await client.requestTestnetTokens({ address: wallets[0].address, blockchain: 'ETH-SEPOLIA', usdc: true, native: true });
  assert.equal(drip.status, 204);
  const balances = await client.getWalletTokenBalance({ id: wallets[0].id });
  const byToken = Object.fromEntries(balances.data.tokenBalances.map((b) => [b.token.symbol, b]));
  assert.equal(byToken.USDC.amount, '10');
  assert.equal(byToken.ETH.amount, '1');
  usdc = byToken.USDC.token.id;
});

test('filters balances by standard and token address, and lists no NFTs', async () => {
  const erc20 = await client.getWalletTokenBalance({ id: wallets[0].id, standard: 'ERC20', includeAll: true });
  assert.deepEqual(erc20.data.tokenBalances.map((b) => b.token.symbol), ['USDC']);
  const byAddress = await client.getWalletTokenBalance({ id: wallets[0].id, tokenAddresses: [erc20.data.tokenBalances[0].token.tokenAddress] });
  assert.deepEqual(byAddress.data.tokenBalances.map((b) => b.token.symbol), ['USDC']);
  const paged = await client.getWalletTokenBalance({ id: wallets[0].id, pageSize: 1 });
  assert.equal(paged.data.tokenBalances.length, 1);
  const nfts = await client.getWalletNFTBalance({ id: wallets[0].id });
  assert.deepEqual(nfts.data.nfts, []);
});

test('transfers, lists, and sees it complete on the simulated chain', async () => {
  const tx = await client.createTransaction({
    walletId: wallets[0].id,
    tokenId: usdc,
    destinationAddress: wallets[1].address,
    amount: ['1.25'],
    fee: { type: 'level', config: { feeLevel: 'MEDIUM' } },
  });
  assert.equal(tx.data.state, 'INITIATED');
  const listed = await client.listTransactions({ walletIds: [wallets[0].id], pageSize: 5 });
  assert.ok(listed.data.transactions.some((t) => t.id === tx.data.id));
  await mineUntil(tx.data.id, 'COMPLETE');
  const got = await client.getTransaction({ id: tx.data.id });
  assert.equal(got.data.transaction.amounts[0], '1.25');
  assert.ok(got.data.transaction.txHash);
});

test('cancels before broadcast at once', async () => {
  const tx = await client.createTransaction({
    walletId: wallets[0].id, tokenId: usdc, destinationAddress: wallets[1].address, amount: ['0.5'],
    fee: { type: 'level', config: { feeLevel: 'LOW' } },
  });
  const c = await client.cancelTransaction({ id: tx.data.id });
  assert.equal(c.data.state, 'CANCELLED');
});

test('cancels after broadcast: the replacement wins the next block', async () => {
  const tx = await client.createTransaction({
    walletId: wallets[0].id, tokenId: usdc, destinationAddress: wallets[1].address, amount: ['0.5'],
    fee: { type: 'level', config: { feeLevel: 'MEDIUM' } },
  });
  await mineUntil(tx.data.id, 'SENT');
  const c = await client.cancelTransaction({ id: tx.data.id });
  assert.equal(c.data.state, 'SENT');
  await mine();
  const got = await client.getTransaction({ id: tx.data.id });
  assert.equal(got.data.transaction.state, 'CANCELLED');
  assert.ok(got.data.transaction.networkFee);
});

test('accelerates a sent transaction', async () => {
  const tx = await client.createTransaction({
    walletId: wallets[0].id, tokenId: usdc, destinationAddress: wallets[1].address, amount: ['0.5'],
    fee: { type: 'level', config: { feeLevel: 'LOW' } },
  });
  await mineUntil(tx.data.id, 'SENT');
  const a = await client.accelerateTransaction({ id: tx.data.id });
  assert.equal(a.data.id, tx.data.id);
  const got = await client.getTransaction({ id: tx.data.id });
  assert.equal(got.data.transaction.feeLevel, 'HIGH');
  await mineUntil(tx.data.id, 'COMPLETE');
});

test('refuses an ineligible cancel with 155215 through the SDK error', async () => {
  const done = (await client.listTransactions({ state: 'COMPLETE' })).data.transactions[0];
  await assert.rejects(client.cancelTransaction({ id: done.id }), (e) => {
    const body = e.response?.data ?? e;
    assert.equal(body.code ?? e.code, 155215, JSON.stringify(body));
    return true;
  });
});

test('registration through the SDK reaches Rescind: a second registration is 156015', async () => {
  await sdkError(sdk.registerEntitySecretCiphertext({
    apiKey: process.env.CIRCLE_API_KEY, entitySecret: process.env.CIRCLE_ENTITY_SECRET, baseUrl: url,
    recoveryFileDownloadPath: fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'rescind-recovery-')),
  }), 156015);
});

test('pre-flight calls: token, address, fee estimate, fee parameters, lowest nonce', async () => {
  const token = await client.getToken({ id: usdc });
  assert.equal(token.data.token.symbol, 'USDC');
  assert.equal((await client.validateAddress({ blockchain: 'ETH-SEPOLIA', address: wallets[1].address })).data.isValid, true);
  assert.equal((await client.validateAddress({ blockchain: 'ETH-SEPOLIA', address: 'nope' })).data.isValid, false);
  const estimate = await client.estimateTransferFee({ walletId: wallets[0].id, tokenId: usdc, destinationAddress: wallets[1].address, amount: ['1'] });
  assert.ok(Number(estimate.data.high.networkFee) > Number(estimate.data.low.networkFee), JSON.stringify(estimate.data));
  const params = await client.getFeeParameters({ blockchain: 'ETH-SEPOLIA', accountType: 'EOA' });
  assert.ok(params.data.medium.maxFee);
  await sdkError(client.getLowestNonceTransaction({ blockchain: 'ETH-SEPOLIA', address: '0x0000000000000000000000000000000000000000' }), 156001);
});

// The error table the server tests check Rescind's codes against is checked in (Contracts/circle-vendor-contract.txt);
// here, where the SDK is installed, it must be exactly the SDK's own error classes.
test('the checked-in error table is the SDK\'s own', () => {
  const facts = fs.readFileSync(path.join(__dirname, '..', '..', 'Rescind.Server.Tests', 'Contracts', 'circle-vendor-contract.txt'), 'utf8');
  const checkedIn = Object.fromEntries(facts.split('\n').filter((l) => l.startsWith('error ')).map((l) => {
    const [, code, message] = l.match(/^error (\d+) (.*)$/);
    return [code, message.replace(/\\"/g, '"')]; // kept as the declarations escape it
  }));
  const shipped = Object.fromEntries(Object.entries(sdk).filter(([name]) => /^Error\d+$/.test(name))
    .map(([, cls]) => [String(cls.code), cls.message]));
  assert.deepEqual(checkedIn, shipped);
});

test('errors arrive with Circle\'s own codes: bad UUID, missing wallet set, wallet, token, bad cursor', async () => {
  await sdkError(client.getWallet({ id: 'not-a-uuid' }), 156009);
  await sdkError(client.getWalletSet({ id: '00000000-0000-4000-8000-000000000000' }), 156005);
  await sdkError(client.getWallet({ id: '00000000-0000-4000-8000-000000000000' }), 156001);
  await sdkError(client.listTransactions({ pageAfter: 'nope' }), 156014);
  await sdkError(client.createTransaction({
    walletId: wallets[0].id, destinationAddress: 'not-an-address', tokenId: usdc, amount: ['1'], fee: { type: 'level', config: { feeLevel: 'LOW' } },
  }), 155219);
  await sdkError(client.createTransaction({
    walletId: wallets[0].id, destinationAddress: wallets[1].address, tokenId: usdc, amount: ['abc'], fee: { type: 'level', config: { feeLevel: 'LOW' } },
  }), 155224);
});

test('refusals the SDK\'s table names arrive with its codes: several amounts, a gas limit too low, SCA, an unknown chain', async () => {
  const transfer = { walletId: wallets[0].id, destinationAddress: wallets[1].address, tokenId: usdc };
  await sdkError(client.createTransaction({ ...transfer, amount: ['1', '2'], fee: { type: 'level', config: { feeLevel: 'LOW' } } }), 155221);
  await sdkError(client.createTransaction({ ...transfer, amount: ['1'], fee: { type: 'level', config: { feeLevel: 'LOW' } }, nftTokenIds: ['2'] }), 155240);
  await sdkError(client.createTransaction({
    ...transfer, amount: ['1'], fee: { type: 'absolute', config: { gasLimit: '21000', maxFee: '30', priorityFee: '2' } },
  }), 155233);
  await sdkError(client.estimateTransferFee({ ...transfer, amount: ['1', '2'] }), 155221);
  const set = await client.createWalletSet({ name: 'codes' });
  await sdkError(client.createWallets({ walletSetId: set.data.walletSet.id, blockchains: ['ETH-SEPOLIA'], accountType: 'SCA' }), 155507);
  await sdkError(client.createWallets({ walletSetId: set.data.walletSet.id, blockchains: ['DOGE'] }), 156027);
  await sdkError(client.listWallets({ blockchain: 'DOGE' }), 156027);
});
