// Drives dist/executor.mjs the way the runtime does: run request + LF on stdin, frames on stdout,
// acks written back on stdin, stdin closed after stdout EOF.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FrameReader, decodeMsgpack } from '@quarry/sdk';

export const EXECUTOR = fileURLToPath(new URL('../dist/executor.mjs', import.meta.url));
export const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export const REQUEST = Object.freeze({ run_id: 'run-1', attempt: 1, job: {} });

/**
 * Runs the executor. `request` (object) or `stdin` (raw string/Buffer) is written first;
 * `onFrame(frame, write)` may answer on stdin. Resolves when the process exits.
 */
export function runExecutor({ args, request = REQUEST, stdin, env = {}, onFrame, timeoutMs = 60_000, closeStdin = 'after-stdout' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(EXECUTOR, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const reader = new FrameReader();
    const frames = [];
    const stdoutChunks = [];
    let stderr = '';
    let decodeError;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`executor timed out; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stdin.on('error', () => undefined);
    const write = (bytes) => {
      if (!child.stdin.destroyed && !child.stdin.writableEnded) child.stdin.write(bytes);
    };
    child.stdout.on('data', (chunk) => {
      stdoutChunks.push(chunk);
      try {
        for (const payload of reader.push(chunk)) {
          const frame = decodeMsgpack(payload);
          frames.push(frame);
          onFrame?.(frame, write);
        }
      } catch (err) {
        decodeError ??= err;
      }
    });
    child.stdout.on('end', () => {
      if (closeStdin === 'after-stdout') child.stdin.end();
    });
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        frames,
        events: frames.filter((f) => !['artifact_chunk', 'file_write', 'run_result'].includes(f.type)),
        runResult: frames.find((f) => f.type === 'run_result'),
        stdout: Buffer.concat(stdoutChunks),
        trailingBytes: reader.buffered,
        decodeError,
        stderr,
      });
    });
    if (stdin !== undefined) write(stdin);
    else if (request !== null) write(`${JSON.stringify(request)}\n`);
    if (closeStdin === 'now') child.stdin.end();
  });
}

/** Builds the runtime's exact ack frame (write_id as uint32). */
export function ackFrame(writeId, ok, error) {
  const str = (s) => {
    const b = Buffer.from(s);
    return Buffer.concat([b.length < 32 ? Buffer.from([0xa0 | b.length]) : Buffer.from([0xd9, b.length]), b]);
  };
  const id = Buffer.alloc(5);
  id[0] = 0xce;
  id.writeUInt32BE(writeId, 1);
  const parts = [Buffer.from([error === undefined ? 0x83 : 0x84]), str('type'), str('file_write_ack'), str('write_id'), id, str('ok'), Buffer.from([ok ? 0xc3 : 0xc2])];
  if (error !== undefined) parts.push(str('error'), str(error));
  const payload = Buffer.concat(parts);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(payload.length);
  return Buffer.concat([prefix, payload]);
}

/** Starts a shared browser with `--launch-browser`; connect-mode runs use its endpoint. */
export async function startSharedBrowser() {
  const child = spawn(EXECUTOR, ['--launch-browser', fixture('returns.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const endpoint = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on('close', (code) => reject(new Error(`--launch-browser exited ${code}: ${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  return {
    endpoint,
    child,
    async stop() {
      child.stdin.end();
      return exited;
    },
  };
}

/** PIDs of live processes whose environment holds `NAME=value` (how the runtime finds a run's tree). */
export function processesWithEnv(name, value) {
  const needle = `${name}=${value}`;
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z /.test(stat)) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (env.includes(needle)) pids.push(Number(entry));
    } catch {
      // process gone or not readable
    }
  }
  return pids;
}

/** Exactly one stderr line, and it starts with `Error: `. */
export function assertOneErrorLine(assert, stderr) {
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `stderr:\n${stderr}`);
  assert.match(lines[0], /^Error: /);
}
