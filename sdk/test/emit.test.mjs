import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import {
  CONTRACT_VERSION,
  EncodeError,
  FRAME_BATCH_BYTES,
  SinkFailedError,
  StreamFrameSink,
  TerminalEventError,
  createRunSession,
} from '../dist/index.js';
import { ISO_MS_Z, IDENTITY, MemorySink, UUID_V4, decodeStream } from './helpers.mjs';

function session(identity = IDENTITY, sink = new MemorySink()) {
  return { sink, ...createRunSession({ sink, identity, partition: null }) };
}

test('envelopes carry the contract fields in the documented key order', async () => {
  const { sink, emit } = session();
  await emit.item({ item_type: 'product', data: { name: 'x' } });
  const [env] = sink.decoded();
  assert.deepEqual(Object.keys(env), ['contract_version', 'event_id', 'run_id', 'type', 'ts', 'payload', 'attempt', 'seq']);
  assert.equal(env.contract_version, CONTRACT_VERSION);
  assert.equal(CONTRACT_VERSION, '0.13.4');
  assert.match(env.event_id, UUID_V4);
  assert.match(env.ts, ISO_MS_Z);
  assert.equal(env.run_id, 'run-1');
  assert.equal(env.attempt, 1);
  assert.equal(env.seq, 1);
  assert.deepEqual(env.payload, { item_type: 'product', data: { name: 'x' } });
});

test('job_id and parent_run_id appear exactly when the run request had them', async () => {
  const { sink, emit } = session({ run_id: 'r2', attempt: 2, job_id: 'job-42', parent_run_id: 'r1' });
  await emit.info('hello');
  const [env] = sink.decoded();
  assert.deepEqual(Object.keys(env), [
    'contract_version', 'event_id', 'run_id', 'type', 'ts', 'payload', 'attempt', 'job_id', 'parent_run_id', 'seq',
  ]);
  assert.equal(env.job_id, 'job-42');
  assert.equal(env.parent_run_id, 'r1');
  assert.deepEqual(env.payload, { level: 'info', message: 'hello' });
});

test('payloads omit optional keys instead of sending nil', async () => {
  const { sink, emit } = session();
  await emit.checkpoint({ checkpoint_id: 'c1' });
  await emit.checkpoint({ checkpoint_id: 'c2', note: 'n' });
  await emit.enqueue({ target: 't.mjs', params: { a: 1 } });
  await emit.enqueue({ target: 't.mjs', params: {}, source: 's', category: 'c' });
  await emit.rotateProxy();
  await emit.rotateProxy({ reason: 'blocked' });
  await emit.log({ level: 'warn', message: 'm', fields: { n: 200 } });
  await emit.debug('d');
  await emit.error('e', { k: 'v' });
  const payloads = sink.decoded().map((e) => [e.type, e.payload]);
  assert.deepEqual(payloads, [
    ['checkpoint', { checkpoint_id: 'c1' }],
    ['checkpoint', { checkpoint_id: 'c2', note: 'n' }],
    ['enqueue', { target: 't.mjs', params: { a: 1 } }],
    ['enqueue', { target: 't.mjs', params: {}, source: 's', category: 'c' }],
    ['rotate_proxy', {}],
    ['rotate_proxy', { reason: 'blocked' }],
    ['log', { level: 'warn', message: 'm', fields: { n: 200 } }],
    ['log', { level: 'debug', message: 'd' }],
    ['log', { level: 'error', message: 'e', fields: { k: 'v' } }],
  ]);
});

test('seq is 1..n across event types; chunks, file writes and run_result consume none', async () => {
  const { sink, emit, storage, writeRunResult, acks } = session();
  acks.end(); // no acks will come: fire-and-forget
  await emit.item({ item_type: 'a', data: {} });
  await emit.artifact({ name: 'f.bin', content_type: 'application/octet-stream', data: Buffer.from('xyz') });
  await storage.put({ filename: 'f.txt', content_type: 'text/plain', data: 'hi' });
  await emit.info('m');
  await emit.runComplete();
  await writeRunResult({ status: 'completed', message: 'run completed' });
  const all = sink.decoded();
  assert.deepEqual(all.map((f) => f.type), ['item', 'artifact_chunk', 'artifact', 'file_write', 'log', 'run_complete', 'run_result']);
  assert.deepEqual(sink.events().map((e) => e.seq), [1, 2, 3, 4]);
});

test('concurrent calls keep call order and contiguous seq', async () => {
  const { sink, emit } = session();
  await Promise.all(Array.from({ length: 200 }, (_, i) => emit.item({ item_type: 't', data: { i } })));
  const events = sink.events();
  assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 200 }, (_, i) => i + 1));
  assert.deepEqual(events.map((e) => e.payload.data.i), Array.from({ length: 200 }, (_, i) => i));
});

test('an un-encodable value rejects only that call and consumes no seq', async () => {
  const { sink, emit } = session();
  await emit.item({ item_type: 'a', data: {} });
  await assert.rejects(emit.item({ item_type: 'b', data: { cb: () => 1 } }), (e) => e instanceof EncodeError && /payload\.data\.cb/.test(e.message));
  await assert.rejects(emit.item({ item_type: 'b', data: { big: 1n } }), /BigInt at payload\.data\.big/);
  await assert.rejects(emit.item({ item_type: 'b', data: { m: new Map([[{}, 1]]) } }), /non-string key/);
  await emit.item({ item_type: 'c', data: { m: new Map([['k', 'v']]) } });
  assert.deepEqual(sink.events().map((e) => [e.seq, e.payload.item_type]), [[1, 'a'], [2, 'c']]);
  assert.deepEqual(sink.events()[1].payload.data, { m: { k: 'v' } });
});

test('a value nested deeper than the limit rejects that call only; the run goes on', async () => {
  const { sink, emit } = session();
  const nest = (levels) => {
    let v = 'leaf';
    for (let i = 0; i < levels; i++) v = [v];
    return v;
  };
  // payload (1) > data (2) > 126 arrays = level 128: the deepest accepted.
  await emit.item({ item_type: 'ok', data: { v: nest(126) } });
  await assert.rejects(
    emit.item({ item_type: 'deep', data: { v: nest(127) } }),
    (e) => e instanceof EncodeError && /nested deeper than 128 levels/.test(e.message) && e.message.length < 300,
  );
  // Far deeper than the JS stack could recurse: still a clean rejection.
  await assert.rejects(emit.item({ item_type: 'deep', data: { v: nest(30_000) } }), EncodeError);
  await emit.item({ item_type: 'after', data: {} });
  assert.deepEqual(sink.events().map((e) => [e.seq, e.payload.item_type]), [[1, 'ok'], [2, 'after']]);
});

test('invalid input and oversize envelopes reject alone; nothing is written', async () => {
  const { sink, emit } = session();
  await assert.rejects(emit.item({ item_type: 5, data: {} }), TypeError);
  await assert.rejects(emit.item({ item_type: 'x', data: [] }), TypeError);
  await assert.rejects(emit.item(undefined), TypeError);
  await assert.rejects(emit.item({ item_type: 'x', data: { blob: Buffer.alloc(16_777_212) } }), RangeError);
  assert.equal(sink.frames.length, 0);
  await emit.item({ item_type: 'ok', data: {} });
  assert.equal(sink.events()[0].seq, 1);
});

test('after a terminal every emit and put rejects with TerminalEventError, never SinkFailedError (D9)', async () => {
  const { sink, emit, storage, chain } = session();
  await emit.runComplete({ summary: { n: 1 } });
  for (let i = 0; i < 3; i++) {
    await assert.rejects(emit.item({ item_type: 'late', data: {} }), TerminalEventError);
    await assert.rejects(emit.runError({ error_type: 'x', message: 'y' }), TerminalEventError);
    await assert.rejects(emit.runComplete(), TerminalEventError);
    await assert.rejects(storage.put({ filename: 'a.txt', content_type: 'text/plain', data: 'x' }), TerminalEventError);
    await assert.rejects(emit.artifact({ name: 'a', content_type: 'b', data: Buffer.alloc(1) }), TerminalEventError);
  }
  assert.equal(sink.frames.length, 1);
  assert.deepEqual(chain.terminal, { type: 'run_complete', payload: { summary: { n: 1 } } });
  assert.equal(chain.sinkHealthy, true);
});

test('run_error is terminal too and keeps its stack', async () => {
  const { sink, emit, chain } = session();
  await emit.runError({ error_type: 'script_error', message: 'm', stack: 'Error: m\n at f' });
  await assert.rejects(emit.info('x'), TerminalEventError);
  assert.equal(chain.terminal.type, 'run_error');
  assert.deepEqual(sink.events()[0].payload, { error_type: 'script_error', message: 'm', stack: 'Error: m\n at f' });
});

test('a pipe failure rejects that call and later calls with SinkFailedError carrying the first error', async () => {
  const sink = new MemorySink();
  sink.failAfter = 1;
  const { emit, chain } = session(IDENTITY, sink);
  await emit.item({ item_type: 'a', data: {} });
  await assert.rejects(emit.item({ item_type: 'b', data: {} }), /EPIPE/);
  const err = await emit.item({ item_type: 'c', data: {} }).catch((e) => e);
  assert.ok(err instanceof SinkFailedError);
  assert.match(err.cause.message, /EPIPE/);
  assert.equal(chain.sinkHealthy, false);
  assert.equal(chain.terminal, undefined);
});

test('StreamFrameSink waits for drain and never buffers more than one batch', async () => {
  let maxBuffered = 0;
  const chunks = [];
  const stream = new Writable({
    highWaterMark: 16,
    write(chunk, _enc, cb) {
      maxBuffered = Math.max(maxBuffered, stream.writableLength);
      chunks.push(chunk);
      setTimeout(cb, 2);
    },
  });
  const sink = new StreamFrameSink(stream);
  const { emit } = createRunSession({ sink, identity: IDENTITY, partition: null });
  const calls = Array.from({ length: 20 }, (_, i) => emit.item({ item_type: 'x', data: { i } }));
  await Promise.all(calls);
  await sink.end();
  const frames = decodeStream(Buffer.concat(chunks));
  assert.deepEqual(frames.map((f) => f.seq), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.ok(maxBuffered <= FRAME_BATCH_BYTES, `buffered ${maxBuffered} > ${FRAME_BATCH_BYTES}`);
});

test('StreamFrameSink reports stream errors as sink failures', async () => {
  const stream = new Writable({
    write(_c, _e, cb) {
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  stream.on('error', () => undefined);
  const sink = new StreamFrameSink(stream);
  const { emit, chain } = createRunSession({ sink, identity: IDENTITY, partition: null });
  await emit.item({ item_type: 'x', data: {} }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 10));
  await assert.rejects(emit.item({ item_type: 'y', data: {} }), SinkFailedError);
  assert.match(chain.sinkFailure.message, /EPIPE/);
});

test('StreamFrameSink batches small frames, writes big ones alone, and keeps order under a slow reader', async () => {
  const chunks = [];
  let maxBuffered = 0;
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk, _enc, cb) {
      maxBuffered = Math.max(maxBuffered, stream.writableLength);
      chunks.push(chunk);
      setTimeout(cb, 1);
    },
  });
  const sink = new StreamFrameSink(stream);
  const { emit, writeRunResult } = createRunSession({ sink, identity: IDENTITY, partition: null });
  const calls = [];
  for (let i = 0; i < 300; i++) {
    calls.push(emit.item({ item_type: 'x', data: { i, pad: 'p'.repeat(i % 7 === 0 ? 70_000 : 100) } }));
  }
  calls.push(emit.runComplete());
  await Promise.all(calls);
  await writeRunResult({ status: 'completed', message: 'run completed' });
  await sink.end();
  const frames = decodeStream(Buffer.concat(chunks));
  assert.equal(frames.length, 302);
  assert.deepEqual(frames.slice(0, 300).map((f) => f.payload.data.i), Array.from({ length: 300 }, (_, i) => i));
  assert.deepEqual(frames.slice(300).map((f) => f.type), ['run_complete', 'run_result']);
  assert.ok(chunks.length < 302, 'small frames were batched');
  assert.ok(maxBuffered <= FRAME_BATCH_BYTES + 80_000, `buffered ${maxBuffered}`);
});
