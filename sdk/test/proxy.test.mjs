import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactProxyEndpoint, validateProxyEndpoint, validateProxyPool } from '../dist/index.js';

const ep = (over = {}) => ({ protocol: 'http', host: '10.0.0.5', port: 3128, ...over });
const fields = (issues) => issues.map((i) => i.field);

test('valid endpoints pass; socks5 only warns', () => {
  assert.deepEqual(validateProxyEndpoint(ep()), { valid: true, errors: [], warnings: [] });
  assert.equal(validateProxyEndpoint(ep({ username: 'u', password: 'p' })).valid, true);
  assert.equal(validateProxyEndpoint(ep({ username: '', password: '' })).valid, true);
  const socks = validateProxyEndpoint(ep({ protocol: 'socks5' }));
  assert.equal(socks.valid, true);
  assert.deepEqual(fields(socks.warnings), ['protocol']);
});

test('endpoint hard rules: protocol, host, port range, credential pair', () => {
  const bad = [
    [ep({ protocol: 'ftp' }), 'protocol'],
    [ep({ host: '' }), 'host'],
    [ep({ host: undefined }), 'host'],
    [ep({ port: 0 }), 'port'],
    [ep({ port: 65536 }), 'port'],
    [ep({ port: 80.5 }), 'port'],
    [ep({ port: '80' }), 'port'],
    [ep({ username: 'u' }), 'password'],
    [ep({ password: 'p' }), 'username'],
    [ep({ username: 'u', password: '' }), 'password'],
    [null, 'endpoint'],
  ];
  for (const [endpoint, field] of bad) {
    const r = validateProxyEndpoint(endpoint);
    assert.equal(r.valid, false, JSON.stringify(endpoint));
    assert.ok(fields(r.errors).includes(field), `${JSON.stringify(endpoint)} → ${JSON.stringify(r.errors)}`);
  }
  assert.equal(validateProxyEndpoint(ep({ port: 1 })).valid, true);
  assert.equal(validateProxyEndpoint(ep({ port: 65535 })).valid, true);
});

test('pool rules and the 50-endpoint round-robin warning (D11.14)', () => {
  const pool = (over = {}) => ({ name: 'p', strategy: 'round_robin', endpoints: [ep()], ...over });
  assert.deepEqual(validateProxyPool(pool()), { valid: true, errors: [], warnings: [] });
  const fifty = validateProxyPool(pool({ endpoints: Array.from({ length: 50 }, () => ep()) }));
  assert.deepEqual(fifty.warnings, []);
  const fiftyOne = validateProxyPool(pool({ endpoints: Array.from({ length: 51 }, () => ep()) }));
  assert.equal(fiftyOne.valid, true);
  assert.deepEqual(fields(fiftyOne.warnings), ['endpoints']);
  assert.match(fiftyOne.warnings[0].message, /random/);
  assert.deepEqual(validateProxyPool(pool({ strategy: 'random', endpoints: Array.from({ length: 51 }, () => ep()) })).warnings, []);

  assert.deepEqual(fields(validateProxyPool(pool({ name: '' })).errors), ['name']);
  assert.deepEqual(fields(validateProxyPool(pool({ strategy: 'lru' })).errors), ['strategy']);
  assert.deepEqual(fields(validateProxyPool(pool({ endpoints: [] })).errors), ['endpoints']);
  assert.deepEqual(fields(validateProxyPool(pool({ endpoints: [ep(), ep({ port: 0 })] })).errors), ['endpoints[1].port']);
  assert.deepEqual(fields(validateProxyPool(pool({ sticky: { scope: 'planet' } })).errors), ['sticky.scope']);
  assert.deepEqual(fields(validateProxyPool(pool({ sticky: { scope: 'job', ttlMs: 0 } })).errors), ['sticky.ttlMs']);
  assert.equal(validateProxyPool(pool({ strategy: 'sticky', sticky: { scope: 'domain', ttlMs: 1000 } })).valid, true);
  assert.deepEqual(fields(validateProxyPool(pool({ recencyWindow: 0 })).errors), ['recencyWindow']);
  assert.deepEqual(fields(validateProxyPool(pool({ recencyWindow: 2 })).warnings), ['recencyWindow']);
  assert.deepEqual(validateProxyPool(pool({ strategy: 'random', recencyWindow: 2 })).warnings, []);
  assert.deepEqual(fields(validateProxyPool(pool({ endpoints: [ep({ protocol: 'socks5' })] })).warnings), ['endpoints[0].protocol']);
});

test('redactProxyEndpoint drops the password and an empty username', () => {
  assert.deepEqual(redactProxyEndpoint(ep({ username: 'u', password: 'secret' })), {
    protocol: 'http', host: '10.0.0.5', port: 3128, username: 'u',
  });
  assert.deepEqual(redactProxyEndpoint(ep({ username: '', password: '' })), { protocol: 'http', host: '10.0.0.5', port: 3128 });
  assert.ok(!JSON.stringify(redactProxyEndpoint(ep({ username: 'u', password: 'secret' }))).includes('secret'));
});
