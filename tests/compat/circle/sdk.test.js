// Drives Rescind's Circle API through the official @circle-fin/developer-controlled-wallets client, unmodified
// except for its baseUrl. Needs: RESCIND_URL, CIRCLE_API_KEY (a TEST_API_KEY), CIRCLE_ENTITY_SECRET (registered),
// RESCIND_OPERATOR_TOKEN and RESCIND_ACCOUNT_ID (to step the simulated chain).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { initiateDeveloperControlledWalletsClient } = require('@circle-fin/developer-controlled-wallets');

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

test('an operation Rescind does not serve answers in Circle\'s error shape through the SDK', async () => {
  await assert.rejects(client.getLowestNonceTransaction({ blockchain: 'ETH-SEPOLIA', address: '0x0000000000000000000000000000000000000000' }), (e) => {
    // The SDK raises Circle's own error: its numeric code and message, as for any refusal (see the 155215 test).
    const body = e.response?.data ?? e;
    assert.equal(typeof (body.code ?? e.code), 'number', JSON.stringify(body) + ' ' + String(e));
    assert.notEqual(body.code ?? e.code, 500);
    assert.ok(typeof (body.message ?? e.message) === 'string' && !String(body.message ?? e.message).includes('rescind.dev/problems'));
    return true;
  });
});
