import type { Readable } from 'node:stream';

/** Receives the bytes that follow the run request line (the ack stream, contract §7.2/§8.1). */
export interface AckSink {
  feed(chunk: Uint8Array): void;
  end(): void;
  error(err: Error): void;
}

/**
 * Reads stdin once: first up to the first LF (the run request), then hands every later byte —
 * including bytes that arrived in the same chunk as the LF — to the ack reader.
 */
export class StdinPump {
  private head: Buffer[] = [];
  private tail: Buffer[] = [];
  private lineDone = false;
  private ended = false;
  private failure: Error | undefined;
  private sink: AckSink | undefined;
  private lineWaiter: ((line: Buffer) => void) | undefined;

  constructor(private readonly stream: Readable) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.onEnd());
    stream.on('error', (err: Error) => this.onError(err));
  }

  /** The request bytes (without the LF); whatever arrived when stdin ended without an LF. */
  readLine(): Promise<Buffer> {
    if (this.lineDone || this.ended || this.failure) return Promise.resolve(this.takeLine());
    return new Promise((resolve) => {
      this.lineWaiter = resolve;
    });
  }

  /** Starts delivering the ack stream (buffered bytes first). */
  attach(sink: AckSink): void {
    this.sink = sink;
    for (const chunk of this.tail) sink.feed(chunk);
    this.tail = [];
    if (this.failure) sink.error(this.failure);
    else if (this.ended) sink.end();
  }

  /** Stops reading; nothing is delivered afterwards. */
  stop(): void {
    this.sink = undefined;
    this.stream.removeAllListeners('data');
    this.stream.pause();
    if (typeof (this.stream as { destroy?: () => void }).destroy === 'function') this.stream.destroy();
  }

  private takeLine(): Buffer {
    const line = Buffer.concat(this.head);
    this.head = [];
    return line;
  }

  private onData(chunk: Buffer): void {
    if (this.lineDone) {
      if (this.sink) this.sink.feed(chunk);
      else this.tail.push(chunk);
      return;
    }
    const lf = chunk.indexOf(0x0a);
    if (lf < 0) {
      this.head.push(chunk);
      return;
    }
    this.head.push(chunk.subarray(0, lf));
    if (lf + 1 < chunk.length) this.tail.push(chunk.subarray(lf + 1));
    this.lineDone = true;
    this.resolveLine();
  }

  private onEnd(): void {
    this.ended = true;
    if (!this.lineDone) this.resolveLine();
    this.sink?.end();
  }

  private onError(err: Error): void {
    this.failure = err;
    if (!this.lineDone) this.resolveLine();
    this.sink?.error(err);
  }

  private resolveLine(): void {
    const waiter = this.lineWaiter;
    if (!waiter) return; // readLine() will take the bytes later
    this.lineWaiter = undefined;
    waiter(this.takeLine());
  }
}
