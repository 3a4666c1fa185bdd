import type {
  Batcher,
  BatcherOptions,
  EmitAPI,
  StorageAPI,
  StorageBatcher,
  StorageBatcherOptions,
  StoragePutOptions,
  StoragePutResult,
} from './types.js';

function positiveInteger(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/** Groups items into one `enqueue` per `size` items: params `{items: [...]}` (contract §20.8). */
export function createBatcher<T = unknown>(emit: Pick<EmitAPI, 'enqueue'>, opts: BatcherOptions): Batcher<T> {
  const size = positiveInteger(opts?.size, 'batcher size');
  const { target, source, category } = opts;
  let buffer: T[] = [];

  const flush = (): Promise<void> => {
    if (buffer.length === 0) return Promise.resolve();
    const items = buffer;
    buffer = [];
    const payload: Parameters<EmitAPI['enqueue']>[0] = { target, params: { items } };
    if (source !== undefined) payload.source = source;
    if (category !== undefined) payload.category = category;
    return emit.enqueue(payload);
  };

  return {
    add(item: T): Promise<void> {
      buffer.push(item);
      return buffer.length >= size ? flush() : Promise.resolve();
    },
    flush,
    get pending() {
      return buffer.length;
    },
  };
}

interface QueuedPut {
  opts: StoragePutOptions;
  resolve(r: StoragePutResult): void;
  reject(e: unknown): void;
}

/**
 * Bounded-concurrency puts with fail-fast semantics: after the first failure every queued and
 * later add rejects with that error until flush() rethrows (and clears) it.
 */
export function createStorageBatcher(storage: Pick<StorageAPI, 'put'>, opts: StorageBatcherOptions = {}): StorageBatcher {
  const concurrency = positiveInteger(opts.concurrency ?? 16, 'storage batcher concurrency');
  const queue: QueuedPut[] = [];
  let inFlight = 0;
  let failure: { error: unknown } | undefined;
  let idleWaiters: Array<() => void> = [];

  const settleIdle = () => {
    if (inFlight > 0 || queue.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const fail = (error: unknown) => {
    if (!failure) failure = { error };
    for (const q of queue.splice(0)) q.reject(failure.error);
  };

  const pump = () => {
    while (!failure && inFlight < concurrency && queue.length > 0) {
      const job = queue.shift()!;
      inFlight += 1;
      storage.put(job.opts).then(
        (r) => job.resolve(r),
        (e) => {
          fail(e);
          job.reject(e);
        },
      ).finally(() => {
        inFlight -= 1;
        pump();
        settleIdle();
      });
    }
  };

  return {
    add(putOpts: StoragePutOptions): Promise<StoragePutResult> {
      if (failure) {
        const p = Promise.reject(failure.error);
        p.catch(() => undefined);
        return p;
      }
      const p = new Promise<StoragePutResult>((resolve, reject) => queue.push({ opts: putOpts, resolve, reject }));
      // flush() reports the failure, so an un-awaited add must not become an unhandled rejection.
      p.catch(() => undefined);
      pump();
      return p;
    },
    async flush(): Promise<void> {
      if (inFlight > 0 || queue.length > 0) await new Promise<void>((r) => idleWaiters.push(r));
      if (failure) {
        const { error } = failure;
        failure = undefined;
        throw error;
      }
    },
    get pending() {
      return inFlight + queue.length;
    },
  };
}
