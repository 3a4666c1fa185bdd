import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MsgpackEncoder, buildRunResult, decodeMsgpack, encodeFrame, FrameReader } from '../dist/index.js';
import { ackFrame } from './helpers.mjs';

const hex = (b) => Buffer.from(b).toString('hex');
const enc = new MsgpackEncoder();

test('artifact_chunk frame matches the bytes of §6.3', () => {
  const frame = encodeFrame(enc, { type: 'artifact_chunk', artifact_id: 'art-1', seq: 1, is_last: true, data: Buffer.from('abc') });
  assert.equal(
    hex(frame),
    '0000003f85a474797065ae61727469666163745f6368756e6bab61727469666163745f6964a56172742d31a373657101a769735f6c617374c3a464617461c403616263',
  );
});

test('run_result (completed, no proxy) matches the bytes of §6.4', () => {
  const frame = encodeFrame(enc, buildRunResult({ status: 'completed', message: 'run completed' }));
  assert.equal(
    hex(frame),
    '0000004182a474797065aa72756e5f726573756c74a76f7574636f6d6582a6737461747573a9636f6d706c65746564a76d657373616765ad72756e20636f6d706c65746564',
  );
});

test('file_write frame matches the bytes of §6.5 (write_id as fixint)', () => {
  const frame = encodeFrame(enc, { type: 'file_write', write_id: 1, filename: 'a.json', content_type: 'application/json', data: Buffer.from('{}') });
  assert.equal(
    hex(frame),
    '0000005285a474797065aa66696c655f7772697465a877726974655f696401a866696c656e616d65a6612e6a736f6eac636f6e74656e745f74797065b06170706c69636174696f6e2f6a736f6ea464617461c4027b7d',
  );
});

test('the runtime ack bytes of §6.5 decode (uint32 write_id, error only when not ok)', () => {
  const ok = Buffer.from('0000002783a474797065ae66696c655f77726974655f61636ba877726974655f6964ce00000001a26f6bc3', 'hex');
  const refused = Buffer.from(
    '0000004484a474797065ae66696c655f77726974655f61636ba877726974655f6964ce00000002a26f6bc2a56572726f72b672756e20616c7265616479207465726d696e61746564',
    'hex',
  );
  assert.deepEqual(hex(ackFrame(1, true)), hex(ok));
  assert.deepEqual(hex(ackFrame(2, false, 'run already terminated')), hex(refused));
  const [a, b] = new FrameReader().push(Buffer.concat([ok, refused])).map((p) => decodeMsgpack(p));
  assert.deepEqual(a, { type: 'file_write_ack', write_id: 1, ok: true });
  assert.deepEqual(b, { type: 'file_write_ack', write_id: 2, ok: false, error: 'run already terminated' });
});

test('run_result with an error carries error_type and stack; proxy_used never has a password', () => {
  const frame = buildRunResult(
    { status: 'error', message: 'boom', error_type: 'script_error', stack: 'Error: boom\n    at x' },
    { protocol: 'http', host: 'p', port: 8080, username: 'u' },
  );
  assert.deepEqual(Object.keys(frame), ['type', 'outcome', 'proxy_used']);
  assert.deepEqual(Object.keys(frame.outcome), ['status', 'message', 'error_type', 'stack']);
  assert.deepEqual(frame.proxy_used, { protocol: 'http', host: 'p', port: 8080, username: 'u' });
  const crash = buildRunResult({ status: 'crash', message: 'x' });
  assert.deepEqual(crash, { type: 'run_result', outcome: { status: 'crash', message: 'x' } });
});

test('every frame is a 4-byte big-endian length plus exactly that many payload bytes', () => {
  const frame = encodeFrame(enc, { type: 'item', big: 'x'.repeat(70_000) });
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  assert.equal(decodeMsgpack(frame.subarray(4)).big.length, 70_000);
});

test('an envelope over 16,777,212 bytes is refused before writing', () => {
  assert.throws(() => encodeFrame(enc, { type: 'item', data: Buffer.alloc(16_777_212) }), RangeError);
  // exactly the limit is fine: map(2) header + "type" + "item" + "data" + bin32 header
  const overhead = 1 + 5 + 5 + 5 + 5;
  const frame = encodeFrame(enc, { type: 'item', data: Buffer.alloc(16_777_212 - overhead) });
  assert.equal(frame.length - 4, 16_777_212);
});

test('FrameReader splits byte streams at any boundary and refuses oversized prefixes', () => {
  const frames = [1, 2, 3].map((n) => encodeFrame(enc, { type: 'x', n }));
  const all = Buffer.concat(frames);
  const reader = new FrameReader();
  const got = [];
  for (const byte of all) got.push(...reader.push(Buffer.from([byte])));
  assert.deepEqual(got.map((p) => decodeMsgpack(p).n), [1, 2, 3]);
  const big = Buffer.alloc(4);
  big.writeUInt32BE(16_777_213);
  assert.throws(() => new FrameReader().push(big), /frame too large/);
});
