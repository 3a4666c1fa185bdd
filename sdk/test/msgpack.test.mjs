import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EncodeError, decodeMsgpack, encodeMsgpack } from '../dist/index.js';

const hex = (v) => encodeMsgpack(v).toString('hex');

test('integral numbers use the smallest integer form', () => {
  const cases = [
    [0, '00'], [127, '7f'], [128, 'cc80'], [255, 'ccff'], [256, 'cd0100'], [65535, 'cdffff'],
    [65536, 'ce00010000'], [4294967295, 'ceffffffff'], [4294967296, 'cf0000000100000000'],
    [Number.MAX_SAFE_INTEGER, 'cf001fffffffffffff'],
    [-1, 'ff'], [-32, 'e0'], [-33, 'd0df'], [-128, 'd080'], [-129, 'd1ff7f'], [-32768, 'd18000'],
    [-32769, 'd2ffff7fff'], [-2147483648, 'd280000000'], [-2147483649, 'd3ffffffff7fffffff'],
    [-Number.MAX_SAFE_INTEGER, 'd3ffe0000000000001'],
    [5.0, '05'], [-0, '00'],
  ];
  for (const [n, want] of cases) assert.equal(hex(n), want, `encoding ${n}`);
});

test('non-integral, out-of-safe-range and non-finite numbers are float64', () => {
  for (const n of [1.5, -0.25, 2 ** 53, -(2 ** 53), 1e300, NaN, Infinity, -Infinity]) {
    const b = encodeMsgpack(n);
    assert.equal(b[0], 0xcb, `encoding ${n}`);
    assert.equal(b.length, 9);
    assert.ok(Object.is(b.readDoubleBE(1), n) || (Number.isNaN(n) && Number.isNaN(b.readDoubleBE(1))));
  }
});

test('strings use fixstr/str8/str16/str32 by UTF-8 byte length', () => {
  const head = (s) => encodeMsgpack(s).subarray(0, 5).toString('hex');
  assert.equal(head('a'.repeat(31)).slice(0, 2), 'bf');
  assert.equal(head('a'.repeat(32)).slice(0, 4), 'd920');
  assert.equal(head('a'.repeat(255)).slice(0, 4), 'd9ff');
  assert.equal(head('a'.repeat(256)).slice(0, 6), 'da0100');
  assert.equal(head('a'.repeat(65536)).slice(0, 10), 'db00010000');
  assert.equal(hex('é'), 'a2c3a9');
  assert.equal(hex('€'.repeat(10)).slice(0, 2), 'be'); // 30 UTF-8 bytes: still fixstr
  assert.equal(hex('€'.repeat(11)).slice(0, 4), 'd921'); // 33 bytes: str8
});

test('multi-byte strings round-trip', () => {
  for (const s of ['', 'héllo', '日本語テキスト', '😀'.repeat(20), 'x'.repeat(40000)]) {
    assert.equal(decodeMsgpack(encodeMsgpack(s)), s);
  }
});

test('Buffer and Uint8Array are bin, never arrays', () => {
  assert.equal(hex(Buffer.from([1, 2])), 'c4020102');
  assert.equal(hex(new Uint8Array([3])), 'c40103');
  assert.equal(encodeMsgpack(Buffer.alloc(256)).subarray(0, 3).toString('hex'), 'c50100');
  assert.equal(encodeMsgpack(Buffer.alloc(65536)).subarray(0, 5).toString('hex'), 'c600010000');
  assert.equal(hex(Buffer.alloc(0)), 'c400');
});

test('Date is the timestamp extension −1 in its 32/64/96-bit forms', () => {
  assert.equal(hex(new Date(0)), 'd6ff00000000');
  assert.equal(hex(new Date(1_700_000_000_000)), 'd6ff6553f100');
  const withMs = new Date(1_700_000_000_123);
  assert.equal(encodeMsgpack(withMs).subarray(0, 2).toString('hex'), 'd7ff');
  assert.equal(decodeMsgpack(encodeMsgpack(withMs)).getTime(), withMs.getTime());
  const before1970 = new Date(-1500);
  assert.equal(encodeMsgpack(before1970).subarray(0, 3).toString('hex'), 'c70cff');
  assert.equal(decodeMsgpack(encodeMsgpack(before1970)).getTime(), -1500);
});

test('undefined object values and null are nil; maps keep string keys', () => {
  assert.equal(hex({ a: undefined }), '81a161c0');
  assert.equal(hex(null), 'c0');
  assert.equal(hex([1, undefined]), '9201c0');
  assert.equal(hex(true), 'c3');
  assert.equal(hex(false), 'c2');
});

test('a Map with string keys becomes a map of its entries', () => {
  const m = new Map([['a', 1], ['b', new Map([['c', 'd']])]]);
  assert.deepEqual(decodeMsgpack(encodeMsgpack({ data: m })), { data: { a: 1, b: { c: 'd' } } });
  assert.equal(hex(new Map()), '80');
});

test('un-encodable values throw an EncodeError naming their path', () => {
  const cases = [
    [{ payload: { data: { fn() {} } } }, 'payload.data.fn', /function/],
    [{ payload: { list: [1, Symbol('s')] } }, 'payload.list[1]', /symbol/],
    [{ n: 10n }, 'n', /BigInt/],
    [{ m: new Map([[1, 'x']]) }, 'm', /non-string key/],
    [{ 'odd key': { x: () => 1 } }, '["odd key"].x', /function/],
  ];
  for (const [value, path, what] of cases) {
    assert.throws(
      () => encodeMsgpack(value),
      (err) => err instanceof EncodeError && err.path === path && what.test(err.message) && err.message.includes(path),
    );
  }
  const cyclic = { a: {} };
  cyclic.a.self = cyclic;
  assert.throws(() => encodeMsgpack(cyclic), /circular reference at a\.self/);
  assert.throws(() => encodeMsgpack({ d: new Date(NaN) }), /invalid Date at d/);
});

test('shared (non-circular) references and large containers encode', () => {
  const shared = { x: 1 };
  assert.deepEqual(decodeMsgpack(encodeMsgpack({ a: shared, b: shared })), { a: { x: 1 }, b: { x: 1 } });
  const arr = Array.from({ length: 70000 }, (_, i) => i);
  assert.equal(encodeMsgpack(arr).subarray(0, 5).toString('hex'), 'dd00011170');
  assert.deepEqual(decodeMsgpack(encodeMsgpack(arr)), arr);
  const obj = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
  assert.equal(encodeMsgpack(obj).subarray(0, 3).toString('hex'), 'de0014');
  assert.deepEqual(decodeMsgpack(encodeMsgpack(obj)), obj);
});

test('objects with toJSON encode their JSON form (e.g. URL)', () => {
  assert.equal(decodeMsgpack(encodeMsgpack({ u: new URL('https://x.example/a') })).u, 'https://x.example/a');
});

test('the decoder accepts every integer width and rejects other extensions and non-string keys', () => {
  const cases = ['cc05', 'cd0005', 'ce00000005', 'cf0000000000000005', 'd005', 'd10005', 'd200000005', 'd30000000000000005'];
  for (const h of cases) assert.equal(decodeMsgpack(Buffer.from(h, 'hex')), 5, h);
  assert.equal(decodeMsgpack(Buffer.from('ca3fc00000', 'hex')), 1.5);
  assert.throws(() => decodeMsgpack(Buffer.from('d40101', 'hex')), /extension type 1/);
  assert.throws(() => decodeMsgpack(Buffer.from('810102', 'hex')), /not a string/);
  assert.throws(() => decodeMsgpack(Buffer.from('92', 'hex')), /unexpected end/);
  assert.equal(decodeMsgpack(Buffer.from('cfffffffffffffffff', 'hex')), 2n ** 64n - 1n);
});

test('a plain object with its own toJSON method encodes its JSON form', () => {
  assert.deepEqual(decodeMsgpack(encodeMsgpack({ v: { toJSON: () => 'as-json' } })), { v: 'as-json' });
  assert.deepEqual(decodeMsgpack(encodeMsgpack({ s: new Set([1, 'a']) })), { s: [1, 'a'] });
  const nullProto = Object.assign(Object.create(null), { a: 1 });
  assert.deepEqual(decodeMsgpack(encodeMsgpack(nullProto)), { a: 1 });
});
