// Drives Rescind's GoCardless API through the official gocardless-nodejs client, unmodified except for its
// base URL. Environment: RESCIND_URL (e.g. http://127.0.0.1:5391), GOCARDLESS_TOKEN (a live_ or sandbox_ token).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { gocardless } = require('gocardless-nodejs');
const constants = require('gocardless-nodejs/constants');

const baseUrl = process.env.RESCIND_URL;
const token = process.env.GOCARDLESS_TOKEN;
assert.ok(baseUrl && token, 'set RESCIND_URL and GOCARDLESS_TOKEN');

function client() {
  const c = gocardless(token, constants.Environments.Sandbox);
  // gocardless-nodejs has no base-URL option: the environment picks api(-sandbox).gocardless.com. This one
  // assignment points the unmodified client at Rescind.
  c._api._baseUrl = baseUrl;
  return c;
}

const gc = client();

test('creates a customer, a billing request and a flow; lists, cancels and reads the events', async () => {
  const customer = await gc.customers.create({ email: 'payer@example.com', given_name: 'Pat', family_name: 'Payer' });
  assert.match(customer.id, /^CU[0-9A-Z]{12}$/);
  assert.equal(customer.email, 'payer@example.com');
  assert.equal((await gc.customers.find(customer.id)).id, customer.id);

  const creditors = await gc.creditors.list();
  assert.equal(creditors.creditors.length, 1);

  const br = await gc.billingRequests.create({
    mandate_request: { currency: 'GBP', scheme: 'bacs' },
    links: { customer: customer.id },
    metadata: { order: 'compat-1' },
  });
  assert.match(br.id, /^BRQ[0-9A-Z]{12}$/);
  assert.equal(br.status, 'pending');
  assert.equal(br.links.customer, customer.id);
  assert.deepEqual(br.metadata, { order: 'compat-1' });
  assert.equal(br.__response__.statusCode, 201);

  const flow = await gc.billingRequestFlows.create({ links: { billing_request: br.id }, redirect_uri: 'https://example.com/done' });
  assert.match(flow.id, /^BRF/);
  assert.ok(flow.authorisation_url.startsWith(baseUrl));
  assert.ok(Date.parse(flow.expires_at) - Date.parse(flow.created_at) === 7 * 24 * 3600 * 1000);
  const initialised = await gc.billingRequestFlows.initialise(flow.id);
  assert.notEqual(initialised.session_token, flow.session_token);

  const list = await gc.billingRequests.list({ customer: customer.id, status: 'pending', limit: 10 });
  assert.deepEqual(list.billing_requests.map((b) => b.id), [br.id]);
  assert.equal(list.meta.cursors.after, null);
  assert.equal(list.meta.limit, 10);

  const all = [];
  for await (const b of gc.billingRequests.all({ limit: 1 })) all.push(b.id);
  assert.ok(all.includes(br.id));

  const cancelled = await gc.billingRequests.cancel(br.id, { metadata: { reason: 'changed mind' } });
  assert.equal(cancelled.status, 'cancelled');
  assert.equal((await gc.billingRequests.find(br.id)).status, 'cancelled');

  // The flow's page now says the link has expired and accepts nothing.
  const page = await fetch(flow.authorisation_url);
  assert.equal(page.status, 410);

  await assert.rejects(gc.billingRequests.cancel(br.id), (e) => {
    assert.equal(e.errorType, 'invalid_state');
    assert.equal(e.errors[0].reason, 'cancellation_failed');
    return true;
  });

  const events = await gc.events.list({ billing_request: br.id, resource_type: 'billing_requests' });
  const actions = events.events.map((e) => e.action);
  assert.deepEqual(actions, ['cancelled', 'flow_created', 'created']);
  const cancelledEvent = events.events[0];
  assert.equal(cancelledEvent.details.origin, 'api');
  assert.equal(cancelledEvent.details.cause, 'billing_request_cancelled');
  assert.equal(cancelledEvent.links.billing_request, br.id);
  assert.equal((await gc.events.find(cancelledEvent.id)).id, cancelledEvent.id);
});

test('a retried create with the same Idempotency-Key returns the first billing request', async () => {
  const key = 'compat-' + Date.now() + '-' + Math.random().toString(36).slice(2);
  const first = await gc.billingRequests.create({ payment_request: { amount: 500, currency: 'GBP' } }, key);
  // The server answers 409 idempotent_creation_conflict; the client fetches the conflicting resource.
  const again = await gc.billingRequests.create({ payment_request: { amount: 500, currency: 'GBP' } }, key);
  assert.equal(again.id, first.id);
  assert.equal(again.__response__.statusCode, 200);

  const strict = gocardless(token, constants.Environments.Sandbox, { raiseOnIdempotencyConflict: true });
  strict._api._baseUrl = baseUrl;
  await assert.rejects(strict.billingRequests.create({ payment_request: { amount: 500, currency: 'GBP' } }, key), (e) => {
    assert.equal(e.code, 409);
    assert.equal(e.conflictingResourceId, first.id);
    return true;
  });
});

test('validation failures name the field', async () => {
  await assert.rejects(gc.billingRequests.create({ mandate_request: { currency: 'XXX' } }), (e) => {
    assert.equal(e.errorType, 'validation_failed');
    assert.equal(e.errors[0].field, 'currency');
    return true;
  });
});

test('an operation Rescind does not serve raises the client\'s invalid_api_usage error, as an unknown path does at GoCardless', async () => {
  await assert.rejects(gc.subscriptions.find('SB000000000000'), (e) => {
    assert.equal(e.errorType, 'invalid_api_usage', String(e));
    assert.equal(e.code, 404);
    assert.equal(e.errors[0].reason, 'path_not_found');
    return true;
  });
});

test('a mandate that does not exist raises the client\'s resource_not_found error', async () => {
  await assert.rejects(gc.mandates.find('MD000000000000'), (e) => {
    assert.equal(e.errorType, 'invalid_api_usage', String(e));
    assert.equal(e.code, 404);
    assert.equal(e.errors[0].reason, 'resource_not_found');
    return true;
  });
});
