import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { EXECUTOR, fixture, processesWithEnv, runExecutor } from './harness.mjs';

async function waitForNone(token, ms = 5000) {
  const deadline = Date.now() + ms;
  while (processesWithEnv('QUARRY_RUN_TOKEN', token).length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return processesWithEnv('QUARRY_RUN_TOKEN', token);
}

test('launch mode with real Chromium: items stream, Chromium inherits the env, nothing is left behind', async () => {
  const token = `test-${randomUUID()}`;
  const r = await runExecutor({ args: [fixture('chromium.mjs')], env: { QUARRY_RUN_TOKEN: token } });
  assert.equal(r.code, 0, r.stderr);
  const types = r.events.map((e) => e.type);
  assert.deepEqual(types, ['item', 'item', 'item', 'run_complete']);
  assert.deepEqual(r.events.slice(0, 2).map((e) => e.payload.data.name), ['Alpha', 'Beta']);
  const env = r.events[2].payload.data;
  assert.ok(env.withToken >= 1, `Chromium processes carrying the run token: ${env.withToken}`);
  assert.equal(env.browserHeap, true);
  assert.deepEqual(await waitForNone(token), [], 'no process of the run survives');
  assert.ok(env.profile, 'Chromium got a profile directory');
  assert.equal(existsSync(env.profile), false, `temporary profile ${env.profile} was removed`);
});

/** An HTTP proxy that answers every request itself and requires Basic credentials u:pw-secret-123. */
function startProxy() {
  const seen = [];
  const server = http.createServer((req, res) => {
    const auth = req.headers['proxy-authorization'];
    if (auth !== `Basic ${Buffer.from('u:pw-secret-123').toString('base64')}`) {
      seen.push({ url: req.url, auth: false });
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="quarry-test"', 'Content-Type': 'text/plain' });
      res.end('auth required');
      return;
    }
    seen.push({ url: req.url, auth: true });
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<html><body>via proxy</body></html>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, seen, port: server.address().port })));
}

test('the proxy applies to the run context with page authentication; proxy_used has no password (D4)', async () => {
  const proxy = await startProxy();
  try {
    const r = await runExecutor({
      args: [fixture('proxy.mjs')],
      request: {
        run_id: 'r',
        attempt: 1,
        job: { url: 'http://quarry-proxy-test.invalid/page' },
        proxy: { protocol: 'http', host: '127.0.0.1', port: proxy.port, username: 'u', password: 'pw-secret-123' },
      },
      env: { QUARRY_STEALTH: '0' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.events[0].payload.data, { status: 200, body: 'via proxy' });
    assert.ok(proxy.seen.some((s) => s.auth && s.url === 'http://quarry-proxy-test.invalid/page'));
    assert.deepEqual(r.runResult.proxy_used, { protocol: 'http', host: '127.0.0.1', port: proxy.port, username: 'u' });
    assert.ok(!r.stdout.includes(Buffer.from('pw-secret-123')) && !r.stderr.includes('pw-secret-123'));
  } finally {
    proxy.server.close();
  }
});

/** Starts `--browser-server` with a discovery file the way the runtime does; resolves on the endpoint. */
function startServer(discovery, idleSeconds, token) {
  const child = spawn(EXECUTOR, ['--browser-server', fixture('returns.mjs')], {
    env: {
      ...process.env,
      QUARRY_BROWSER_IDLE_TIMEOUT: String(idleSeconds),
      QUARRY_BROWSER_DISCOVERY_FILE: discovery,
      QUARRY_RUN_TOKEN: token,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { out: '', err: '', child };
  child.stdout.on('data', (c) => (state.out += c));
  child.stderr.on('data', (c) => (state.err += c));
  state.closed = new Promise((resolve) => child.on('close', resolve));
  state.endpoint = new Promise((resolve, reject) => {
    const check = () => {
      const nl = state.out.indexOf('\n');
      if (nl >= 0) resolve(state.out.slice(0, nl));
    };
    child.stdout.on('data', check);
    child.on('close', (code) => reject(new Error(`server exited ${code}: ${state.err}`)));
  });
  return state;
}

test('--browser-server prints its endpoint, shuts down when idle and deletes its discovery file', async () => {
  const discovery = path.join(tmpdir(), `quarry-browser-${randomUUID()}.json`);
  const token = `test-${randomUUID()}`;
  const server = startServer(discovery, 1, token);
  const endpoint = await server.endpoint;
  assert.match(endpoint, /^ws:\/\/127\.0\.0\.1:\d+\/devtools\/browser\//);
  writeFileSync(discovery, JSON.stringify({ ws_endpoint: endpoint, pid: server.child.pid, proxy_hash: '', started_at: '' }));
  const code = await server.closed;
  assert.equal(code, 0, server.err);
  assert.match(server.err, /idle for \d+s/);
  assert.equal(existsSync(discovery), false);
  assert.deepEqual(await waitForNone(token), []);
});

test('--browser-server leaves a discovery file that names another server in place', async () => {
  const discovery = path.join(tmpdir(), `quarry-browser-${randomUUID()}.json`);
  const other = JSON.stringify({ ws_endpoint: 'ws://127.0.0.1:1/devtools/browser/other', pid: 1, proxy_hash: '', started_at: '' });
  writeFileSync(discovery, other);
  const token = `test-${randomUUID()}`;
  const server = startServer(discovery, 1, token);
  await server.endpoint;
  assert.equal(await server.closed, 0, server.err);
  assert.equal(readFileSync(discovery, 'utf8'), other, 'the newer record survives');
  rmSync(discovery, { force: true });
  assert.deepEqual(await waitForNone(token), []);
});

test('--browser-server stays up while a client context exists and while the runtime marks reuse', async () => {
  const discovery = path.join(tmpdir(), `quarry-browser-${randomUUID()}.json`);
  const token = `test-${randomUUID()}`;
  const server = startServer(discovery, 1, token);
  const endpoint = await server.endpoint;
  writeFileSync(discovery, JSON.stringify({ ws_endpoint: endpoint, pid: server.child.pid, proxy_hash: '', started_at: '' }));
  const pptr = createRequire(import.meta.url)('puppeteer-core');
  // A connected client with a context and a blank page (no navigation) keeps it busy.
  const client = await pptr.connect({ browserWSEndpoint: endpoint });
  const context = await client.createBrowserContext();
  await context.newPage();
  await new Promise((r) => setTimeout(r, 6500)); // past one poll and the 1 s idle timeout
  assert.equal(server.child.exitCode, null, `server ended with a context open: ${server.err}`);
  await context.close();
  await client.disconnect();
  // The runtime marking the file (as a reuse does) counts as activity too.
  const marker = setInterval(() => utimesSync(discovery, new Date(), new Date()), 200);
  await new Promise((r) => setTimeout(r, 6000));
  clearInterval(marker);
  assert.equal(server.child.exitCode, null, `server ended while reuse was marked: ${server.err}`);
  assert.equal(await server.closed, 0, server.err);
  assert.equal(existsSync(discovery), false);
  assert.deepEqual(await waitForNone(token), []);
});
