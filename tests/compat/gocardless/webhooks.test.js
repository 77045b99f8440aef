// Rescind's GoCardless webhooks, verified and parsed by the official client's own helper (webhooks.parse).
// Environment: RESCIND_URL, GOCARDLESS_TOKEN, GOCARDLESS_MODE (live|sandbox), RESCIND_OPERATOR_TOKEN, RESCIND_ACCOUNT_ID.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { gocardless } = require('gocardless-nodejs');
const constants = require('gocardless-nodejs/constants');
const webhooks = require('gocardless-nodejs/webhooks');

const baseUrl = process.env.RESCIND_URL;
const mode = process.env.GOCARDLESS_MODE;
const operator = process.env.RESCIND_OPERATOR_TOKEN;
const account = process.env.RESCIND_ACCOUNT_ID;
assert.ok(baseUrl && mode && operator && account, 'set RESCIND_URL, GOCARDLESS_MODE, RESCIND_OPERATOR_TOKEN, RESCIND_ACCOUNT_ID');

test('a cancelled billing request arrives as a webhook that webhooks.parse accepts', async () => {
  const received = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ body, signature: req.headers['webhook-signature'] });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const endpoint = await fetch(`${baseUrl}/operator/webhook-endpoints`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${operator}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        account_id: account,
        api: mode === 'live' ? 'gocardless' : 'gocardless.sandbox',
        url: `http://127.0.0.1:${receiver.address().port}/gocardless`,
      }),
    });
    assert.equal(endpoint.status, 201);
    const { secret } = await endpoint.json();

    const gc = gocardless(process.env.GOCARDLESS_TOKEN, constants.Environments.Sandbox);
    gc._api._baseUrl = baseUrl; // the client's only change: where it sends requests
    const br = await gc.billingRequests.create({ mandate_request: { currency: 'GBP', scheme: 'bacs' } });
    await gc.billingRequests.cancel(br.id);

    let cancelled;
    for (let i = 0; i < 100 && !cancelled; i++) {
      await fetch(`${baseUrl}/operator/jobs/run`, { method: 'POST', headers: { Authorization: `Bearer ${operator}` } });
      for (const r of received) {
        const events = webhooks.parse(r.body, secret, r.signature); // throws on a bad signature
        cancelled = cancelled ?? events.find((e) => e.action === 'cancelled' && e.links.billing_request === br.id);
      }
      if (!cancelled) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(cancelled, 'the cancelled event arrived');
    assert.equal(cancelled.resource_type, 'billing_requests');
    assert.throws(() => webhooks.parse(received[0].body, 'not-the-secret', received[0].signature));
  } finally {
    receiver.close();
  }
});
