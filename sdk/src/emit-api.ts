import { randomUUID } from 'node:crypto';
import { toBytes } from './binary.js';
import { MAX_CHUNK_SIZE } from './constants.js';
import type { EmitChain } from './emit-chain.js';
import { encodeFrame } from './framing.js';
import type {
  CheckpointPayload,
  EmitAPI,
  EmitArtifactOptions,
  EnqueuePayload,
  ItemPayload,
  LogPayload,
  RotateProxyPayload,
  RunCompletePayload,
  RunErrorPayload,
} from './types.js';

// Payloads are rebuilt from the documented keys so optional keys are omitted (never nil) and
// the wire shape does not depend on what else the caller's object carries.

function requireString(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
  return v;
}

function requireMap(v: unknown, name: string): object {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw new TypeError(`${name} must be an object`);
  }
  return v;
}

function options(v: unknown, method: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null) throw new TypeError(`${method} expects an options object`);
  return v as Record<string, unknown>;
}

/** Runs payload construction inside the call's promise so bad input rejects instead of throwing. */
function build<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

export function createEmitAPI(chain: EmitChain): EmitAPI {
  const emit = (type: string, makePayload: () => object): Promise<void> =>
    build(makePayload).then((payload) => chain.emit(type, payload));

  const log = (opts: LogPayload): Promise<void> =>
    emit('log', () => {
      const o = options(opts, 'emit.log');
      const payload: Record<string, unknown> = {
        level: requireString(o.level, 'log level'),
        message: requireString(o.message, 'log message'),
      };
      if (o.fields !== undefined) payload.fields = requireMap(o.fields, 'log fields');
      return payload;
    });

  const shortcut =
    (level: LogPayload['level']) =>
    (message: string, fields?: Record<string, unknown>): Promise<void> =>
      log(fields === undefined ? { level, message } : { level, message, fields });

  return Object.freeze({
    item: (opts: ItemPayload) =>
      emit('item', () => {
        const o = options(opts, 'emit.item');
        return { item_type: requireString(o.item_type, 'item_type'), data: requireMap(o.data, 'item data') };
      }),

    artifact: (opts: EmitArtifactOptions) => emitArtifact(chain, opts),

    checkpoint: (opts: CheckpointPayload) =>
      emit('checkpoint', () => {
        const o = options(opts, 'emit.checkpoint');
        const payload: Record<string, unknown> = { checkpoint_id: requireString(o.checkpoint_id, 'checkpoint_id') };
        if (o.note !== undefined) payload.note = requireString(o.note, 'checkpoint note');
        return payload;
      }),

    enqueue: (opts: EnqueuePayload) =>
      emit('enqueue', () => {
        const o = options(opts, 'emit.enqueue');
        const payload: Record<string, unknown> = {
          target: requireString(o.target, 'enqueue target'),
          params: requireMap(o.params, 'enqueue params'),
        };
        if (o.source !== undefined) payload.source = requireString(o.source, 'enqueue source');
        if (o.category !== undefined) payload.category = requireString(o.category, 'enqueue category');
        return payload;
      }),

    rotateProxy: (opts?: RotateProxyPayload) =>
      emit('rotate_proxy', () => {
        const payload: Record<string, unknown> = {};
        if (opts !== undefined) {
          const o = options(opts, 'emit.rotateProxy');
          if (o.reason !== undefined) payload.reason = requireString(o.reason, 'rotate_proxy reason');
        }
        return payload;
      }),

    log,
    debug: shortcut('debug'),
    info: shortcut('info'),
    warn: shortcut('warn'),
    error: shortcut('error'),

    runError: (opts: RunErrorPayload) =>
      emit('run_error', () => {
        const o = options(opts, 'emit.runError');
        const payload: Record<string, unknown> = {
          error_type: requireString(o.error_type, 'error_type'),
          message: requireString(o.message, 'run_error message'),
        };
        if (o.stack !== undefined) payload.stack = requireString(o.stack, 'run_error stack');
        return payload;
      }),

    runComplete: (opts?: RunCompletePayload) =>
      emit('run_complete', () => {
        const payload: Record<string, unknown> = {};
        if (opts !== undefined) {
          const o = options(opts, 'emit.runComplete');
          if (o.summary !== undefined) payload.summary = requireMap(o.summary, 'run_complete summary');
        }
        return payload;
      }),
  });
}

/**
 * Chunks, then the commit event, all in one chain task so nothing interleaves (§12.1). The commit
 * is encoded before the first chunk goes out so a bad name/content_type writes nothing.
 */
function emitArtifact(chain: EmitChain, opts: EmitArtifactOptions): Promise<string> {
  return build(() => {
    const o = options(opts, 'emit.artifact');
    return {
      name: requireString(o.name, 'artifact name'),
      content_type: requireString(o.content_type, 'artifact content_type'),
      bytes: toBytes(o.data, 'emit.artifact'),
    };
  }).then(({ name, content_type, bytes }) =>
    chain.run(async () => {
      chain.assertWritable('emit artifact');
      const artifact_id = randomUUID();
      const payload = { artifact_id, name, content_type, size_bytes: bytes.length };
      const commit = chain.encodeEvent('artifact', payload);
      const chunks = Math.max(1, Math.ceil(bytes.length / MAX_CHUNK_SIZE));
      for (let i = 0; i < chunks; i++) {
        const data = bytes.subarray(i * MAX_CHUNK_SIZE, Math.min(bytes.length, (i + 1) * MAX_CHUNK_SIZE));
        const frame = encodeFrame(chain.encoder, {
          type: 'artifact_chunk',
          artifact_id,
          seq: i + 1,
          is_last: i === chunks - 1,
          data,
        });
        await chain.writeFrame(frame);
      }
      await chain.writeEvent(commit, 'artifact', payload);
      return artifact_id;
    }),
  );
}
