import { FrameReader } from './framing.js';
import { decodeMsgpack } from './msgpack-decode.js';

/** Text used when an error ack carries no `error` string. */
export const ACK_FALLBACK_ERROR = 'storage write failed (no error text in ack)';

/** An `ok: false` ack or a wait that can no longer be answered. */
export class AckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AckError';
  }
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

type Mode = 'open' | 'fire-and-forget' | 'closed';

/**
 * Reads `file_write_ack` frames from stdin (phase 2) and settles the matching storage.put waits
 * (contract §8.1). Undecodable frames, other frame types and unknown write_ids are ignored.
 */
export class AckTracker {
  private readonly waiters = new Map<number, Waiter>();
  private readonly reader = new FrameReader();
  private matchedAny = false;
  private mode: Mode = 'open';
  private closedReason = '';
  private broken = false;
  private lastWriteId = 0;

  /** The write_id the next file_write gets: 1, 2, 3, … per process. */
  peekWriteId(): number {
    return this.lastWriteId + 1;
  }

  takeWriteId(): number {
    this.lastWriteId += 1;
    return this.lastWriteId;
  }

  /** Registers the wait for `writeId`; call before the file_write frame is written. */
  expect(writeId: number): Promise<void> {
    if (this.mode === 'fire-and-forget') return Promise.resolve();
    if (this.mode === 'closed') return Promise.reject(new AckError(this.closedReason));
    return new Promise<void>((resolve, reject) => {
      this.waiters.set(writeId, { resolve, reject });
    });
  }

  /** Drops a wait whose frame could not be written. */
  cancel(writeId: number): void {
    this.waiters.delete(writeId);
  }

  get pending(): number {
    return this.waiters.size;
  }

  feed(chunk: Uint8Array): void {
    if (this.broken || this.mode === 'closed') return;
    let payloads: Buffer[];
    try {
      payloads = this.reader.push(chunk);
    } catch {
      // An impossible length prefix: framing is lost for good, so later bytes are ignored and
      // the pending waits are settled by EOF/stop.
      this.broken = true;
      return;
    }
    for (const p of payloads) this.handle(p);
  }

  private handle(payload: Buffer): void {
    let msg: unknown;
    try {
      msg = decodeMsgpack(payload);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    const { type, write_id, ok, error } = msg as Record<string, unknown>;
    if (type !== 'file_write_ack' || typeof write_id !== 'number') return;
    const waiter = this.waiters.get(write_id);
    if (!waiter) return;
    this.waiters.delete(write_id);
    this.matchedAny = true;
    if (ok === true) waiter.resolve();
    else waiter.reject(new AckError(typeof error === 'string' && error !== '' ? error : ACK_FALLBACK_ERROR));
  }

  /** stdin EOF: without any matched ack the runtime is taken not to ack at all. */
  end(): void {
    if (this.mode !== 'open') return;
    if (!this.matchedAny) {
      this.mode = 'fire-and-forget';
      for (const w of this.waiters.values()) w.resolve();
      this.waiters.clear();
      return;
    }
    this.close('stdin closed before the ack arrived');
  }

  /** stdin error. */
  error(err: Error): void {
    this.close(`stdin failed before the ack arrived: ${err.message}`);
  }

  /** Shutdown: every pending wait rejects. */
  stop(): void {
    this.close('the ack reader was stopped before the ack arrived');
  }

  private close(reason: string): void {
    if (this.mode === 'closed') return;
    this.mode = 'closed';
    this.closedReason = reason;
    for (const w of this.waiters.values()) w.reject(new AckError(reason));
    this.waiters.clear();
  }
}
