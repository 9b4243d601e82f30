// Hygie's FHIR API driven by fhir-kit-client (npm), a client written by others.
// scripts/test-fhir-node.sh starts a hub and passes: HYGIE_FHIR_BASE (a tenant's base URL), HYGIE_FHIR_TOKEN (its token)
// and HYGIE_FHIR_OTHER_TOKEN (a token of another tenant).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'fhir-kit-client';

const baseUrl = process.env.HYGIE_FHIR_BASE;
const token = process.env.HYGIE_FHIR_TOKEN;
const otherToken = process.env.HYGIE_FHIR_OTHER_TOKEN;
if (!baseUrl || !token) throw new Error('set HYGIE_FHIR_BASE and HYGIE_FHIR_TOKEN (scripts/test-fhir-node.sh does)');

const client = new Client({ baseUrl, customHeaders: { Authorization: `Bearer ${token}` } });

async function status(promise) {
  try {
    await promise;
    return 200;
  } catch (e) {
    if (!e.response) throw e;
    return e.response.status;
  }
}

const patient = (family, identifier) => ({
  resourceType: 'Patient',
  name: [{ family, given: ['Camille'] }],
  gender: 'female',
  birthDate: '1990-04-02',
  identifier: identifier ? [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: identifier }] : undefined,
});

test('metadata is a CapabilityStatement for FHIR 4.0.1', async () => {
  const capability = await client.capabilityStatement();
  assert.equal(capability.resourceType, 'CapabilityStatement');
  assert.equal(capability.fhirVersion, '4.0.1');
  const types = capability.rest[0].resource.map((r) => r.type);
  for (const t of ['Patient', 'Observation', 'Encounter', 'Condition', 'MedicationRequest', 'Procedure', 'Immunization', 'Practitioner', 'Organization', 'Device']) {
    assert.ok(types.includes(t), `${t} missing`);
  }
});

test('create, read, update, vread, history, delete', async () => {
  const created = await client.create({ resourceType: 'Patient', body: patient('Lefebvre') });
  assert.ok(created.id);
  assert.equal(created.meta.versionId, '1');
  const read = await client.read({ resourceType: 'Patient', id: created.id });
  assert.equal(read.name[0].family, 'Lefebvre');
  read.gender = 'other';
  const updated = await client.update({ resourceType: 'Patient', id: created.id, body: read });
  assert.equal(updated.meta.versionId, '2');
  const v1 = await client.vread({ resourceType: 'Patient', id: created.id, version: '1' });
  assert.equal(v1.gender, 'female');
  const history = await client.history({ resourceType: 'Patient', id: created.id });
  assert.equal(history.type, 'history');
  assert.equal(history.total, 2);
  await client.delete({ resourceType: 'Patient', id: created.id });
  assert.equal(await status(client.read({ resourceType: 'Patient', id: created.id })), 410);
});

test('a stale If-Match is refused with 412', async () => {
  const created = await client.create({ resourceType: 'Patient', body: patient('Moreau') });
  await client.update({ resourceType: 'Patient', id: created.id, body: { ...created, gender: 'male' } });
  const stale = client.update({ resourceType: 'Patient', id: created.id, body: { ...created, gender: 'unknown' }, options: { headers: { 'If-Match': 'W/"1"' } } });
  assert.equal(await status(stale), 412);
});

test('conditional update by identifier creates then updates', async () => {
  const searchParams = { identifier: 'urn:oid:1.2.250.1.213.1.4.8|NODE-1' };
  const first = await client.update({ resourceType: 'Patient', searchParams, body: patient('Garnier', 'NODE-1') });
  const second = await client.update({ resourceType: 'Patient', searchParams, body: patient('Garnier-Roy', 'NODE-1') });
  assert.equal(second.id, first.id);
  assert.equal(second.meta.versionId, '2');
});

test('search with paging follows next links to every match', async () => {
  for (let i = 0; i < 5; i++) {
    await client.create({ resourceType: 'Patient', body: { ...patient(`Pagenode${i}`), meta: { tag: [{ system: 'urn:hygie:test', code: 'paging' }] } } });
  }
  let bundle = await client.search({ resourceType: 'Patient', searchParams: { _tag: 'urn:hygie:test|paging', _count: 2 } });
  assert.equal(bundle.total, 5);
  const ids = new Set();
  while (bundle) {
    for (const e of bundle.entry ?? []) ids.add(e.resource.id);
    bundle = await client.nextPage({ bundle });
  }
  assert.equal(ids.size, 5);
  const count = await client.search({ resourceType: 'Patient', searchParams: { _tag: 'urn:hygie:test|paging', _summary: 'count' } });
  assert.equal(count.total, 5);
  assert.equal(count.entry, undefined);
  // Names are indexed as keyed hashes: without the operator's name-search allowance, only whole names match.
  const exact = await client.search({ resourceType: 'Patient', searchParams: { family: 'pagenode3' } });
  assert.equal(exact.total, 1);
  const prefix = await client.search({ resourceType: 'Patient', searchParams: { family: 'pagenode' } });
  assert.equal(prefix.total, 0);
});

test('a transaction resolves urn:uuid references; a batch reports each entry', async () => {
  const tx = await client.transaction({
    body: {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:0c3a6a77-5f2f-4f49-9b4b-6a2c1a7f0001', resource: patient('Bonnet'), request: { method: 'POST', url: 'Patient' } },
        {
          resource: {
            resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
            subject: { reference: 'urn:uuid:0c3a6a77-5f2f-4f49-9b4b-6a2c1a7f0001' }, valueQuantity: { value: 64, unit: '/min' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    },
  });
  assert.equal(tx.type, 'transaction-response');
  const patientId = tx.entry[0].resource.id;
  assert.equal(tx.entry[1].resource.subject.reference, `Patient/${patientId}`);
  const found = await client.search({ resourceType: 'Observation', searchParams: { subject: `Patient/${patientId}`, _include: 'Observation:subject' } });
  assert.equal(found.total, 1);
  assert.ok(found.entry.some((e) => e.search.mode === 'include' && e.resource.id === patientId));

  const batch = await client.batch({
    body: {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: patient('Batch'), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/no-such-patient' } },
      ],
    },
  });
  assert.equal(batch.entry[0].response.status, '201 Created');
  assert.equal(batch.entry[1].response.status, '404 Not Found');
});

test('JSON Patch changes one element', async () => {
  const created = await client.create({ resourceType: 'Patient', body: patient('Patchnode') });
  const patched = await client.patch({ resourceType: 'Patient', id: created.id, jsonPatch: [{ op: 'replace', path: '/birthDate', value: '1991-01-01' }] });
  assert.equal(patched.birthDate, '1991-01-01');
});

test('errors are OperationOutcomes with the right status', async () => {
  let error;
  try {
    await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', gender1: 'male' } });
  } catch (e) {
    error = e;
  }
  assert.equal(error.response.status, 400);
  const outcome = typeof error.response.data === 'string' ? JSON.parse(error.response.data) : error.response.data;
  assert.equal(outcome.resourceType, 'OperationOutcome');
  assert.match(outcome.issue[0].diagnostics, /gender1/);
  assert.equal(await status(client.read({ resourceType: 'Patient', id: 'nobody-here' })), 404);
  assert.equal(await status(client.search({ resourceType: 'Patient', searchParams: { foo: 'bar' }, options: { headers: { Prefer: 'handling=strict' } } })), 400);
});

test('a token of another tenant is refused 403', { skip: !otherToken && 'no HYGIE_FHIR_OTHER_TOKEN' }, async () => {
  const other = new Client({ baseUrl, customHeaders: { Authorization: `Bearer ${otherToken}` } });
  assert.equal(await status(other.search({ resourceType: 'Patient' })), 403);
});
