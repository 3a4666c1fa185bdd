import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AckTracker,
  StorageFilenameError,
  TerminalEventError,
  buildStorageKey,
  createRunSession,
  escapePartitionValue,
  parseStoragePartition,
} from '../dist/index.js';
import { IDENTITY, MemorySink, ackFrame } from './helpers.mjs';

const PARTITION = { dataset: 'quarry', source: 'shop', category: 'products', day: '2026-03-22', run_id: 'run-001' };

/** A session whose sink answers every file_write with the ack `answer(writeId, filename)` returns. */
function ackingSession(answer, partition = PARTITION) {
  const sink = new MemorySink();
  const s = createRunSession({ sink, identity: IDENTITY, partition });
  const write = sink.write.bind(sink);
  sink.write = async (frame) => {
    await write(frame);
    const msg = sink.decoded().at(-1);
    if (msg.type === 'file_write') {
      const ack = answer(msg.write_id, msg.filename);
      if (ack) setImmediate(() => s.acks.feed(ack));
    }
  };
  return { sink, ...s };
}

test('put writes one file_write and resolves with the key once acked ok', async () => {
  const { sink, storage } = ackingSession((id) => ackFrame(id, true));
  const res = await storage.put({ filename: 'page.html', content_type: 'text/html', data: Buffer.from('<p>') });
  assert.deepEqual(res, {
    key: 'datasets/quarry/partitions/source=shop/category=products/day=2026-03-22/run_id=run-001/files/page.html',
  });
  const [fw] = sink.decoded();
  assert.deepEqual(fw, { type: 'file_write', write_id: 1, filename: 'page.html', content_type: 'text/html', data: Buffer.from('<p>') });
});

test('an error ack rejects that put with the filename and runtime text; later calls work (D9)', async () => {
  const { sink, storage, emit } = ackingSession((id, name) =>
    name === 'dup.txt' ? ackFrame(id, false, 'path already exists') : ackFrame(id, true),
  );
  await assert.rejects(
    storage.put({ filename: 'dup.txt', content_type: 'text/plain', data: 'x' }),
    (e) => e.message === 'storage.put failed for "dup.txt": path already exists',
  );
  await emit.item({ item_type: 'after', data: {} });
  assert.ok((await storage.put({ filename: 'ok.txt', content_type: 'text/plain', data: 'y' })).key.endsWith('/files/ok.txt'));
  await emit.runComplete();
  const frames = sink.decoded();
  assert.deepEqual(frames.map((f) => f.type), ['file_write', 'item', 'file_write', 'run_complete']);
  assert.deepEqual(frames.filter((f) => f.type === 'file_write').map((f) => f.write_id), [1, 2]);
});

test('an error ack without text gets a fixed fallback message', async () => {
  const { storage } = ackingSession((id) => ackFrame(id, false));
  await assert.rejects(storage.put({ filename: 'a', content_type: 't', data: '' }), /^Error: storage\.put failed for "a": .+/);
});

test('invalid filenames reject with StorageFilenameError and write nothing or consume a write_id', async () => {
  const { sink, storage } = ackingSession((id) => ackFrame(id, true));
  for (const filename of ['../x', 'a/b', 'a\\b', '', 'x..y', '..']) {
    await assert.rejects(storage.put({ filename, content_type: 'text/plain', data: 'x' }), StorageFilenameError);
  }
  assert.equal(sink.frames.length, 0);
  await storage.put({ filename: 'fine.txt', content_type: 'text/plain', data: 'x' });
  assert.equal(sink.decoded()[0].write_id, 1);
});

test('data over 8 MiB rejects with a RangeError naming the limit; exactly 8 MiB is accepted', async () => {
  const { sink, storage } = ackingSession((id) => ackFrame(id, true));
  await assert.rejects(
    storage.put({ filename: 'big.bin', content_type: 'x', data: Buffer.alloc(8_388_609) }),
    (e) => e instanceof RangeError && /8 MiB/.test(e.message),
  );
  assert.equal(sink.frames.length, 0);
  await storage.put({ filename: 'max.bin', content_type: 'x', data: Buffer.alloc(8_388_608) });
  assert.equal(sink.decoded()[0].data.length, 8_388_608);
});

test('write_ids are 1, 2, 3, … in emission order; acks may arrive out of order', async () => {
  const sink = new MemorySink();
  const { storage, acks } = createRunSession({ sink, identity: IDENTITY, partition: PARTITION });
  const puts = ['a', 'b', 'c'].map((f) => storage.put({ filename: f, content_type: 't', data: f }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sink.decoded().map((f) => [f.write_id, f.filename]), [[1, 'a'], [2, 'b'], [3, 'c']]);
  acks.feed(Buffer.concat([ackFrame(3, true), ackFrame(99, true), ackFrame(1, true), ackFrame(2, true)]));
  const keys = (await Promise.all(puts)).map((r) => r.key.split('/').at(-1));
  assert.deepEqual(keys, ['a', 'b', 'c']);
});

test('stdin EOF before any ack matched: pending and later puts resolve (fire-and-forget)', async () => {
  const sink = new MemorySink();
  const { storage, acks } = createRunSession({ sink, identity: IDENTITY, partition: null });
  const pending = storage.put({ filename: 'a', content_type: 't', data: 'x' });
  await new Promise((r) => setImmediate(r));
  acks.end();
  assert.deepEqual(await pending, { key: '' });
  assert.deepEqual(await storage.put({ filename: 'b', content_type: 't', data: 'y' }), { key: '' });
});

test('stdin EOF after an ack matched: pending puts reject', async () => {
  const sink = new MemorySink();
  const { storage, acks } = createRunSession({ sink, identity: IDENTITY, partition: PARTITION });
  const first = storage.put({ filename: 'a', content_type: 't', data: 'x' });
  const second = storage.put({ filename: 'b', content_type: 't', data: 'y' });
  await new Promise((r) => setImmediate(r));
  acks.feed(ackFrame(1, true));
  await first;
  acks.end();
  await assert.rejects(second, /storage\.put failed for "b": stdin closed/);
});

test('stopping the ack reader rejects pending puts; junk and foreign frames are ignored', async () => {
  const tracker = new AckTracker();
  const wait = tracker.expect(tracker.takeWriteId());
  const junk = Buffer.from([0, 0, 0, 2, 0xc1, 0xc1]);
  const other = Buffer.from('0000000881a474797065a178', 'hex');
  tracker.feed(Buffer.concat([junk, other.subarray(0, 3)]));
  tracker.feed(other.subarray(3));
  tracker.stop();
  await assert.rejects(wait, /stopped/);
});

test('ack bytes split at any boundary still match', async () => {
  const tracker = new AckTracker();
  const wait = tracker.expect(tracker.takeWriteId());
  for (const b of ackFrame(1, true)) tracker.feed(Buffer.from([b]));
  await wait;
});

test('put after the terminal rejects with TerminalEventError before validation', async () => {
  const { storage, emit, sink } = ackingSession((id) => ackFrame(id, true));
  await emit.runError({ error_type: 'x', message: 'y' });
  await assert.rejects(storage.put({ filename: '../x', content_type: 't', data: 'x' }), TerminalEventError);
  assert.equal(sink.frames.length, 1);
});

test('storage keys escape partition values like Hive partitions (D11.11); filename unescaped', () => {
  assert.equal(escapePartitionValue('shop eu/1'), 'shop%20eu%2F1');
  assert.equal(escapePartitionValue('a-_.~$&+:=@Z9'), 'a-_.~$&+:=@Z9');
  assert.equal(escapePartitionValue('ü;,?%'), '%C3%BC%3B%2C%3F%25');
  const key = buildStorageKey({ dataset: 'ds', source: 'a/b', category: 'c d', day: '2026-01-02', run_id: 'r#1' }, 'f name.txt');
  assert.equal(key, 'datasets/ds/partitions/source=a%2Fb/category=c%20d/day=2026-01-02/run_id=r%231/files/f name.txt');
  assert.throws(() => buildStorageKey(PARTITION, '../x'), StorageFilenameError);
});

test('the storage block needs five non-empty strings', () => {
  assert.deepEqual(parseStoragePartition(PARTITION), PARTITION);
  assert.equal(parseStoragePartition({ ...PARTITION, day: '' }), null);
  assert.equal(parseStoragePartition({ ...PARTITION, source: 3 }), null);
  assert.equal(parseStoragePartition([]), null);
  assert.equal(parseStoragePartition(null), null);
});
