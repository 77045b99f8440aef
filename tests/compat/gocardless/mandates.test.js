// What a billing request leads to, through the official gocardless-nodejs client: fulfil creates a mandate and a
// payment with the references the request gave; the client cancels the payment and the mandate. Environment:
// RESCIND_URL, GOCARDLESS_TOKEN, RESCIND_OPERATOR_TOKEN (the payer's bank authorisation and GoCardless's
// submission of a payment are the operator's simulation: the client has no call for them).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { gocardless } = require('gocardless-nodejs');
const constants = require('gocardless-nodejs/constants');

const baseUrl = process.env.RESCIND_URL;
const operator = process.env.RESCIND_OPERATOR_TOKEN;
assert.ok(baseUrl && process.env.GOCARDLESS_TOKEN && operator, 'set RESCIND_URL, GOCARDLESS_TOKEN, RESCIND_OPERATOR_TOKEN');

const gc = gocardless(process.env.GOCARDLESS_TOKEN, constants.Environments.Sandbox);
gc._api._baseUrl = baseUrl; // the one change: the client has no base-URL option

async function simulate(path) {
  const r = await fetch(`${baseUrl}/operator/gocardless/${path}`, { method: 'POST', headers: { Authorization: `Bearer ${operator}` } });
  assert.equal(r.status, 200, await r.text());
}

/** A billing request for a mandate and a payment, completed by the payer and fulfilled through the client. */
async function fulfilled(reference) {
  const br = await gc.billingRequests.create({
    mandate_request: { currency: 'GBP', reference, metadata: { plan: 'gold' } },
    payment_request: { amount: 1500, currency: 'GBP', description: 'First box', reference: `${reference}-P`, app_fee: 100 },
    purpose_code: 'retail',
  });
  assert.equal(br.mandate_request.reference, reference);
  assert.equal(br.payment_request.app_fee, 100);
  assert.equal(br.purpose_code, 'retail');
  await gc.billingRequests.collectCustomerDetails(br.id, {
    customer: { email: 'payer@example.com', given_name: 'Pat', family_name: 'Payer' },
    customer_billing_detail: { address_line1: '1 Test Street', postal_code: 'E8 3GX', country_code: 'GB' },
  });
  await gc.billingRequests.collectBankAccount(br.id, { account_holder_name: 'PAT PAYER', account_number: '55779911', branch_code: '200000', country_code: 'GB' });
  await gc.billingRequests.confirmPayerDetails(br.id, { metadata: { confirmed: 'yes' } });
  await simulate(`billing_requests/${br.id}/actions/bank_authorisation`);
  const done = await gc.billingRequests.fulfil(br.id, { metadata: { fulfilled: 'compat' } });
  assert.equal(done.status, 'fulfilled');
  assert.deepEqual(done.metadata, { fulfilled: 'compat' });
  return { mandate: done.links.mandate_request_mandate, payment: done.links.payment_request_payment };
}

const unique = () => `CMP-${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 1000)}`;

test('fulfil creates the mandate and payment with the given references; the client cancels the payment, then the mandate', async () => {
  const reference = unique();
  const { mandate, payment } = await fulfilled(reference);

  const md = await gc.mandates.find(mandate);
  assert.equal(md.reference, reference);
  assert.equal(md.status, 'pending_submission');
  assert.deepEqual(md.metadata, { plan: 'gold' });
  const pm = await gc.payments.find(payment);
  assert.equal(pm.reference, `${reference}-P`);
  assert.equal(pm.app_fee, 100);
  assert.equal(pm.links.mandate, mandate);

  const cancelledPayment = await gc.payments.cancel(payment, { metadata: { reason: 'duplicate' } });
  assert.equal(cancelledPayment.status, 'cancelled');
  await assert.rejects(gc.payments.cancel(payment), (e) => {
    assert.equal(e.errorType, 'invalid_state');
    assert.equal(e.errors[0].reason, 'cancellation_failed');
    return true;
  });

  const cancelledMandate = await gc.mandates.cancel(mandate, { metadata: { reason: 'moved away' } });
  assert.equal(cancelledMandate.status, 'cancelled');
  assert.equal((await gc.mandates.find(mandate)).status, 'cancelled');
  await assert.rejects(gc.mandates.cancel(mandate), (e) => e.errors[0].reason === 'cancellation_failed');

  const events = await gc.events.list({ mandate, resource_type: 'mandates' });
  assert.deepEqual(events.events.map((e) => e.action), ['cancelled', 'created']);
  assert.deepEqual(events.events[0].metadata, { reason: 'moved away' });
  const paymentEvents = await gc.events.list({ payment });
  assert.deepEqual(paymentEvents.events.map((e) => e.action), ['cancelled', 'created']);
  assert.equal(paymentEvents.events[0].details.cause, 'payment_cancelled');
});

test('cancelling a mandate cancels its pending payment, and a payment submitted to the banks refuses cancel', async () => {
  const first = await fulfilled(unique());
  await gc.mandates.cancel(first.mandate);
  const cascaded = await gc.payments.find(first.payment);
  assert.equal(cascaded.status, 'cancelled');
  const cause = (await gc.events.list({ payment: first.payment, action: 'cancelled' })).events[0].details.cause;
  assert.equal(cause, 'mandate_cancelled');

  const second = await fulfilled(unique());
  await simulate(`payments/${second.payment}/submit`);
  await assert.rejects(gc.payments.cancel(second.payment), (e) => {
    assert.equal(e.errorType, 'invalid_state');
    assert.equal(e.errors[0].reason, 'cancellation_failed');
    return true;
  });
  await gc.mandates.cancel(second.mandate);
  assert.equal((await gc.payments.find(second.payment)).status, 'submitted');

  await assert.rejects(gc.mandates.cancel('MD0000000000AA'), (e) => e.errors[0].reason === 'resource_not_found');
});

test('the client\'s list filters: one payment status, currency, scheme and charge_date bounds; a list of mandate schemes', async () => {
  const reference = unique();
  const { mandate, payment } = await fulfilled(reference);
  const pm = await gc.payments.find(payment);

  const ids = (list) => list.payments.map((p) => p.id);
  assert.ok(ids(await gc.payments.list({ mandate, status: 'pending_submission', currency: 'GBP', scheme: pm.scheme })).includes(payment));
  assert.ok(ids(await gc.payments.list({ mandate, charge_date: { gte: pm.charge_date, lte: pm.charge_date } })).includes(payment));
  assert.deepEqual(ids(await gc.payments.list({ mandate, charge_date: { gt: pm.charge_date } })), []);
  assert.deepEqual(ids(await gc.payments.list({ mandate, currency: 'EUR' })), []);
  assert.deepEqual(ids(await gc.payments.list({ subscription: 'SB0000000000AA' })), []);

  const schemes = await gc.mandates.list({ reference, scheme: ['bacs', 'sepa_core'], status: ['pending_submission', 'active'] });
  assert.deepEqual(schemes.mandates.map((m) => m.id), [mandate]);
  assert.deepEqual((await gc.mandates.list({ reference, scheme: ['sepa_core'] })).mandates, []);
});
