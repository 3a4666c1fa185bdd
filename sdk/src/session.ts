import { AckTracker } from './acks.js';
import { createEmitAPI } from './emit-api.js';
import { EmitChain } from './emit-chain.js';
import type { RunIdentity } from './envelope.js';
import { encodeFrame } from './framing.js';
import { buildRunResult, type RunResultInput } from './run-result.js';
import type { FrameSink } from './sink.js';
import { createStorageAPI } from './storage-api.js';
import type { EmitAPI, RedactedProxyEndpoint, StorageAPI, StoragePartition } from './types.js';

export interface RunSessionOptions {
  sink: FrameSink;
  identity: RunIdentity;
  /** The run request's storage block, or null when absent/invalid (keys are then ""). */
  partition: StoragePartition | null;
  acks?: AckTracker;
}

/** Everything the executor needs to stream one run: the chain, the script-facing APIs, acks. */
export interface RunSession {
  readonly chain: EmitChain;
  readonly emit: EmitAPI;
  readonly storage: StorageAPI;
  readonly acks: AckTracker;
  /** Best effort: writes the run_result frame after everything queued so far. */
  writeRunResult(result: RunResultInput, proxyUsed?: RedactedProxyEndpoint | null): Promise<boolean>;
}

export function createRunSession(opts: RunSessionOptions): RunSession {
  const chain = new EmitChain(opts.sink, opts.identity);
  const acks = opts.acks ?? new AckTracker();
  return {
    chain,
    acks,
    emit: createEmitAPI(chain),
    storage: createStorageAPI(chain, acks, opts.partition),
    writeRunResult: (result, proxyUsed) =>
      chain
        .run(async () => {
          if (chain.sinkFailure) return false;
          await chain.writeFrame(encodeFrame(chain.encoder, buildRunResult(result, proxyUsed)));
          return true;
        })
        .catch(() => false),
  };
}
