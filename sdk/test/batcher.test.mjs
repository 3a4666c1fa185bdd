import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBatcher, createStorageBatcher } from '../dist/index.js';

function fakeEmit() {
  const calls = [];
  return { calls, enqueue: async (p) => void calls.push(p) };
}

test('createBatcher validates size', () => {
  for (const size of [0, -1, 1.5, '2', undefined, NaN]) {
    assert.throws(() => createBatcher(fakeEmit(), { size, target: 't' }), RangeError);
  }
});

test('createBatcher emits one enqueue per full batch with params.items', async () => {
  const emit = fakeEmit();
  const b = createBatcher(emit, { size: 2, target: 'detail.mjs', source: 's', category: 'c' });
  await b.add({ id: 1 });
  assert.equal(b.pending, 1);
  assert.equal(emit.calls.length, 0);
  await b.add({ id: 2 });
  assert.equal(b.pending, 0);
  await b.add({ id: 3 });
  await b.flush();
  await b.flush();
  assert.deepEqual(emit.calls, [
    { target: 'detail.mjs', params: { items: [{ id: 1 }, { id: 2 }] }, source: 's', category: 'c' },
    { target: 'detail.mjs', params: { items: [{ id: 3 }] }, source: 's', category: 'c' },
  ]);
});

test('createBatcher omits source/category when not given', async () => {
  const emit = fakeEmit();
  const b = createBatcher(emit, { size: 5, target: 't' });
  await b.add(1);
  await b.flush();
  assert.deepEqual(emit.calls, [{ target: 't', params: { items: [1] } }]);
});

function fakeStorage({ failOn, delay = 5 } = {}) {
  const s = { inFlight: 0, maxInFlight: 0, started: [] };
  s.put = async (opts) => {
    s.started.push(opts.filename);
    s.inFlight += 1;
    s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
    await new Promise((r) => setTimeout(r, opts.filename === failOn ? 1 : delay));
    s.inFlight -= 1;
    if (opts.filename === failOn) throw new Error(`storage.put failed for "${failOn}": boom`);
    return { key: `k/${opts.filename}` };
  };
  return s;
}

test('createStorageBatcher validates concurrency (default 16)', async () => {
  for (const concurrency of [0, -2, 2.5, 'x']) {
    assert.throws(() => createStorageBatcher(fakeStorage(), { concurrency }), RangeError);
  }
  const storage = fakeStorage();
  const b = createStorageBatcher(storage);
  for (let i = 0; i < 40; i++) b.add({ filename: `f${i}`, content_type: 't', data: 'x' });
  await b.flush();
  assert.equal(storage.maxInFlight, 16);
});

test('createStorageBatcher keeps at most `concurrency` puts in flight and returns results', async () => {
  const storage = fakeStorage();
  const b = createStorageBatcher(storage, { concurrency: 3 });
  const results = Array.from({ length: 10 }, (_, i) => b.add({ filename: `f${i}`, content_type: 't', data: 'x' }));
  assert.equal(b.pending, 10);
  await b.flush();
  assert.equal(b.pending, 0);
  assert.equal(storage.maxInFlight, 3);
  assert.deepEqual((await Promise.all(results)).map((r) => r.key), Array.from({ length: 10 }, (_, i) => `k/f${i}`));
});

test('createStorageBatcher fails fast: queued and later adds reject, flush rethrows, then it is reusable', async () => {
  const storage = fakeStorage({ failOn: 'f1', delay: 30 });
  const b = createStorageBatcher(storage, { concurrency: 2 });
  const adds = Array.from({ length: 6 }, (_, i) => b.add({ filename: `f${i}`, content_type: 't', data: 'x' }));
  const settled = await Promise.allSettled(adds);
  assert.equal(settled[0].status, 'fulfilled');
  for (const s of settled.slice(1)) {
    assert.equal(s.status, 'rejected');
    assert.match(s.reason.message, /"f1": boom/);
  }
  assert.deepEqual(storage.started, ['f0', 'f1']);
  await assert.rejects(b.add({ filename: 'later', content_type: 't', data: 'x' }), /"f1": boom/);
  await assert.rejects(b.flush(), /"f1": boom/);
  await b.add({ filename: 'again', content_type: 't', data: 'x' });
  await b.flush();
});
