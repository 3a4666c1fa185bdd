import type { Writable } from 'node:stream';

/** Where frames go. `write` resolves once the frame was accepted (after `drain` if full). */
export interface FrameSink {
  write(frame: Buffer): Promise<void>;
  /** The first failure of the underlying pipe, if any. */
  readonly failure: Error | undefined;
}

type RawWrite = (chunk: Buffer, cb: (err?: Error | null) => void) => boolean;

/**
 * Small frames are gathered up to this many bytes and handed to the stream in one write (one
 * syscall instead of one per event); frames this large or larger are written on their own.
 */
export const FRAME_BATCH_BYTES = 65_536;

/**
 * Frame sink over a Node writable (the executor passes process.stdout plus the original `write`
 * captured before the stdout guard replaced it).
 *
 * Backpressure: buffering is bounded by FRAME_BATCH_BYTES here plus whatever one stream write
 * left in the stream; while the stream reports a full buffer, nothing more is accepted until
 * `drain`. Order is kept because there is a single queue and the emit chain calls one at a time.
 */
export class StreamFrameSink implements FrameSink {
  private failed: Error | undefined;
  private ending = false;
  private readonly rawWrite: RawWrite;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private flushScheduled = false;
  private drainWait: Promise<void> | undefined;
  private readonly failWaiters = new Set<(err: Error) => void>();

  constructor(
    private readonly stream: Writable,
    rawWrite?: RawWrite,
  ) {
    this.rawWrite = rawWrite ?? ((chunk, cb) => stream.write(chunk, cb));
    stream.on('error', (err: Error) => this.fail(err));
    stream.on('close', () => {
      if (!this.ending) this.fail(new Error('output stream closed'));
    });
  }

  get failure(): Error | undefined {
    return this.failed;
  }

  async write(frame: Buffer): Promise<void> {
    if (this.drainWait) await this.drainWait;
    if (this.failed) throw this.failed;
    if (frame.length >= FRAME_BATCH_BYTES) {
      this.writeBatch();
      return this.push(frame);
    }
    this.batch.push(frame);
    this.batchBytes += frame.length;
    if (this.batchBytes >= FRAME_BATCH_BYTES) return this.writeBatch();
    this.scheduleFlush();
  }

  /** Hands every gathered frame to the stream now. */
  flush(): Promise<void> {
    return this.writeBatch();
  }

  /** Flushes, ends the stream and resolves once every byte was handed to the OS. */
  async end(): Promise<void> {
    await this.flush().catch(() => undefined);
    if (this.failed) return;
    this.ending = true;
    await new Promise<void>((resolve) => {
      this.failWaiters.add(() => resolve());
      try {
        this.stream.end(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      // A pending drain means the next write() flushes after it; never pile onto a full stream.
      if (!this.drainWait) this.writeBatch().catch(() => undefined);
    });
  }

  private writeBatch(): Promise<void> {
    if (this.batch.length === 0) return this.drainWait ?? Promise.resolve();
    const chunk = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    return this.push(chunk);
  }

  /** One stream write; resolves at once when accepted, else after `drain`. */
  private push(chunk: Buffer): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    let accepted: boolean;
    try {
      accepted = this.rawWrite(chunk, (err) => {
        if (err) this.fail(err);
      });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.fail(e);
      return Promise.reject(e);
    }
    if (this.failed) return Promise.reject(this.failed);
    if (accepted) return Promise.resolve();
    const wait = new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.failWaiters.delete(onFail);
        resolve();
      };
      const onFail = (err: Error) => {
        this.stream.off('drain', onDrain);
        reject(err);
      };
      this.failWaiters.add(onFail);
      this.stream.once('drain', onDrain);
    });
    this.drainWait = wait;
    const clear = () => {
      if (this.drainWait === wait) this.drainWait = undefined;
    };
    wait.then(clear, clear);
    return wait;
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    for (const w of this.failWaiters) w(err);
    this.failWaiters.clear();
  }
}
