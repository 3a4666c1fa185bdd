import assert from 'node:assert/strict';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fixture, runExecutor, startSharedBrowser } from './harness.mjs';

const NO_BROWSER = { PUPPETEER_EXECUTABLE_PATH: '/nonexistent/chromium' };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// Runs are independent processes; a few at a time keep the suite short on two cores.
describe('run lifecycle', { concurrency: 3 }, () => {
  let shared;
  before(async () => {
    shared = await startSharedBrowser();
  });
  after(async () => {
    assert.equal(await shared.stop(), 0, '--launch-browser exits 0 when stdin closes');
  });

  /** Runs a fixture in connect mode against the shared browser. */
  function run(name, { job = {}, request = {}, env = {}, ...rest } = {}) {
    return runExecutor({
      args: [fixture(name)],
      request: { run_id: 'run-1', attempt: 1, job, browser_ws_endpoint: shared.endpoint, ...request },
      env,
      ...rest,
    });
  }

  function assertSeq(events) {
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  }

  test('prepare skip: one run_complete with seq 1, summary.skipped, no browser, exit 0', async () => {
    const r = await runExecutor({ args: [fixture('skip.mjs')], env: NO_BROWSER });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.events.length, 1);
    const [ev] = r.events;
    assert.equal(ev.type, 'run_complete');
    assert.equal(ev.seq, 1);
    assert.deepEqual(ev.payload, { summary: { skipped: true, reason: 'job marked as stale' } });
    assert.deepEqual(r.runResult, { type: 'run_result', outcome: { status: 'completed', message: 'run completed with summary' } });
    assert.equal(r.frames.at(-1).type, 'run_result');
    const noReason = await runExecutor({ args: [fixture('skip.mjs')], request: { run_id: 'r', attempt: 1, job: { noReason: true } }, env: NO_BROWSER });
    assert.deepEqual(noReason.events[0].payload, { summary: { skipped: true } });
  });

  test('prepare throwing or returning garbage: no events, run_result crash, exit 2', async () => {
    const thrown = await runExecutor({ args: [fixture('prepare-throws.mjs')], env: NO_BROWSER });
    assert.equal(thrown.code, 2);
    assert.equal(thrown.events.length, 0);
    assert.equal(thrown.runResult.outcome.status, 'crash');
    assert.match(thrown.runResult.outcome.message, /prepare exploded/);
    await Promise.all(
      ['null', 'noaction', 'unknown'].map(async (kind) => {
        const r = await runExecutor({ args: [fixture('prepare-bad.mjs')], request: { run_id: 'r', attempt: 1, job: { kind } }, env: NO_BROWSER });
        assert.equal(r.code, 2, kind);
        assert.equal(r.events.length, 0);
        assert.equal(r.runResult.outcome.status, 'crash');
      }),
    );
  });

  test('a syntax error is a script error: one run_error naming file:line:column, exit 1', async () => {
    const r = await runExecutor({ args: [fixture('syntax-error.mjs')], env: NO_BROWSER });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.events.map((e) => e.type), ['run_error']);
    const p = r.events[0].payload;
    assert.equal(p.error_type, 'script_error');
    assert.match(p.message, /syntax-error\.mjs:\d+:\d+: SyntaxError: /);
    assert.match(p.stack, /syntax-error\.mjs:\d+:\d+\n.*\n *\^\n\nSyntaxError: /);
    assert.equal(r.runResult.outcome.status, 'error');
    assert.equal(r.runResult.outcome.message, p.message);
  });

  test('script load failures: run_result crash with the load error, no events, exit 2 (D11.4)', async () => {
    const cases = [
      ['no-default.mjs', /default export must be a function/],
      ['null-hook.mjs', /"cleanup" must be a function/],
      ['missing.mjs', /^Failed to load script /],
      ['json-no-attr.mjs', /with \{ type: 'json' \}/],
    ];
    await Promise.all(
      cases.map(async ([name, pattern]) => {
        const r = await runExecutor({ args: [fixture(name)], env: NO_BROWSER });
        assert.equal(r.code, 2, name);
        assert.equal(r.events.length, 0, name);
        assert.deepEqual(Object.keys(r.runResult.outcome), ['status', 'message']);
        assert.equal(r.runResult.outcome.status, 'crash');
        assert.match(r.runResult.outcome.message, pattern);
        assert.match(r.stderr, /crash/);
      }),
    );
  });

  test('a closed stderr does not stall or loop the executor', { timeout: 30_000 }, async () => {
    const { spawn } = await import('node:child_process');
    const { EXECUTOR } = await import('./harness.mjs');
    const child = spawn(EXECUTOR, [fixture('prepare-throws.mjs')], { env: { ...process.env, ...NO_BROWSER } });
    child.stderr.destroy();
    child.stdout.resume();
    child.stdin.end(`${JSON.stringify({ run_id: 'r', attempt: 1, job: {} })}\n`);
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 2);
  });

  test('a JSON import with the attribute works', async () => {
    const r = await runExecutor({ args: [fixture('json-attr.mjs')], env: NO_BROWSER });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.events[0].payload.summary.reason, 'answer 42');
  });

  test('a script that returns gets run_complete {} and exit 0; envelopes carry the run identity', async () => {
    const r = await run('returns.mjs', {
      job: { url: 'https://shop.example/p/1' },
      request: { attempt: 2, job_id: 'job-42', parent_run_id: 'run-0' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.events.map((e) => e.type), ['item', 'run_complete']);
    assertSeq(r.events);
    assert.deepEqual(r.events[1].payload, {});
    for (const e of r.events) {
      assert.equal(e.contract_version, '0.13.4');
      assert.equal(e.run_id, 'run-1');
      assert.equal(e.attempt, 2);
      assert.equal(e.job_id, 'job-42');
      assert.equal(e.parent_run_id, 'run-0');
      assert.match(e.event_id, UUID_V4);
    }
    assert.deepEqual(r.events[0].payload.data, {
      job: { url: 'https://shop.example/p/1' },
      run: { run_id: 'run-1', attempt: 2, job_id: 'job-42', parent_run_id: 'run-0' },
    });
    assert.deepEqual(r.runResult.outcome, { status: 'completed', message: 'run completed' });
    assert.equal(r.trailingBytes, 0);
  });

  test('prepare continue replaces the job', async () => {
    const r = await run('prepare-continue.mjs', { job: { a: 1 } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.events[0].payload.data, { replaced: true, original: { a: 1 }, runId: 'run-1', frozen: true });
  });

  test('a script throw: run_error last with script_error, message and stack; exit 1 (D11.2)', async () => {
    const r = await run('throws.mjs');
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.events.map((e) => e.type), ['item', 'run_error']);
    assertSeq(r.events);
    const { payload } = r.events.at(-1);
    assert.equal(payload.error_type, 'script_error');
    assert.equal(payload.message, 'intentional failure');
    assert.match(payload.stack, /intentional failure\n\s+at /);
    assert.deepEqual(r.runResult.outcome, { status: 'error', message: 'intentional failure', error_type: 'script_error', stack: payload.stack });
  });

  test('an explicit run_error keeps its own error_type and stack in run_result', async () => {
    const r = await run('run-error-explicit.mjs');
    assert.equal(r.code, 1);
    assert.deepEqual(r.runResult.outcome, { status: 'error', message: 'site blocked us', error_type: 'blocked', stack: 'custom stack' });
  });

  test('hook order on success: beforeRun, default, afterRun, beforeTerminal, then the terminal', async () => {
    const r = await run('hooks-order.mjs');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.events.map((e) => e.payload.data?.hook ?? e.type), ['beforeRun', 'default', 'afterRun', 'beforeTerminal', 'run_complete']);
    assert.equal(r.events[3].payload.data.outcome, 'completed');
    assert.match(r.stderr, /cleanup emit: TerminalEventError/);
  });

  test('hook order on failure: onError then beforeTerminal with the error; a throwing beforeTerminal is swallowed', async () => {
    const r = await run('hooks-order.mjs', { job: { fail: true, failBeforeTerminal: true } });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.events.map((e) => e.payload.data?.hook ?? e.type), ['beforeRun', 'default', 'onError', 'beforeTerminal', 'run_error']);
    assert.deepEqual(r.events[3].payload.data, { hook: 'beforeTerminal', outcome: 'error', error: 'run failed' });
    assert.equal(r.events.at(-1).payload.message, 'run failed');
  });

  test('run_complete then throw still ends completed; onError and beforeTerminal are skipped', async () => {
    const r = await run('complete-then-throw.mjs');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.events.map((e) => e.type), ['run_complete']);
    assert.doesNotMatch(r.stderr, /must not run/);
    assert.deepEqual(r.runResult.outcome, { status: 'completed', message: 'run completed with summary' });
  });

  test('an exception thrown from a timer fails the run like a script throw', async () => {
    const r = await run('uncaught.mjs');
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.events.at(-1).type, 'run_error');
    assert.equal(r.events.at(-1).payload.message, 'thrown from a timer');
  });

  test('a floating rejection is logged in one line, except a browser target having closed', async () => {
    const r = await run('floating-rejections.mjs');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.events.map((e) => e.type), ['item', 'run_complete']);
    assert.match(r.stderr, /unhandled promise rejection \(ignored\): Error: a floating failure the user should see/);
    assert.doesNotMatch(r.stderr, /TargetCloseError|Target closed/);
  });

  test('stray stdout writes go to stderr with a diagnostic line; stdout stays pure frames', async () => {
    const r = await run('stray-log.mjs');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.decodeError, undefined);
    assert.equal(r.trailingBytes, 0);
    assert.deepEqual(r.events.map((e) => e.type), ['item', 'run_complete']);
    assert.match(r.stderr, /stray stdout write \(\d+ bytes\) redirected to stderr: hello from console\.log\\nsecond line\\n/);
    assert.match(r.stderr, /hello from console\.log\nsecond line\n/);
    assert.match(r.stderr, /redirected to stderr: raw write/);
  });

  test('a TypeScript script with type-only imports runs (and imports ./helper.js → helper.ts)', async () => {
    const r = await run('typed.ts', { job: { n: 4 } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.events[0].payload, { item_type: 'typed', data: { value: 8, title: '' } });
  });

  test('a JS script outside any package can import @quarry/sdk from the executor', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'quarry-script-'));
    const script = path.join(dir, 'uses-sdk.mjs');
    await copyFile(fixture('uses-sdk.mjs'), script);
    const r = await runExecutor({ args: [script], request: { run_id: 'r', attempt: 1, job: {}, browser_ws_endpoint: shared.endpoint } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.events.map((e) => e.type), ['enqueue', 'run_complete']);
    assert.deepEqual(r.events[0].payload, { target: 'child.mjs', params: { items: [{ id: 1 }, { id: 2 }] } });
    assert.deepEqual(r.events[1].payload, { summary: { version: '0.13.4' } });
  });

  test('QUARRY_RESOLVE_FROM supplies bare imports that fail normally', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'quarry-script-'));
    const script = path.join(dir, 'uses-sdk.mjs');
    await copyFile(fixture('uses-sdk.mjs'), script);
    const r = await runExecutor({
      args: [script],
      request: { run_id: 'r', attempt: 1, job: {}, browser_ws_endpoint: shared.endpoint },
      env: { QUARRY_RESOLVE_FROM: path.resolve(fixture('.'), '..', '..') },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /resolved "@quarry\/sdk" through QUARRY_RESOLVE_FROM/);
  });

  test('a broken stdout pipe is a sink failure: no auto terminal, exit 2', async () => {
    const { spawn } = await import('node:child_process');
    const { EXECUTOR } = await import('./harness.mjs');
    const child = spawn(EXECUTOR, [fixture('flood.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.stdin.end(`${JSON.stringify({ run_id: 'r', attempt: 1, job: {}, browser_ws_endpoint: shared.endpoint })}\n`);
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 2, stderr);
    assert.match(stderr, /run crashed: output sink failed: .*EPIPE/);
  });

  test('browser connect failure: no events, run_result crash, exit 2', async () => {
    const r = await runExecutor({
      args: [fixture('returns.mjs')],
      request: { run_id: 'r', attempt: 1, job: {}, browser_ws_endpoint: 'ws://127.0.0.1:9/devtools/browser/x' },
    });
    assert.equal(r.code, 2);
    assert.equal(r.events.length, 0);
    assert.equal(r.runResult.outcome.status, 'crash');
    assert.match(r.runResult.outcome.message, /browser setup failed/);
  });
});
