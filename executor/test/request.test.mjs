import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertOneErrorLine, fixture, runExecutor } from './harness.mjs';

// No browser may start on these paths; a bogus Chromium path makes any attempt fail loudly.
const NO_BROWSER = { PUPPETEER_EXECUTABLE_PATH: '/nonexistent/chromium' };

async function expectRequestFailure(stdin, pattern) {
  const r = await runExecutor({ args: [fixture('returns.mjs')], stdin, env: NO_BROWSER, closeStdin: 'now' });
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout.length, 0, 'no frames');
  assertOneErrorLine(assert, r.stderr);
  if (pattern) assert.match(r.stderr, pattern);
}

test('usage errors exit 3 with a usage line', async () => {
  for (const args of [[], ['--validate'], ['--browser-server'], ['--launch-browser'], ['--bogus', 'x.mjs'], ['a.mjs', 'b.mjs']]) {
    const r = await runExecutor({ args, request: null, closeStdin: 'now' });
    assert.equal(r.code, 3, `args ${JSON.stringify(args)}`);
    assert.match(r.stderr, /^Usage: /);
    assert.equal(r.stdout.length, 0);
  }
});

test('empty and whitespace-only requests exit 3', async () => {
  await expectRequestFailure('', /empty run request/);
  await expectRequestFailure('   \n', /empty run request/);
});

test('invalid JSON and non-objects exit 3', async () => {
  await expectRequestFailure('{"run_id":\n', /not valid JSON/);
  await expectRequestFailure('[1,2]\n', /must be a JSON object, got an array/);
  await expectRequestFailure('null\n', /got null/);
  await expectRequestFailure('"text"\n', /got a string/);
});

test('missing job, bad run_id and bad attempt exit 3', async () => {
  await expectRequestFailure('{"run_id":"r","attempt":1}\n', /missing "job"/);
  await expectRequestFailure('{"run_id":"","attempt":1,"job":{}}\n', /run_id/);
  await expectRequestFailure('{"attempt":1,"job":{}}\n', /run_id/);
  for (const attempt of ['0', '1.5', '"1"', '-1', 'null']) {
    await expectRequestFailure(`{"run_id":"r","attempt":${attempt},"job":{}}\n`, /attempt must be an integer >= 1/);
  }
});

test('lineage violations exit 3', async () => {
  await expectRequestFailure('{"run_id":"r","attempt":1,"parent_run_id":"p","job":{}}\n', /lineage/);
  await expectRequestFailure('{"run_id":"r","attempt":2,"job":{}}\n', /lineage/);
  await expectRequestFailure('{"run_id":"r","attempt":2,"parent_run_id":"","job":{}}\n', /lineage/);
});

test('invalid proxies exit 3 without leaking the password', async () => {
  const base = { run_id: 'r', attempt: 1, job: {} };
  const proxies = [
    { protocol: 'ftp', host: 'h', port: 1 },
    { protocol: 'http', host: '', port: 1 },
    { protocol: 'http', host: 'h', port: 0 },
    { protocol: 'http', host: 'h', port: 70000 },
    { protocol: 'http', host: 'h', port: 8080, password: 'hunter2' },
    { protocol: 'http', host: 'h', port: 8080, username: 'u' },
    'http://h:1',
  ];
  for (const proxy of proxies) {
    const r = await runExecutor({ args: [fixture('returns.mjs')], request: { ...base, proxy }, env: NO_BROWSER, closeStdin: 'now' });
    assert.equal(r.code, 3, JSON.stringify(proxy));
    assertOneErrorLine(assert, r.stderr);
    assert.match(r.stderr, /invalid proxy/);
    assert.ok(!r.stderr.includes('hunter2'));
    assert.equal(r.stdout.length, 0);
  }
});

test('a request without a trailing LF is parsed when stdin ends; escaped characters are fine', async () => {
  const r = await runExecutor({
    args: [fixture('skip.mjs')],
    stdin: '{"run_id":"r\\u003c1\\u003e","attempt":1,"job":{"a":"\\u0026"}}',
    env: NO_BROWSER,
    closeStdin: 'now',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.events[0].run_id, 'r<1>');
});

test('null proxy counts as absent; empty lineage strings are omitted; unknown keys are ignored', async () => {
  const r = await runExecutor({
    args: [fixture('skip.mjs')],
    request: { run_id: 'r', attempt: 1, job_id: '', parent_run_id: '', job: null, proxy: null, extra: true, browser_ws_endpoint: '' },
    env: NO_BROWSER,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.runResult.proxy_used, undefined);
  assert.deepEqual(Object.keys(r.events[0]), ['contract_version', 'event_id', 'run_id', 'type', 'ts', 'payload', 'attempt', 'seq']);
});
