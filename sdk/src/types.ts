// Public types for scripts. Wire-facing shapes use the contract's snake_case names; only the
// proxy configuration types use camelCase (D11.15).
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import type { MemoryAPI } from './memory-types.js';

/** Identity of the run, as given by the run request (frozen). */
export interface RunMeta {
  readonly run_id: string;
  readonly attempt: number;
  readonly job_id?: string;
  readonly parent_run_id?: string;
}

export type EventType =
  | 'item'
  | 'artifact'
  | 'checkpoint'
  | 'enqueue'
  | 'rotate_proxy'
  | 'log'
  | 'run_error'
  | 'run_complete';

export interface ItemPayload {
  item_type: string;
  data: Record<string, unknown>;
}
export interface ArtifactPayload {
  artifact_id: string;
  name: string;
  content_type: string;
  size_bytes: number;
}
export interface CheckpointPayload {
  checkpoint_id: string;
  note?: string;
}
export interface EnqueuePayload {
  target: string;
  params: Record<string, unknown>;
  source?: string;
  category?: string;
}
export interface RotateProxyPayload {
  reason?: string;
}
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export interface LogPayload {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}
export interface RunErrorPayload {
  error_type: string;
  message: string;
  stack?: string;
}
export interface RunCompletePayload {
  summary?: Record<string, unknown>;
}

export interface PayloadByType {
  item: ItemPayload;
  artifact: ArtifactPayload;
  checkpoint: CheckpointPayload;
  enqueue: EnqueuePayload;
  rotate_proxy: RotateProxyPayload;
  log: LogPayload;
  run_error: RunErrorPayload;
  run_complete: RunCompletePayload;
}

/** One event frame's payload (contract §9.1); optional keys are omitted, never nil. */
export interface EventEnvelope<T extends EventType = EventType> {
  readonly contract_version: string;
  readonly event_id: string;
  readonly run_id: string;
  readonly type: T;
  readonly ts: string;
  readonly payload: PayloadByType[T];
  readonly attempt: number;
  readonly job_id?: string;
  readonly parent_run_id?: string;
  readonly seq: number;
}

export interface ArtifactChunkFrame {
  type: 'artifact_chunk';
  artifact_id: string;
  seq: number;
  is_last: boolean;
  data: Uint8Array;
}

export interface FileWriteFrame {
  type: 'file_write';
  write_id: number;
  filename: string;
  content_type: string;
  data: Uint8Array;
}

export interface FileWriteAckFrame {
  type: 'file_write_ack';
  write_id: number;
  ok: boolean;
  error?: string;
}

export type RunResultStatus = 'completed' | 'error' | 'crash';

export interface RunResultOutcome {
  status: RunResultStatus;
  message: string | null;
  error_type?: string | null;
  stack?: string | null;
}

export interface RunResultFrame {
  type: 'run_result';
  outcome: RunResultOutcome;
  proxy_used?: RedactedProxyEndpoint | null;
}

/** Bytes accepted by artifact and storage calls; strings are sent as UTF-8. */
export type BinaryData = Uint8Array | ArrayBuffer | string;

export interface EmitArtifactOptions {
  name: string;
  content_type: string;
  data: BinaryData;
}

export interface EmitAPI {
  item(opts: ItemPayload): Promise<void>;
  /** Resolves with the artifact_id once the chunks and the commit event were written. */
  artifact(opts: EmitArtifactOptions): Promise<string>;
  checkpoint(opts: CheckpointPayload): Promise<void>;
  enqueue(opts: EnqueuePayload): Promise<void>;
  rotateProxy(opts?: RotateProxyPayload): Promise<void>;
  log(opts: LogPayload): Promise<void>;
  debug(message: string, fields?: Record<string, unknown>): Promise<void>;
  info(message: string, fields?: Record<string, unknown>): Promise<void>;
  warn(message: string, fields?: Record<string, unknown>): Promise<void>;
  error(message: string, fields?: Record<string, unknown>): Promise<void>;
  runError(opts: RunErrorPayload): Promise<void>;
  runComplete(opts?: RunCompletePayload): Promise<void>;
}

/** Partition metadata of the run request's `storage` block (contract §7.1). */
export interface StoragePartition {
  dataset: string;
  source: string;
  category: string;
  day: string;
  run_id: string;
}

export interface StoragePutOptions {
  filename: string;
  content_type: string;
  data: BinaryData;
}

export interface StoragePutResult {
  /** Store-relative key of the sidecar file; "" when the run has no storage block. */
  key: string;
}

export interface StorageAPI {
  put(opts: StoragePutOptions): Promise<StoragePutResult>;
}

export interface QuarryContext<Job = unknown> {
  readonly job: Job;
  readonly run: RunMeta;
  readonly page: Page;
  readonly browser: Browser;
  readonly browserContext: BrowserContext;
  readonly emit: EmitAPI;
  readonly storage: StorageAPI;
  readonly memory: MemoryAPI;
  /**
   * Where a retried attempt may pick up: the last checkpoint an earlier attempt of the same work
   * emitted (quarry-temporal hands it over from the failed attempt's result or last heartbeat),
   * or null. The script decides what the id means (a page number, a cursor).
   */
  readonly resume: ResumePoint | null;
}

/** The checkpoint a run may resume from (`ctx.resume`). */
export interface ResumePoint {
  readonly checkpoint_id: string;
  /** The run that emitted the checkpoint. */
  readonly run_id: string;
}

/** The default export of a script. */
export type QuarryScript<Job = unknown> = (ctx: QuarryContext<Job>) => Promise<void>;

export type PrepareResult<Job = unknown> =
  | { action: 'continue'; job?: Job }
  | { action: 'skip'; reason?: string };

export type TerminalSignal = { outcome: 'completed' } | { outcome: 'error'; error: unknown };

export type PrepareHook<Job = unknown> = (
  job: Job,
  run: RunMeta,
) => PrepareResult<Job> | Promise<PrepareResult<Job>>;
export type BeforeRunHook<Job = unknown> = (ctx: QuarryContext<Job>) => void | Promise<void>;
export type AfterRunHook<Job = unknown> = (ctx: QuarryContext<Job>) => void | Promise<void>;
export type OnErrorHook<Job = unknown> = (error: unknown, ctx: QuarryContext<Job>) => void | Promise<void>;
export type BeforeTerminalHook<Job = unknown> = (
  signal: TerminalSignal,
  ctx: QuarryContext<Job>,
) => void | Promise<void>;
export type CleanupHook<Job = unknown> = (ctx: QuarryContext<Job>) => void | Promise<void>;

/** Shape of a script module as the executor validates it (contract §20.1). */
export interface QuarryScriptModule<Job = unknown> {
  default: QuarryScript<Job>;
  prepare?: PrepareHook<Job>;
  beforeRun?: BeforeRunHook<Job>;
  afterRun?: AfterRunHook<Job>;
  onError?: OnErrorHook<Job>;
  beforeTerminal?: BeforeTerminalHook<Job>;
  cleanup?: CleanupHook<Job>;
}

/** Hook names in the order `--validate` lists them. */
export const HOOK_NAMES = ['prepare', 'beforeRun', 'afterRun', 'onError', 'beforeTerminal', 'cleanup'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

// Proxy configuration (camelCase in TypeScript, snake_case on the wire: D11.15).
export type ProxyProtocol = 'http' | 'https' | 'socks5';
export interface ProxyEndpoint {
  protocol: ProxyProtocol;
  host: string;
  port: number;
  username?: string;
  password?: string;
}
/** A proxy endpoint without its password (the `proxy_used` shape). */
export interface RedactedProxyEndpoint {
  protocol: ProxyProtocol;
  host: string;
  port: number;
  username?: string;
}
export type ProxyStrategy = 'round_robin' | 'random' | 'sticky';
export type ProxyStickyScope = 'job' | 'domain' | 'origin';
export interface ProxySticky {
  scope: ProxyStickyScope;
  ttlMs?: number;
}
export interface ProxyPool {
  name: string;
  strategy: ProxyStrategy;
  endpoints: ProxyEndpoint[];
  sticky?: ProxySticky;
  recencyWindow?: number;
}
export interface ProxySelectionRequest {
  pool: string;
  strategy?: ProxyStrategy;
  stickyKey?: string;
}
export interface ProxyValidationIssue {
  field: string;
  message: string;
}
export interface ProxyValidationResult {
  valid: boolean;
  errors: ProxyValidationIssue[];
  warnings: ProxyValidationIssue[];
}

export interface BatcherOptions {
  /** Items per `enqueue` event; a positive integer. */
  size: number;
  target: string;
  source?: string;
  category?: string;
}
export interface Batcher<T = unknown> {
  add(item: T): Promise<void>;
  flush(): Promise<void>;
  readonly pending: number;
}
export interface StorageBatcherOptions {
  /** Puts in flight at once; default 16. */
  concurrency?: number;
}
export interface StorageBatcher {
  /** Resolves with the put's result once its ack arrived. */
  add(opts: StoragePutOptions): Promise<StoragePutResult>;
  flush(): Promise<void>;
  readonly pending: number;
}
