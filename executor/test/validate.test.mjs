import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, runExecutor } from './harness.mjs';

async function validate(name) {
  const r = await runExecutor({ args: ['--validate', fixture(name)], request: null, closeStdin: 'now' });
  const lines = r.stdout.toString('utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `stdout: ${r.stdout}`);
  return { code: r.code, out: JSON.parse(lines[0]), raw: lines[0], stderr: r.stderr };
}

test('--validate lists present hooks in the documented order', async () => {
  const all = await validate('all-hooks.mjs');
  assert.equal(all.code, 0);
  assert.equal(all.raw, '{"valid":true,"exports":{"default":true,"hooks":["prepare","beforeRun","afterRun","onError","beforeTerminal","cleanup"]}}');
  const some = await validate('some-hooks.mjs');
  assert.deepEqual(some.out, { valid: true, exports: { default: true, hooks: ['prepare', 'onError'] } });
  const none = await validate('returns.mjs');
  assert.deepEqual(none.out, { valid: true, exports: { default: true, hooks: [] } });
});

test('--validate reports invalid scripts with exit 1', async () => {
  const noDefault = await validate('no-default.mjs');
  assert.equal(noDefault.code, 1);
  assert.equal(noDefault.out.valid, false);
  assert.match(noDefault.out.error, /default export must be a function/);
  const nullHook = await validate('null-hook.mjs');
  assert.equal(nullHook.code, 1);
  assert.match(nullHook.out.error, /"cleanup" must be a function \(got null\)/);
  const syntax = await validate('syntax-error.mjs');
  assert.equal(syntax.code, 1);
  assert.match(syntax.out.error, /syntax-error\.mjs:\d+:\d+: SyntaxError: /);
  const missing = await validate('does-not-exist.mjs');
  assert.equal(missing.code, 1);
  const json = await validate('json-no-attr.mjs');
  assert.equal(json.code, 1);
  assert.match(json.out.error, /with \{ type: 'json' \}/);
});

test('--validate handles TypeScript scripts', async () => {
  const ts = await validate('typed.ts');
  assert.equal(ts.code, 0, ts.stderr);
  assert.deepEqual(ts.out, { valid: true, exports: { default: true, hooks: ['prepare'] } });
});
