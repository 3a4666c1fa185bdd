import { SinkFailedError, TerminalEventError } from './errors.js';
import { buildEnvelope, type RunIdentity } from './envelope.js';
import { encodeFrame } from './framing.js';
import { MsgpackEncoder } from './msgpack-encode.js';
import type { FrameSink } from './sink.js';
import type { RunCompletePayload, RunErrorPayload } from './types.js';

export type TerminalRecord =
  | { type: 'run_complete'; payload: RunCompletePayload }
  | { type: 'run_error'; payload: RunErrorPayload };

const TERMINAL_TYPES = new Set(['run_complete', 'run_error']);

/**
 * The serialized chain every emit and storage.put goes through, so frames appear in call order
 * and at most one frame write is outstanding. A rejected call never blocks or poisons later calls
 * (D9); only a real pipe failure does, and from then on every call fails with SinkFailedError.
 */
export class EmitChain {
  private tail: Promise<unknown> = Promise.resolve();
  private lastSeq = 0;
  private terminalRecord: TerminalRecord | undefined;
  private firstSinkFailure: Error | undefined;
  readonly encoder = new MsgpackEncoder();

  constructor(
    private readonly sink: FrameSink,
    readonly identity: RunIdentity,
  ) {}

  /** Last event seq written (= event count so far). */
  get seq(): number {
    return this.lastSeq;
  }

  get terminal(): TerminalRecord | undefined {
    return this.terminalRecord;
  }

  /** First failure of the pipe, whether seen by a write or reported by the stream. */
  get sinkFailure(): Error | undefined {
    return this.firstSinkFailure ?? this.sink.failure;
  }

  get sinkHealthy(): boolean {
    return this.sinkFailure === undefined;
  }

  /** Runs `task` after every earlier task settled; its outcome affects only its own caller. */
  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Throws when nothing may be written any more; call first inside a task. */
  assertWritable(what: string): void {
    if (this.terminalRecord) throw new TerminalEventError(what);
    const failure = this.sinkFailure;
    if (failure) throw new SinkFailedError(failure);
  }

  /** Encodes an event with the next seq without consuming it. */
  encodeEvent(type: string, payload: object): { frame: Buffer; seq: number } {
    const seq = this.lastSeq + 1;
    const frame = encodeFrame(this.encoder, buildEnvelope(this.identity, type, payload as Record<string, unknown>, seq));
    return { frame, seq };
  }

  /** Writes a pre-encoded event; seq advances right before the bytes go out (§11.1). */
  async writeEvent(encoded: { frame: Buffer; seq: number }, type: string, payload: object): Promise<void> {
    this.lastSeq = encoded.seq;
    await this.writeFrame(encoded.frame);
    if (TERMINAL_TYPES.has(type)) this.terminalRecord = { type, payload } as TerminalRecord;
  }

  /** Writes a non-event frame (chunk, file_write, run_result). */
  async writeFrame(frame: Buffer): Promise<void> {
    try {
      await this.sink.write(frame);
    } catch (err) {
      this.firstSinkFailure ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  /** Emits one event inside the chain: terminal/sink check, encode, write. */
  emit(type: string, payload: object, what = `emit ${type}`): Promise<void> {
    return this.run(async () => {
      this.assertWritable(what);
      const encoded = this.encodeEvent(type, payload);
      await this.writeEvent(encoded, type, payload);
    });
  }
}
