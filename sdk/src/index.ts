// Script-facing API.
export { CONTRACT_VERSION, LENGTH_PREFIX_SIZE, MAX_CHUNK_SIZE, MAX_FRAME_SIZE, MAX_PAYLOAD_SIZE } from './constants.js';
export { EncodeError, SinkFailedError, StorageFilenameError, TerminalEventError } from './errors.js';
export type * from './types.js';
export { HOOK_NAMES } from './types.js';
export type * from './memory-types.js';
export { createBatcher, createStorageBatcher } from './batcher.js';
export {
  LARGE_ROUND_ROBIN_POOL,
  PROXY_PROTOCOLS,
  PROXY_STICKY_SCOPES,
  PROXY_STRATEGIES,
  redactProxyEndpoint,
  validateProxyEndpoint,
  validateProxyPool,
} from './proxy.js';
export { buildStorageKey, escapePartitionValue, parseStoragePartition, validateStorageFilename } from './partition.js';
export {
  DEFAULT_MEMORY_THRESHOLDS,
  cgroupMemoryUsage,
  createMemoryAPI,
  memoryUsage,
  nodeHeapUsage,
  pressureLevel,
  resolveMemoryThresholds,
  type MemoryAPIOptions,
  type PageMetricsSource,
} from './memory.js';

// Wire machinery used by the executor (and by tests that check exact bytes).
export { MsgpackEncoder, encodeMsgpack } from './msgpack-encode.js';
export { DecodeError, decodeMsgpack } from './msgpack-decode.js';
export { FrameReader, encodeFrame } from './framing.js';
export { FRAME_BATCH_BYTES, StreamFrameSink, type FrameSink } from './sink.js';
export { buildEnvelope, isoTimestamp, newEventId, type RunIdentity } from './envelope.js';
export { EmitChain, type TerminalRecord } from './emit-chain.js';
export { createEmitAPI } from './emit-api.js';
export { ACK_FALLBACK_ERROR, AckError, AckTracker } from './acks.js';
export { createStorageAPI } from './storage-api.js';
export { buildRunResult, type RunResultInput } from './run-result.js';
export { createRunSession, type RunSession, type RunSessionOptions } from './session.js';
