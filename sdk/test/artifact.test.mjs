import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_CHUNK_SIZE, createRunSession } from '../dist/index.js';
import { IDENTITY, MemorySink, UUID_V4 } from './helpers.mjs';

async function artifactFrames(size) {
  const sink = new MemorySink();
  const { emit } = createRunSession({ sink, identity: IDENTITY, partition: null });
  const data = Buffer.alloc(size, 7);
  const id = await emit.artifact({ name: 'blob.bin', content_type: 'application/octet-stream', data });
  return { id, frames: sink.decoded() };
}

function checkArtifact({ id, frames }, size, chunkSizes) {
  assert.match(id, UUID_V4);
  const chunks = frames.slice(0, -1);
  const commit = frames.at(-1);
  assert.deepEqual(chunks.map((c) => c.type), chunkSizes.map(() => 'artifact_chunk'));
  assert.deepEqual(chunks.map((c) => c.seq), chunkSizes.map((_, i) => i + 1));
  assert.deepEqual(chunks.map((c) => c.is_last), chunkSizes.map((_, i) => i === chunkSizes.length - 1));
  assert.deepEqual(chunks.map((c) => c.data.length), chunkSizes);
  assert.ok(chunks.every((c) => Buffer.isBuffer(c.data) && c.artifact_id === id));
  assert.equal(commit.type, 'artifact');
  assert.equal(commit.seq, 1);
  assert.deepEqual(commit.payload, { artifact_id: id, name: 'blob.bin', content_type: 'application/octet-stream', size_bytes: size });
}

test('an empty artifact is one empty chunk with is_last', async () => {
  checkArtifact(await artifactFrames(0), 0, [0]);
});

test('exactly 8 MiB is one chunk', async () => {
  checkArtifact(await artifactFrames(MAX_CHUNK_SIZE), MAX_CHUNK_SIZE, [MAX_CHUNK_SIZE]);
});

test('8 MiB + 1 byte is two chunks', async () => {
  checkArtifact(await artifactFrames(MAX_CHUNK_SIZE + 1), MAX_CHUNK_SIZE + 1, [MAX_CHUNK_SIZE, 1]);
});

test('chunk frames stay under the payload limit and bytes survive', async () => {
  const sink = new MemorySink();
  const { emit } = createRunSession({ sink, identity: IDENTITY, partition: null });
  const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  await emit.artifact({ name: 'a', content_type: 'b', data: new Uint8Array(data) });
  assert.deepEqual(sink.decoded()[0].data, data);
  assert.ok(sink.frames.every((f) => f.length - 4 <= 16_777_212));
});

test('artifacts do not interleave with concurrent emits', async () => {
  const sink = new MemorySink();
  const { emit } = createRunSession({ sink, identity: IDENTITY, partition: null });
  await Promise.all([
    emit.item({ item_type: 'before', data: {} }),
    emit.artifact({ name: 'a', content_type: 'b', data: Buffer.alloc(MAX_CHUNK_SIZE * 2 + 5) }),
    emit.item({ item_type: 'after', data: {} }),
  ]);
  assert.deepEqual(sink.decoded().map((f) => f.type), ['item', 'artifact_chunk', 'artifact_chunk', 'artifact_chunk', 'artifact', 'item']);
  assert.deepEqual(sink.events().map((e) => e.seq), [1, 2, 3]);
});

test('a bad name or data rejects before any chunk is written', async () => {
  const sink = new MemorySink();
  const { emit } = createRunSession({ sink, identity: IDENTITY, partition: null });
  await assert.rejects(emit.artifact({ name: 1, content_type: 'b', data: Buffer.alloc(1) }), TypeError);
  await assert.rejects(emit.artifact({ name: 'a', content_type: 'b', data: 42 }), TypeError);
  await assert.rejects(emit.artifact({ name: 'a'.repeat(16_777_300), content_type: 'b', data: Buffer.alloc(1) }), RangeError);
  assert.equal(sink.frames.length, 0);
});
