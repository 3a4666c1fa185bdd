// Stdout carries frames only (contract §13.1): a stray text write would be read by the runtime as
// a length prefix. Everything except our frame writer is redirected to stderr.

const PREVIEW_CHARS = 200;

export type RawWrite = (chunk: Buffer, cb: (err?: Error | null) => void) => boolean;

function preview(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return escaped.length > PREVIEW_CHARS ? escaped.slice(0, PREVIEW_CHARS) : escaped;
}

function toText(chunk: unknown): string {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
  return String(chunk);
}

/**
 * Replaces process.stdout.write and returns the original writer for frame bytes. `drain`,
 * `error` and `end` keep working on the real stream.
 */
export function installStdoutGuard(): RawWrite {
  const stdout = process.stdout;
  const original = stdout.write;
  const raw: RawWrite = (chunk, cb) =>
    (original as (this: NodeJS.WriteStream, c: Buffer, cb: (err?: Error | null) => void) => boolean).call(stdout, chunk, cb);

  const redirected = function (chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const callback = typeof encoding === 'function' ? encoding : typeof cb === 'function' ? cb : undefined;
    const text = toText(chunk);
    const bytes = Buffer.byteLength(text);
    process.stderr.write(
      `[quarry-executor] stray stdout write (${bytes} bytes) redirected to stderr: ${preview(text)}\n`,
    );
    process.stderr.write(chunk instanceof Uint8Array ? chunk : text);
    // Stray writers never wait: report success at once.
    if (callback) process.nextTick(callback as () => void);
    return true;
  };
  stdout.write = redirected as typeof stdout.write;
  return raw;
}
