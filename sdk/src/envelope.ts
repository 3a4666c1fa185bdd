import { randomUUID } from 'node:crypto';
import { CONTRACT_VERSION } from './constants.js';
import type { EventType, PayloadByType } from './types.js';

/** What the run request says about this run; copied into every envelope. */
export interface RunIdentity {
  run_id: string;
  attempt: number;
  job_id?: string;
  parent_run_id?: string;
}

/** Random UUID v4, lowercase and hyphenated. */
export function newEventId(): string {
  return randomUUID();
}

let lastMs = NaN;
let lastIso = '';

/** ISO-8601 UTC with milliseconds and `Z`; formatted once per millisecond (hot path). */
export function isoTimestamp(ms: number = Date.now()): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/**
 * Builds an envelope with the key order of contract §5.1; optional lineage keys are present only
 * when non-empty.
 */
export function buildEnvelope<T extends EventType>(
  identity: RunIdentity,
  type: T | string,
  payload: PayloadByType[T] | Record<string, unknown>,
  seq: number,
): Record<string, unknown> {
  const env: Record<string, unknown> = {
    contract_version: CONTRACT_VERSION,
    event_id: newEventId(),
    run_id: identity.run_id,
    type,
    ts: isoTimestamp(),
    payload,
    attempt: identity.attempt,
  };
  if (identity.job_id) env.job_id = identity.job_id;
  if (identity.parent_run_id) env.parent_run_id = identity.parent_run_id;
  env.seq = seq;
  return env;
}
