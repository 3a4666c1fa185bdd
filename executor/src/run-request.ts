import {
  parseStoragePartition,
  validateProxyEndpoint,
  type ProxyEndpoint,
  type ProxyValidationIssue,
  type ResumePoint,
  type RunIdentity,
  type StoragePartition,
} from '@quarry/sdk';

/** A run-request problem: exit 3 with one `Error: ` line (contract §7.2). */
export class RunRequestError extends Error {}

export interface RunRequest {
  identity: RunIdentity;
  job: unknown;
  proxy: ProxyEndpoint | null;
  browserWsEndpoint: string | null;
  partition: StoragePartition | null;
  /** Set when a storage block was present but unusable (a warning, never fatal). */
  storageWarning: string | null;
  /** Non-fatal proxy remarks (e.g. socks5 is best effort). */
  proxyWarnings: ProxyValidationIssue[];
  /** The checkpoint to resume from (ctx.resume); a malformed one is ignored with a warning. */
  resume: ResumePoint | null;
  resumeWarning: string | null;
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Parses and validates the request line (contract §7.1, lineage §9.3). */
export function parseRunRequest(bytes: Buffer): RunRequest {
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new RunRequestError('empty run request on stdin');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RunRequestError(`run request is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RunRequestError(`run request must be a JSON object, got ${describe(raw)}`);
  }
  const r = raw as Record<string, unknown>;

  if (!nonEmptyString(r.run_id)) throw new RunRequestError('run request: run_id must be a non-empty string');
  const attempt = r.attempt;
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 1) {
    throw new RunRequestError('run request: attempt must be an integer >= 1');
  }
  const jobId = nonEmptyString(r.job_id) ? r.job_id : undefined;
  const parentRunId = nonEmptyString(r.parent_run_id) ? r.parent_run_id : undefined;
  if (attempt === 1 && parentRunId !== undefined) {
    throw new RunRequestError('run request: lineage violation: attempt 1 must not have a parent_run_id');
  }
  if (attempt > 1 && parentRunId === undefined) {
    throw new RunRequestError(`run request: lineage violation: attempt ${attempt} requires a non-empty parent_run_id`);
  }
  if (!Object.prototype.hasOwnProperty.call(r, 'job')) throw new RunRequestError('run request: missing "job" key');

  let proxy: ProxyEndpoint | null = null;
  let proxyWarnings: ProxyValidationIssue[] = [];
  if (r.proxy !== undefined && r.proxy !== null) {
    const check = validateProxyEndpoint(r.proxy);
    if (!check.valid) {
      // Messages name fields only, so no credential can leak into the error line.
      const problems = check.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      throw new RunRequestError(`run request: invalid proxy: ${problems}`);
    }
    proxyWarnings = check.warnings;
    const p = r.proxy as Record<string, unknown>;
    proxy = { protocol: p.protocol as ProxyEndpoint['protocol'], host: p.host as string, port: p.port as number };
    if (nonEmptyString(p.username) && nonEmptyString(p.password)) {
      proxy.username = p.username;
      proxy.password = p.password;
    }
  }

  let partition: StoragePartition | null = null;
  let storageWarning: string | null = null;
  if (r.storage !== undefined && r.storage !== null) {
    partition = parseStoragePartition(r.storage);
    if (!partition) {
      storageWarning =
        'Warning: ignoring the run request storage block (dataset, source, category, day and run_id must all be non-empty strings); storage.put will return the key ""';
    }
  }

  let resume: ResumePoint | null = null;
  let resumeWarning: string | null = null;
  if (r.resume !== undefined && r.resume !== null) {
    const o = r.resume as Record<string, unknown>;
    if (typeof o === 'object' && !Array.isArray(o) && nonEmptyString(o.checkpoint_id) && typeof o.run_id === 'string') {
      resume = Object.freeze({ checkpoint_id: o.checkpoint_id, run_id: o.run_id });
    } else {
      resumeWarning = 'Warning: ignoring the run request resume block (checkpoint_id and run_id must be strings)';
    }
  }

  const identity: RunIdentity = { run_id: r.run_id, attempt };
  if (jobId !== undefined) identity.job_id = jobId;
  if (parentRunId !== undefined) identity.parent_run_id = parentRunId;

  return {
    identity,
    job: r.job,
    proxy,
    browserWsEndpoint: nonEmptyString(r.browser_ws_endpoint) ? r.browser_ws_endpoint : null,
    partition,
    storageWarning,
    proxyWarnings,
    resume,
    resumeWarning,
  };
}
