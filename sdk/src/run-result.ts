import type { RedactedProxyEndpoint, RunResultOutcome, RunResultStatus } from './types.js';

export interface RunResultInput {
  status: RunResultStatus;
  message: string;
  error_type?: string | null;
  stack?: string | null;
}

/**
 * The run_result control frame (contract §6.4) with keys in wire order. `error_type` and `stack`
 * are sent (nil when unknown) only for status `error`; `proxy_used` only when a proxy was used.
 */
export function buildRunResult(input: RunResultInput, proxyUsed?: RedactedProxyEndpoint | null): Record<string, unknown> {
  const outcome: RunResultOutcome = { status: input.status, message: input.message };
  if (input.status === 'error') {
    outcome.error_type = input.error_type ?? null;
    outcome.stack = input.stack ?? null;
  }
  const frame: Record<string, unknown> = { type: 'run_result', outcome };
  if (proxyUsed) {
    const p: Record<string, unknown> = { protocol: proxyUsed.protocol, host: proxyUsed.host, port: proxyUsed.port };
    if (proxyUsed.username) p.username = proxyUsed.username;
    frame.proxy_used = p;
  }
  return frame;
}
